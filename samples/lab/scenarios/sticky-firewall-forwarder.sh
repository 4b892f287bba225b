#!/usr/bin/env bash
# The sticky firewall in front of a forwarding resolver: unbound (no cache warm-up) forwards to
# dnsmasq 40 ms away. The first reply on the client's socket passes, every later one is dropped;
# glibc re-asks on the same socket and gets nothing, and the lookup fails. The client allows five
# attempts (options attempts:5); the captures stop 1 s after getent gave up. Captured at the client
# (pcap µs) and on the resolver (pcap ns, its client-facing link only).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
p=${LAB_NS_PREFIX-}h15w
topo_dns_fw $p
add_auth $p
forwarder_to_slow_auth $p --host-record=www.example.test,203.0.113.80,2001:db8:3::80
resolv $p-c "nameserver 198.51.100.53" "options timeout:2 attempts:5"
fw_drop_later_replies $p-f
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
cap_start $p-s eth0 "$WORK_DIR/$p-resolver.pcap" --time-stamp-precision=nano
nsx $p-c getent ahosts www.example.test >"$WORK_DIR/$p-getent.txt" 2>&1 && die "getent succeeded through the sticky firewall"
log "getent ahosts www.example.test failed as designed"
sleep 1
cap_stop_all
drops=$(fw_drops $p)
stage "$WORK_DIR/$p-client.pcap" sticky-firewall-forwarder-client.pcap pcap-us
stage "$WORK_DIR/$p-resolver.pcap" sticky-firewall-forwarder-resolver.pcap pcap-ns
"$PY" "$LAB_DIR/verify-sticky.py" --out "$WORK_DIR/out" sticky --scenario sticky-firewall-forwarder --fw-drops "$drops" --max-tail 3.5 \
  --topology "$TOPO_DNS_FW_STICKY, but the DNS server is unbound 1.17 (caching, empty cache, forwarding example.test to dnsmasq at 2001:db8:5::53 behind it, 40 ms round trip away); resolver options timeout:2 attempts:5, DNS over IPv4 to 198.51.100.53; getent ahosts www.example.test (fails); captures stopped 1 s after getent gave up" \
  --cap client=sticky-firewall-forwarder-client.pcap --cap resolver=sticky-firewall-forwarder-resolver.pcap || die "verification failed"
publish_staged
