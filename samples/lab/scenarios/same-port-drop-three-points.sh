#!/usr/bin/env bash
# Same-port A/AAAA reply drop seen from three points at once: the client, the resolver and the
# authoritative server behind it. client ── fw ── resolver (unbound, caching) ── auth (dnsmasq,
# 40 ms round trip away behind delayrelay.py). As in same-port-drop-a: the AAAA records are cached,
# so the cached AAAA reply leaves first and the A reply, which waits for the authoritative server,
# is the second reply of the 5-tuple: the firewall between client and resolver drops it. The
# authoritative server's capture shows the resolver's A queries answered at once — nothing is lost
# between resolver and server — so `correlate` must place the loss between resolver and client and
# claim none upstream. Captured together: the client with `tcpdump -i any` (Linux cooked v2, pcap
# µs), the resolver with `-i any -y LINUX_SLL` (cooked v1, pcap ns), the authoritative server on its
# one interface (Ethernet, pcapng).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
p=${LAB_NS_PREFIX-}i14t
cached_aaaa_drop_a $p

cap_start $p-c any "$WORK_DIR/$p-client.pcap"
cap_start $p-s any "$WORK_DIR/$p-resolver.pcap" -y LINUX_SLL --time-stamp-precision=nano
cap_start $p-a eth0 "$WORK_DIR/$p-server.pcap"
for name in www.example.test api.example.test; do
  t0=$(date +%s%N)
  nsx $p-c getent ahosts "$name" >"$WORK_DIR/$p-getent-$name.txt" || die "getent $name failed"
  log "getent ahosts $name: $(( ($(date +%s%N) - t0) / 1000000 )) ms, $(awk '{print $1}' "$WORK_DIR/$p-getent-$name.txt" | sort -u | tr '\n' ' ')"
  sleep 0.5
done
cap_stop_all
[[ $(nsx $p-f nft list ruleset) =~ counter\ packets\ [1-9] ]] || die "the firewall's drop rule never fired"
stage "$WORK_DIR/$p-client.pcap" same-port-drop-three-points-client.pcap pcap-us
stage "$WORK_DIR/$p-resolver.pcap" same-port-drop-three-points-resolver.pcap pcap-ns
stage "$WORK_DIR/$p-server.pcap" same-port-drop-three-points-server.pcapng pcapng
topo="$TOPO_DNS_FW, but the DNS server is unbound 1.17 (caching, forwarding example.test to the authoritative dnsmasq at 2001:db8:5::53 behind it, 40 ms round trip away) with the AAAA records already cached; resolver options timeout:2 attempts:2, DNS over IPv4 to 198.51.100.53; two lookups (getent ahosts www.example.test, api.example.test); captured at the same time at the client (tcpdump -i any, SLL2), the resolver (-i any, SLL) and the authoritative server (eth0, Ethernet)"
verify same-port-drop --lost A --scenario same-port-drop-three-points \
  --cap client=same-port-drop-three-points-client.pcap --cap resolver=same-port-drop-three-points-resolver.pcap \
  --topology "$topo"
verify dns-healthy --scenario same-port-drop-three-points --cap server=same-port-drop-three-points-server.pcapng \
  --topology "$topo" \
  --observed "The authoritative server's side: the resolver's upstream A queries (the AAAA answers came from its cache) arrive and are answered after the relay's 40 ms; no firewall is on this stretch, so nothing between resolver and server is lost."
publish_staged
