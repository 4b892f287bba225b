#!/usr/bin/env bash
# Healthy dual-stack traffic (control): client ── router ── server (dnsmasq + python3 http.server),
# every name with working A and AAAA. glibc lookups, curl (Happy Eyeballs, connects over IPv6),
# curl -4, dig, a Python client. Captured at the client (pcapng) and at the router with -i any
# (Linux cooked v2, pcap ns).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
p=${LAB_NS_PREFIX-}hds
topo_dns_fw $p
nsx $p-s sysctl -qw net.ipv6.conf.all.forwarding=0
dnsmasq_start $p-s 2001:db8:2::53 \
  --host-record=www.example.test,198.51.100.53,2001:db8:2::53 \
  --host-record=static.example.test,198.51.100.53,2001:db8:2::53
http_start $p-s 80
resolv $p-c "nameserver 2001:db8:2::53" "options timeout:2 attempts:2"
rm -f "$WORK_DIR/$p-curl.txt"
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
cap_start $p-f any "$WORK_DIR/$p-router.pcap" --time-stamp-precision=nano
nsx $p-c getent ahosts www.example.test >/dev/null || die getent
nsx $p-c curl -sS -o /dev/null -w '%{remote_ip}\n' http://www.example.test/ >>"$WORK_DIR/$p-curl.txt" || die curl
nsx $p-c curl -4 -sS -o /dev/null -w '%{remote_ip}\n' http://static.example.test/small >>"$WORK_DIR/$p-curl.txt" || die curl4
nsx $p-c curl -sS -o /dev/null -w '%{remote_ip}\n' http://static.example.test/blob >>"$WORK_DIR/$p-curl.txt" || die curl-blob
nsx $p-c dig +short AAAA static.example.test >/dev/null
nsx $p-c "$PY" -c 'import socket; s=socket.create_connection(("www.example.test",80)); s.sendall(b"GET / HTTP/1.0\r\n\r\n"); print(s.recv(100)[:15])' >/dev/null || die py
log "curl connected to: $(tr '\n' ' ' <"$WORK_DIR/$p-curl.txt")"
cap_stop_all
stage "$WORK_DIR/$p-client.pcap" healthy-dualstack-client.pcapng pcapng
stage "$WORK_DIR/$p-router.pcap" healthy-dualstack-router.pcap pcap-ns
verify healthy --scenario healthy-dualstack --cap client=healthy-dualstack-client.pcapng --cap router=healthy-dualstack-router.pcap \
  --topology "client 2001:db8:1::10 / 192.0.2.10 -- router -- server 2001:db8:2::53 / 198.51.100.53 (dnsmasq: www/static.example.test A+AAAA; python3 http.server); all MTU 1500; resolver options timeout:2 attempts:2; clients: getent ahosts, curl (HE), curl -4, curl /blob (200 KB over IPv6), dig AAAA, python3 create_connection" \
  --observed "Healthy dual-stack traffic: A and AAAA answered together, curl connects over IPv6 (and IPv4 with -4) at once, a 200 KB download completes. In the router capture (-i any) every forwarded packet appears twice."
publish_staged
