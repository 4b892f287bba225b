#!/usr/bin/env bash
# Same-port A/AAAA reply drop with c-ares (Node's dns.promises.Resolver) instead of getaddrinfo.
# client ── fw ── server(dnsmasq)   fw: nftables conntrack mark drops the 2nd reply of each UDP 5-tuple.
# The client resolves both families at once on one Resolver (resolve4 + resolve6), as a Node
# service does: c-ares sends both questions from the one UDP socket it keeps per server, so the
# AAAA reply is the second of the 5-tuple and is dropped. After its timeout (resolv.conf timeout:2)
# c-ares asks AAAA again under the same id from a new socket. Captured at the client (pcap µs).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
p=${LAB_NS_PREFIX-}stca
command -v node >/dev/null || die "needs node"
stub_dns_lab $p second-reply 2 2001:db8:2::53

cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
nsx $p-c node "$LAB_DIR/stubs/cares-resolve.mjs" www.example.test api.example.test >"$WORK_DIR/$p-lookup.txt" \
  || die "lookup failed: $(cat "$WORK_DIR/$p-lookup.txt")"
log "node $(node --version) c-ares $(node -p process.versions.ares): $(tr '\n' ';' <"$WORK_DIR/$p-lookup.txt")"
cap_stop_all
drops=$(fw_drops $p)
stage "$WORK_DIR/$p-client.pcap" stub-cares-same-port-drop-client.pcap pcap-us
"$PY" "$LAB_DIR/verify-stubs.py" --out "$WORK_DIR/out" same-port-drop --stub "c-ares $(node -p process.versions.ares)" \
  --retry-ms 2000 --resend-from new-socket --fw-drops "$drops" \
  --scenario stub-cares-same-port-drop --cap client=stub-cares-same-port-drop-client.pcap \
  --topology "$TOPO_DNS_FW; client: Node $(node --version) dns.promises.Resolver (c-ares $(node -p process.versions.ares); stubs/cares-resolve.mjs: resolve4 and resolve6 at once), resolv.conf nameserver 2001:db8:2::53, options timeout:2 attempts:2; two names (www.example.test, then api.example.test 0.5 s later, one process)" \
  || die "verification failed"
publish_staged
