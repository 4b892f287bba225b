#!/usr/bin/python3
"""A caching stub resolver, for the server-side controls: one UDP socket, A and AAAA for a name
sent together, both answers awaited; when the answers' TTL has expired it asks again on the same
socket under new ids. (stdlib only)

  reask-client.py SERVER NAME ROUNDS
"""
import os
import socket
import struct
import sys
import time

server, name, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])


def query(qid, qtype):
    q = b''.join(bytes([len(p)]) + p.encode() for p in name.split('.')) + b'\0'
    return struct.pack('>HHHHHH', qid, 0x0100, 1, 0, 0, 0) + q + struct.pack('>HH', qtype, 1)


def min_ttl(msg):
    """The smallest TTL of the answer records (enough parsing for dnsmasq's uncompressed replies)."""
    an = struct.unpack('>H', msg[6:8])[0]
    off = 12
    while msg[off]:
        off += msg[off] + 1
    off += 5
    ttls = []
    for _ in range(an):
        if msg[off] & 0xC0 == 0xC0:
            off += 2
        else:
            while msg[off]:
                off += msg[off] + 1
            off += 1
        _, _, ttl, rdlen = struct.unpack('>HHIH', msg[off:off + 10])
        ttls.append(ttl)
        off += 10 + rdlen
    return min(ttls) if ttls else 0


fam = socket.AF_INET6 if ':' in server else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((server, 53))
for r in range(rounds):
    ids = {struct.unpack('>H', os.urandom(2))[0]: t for t in (1, 28)}
    for qid, t in ids.items():
        s.send(query(qid, t))
    ttl = None
    while ids:
        msg = s.recv(4096)
        qid = struct.unpack('>H', msg[:2])[0]
        if qid in ids:
            del ids[qid]
            t = min_ttl(msg)
            ttl = t if ttl is None else min(ttl, t)
    print(f'round {r + 1}: both answered, TTL {ttl} s', flush=True)
    if r + 1 < rounds:
        time.sleep(max(ttl, 1) + 0.2)  # the cache expires; ask again
