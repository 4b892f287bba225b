# shellcheck shell=bash
# topo_pmtud P: client ── r1 ══ r2 ── server, link MTUs 1500 / 1280 / 1500.
#   P-c  eth0 2001:db8:10::10/64 192.0.2.10/24            (MTU 1500)
#   P-r1 e0   2001:db8:10::1/64  192.0.2.1/24             (MTU 1500)
#   P-r1 e1   2001:db8:11::1/64  198.51.100.1/24          (MTU 1280)
#   P-r2 e0   2001:db8:11::2/64  198.51.100.2/24          (MTU 1280)
#   P-r2 e1   2001:db8:12::1/64  203.0.113.1/24           (MTU 1500)
#   P-s  eth0 2001:db8:12::80/64 203.0.113.80/24          (MTU 1500), python3 http.server :80
# Bulk data flows server → client, so r2 is the router that must send Packet Too Big to the server.
TOPO_PMTUD="client 2001:db8:10::10 / 192.0.2.10 -- (1500) -- r1 -- (1280) -- r2 -- (1500) -- server 2001:db8:12::80 / 203.0.113.80 (python3 http.server, GET /blob = 204800 bytes); client: curl 7.88"
topo_pmtud() {
  local p="$1"
  ns "$p-c"; ns "$p-r1"; ns "$p-r2"; ns "$p-s"
  link "$p-c" eth0 "$p-r1" e0 1500
  link "$p-r1" e1 "$p-r2" e0 1280
  link "$p-r2" e1 "$p-s" eth0 1500
  addr "$p-c" eth0 2001:db8:10::10/64;  addr4 "$p-c" eth0 192.0.2.10/24
  addr "$p-r1" e0 2001:db8:10::1/64;    addr4 "$p-r1" e0 192.0.2.1/24
  addr "$p-r1" e1 2001:db8:11::1/64;    addr4 "$p-r1" e1 198.51.100.1/24
  addr "$p-r2" e0 2001:db8:11::2/64;    addr4 "$p-r2" e0 198.51.100.2/24
  addr "$p-r2" e1 2001:db8:12::1/64;    addr4 "$p-r2" e1 203.0.113.1/24
  addr "$p-s" eth0 2001:db8:12::80/64;  addr4 "$p-s" eth0 203.0.113.80/24
  route6 "$p-c" default via 2001:db8:10::1;  route "$p-c" default via 192.0.2.1
  route6 "$p-r1" default via 2001:db8:11::2; route "$p-r1" default via 198.51.100.2
  route6 "$p-r2" default via 2001:db8:11::1; route "$p-r2" default via 198.51.100.1
  route6 "$p-s" default via 2001:db8:12::1;  route "$p-s" default via 203.0.113.1
  nsx "$p-c" sysctl -qw net.ipv6.conf.all.forwarding=0 net.ipv4.ip_forward=0
  nsx "$p-s" sysctl -qw net.ipv6.conf.all.forwarding=0 net.ipv4.ip_forward=0
  # no blackhole detection by probing: the stall must show as it does on a default Linux server
  nsx "$p-s" sysctl -qw net.ipv4.tcp_mtu_probing=0
  http_start "$p-s" 80
  nsx "$p-c" ping -c1 -W1 2001:db8:12::80 >/dev/null && nsx "$p-c" ping -c1 -W1 203.0.113.80 >/dev/null \
    || die "topology $p: no connectivity"
}
# pmtud_run P FAMILY(6|4) MAXTIME: one curl download of /blob, exit status in $WORK_DIR/P-curl.rc
pmtud_run() {
  local p="$1" fam="$2" maxt="$3" url
  [[ $fam == 6 ]] && url='http://[2001:db8:12::80]/blob' || url='http://203.0.113.80/blob'
  local rc=0
  nsx "$p-c" curl "-$fam" -sS -o "$WORK_DIR/$p-blob" --max-time "$maxt" "$url" 2>"$WORK_DIR/$p-curl.err" || rc=$?
  echo "$rc" >"$WORK_DIR/$p-curl.rc"
  log "curl -$fam $url: exit $rc, $(stat -c %s "$WORK_DIR/$p-blob" 2>/dev/null || echo 0) bytes"
}

# ptbforge_start P PTBFORGE_ARGS...: r2 stops sending Packet Too Big of its own (nftables drops
# every PTB without ptbforge's firewall mark) and ptbforge.py on r2 answers the server's large
# segments instead, as its arguments say (--mtu, --max, --quote-src).
ptbforge_start() {
  local p="$1"; shift
  nsx "$p-r2" nft -f - <<'NFT'
table inet lab {
  chain output_filter {
    type filter hook output priority 0; policy accept;
    icmpv6 type packet-too-big meta mark != 0x5054 counter drop
  }
}
NFT
  bg "$p-r2" "ptbforge-$p" "$PY" "$LAB_DIR/ptbforge.py" --iface e1 --from 2001:db8:12::80 "$@" >/dev/null
  sleep 0.5
}
