#!/usr/bin/env bash
# musl with a dead first nameserver (control): musl asks every nameserver at once and takes the
# first answer, so a silent nameserver costs it nothing (glibc would wait its timeout on it first).
# client ── fw ── server   dnsmasq answers on 2001:db8:2::53; the fw silently drops DNS to
# 2001:db8:2::54, the first nameserver in resolv.conf. The queries to it stay unanswered for good,
# while every lookup is answered within a millisecond: no slow lookup, no unanswered AAAA.
# Captured at the client; the capture runs on for 3 s after the last lookup.
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
source "$LAB_DIR/stubs.sh"
p=${LAB_NS_PREFIX-}stmz
lookup=$(musl_lookup)
stub_dns_lab $p none 3 2001:db8:2::54,2001:db8:2::53
# the dead nameserver: an address of the DNS server where nothing listens, its queries dropped
addr $p-s eth0 2001:db8:2::54/64
nsx $p-f nft -f - <<'NFT'
table inet lab {
  chain forward_filter {
    type filter hook forward priority 0; policy accept;
    ip6 daddr 2001:db8:2::54 udp dport 53 counter drop
  }
}
NFT

cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
nsx $p-c "$lookup" www.example.test api.example.test db.example.test >"$WORK_DIR/$p-lookup.txt" || die "lookup failed: $(cat "$WORK_DIR/$p-lookup.txt")"
log "musl getaddrinfo: $(tr '\n' ';' <"$WORK_DIR/$p-lookup.txt")"
sleep 3
cap_stop_all
awk '{ if ($2 > 100) exit 1 }' "$WORK_DIR/$p-lookup.txt" || die "a lookup took over 100 ms: $(cat "$WORK_DIR/$p-lookup.txt")"
drops=$(fw_drops $p)
((drops == 6)) || die "the fw dropped $drops queries to the dead nameserver, not 6 (3 names × A, AAAA)"
stage "$WORK_DIR/$p-client.pcap" stub-musl-dead-nameserver-client.pcap pcap-us
"$PY" "$LAB_DIR/verify-stubs.py" --out "$WORK_DIR/out" multi-server --stub musl --servers 2001:db8:2::54,2001:db8:2::53 \
  --silent 2001:db8:2::54 --scenario stub-musl-dead-nameserver --cap client=stub-musl-dead-nameserver-client.pcap \
  --topology "${TOPO_DNS_FW/nftables: 2nd reply per UDP conntrack entry dropped/nftables: every query to 2001:db8:2::54 dropped}; the DNS server also holds 2001:db8:2::54, where nothing answers; client stub resolver: musl $(musl_version) (stubs/lookup.c built with musl-gcc -static), resolv.conf nameserver 2001:db8:2::54 (dead), nameserver 2001:db8:2::53, options timeout:2 attempts:2; three lookups (www, api, db.example.test, 0.5 s apart, one process); capture stopped 3 s after the last" \
  || die "verification failed"
publish_staged
