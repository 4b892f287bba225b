#!/usr/bin/env bash
# Control: ordinary loss, no PMTUD problem. Every link 1500 bytes (r1-r2 raised from 1280), and r2
# drops about 3 % of the server's data segments at random (nft numgen). Two IPv6 downloads of a
# 1 MB file: curl's completes after recovering every loss; the other is read slowly by a python
# client with a 16 KB receive buffer (the window closes, the server probes it), which closes the
# socket after 3 s with data unread (the kernel answers with RST) while data is outstanding. Captured at the server and at the client with snaplen 200
# (headers only, as many real captures are). No finding of the path kinds may appear.
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-pmtud.sh"
p=${LAB_NS_PREFIX-}pcl
topo_pmtud $p
nsx $p-r1 ip link set e1 mtu 1500
nsx $p-r2 ip link set e0 mtu 1500
[[ -s $WORK_DIR/www/big ]] || head -c 1048576 /dev/urandom >"$WORK_DIR/www/big"
nsx $p-r2 nft -f - <<'NFT'
table inet lab {
  chain forward_filter {
    type filter hook forward priority 0; policy accept;
    ip6 saddr 2001:db8:12::80 tcp sport 80 meta length > 1000 numgen random mod 100 < 3 counter drop
  }
}
NFT
cap_start $p-s eth0 "$WORK_DIR/$p-server.pcap" -s 200
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap" -s 200
rc=0; nsx $p-c curl -6 -sS -o "$WORK_DIR/$p-big" --max-time 20 'http://[2001:db8:12::80]/big' || rc=$?
[[ $rc == 0 ]] || die "the full download failed ($rc)"
nsx $p-c "$PY" -c '
import socket, time
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
s.connect(("2001:db8:12::80", 80))
s.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
got, t0 = 0, time.time()
while time.time() - t0 < 3:
    got += len(s.recv(2000))
    time.sleep(0.1)
print(got)
s.close()
' >"$WORK_DIR/$p-slow.txt" || die "slow client failed"
(( $(cat "$WORK_DIR/$p-slow.txt") < 1048576 )) || die "the slow client read everything"
sleep 1
cap_stop_all
[[ $(nsx $p-r2 nft list ruleset) =~ counter\ packets\ ([0-9]+) ]] || die "no counter"
log "r2 dropped ${BASH_REMATCH[1]} segments"
((BASH_REMATCH[1] >= 3)) || die "too few drops"
stage "$WORK_DIR/$p-server.pcap" pmtud-congestion-loss-server.pcap pcap-us
stage "$WORK_DIR/$p-client.pcap" pmtud-congestion-loss-client.pcapng pcapng
"$PY" "$LAB_DIR/verify-path.py" --out "$WORK_DIR/out" control --scenario pmtud-congestion-loss --expect-loss \
  --topology "$TOPO_PMTUD with every link 1500; r2 nftables forward: 3 % of the server's segments > 1000 bytes dropped at random; 1 MB download with curl, then a slow reader (16 KB receive buffer, 2000 bytes per 0.1 s) that closes after 3 s" \
  --cap server=pmtud-congestion-loss-server.pcap --cap client=pmtud-congestion-loss-client.pcapng || die "verification failed"
publish_staged
