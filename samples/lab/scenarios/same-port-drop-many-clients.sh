#!/usr/bin/env bash
# Same-port A/AAAA reply drop hitting a whole LAN: four glibc clients on one switch behind the same
# stateful firewall (nftables: 2nd reply per UDP conntrack entry dropped) resolve two names each at
# the same time through one DNS server (dnsmasq). Every lookup loses its AAAA reply: one cause (the
# firewall in front of 2001:db8:2::53), eight occurrences, four clients. Captured on the switch's
# uplink port (SPAN view: every client's queries, and only the replies the firewall let through).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
source "$LAB_DIR/topo-lan.sh"
p=${LAB_NS_PREFIX-}h20s
CLIENTS=4
ns "$p-f"; ns "$p-s"
lan_switch "$p" "$CLIENTS" "$p-f" f0
link "$p-f" f1 "$p-s" eth0
addr "$p-f" f0 2001:db8:1::1/64;    addr4 "$p-f" f0 192.0.2.1/24
addr "$p-f" f1 2001:db8:2::1/64;    addr4 "$p-f" f1 198.51.100.1/24
addr "$p-s" eth0 2001:db8:2::53/64; addr4 "$p-s" eth0 198.51.100.53/24
route6 "$p-s" default via 2001:db8:2::1; route "$p-s" default via 198.51.100.1
nsx "$p-s" sysctl -qw net.ipv6.conf.all.forwarding=0
for i in $(seq "$CLIENTS"); do
  addr "$p-c$i" eth0 "2001:db8:1::1$i/64"; addr4 "$p-c$i" eth0 "192.0.2.1$i/24"
  route6 "$p-c$i" default via 2001:db8:1::1; route "$p-c$i" default via 192.0.2.1
  resolv "$p-c$i" "nameserver 2001:db8:2::53" "options timeout:2 attempts:2"
  # neighbours resolved before the capture starts, so it holds the incident, not ND noise
  nsx "$p-c$i" ping -c1 -W2 2001:db8:2::53 >/dev/null || die "topology $p: client $i cannot reach the server"
done
dnsmasq_start "$p-s" 2001:db8:2::53 \
  --host-record=www.example.test,203.0.113.80,2001:db8:3::80 \
  --host-record=api.example.test,203.0.113.81,2001:db8:3::81
fw_drop_second_reply "$p-f"

cap_start "$p-sw" uplink "$WORK_DIR/$p-lan.pcap"
for name in www.example.test api.example.test; do
  pids=()
  for i in $(seq "$CLIENTS"); do
    nsx "$p-c$i" getent ahosts "$name" >"$WORK_DIR/$p-getent-$i-$name.txt" &
    pids+=("$!")
    sleep 0.3  # staggered, so a loaded lab host still sends each client's A and AAAA back to back
  done
  for pid in "${pids[@]}"; do wait "$pid" || die "getent $name failed"; done
  log "getent ahosts $name on $CLIENTS clients: $(cat "$WORK_DIR"/$p-getent-*-"$name".txt | awk '{print $1}' | sort -u | tr '\n' ' ')"
  sleep 0.5
done
cap_stop_all
nsx "$p-f" nft list ruleset >"$WORK_DIR/$p-nft.txt"
stage "$WORK_DIR/$p-lan.pcap" same-port-drop-many-clients-lan.pcap pcap-us
verify same-port-drop --lost AAAA --scenario same-port-drop-many-clients \
  --cap client=same-port-drop-many-clients-lan.pcap \
  --topology "$CLIENTS clients 2001:db8:1::11-14 / 192.0.2.11-14 on one Linux bridge (STP off) -- fw router (nftables: 2nd reply per UDP conntrack entry dropped) -- DNS server 2001:db8:2::53 (dnsmasq); all links Ethernet veth MTU 1500; resolver options timeout:2 attempts:2, DNS over IPv6; every client runs getent ahosts www.example.test, then api.example.test, the clients 0.3 s apart, each lookup overlapping the others' 2 s waits; captured with tcpdump on the switch's uplink port (towards the firewall)"
publish_staged
