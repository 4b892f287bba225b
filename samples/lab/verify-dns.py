#!/usr/bin/python3
"""DNS scenarios beyond verify.py's (other resolver options, other capture points). Same contract:
checks with tshark that the capture shows the designed mechanism, cross-checks it with what the
lab itself counted (nft drop counters), and writes expected/NAME.json. Never runs dualscope.

  verify-dns.py --out DIR same-port-drop-any --timeout 1 --fw-drops N --cap client=F [--cap router=F]
"""
import argparse
import importlib.util
import os
import subprocess
import sys

_spec = importlib.util.spec_from_file_location('verify', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'verify.py'))
V = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(V)
check, tol = V.check, V.tol


def same_port_drop_any(a, out):
    """Per name: the first A query opens the lookup; on its socket A and AAAA leave within 100 ms,
    one is answered, the other's reply never arrives and that question is answered only after the
    client's timeout (whatever socket it re-asks from). The firewall's drop counter must equal the
    number of lost replies seen at the client."""
    caps = dict(c.split('=', 1) for c in a.cap)
    msgs = V.dns_msgs(V.load(out.path(caps['client'])))
    ex = V.exchanges(msgs)
    timeout = int(float(a.timeout) * 1_000_000)
    names = []
    for e in ex:
        if e['q']['name'] not in names:
            names.append(e['q']['name'])
    findings, observed = [], []
    for name in names:
        mine = [e for e in ex if e['q']['name'] == name]
        first_a = next(e for e in mine if e['q']['qtype'] == 'A')
        sock = (first_a['q']['client'], first_a['q']['cport'], first_a['q']['server'])
        on_sock = [e for e in mine if (e['q']['client'], e['q']['cport'], e['q']['server']) == sock]
        first = {}
        for e in on_sock:
            first.setdefault(e['q']['qtype'], e)
        if 'AAAA' not in first:
            # glibc set RES_SNGLKUPREOP on itself after a round with one reply: later calls in the
            # same process use a new socket per query, and the firewall drops nothing.
            f6 = next(e for e in mine if e['q']['qtype'] == 'AAAA')
            check(first_a['r'] is not None and f6['r'] is not None, f'{name}: separate sockets, yet a reply is missing')
            observed.append(f"{name}: A #{first_a['q']['n']} from port {sock[1]} and AAAA #{f6['q']['n']} from port "
                            f"{f6['q']['cport']} (separate sockets), both answered at once")
            continue
        fa, f6 = first['A'], first['AAAA']
        gap = abs(f6['q']['t'] - fa['q']['t'])
        check(gap < 100_000, f'{name}: A/AAAA {gap} µs apart on one socket')
        lost_types = [t for t in ('A', 'AAAA') if first[t]['r'] is None]
        if not lost_types:
            observed.append(f"{name}: A #{fa['q']['n']} and AAAA #{f6['q']['n']} from port {sock[1]} {gap} µs apart, both answered")
            continue
        check(len(lost_types) == 1, f'{name}: both first-round replies missing')
        lost = lost_types[0]
        kept = 'A' if lost == 'AAAA' else 'AAAA'
        fl, fk = first[lost], first[kept]
        later = [e for e in mine if e['q']['qtype'] == lost and e['q']['t'] > fl['q']['t']]
        check(later, f'{name}: the {lost} question was never asked again')
        resend = later[0]
        rgap = resend['q']['t'] - fl['q']['t']
        check(0.8 * timeout <= rgap <= 1.5 * timeout, f'{name}: {lost} asked again after {rgap} µs, not after the {timeout} µs timeout')
        answered = [e for e in later if e['r'] is not None]
        check(answered, f'{name}: the {lost} question was never answered after the re-send')
        fin = answered[0]
        check(fin['r']['t'] - fin['q']['t'] < 50_000, f'{name}: the re-sent {lost} was not answered at once')
        delay = fin['r']['t'] - fl['q']['t']
        frames = sorted({fl['q']['n'], fk['r']['n'], resend['q']['n'], fin['q']['n'], fin['r']['n']})
        findings.append({'kind': 'dns.same_port_reply_drop', 'client': sock[0], 'server': sock[2], 'clientPort': sock[1],
                         'names': [name], 'details': {'lostReply': lost}, 'delayMicros': tol(delay), 'frames': frames})
        how = 'together' if fk['r']['t'] > fl['q']['t'] else f"one after the other (the {lost} query left after the {kept} reply)"
        observed.append(
            f"{name}: {fa['q']['qtype']} #{fa['q']['n']} and AAAA #{f6['q']['n']} from port {sock[1]} {gap} µs apart, {how}; "
            f"{kept} answered #{fk['r']['n']}, the {lost} reply never arrives; {lost} asked again #{resend['q']['n']} "
            f"(port {resend['q']['cport']}) {rgap / 1e6:.3f} s later and answered #{fin['r']['n']}, {delay / 1e6:.3f} s after it was first asked")
    check(findings, 'no reply lost at the client')
    check(int(a.fw_drops) == len(findings), f'firewall dropped {a.fw_drops} replies, the client misses {len(findings)}')
    out.add(caps['client'], a.scenario, 'client', findings, ['dns.aaaa_unanswered', 'dns.local_zone_leak'],
            '; '.join(observed) + f'. The firewall counted {a.fw_drops} dropped replies.',
            may=['dns.slow_lookup', 'dns.resolver_profile'], topology=a.topology)
    if 'router' in caps:
        # Raw frames (no de-duplication): a forwarded reply is written twice, a dropped one once.
        raw = subprocess.run(['tshark', '-n', '-r', out.path(caps['router']), '-Y', 'dns.flags.response == 1', '-T', 'fields',
                              '-e', 'frame.number', '-e', 'frame.time_epoch', '-e', 'dns.id', '-e', 'dns.qry.type', '-e', 'udp.dstport'],
                             capture_output=True, text=True, check=True).stdout.split('\n')
        rows = [line.split('\t') for line in filter(None, raw)]
        rows = [(int(n), V.micros(t), (qid, qt, port)) for n, t, qid, qt, port in rows]
        # a reply with no copy of itself (same id, type, port) within 2 ms was not forwarded
        once = sorted(n for n, t, k in rows if not any(k2 == k and n2 != n and abs(t2 - t) < 2_000 for n2, t2, k2 in rows))
        check(len(once) == len(findings), f'router: {len(once)} replies seen only inbound, {len(findings)} expected')
        out.add(caps['router'], a.scenario, 'router', [], ['dns.aaaa_unanswered', 'dns.local_zone_leak'],
                f"Captured on the firewall with -i any: every forwarded packet appears twice (in, then out); the "
                f"{len(once)} dropped replies appear once, inbound only (frames {', '.join('#%d' % n for n in once)}). "
                'A capture taken before the drop shows every reply, so the same-port drop cannot be proven here; '
                'the lookups still took one client timeout each.',
                may=['dns.same_port_reply_drop', 'dns.slow_lookup', 'dns.resolver_profile'], topology=a.topology)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    sub = ap.add_subparsers(dest='cmd', required=True)
    s = V.scenario_parser(sub, 'same-port-drop-any')
    s.add_argument('--timeout', required=True)
    s.add_argument('--fw-drops', required=True)
    a = ap.parse_args()
    return V.run_check('verify-dns', a, {'same-port-drop-any': same_port_drop_any}[a.cmd])


if __name__ == '__main__':
    sys.exit(main())
