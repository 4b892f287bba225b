#!/usr/bin/env bash
# Offloads left ON at the server (TSO/GSO/tx checksum on its veth), captured at the server: the
# capture holds "segments" of up to 64 KB that the NIC (here veth/GSO) splits later. Same path as
# pmtud-v6-blackhole (1280-byte link in the middle); r2 drops its own IPv6 Packet Too Big but lets
# ICMP fragmentation-needed through. Two downloads in one capture:
#  * IPv6: a PMTUD blackhole (must be found, from wire sizes, not from the 64 KB super-segments);
#  * IPv4: PMTUD works (frag-needed MTU 1280 delivered, the server re-segments with GSO on): must not
#    be called a blackhole nor an ignored PTB.
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-pmtud.sh"
p=${LAB_NS_PREFIX-}pto
topo_pmtud $p
nsx $p-s ethtool -K eth0 tx on tso on gso on >/dev/null 2>&1 || die "ethtool: cannot turn offloads on"
nsx $p-s ethtool -k eth0 | grep -q '^tcp-segmentation-offload: on' || die "TSO still off"
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
cp "$WORK_DIR/$p-curl.rc" "$WORK_DIR/$p-curl6.rc"
pmtud_run $p 4 10
sleep 1
cap_stop_all
[[ $(cat "$WORK_DIR/$p-curl6.rc") != 0 ]] || die "the IPv6 download succeeded"
[[ $(cat "$WORK_DIR/$p-curl.rc") == 0 ]] || die "the IPv4 download failed"
stage "$WORK_DIR/$p-server.pcap" pmtud-tso-server.pcap pcap-us
"$PY" "$LAB_DIR/verify-path.py" --out "$WORK_DIR/out" tso --scenario pmtud-tso \
  --topology "$TOPO_PMTUD; server veth offloads ON (tso gso tx); r2 nftables output: icmpv6 type packet-too-big drop (IPv4 frag-needed passes)" \
  --cap server=pmtud-tso-server.pcap || die "verification failed"
publish_staged
