#!/usr/bin/env bash
# RFC 6303 control: unbound with its defaults serves d.f.ip6.arpa locally (NXDOMAIN at once);
# nothing goes upstream. Captured at the resolver (-i any, cooked v2, pcapng) and at the client (pcap ns).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
source "$LAB_DIR/topo-leak.sh"
p=${LAB_NS_PREFIX-}lkc
topo_leak $p
unbound_conf fd00:1::53 192.0.2.53 <<'CONF' | unbound_start $p-r

forward-zone:
  name: "."
  forward-addr: 2001:db8:31::1
CONF
cap_start $p-r any "$WORK_DIR/$p-resolver.pcap"
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap" --time-stamp-precision=nano
leak_lookups $p
cap_stop_all
stage "$WORK_DIR/$p-resolver.pcap" rfc6303-control-resolver.pcapng pcapng
stage "$WORK_DIR/$p-client.pcap" rfc6303-control-client.pcap pcap-ns
verify leak --expect local --scenario rfc6303-control --topology "$TOPO_LEAK; unbound defaults (d.f.ip6.arpa served locally)" \
  --cap resolver=rfc6303-control-resolver.pcapng --cap client=rfc6303-control-client.pcap
publish_staged
