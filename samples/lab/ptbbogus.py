#!/usr/bin/python3
"""Sends ICMPv6 Packet Too Big messages from sources no router can have (issue 15), with scapy.

Watches --iface (AF_PACKET) for IPv6 TCP packets longer than --over bytes and answers the first one
with one PTB per --source (e.g. ::ffff:192.0.2.1, ::, ff02::1), each quoting the first 1232 bytes of
it and naming --mtu, sent as raw Ethernet frames so the kernel's source-address checks do not apply.
Logs one line per PTB on stderr.
"""
import argparse
import socket
import sys

from scapy.all import Ether, ICMPv6PacketTooBig, IPv6, Raw, sendp  # type: ignore

ETH_P_IPV6 = 0x86DD


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--iface', required=True)
    ap.add_argument('--over', type=int, default=1280)
    ap.add_argument('--mtu', type=int, default=1400)
    ap.add_argument('--source', action='append', required=True)
    a = ap.parse_args()
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IPV6))
    rx.bind((a.iface, ETH_P_IPV6))
    while True:
        frame, addr = rx.recvfrom(65535)
        if addr[2] == socket.PACKET_OUTGOING or len(frame) < 14 + 40:
            continue
        ip = frame[14:]
        if ip[6] != 6 or len(ip) <= a.over:
            continue
        sender_mac = ':'.join(f'{b:02x}' for b in frame[6:12])
        sender = socket.inet_ntop(socket.AF_INET6, ip[8:24])
        for src in a.source:
            p = Ether(dst=sender_mac) / IPv6(src=src, dst=sender, hlim=64) / ICMPv6PacketTooBig(mtu=a.mtu) / Raw(ip[:1232])
            sendp(p, iface=a.iface, verbose=False)
            print(f'ptbbogus: PTB mtu {a.mtu} from {src} to {sender}', file=sys.stderr, flush=True)
        return


if __name__ == '__main__':
    main()
