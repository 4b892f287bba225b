#!/usr/bin/env bash
# IPv6 → IPv4 fallback: the router silently drops SYNs to the stale AAAA address; the sequential client (Python socket.create_connection) waits for the kernel's SYN retries (1 s, 2 s, 4 s with tcp_syn_retries=2) before trying IPv4. Captured at the client (pcapng).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-fallback.sh"
p=${LAB_NS_PREFIX-}fbt
topo_fallback $p drop
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap" 

seq_client $p
cap_stop_all
stage "$WORK_DIR/$p-client.pcap" fallback-timeout-client.pcapng pcapng

verify fallback --mode drop --class timeout --scenario fallback-timeout --topology "$TOPO_FALLBACK; router nftables: ip6 daddr 2001:db8:21::80 tcp dport 80 drop; client: python3 socket.create_connection (sequential)" \
  --cap client=fallback-timeout-client.pcapng 
publish_staged
