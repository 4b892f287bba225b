#!/usr/bin/env bash
# Packet Too Big quoting another host's flow, as a load balancer or anycast node hands a PTB to the
# wrong server: r2's own PTBs are dropped (nftables); ptbforge.py on r2 answers the server's first
# three 1500-byte segments with PTBs (MTU 1280) whose quoted packet has its source rewritten to
# 2001:db8:12::81, another server. The server has no such connection, nothing changes, and the
# transfer stalls. Captured at the server.
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-pmtud.sh"
p=${LAB_NS_PREFIX-}pwh
topo_pmtud $p
ptbforge_start $p --mtu 1280 --max 3 --quote-src 2001:db8:12::81
cap_start $p-s eth0 "$WORK_DIR/$p-server.pcap"
pmtud_run $p 6 6
sleep 1
cap_stop_all
[[ $(cat "$WORK_DIR/$p-curl.rc") != 0 ]] || die "the download succeeded"
grep -q 'PTB mtu 1280' "$WORK_DIR/ptbforge-$p.log" || die "ptbforge sent nothing: $(cat "$WORK_DIR/ptbforge-$p.log")"
stage "$WORK_DIR/$p-server.pcap" pmtud-v6-ptb-wrong-host-server.pcap pcap-us
verify tcp-bulk --expect ptb-wrong-host --quote-src 2001:db8:12::81 --scenario pmtud-v6-ptb-wrong-host \
  --topology "$TOPO_PMTUD; r2 nftables output: its own PTB dropped; ptbforge.py on r2: PTB (MTU 1280) for the server's first three 1500-byte segments, quoting them with source 2001:db8:12::81" \
  --cap server=pmtud-v6-ptb-wrong-host-server.pcap
publish_staged
