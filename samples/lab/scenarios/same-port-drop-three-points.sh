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
p=i14t
topo_dns_fw $p
add_auth $p
# the authoritative server is 40 ms away (delayrelay.py on 2001:db8:5::53 in front of dnsmasq on ::54)
addr $p-a eth0 2001:db8:5::54/64
bg $p-a relay-$p "$PY" "$LAB_DIR/delayrelay.py" --listen 2001:db8:5::53 53 --to 2001:db8:5::54 53 --delay-ms 20 >/dev/null
dnsmasq_start $p-a 2001:db8:5::54 \
  --host-record=www.example.test,203.0.113.80,2001:db8:3::80 \
  --host-record=api.example.test,203.0.113.81,2001:db8:3::81
unbound_conf 198.51.100.53 2001:db8:2::53 <<'CONF' | unbound_start $p-s
forward-zone:
  name: "example.test."
  forward-addr: 2001:db8:5::53
CONF
# warm the resolver's cache with the AAAA records only
for n in www.example.test api.example.test; do
  nsx $p-s dig +short +tries=1 +time=2 @198.51.100.53 AAAA $n | grep -q 2001:db8:3:: || die "warm-up $n"
done
resolv $p-c "nameserver 198.51.100.53" "options timeout:2 attempts:2"
fw_drop_second_reply $p-f

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
