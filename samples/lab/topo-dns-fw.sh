# shellcheck shell=bash
# topo_dns_fw P: three namespaces P-c (client) ── P-f (stateful firewall/router) ── P-s (DNS server)
#   P-c eth0  2001:db8:1::10/64  192.0.2.10/24      default via P-f
#   P-f f0    2001:db8:1::1/64   192.0.2.1/24
#   P-f f1    2001:db8:2::1/64   198.51.100.1/24
#   P-s eth0  2001:db8:2::53/64  198.51.100.53/24   default via P-f
TOPO_DNS_FW="client 2001:db8:1::10/192.0.2.10 (eth0) -- fw router (nftables: 2nd reply per UDP conntrack entry dropped) -- DNS server 2001:db8:2::53/198.51.100.53 (dnsmasq); all links Ethernet veth MTU 1500"
topo_dns_fw() {
  local p="$1"
  ns "$p-c"; ns "$p-f"; ns "$p-s"
  link "$p-c" eth0 "$p-f" f0
  link "$p-f" f1 "$p-s" eth0
  addr "$p-c" eth0 2001:db8:1::10/64; addr4 "$p-c" eth0 192.0.2.10/24
  addr "$p-f" f0 2001:db8:1::1/64;    addr4 "$p-f" f0 192.0.2.1/24
  addr "$p-f" f1 2001:db8:2::1/64;    addr4 "$p-f" f1 198.51.100.1/24
  addr "$p-s" eth0 2001:db8:2::53/64; addr4 "$p-s" eth0 198.51.100.53/24
  route6 "$p-c" default via 2001:db8:1::1; route "$p-c" default via 192.0.2.1
  route6 "$p-s" default via 2001:db8:2::1; route "$p-s" default via 198.51.100.1
  nsx "$p-c" sysctl -qw net.ipv6.conf.all.forwarding=0 net.ipv4.ip_forward=0
  # neighbours resolved before the captures start, so captures hold the incident, not ND noise
  nsx "$p-c" ping -c1 -W1 2001:db8:2::53 >/dev/null && nsx "$p-c" ping -c1 -W1 198.51.100.53 >/dev/null \
    || die "topology $p: no connectivity"
}
# fw_drop_second_reply NS: the broken stateful firewall. Per conntrack entry (UDP 5-tuple) the
# first reply from port 53 passes and marks the entry, the second reply is dropped, later ones pass
# (a retransmitted query gets its answer) — like a firewall that closes a UDP "session" after one reply.
fw_drop_second_reply() {
  nsx "$1" nft -f - <<'NFT'
table inet lab {
  chain forward_filter {
    type filter hook forward priority 0; policy accept;
    udp sport 53 ct direction reply ct mark 0x0 ct mark set 0x1 accept
    udp sport 53 ct direction reply ct mark 0x1 ct mark set 0x2 counter drop
  }
}
NFT
}

# add_auth P: a fourth namespace P-a behind the DNS server namespace, for a recursive/forwarding
# resolver on P-s:  P-s eth1 2001:db8:5::1/64 203.0.113.1/24 ── P-a eth0 2001:db8:5::53/64 203.0.113.53/24
add_auth() {
  local p="$1"
  ns "$p-a"
  link "$p-s" eth1 "$p-a" eth0
  addr "$p-s" eth1 2001:db8:5::1/64;  addr4 "$p-s" eth1 203.0.113.1/24
  addr "$p-a" eth0 2001:db8:5::53/64; addr4 "$p-a" eth0 203.0.113.53/24
  route6 "$p-a" default via 2001:db8:5::1; route "$p-a" default via 203.0.113.1
  nsx "$p-s" ping -c1 -W1 2001:db8:5::53 >/dev/null || die "topology $p: auth unreachable"
}
# forwarder_to_slow_auth P DNSMASQ_ARGS...: after add_auth P, the authoritative server 40 ms (round
# trip) away — delayrelay.py on 2001:db8:5::53 in front of dnsmasq (answering from DNSMASQ_ARGS) on
# ::54 — and unbound on P-s (198.51.100.53, 2001:db8:2::53) forwarding example.test to it.
forwarder_to_slow_auth() {
  local p="$1"; shift
  addr "$p-a" eth0 2001:db8:5::54/64
  bg "$p-a" "relay-$p" "$PY" "$LAB_DIR/delayrelay.py" --listen 2001:db8:5::53 53 --to 2001:db8:5::54 53 --delay-ms 20 >/dev/null
  dnsmasq_start "$p-a" 2001:db8:5::54 "$@"
  unbound_conf 198.51.100.53 2001:db8:2::53 <<'CONF' | unbound_start "$p-s"
forward-zone:
  name: "example.test."
  forward-addr: 2001:db8:5::53
CONF
}
# cached_aaaa_drop_a P: the A-reply drop of the same-port-drop-a scenarios, set up and armed.
# topo_dns_fw + add_auth + forwarder_to_slow_auth for www.example.test and api.example.test; the
# resolver's cache warmed with their AAAA records only, so a lookup's cached AAAA reply leaves
# first and its A reply, which waits for the authoritative server, is the 5-tuple's second reply:
# fw_drop_second_reply on P-f drops it. The client asks 198.51.100.53 (timeout:2 attempts:2).
cached_aaaa_drop_a() {
  local p="$1" n
  topo_dns_fw "$p"
  add_auth "$p"
  forwarder_to_slow_auth "$p" \
    --host-record=www.example.test,203.0.113.80,2001:db8:3::80 \
    --host-record=api.example.test,203.0.113.81,2001:db8:3::81
  for n in www.example.test api.example.test; do
    nsx "$p-s" dig +short +tries=1 +time=2 @198.51.100.53 AAAA "$n" | grep -q 2001:db8:3:: || die "warm-up $n"
  done
  resolv "$p-c" "nameserver 198.51.100.53" "options timeout:2 attempts:2"
  fw_drop_second_reply "$p-f"
}
# unbound_conf LISTEN...: an unbound server: section for the lab (no chroot, no DNSSEC, short logs);
# extra lines are read from stdin and appended.
unbound_conf() {
  echo "server:"
  local l
  for l in "$@"; do echo "  interface: $l"; done
  cat <<'CONF'
  port: 53
  do-ip4: yes
  do-ip6: yes
  do-udp: yes
  do-tcp: yes
  access-control: 0.0.0.0/0 allow
  access-control: ::/0 allow
  chroot: ""
  username: ""
  directory: ""
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 1
  log-queries: yes
  module-config: "iterator"
  num-threads: 1
  so-reuseport: no
  qname-minimisation: no
  prefetch: no
  harden-referral-path: no
  minimal-responses: yes
  local-zone: "test." nodefault
CONF
  cat
  printf 'remote-control:\n  control-enable: no\n'
}

# dnsmasq_big_answer P DNSMASQ_ARGS...: dnsmasq on P-s answering AAAA big.example.test with 70
# records (~2 KB, over any EDNS buffer a stub offers) and A with one, for the large-answer scenarios.
dnsmasq_big_answer() {
  local p="$1"; shift
  local recs=() i
  for i in $(seq 1 70); do recs+=(--host-record=big.example.test,2001:db8:99::$(printf '%x' "$i")); done
  dnsmasq_start "$p-s" 2001:db8:2::53 "$@" --host-record=big.example.test,198.51.100.80 "${recs[@]}"
}

# fw_drop_later_replies NS: the sticky firewall. Per conntrack entry (UDP 5-tuple) the first reply
# from port 53 passes and every later one is dropped, as by a firewall that closes a UDP "session"
# after its first reply and never opens it again for the same 5-tuple.
fw_drop_later_replies() {
  nsx "$1" nft -f - <<'NFT'
table inet lab {
  chain forward_filter {
    type filter hook forward priority 0; policy accept;
    udp sport 53 ct direction reply ct mark 0x0 ct mark set 0x1 accept
    udp sport 53 ct direction reply ct mark 0x1 counter drop
  }
}
NFT
}

# stub_dns_lab P FW N NAMESERVERS [DNSMASQ_ARG...]: the set-up the sticky-firewall and stub-* scenarios
# share. topo_dns_fw P with the DNS server not forwarding (it answers as itself only); dnsmasq on
# P-s 2001:db8:2::53 answering the first N of www, api, db.example.test (203.0.113.80/81/82,
# 2001:db8:3::80/81/82) and DNSMASQ_ARGs; the client's resolv.conf naming NAMESERVERS (comma
# separated, in that order) with options timeout:2 attempts:2; and on P-f the firewall FW:
# second-reply (fw_drop_second_reply), later-replies (fw_drop_later_replies) or none.
stub_dns_lab() {
  local p="$1" fw="$2" n="$3" servers="$4"; shift 4
  local records=() lines=() i
  local names=(www api db)
  ((n >= 1 && n <= ${#names[@]})) || die "stub_dns_lab: $n names (1 to ${#names[@]})"
  for ((i = 0; i < n; i++)); do records+=("--host-record=${names[i]}.example.test,203.0.113.8$i,2001:db8:3::8$i"); done
  IFS=, read -ra lines <<<"$servers"
  for i in "${!lines[@]}"; do lines[i]="nameserver ${lines[i]}"; done
  topo_dns_fw "$p"
  nsx "$p-s" sysctl -qw net.ipv6.conf.all.forwarding=0
  dnsmasq_start "$p-s" 2001:db8:2::53 "$@" "${records[@]}"
  resolv "$p-c" "${lines[@]}" "options timeout:2 attempts:2"
  case "$fw" in
    second-reply) fw_drop_second_reply "$p-f" ;;
    later-replies) fw_drop_later_replies "$p-f" ;;
    none) ;;
    *) die "stub_dns_lab: firewall $fw (second-reply, later-replies or none)" ;;
  esac
}
# TOPO_DNS_FW_STICKY: TOPO_DNS_FW with fw_drop_later_replies' rule, for the expected files.
TOPO_DNS_FW_STICKY="${TOPO_DNS_FW/2nd reply per UDP conntrack entry dropped/every reply after the first per UDP conntrack entry dropped}"
# fw_drops P: the packets P-f's nftables drop rule counted (read after the lookups, for verify).
fw_drops() { nsx "$1-f" nft list ruleset | sed -n 's/.*counter packets \([0-9]\+\).*drop.*/\1/p'; }

# sticky_lookup P NAME OUT: getent ahosts NAME in the background, with a ping to the router every
# 200 ms as other traffic; the captures are stopped 1 s after the client's last query (the lookup is still waiting for its answer, as when someone stops
# a capture right after the error appears), then getent must have failed.
sticky_lookup() {
  local p="$1" name="$2" out="$3" pid
  # other traffic on the client's link, as on any real host: a ping to its router every 200 ms
  bg "$p-c" "ping-$p" ping -n -i 0.2 192.0.2.1 >/dev/null
  ip netns exec "$p-c" getent ahosts "$name" >"$out" 2>&1 &
  pid=$!
  LAB_PIDS+=("$pid")
  # timeout:2 attempts:2 → the client's queries leave at about 0 and 2 s (glibc); stop at 3 s
  sleep 3
  cap_stop_all
  if wait "$pid"; then die "getent $name succeeded through the sticky firewall: $(cat "$out")"; fi
  log "getent ahosts $name failed as designed (after the capture ended)"
}
