#!/usr/bin/env bash
# The sticky firewall (every reply after the first of a UDP 5-tuple dropped) with musl's stub.
# client ── fw ── server(dnsmasq)
# musl sends A and AAAA from one socket; the A reply passes, the AAAA reply and the AAAA re-sent
# every timeout/attempts (1 s) on that socket are dropped, and after its 2 s timeout musl's
# getaddrinfo fails altogether (EAI_AGAIN, "try again") although the A answer had arrived. From
# the client this looks exactly like a server that never answers AAAA (INCIDENTS §2): musl never
# re-asks A, so no second reply on the 5-tuple shows the firewall letting later replies through.
# The server capture tells them apart (both replies left; AAAA re-asked under the same id). The
# captures run on for 11 s after the failure (past the analyser's 10 s unanswered timeout).
# Captured at the client (pcap µs) and at the DNS server (pcap ns).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
source "$LAB_DIR/stubs.sh"
p=${LAB_NS_PREFIX-}stms
lookup=$(musl_lookup)
stub_dns_lab $p later-replies 1 2001:db8:2::53

cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
cap_start $p-s eth0 "$WORK_DIR/$p-server.pcap" --time-stamp-precision=nano
if nsx $p-c "$lookup" www.example.test >"$WORK_DIR/$p-lookup.txt"; then die "the lookup succeeded through the sticky firewall: $(cat "$WORK_DIR/$p-lookup.txt")"; fi
log "musl getaddrinfo: $(cat "$WORK_DIR/$p-lookup.txt")"
sleep 11
cap_stop_all
error=$(sed -n 's/^www.example.test [0-9]* ms error //p' "$WORK_DIR/$p-lookup.txt")
[[ -n $error ]] || die "no error line: $(cat "$WORK_DIR/$p-lookup.txt")"
drops=$(fw_drops $p)
stage "$WORK_DIR/$p-client.pcap" stub-musl-sticky-firewall-client.pcap pcap-us
stage "$WORK_DIR/$p-server.pcap" stub-musl-sticky-firewall-server.pcap pcap-ns
"$PY" "$LAB_DIR/verify-stubs.py" --out "$WORK_DIR/out" sticky --stub musl --retry-ms 1000 --fw-drops "$drops" \
  --error "\"$error\" after $(awk '{print $2}' "$WORK_DIR/$p-lookup.txt") ms" \
  --scenario stub-musl-sticky-firewall --cap client=stub-musl-sticky-firewall-client.pcap --cap server=stub-musl-sticky-firewall-server.pcap \
  --topology "$TOPO_DNS_FW_STICKY; client stub resolver: musl $(musl_version) (stubs/lookup.c built with musl-gcc -static), resolver options timeout:2 attempts:2, DNS over IPv6 to dnsmasq 2001:db8:2::53; one lookup (www.example.test), which fails; captures stopped 11 s after the failure" \
  || die "verification failed"
publish_staged
