#!/usr/bin/env bash
# Unanswered AAAA, asked directly: a GSLB stand-in (dnsstub.py --aaaa ignore) answers A and never
# answers AAAA. client ── router ── gslb; glibc getaddrinfo via `getent ahosts`.
# Captured at the client (pcapng) and at the server (pcap µs).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
p=${LAB_NS_PREFIX-}aun
topo_dns_fw $p
stub_dns $p-s --listen 2001:db8:2::53 --aaaa ignore \
  --record gslb.example.test A 203.0.113.90 --record gslb.example.test AAAA 2001:db8:3::90
wait_listen $p-s u 53
resolv $p-c "nameserver 2001:db8:2::53" "options timeout:2 attempts:2"

cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
cap_start $p-s eth0 "$WORK_DIR/$p-server.pcap"
t0=$(date +%s%N)
nsx $p-c getent ahosts gslb.example.test >"$WORK_DIR/$p-getent.txt" || die "getent failed"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
log "getent ahosts gslb.example.test: $ms ms, $(awk '{print $1}' "$WORK_DIR/$p-getent.txt" | sort -u | tr '\n' ' ')"
cap_stop_all
stage "$WORK_DIR/$p-client.pcap" aaaa-unanswered-client.pcapng pcapng
stage "$WORK_DIR/$p-server.pcap" aaaa-unanswered-server.pcap pcap-us
verify aaaa-unanswered --name gslb.example.test --scenario aaaa-unanswered \
  --cap client=aaaa-unanswered-client.pcapng --cap server=aaaa-unanswered-server.pcap \
  --topology "client 2001:db8:1::10 -- router -- GSLB stand-in 2001:db8:2::53 (dnsstub.py: answers A 203.0.113.90, never answers AAAA); resolver options timeout:2 attempts:2; one lookup: getent ahosts gslb.example.test" \
  --observed "getaddrinfo() returned only the A address after $ms ms."
publish_staged
