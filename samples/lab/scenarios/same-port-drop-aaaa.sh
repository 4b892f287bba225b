#!/usr/bin/env bash
# Same-port A/AAAA reply drop, AAAA reply lost.
# client ── fw ── server(dnsmasq)   fw: nftables conntrack mark drops the 2nd reply of each UDP 5-tuple.
# glibc sends A and AAAA back-to-back from one socket; dnsmasq answers A first, so AAAA is the
# second reply and is dropped. Captured at the client (pcap µs) and at the server (pcap ns).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
p=${LAB_NS_PREFIX-}spa
topo_dns_fw $p
nsx $p-s sysctl -qw net.ipv6.conf.all.forwarding=0
dnsmasq_start $p-s 2001:db8:2::53 \
  --host-record=www.example.test,203.0.113.80,2001:db8:3::80 \
  --host-record=api.example.test,203.0.113.81,2001:db8:3::81
resolv $p-c "nameserver 2001:db8:2::53" "options timeout:2 attempts:2"
fw_drop_second_reply $p-f

cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
cap_start $p-s eth0 "$WORK_DIR/$p-server.pcap" --time-stamp-precision=nano
for name in www.example.test api.example.test; do
  t0=$(date +%s%N)
  nsx $p-c getent ahosts "$name" >"$WORK_DIR/$p-getent-$name.txt" || die "getent $name failed"
  log "getent ahosts $name: $(( ($(date +%s%N) - t0) / 1000000 )) ms, $(awk '{print $1}' "$WORK_DIR/$p-getent-$name.txt" | sort -u | tr '\n' ' ')"
  sleep 0.5
done
cap_stop_all
nsx $p-f nft list ruleset >"$WORK_DIR/$p-nft.txt"
stage "$WORK_DIR/$p-client.pcap" same-port-drop-aaaa-client.pcap pcap-us
stage "$WORK_DIR/$p-server.pcap" same-port-drop-aaaa-server.pcap pcap-ns
verify same-port-drop --lost AAAA --scenario same-port-drop-aaaa \
  --cap client=same-port-drop-aaaa-client.pcap --cap server=same-port-drop-aaaa-server.pcap \
  --topology "$TOPO_DNS_FW; resolver options timeout:2 attempts:2, DNS over IPv6 to dnsmasq 2001:db8:2::53; two lookups (getent ahosts www.example.test, api.example.test)"
publish_staged
