#!/usr/bin/env bash
# Same-port A/AAAA reply drop: the control with `options single-request-reopen`.
# Same lab as same-port-drop-aaaa (firewall dropping the 2nd reply of each UDP 5-tuple), but glibc
# is told to use a new socket per query: the drop rule never fires and the lookups are fast.
# client ── fw ── server(dnsmasq)   fw: nftables conntrack mark drops the 2nd reply of each UDP 5-tuple.
# Captured at the client, written as pcapng.
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
p=${LAB_NS_PREFIX-}spr
topo_dns_fw $p
nsx $p-s sysctl -qw net.ipv6.conf.all.forwarding=0
dnsmasq_start $p-s 2001:db8:2::53 \
  --host-record=www.example.test,203.0.113.80,2001:db8:3::80 \
  --host-record=api.example.test,203.0.113.81,2001:db8:3::81
resolv $p-c "nameserver 2001:db8:2::53" "options single-request-reopen timeout:2 attempts:2"
fw_drop_second_reply $p-f

cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
for name in www.example.test api.example.test; do
  t0=$(date +%s%N)
  nsx $p-c getent ahosts "$name" >"$WORK_DIR/$p-getent-$name.txt" || die "getent $name failed"
  log "getent ahosts $name: $(( ($(date +%s%N) - t0) / 1000000 )) ms, $(awk '{print $1}' "$WORK_DIR/$p-getent-$name.txt" | sort -u | tr '\n' ' ')"
  sleep 0.5
done
cap_stop_all
[[ $(nsx $p-f nft list ruleset) =~ counter\ packets\ 0\  ]] || die "the drop rule fired"
stage "$WORK_DIR/$p-client.pcap" same-port-drop-reopen-client.pcapng pcapng
verify dns-healthy --expect-reopen --scenario same-port-drop-reopen --cap client=same-port-drop-reopen-client.pcapng \
  --topology "$TOPO_DNS_FW; resolver options single-request-reopen timeout:2 attempts:2, DNS over IPv6 to dnsmasq 2001:db8:2::53; two lookups (getent ahosts www.example.test, api.example.test)" \
  --observed "With single-request-reopen glibc 2.36 asked A, waited for its answer, then asked AAAA from a new source port; the firewall's second-reply drop rule never matched (counter 0) and both lookups took a few ms."
publish_staged
