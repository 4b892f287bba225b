#!/usr/bin/env bash
# IPv6 → IPv4 fallback: the router answers SYNs to the stale AAAA address with a TCP reset; the sequential client falls back to IPv4 after one round trip. Captured at the client (pcap ns).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-fallback.sh"
p=${LAB_NS_PREFIX-}fbr
topo_fallback $p rst
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap" --time-stamp-precision=nano

seq_client $p
cap_stop_all
stage "$WORK_DIR/$p-client.pcap" fallback-rst-client.pcap pcap-ns

verify fallback --mode rst --class fast-rst --scenario fallback-rst --topology "$TOPO_FALLBACK; router nftables: ip6 daddr 2001:db8:21::80 tcp dport 80 reject with tcp reset; client: python3 socket.create_connection (sequential)" \
  --cap client=fallback-rst-client.pcap 
publish_staged
