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
p=${LAB_NS_PREFIX-}spb
cached_aaaa_drop_a $p

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
