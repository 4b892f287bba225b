#!/usr/bin/env bash
# Control for the server-side view of dns.same_port_reply_drop: clients that ask again on purpose.
# No firewall drops anything. A caching stub (lab/reask-client.py) asks A and AAAA together from
# one socket and, each time the 2 s TTL has expired, asks again on the same socket under new ids;
# glibc (getent ahosts) looks the same name up three times, 2.2 s apart. Captured at the server.
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
p=${LAB_NS_PREFIX-}h15r
topo_dns_fw $p
nsx $p-s sysctl -qw net.ipv6.conf.all.forwarding=0
dnsmasq_start $p-s 2001:db8:2::53 --host-record=www.example.test,203.0.113.80,2001:db8:3::80,2
resolv $p-c "nameserver 2001:db8:2::53" "options timeout:2 attempts:2"
cap_start $p-s eth0 "$WORK_DIR/$p-server.pcap" --time-stamp-precision=nano
nsx $p-c "$PY" "$LAB_DIR/reask-client.py" 2001:db8:2::53 www.example.test 3 >"$WORK_DIR/$p-reask.txt" || die "reask-client failed"
log "reask-client: $(tr '\n' ' ' <"$WORK_DIR/$p-reask.txt")"
for i in 1 2 3; do
  nsx $p-c getent ahosts www.example.test >/dev/null || die "getent failed"
  sleep 2.2
done
cap_stop_all
stage "$WORK_DIR/$p-server.pcap" same-port-reask-control-server.pcap pcap-ns
verify dns-healthy --scenario same-port-reask-control \
  --observed "A caching stub asks A and AAAA together from one socket and asks again on the same socket under new ids each time the 2 s TTL expired; glibc looks the name up three times, 2.2 s apart (a new socket each time). Nothing is lost: nothing is asked again under the same id." \
  --must-not dns.same_port_reply_drop,dns.aaaa_unanswered,dns.local_zone_leak \
  --topology "$TOPO_DNS_FW, but no nftables rule drops anything; dnsmasq host-record TTL 2 s; clients: lab/reask-client.py (3 rounds on one socket), then getent ahosts www.example.test 3 times" \
  --cap server=same-port-reask-control-server.pcap
publish_staged
