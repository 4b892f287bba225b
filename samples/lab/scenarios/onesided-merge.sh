#!/usr/bin/env bash
# A merge of two traces of one LAN (issue 15): host A's capture is complete (both directions); host
# B was captured at its own port with `tcpdump src host B` (only what B sends: the one-direction
# capture a support desk gets from a box whose inbound mirror was not set up), and the two files
# were merged with mergecap. A meets a real incident (its DNS server never answers AAAA); B's
# traffic is healthy in reality (every query answered, every connection made), but none of its
# replies or SYN-ACKs is in the merged file. Nothing about B may be called unanswered or stalled.
#   clients A 2001:db8:1::10 / 192.0.2.10 and B 2001:db8:1::20 / 192.0.2.20 on one bridge;
#   server 2001:db8:1::53 (dnsmasq: every name A + AAAA, PTRs), 2001:db8:1::54 (dnsstub.py: A
#   answered, AAAA ignored), 2001:db8:1::80 / 192.0.2.80 (python3 http.server :80).
source "$(dirname "$0")/../lib.sh"
trap lab_teardown EXIT; trap 'exit 143' TERM INT
set -euo pipefail
source "$LAB_DIR/topo-lan.sh"
p=${LAB_NS_PREFIX-}i15o
A6=2001:db8:1::10; A4=192.0.2.10; B6=2001:db8:1::20; B4=192.0.2.20
ns "$p-s"
lan_switch "$p" 2 "$p-s" eth0
nsx "$p-s" sysctl -qw net.ipv6.conf.all.forwarding=0 net.ipv4.ip_forward=0
for a in 2001:db8:1::53/64 2001:db8:1::54/64 2001:db8:1::80/64; do addr "$p-s" eth0 "$a"; done
for a in 192.0.2.53/24 192.0.2.80/24; do addr4 "$p-s" eth0 "$a"; done
addr "$p-c1" eth0 "$A6/64"; addr4 "$p-c1" eth0 "$A4/24"
addr "$p-c2" eth0 "$B6/64"; addr4 "$p-c2" eth0 "$B4/24"
dnsmasq_start "$p-s" 2001:db8:1::53 --host-record=www.example.test,192.0.2.80,2001:db8:1::80
stub_dns "$p-s" --listen 2001:db8:1::54 --aaaa ignore --record www.example.test A 192.0.2.80
for i in $(seq 50); do nsx "$p-s" ss -Hlnu 'src [2001:db8:1::54]:53' | grep -q . && break; sleep 0.1; done
http_start "$p-s" 80
resolv "$p-c1" "nameserver 2001:db8:1::54" "options timeout:2 attempts:2"
resolv "$p-c2" "nameserver 2001:db8:1::53" "options timeout:2 attempts:2"
for c in c1 c2; do
  # neighbours resolved before the captures start
  nsx "$p-$c" ping -c1 -W2 2001:db8:1::53 >/dev/null && nsx "$p-$c" ping -c1 -W2 192.0.2.80 >/dev/null \
    && nsx "$p-$c" ping -c1 -W2 2001:db8:1::80 >/dev/null || die "topology $p: $c cannot reach the server"
done

cap_start "$p-c1" eth0 "$WORK_DIR/$p-a.pcap"
cap_start "$p-c2" eth0 "$WORK_DIR/$p-b-out.pcap" src host "$B6" or src host "$B4"
# B, healthy: a dual-stack lookup, reverse lookups under locally served zones (RFC 6303: the
# documentation prefixes), an IPv6 page, a 200 KB IPv6 download, an IPv4 page.
nsx "$p-c2" getent ahosts www.example.test >"$WORK_DIR/$p-b-getent.txt" || die "B: getent ahosts"
nsx "$p-c2" getent hosts 2001:db8:1::80 >>"$WORK_DIR/$p-b-getent.txt" || die "B: getent hosts 2001:db8:1::80"
nsx "$p-c2" getent hosts 192.0.2.80 >>"$WORK_DIR/$p-b-getent.txt" || die "B: getent hosts 192.0.2.80"
nsx "$p-c2" curl -6 -sS -o /dev/null -w '%{remote_ip} %{http_code}\n' http://www.example.test/ >"$WORK_DIR/$p-b-curl.txt" || die "B: curl -6"
# A, right after B's IPv6 connection: IPv4 to the same port (a fallback detector pairing by port
# and timing would take B's unseen handshake for a failed IPv6 attempt and this for its fallback)
nsx "$p-c1" curl -4 -sS -o /dev/null -w '%{remote_ip} %{http_code}\n' http://www.example.test/ >"$WORK_DIR/$p-a-curl.txt" || die "A: curl -4"
nsx "$p-c2" curl -6 -sS -o /dev/null -w '%{remote_ip} %{http_code}\n' http://www.example.test/blob >>"$WORK_DIR/$p-b-curl.txt" || die "B: curl -6 blob"
nsx "$p-c2" curl -4 -sS -o /dev/null -w '%{remote_ip} %{http_code}\n' http://www.example.test/ >>"$WORK_DIR/$p-b-curl.txt" || die "B: curl -4"
# A's incident: AAAA never answered (A answered), glibc retries, getaddrinfo returns A alone.
nsx "$p-c1" getent ahosts www.example.test >"$WORK_DIR/$p-a-getent.txt" || die "A: getent ahosts"
# The capture runs on past the unanswered timeout of B's last queries (dualscope waits 10 s).
sleep 11
cap_stop_all
log "B: $(awk '{print $1}' "$WORK_DIR/$p-b-getent.txt" | sort -u | tr '\n' ' '); curl: $(tr '\n' ' ' <"$WORK_DIR/$p-b-curl.txt")"
log "A: $(awk '{print $1}' "$WORK_DIR/$p-a-getent.txt" | sort -u | tr '\n' ' '); curl: $(tr '\n' ' ' <"$WORK_DIR/$p-a-curl.txt")"
mergecap -F pcap -w "$WORK_DIR/$p-merged.pcap" "$WORK_DIR/$p-a.pcap" "$WORK_DIR/$p-b-out.pcap"
stage "$WORK_DIR/$p-merged.pcap" onesided-merge-lan.pcap pcap-us
"$PY" "$LAB_DIR/verify-onesided.py" --out "$WORK_DIR/out" onesided --scenario onesided-merge \
  --cap merged=onesided-merge-lan.pcap --a "$A6,$A4" --b "$B6,$B4" \
  --a-cap "$WORK_DIR/$p-a.pcap" --b-cap "$WORK_DIR/$p-b-out.pcap" \
  --topology "clients A $A6 / $A4 and B $B6 / $B4 on one Linux bridge with the server 2001:db8:1::53 (dnsmasq, every name A+AAAA) / 2001:db8:1::54 (dnsstub.py: A answered, AAAA ignored) / 2001:db8:1::80, 192.0.2.80 (python3 http.server); A resolves through ::54, B through ::53; resolver options timeout:2 attempts:2; A captured at its port (both directions), B at its port with 'src host $B6 or src host $B4' (what B sends only); the two files merged with mergecap" \
  || die "verification failed"
publish_staged
