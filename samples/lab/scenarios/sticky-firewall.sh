#!/usr/bin/env bash
# The sticky firewall: every reply after the first on a UDP 5-tuple is dropped. glibc sends A and
# AAAA from one socket; the A reply passes, the AAAA reply and every reply to glibc's retries on the
# same socket are dropped, and getaddrinfo fails ("host not found") although the server answered.
# The captures stop 1 s after the client's last query, before the lookup gives up. Captured at the
# client (pcap µs) and at the DNS server (pcap ns).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
p=${LAB_NS_PREFIX-}h15k
stub_dns_lab $p later-replies 1 2001:db8:2::53
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
cap_start $p-s eth0 "$WORK_DIR/$p-server.pcap" --time-stamp-precision=nano
sticky_lookup $p www.example.test "$WORK_DIR/$p-getent.txt"
drops=$(fw_drops $p)
stage "$WORK_DIR/$p-client.pcap" sticky-firewall-client.pcap pcap-us
stage "$WORK_DIR/$p-server.pcap" sticky-firewall-server.pcap pcap-ns
"$PY" "$LAB_DIR/verify-sticky.py" --out "$WORK_DIR/out" sticky --scenario sticky-firewall --fw-drops "$drops" \
  --topology "$TOPO_DNS_FW_STICKY; resolver options timeout:2 attempts:2, DNS over IPv6 to dnsmasq 2001:db8:2::53; getent ahosts www.example.test (fails), the client pings its router every 200 ms meanwhile; captures stopped 1 s after the client's last query" \
  --cap client=sticky-firewall-client.pcap --cap server=sticky-firewall-server.pcap || die "verification failed"
publish_staged
