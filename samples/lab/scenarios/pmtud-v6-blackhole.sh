#!/usr/bin/env bash
# PMTUD blackhole over IPv6: r2 cannot forward the server's 1500-byte segments onto the 1280 link
# and its Packet Too Big messages are dropped by its own nftables output filter (an ICMPv6 policy
# that "drops ICMP"). Captured at the server (pcap µs) and at the client (pcapng).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-pmtud.sh"
p=${LAB_NS_PREFIX-}pb6
topo_pmtud $p
nsx $p-r2 nft -f - <<'NFT'
table inet lab {
  chain output_filter {
    type filter hook output priority 0; policy accept;
    icmpv6 type packet-too-big counter drop
  }
}
NFT
cap_start $p-s eth0 "$WORK_DIR/$p-server.pcap"
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
pmtud_run $p 6 6
sleep 1
cap_stop_all
[[ $(cat "$WORK_DIR/$p-curl.rc") != 0 ]] || die "the download succeeded"
[[ $(nsx $p-r2 nft list ruleset) =~ counter\ packets\ [1-9] ]] || die "r2 dropped no PTB"
stage "$WORK_DIR/$p-server.pcap" pmtud-v6-blackhole-server.pcap pcap-us
stage "$WORK_DIR/$p-client.pcap" pmtud-v6-blackhole-client.pcapng pcapng
verify tcp-bulk --expect blackhole --scenario pmtud-v6-blackhole --topology "$TOPO_PMTUD; r2 nftables output: icmpv6 type packet-too-big drop" \
  --cap server=pmtud-v6-blackhole-server.pcap --cap client=pmtud-v6-blackhole-client.pcapng
publish_staged
