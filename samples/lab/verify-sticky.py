#!/usr/bin/python3
"""Sticky-firewall scenarios (verify.py's contract): checks with tshark that the captures show the
designed mechanism, cross-checks the firewall's drop counter, and writes expected/NAME.json from what
the lab set up. Never runs dualscope.

  verify-sticky.py --out DIR sticky --fw-drops N --cap client=F [--cap server=F | --cap resolver=F]
"""
import argparse
import importlib.util
import os
import sys

_spec = importlib.util.spec_from_file_location('verify', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'verify.py'))
V = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(V)
check = V.check


def sticky(a, out):
    """glibc behind the sticky firewall: after its timeout (2 s) it asks again on the same socket and
    nothing more arrives. At the server or resolver every query is answered; the firewall counted
    at least the replies missing at the client."""
    caps = dict(c.split('=', 1) for c in a.cap)
    cpk = V.load(out.path(caps['client']))
    r = V.StickyRound(V.dns_msgs(cpk), max_gap=100_000)
    qs, rs, sock, first = r.qs, r.rs, r.sock, r.first
    again = [q for q in qs if q['t'] > rs[0]['t'] and q['n'] not in r.firsts()]
    check(again, 'client: nothing asked again after the first reply')
    rgap = again[0]['t'] - first[again[0]['qtype']]['t']
    check(1_800_000 <= rgap <= 2_600_000, f'client: asked again after {rgap} µs, not after the 2 s timeout')
    same_id = all(q['id'] == first[q['qtype']]['id'] for q in again)
    end = cpk[-1]['t']
    tail = end - qs[-1]['t']
    check(tail < a.max_tail * 1e6, f'client: the capture runs {tail} µs past the last query')
    desc_again = ', '.join(f"#{q['n']} {q['qtype']} id {q['id']}" for q in again)
    obs = (r.said() + "the client asks again on the same socket"
           f"{' with the same id' if same_id else ''} ({desc_again}) {rgap / 1e6:.3f} s after the first question, "
           f"and no reply arrives; the last packet of the capture is {tail / 1e6:.3f} s after the last query. "
           f"getent ahosts failed. The firewall counted {a.fw_drops} dropped replies by the time getent gave up.")
    must_not = ['dns.aaaa_unanswered', 'dns.local_zone_leak']
    out.add(caps['client'], a.scenario, 'client', [r.client_finding(again)], must_not, obs,
            may=['dns.slow_lookup', 'dns.resolver_profile'], topology=a.topology)
    spoint = 'resolver' if 'resolver' in caps else 'server' if 'server' in caps else None
    if spoint is None:
        return
    sq, sr, sfirst, sagain = r.far_side(out.path(caps[spoint]))
    check(len(sq) == len(qs), f'{spoint}: {len(sq)} queries from the client socket, the client sent {len(qs)}')
    for q in sq:
        reply = next((x for x in sr if (x['id'], x['qtype']) == (q['id'], q['qtype']) and 0 <= x['t'] - q['t'] < 100_000), None)
        check(reply is not None, f'{spoint}: query #{q["n"]} not answered within 100 ms')
    # the counter is read after getent gave up, so it also holds drops after the capture ended
    check(int(a.fw_drops) >= len(sr) - len(rs) > 0, f'firewall dropped {a.fw_drops}, {len(sr)} replies left the {spoint}, {len(rs)} arrived')
    sfinding = V.same_port_finding(sock, r.name, {'seenFrom': 'server-side'},
                                   sorted({sfirst['A']['n'], sfirst['AAAA']['n'], sagain[0]['n']} | {x['n'] for x in sr if x['t'] < sagain[0]['t']}))
    out.add(caps[spoint], a.scenario, spoint, [sfinding], must_not,
            f"{spoint.capitalize()} side of the same lookup (its client-facing link): every query from {sock[0]} port {sock[1]} "
            f"is answered within 100 ms ({len(sr)} replies leave here); {len(sagain)} question(s) come again on the same 5-tuple "
            f"about 2 s after the first round ({', '.join('#%d %s' % (q['n'], q['qtype']) for q in sagain)}): the client did not "
            f"receive what was answered. {len(sr) - len(rs)} of them never reached the client (the firewall between here and the client dropped them); "
            'which of the first round was lost, and that the lookup failed, cannot be seen from here.',
            may=['dns.slow_lookup', 'dns.resolver_profile'], topology=a.topology)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    sub = ap.add_subparsers(dest='cmd', required=True)
    s = V.scenario_parser(sub, 'sticky')
    s.add_argument('--fw-drops', required=True)
    s.add_argument('--max-tail', type=float, default=2.0, help='seconds the capture may run past the last query')
    a = ap.parse_args()
    return V.run_check('verify-sticky', a, sticky)


if __name__ == '__main__':
    sys.exit(main())
