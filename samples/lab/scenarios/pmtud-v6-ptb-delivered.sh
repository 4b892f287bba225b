#!/usr/bin/env bash
# PMTUD over IPv6 working (control): same path as pmtud-v6-blackhole, no filter. r2 sends Packet
# Too Big (MTU 1280) to the server, which resends in 1280-byte packets; the download completes.
# Captured at the server (pcap ns) and at the client (pcap µs).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-pmtud.sh"
p=${LAB_NS_PREFIX-}pd6
topo_pmtud $p
cap_start $p-s eth0 "$WORK_DIR/$p-server.pcap" --time-stamp-precision=nano
cap_start $p-c eth0 "$WORK_DIR/$p-client.pcap"
pmtud_run $p 6 10
cap_stop_all
[[ $(cat "$WORK_DIR/$p-curl.rc") == 0 ]] || die "the download failed"
stage "$WORK_DIR/$p-server.pcap" pmtud-v6-ptb-delivered-server.pcap pcap-ns
stage "$WORK_DIR/$p-client.pcap" pmtud-v6-ptb-delivered-client.pcap pcap-us
verify tcp-bulk --expect ptb-ok --scenario pmtud-v6-ptb-delivered --topology "$TOPO_PMTUD; no filters" \
  --cap server=pmtud-v6-ptb-delivered-server.pcap --cap client=pmtud-v6-ptb-delivered-client.pcap
publish_staged
