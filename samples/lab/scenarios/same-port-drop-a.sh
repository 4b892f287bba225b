#!/usr/bin/env bash
# Same-port A/AAAA reply drop, A reply lost.
# client ── fw ── resolver (unbound, caching) ── auth (dnsmasq)
# The resolver already has the AAAA in its cache (asked once before the capture), so the AAAA
# reply leaves first and the A reply, which needs a trip to the authoritative server, is the
# second reply of the 5-tuple: the firewall drops it. The authoritative server sits 40 ms (round
# trip) away behind a userspace delay relay, so the cached AAAA reply leaves long before the A reply. DNS over IPv4. Captured with `tcpdump -i any`
# at the client (Linux cooked v2) and at the resolver (`-y LINUX_SLL`, cooked v1, pcap ns).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
p=spb
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
for name in www.example.test api.example.test; do
  t0=$(date +%s%N)
  nsx $p-c getent ahosts "$name" >"$WORK_DIR/$p-getent-$name.txt" || die "getent $name failed"
  log "getent ahosts $name: $(( ($(date +%s%N) - t0) / 1000000 )) ms, $(awk '{print $1}' "$WORK_DIR/$p-getent-$name.txt" | sort -u | tr '\n' ' ')"
  sleep 0.5
done
cap_stop_all
stage "$WORK_DIR/$p-client.pcap" same-port-drop-a-client.pcap pcap-us
stage "$WORK_DIR/$p-resolver.pcap" same-port-drop-a-resolver.pcap pcap-ns
verify same-port-drop --lost A --scenario same-port-drop-a \
  --cap client=same-port-drop-a-client.pcap --cap resolver=same-port-drop-a-resolver.pcap \
  --topology "$TOPO_DNS_FW, but the DNS server is unbound 1.17 (caching, forwarding example.test to dnsmasq at 2001:db8:5::53 behind it, 40 ms round trip away) with the AAAA records already cached; resolver options timeout:2 attempts:2, DNS over IPv4 to 198.51.100.53; two lookups (getent ahosts www.example.test, api.example.test); captures with tcpdump -i any (client: SLL2, resolver: SLL)"
publish_staged
