#!/usr/bin/env bash
# Controls for path.neighbor_unreachable, captured on the router (-i any, SLL2). Each is neighbour
# discovery or an unreachable that is NOT an address missing from its link:
#  1. first contact: the router has no neighbour entry for the server's 2001:db8:21::80 (nor for
#     198.51.100.80); the server answers the first solicitation / ARP request at once;
#  2. duplicate address detection: the server adds 2001:db8:21::99 with DAD on; its solicitations
#     come from :: and, as nobody else holds the address, are never answered (that is success);
#  3. a late answer: the client connects to 2001:db8:21::81, which the server adds 1.5 s later; the
#     router's first solicitations go unanswered, a later one is answered and the connection completes;
#  4. unreachables for other reasons: the client connects to 2001:db8:99::1 and 203.0.113.99, for
#     which the router has no route (ICMPv6 no route, code 0; ICMP network unreachable, code 0).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-neighbor.sh"
p=${LAB_NS_PREFIX-}h15n
topo_arp_failure $p
addr4 $p-s eth0 198.51.100.80/24
route $p-s default via 198.51.100.1
nsx $p-r ip neigh flush all
cap_start $p-r any "$WORK_DIR/$p-router.pcap"
# 1. first contact, both families
nsx $p-c curl -sS -o /dev/null --max-time 5 "http://[2001:db8:21::80]/" || die "curl v6 failed"
nsx $p-c curl -sS -o /dev/null --max-time 5 "http://198.51.100.80/" || die "curl v4 failed"
# 2. DAD on the server
nsx $p-s sysctl -qw net.ipv6.conf.eth0.accept_dad=1 net.ipv6.conf.eth0.dad_transmits=2
nsx $p-s ip addr add 2001:db8:21::99/64 dev eth0
sleep 3.5
nsx $p-s ip -6 addr show dev eth0 | grep -q "2001:db8:21::99.*tentative" && die "DAD did not finish: $(nsx $p-s ip -6 addr show dev eth0)"
nsx $p-s sysctl -qw net.ipv6.conf.eth0.accept_dad=0
# 3. an address that appears while the router solicits it
( sleep 1.5; nsx $p-s ip addr add 2001:db8:21::81/64 dev eth0 nodad ) &
LAB_PIDS+=("$!")
nsx $p-c curl -sS -o /dev/null --max-time 10 "http://[2001:db8:21::81]/" || die "curl to the late address failed"
# 4. no route at the router
nsx $p-c curl -sS -o /dev/null --max-time 3 "http://[2001:db8:99::1]/" 2>/dev/null && die "2001:db8:99::1 answered"
nsx $p-c curl -sS -o /dev/null --max-time 3 "http://203.0.113.99/" 2>/dev/null && die "203.0.113.99 answered"
cap_stop_all
stage "$WORK_DIR/$p-router.pcap" neighbor-control-router.pcap pcap-us
"$PY" "$LAB_DIR/verify-neighbor.py" --out "$WORK_DIR/out" control --scenario neighbor-control \
  --topology "$TOPO_ARP_FAILURE; but the server also holds 198.51.100.80 here; router DAD on e0; client: curl 7.88 to literal addresses" \
  --cap router=neighbor-control-router.pcap || die "verification failed"
publish_staged
