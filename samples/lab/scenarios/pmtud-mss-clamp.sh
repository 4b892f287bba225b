#!/usr/bin/env bash
# MSS clamping (control): as pmtud-v6-blackhole (r2 drops its own Packet Too Big), but both routers
# clamp the TCP MSS of SYNs to the route MTU (`tcp option maxseg size set rt mtu`), so the server
# never sends a segment too big for the 1280 link and the download completes without any PTB.
# Captured at the server (pcapng) and at the client (pcap µs).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-pmtud.sh"
p=${LAB_NS_PREFIX-}pmc
topo_pmtud $p
for r in r1 r2; do
  nsx $p-$r nft -f - <<'NFT'
table inet lab {
  chain forward_filter {
    type filter hook forward priority 0; policy accept;
    tcp flags syn tcp option maxseg size set rt mtu
  }
  chain output_filter {
    type filter hook output priority 0; policy accept;
    icmpv6 type packet-too-big counter drop
  }
}
NFT
done
cap_start $p-s eth0 "$WORK_DIR/$p-server.pcap"
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
pmtud_run $p 6 10
cap_stop_all
[[ $(cat "$WORK_DIR/$p-curl.rc") == 0 ]] || die "the download failed"
stage "$WORK_DIR/$p-server.pcap" pmtud-mss-clamp-server.pcapng pcapng
stage "$WORK_DIR/$p-client.pcap" pmtud-mss-clamp-client.pcap pcap-us
verify tcp-bulk --expect clamped --scenario pmtud-mss-clamp --topology "$TOPO_PMTUD; r1 and r2 nftables forward: tcp flags syn tcp option maxseg size set rt mtu; r2 output: icmpv6 packet-too-big drop" \
  --cap server=pmtud-mss-clamp-server.pcapng --cap client=pmtud-mss-clamp-client.pcap
publish_staged
