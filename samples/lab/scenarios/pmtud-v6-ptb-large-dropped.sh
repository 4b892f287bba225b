#!/usr/bin/env bash
# PMTUD blackhole over IPv6 caused by a "large ICMP is an attack" rule: r2's Packet Too Big messages
# are 1280 bytes long (they quote as much of the segment as fits), and a filter in front of the
# server drops ICMPv6 longer than 1024 bytes. The filter is the server's own nftables input hook,
# which runs after the capture tap: the server capture shows every PTB arriving — and the server
# going on sending 1500-byte segments as if none had. Captured at the server (pcap µs) and at the
# client (pcap ns).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-pmtud.sh"
p=${LAB_NS_PREFIX-}pl6
topo_pmtud $p
nsx $p-s nft -f - <<'NFT'
table inet lab {
  chain input_filter {
    type filter hook input priority 0; policy accept;
    meta l4proto ipv6-icmp meta length > 1024 counter drop
  }
}
NFT
cap_start $p-s eth0 "$WORK_DIR/$p-server.pcap"
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap" --time-stamp-precision=nano
pmtud_run $p 6 6
sleep 1
cap_stop_all
[[ $(cat "$WORK_DIR/$p-curl.rc") != 0 ]] || die "the download succeeded"
[[ $(nsx $p-s nft list ruleset) =~ counter\ packets\ [1-9] ]] || die "the filter dropped nothing"
stage "$WORK_DIR/$p-server.pcap" pmtud-v6-ptb-large-dropped-server.pcap pcap-us
stage "$WORK_DIR/$p-client.pcap" pmtud-v6-ptb-large-dropped-client.pcap pcap-ns
verify tcp-bulk --expect ptb-ignored --scenario pmtud-v6-ptb-large-dropped --topology "$TOPO_PMTUD; server nftables input: ICMPv6 longer than 1024 bytes dropped" \
  --cap server=pmtud-v6-ptb-large-dropped-server.pcap --cap client=pmtud-v6-ptb-large-dropped-client.pcap
publish_staged
