#!/usr/bin/python3
"""Path controls and counts (verify.py's contract), checked with tshark; never runs dualscope.

mss-many: MSS clamping on several connections: checks that every
connection's SYN-ACK arrived with an MSS smaller than the one each side sent (both routers clamp to
the 1280 link), that no segment exceeded the clamped size and no ICMP arrived, and writes
expected/NAME.json: one path.mss_clamped per (client, server, SYN MSS, SYN-ACK MSS) with the number
of connections.
slow-server: a server that is simply slow: every connection completes, nothing is retransmitted, and
the server's data pauses at least 2 s with nothing outstanding; no path finding may appear.

  verify-mss.py --out DIR mss-many|slow-server --scenario S --cap client=F --topology T
"""
import argparse
import importlib.util
import os
import sys

_spec = importlib.util.spec_from_file_location('verify', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'verify.py'))
V = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(V)
check, truthy = V.check, V.truthy


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


def slow_server(a, out):
    caps = dict(c.split('=', 1) for c in a.cap)
    cap = caps['client']
    pk = V.load(out.path(cap))
    check(not any(p['icmp'] and p['icmpv6.type'] not in ('135', '136') for p in pk), 'an ICMP error arrived')
    check(not any(truthy(p['tcp.analysis.retransmission']) for p in pk), 'a retransmission')
    syns = [p for p in pk if truthy(p['tcp.flags.syn']) and not truthy(p['tcp.flags.ack'])]
    check(len(syns) == 2 and {':' in s['dst'] for s in syns} == {True, False}, f'{len(syns)} connections, not one per family')
    notes = []
    for s in syns:
        data = [p for p in pk if p['src'] == s['dst'] and p['tcp.dstport'] == s['tcp.srcport'] and int(p['tcp.len'] or 0) > 0]
        acks = [p for p in pk if p['src'] == s['src'] and p['tcp.srcport'] == s['tcp.srcport'] and truthy(p['tcp.flags.ack'])]
        check(sum(int(p['tcp.len']) for p in data) >= 60000, f'SYN #{s["n"]}: the body did not arrive in full')
        gaps = [(b['t'] - a_['t'], a_, b) for a_, b in zip(data, data[1:]) if b['t'] - a_['t'] >= 2_000_000]
        check(len(gaps) >= 2, f'SYN #{s["n"]}: the server did not pause twice')
        for _, before, after in gaps:
            end = int(before['tcp.seq_raw']) + int(before['tcp.len'])
            acked = any(int(p['tcp.ack_raw'] or 0) >= end and before['t'] <= p['t'] < after['t'] for p in acks)
            check(acked, f'#{before["n"]}: data outstanding during the pause')
        big = max(V.iplen(p) for p in data)
        notes.append(f"{s['src']} -> {s['dst']} (SYN #{s['n']}): {len(data)} data segments up to {big} bytes, pauses of "
                     + ', '.join(f"{g / 1e6:.2f} s after #{b['n']}" for g, b, _ in gaps) + ' with every byte acknowledged')
    obs = '; '.join(notes) + '; nothing retransmitted, no ICMP error, both transfers complete.'
    out.add(cap, a.scenario, 'client', [], ['path.pmtud_blackhole', 'path.ptb_problem', 'path.fallback_delay', 'path.mss_clamped'], obs,
            may=[], topology=a.topology)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    sub = ap.add_subparsers(dest='cmd', required=True)
    V.scenario_parser(sub, 'mss-many')
    V.scenario_parser(sub, 'slow-server')
    a = ap.parse_args()
    return V.run_check('verify-mss', a, (mss_many if a.cmd == 'mss-many' else slow_server))


if __name__ == '__main__':
    sys.exit(main())
