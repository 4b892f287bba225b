#!/usr/bin/env bash
# Healthy dual-stack traffic seen on a Linux bridge (control): client and server on one LAN
# through a bridge host (br0 with a veth port to each). `tcpdump -i any` on the bridge host records
# every packet on both bridge ports at the same hop limit, as a container host or a SPAN port
# mirroring both directions does: copies, not retransmissions. Captured on the bridge host
# (-i any, Linux cooked v2) and at the client (pcapng).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
p=${LAB_NS_PREFIX-}hbr
ns $p-c; ns $p-b; ns $p-s
link $p-c eth0 $p-b b1
link $p-s eth0 $p-b b2
nsx $p-b ip link add br0 type bridge
nsx $p-b ip link set b1 master br0
nsx $p-b ip link set b2 master br0
nsx $p-b ip link set br0 up
addr $p-c eth0 2001:db8:1::10/64; addr4 $p-c eth0 192.0.2.10/24
addr $p-s eth0 2001:db8:1::20/64; addr4 $p-s eth0 192.0.2.20/24
nsx $p-s sysctl -qw net.ipv6.conf.all.forwarding=0
dnsmasq_start $p-s 2001:db8:1::20 --host-record=www.example.test,192.0.2.20,2001:db8:1::20
http_start $p-s 80
resolv $p-c "nameserver 2001:db8:1::20" "options timeout:2 attempts:2"
cap_start $p-b any "$WORK_DIR/$p-bridge.pcap"
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
nsx $p-c getent ahosts www.example.test >/dev/null || die getent
nsx $p-c curl -sS -o /dev/null http://www.example.test/blob || die curl
nsx $p-c curl -4 -sS -o /dev/null http://www.example.test/blob || die curl4
cap_stop_all
stage "$WORK_DIR/$p-bridge.pcap" healthy-bridge-any.pcap pcap-us
stage "$WORK_DIR/$p-client.pcap" healthy-bridge-client.pcapng pcapng
verify healthy --scenario healthy-bridge --cap bridge=healthy-bridge-any.pcap --cap client=healthy-bridge-client.pcapng \
  --topology "client 2001:db8:1::10 / 192.0.2.10 -- bridge host (br0: veth b1, b2) -- server 2001:db8:1::20 / 192.0.2.20 (dnsmasq: www.example.test A+AAAA; python3 http.server); one LAN, MTU 1500; clients: getent ahosts, curl /blob (200 KB over IPv6), curl -4 /blob" \
  --observed "Healthy dual-stack traffic on one LAN: A and AAAA answered together, two 200 KB downloads complete. In the bridge capture (-i any) every packet appears twice, at the same hop limit (once per bridge port)."
publish_staged
