#!/usr/bin/python3
"""One-sided merge scenario (verify.py's contract): checks with tshark that the two captures and
their merge show what the lab set up, and writes expected/NAME.json from it. Never runs dualscope.

  verify-onesided.py --out DIR onesided --scenario S --cap merged=F --a A6,A4 --b B6,B4 --a-cap RAW --b-cap RAW

Host A's capture holds both directions and A's real incident (AAAA never answered while A is);
host B's holds only what B sent, although B's lookups and connections all worked (the scenario
script stops if any of them failed): B's SYNs are followed by B's own ACKs and requests (B received
SYN-ACKs the capture does not hold), and no packet addressed to B is in the merge.
"""
import argparse
import importlib.util
import os
import sys

_spec = importlib.util.spec_from_file_location('verify', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'verify.py'))
V = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(V)
check, truthy = V.check, V.truthy


def onesided(a, out):
    caps = dict(c.split('=', 1) for c in a.cap)
    merged = caps['merged']
    ahosts, bhosts = a.a.split(','), a.b.split(',')
    apk, bpk, mpk = V.load(a.a_cap), V.load(a.b_cap), V.load(out.path(merged))
    check(len(mpk) == len(apk) + len(bpk), f'merge holds {len(mpk)} packets, the captures {len(apk)} + {len(bpk)}')
    # B's capture: only what B sent
    check(bpk and all(p['src'] in bhosts for p in bpk if p['src']), 'B capture: a packet B did not send')
    check(not any(p['dst'] in bhosts for p in mpk), 'merge: a packet addressed to B')
    # A's capture: both directions
    check(any(p['dst'] in ahosts for p in apk) and any(p['src'] in ahosts for p in apk), 'A capture: not both directions')
    # B's handshakes completed although no SYN-ACK is in the merge: B acknowledged one and sent its request
    bsyn = [p for p in bpk if truthy(p['tcp.flags.syn']) and not truthy(p['tcp.flags.ack'])]
    check(bsyn, 'B: no SYN')
    done = 0
    for s in bsyn:
        after = [p for p in bpk if p['tcp.srcport'] == s['tcp.srcport'] and p['dst'] == s['dst'] and p['n'] > s['n']]
        if any(truthy(p['tcp.flags.ack']) and not truthy(p['tcp.flags.syn']) for p in after) and any(int(p['tcp.len'] or 0) > 0 for p in after):
            done += 1
    check(done == len(bsyn), f'B: {done} of {len(bsyn)} connections acknowledged a SYN-ACK and sent a request')
    check(not any(truthy(p['tcp.analysis.retransmission']) for p in bpk), 'B: a retransmission (B lost something)')
    bfam = {'6' if ':' in p['dst'] else '4' for p in bsyn}
    check(bfam == {'4', '6'}, f'B: connections over {sorted(bfam)} only')
    bdns = [m for m in V.dns_msgs(bpk) if not m['qr']]
    check(any(m['qtype'] == 'PTR' for m in bdns), 'B: no reverse lookup')
    # A's incident: AAAA never answered (every retry), A answered (frame numbers of the merge)
    am = V.dns_msgs(mpk)
    ex = V.exchanges(am, client=ahosts[0], name=a.name)
    a4 = [e for e in ex if e['q']['qtype'] == 'AAAA']
    aa = [e for e in ex if e['q']['qtype'] == 'A']
    check(len(a4) >= 2 and all(e['r'] is None for e in a4), f'A: AAAA answered or asked once: {[V.describe_ex(e) for e in a4]}')
    check(any(e['r'] and e['r']['rcode'] == 0 and e['r']['an'] > 0 for e in aa), 'A: A never answered')
    aaaa_frames = [e['q']['n'] for e in a4]
    # the A answer of the lookup that asked AAAA (same socket)
    a_reply = next(e['r']['n'] for e in aa if e['r'] and e['q']['cport'] == a4[0]['q']['cport'])
    finding = {'kind': 'dns.aaaa_unanswered', 'client': ahosts[0], 'server': a4[0]['q']['server'], 'names': [a.name],
               'details': {'response': 'none', 'aaaaQueries': len(a4), 'aaaaPorts': sorted({e['q']['cport'] for e in a4})},
               'frames': sorted(aaaa_frames + [a_reply])}
    must_not = ['dns.local_zone_leak', 'dns.same_port_reply_drop', 'dns.slow_lookup', 'path.fallback_delay',
                'path.pmtud_blackhole', 'path.ptb_problem', 'path.neighbor_unreachable']
    nconn = len(bsyn)
    obs = (f"{len(mpk)} packets: A's capture ({len(apk)}, both directions) merged with B's ({len(bpk)}, only what B sent). "
           f"B asked {len(bdns)} questions ({', '.join(sorted({m['qtype'] for m in bdns}))}) and made {nconn} TCP connections "
           f"(IPv6 and IPv4); each SYN is followed by B's own ACK and request, so B received SYN-ACKs the capture does not hold; "
           f"every lookup and curl of B succeeded in the lab; no packet addressed to B is in the file. "
           f"A: {'; '.join(V.describe_ex(e) for e in a4 + aa[:2])}; getaddrinfo returned the A answer alone. "
           f"A's curl -4 connected to the same server port right after B's first IPv6 connection.")
    out.add(merged, a.scenario, 'merged: A both directions, B outbound only', [finding], must_not, obs,
            may=['dns.resolver_profile'], topology=a.topology,
            notes=f'oneSidedHosts: no finding may name {", ".join(bhosts)} as client or server: its inbound traffic is not in the capture.')
    out.docs[-1]['oneSidedHosts'] = bhosts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    sub = ap.add_subparsers(dest='cmd', required=True)
    s = V.scenario_parser(sub, 'onesided')
    s.add_argument('--a', required=True, help='host A addresses (complete capture), comma-separated')
    s.add_argument('--b', required=True, help='host B addresses (outbound-only capture), comma-separated')
    s.add_argument('--a-cap', required=True)
    s.add_argument('--b-cap', required=True)
    s.add_argument('--name', default='www.example.test')
    a = ap.parse_args()
    return V.run_check('verify-onesided', a, onesided)


if __name__ == '__main__':
    sys.exit(main())
