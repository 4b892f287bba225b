#!/usr/bin/env bash
# IPv6 → IPv4 fallback: SYNs to the stale AAAA address are dropped silently; curl's Happy Eyeballs starts IPv4 200 ms after IPv6. Captured at the client (pcap µs) and at the router with tcpdump -i any (Linux cooked v2: forwarded packets appear twice, in on one interface and out on the other).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-fallback.sh"
p=${LAB_NS_PREFIX-}fbh
topo_fallback $p drop
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap" 
cap_start $p-r any "$WORK_DIR/$p-router.pcap"
nsx $p-c curl -sS -o /dev/null -w "%{remote_ip} %{time_connect}\n" --max-time 20 http://www.example.test/ >"$WORK_DIR/$p-curl.txt" || die "curl failed"; log "curl: $(cat "$WORK_DIR/$p-curl.txt")"
cap_stop_all
stage "$WORK_DIR/$p-client.pcap" fallback-happy-eyeballs-client.pcap pcap-us
stage "$WORK_DIR/$p-router.pcap" fallback-happy-eyeballs-router.pcap pcap-us
verify fallback --mode drop --class happy-eyeballs --scenario fallback-happy-eyeballs --topology "$TOPO_FALLBACK; router nftables: ip6 daddr 2001:db8:21::80 tcp dport 80 drop; client: curl 7.88 (Happy Eyeballs, default 200 ms)" \
  --cap client=fallback-happy-eyeballs-client.pcap --cap router=fallback-happy-eyeballs-router.pcap
publish_staged
