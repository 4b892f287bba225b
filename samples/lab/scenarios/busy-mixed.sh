#!/usr/bin/env bash
# A busier capture: ~150 rounds of ordinary lookups and tiny HTTP fetches for 25 healthy names
# (thousands of packets), with two incidents buried in it:
#   - round 50: gslb.example.test, whose AAAA is forwarded by dnsmasq to a GSLB stand-in that never
#     answers AAAA (dnsstub.py --aaaa ignore): glibc waits ~6 s;
#   - round 100: curl http://old.example.test/, whose AAAA (2001:db8:2::99) points at an address no
#     host has any more: the router's neighbour discovery fails; curl's Happy Eyeballs connects over
#     IPv4 after 200 ms, and the router's ICMPv6 address unreachable arrives ~3 s later.
# client ── router ── server (dnsmasq + http.server + GSLB stub). Captured at the client (pcapng).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
p=${LAB_NS_PREFIX-}bzy
topo_dns_fw $p
nsx $p-s sysctl -qw net.ipv6.conf.all.forwarding=0
addr $p-s eth0 2001:db8:2::54/64
stub_dns $p-s --listen 2001:db8:2::54 --aaaa ignore --record gslb.example.test A 198.51.100.53 \
  --record gslb.example.test AAAA 2001:db8:2::53
hr=()
for i in $(seq 0 24); do hr+=("--host-record=$(printf 'host%02d' "$i").example.test,198.51.100.53,2001:db8:2::53"); done
dnsmasq_start $p-s 2001:db8:2::53 "${hr[@]}" --host-record=old.example.test,198.51.100.53,2001:db8:2::99 \
  --server=/gslb.example.test/2001:db8:2::54
http_start $p-s 80
resolv $p-c "nameserver 2001:db8:2::53" "options timeout:2 attempts:2"
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
nsx $p-c bash -c '
for i in $(seq 1 150); do
  n=$(printf "host%02d.example.test" $((i % 25)))
  getent ahosts $n >/dev/null || echo "getent $n failed" >&2
  curl -s -o /dev/null --max-time 5 http://$n/ || echo "curl $n failed" >&2
  if (( i % 10 == 0 )); then dig +short +tries=1 AAAA $n >/dev/null; fi
  if (( i == 50 )); then
    s=$(date +%s%N); getent ahosts gslb.example.test >/dev/null
    echo "gslb lookup $(( ($(date +%s%N) - s) / 1000000 )) ms" >&2
    curl -4 -s -o /dev/null http://gslb.example.test/
  fi
  if (( i == 100 )); then curl -s -o /dev/null -w "old.example.test via %{remote_ip} after %{time_connect} s\n" http://old.example.test/ >&2; fi
done' 2>"$WORK_DIR/$p-client.log"
log "$(tr '\n' ';' <"$WORK_DIR/$p-client.log")"
sleep 3.5   # let the router's late address-unreachable arrive
cap_stop_all
stage "$WORK_DIR/$p-client.pcap" busy-mixed-client.pcapng pcapng
topo="client 2001:db8:1::10 / 192.0.2.10 -- router -- server 2001:db8:2::53 / 198.51.100.53 (dnsmasq: host00..host24.example.test A+AAAA, old.example.test A + stale AAAA 2001:db8:2::99, gslb.example.test forwarded to dnsmasq-stub 2001:db8:2::54 which ignores AAAA; python3 http.server); resolver options timeout:2 attempts:2; 150 rounds of getent ahosts + curl / (40-byte page), dig AAAA every 10th"
verify aaaa-unanswered --name gslb.example.test --scenario busy-mixed --cap client=busy-mixed-client.pcapng --clients 2001:db8:1::10 \
  --topology "$topo" --observed "Thousands of ordinary lookups and fetches, all healthy, except:"
verify --merge fallback --mode unreachable --class happy-eyeballs --v6 2001:db8:2::99 --v4 198.51.100.53 --name old.example.test \
  --scenario busy-mixed --cap client=busy-mixed-client.pcapng --topology "$topo" --observed "Round 100:"
publish_staged
