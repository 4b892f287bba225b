#!/usr/bin/python3
"""MSS clamping on several connections (verify.py's contract): checks with tshark that every
connection's SYN-ACK arrived with an MSS smaller than the one each side sent (both routers clamp to
the 1280 link), that no segment exceeded the clamped size and no ICMP arrived, and writes
expected/NAME.json: one path.mss_clamped per (client, server, SYN MSS, SYN-ACK MSS) with the number
of connections. Never runs dualscope.

  verify-mss.py --out DIR mss-many --scenario S --cap client=F --topology T
"""
import argparse
import importlib.util
import os
import sys

_spec = importlib.util.spec_from_file_location('verify', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'verify.py'))
V = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(V)
check, Fail, truthy = V.check, V.Fail, V.truthy


def mss_many(a, out):
    caps = dict(c.split('=', 1) for c in a.cap)
    cap = caps['client']
    pk = V.load(out.path(cap))
    check(not any(p['icmp'] and p['icmpv6.type'] not in ('135', '136') for p in pk), 'an ICMP error arrived')
    syns = [p for p in pk if truthy(p['tcp.flags.syn']) and not truthy(p['tcp.flags.ack'])]
    groups = {}
    frames = {}
    for s in syns:
        sa = next((p for p in pk if truthy(p['tcp.flags.syn']) and truthy(p['tcp.flags.ack']) and p['src'] == s['dst']
                   and p['tcp.dstport'] == s['tcp.srcport'] and p['n'] > s['n']), None)
        check(sa is not None, f'SYN #{s["n"]} not answered')
        cm, sm = int(s['tcp.options.mss_val']), int(sa['tcp.options.mss_val'])
        hdr = 60 if ':' in s['dst'] else 40
        check(cm == 1500 - hdr, f'SYN #{s["n"]}: client MSS {cm}, not its 1500-byte link')
        check(sm == 1280 - hdr, f'SYN-ACK #{sa["n"]}: MSS {sm}, not clamped to the 1280 link')
        biggest = max((V.iplen(p) for p in pk if p['src'] == s['dst'] and p['tcp.dstport'] == s['tcp.srcport']), default=0)
        check(biggest <= 1280, f'a segment of {biggest} bytes from {s["dst"]}')
        key = (s['src'], s['dst'], cm, sm)
        groups[key] = groups.get(key, 0) + 1
        frames.setdefault(key, []).extend([s['n'], sa['n']])
    check(len(syns) >= 4 and any(n > 1 for n in groups.values()), f'connections per MSS pair: {groups}')
    must = [{'kind': 'path.mss_clamped', 'client': c, 'server': s,
             'details': {'reason': 'asymmetric', 'mssClient': cm, 'mssServer': sm, 'connections': n},
             'frames': sorted(frames[(c, s, cm, sm)])[:2]}
            for (c, s, cm, sm), n in sorted(groups.items())]
    obs = '; '.join(f'{n} connection(s) {c} -> {s}: SYN MSS {cm}, SYN-ACK arrives with MSS {sm} (frames {", ".join(map(str, sorted(frames[(c, s, cm, sm)])))})'
                    for (c, s, cm, sm), n in sorted(groups.items()))
    obs += '; no segment above 1280 bytes, no ICMP error, every transfer completes.'
    out.add(cap, a.scenario, 'client', must, ['path.pmtud_blackhole', 'path.ptb_problem', 'path.fallback_delay'], obs,
            may=['dns.resolver_profile'], topology=a.topology)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    sub = ap.add_subparsers(dest='cmd', required=True)
    V.scenario_parser(sub, 'mss-many')
    a = ap.parse_args()
    out = V.Out(a.out)
    try:
        mss_many(a, out)
    except Fail as e:
        print(f'verify-mss: FAILED: {e}', file=sys.stderr)
        return 1
    out.write()
    return 0


if __name__ == '__main__':
    sys.exit(main())
