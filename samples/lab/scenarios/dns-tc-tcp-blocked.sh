#!/usr/bin/env bash
# A TC=1 answer whose TCP/53 retry is refused: the server (dnsmasq) answers AAAA big.example.test
# (70 records, ~2 KB) truncated to fit the client's EDNS buffer (glibc `options edns0`: 1200), so
# glibc retries over TCP/53, which the router rejects with a TCP reset (nftables), as firewalls that
# "allow DNS" on UDP only do. getaddrinfo fails. Captured at the client.
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
p=${LAB_NS_PREFIX-}dtc
topo_dns_fw $p
dnsmasq_big_answer $p
nsx $p-f nft -f - <<'NFT'
table inet lab {
  chain forward_filter {
    type filter hook forward priority 0; policy accept;
    tcp dport 53 counter reject with tcp reset
  }
}
NFT
resolv $p-c "nameserver 2001:db8:2::53" "options edns0 timeout:2 attempts:2"
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
if nsx $p-c getent ahosts big.example.test >"$WORK_DIR/$p-getent.txt" 2>&1; then rc=0; else rc=$?; fi
cap_stop_all
log "getent exit $rc: $(head -2 "$WORK_DIR/$p-getent.txt" | tr '\n' ' ')"
[[ $(nsx $p-f nft list ruleset) =~ counter\ packets\ [1-9] ]] || die "the router rejected no TCP/53"
[[ $rc != 0 ]] || die "getaddrinfo succeeded"
stage "$WORK_DIR/$p-client.pcap" dns-tc-tcp-blocked-client.pcap pcap-us
"$PY" "$LAB_DIR/verify.py" --out "$WORK_DIR/out" tc-tcp-blocked --scenario dns-tc-tcp-blocked --name big.example.test \
  --topology "$TOPO_DNS_FW (here the router rejects TCP/53 with a reset: nftables forward); dnsmasq with 70 AAAA records for big.example.test (answers truncated to the client's EDNS buffer); resolver options edns0 timeout:2 attempts:2; client: getent ahosts big.example.test (fails, exit 2, although A was answered)" \
  --cap client=dns-tc-tcp-blocked-client.pcap || die "verification failed"
publish_staged
