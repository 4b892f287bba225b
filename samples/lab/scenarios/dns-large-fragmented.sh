#!/usr/bin/env bash
# Large DNS answers in IPv6 fragments, dropped on the way (RFC 8900): the server (dnsmasq,
# --edns-packet-max=4096) answers AAAA big.example.test with 70 records, ~2 KB, which it sends in
# two IPv6 fragments; the router between drops every IPv6 fragment (nftables, before reassembly).
# dig +bufsize=4096 (2 s timeout, 3 tries) never gets an answer; each try re-sends the same query
# (same id, a new port). Captured at the client and at the server.
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
p=${LAB_NS_PREFIX-}dlf
topo_dns_fw $p
dnsmasq_big_answer $p --edns-packet-max=4096
nsx $p-f nft -f - <<'NFT'
table inet lab {
  chain pre {
    type filter hook prerouting priority -450; policy accept;
    exthdr frag exists counter drop
  }
}
NFT
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
cap_start $p-s eth0 "$WORK_DIR/$p-server.pcap"
nsx $p-c dig +bufsize=4096 +tries=3 +timeout=2 AAAA big.example.test @2001:db8:2::53 >"$WORK_DIR/$p-dig.txt" 2>&1 || true
cap_stop_all
grep -q 'no servers could be reached' "$WORK_DIR/$p-dig.txt" || die "dig got an answer: $(tail -3 "$WORK_DIR/$p-dig.txt")"
[[ $(nsx $p-f nft list ruleset) =~ counter\ packets\ [1-9] ]] || die "the router dropped no fragment"
stage "$WORK_DIR/$p-client.pcap" dns-large-fragmented-client.pcap pcap-us
stage "$WORK_DIR/$p-server.pcap" dns-large-fragmented-server.pcapng pcapng
"$PY" "$LAB_DIR/verify.py" --out "$WORK_DIR/out" large-answer --scenario dns-large-fragmented --name big.example.test \
  --topology "$TOPO_DNS_FW (here the router drops every IPv6 fragment: nftables prerouting, before reassembly); dnsmasq --edns-packet-max=4096 with 70 AAAA records for big.example.test; client: dig +bufsize=4096 +tries=3 +timeout=2 AAAA big.example.test" \
  --cap client=dns-large-fragmented-client.pcap --cap server=dns-large-fragmented-server.pcapng || die "verification failed"
publish_staged
