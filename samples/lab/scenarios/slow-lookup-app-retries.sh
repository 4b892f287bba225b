#!/usr/bin/env bash
# Separate lookups, not one (issue 15): an application that retries a failing name resolution at
# once, again and again. The DNS server never answers (the router drops every query); glibc with
# options timeout:2 attempts:2 gives up after about 4 s each time (same socket, same ids within one
# call), and the application calls getaddrinfo() again at once from a new socket: 8 calls, ~32 s in
# all. Each call is one lookup whose delay is the stub's own give-up time, not the 30 s of all of
# them. Captured at the client.
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
p=${LAB_NS_PREFIX-}i15ar
topo_dns_fw $p
nsx $p-f nft -f - <<'NFT'
table inet lab {
  chain forward_filter {
    type filter hook forward priority 0; policy accept;
    udp dport 53 counter drop
  }
}
NFT
resolv $p-c "nameserver 198.51.100.53" "options timeout:2 attempts:2"
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
t0=$(date +%s%N)
for i in 1 2 3 4 5 6 7 8; do
  nsx $p-c getent ahosts app.example.test >/dev/null && die "call $i resolved"
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
log "8 calls of getent ahosts app.example.test failed in $ms ms"
cap_stop_all
stage "$WORK_DIR/$p-client.pcap" slow-lookup-app-retries-client.pcap pcap-us
"$PY" "$LAB_DIR/verify.py" --out "$WORK_DIR/out" app-retries --scenario slow-lookup-app-retries --name app.example.test \
  --calls 8 --timeout-ms 2000 --attempts 2 --cap client=slow-lookup-app-retries-client.pcap \
  --topology "client 192.0.2.10 -- router (nftables: every query to udp/53 dropped) -- DNS server 198.51.100.53; resolver options timeout:2 attempts:2; 8 calls of getent ahosts app.example.test one after the other" \
  --observed "8 calls failed in $ms ms in all." || die "verification failed"
publish_staged
