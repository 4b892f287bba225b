#!/usr/bin/env bash
# PMTUD blackhole over IPv4: the server's segments carry DF (Linux default), r2 cannot forward
# 1500-byte packets onto the 1280 link and its ICMP type 3 code 4 (fragmentation needed) is dropped
# by its own nftables output filter. Captured at the server (pcap µs) and at the client with
# `tcpdump -i any` (Linux cooked v2).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-pmtud.sh"
p=${LAB_NS_PREFIX-}pb4
topo_pmtud $p
nsx $p-r2 nft -f - <<'NFT'
table inet lab {
  chain output_filter {
    type filter hook output priority 0; policy accept;
    icmp type destination-unreachable icmp code frag-needed counter drop
  }
}
NFT
cap_start $p-s eth0 "$WORK_DIR/$p-server.pcap"
cap_start $p-c any "$WORK_DIR/$p-client.pcap"
pmtud_run $p 4 6
sleep 1
cap_stop_all
[[ $(cat "$WORK_DIR/$p-curl.rc") != 0 ]] || die "the download succeeded"
[[ $(nsx $p-r2 nft list ruleset) =~ counter\ packets\ [1-9] ]] || die "r2 dropped no ICMP"
stage "$WORK_DIR/$p-server.pcap" pmtud-v4-blackhole-server.pcap pcap-us
stage "$WORK_DIR/$p-client.pcap" pmtud-v4-blackhole-client.pcap pcap-us
verify tcp-bulk --expect blackhole --scenario pmtud-v4-blackhole --topology "$TOPO_PMTUD; IPv4; r2 nftables output: icmp type 3 code 4 drop" \
  --cap server=pmtud-v4-blackhole-server.pcap --cap client=pmtud-v4-blackhole-client.pcap
publish_staged
