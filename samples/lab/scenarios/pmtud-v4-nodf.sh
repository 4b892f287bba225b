#!/usr/bin/env bash
# Control: IPv4 without DF. The server's sockets use IP_MTU_DISCOVER = IP_PMTUDISC_DONT (a small
# python http.server on port 8080 that sets it per connection: net.ipv4.ip_no_pmtu_disc=1 did not
# clear DF on TCP in this kernel), so its segments leave without DF and r2 fragments the 1500-byte
# ones for the 1280 link; r2 also drops its own ICMP fragmentation-needed (none is needed). The
# download completes. Captured at the server and at the client (which receives fragments). Not a
# PMTUD blackhole.
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-pmtud.sh"
p=${LAB_NS_PREFIX-}pnd
topo_pmtud $p
bg $p-s "nodf-http-$p" "$PY" -c '
import http.server, os, socket, sys
class H(http.server.SimpleHTTPRequestHandler):
    def setup(self):
        self.request.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER = IP_PMTUDISC_DONT: no DF
        super().setup()
    def log_message(self, *a): pass
os.chdir(sys.argv[1])
http.server.ThreadingHTTPServer(("0.0.0.0", 8080), H).serve_forever()
' "$WORK_DIR/www" >/dev/null
wait_listen $p-s t 8080
nsx $p-r2 nft -f - <<'NFT'
table inet lab {
  chain output_filter {
    type filter hook output priority 0; policy accept;
    icmp type destination-unreachable icmp code frag-needed counter drop
  }
}
NFT
cap_start $p-s eth0 "$WORK_DIR/$p-server.pcap"
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
rc=0; nsx $p-c curl -4 -sS -o "$WORK_DIR/$p-blob" --max-time 10 http://203.0.113.80:8080/blob || rc=$?
echo "$rc" >"$WORK_DIR/$p-curl.rc"
[[ $(stat -c %s "$WORK_DIR/$p-blob") == 204800 ]] || die "short download"
sleep 0.5
cap_stop_all
[[ $(cat "$WORK_DIR/$p-curl.rc") == 0 ]] || die "the download failed"
if [[ $(nsx $p-r2 nft list ruleset) =~ counter\ packets\ [1-9] ]]; then die "r2 wanted to send frag-needed"; fi
stage "$WORK_DIR/$p-server.pcap" pmtud-v4-nodf-server.pcap pcap-us
stage "$WORK_DIR/$p-client.pcap" pmtud-v4-nodf-client.pcap pcap-us
"$PY" "$LAB_DIR/verify-path.py" --out "$WORK_DIR/out" control --scenario pmtud-v4-nodf --expect-nodf \
  --port 8080 --topology "$TOPO_PMTUD; IPv4 to a python http.server on :8080 whose sockets set IP_PMTUDISC_DONT (no DF); r2 nftables output: icmp frag-needed drop" \
  --cap server=pmtud-v4-nodf-server.pcap --cap client=pmtud-v4-nodf-client.pcap || die "verification failed"
publish_staged
