#!/usr/bin/env bash
# Plain loss of one query (INCIDENTS §1, "not this"): a single question (dig AAAA), its first
# transmission dropped once by the firewall (nftables numgen: the first DNS query it forwards),
# re-sent by dig after its 1 s timeout and answered. No A/AAAA pair, no reply lost: nothing to report
# but, at most, the slow lookup. client ── fw ── server(dnsmasq); captured at the client (pcap µs).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
p=${LAB_NS_PREFIX-}sql
topo_dns_fw $p
nsx $p-s sysctl -qw net.ipv6.conf.all.forwarding=0
dnsmasq_start $p-s 2001:db8:2::53 --host-record=www.example.test,203.0.113.80,2001:db8:3::80
nsx $p-f nft -f - <<'NFT'
table inet lab {
  chain forward_filter {
    type filter hook forward priority 0; policy accept;
    udp dport 53 numgen inc mod 1000 0 counter drop
  }
}
NFT

cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
nsx $p-c dig +tries=2 +time=1 +nocookie AAAA www.example.test @2001:db8:2::53 >"$WORK_DIR/$p-dig.txt" || die "dig failed"
grep -q '2001:db8:3::80' "$WORK_DIR/$p-dig.txt" || die "dig got no answer"
cap_stop_all
drops=$(nsx $p-f nft list ruleset | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
[[ $drops == 1 ]] || die "the firewall dropped $drops queries, not 1"
stage "$WORK_DIR/$p-client.pcap" single-query-loss-client.pcap pcap-us
verify single-query-loss --name www.example.test --scenario single-query-loss \
  --cap client=single-query-loss-client.pcap \
  --topology "$TOPO_DNS_FW; the firewall drops the first DNS query it forwards (nftables numgen, counter 1); one lookup: dig +tries=2 +time=1 AAAA www.example.test" \
  --observed "The firewall's counter shows one query dropped; dig's second try was answered."
publish_staged
