#!/usr/bin/env bash
# PMTUD blackhole over IPv6 with a 1400-byte link in the middle instead of 1280 (r1-r2), r2 dropping
# its own Packet Too Big. Captured at the server (pcapng). The bracket must hold 1400.
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-pmtud.sh"
p=${LAB_NS_PREFIX-}p14
topo_pmtud $p
nsx $p-r1 ip link set e1 mtu 1400
nsx $p-r2 ip link set e0 mtu 1400
nsx $p-r2 nft -f - <<'NFT'
table inet lab {
  chain output_filter {
    type filter hook output priority 0; policy accept;
    icmpv6 type packet-too-big counter drop
  }
}
NFT
cap_start $p-s eth0 "$WORK_DIR/$p-server.pcap"
pmtud_run $p 6 6
sleep 1
cap_stop_all
[[ $(cat "$WORK_DIR/$p-curl.rc") != 0 ]] || die "the download succeeded"
[[ $(nsx $p-r2 nft list ruleset) =~ counter\ packets\ [1-9] ]] || die "r2 dropped no PTB"
stage "$WORK_DIR/$p-server.pcap" pmtud-v6-mtu1400-server.pcapng pcapng
"$PY" "$LAB_DIR/verify-path.py" --out "$WORK_DIR/out" blackhole-sender --mtu 1400 --scenario pmtud-v6-mtu1400 \
  --topology "client -- (1500) -- r1 -- (1400) -- r2 -- (1500) -- server 2001:db8:12::80, else as $TOPO_PMTUD; r2 nftables output: icmpv6 type packet-too-big drop" \
  --cap server=pmtud-v6-mtu1400-server.pcapng || die "verification failed"
publish_staged
