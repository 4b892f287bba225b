#!/usr/bin/env bash
# IPv6 → IPv4 fallback with Node's Happy Eyeballs instead of curl's: SYNs to the stale AAAA address
# are dropped silently; net.connect({autoSelectFamily: true}) tries IPv6 first and starts IPv4 after
# its attempt timeout (autoSelectFamilyAttemptTimeout, 250 ms by default, not curl's 200 ms).
# Captured at the client (pcap µs).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-fallback.sh"
p=${LAB_NS_PREFIX-}stnh
command -v node >/dev/null || die "needs node (20 or later: net.connect autoSelectFamily)"
topo_fallback $p drop
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
nsx $p-c node "$LAB_DIR/stubs/he-connect.mjs" www.example.test 80 >"$WORK_DIR/$p-node.txt" 2>&1 || die "node failed: $(cat "$WORK_DIR/$p-node.txt")"
log "node $(node --version): $(tr '\n' ';' <"$WORK_DIR/$p-node.txt")"
grep -q '^connected to 198.51.100.80 ' "$WORK_DIR/$p-node.txt" || die "node did not connect over IPv4"
cap_stop_all
stage "$WORK_DIR/$p-client.pcap" stub-node-happy-eyeballs-client.pcap pcap-us
verify fallback --mode drop --class happy-eyeballs --scenario stub-node-happy-eyeballs \
  --topology "$TOPO_FALLBACK; router nftables: ip6 daddr 2001:db8:21::80 tcp dport 80 drop; client: Node $(node --version) net.connect({autoSelectFamily: true}) (stubs/he-connect.mjs; attempt timeout 250 ms by default; names through dns.lookup, i.e. glibc getaddrinfo)" \
  --cap client=stub-node-happy-eyeballs-client.pcap
publish_staged
