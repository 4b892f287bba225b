#!/usr/bin/env bash
# A server that is simply slow (control for path.pmtud_blackhole, INCIDENTS §3 "not this"; issue 15):
# client ── server on one 1500-byte link, no loss anywhere. The server (a small Python program)
# answers a request with a short header, then waits 3 s before the first full-size segment, sends
# half the body, waits 3 s again (nothing outstanding: every byte sent was acknowledged), then sends
# the rest. Over IPv6 and over IPv4. Nothing is retransmitted; the stalls are the server's own.
# Captured at the client (pcap µs).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
p=${LAB_NS_PREFIX-}i15s
ns "$p-c"; ns "$p-s"
link "$p-c" eth0 "$p-s" eth0 1500
addr "$p-c" eth0 2001:db8:40::10/64; addr4 "$p-c" eth0 192.0.2.10/24
addr "$p-s" eth0 2001:db8:40::80/64; addr4 "$p-s" eth0 192.0.2.80/24
nsx "$p-c" ping -c1 -W2 2001:db8:40::80 >/dev/null && nsx "$p-c" ping -c1 -W2 192.0.2.80 >/dev/null || die "topology $p: no connectivity"
bg "$p-s" "slow-$p" "$PY" -c '
import socket, threading, time
def serve(c):
    c.recv(4096)
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 60000\r\n\r\n")
    time.sleep(3); c.sendall(b"x" * 30000)
    time.sleep(3); c.sendall(b"y" * 30000)
    c.close()
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0); s.bind(("::", 80)); s.listen(4)
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
' >/dev/null
wait_listen "$p-s" t 80
cap_start "$p-c" eth0 "$WORK_DIR/$p-client.pcap"
for url in 'http://[2001:db8:40::80]/slow' 'http://192.0.2.80/slow'; do
  nsx "$p-c" curl -sS -o "$WORK_DIR/$p-body" --max-time 15 "$url" || die "curl $url failed"
  [[ $(stat -c %s "$WORK_DIR/$p-body") == 60000 ]] || die "curl $url: $(stat -c %s "$WORK_DIR/$p-body") bytes"
done
cap_stop_all
stage "$WORK_DIR/$p-client.pcap" pmtud-slow-server-client.pcap pcap-us
"$PY" "$LAB_DIR/verify-mss.py" --out "$WORK_DIR/out" slow-server --scenario pmtud-slow-server --cap client=pmtud-slow-server-client.pcap \
  --topology "client 2001:db8:40::10 / 192.0.2.10 -- (one veth, MTU 1500) -- server 2001:db8:40::80 / 192.0.2.80 (python: after the request, a short header; 3 s later 30000 bytes; 3 s later 30000 more); client: curl over IPv6, then over IPv4" \
  || die "verification failed"
publish_staged
