# shellcheck shell=bash
# lan_switch P N UPNS UPIF: a client LAN of N hosts on one Linux bridge (namespace P-sw, STP off,
# so ports forward at once), its uplink port `uplink` linked to UPNS/UPIF (a router or resolver).
# Clients are P-c1 … P-cN with eth0 on bridge ports p1 … pN. A capture on P-sw/uplink is what a SPAN
# port on the access switch's uplink sees: every client's traffic to and from the rest of the network.
lan_switch() {
  local p="$1" n="$2" upns="$3" upif="$4" i
  ns "$p-sw"
  nsx "$p-sw" ip link add br0 type bridge stp_state 0
  nsx "$p-sw" ip link set br0 up
  link "$p-sw" uplink "$upns" "$upif"
  nsx "$p-sw" ip link set dev uplink master br0
  for i in $(seq "$n"); do
    ns "$p-c$i"
    link "$p-c$i" eth0 "$p-sw" "p$i"
    nsx "$p-sw" ip link set "p$i" master br0
    nsx "$p-c$i" sysctl -qw net.ipv6.conf.all.forwarding=0 net.ipv4.ip_forward=0
  done
}
