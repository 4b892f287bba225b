# shellcheck shell=bash
# topo_fallback P MODE: client ── router (dnsmasq) ── server that lost its IPv6 address.
#   P-c eth0 2001:db8:20::10/64 192.0.2.10/24
#   P-r e0   2001:db8:20::1/64  192.0.2.1/24      dnsmasq: www.example.test A 198.51.100.80, AAAA 2001:db8:21::80
#   P-r e1   2001:db8:21::1/64  198.51.100.1/24
#   P-s eth0 198.51.100.80/24 only (2001:db8:21::80 was removed; the AAAA stayed), python3 http.server :80
# MODE: unreachable — nothing filters: the router's neighbour discovery for 2001:db8:21::80 fails
#                     and it answers ICMPv6 address unreachable;
#       drop        — the router's nftables silently drops TCP to 2001:db8:21::80;
#       rst         — the router's nftables answers such SYNs with a TCP reset.
TOPO_FALLBACK="client 2001:db8:20::10 / 192.0.2.10 -- router 2001:db8:20::1 (dnsmasq: www.example.test A 198.51.100.80 + stale AAAA 2001:db8:21::80) -- server 198.51.100.80 only (python3 http.server); resolver options timeout:2 attempts:2; client tcp_syn_retries=2, tcp_syn_linear_timeouts=0"
topo_fallback() {
  local p="$1" mode="$2"
  ns "$p-c"; ns "$p-r"; ns "$p-s"
  link "$p-c" eth0 "$p-r" e0
  link "$p-r" e1 "$p-s" eth0
  addr "$p-c" eth0 2001:db8:20::10/64; addr4 "$p-c" eth0 192.0.2.10/24
  addr "$p-r" e0 2001:db8:20::1/64;    addr4 "$p-r" e0 192.0.2.1/24
  addr "$p-r" e1 2001:db8:21::1/64;    addr4 "$p-r" e1 198.51.100.1/24
  addr4 "$p-s" eth0 198.51.100.80/24
  route6 "$p-c" default via 2001:db8:20::1; route "$p-c" default via 192.0.2.1
  route "$p-s" default via 198.51.100.1
  nsx "$p-c" sysctl -qw net.ipv6.conf.all.forwarding=0 net.ipv4.ip_forward=0
  nsx "$p-s" sysctl -qw net.ipv6.conf.all.forwarding=0 net.ipv4.ip_forward=0
  dnsmasq_start "$p-r" 2001:db8:20::1 --host-record=www.example.test,198.51.100.80,2001:db8:21::80
  resolv "$p-c" "nameserver 2001:db8:20::1" "options timeout:2 attempts:2"
  http_start "$p-s" 80
  case "$mode" in
    unreachable) ;;
    drop|rst)
      local verdict=drop
      [[ $mode == rst ]] && verdict="reject with tcp reset"
      nsx "$p-r" nft -f - <<NFT
table inet lab {
  chain forward_filter {
    type filter hook forward priority 0; policy accept;
    ip6 daddr 2001:db8:21::80 tcp dport 80 counter $verdict
  }
}
NFT
      ;;
    *) die "mode $mode" ;;
  esac
  nsx "$p-c" ping -c1 -W1 198.51.100.80 >/dev/null && nsx "$p-c" ping -c1 -W1 2001:db8:20::1 >/dev/null \
    || die "topology $p: no connectivity"
}
# a client that tries the addresses one after the other (no Happy Eyeballs): Python's
# socket.create_connection walks getaddrinfo()'s list (IPv6 first) and waits for each connect().
seq_client() {
  local p="$1"
  nsx "$p-c" "$PY" -c '
import socket, time, sys
t0 = time.monotonic()
s = socket.create_connection(("www.example.test", 80))
s.sendall(b"GET / HTTP/1.0\r\nHost: www.example.test\r\n\r\n")
data = b""
while True:
    b = s.recv(4096)
    if not b: break
    data += b
print("connected to %s after %.3f s, %d bytes" % (s.getpeername()[0], time.monotonic() - t0, len(data)))
' >"$WORK_DIR/$p-client.txt" 2>&1 || die "client failed: $(cat "$WORK_DIR/$p-client.txt")"
  log "python create_connection: $(cat "$WORK_DIR/$p-client.txt")"
}
