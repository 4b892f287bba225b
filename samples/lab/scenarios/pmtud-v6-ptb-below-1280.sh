#!/usr/bin/env bash
# Packet Too Big naming an MTU below 1280 (invalid for IPv6, RFC 8200 §5): r2 does not send its own
# PTB (nftables drops it); ptbforge.py on r2 answers the server's first three 1500-byte segments with
# PTBs naming MTU 1000, as a router with a misconfigured sub-1280 link would. Linux on the server
# discards them and keeps sending 1500-byte segments: a PMTUD blackhole although PTBs arrive.
# Captured at the server.
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-pmtud.sh"
p=${LAB_NS_PREFIX-}pbl
topo_pmtud $p
ptbforge_start $p --mtu 1000 --max 3
cap_start $p-s eth0 "$WORK_DIR/$p-server.pcap"
pmtud_run $p 6 6
sleep 1
cap_stop_all
[[ $(cat "$WORK_DIR/$p-curl.rc") != 0 ]] || die "the download succeeded"
grep -q 'PTB mtu 1000' "$WORK_DIR/ptbforge-$p.log" || die "ptbforge sent nothing: $(cat "$WORK_DIR/ptbforge-$p.log")"
stage "$WORK_DIR/$p-server.pcap" pmtud-v6-ptb-below-1280-server.pcap pcap-us
verify tcp-bulk --expect ptb-ignored --ptb-mtu 1000 --why 'Linux discards a PTB naming less than 1280' --scenario pmtud-v6-ptb-below-1280 \
  --topology "$TOPO_PMTUD; r2 nftables output: its own PTB (MTU 1280) dropped; ptbforge.py on r2: PTB naming MTU 1000 for the server's first three 1500-byte segments" \
  --cap server=pmtud-v6-ptb-below-1280-server.pcap
publish_staged
