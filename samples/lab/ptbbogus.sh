#!/bin/bash
# Lab capture for issue 15: a TCP upload between two namespaces on one veth, whose first large
# segment draws Packet Too Big messages from impossible sources (ptbbogus.py, at the server side).
# Captured at the client (the PTBs' destination). Usage: ptbbogus.sh OUT.pcap   (root)
set -euo pipefail
OUT=${1:?out.pcap}
HERE=$(cd "$(dirname "$0")" && pwd)
A=${LAB_NS_PREFIX-}i15pa; B=${LAB_NS_PREFIX-}i15pb; C6=2001:db8:15::10; S6=2001:db8:15::80
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true; }
trap cleanup EXIT
ip netns add $A; ip netns add $B
ip link add i15pa0 netns $A type veth peer name i15pb0 netns $B
for n in $A:i15pa0:$C6 $B:i15pb0:$S6; do
  IFS=: read -r ns dev _ <<<"$n"; addr=${n#*:*:}
  ip -n "$ns" link set lo up
  ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off >/dev/null 2>&1 || true
  ip -n "$ns" addr add "$addr/64" dev "$dev" nodad
  ip -n "$ns" link set "$dev" up
done
ip netns exec $B python3 -c '
import socket
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("'$S6'", 8080)); s.listen(1); c, _ = s.accept()
n = 0
while True:
    d = c.recv(65536)
    if not d: break
    n += len(d)
c.sendall(b"got %d\n" % n); c.close()' & pids+=($!)
ip netns exec $B /usr/bin/python3 "$HERE/ptbbogus.py" --iface i15pb0 --mtu 1400 --source ::ffff:192.0.2.1 --source :: --source ff02::1 & pids+=($!)
ip netns exec $A tcpdump -i i15pa0 -s 0 -U -w "$OUT" 2>"$OUT.tcpdump.log" & pids+=($!)
sleep 2
ip netns exec $A python3 -c '
import socket, time
s = socket.create_connection(("'$S6'", 8080))
for i in range(40):
    s.sendall(b"x" * 4000); time.sleep(0.02)
s.shutdown(socket.SHUT_WR); print(s.recv(100).decode().strip())'
sleep 1
kill -INT "${pids[2]}"; wait "${pids[2]}" || true
cat "$OUT.tcpdump.log"; rm -f "$OUT.tcpdump.log"
