#!/usr/bin/env bash
# Unanswered AAAA behind a recursive resolver: client ── router ── unbound ── GSLB stand-in
# (dnsstub.py --aaaa ignore). unbound keeps retrying the AAAA upstream and does not answer the
# client within the client's timeouts. Captured at the resolver with `tcpdump -i any` (cooked v2,
# both the client side and the upstream side in one file, pcapng) and at the client (pcap ns).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
p=${LAB_NS_PREFIX-}aur
topo_dns_fw $p
add_auth $p
stub_dns $p-a --listen 2001:db8:5::53 --aaaa ignore \
  --record gslb.example.test A 203.0.113.90 --record gslb.example.test AAAA 2001:db8:3::90
wait_listen $p-a u 53
unbound_conf 198.51.100.53 2001:db8:2::53 <<'CONF' | unbound_start $p-s
forward-zone:
  name: "example.test."
  forward-addr: 2001:db8:5::53
CONF
resolv $p-c "nameserver 2001:db8:2::53" "options timeout:2 attempts:2"

cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap" --time-stamp-precision=nano
cap_start $p-s any "$WORK_DIR/$p-resolver.pcap"
t0=$(date +%s%N)
nsx $p-c getent ahosts gslb.example.test >"$WORK_DIR/$p-getent.txt" || die "getent failed"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
log "getent ahosts gslb.example.test: $ms ms, $(awk '{print $1}' "$WORK_DIR/$p-getent.txt" | sort -u | tr '\n' ' ')"
cap_stop_all
stage "$WORK_DIR/$p-client.pcap" aaaa-unanswered-recursive-client.pcap pcap-ns
stage "$WORK_DIR/$p-resolver.pcap" aaaa-unanswered-recursive-resolver.pcapng pcapng
topo="client 2001:db8:1::10 -- router -- unbound 1.17 at 2001:db8:2::53 (forwarding example.test) -- GSLB stand-in 2001:db8:5::53 (dnsstub.py: answers A 203.0.113.90, never answers AAAA); resolver options timeout:2 attempts:2; one lookup: getent ahosts gslb.example.test"
verify aaaa-unanswered --name gslb.example.test --scenario aaaa-unanswered-recursive \
  --cap client=aaaa-unanswered-recursive-client.pcap --topology "$topo" \
  --observed "getaddrinfo() returned only the A address after $ms ms; the resolver never sent the client a SERVFAIL within that time."
verify aaaa-unanswered --name gslb.example.test --scenario aaaa-unanswered-recursive \
  --cap resolver=aaaa-unanswered-recursive-resolver.pcapng --topology "$topo" \
  --observed "Both legs are in this capture: the client's AAAA queries to the resolver and the resolver's AAAA queries to 2001:db8:5::53 go unanswered, A is answered on both legs."
publish_staged
