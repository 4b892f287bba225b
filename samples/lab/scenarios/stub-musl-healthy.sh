#!/usr/bin/env bash
# Healthy lookups through musl's stub resolver (control), with two nameservers.
# client ── router ── server(dnsmasq on 2001:db8:2::53 and 198.51.100.53)   no filter anywhere.
# musl asks every nameserver at once, from one socket (an IPv6 socket, IPv4 servers as mapped
# addresses), A and AAAA back-to-back, and takes the first answer to each question; the other
# server's answers arrive too and are ignored. Nothing is lost or late. Captured at the client.
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
source "$LAB_DIR/stubs.sh"
p=${LAB_NS_PREFIX-}stmh
lookup=$(musl_lookup)
stub_dns_lab $p none 3 2001:db8:2::53,198.51.100.53 --listen-address=198.51.100.53

cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
nsx $p-c "$lookup" www.example.test api.example.test db.example.test >"$WORK_DIR/$p-lookup.txt" || die "lookup failed: $(cat "$WORK_DIR/$p-lookup.txt")"
log "musl getaddrinfo: $(tr '\n' ';' <"$WORK_DIR/$p-lookup.txt")"
cap_stop_all
stage "$WORK_DIR/$p-client.pcap" stub-musl-healthy-client.pcap pcap-us
"$PY" "$LAB_DIR/verify-stubs.py" --out "$WORK_DIR/out" multi-server --stub musl --servers 2001:db8:2::53,198.51.100.53 \
  --scenario stub-musl-healthy --cap client=stub-musl-healthy-client.pcap \
  --topology "${TOPO_DNS_FW/nftables: 2nd reply per UDP conntrack entry dropped/no filter}; client stub resolver: musl $(musl_version) (stubs/lookup.c built with musl-gcc -static), resolv.conf nameserver 2001:db8:2::53, nameserver 198.51.100.53 (the same dnsmasq), options timeout:2 attempts:2; three lookups (www, api, db.example.test, 0.5 s apart, one process)" \
  || die "verification failed"
publish_staged
