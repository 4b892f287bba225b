#!/usr/bin/env bash
# Soak check for `dualscope live` (not in CI): a steady dual-stack traffic mix runs through a veth
# pair between two network namespaces for N minutes while dualscope captures on the client side;
# the RSS of the dualscope process is sampled every 10 s into a CSV, and min/max are printed.
#
#   sudo bash bench/soak-live.sh [MINUTES=20] [LOOKUPS_PER_SECOND=100] [OUT_DIR=reports/soak-live]
#
# Traffic (real sockets, so the kernel makes every packet): DNS lookups over IPv6 for names that
# rotate through 20 000 (A answered, AAAA ignored: one new dns.aaaa_unanswered group per name until
# the detector's cap, so state that grows with names shows up), plus a TCP connection (2 KB up,
# 16 KB down) every 10th lookup, alternating IPv6 and IPv4. About 4 packets per lookup and 25 per
# connection: the default is ~650 packets/s, ~780 000 in 20 minutes.
# Needs root, iproute2, python3, and dumpcap or tcpdump; run `npm run build` first. NODE_OPTIONS passes
# through, e.g. NODE_OPTIONS="--max-old-space-size=64 --heapsnapshot-near-heap-limit=1" to cap the
# heap and get a snapshot if the retained state outgrows it.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes="${1:-20}"
rate="${2:-100}"
out="${3:-reports/soak-live}"
[[ $(id -u) -eq 0 ]] || { echo "soak-live: needs root (network namespaces)" >&2; exit 2; }
[[ -f dist/src/cli/main.js ]] || { echo "soak-live: build first (npm run build)" >&2; exit 2; }
mkdir -p "$out"

ns_s="dsoakS$$"; ns_c="dsoakC$$"; veth_s="dsk$$s"; veth_c="dsk$$c"
server6='fd00:d5:0:2::53'; client6='fd00:d5:0:2::c'; server4='198.51.100.53'; client4='198.51.100.12'
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  ip netns del "$ns_c" 2>/dev/null || true
  ip netns del "$ns_s" 2>/dev/null || true
}
trap cleanup EXIT

ip netns add "$ns_s"; ip netns add "$ns_c"
ip link add "$veth_s" netns "$ns_s" type veth peer name "$veth_c" netns "$ns_c"
for spec in "$ns_s $veth_s $server6 $server4" "$ns_c $veth_c $client6 $client4"; do
  read -r ns dev a6 a4 <<<"$spec"
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$a6/64" dev "$dev" nodad
  ip -n "$ns" addr add "$a4/24" dev "$dev"
  ip -n "$ns" link set "$dev" up
done

# Server: DNS on [::]:53 (A answered, AAAA ignored) and a TCP service on 8080 (v4 and v6) that
# reads 2 KB and answers 16 KB.
ip netns exec "$ns_s" python3 -u - <<'PY' >"$out/server.log" 2>&1 &
import socket, struct, threading
def dns():
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(('::', 53))
    while True:
        q, peer = s.recvfrom(4096)
        if len(q) < 17: continue
        qid, flags = struct.unpack('!HH', q[:4]); p = 12
        while p < len(q) and q[p]: p += 1 + q[p]
        if p + 5 > len(q): continue
        qtype = struct.unpack('!H', q[p + 1:p + 3])[0]
        if qtype == 28: continue
        ans = b'\xc0\x0c' + struct.pack('!HHIH', 1, 1, 60, 4) + bytes([192, 0, 2, 80]) if qtype == 1 else b''
        s.sendto(struct.pack('!HHHHHH', qid, 0x8400 | (flags & 0x100), 1, 1 if ans else 0, 0, 0) + q[12:p + 5] + ans, peer)
def tcp(family, addr):
    l = socket.socket(family, socket.SOCK_STREAM); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6: l.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    l.bind((addr, 8080)); l.listen(128)
    while True:
        c, _ = l.accept()
        try:
            got = 0
            while got < 2048:
                b = c.recv(4096)
                if not b: break
                got += len(b)
            c.sendall(b'x' * 16384)
        except OSError: pass
        c.close()
threading.Thread(target=dns, daemon=True).start()
threading.Thread(target=tcp, args=(socket.AF_INET, '0.0.0.0'), daemon=True).start()
print('ready', flush=True)
tcp(socket.AF_INET6, '::')
PY
pids+=($!)
for _ in $(seq 50); do grep -q ready "$out/server.log" 2>/dev/null && break; sleep 0.1; done

ip netns exec "$ns_c" node dist/src/cli/main.js live -i "$veth_c" --duration "$((minutes * 60))" \
  --json "$out/report.json" --force >"$out/live.log" 2>&1 &
live=$!
pids+=("$live")
for _ in $(seq 100); do grep -q 'capturing on' "$out/live.log" 2>/dev/null && break; sleep 0.1; done

# Client: the steady mix, paced on the monotonic clock.
ip netns exec "$ns_c" python3 -u - "$rate" "$server6" "$server4" <<'PY' >"$out/client.log" 2>&1 &
import random, socket, struct, sys, time
rate, server6, server4 = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def query(s, qid, name, qtype):
    q = struct.pack('!HHHHHH', qid, 0x0100, 1, 0, 0, 0) + b''.join(bytes([len(l)]) + l.encode() for l in name.split('.')) + b'\0' + struct.pack('!HH', qtype, 1)
    s.sendto(q, (server6, 53))
socks = []
i = 0; start = time.monotonic()
while True:
    name = f'n{i % 20000}.soak.example.test'
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.setblocking(False)
    query(s, random.getrandbits(16), name, 1); query(s, random.getrandbits(16), name, 28)
    socks.append(s)
    if len(socks) > 200: socks.pop(0).close()   # keep the A reply deliverable for a while
    if i % 10 == 0:
        try:
            fam, addr = (socket.AF_INET6, server6) if (i // 10) % 2 == 0 else (socket.AF_INET, server4)
            c = socket.create_connection((addr, 8080), timeout=2); c.sendall(b'y' * 2048)
            while c.recv(65536): pass
            c.close()
        except OSError as e: print('tcp', e, flush=True)
    i += 1
    delay = start + i / rate - time.monotonic()
    if delay > 0: time.sleep(delay)
PY
pids+=($!)

csv="$out/rss.csv"
echo "elapsed_s,rss_kb" >"$csv"
t0=$(date +%s)
while kill -0 "$live" 2>/dev/null; do
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$live/status" 2>/dev/null || true)
  [[ -n "$rss" ]] && echo "$(($(date +%s) - t0)),$rss" >>"$csv"
  sleep 10
done
status=0
wait "$live" || status=$?

echo "soak-live: $minutes min at $rate lookups/s; dualscope exit status $status; RSS samples in $csv; dualscope output in $out/live.log"
awk -F, 'NR > 1 { n++; v[n] = $2; if (min == "" || $2 < min) min = $2; if ($2 > max) max = $2 }
  END {
    if (n == 0) { print "no samples"; exit }
    h = int(n / 2); for (i = h + 1; i <= n; i++) if (i == h + 1 || v[i] > m2) m2 = v[i]; for (i = 1; i <= h; i++) if (i == 1 || v[i] > m1) m1 = v[i]
    printf "RSS min %.1f MB, max %.1f MB over %d samples; max in first half %.1f MB, second half %.1f MB\n", min / 1024, max / 1024, n, m1 / 1024, m2 / 1024
  }' "$csv"
[[ -f "$out/report.json" ]] || { echo "soak-live: no report (dualscope did not finish; see $out/live.log)"; exit 1; }
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const c = r.capture;
  console.log(`packets ${c.packets}, bytes ${c.bytes}, dropped by capture ${c.droppedByCapture}, findings ${r.findings.length}`)' "$out/report.json" || true
