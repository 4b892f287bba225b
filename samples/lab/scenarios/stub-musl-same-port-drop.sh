#!/usr/bin/env bash
# Same-port A/AAAA reply drop with musl's stub resolver instead of glibc's.
# client ── fw ── server(dnsmasq)   fw: nftables conntrack mark drops the 2nd reply of each UDP 5-tuple.
# The client is stubs/lookup.c linked statically against musl 1.2: getaddrinfo(AF_UNSPEC) sends A
# and AAAA back-to-back from one socket; dnsmasq answers in query order, so the AAAA reply is the
# second of the 5-tuple and is dropped. musl re-sends only the unanswered question, on the same
# socket with the same id, every timeout/attempts (here 2 s / 2 = 1 s), not after a full timeout
# as glibc does. Captured at the client (pcap µs) and at the server (pcap ns).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
source "$LAB_DIR/stubs.sh"
p=${LAB_NS_PREFIX-}stmd
lookup=$(musl_lookup)
stub_dns_lab $p second-reply 2 2001:db8:2::53

cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
cap_start $p-s eth0 "$WORK_DIR/$p-server.pcap" --time-stamp-precision=nano
nsx $p-c "$lookup" www.example.test api.example.test >"$WORK_DIR/$p-lookup.txt" || die "lookup failed: $(cat "$WORK_DIR/$p-lookup.txt")"
log "musl getaddrinfo: $(tr '\n' ';' <"$WORK_DIR/$p-lookup.txt")"
cap_stop_all
drops=$(fw_drops $p)
stage "$WORK_DIR/$p-client.pcap" stub-musl-same-port-drop-client.pcap pcap-us
stage "$WORK_DIR/$p-server.pcap" stub-musl-same-port-drop-server.pcap pcap-ns
"$PY" "$LAB_DIR/verify-stubs.py" --out "$WORK_DIR/out" same-port-drop --stub musl --retry-ms 1000 --fw-drops "$drops" \
  --scenario stub-musl-same-port-drop --cap client=stub-musl-same-port-drop-client.pcap --cap server=stub-musl-same-port-drop-server.pcap \
  --topology "$TOPO_DNS_FW; client stub resolver: musl $(musl_version) (stubs/lookup.c built with musl-gcc -static), resolver options timeout:2 attempts:2, DNS over IPv6 to dnsmasq 2001:db8:2::53; two lookups (www.example.test, then api.example.test 0.5 s later, one process)" \
  || die "verification failed"
publish_staged
