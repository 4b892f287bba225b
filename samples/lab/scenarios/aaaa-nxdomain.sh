#!/usr/bin/env bash
# AAAA answered NXDOMAIN while A exists (RFC 4074 §4.2): dnsstub.py --aaaa nxdomain.
# client ── router ── server; glibc getaddrinfo and dig. Captured at the client (pcap ns).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
p=${LAB_NS_PREFIX-}anx
topo_dns_fw $p
stub_dns $p-s --listen 198.51.100.53 --aaaa nxdomain \
  --record lb.example.test A 203.0.113.91 --record lb.example.test AAAA 2001:db8:3::91
wait_listen $p-s u 53
resolv $p-c "nameserver 198.51.100.53" "options timeout:2 attempts:2"

cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap" --time-stamp-precision=nano
nsx $p-c getent ahosts lb.example.test >"$WORK_DIR/$p-getent.txt" || die "getent failed"
log "getent: $(awk '{print $1}' "$WORK_DIR/$p-getent.txt" | sort -u | tr '\n' ' ')"
nsx $p-c dig +tries=1 +time=2 @198.51.100.53 AAAA lb.example.test >"$WORK_DIR/$p-dig.txt" || true
nsx $p-c dig +tries=1 +time=2 @198.51.100.53 A lb.example.test >>"$WORK_DIR/$p-dig.txt" || true
cap_stop_all
stage "$WORK_DIR/$p-client.pcap" aaaa-nxdomain-client.pcap pcap-ns
verify aaaa-unanswered --mode rcode --rcode 3 --name lb.example.test --scenario aaaa-nxdomain \
  --cap client=aaaa-nxdomain-client.pcap \
  --topology "client 192.0.2.10 -- router -- server 198.51.100.53 (dnsstub.py: A 203.0.113.91, AAAA answered NXDOMAIN); DNS over IPv4; getent ahosts lb.example.test, then dig AAAA and dig A" \
  --observed "The AAAA answer is NXDOMAIN while A for the same name is NOERROR with an address."
publish_staged
