#!/usr/bin/env bash
# Same-port A/AAAA reply drop with other resolver settings and another capture point:
# resolv.conf `options timeout:1 attempts:3`, DNS over IPv4, and ONE long-running process (python3
# calling glibc getaddrinfo() three times, like a server resolving an API name per request) instead
# of one getent per lookup, so glibc's resolver state carries over from one lookup to the next.
# client ── fw ── server(dnsmasq); fw drops the 2nd reply of each UDP 5-tuple (as same-port-drop-aaaa).
# Captured at the client (eth0, pcap µs) and on the firewall itself with `tcpdump -i any`
# (SLL2, every forwarded packet twice; the dropped reply once, inbound only).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
p=${LAB_NS_PREFIX-}spt
topo_dns_fw $p
nsx $p-s sysctl -qw net.ipv6.conf.all.forwarding=0
dnsmasq_start $p-s 198.51.100.53 \
  --host-record=www.example.test,203.0.113.80,2001:db8:3::80 \
  --host-record=api.example.test,203.0.113.81,2001:db8:3::81 \
  --host-record=db.example.test,203.0.113.82,2001:db8:3::82
resolv $p-c "nameserver 198.51.100.53" "options timeout:1 attempts:3"
fw_drop_second_reply $p-f

cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
cap_start $p-f any "$WORK_DIR/$p-router.pcap"
nsx $p-c "$PY" - >"$WORK_DIR/$p-gai.txt" <<'PYEOF'
import socket, time
for name in ('www.example.test', 'api.example.test', 'db.example.test'):
    t0 = time.monotonic()
    addrs = sorted({a[4][0] for a in socket.getaddrinfo(name, 80, proto=socket.IPPROTO_TCP)})
    print(f'{name} {int((time.monotonic() - t0) * 1000)} ms {" ".join(addrs)}', flush=True)
    time.sleep(0.5)
PYEOF
log "getaddrinfo in one process: $(tr '\n' ';' <"$WORK_DIR/$p-gai.txt")"
cap_stop_all
drops=$(nsx $p-f nft list ruleset | sed -n 's/.*counter packets \([0-9]*\) .* drop.*/\1/p' | head -1)
log "firewall dropped $drops replies"
stage "$WORK_DIR/$p-client.pcap" same-port-drop-timeout1-client.pcap pcap-us
stage "$WORK_DIR/$p-router.pcap" same-port-drop-timeout1-router.pcap pcap-us
"$PY" "$LAB_DIR/verify-dns.py" --out "$WORK_DIR/out" same-port-drop-any --scenario same-port-drop-timeout1-router \
  --timeout 1 --fw-drops "$drops" --cap client=same-port-drop-timeout1-client.pcap --cap router=same-port-drop-timeout1-router.pcap \
  --topology "$TOPO_DNS_FW; resolver options timeout:1 attempts:3, DNS over IPv4 to dnsmasq 198.51.100.53; one python3 process calls getaddrinfo() for www, api and db.example.test, 0.5 s apart (glibc resolver state carries over between the calls); client capture on eth0, router capture with tcpdump -i any on the firewall (SLL2)" \
  || die "verification failed"
publish_staged
