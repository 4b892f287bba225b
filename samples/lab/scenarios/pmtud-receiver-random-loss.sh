#!/usr/bin/env bash
# Control (issue 15): ordinary loss seen only by the receiver, in a capture that starts after the
# handshake. Every link 1500 bytes. The server pushes updates of varied sizes (300–1300 bytes, one
# write each, TCP_NODELAY, three every 25 ms, never two of one size in a row) to a client that
# connected before tcpdump started, so the capture holds no SYN and no MSS. Like a live feed, the
# server skips an update while the previous one is still unsent, so the kernel never merges updates
# into full-sized segments, and it does not collapse retransmissions (tcp_retrans_collapse=0): lost
# bytes come again at the sizes they were first sent. 1.5 s into the capture the link has a bad
# stretch: for 2.5 s r2 drops 60 % of the server's segments at random, retransmissions included, so
# some holes span several updates and stay open for over a second. Captured at the client (the
# receiver) with snaplen 200. No path finding may appear: nothing shows a lost segment larger than
# the delivered ones, and the missing bytes arrive in pieces no larger than those that got through.
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-pmtud.sh"
p=${LAB_NS_PREFIX-}i15rl
rm -f "$WORK_DIR/$p-got.txt"
topo_pmtud $p
nsx $p-r1 ip link set e1 mtu 1500
nsx $p-r2 ip link set e0 mtu 1500
nsx $p-s sysctl -qw net.ipv4.tcp_retrans_collapse=0
bg $p-s "push-$p" "$PY" -c '
import fcntl, random, socket, struct, time
SIOCOUTQNSD = 0x894B            # bytes written but not yet sent
l = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("2001:db8:12::80", 9000)); l.listen(1)
s, _ = l.accept()
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.recv(10)                      # "go": the client is being captured from here on
rnd = random.Random(15)
prev = 0
for i in range(300):
    for _ in range(3):
        n = rnd.randrange(300, 1301)
        while n == prev: n = rnd.randrange(300, 1301)
        prev = n
        if struct.unpack("i", fcntl.ioctl(s, SIOCOUTQNSD, b"\0" * 4))[0] == 0:
            s.sendall(bytes([65 + i % 26]) * n)
    time.sleep(0.025)
time.sleep(8)
s.close()
' >/dev/null
wait_listen $p-s t 9000
bg $p-c "pull-$p" "$PY" -c '
import socket, time
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.connect(("2001:db8:12::80", 9000))
time.sleep(2.5)                 # the capture starts meanwhile: it sees no handshake
s.sendall(b"go")
got, t0 = 0, time.time()
s.settimeout(1)
while time.time() - t0 < 40:
    try:
        b = s.recv(65536)
    except socket.timeout:
        continue
    if not b: break
    got += len(b)
open("'"$WORK_DIR/$p-got.txt"'", "w").write(str(got))
' >/dev/null
sleep 1
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap" -s 200 tcp port 9000
sleep 3   # the client says "go" meanwhile: 1.5 s of clean updates, then the bad stretch
nsx $p-r2 nft -f - <<'NFT'
table inet lab {
  chain forward_filter {
    type filter hook forward priority 0; policy accept;
    ip6 saddr 2001:db8:12::80 tcp sport 9000 numgen random mod 100 < 60 counter drop
  }
}
NFT
sleep 2.5
[[ $(nsx $p-r2 nft list ruleset) =~ counter\ packets\ ([0-9]+) ]] || die "no counter"
drops=${BASH_REMATCH[1]}
nsx $p-r2 nft delete table inet lab
for _ in $(seq 400); do [[ -s $WORK_DIR/$p-got.txt ]] && break; sleep 0.1; done
[[ -s $WORK_DIR/$p-got.txt ]] || die "the client did not finish"
cap_stop_all
log "r2 dropped $drops segments; the client received $(cat "$WORK_DIR/$p-got.txt") bytes"
((drops >= 10)) || die "too few drops"
stage "$WORK_DIR/$p-client.pcap" pmtud-receiver-random-loss-client.pcap pcap
"$PY" "$LAB_DIR/verify-path.py" --out "$WORK_DIR/out" receiver-loss --scenario pmtud-receiver-random-loss --port 9000 --max-payload 1300 \
  --topology "$TOPO_PMTUD with every link 1500; the server pushes updates of 300–1300 bytes on port 9000 (TCP_NODELAY, three every 25 ms, each skipped while the previous one is unsent; tcp_retrans_collapse=0) to a client that connected before the capture started; 1.5 s into the capture, for 2.5 s, r2 nftables forward drops 60 % of the server's segments at random" \
  --cap client=pmtud-receiver-random-loss-client.pcap || die "verification failed"
publish_staged
