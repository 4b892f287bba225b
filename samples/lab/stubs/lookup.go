// lookup NAME...: one net.DefaultResolver.LookupIPAddr per name, one after the other, 0.5 s
// apart; prints "NAME ms ADDR..." per name and exits 1 if any lookup failed. Built with CGO off
// and run with GODEBUG=netdns=go, so Go's own stub resolver asks A and AAAA (each from its own
// UDP socket, in parallel) with the timeout and attempts it reads from /etc/resolv.conf.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"
)

func main() {
	failed := false
	for i, name := range os.Args[1:] {
		t0 := time.Now()
		addrs, err := net.DefaultResolver.LookupIPAddr(context.Background(), name)
		took := time.Since(t0).Milliseconds()
		if err != nil {
			fmt.Printf("%s %d ms error %v\n", name, took, err)
			failed = true
		} else {
			fmt.Printf("%s %d ms", name, took)
			for _, a := range addrs {
				fmt.Printf(" %s", a.IP)
			}
			fmt.Println()
		}
		if i+2 < len(os.Args) {
			time.Sleep(500 * time.Millisecond)
		}
	}
	if failed {
		os.Exit(1)
	}
}
