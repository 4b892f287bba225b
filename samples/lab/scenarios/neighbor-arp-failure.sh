#!/usr/bin/env bash
# IPv4 neighbour failure, the mirror of a stale AAAA: the server lost 198.51.100.80 (the A record
# stayed) and the client prefers IPv4 (gai.conf). The router's ARP requests for the address go
# unanswered, it sends ICMP host unreachable to the client, which then connects over IPv6 (Python
# socket.create_connection, sequential). Captured on the router (-i any, SLL2) and at the client.
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-neighbor.sh"
p=${LAB_NS_PREFIX-}h15a
topo_arp_failure $p
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
cap_start $p-r any "$WORK_DIR/$p-router.pcap"
seq_client $p
cap_stop_all
stage "$WORK_DIR/$p-client.pcap" neighbor-arp-failure-client.pcap pcap-us
stage "$WORK_DIR/$p-router.pcap" neighbor-arp-failure-router.pcap pcap-us
"$PY" "$LAB_DIR/verify-neighbor.py" --out "$WORK_DIR/out" unreachable --family 4 --scenario neighbor-arp-failure \
  --address 198.51.100.80 --fallback-to 2001:db8:21::80 --router-link 198.51.100.1 --client 192.0.2.10 \
  --topology "$TOPO_ARP_FAILURE; client: python3 socket.create_connection (sequential)" \
  --cap client=neighbor-arp-failure-client.pcap --cap router=neighbor-arp-failure-router.pcap || die "verification failed"
publish_staged
