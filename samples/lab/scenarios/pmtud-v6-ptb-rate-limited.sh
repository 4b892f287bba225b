#!/usr/bin/env bash
# ICMPv6 rate limiting on the router (INCIDENTS §3: "why PTBs vanish"): r2 rate-limits every ICMPv6
# type including Packet Too Big (net.ipv6.icmp.ratemask=0-127) to one message per 30 s per
# destination (net.ipv6.icmp.ratelimit=30000). The client downloads /blob twice, from two of its
# addresses: the first flow gets its PTB and completes; the second, a few seconds later, needs a
# PTB of its own (the server keeps path MTUs per destination) but r2 stays silent, and it stalls.
# Captured at the server.
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-pmtud.sh"
p=${LAB_NS_PREFIX-}prl
topo_pmtud $p
addr $p-c eth0 2001:db8:10::11/64
nsx $p-r2 sysctl -qw net.ipv6.icmp.ratemask=0-127 net.ipv6.icmp.ratelimit=30000
cap_start $p-s eth0 "$WORK_DIR/$p-server.pcap"
nsx $p-c curl -6 -sS -o /dev/null --max-time 6 --interface 2001:db8:10::10 'http://[2001:db8:12::80]/blob' || die "the first download failed"
sleep 1
rc=0; nsx $p-c curl -6 -sS -o /dev/null --max-time 6 --interface 2001:db8:10::11 'http://[2001:db8:12::80]/blob' || rc=$?
sleep 1
cap_stop_all
log "second download: curl exit $rc"
[[ $rc != 0 ]] || die "the second download succeeded"
stage "$WORK_DIR/$p-server.pcap" pmtud-v6-ptb-rate-limited-server.pcap pcap-us
verify ptb-rate-limited --first 2001:db8:10::10 --second 2001:db8:10::11 --scenario pmtud-v6-ptb-rate-limited \
  --topology "$TOPO_PMTUD; client also 2001:db8:10::11; r2: net.ipv6.icmp.ratemask=0-127, net.ipv6.icmp.ratelimit=30000 (PTB rate-limited to one per 30 s per destination); two downloads of /blob, from 2001:db8:10::10 then from 2001:db8:10::11" \
  --cap server=pmtud-v6-ptb-rate-limited-server.pcap
publish_staged
