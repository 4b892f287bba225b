#!/usr/bin/env bash
# Same-port reply drop firewall, Go's pure resolver as the client (control).
# client ── fw ── server(dnsmasq)   fw: nftables conntrack mark drops the 2nd reply of each UDP 5-tuple.
# Go's resolver (GODEBUG=netdns=go, CGO off) asks A and AAAA in parallel, each from its own UDP
# socket, so every 5-tuple carries one reply: the drop rule never fires, the lookups are fast, and
# same_port_reply_drop must stay silent. Captured at the client, written as pcapng.
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
source "$LAB_DIR/stubs.sh"
p=${LAB_NS_PREFIX-}stgo
lookup=$(go_lookup)
stub_dns_lab $p second-reply 2 2001:db8:2::53

cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
GODEBUG=netdns=go+2 nsx $p-c "$lookup" www.example.test api.example.test >"$WORK_DIR/$p-lookup.txt" 2>"$WORK_DIR/$p-lookup.err" \
  || die "lookup failed: $(cat "$WORK_DIR/$p-lookup.txt" "$WORK_DIR/$p-lookup.err")"
grep -q "using Go's DNS resolver" "$WORK_DIR/$p-lookup.err" \
  || die "Go did not report its own resolver: $(cat "$WORK_DIR/$p-lookup.err")"
log "go LookupIPAddr: $(tr '\n' ';' <"$WORK_DIR/$p-lookup.txt") [$(tr '\n' ';' <"$WORK_DIR/$p-lookup.err")]"
cap_stop_all
drops=$(fw_drops $p)
stage "$WORK_DIR/$p-client.pcap" stub-go-same-port-control-client.pcapng pcapng
"$PY" "$LAB_DIR/verify-stubs.py" --out "$WORK_DIR/out" separate-sockets --stub "Go $(go_version) pure" --fw-drops "$drops" \
  --scenario stub-go-same-port-control --cap client=stub-go-same-port-control-client.pcapng \
  --topology "$TOPO_DNS_FW; client stub resolver: Go $(go_version)'s pure resolver (stubs/lookup.go, CGO_ENABLED=0, GODEBUG=netdns=go), resolver options timeout:2 attempts:2, DNS over IPv6 to dnsmasq 2001:db8:2::53; two lookups (www.example.test, then api.example.test 0.5 s later, one process)" \
  || die "verification failed"
publish_staged
