#!/usr/bin/env bash
# A stale AAAA seen at the router: the server lost 2001:db8:21::80 (DNS still hands it out). The
# client (Python socket.create_connection, sequential) sends its SYN there; the router's neighbour
# solicitations for the address go unanswered (3, 1 s apart), it answers the queued SYNs with ICMPv6
# address unreachable, and the client connects over IPv4. Captured on the router (-i any, SLL2: both
# links, the DNS answer, the solicitations and the unreachables) and at the client (pcap µs).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-neighbor.sh"
p=${LAB_NS_PREFIX-}h15u
topo_fallback $p unreachable
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
cap_start $p-r any "$WORK_DIR/$p-router.pcap"
seq_client $p
cap_stop_all
stage "$WORK_DIR/$p-client.pcap" neighbor-stale-aaaa-client.pcap pcap-us
stage "$WORK_DIR/$p-router.pcap" neighbor-stale-aaaa-router.pcap pcap-us
"$PY" "$LAB_DIR/verify-neighbor.py" --out "$WORK_DIR/out" unreachable --family 6 --scenario neighbor-stale-aaaa \
  --address 2001:db8:21::80 --fallback-to 198.51.100.80 --router-link 2001:db8:21::1 --client 2001:db8:20::10 \
  --topology "$TOPO_FALLBACK; client: python3 socket.create_connection (sequential)" \
  --cap client=neighbor-stale-aaaa-client.pcap --cap router=neighbor-stale-aaaa-router.pcap || die "verification failed"
publish_staged
