# shellcheck shell=bash
# Neighbour-discovery scenarios: the router's view of an address that is not on its link.
# Built on topo_fallback (client ── router (dnsmasq) ── server); see topo-fallback.sh.
source "$LAB_DIR/topo-fallback.sh"

# topo_arp_failure P: the mirror of topo_fallback's stale AAAA. The server lost its IPv4 address
# (198.51.100.80; the A record stayed) and keeps 2001:db8:21::80; the client prefers IPv4
# (gai.conf precedence ::ffff:0:0/96 100, as some distributions and admins set), so it tries the
# dead IPv4 address first: the router's ARP requests go unanswered, it sends ICMP host unreachable,
# and the client falls back to IPv6.
TOPO_ARP_FAILURE="client 2001:db8:20::10 / 192.0.2.10 (gai.conf: precedence ::ffff:0:0/96 100, IPv4 first) -- router 2001:db8:20::1 / 192.0.2.1 (dnsmasq: www.example.test A 198.51.100.80 (stale) + AAAA 2001:db8:21::80) -- server 2001:db8:21::80 only (python3 http.server); resolver options timeout:2 attempts:2"
topo_arp_failure() {
  local p="$1"
  ns "$p-c"; ns "$p-r"; ns "$p-s"
  link "$p-c" eth0 "$p-r" e0
  link "$p-r" e1 "$p-s" eth0
  addr "$p-c" eth0 2001:db8:20::10/64; addr4 "$p-c" eth0 192.0.2.10/24
  addr "$p-r" e0 2001:db8:20::1/64;    addr4 "$p-r" e0 192.0.2.1/24
  addr "$p-r" e1 2001:db8:21::1/64;    addr4 "$p-r" e1 198.51.100.1/24
  addr "$p-s" eth0 2001:db8:21::80/64
  route6 "$p-c" default via 2001:db8:20::1; route "$p-c" default via 192.0.2.1
  route6 "$p-s" default via 2001:db8:21::1
  nsx "$p-c" sysctl -qw net.ipv6.conf.all.forwarding=0 net.ipv4.ip_forward=0
  nsx "$p-s" sysctl -qw net.ipv6.conf.all.forwarding=0 net.ipv4.ip_forward=0
  dnsmasq_start "$p-r" 2001:db8:20::1 --host-record=www.example.test,198.51.100.80,2001:db8:21::80
  resolv "$p-c" "nameserver 2001:db8:20::1" "options timeout:2 attempts:2"
  printf 'precedence ::1/128 50\nprecedence ::/0 40\nprecedence 2002::/16 30\nprecedence ::/96 20\nprecedence ::ffff:0:0/96 100\n' \
    >"/etc/netns/$p-c/gai.conf"
  http_start "$p-s" 80
  nsx "$p-c" ping -c1 -W1 2001:db8:21::80 >/dev/null && nsx "$p-c" ping -c1 -W1 192.0.2.1 >/dev/null \
    || die "topology $p: no connectivity"
}
