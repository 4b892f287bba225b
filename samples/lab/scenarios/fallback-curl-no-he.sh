#!/usr/bin/env bash
# IPv6 → IPv4 fallback: SYNs to the stale AAAA address are dropped silently; curl with --happy-eyeballs-timeout-ms 60000 (Happy Eyeballs effectively off) waits for the IPv6 connect to fail before trying IPv4. Captured at the client (pcapng).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-fallback.sh"
p=${LAB_NS_PREFIX-}fbn
topo_fallback $p drop
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap" 

nsx $p-c curl -sS -o /dev/null -w "%{remote_ip} %{time_connect}\n" --happy-eyeballs-timeout-ms 60000 --max-time 30 http://www.example.test/ >"$WORK_DIR/$p-curl.txt" || die "curl failed"; log "curl: $(cat "$WORK_DIR/$p-curl.txt")"
cap_stop_all
stage "$WORK_DIR/$p-client.pcap" fallback-curl-no-he-client.pcapng pcapng

verify fallback --mode drop --class timeout --scenario fallback-curl-no-he --topology "$TOPO_FALLBACK; router nftables: ip6 daddr 2001:db8:21::80 tcp dport 80 drop; client: curl 7.88 --happy-eyeballs-timeout-ms 60000" \
  --cap client=fallback-curl-no-he-client.pcapng 
publish_staged
