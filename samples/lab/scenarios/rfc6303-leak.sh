#!/usr/bin/env bash
# RFC 6303 leak: unbound told `local-zone: "d.f.ip6.arpa." nodefault`, so reverse lookups of ULA
# addresses are forwarded to an upstream that never answers; the client times out. Captured at
# the resolver with `tcpdump -i any -y LINUX_SLL` (cooked v1; client leg and upstream leg in one
# file) and at the client (pcap µs).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
source "$LAB_DIR/topo-leak.sh"
p=${LAB_NS_PREFIX-}lkl
topo_leak $p
unbound_conf fd00:1::53 192.0.2.53 <<'CONF' | unbound_start $p-r
  local-zone: "d.f.ip6.arpa." nodefault
forward-zone:
  name: "."
  forward-addr: 2001:db8:31::1
CONF
cap_start $p-r any "$WORK_DIR/$p-resolver.pcap" -y LINUX_SLL
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
leak_lookups $p
cap_stop_all
stage "$WORK_DIR/$p-resolver.pcap" rfc6303-leak-resolver.pcap pcap-us
stage "$WORK_DIR/$p-client.pcap" rfc6303-leak-client.pcap pcap-us
verify leak --expect leak --scenario rfc6303-leak --topology "$TOPO_LEAK; unbound: local-zone: \"d.f.ip6.arpa.\" nodefault" \
  --cap resolver=rfc6303-leak-resolver.pcap --cap client=rfc6303-leak-client.pcap
publish_staged
