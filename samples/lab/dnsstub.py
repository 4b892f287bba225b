#!/usr/bin/python3
"""A tiny authoritative DNS server (stdlib only) that misbehaves on purpose.

It stands in for a GSLB / load-balancer DNS that only knows A records:
  --aaaa answer    AAAA answered from --record (NODATA if none): the correct behaviour
  --aaaa ignore    AAAA queries are read and never answered (the GSLB that times out)
  --aaaa nxdomain  AAAA answered NXDOMAIN although the name has an A record (RFC 4074 §4.2)
  --silent         nothing is ever answered (an upstream that never replies)
Records: --record NAME TYPE VALUE (TYPE: A, AAAA, PTR). Names outside the records get NXDOMAIN.
Logs one line per query on stderr.
"""
import argparse
import ipaddress
import socket
import struct
import sys

TYPES = {'A': 1, 'AAAA': 28, 'PTR': 12, 'NS': 2, 'SOA': 6}
TYPE_NAMES = {v: k for k, v in TYPES.items()}


def read_name(msg, off):
    labels = []
    while True:
        n = msg[off]
        if n == 0:
            return '.'.join(labels).lower(), off + 1
        if n & 0xC0:
            raise ValueError('compressed name in question')
        labels.append(msg[off + 1:off + 1 + n].decode('ascii', 'replace'))
        off += 1 + n


def encode_name(name):
    out = b''
    for label in name.rstrip('.').split('.'):
        if label:
            out += bytes([len(label)]) + label.encode('ascii')
    return out + b'\0'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--listen', required=True)
    ap.add_argument('--port', type=int, default=53)
    ap.add_argument('--aaaa', choices=['answer', 'ignore', 'nxdomain'], default='answer')
    ap.add_argument('--silent', action='store_true')
    ap.add_argument('--ttl', type=int, default=30)
    ap.add_argument('--record', nargs=3, action='append', default=[], metavar=('NAME', 'TYPE', 'VALUE'))
    a = ap.parse_args()

    records = {}
    for name, rtype, value in a.record:
        records.setdefault(name.lower().rstrip('.'), []).append((TYPES[rtype.upper()], value))

    fam = socket.AF_INET6 if ':' in a.listen else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((a.listen, a.port))
    print(f'dnsstub listening on {a.listen}:{a.port} aaaa={a.aaaa} silent={a.silent}', file=sys.stderr, flush=True)

    while True:
        msg, peer = s.recvfrom(4096)
        if len(msg) < 12:
            continue
        qid, flags, qd = struct.unpack('!HHH', msg[:6])
        if flags & 0x8000 or qd != 1:
            continue
        try:
            qname, off = read_name(msg, 12)
        except (ValueError, IndexError):
            continue
        qtype, qclass = struct.unpack('!HH', msg[off:off + 4])
        question = msg[12:off + 4]
        tname = TYPE_NAMES.get(qtype, str(qtype))
        if a.silent or (qtype == 28 and a.aaaa == 'ignore'):
            print(f'query {qid} {tname} {qname} from {peer[0]}: ignored', file=sys.stderr, flush=True)
            continue
        known = records.get(qname)
        rcode = 0
        answers = []
        if known is None or (qtype == 28 and a.aaaa == 'nxdomain'):
            rcode = 3
        else:
            for rtype, value in known:
                if rtype != qtype:
                    continue
                if rtype == 1:
                    rdata = ipaddress.IPv4Address(value).packed
                elif rtype == 28:
                    rdata = ipaddress.IPv6Address(value).packed
                else:
                    rdata = encode_name(value)
                answers.append(b'\xc0\x0c' + struct.pack('!HHIH', rtype, 1, a.ttl, len(rdata)) + rdata)
        rd = flags & 0x0100
        out_flags = 0x8000 | 0x0400 | rd | rcode  # QR, AA, RD copied, RA clear
        header = struct.pack('!HHHHHH', qid, out_flags, 1, len(answers), 0, 0)
        s.sendto(header + question + b''.join(answers), peer)
        print(f'query {qid} {tname} {qname} from {peer[0]}: rcode {rcode}, {len(answers)} answers',
              file=sys.stderr, flush=True)


if __name__ == '__main__':
    main()
