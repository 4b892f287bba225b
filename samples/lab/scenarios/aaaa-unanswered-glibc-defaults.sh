#!/usr/bin/env bash
# Unanswered AAAA with glibc's stub resolver at its defaults (no `options` line in resolv.conf:
# timeout 5 s, attempts 2): the same GSLB stand-in as aaaa-unanswered, but the client waits the
# full default timeout before asking again. A real capture for the resolver profile's "glibc
# defaults" (every other lab scenario shortens the timeout to keep captures short).
# Captured at the client (pcap µs).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
p=${LAB_NS_PREFIX-}agd
topo_dns_fw $p
stub_dns $p-s --listen 2001:db8:2::53 --aaaa ignore \
  --record gslb.example.test A 203.0.113.90 --record gslb.example.test AAAA 2001:db8:3::90
wait_listen $p-s u 53
resolv $p-c "nameserver 2001:db8:2::53"

cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
t0=$(date +%s%N)
nsx $p-c getent ahosts gslb.example.test >"$WORK_DIR/$p-getent.txt" || die "getent failed"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
log "getent ahosts gslb.example.test: $ms ms, $(awk '{print $1}' "$WORK_DIR/$p-getent.txt" | sort -u | tr '\n' ' ')"
cap_stop_all
stage "$WORK_DIR/$p-client.pcap" aaaa-unanswered-glibc-defaults-client.pcap pcap-us
verify aaaa-unanswered --name gslb.example.test --scenario aaaa-unanswered-glibc-defaults \
  --cap client=aaaa-unanswered-glibc-defaults-client.pcap --stub-defaults glibc-default \
  --topology "client 2001:db8:1::10 -- router -- GSLB stand-in 2001:db8:2::53 (dnsstub.py: answers A 203.0.113.90, never answers AAAA); glibc stub with no resolv.conf options (timeout 5 s, attempts 2); one lookup: getent ahosts gslb.example.test" \
  --observed "getaddrinfo() returned only the A address after $ms ms."
publish_staged
