#!/usr/bin/env bash
# Unanswered AAAA asked by dig, not by getaddrinfo: `dig A` answered, then a second, separate
# `dig AAAA` (+tries=3 +time=1) 1 s later, over IPv4 to unbound, which forwards to a GSLB stand-in
# (dnsstub.py --aaaa ignore) with 0x20 case randomisation (`use-caps-for-id: yes`): every upstream
# query spells the name in another case. A and AAAA are separate lookups on both legs.
# client ── router ── unbound ── gslb. Captured at the client (eth0) and at the resolver (-i any, SLL2).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
p=${LAB_NS_PREFIX-}aud
topo_dns_fw $p
add_auth $p
stub_dns $p-a --listen 2001:db8:5::53 --aaaa ignore \
  --record gslb.example.test A 203.0.113.90 --record gslb.example.test AAAA 2001:db8:3::90
wait_listen $p-a u 53
unbound_conf 198.51.100.53 2001:db8:2::53 <<'CONF' | unbound_start $p-s
  use-caps-for-id: yes
forward-zone:
  name: "example.test."
  forward-addr: 2001:db8:5::53
CONF

cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
cap_start $p-s any "$WORK_DIR/$p-resolver.pcap"
nsx $p-c dig +tries=3 +time=1 @198.51.100.53 A gslb.example.test >"$WORK_DIR/$p-dig-a.txt" || die "dig A failed"
grep -q 203.0.113.90 "$WORK_DIR/$p-dig-a.txt" || die "dig A: no address"
sleep 1
nsx $p-c dig +tries=3 +time=1 @198.51.100.53 AAAA gslb.example.test >"$WORK_DIR/$p-dig-aaaa.txt" && die "dig AAAA was answered"
log "dig AAAA: $(grep -m1 'timed out\|no servers' "$WORK_DIR/$p-dig-aaaa.txt" || echo '?')"
cap_stop_all
stage "$WORK_DIR/$p-client.pcap" aaaa-unanswered-dig-0x20-client.pcap pcap-us
stage "$WORK_DIR/$p-resolver.pcap" aaaa-unanswered-dig-0x20-resolver.pcap pcap-us
topo="client 192.0.2.10 -- router -- unbound 1.17 at 198.51.100.53 (use-caps-for-id: yes, forwarding example.test over IPv6) -- GSLB stand-in 2001:db8:5::53 (dnsstub.py: answers A 203.0.113.90, never answers AAAA); dig +tries=3 +time=1 A gslb.example.test, then 1 s later a separate dig +tries=3 +time=1 AAAA gslb.example.test, over IPv4"
verify aaaa-unanswered --name gslb.example.test --scenario aaaa-unanswered-dig-0x20 \
  --cap client=aaaa-unanswered-dig-0x20-client.pcap --topology "$topo" \
  --observed "dig A was answered; the separate dig AAAA 1 s later timed out after 3 tries."
verify aaaa-unanswered --name gslb.example.test --scenario aaaa-unanswered-dig-0x20 \
  --cap resolver=aaaa-unanswered-dig-0x20-resolver.pcap --topology "$topo" \
  --observed "Both legs are in this capture; upstream every query spells the name in another case (0x20)."
publish_staged
