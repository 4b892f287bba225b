# shellcheck shell=bash
# topo_leak P: a ULA site: client ── resolver (unbound) ── "internet" upstream that never answers.
#   P-c eth0 fd00:1::10/64 192.0.2.10/24
#   P-r e0   fd00:1::53/64 192.0.2.53/24      unbound, forward-zone "." → 2001:db8:31::1
#   P-r e1   2001:db8:31::53/64
#   P-u eth0 2001:db8:31::1/64                dnsstub.py --silent (reads every query, answers none)
TOPO_LEAK="client fd00:1::10 / 192.0.2.10 -- resolver unbound 1.17 at fd00:1::53 (forward-zone \".\" to 2001:db8:31::1) -- upstream 2001:db8:31::1 that never answers (dnsstub.py --silent); client resolver options timeout:2 attempts:2; lookups: getent hosts fd00:1::10 (glibc PTR), dig -x fd00:1::20 (+tries=1 +time=3)"
topo_leak() {
  local p="$1"
  ns "$p-c"; ns "$p-r"; ns "$p-u"
  link "$p-c" eth0 "$p-r" e0
  link "$p-r" e1 "$p-u" eth0
  addr "$p-c" eth0 fd00:1::10/64;     addr4 "$p-c" eth0 192.0.2.10/24
  addr "$p-r" e0 fd00:1::53/64;       addr4 "$p-r" e0 192.0.2.53/24
  addr "$p-r" e1 2001:db8:31::53/64
  addr "$p-u" eth0 2001:db8:31::1/64
  route6 "$p-c" default via fd00:1::53
  nsx "$p-c" sysctl -qw net.ipv6.conf.all.forwarding=0 net.ipv4.ip_forward=0
  stub_dns "$p-u" --listen 2001:db8:31::1 --silent
  wait_listen "$p-u" u 53
  resolv "$p-c" "nameserver fd00:1::53" "options timeout:2 attempts:2"
  nsx "$p-c" ping -c1 -W1 fd00:1::53 >/dev/null && nsx "$p-r" ping -c1 -W1 2001:db8:31::1 >/dev/null \
    || die "topology $p: no connectivity"
}
leak_lookups() {
  local p="$1" t0
  t0=$(date +%s%N)
  nsx "$p-c" getent hosts fd00:1::10 >"$WORK_DIR/$p-getent.txt" || true
  log "getent hosts fd00:1::10: $(( ($(date +%s%N) - t0) / 1000000 )) ms: $(cat "$WORK_DIR/$p-getent.txt")"
  nsx "$p-c" dig +tries=1 +time=3 -x fd00:1::20 >"$WORK_DIR/$p-dig.txt" 2>&1 || true
  log "dig -x fd00:1::20: $(grep -E 'status:|timed out' "$WORK_DIR/$p-dig.txt" | head -1)"
}
