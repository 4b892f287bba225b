#!/usr/bin/env bash
# IPv6 → IPv4 fallback: the router answers the stale AAAA address with ICMPv6 address unreachable once neighbour discovery fails (~3 s); the client (Python socket.create_connection, sequential) then connects over IPv4. Captured at the client (pcap µs).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-fallback.sh"
p=${LAB_NS_PREFIX-}fbu
topo_fallback $p unreachable
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap" 

seq_client $p
cap_stop_all
stage "$WORK_DIR/$p-client.pcap" fallback-unreachable-client.pcap pcap-us

verify fallback --mode unreachable --class fast-unreachable --scenario fallback-unreachable --topology "$TOPO_FALLBACK; client: python3 socket.create_connection (sequential)" \
  --cap client=fallback-unreachable-client.pcap 
publish_staged
