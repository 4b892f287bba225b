#!/usr/bin/python3
"""Sends ICMPv6 Packet Too Big messages a Linux router would not (stdlib only).

Watches one interface (AF_PACKET) for IPv6 TCP packets from --from longer than --over bytes and
answers each of the first --max of them with a Packet Too Big to its sender, quoting the first 1232
bytes of it, naming --mtu. With --quote-src the quoted packet's source address is rewritten (a PTB
quoting another host's flow, as a load balancer hands one to the wrong server). The router's own
PTBs are meant to be dropped by nftables in the scenario. Logs one line per PTB on stderr.
"""
import argparse
import ipaddress
import socket
import sys

ETH_P_IPV6 = 0x86DD
FORGED_MARK = 0x5054  # meta mark of every PTB sent here


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--iface', required=True)
    ap.add_argument('--from', dest='src', required=True)
    ap.add_argument('--over', type=int, default=1280)
    ap.add_argument('--mtu', type=int, required=True)
    ap.add_argument('--max', type=int, default=3)
    ap.add_argument('--quote-src', default=None)
    a = ap.parse_args()
    want = ipaddress.IPv6Address(a.src).packed
    rewrite = ipaddress.IPv6Address(a.quote_src).packed if a.quote_src else None
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IPV6))
    rx.bind((a.iface, ETH_P_IPV6))
    tx = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)  # the kernel fills in the checksum
    tx.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, FORGED_MARK)  # so nftables can tell ours from the router's own
    sent = 0
    print(f'ptbforge: watching {a.iface} for packets from {a.src} over {a.over} bytes', file=sys.stderr, flush=True)
    while sent < a.max:
        frame, addr = rx.recvfrom(65535)
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        ip = frame[14:] if len(frame) > 14 and frame[12:14] == b'\x86\xdd' else frame
        if len(ip) < 40 or ip[0] >> 4 != 6 or ip[6] != 6 or ip[8:24] != want or len(ip) <= a.over:
            continue
        quote = bytearray(ip[:1232])
        if rewrite:
            quote[8:24] = rewrite
        body = bytes([2, 0, 0, 0]) + a.mtu.to_bytes(4, 'big') + bytes(quote)
        tx.sendto(body, (a.src, 0))
        sent += 1
        print(f'ptbforge: PTB mtu {a.mtu} for a {len(ip)}-byte packet to {a.src}', file=sys.stderr, flush=True)


if __name__ == '__main__':
    main()
