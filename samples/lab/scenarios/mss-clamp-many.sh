#!/usr/bin/env bash
# MSS clamping seen on several connections (issue 15): as pmtud-mss-clamp (client ── r1 ══ r2 ──
# server, the middle link 1280, both routers clamp the MSS of SYNs to the route MTU), but the client
# makes five connections: three over IPv6 and two over IPv4. dualscope must report one finding per
# (client, server, MSS pair) with the number of connections, not one per connection.
# Captured at the client (pcap µs).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-pmtud.sh"
p=${LAB_NS_PREFIX-}i15m
topo_pmtud $p
for r in r1 r2; do
  nsx $p-$r nft -f - <<'NFT'
table inet lab {
  chain forward_filter {
    type filter hook forward priority 0; policy accept;
    tcp flags syn tcp option maxseg size set rt mtu counter
  }
}
NFT
done
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
for url in 'http://[2001:db8:12::80]/small' 'http://[2001:db8:12::80]/blob' 'http://[2001:db8:12::80]/index.html' \
           'http://203.0.113.80/small' 'http://203.0.113.80/blob'; do
  nsx $p-c curl -sS -o /dev/null --max-time 10 "$url" || die "curl $url failed"
done
cap_stop_all
stage "$WORK_DIR/$p-client.pcap" mss-clamp-many-client.pcap pcap-us
"$PY" "$LAB_DIR/verify-mss.py" --out "$WORK_DIR/out" mss-many --scenario mss-clamp-many --cap client=mss-clamp-many-client.pcap \
  --topology "$TOPO_PMTUD; r1 and r2 nftables forward: tcp flags syn tcp option maxseg size set rt mtu; the client fetches /small, /blob and /index.html over IPv6, then /small and /blob over IPv4 (curl, one connection each)" \
  || die "verification failed"
publish_staged
