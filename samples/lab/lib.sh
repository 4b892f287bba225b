# shellcheck shell=bash
# Shared helpers for the sample lab: namespaces, veth links, servers, captures, teardown.
# Sourced by run-all.sh and by every scenarios/*.sh. Everything a scenario starts is recorded
# (namespace names, process ids, /etc/netns dirs) and undone by lab_teardown, which run-all.sh
# installs as an EXIT trap, so a failing scenario still leaves the host clean.
#
# Addresses: only 2001:db8::/32, 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 and fd00::/8.
# No namespace has a route to the host; nothing leaves the lab.

LAB_DIR="${LAB_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
SAMPLES_DIR="$(cd "$LAB_DIR/.." && pwd)"
WORK_DIR="${LAB_WORK_DIR:-$LAB_DIR/work}"   # LAB_WORK_DIR: a private one when two people run the lab at once
# LAB_NS_PREFIX: put before every scenario's namespace names (each names its own p=${LAB_NS_PREFIX-}TAG
# and its namespaces $p-…), for the same reason: two lab runs at once never share a namespace.
PY=/usr/bin/python3           # Debian's python3 (stdlib only), not whatever is first on PATH
[[ -x $PY ]] || PY=python3

LAB_NS=()      # namespaces created by this scenario
LAB_PIDS=()    # background processes started by this scenario
LAB_CAPS=()    # "pid|errfile|outfile" of running captures
rm -rf "$WORK_DIR/out" 2>/dev/null; mkdir -p "$WORK_DIR/out/expected"; rm -f "$WORK_DIR/bg.pids"

log() { printf '[%s] %s\n' "${SCENARIO:-lab}" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# --- packages -------------------------------------------------------------------------------
lab_require_packages() {
  local need=()
  command -v ip >/dev/null || need+=(iproute2)
  command -v tcpdump >/dev/null || need+=(tcpdump)
  command -v tshark >/dev/null || need+=(tshark)
  command -v editcap >/dev/null || need+=(wireshark-common)
  command -v nft >/dev/null || need+=(nftables)
  command -v ethtool >/dev/null || need+=(ethtool)
  command -v dnsmasq >/dev/null || need+=(dnsmasq-base)
  command -v unbound >/dev/null || need+=(unbound)
  command -v dig >/dev/null || need+=(dnsutils)
  command -v curl >/dev/null || need+=(curl)
  command -v wget >/dev/null || need+=(wget)
  command -v ping >/dev/null || need+=(iputils-ping)
  [[ -x /usr/bin/python3 ]] || need+=(python3)
  if ((${#need[@]})); then
    log "installing: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
    apt-get update -qq >/dev/null || true
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || die "apt-get install ${need[*]} failed"
    # the unbound package starts a system service; the lab runs its own instances only
    if [[ " ${need[*]} " == *" unbound "* ]] && command -v systemctl >/dev/null; then
      systemctl disable --now unbound >/dev/null 2>&1 || true
    fi
  fi
  PY=/usr/bin/python3
}

# --- namespaces and links --------------------------------------------------------------------
# ns NAME: create namespace NAME (its name already holds LAB_NS_PREFIX: $p-…), loopback up, forwarding on, DAD off, short timers.
ns() {
  local n="$1"
  if ip netns list | awk -v n="$n" '$1 == n { f = 1 } END { exit !f }'; then   # left over by a run that was killed -9
    log "removing stale namespace $n"; ip netns del "$n"
  fi
  ip netns add "$n" || die "ip netns add $n"
  LAB_NS+=("$n")
  nsx "$n" ip link set lo up
  nsx "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  nsx "$n" sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv4.ip_forward=1
  nsx "$n" sysctl -qw net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.all.accept_ra=0
  # Classic exponential SYN back-off (kernel 6.x retries linearly first unless told otherwise).
  if nsx "$n" test -e /proc/sys/net/ipv4/tcp_syn_linear_timeouts; then
    nsx "$n" sysctl -qw net.ipv4.tcp_syn_linear_timeouts=0
  fi
  nsx "$n" sysctl -qw net.ipv4.tcp_syn_retries=2
}
nsx() { local n="$1"; shift; ip netns exec "$n" "$@"; }

# link NS1 IF1 NS2 IF2 MTU: a veth pair with offloads off (so captures show wire-sized segments).
link() {
  local n1="$1" i1="$2" n2="$3" i2="$4" mtu="${5:-1500}"
  ip link add "$i1" netns "$n1" type veth peer name "$i2" netns "$n2" || die "veth $i1-$i2"
  local n i
  for pair in "$n1:$i1" "$n2:$i2"; do
    n="${pair%%:*}"; i="${pair#*:}"
    nsx "$n" ip link set "$i" mtu "$mtu"
    nsx "$n" sysctl -qw "net.ipv6.conf.$i.accept_dad=0" "net.ipv6.conf.$i.accept_ra=0"
    nsx "$n" ethtool -K "$i" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
    nsx "$n" ip link set "$i" up
  done
}
addr() { nsx "$1" ip addr add "$3" dev "$2" nodad 2>/dev/null || nsx "$1" ip addr add "$3" dev "$2"; }
addr4() { nsx "$1" ip addr add "$3" dev "$2"; }
route() { local n="$1"; shift; nsx "$n" ip route add "$@"; }
route6() { local n="$1"; shift; nsx "$n" ip -6 route add "$@"; }

# resolv NS LINE...: /etc/netns/NS/resolv.conf, bind-mounted by `ip netns exec`.
resolv() {
  local n="$1"; shift
  mkdir -p "/etc/netns/$n"
  printf '%s\n' "$@" >"/etc/netns/$n/resolv.conf"
  # an empty hosts file, so getaddrinfo asks DNS and nothing of the host leaks in
  printf '127.0.0.1 localhost\n::1 localhost\n' >"/etc/netns/$n/hosts"
}

# bg NS LOGNAME CMD...: start CMD in NS in the background, remember its pid.
# `ip netns exec` execs the command, so $! is the server's own pid.
bg() {
  local n="$1" name="$2"; shift 2
  ip netns exec "$n" "$@" >"$WORK_DIR/$name.log" 2>&1 &
  LAB_PIDS+=("$!")
  # also on file: bg may run in a pipeline's subshell (`unbound_conf | unbound_start`), whose
  # LAB_PIDS the teardown never sees (unbound outlived its scenario that way)
  echo "$!" >>"$WORK_DIR/bg.pids"
  echo "$!"
}

# wait_udp NS ADDR PORT / wait_tcp NS PORT: until a server listens (max ~5 s).
wait_listen() {
  local n="$1" proto="$2" port="$3" i
  for i in $(seq 50); do
    if nsx "$n" ss -Hln"${proto}" "sport = :$port" | grep -q .; then return 0; fi
    sleep 0.1
  done
  die "nothing listens on $proto/$port in $n"
}

# --- servers --------------------------------------------------------------------------------
# dnsmasq_auth NS LISTEN_ADDR ARGS...: dnsmasq answering from --host-record etc., no upstream.
dnsmasq_start() {
  local n="$1" listen="$2"; shift 2
  bg "$n" "dnsmasq-$n" dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
    --user=root --group=root --bind-interfaces --listen-address="$listen" --except-interface=lo \
    --pid-file= --local-ttl=300 --log-queries --log-facility=- --cache-size=0 "$@" >/dev/null
  wait_listen "$n" u 53
}
# unbound_start NS CONF_BODY: unbound in the foreground with the given server: section body.
unbound_start() {
  local n="$1" conf="$WORK_DIR/unbound-$1.conf"
  cat >"$conf"
  bg "$n" "unbound-$n" unbound -d -c "$conf" >/dev/null
  wait_listen "$n" u 53
}
# stub_dns NS ADDR MODE ZONEFILE-ish args: the tiny python DNS server (dnsstub.py).
stub_dns() {
  local n="$1"; shift
  bg "$n" "stub-$n-$RANDOM" "$PY" "$LAB_DIR/dnsstub.py" "$@" >/dev/null
}
# http_start NS PORT: python http.server on [::]:PORT (dual-stack) serving $WORK_DIR/www.
http_start() {
  local n="$1" port="${2:-80}"
  mkdir -p "$WORK_DIR/www"
  [[ -s $WORK_DIR/www/blob ]] || head -c 204800 /dev/urandom >"$WORK_DIR/www/blob"
  [[ -s $WORK_DIR/www/index.html ]] || printf '<html><body>dualscope lab</body></html>\n' >"$WORK_DIR/www/index.html"
  [[ -s $WORK_DIR/www/small ]] || head -c 3000 /dev/urandom >"$WORK_DIR/www/small"
  bg "$n" "http-$n-$port" "$PY" -m http.server --bind :: --directory "$WORK_DIR/www" "$port" >/dev/null
  wait_listen "$n" t "$port"
}

# --- captures -------------------------------------------------------------------------------
# cap_start NS IFACE OUTFILE [tcpdump options...]: starts tcpdump, waits until it listens.
cap_start() {
  local n="$1" ifc="$2" out="$3"; shift 3
  local err="$WORK_DIR/$(basename "$out").tcpdump.log"
  rm -f "$out"
  ip netns exec "$n" tcpdump -n -U --immediate-mode -s 2048 -B 32768 -i "$ifc" -w "$out" "$@" 2>"$err" &
  local pid=$!
  LAB_PIDS+=("$pid")
  LAB_CAPS+=("$pid|$err|$out")
  local i
  for i in $(seq 300); do grep -q 'listening on' "$err" 2>/dev/null && break; sleep 0.1; done
  grep -q 'listening on' "$err" || die "tcpdump on $n/$ifc did not start: $(cat "$err")"
  sleep 0.5  # 'listening on' can precede the ring being live (seen with -i any)
}
# cap_stop_all: stop every capture (SIGINT by pid), refuse captures with dropped packets.
cap_stop_all() {
  sleep 0.3
  local c pid err out
  for c in "${LAB_CAPS[@]}"; do
    IFS='|' read -r pid err out <<<"$c"
    kill -INT "$pid" 2>/dev/null || true
  done
  for c in "${LAB_CAPS[@]}"; do
    IFS='|' read -r pid err out <<<"$c"
    wait "$pid" 2>/dev/null || true
    local dropped
    dropped=$(sed -n 's/^\([0-9]\+\) packets dropped by kernel.*/\1/p' "$err" | head -1)
    [[ -n $dropped ]] || die "tcpdump for $out reported no statistics: $(cat "$err")"
    ((dropped == 0)) || die "tcpdump dropped $dropped packets for $out"
    local got rcv
    got=$(sed -n 's/^\([0-9]\+\) packets captured.*/\1/p' "$err" | head -1)
    rcv=$(sed -n 's/^\([0-9]\+\) packets received by filter.*/\1/p' "$err" | head -1)
    [[ $got == "$rcv" ]] || die "tcpdump wrote $got of $rcv packets for $out"
    local ifd
    ifd=$(sed -n 's/^\([0-9]\+\) packets dropped by interface.*/\1/p' "$err" | head -1)
    [[ -z $ifd || $ifd == 0 ]] || die "interface dropped $ifd packets for $out"
  done
  LAB_CAPS=()
}

# stage SRC NAME FORMAT: write a raw capture as $WORK_DIR/out/NAME in FORMAT
# (pcap-us | pcap-ns: as captured; pcapng: converted with editcap). verify.py checks the staged
# files and writes their expected/*.json; publish_staged then moves both into samples/.
stage() {
  local src="$1" name="$2" fmt="$3"
  mkdir -p "$WORK_DIR/out/expected"
  case "$fmt" in
    pcapng) editcap -F pcapng "$src" "$WORK_DIR/out/$name" ;;
    *) cp "$src" "$WORK_DIR/out/$name" ;;
  esac
  local size
  size=$(stat -c %s "$WORK_DIR/out/$name")
  ((size < 1000000)) || die "$name is $size bytes (limit 1 MB)"
}
# verify ARGS...: run verify.py (which exits non-zero when the mechanism did not happen).
verify() { "$PY" "$LAB_DIR/verify.py" --out "$WORK_DIR/out" "$@" || die "verification failed"; }
publish_staged() {
  local f
  for f in "$WORK_DIR"/out/*.pcap "$WORK_DIR"/out/*.pcapng; do
    [[ -e $f ]] || continue
    mv "$f" "$SAMPLES_DIR/"
    log "wrote samples/$(basename "$f") ($(stat -c %s "$SAMPLES_DIR/$(basename "$f")") bytes)"
  done
  for f in "$WORK_DIR"/out/expected/*.json; do
    [[ -e $f ]] || continue
    mv "$f" "$SAMPLES_DIR/expected/"
  done
}

# --- teardown -------------------------------------------------------------------------------
lab_teardown() {
  local rc=$? p n
  if [[ -f $WORK_DIR/bg.pids ]]; then
    while read -r p; do LAB_PIDS+=("$p"); done <"$WORK_DIR/bg.pids"
    rm -f "$WORK_DIR/bg.pids"
  fi
  for p in "${LAB_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 0.2
  for p in "${LAB_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  for n in "${LAB_NS[@]}"; do
    ip netns del "$n" 2>/dev/null || true
    rm -rf "/etc/netns/$n"
  done
  LAB_PIDS=(); LAB_NS=(); LAB_CAPS=()
  return $rc
}

# tshark helper: fields of a capture, one line per packet.
tsf() { local f="$1" filter="$2"; shift 2; local a=(); for x in "$@"; do a+=(-e "$x"); done; tshark -r "$f" -Y "$filter" -T fields -E separator='|' "${a[@]}" 2>/dev/null; }
