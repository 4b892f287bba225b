#!/usr/bin/env bash
# RFC 6303 leak hitting a whole ULA site: unbound told `local-zone: "d.f.ip6.arpa." nodefault`
# forwards every reverse lookup of a ULA address to an upstream that never answers. Five hosts on
# one switch each reverse-resolve a different ULA address (as logging, ssh and ACL checks do), at
# about the same time. One cause (the resolver leaking d.f.ip6.arpa.), five occurrences, five
# clients. Captured at the resolver with `tcpdump -i any` (client leg and upstream leg in one file).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-dns-fw.sh"
source "$LAB_DIR/topo-lan.sh"
p=${LAB_NS_PREFIX-}h20l
HOSTS=5
ns "$p-r"; ns "$p-u"
lan_switch "$p" "$HOSTS" "$p-r" e0
link "$p-r" e1 "$p-u" eth0
addr "$p-r" e0 fd00:1::53/64
addr "$p-r" e1 2001:db8:31::53/64
addr "$p-u" eth0 2001:db8:31::1/64
stub_dns "$p-u" --listen 2001:db8:31::1 --silent
wait_listen "$p-u" u 53
unbound_conf fd00:1::53 <<'CONF' | unbound_start $p-r
  local-zone: "d.f.ip6.arpa." nodefault
forward-zone:
  name: "."
  forward-addr: 2001:db8:31::1
CONF
for i in $(seq "$HOSTS"); do
  addr "$p-c$i" eth0 "fd00:1::1$i/64"
  route6 "$p-c$i" default via fd00:1::53
  resolv "$p-c$i" "nameserver fd00:1::53" "options timeout:2 attempts:2"
  nsx "$p-c$i" ping -c1 -W2 fd00:1::53 >/dev/null || die "topology $p: host $i cannot reach the resolver"
done
nsx "$p-r" ping -c1 -W2 2001:db8:31::1 >/dev/null || die "topology $p: upstream unreachable"

cap_start "$p-r" any "$WORK_DIR/$p-resolver.pcap" -y LINUX_SLL
pids=()
for i in $(seq "$HOSTS"); do
  # each host looks up the name of a different peer (fd00:1::2i), as a server logging a connection does
  nsx "$p-c$i" getent hosts "fd00:1::2$i" >"$WORK_DIR/$p-getent-$i.txt" &
  pids+=("$!")
  sleep 0.2
done
for pid in "${pids[@]}"; do wait "$pid" || true; done  # getent fails: the name never resolves
log "getent hosts on $HOSTS hosts: $(cat "$WORK_DIR"/$p-getent-*.txt | wc -l) answers"
cap_stop_all
stage "$WORK_DIR/$p-resolver.pcap" rfc6303-leak-many-hosts-resolver.pcap pcap-us
verify leak --expect leak --scenario rfc6303-leak-many-hosts \
  --topology "$HOSTS hosts fd00:1::11-15 on one Linux bridge (STP off) -- resolver unbound 1.17 at fd00:1::53 (local-zone: \"d.f.ip6.arpa.\" nodefault; forward-zone \".\" to 2001:db8:31::1) -- upstream 2001:db8:31::1 that never answers (dnsstub.py --silent); client resolver options timeout:2 attempts:2; host i runs getent hosts fd00:1::2i (glibc PTR), 0.2 s apart" \
  --cap resolver=rfc6303-leak-many-hosts-resolver.pcap
publish_staged
