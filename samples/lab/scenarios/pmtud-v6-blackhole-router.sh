#!/usr/bin/env bash
# PMTUD blackhole over IPv6 seen from the routers in the middle (same path and filter as
# pmtud-v6-blackhole: r2 drops its own Packet Too Big). Two capture points:
#  * r2 with `tcpdump -i any` (Linux cooked v2): every forwarded packet appears twice (in on one
#    interface, out on the other, hop limit one lower), except the server's 1500-byte segments, which
#    come in and are never forwarded: the sender-side view with doubles;
#  * r1 on its 1280-byte link e1 (Ethernet): downstream of the drop, the receiver-side view from
#    the middle (hop limits 63/62, no host's own packets).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-pmtud.sh"
p=${LAB_NS_PREFIX-}pbr
topo_pmtud $p
nsx $p-r2 nft -f - <<'NFT'
table inet lab {
  chain output_filter {
    type filter hook output priority 0; policy accept;
    icmpv6 type packet-too-big counter drop
  }
}
NFT
cap_start $p-r2 any "$WORK_DIR/$p-r2.pcap" tcp or icmp6
cap_start $p-r1 e1 "$WORK_DIR/$p-r1.pcap" tcp or icmp6
pmtud_run $p 6 6
sleep 1
cap_stop_all
[[ $(cat "$WORK_DIR/$p-curl.rc") != 0 ]] || die "the download succeeded"
[[ $(nsx $p-r2 nft list ruleset) =~ counter\ packets\ [1-9] ]] || die "r2 dropped no PTB"
stage "$WORK_DIR/$p-r2.pcap" pmtud-v6-blackhole-router-r2.pcap pcap-us
stage "$WORK_DIR/$p-r1.pcap" pmtud-v6-blackhole-router-r1.pcap pcap-us
"$PY" "$LAB_DIR/verify-path.py" --out "$WORK_DIR/out" blackhole-middle --scenario pmtud-v6-blackhole-router \
  --topology "$TOPO_PMTUD; r2 nftables output: icmpv6 type packet-too-big drop" \
  --cap r2=pmtud-v6-blackhole-router-r2.pcap --cap r1=pmtud-v6-blackhole-router-r1.pcap || die "verification failed"
publish_staged
