#!/usr/bin/python3
"""Stub resolvers other than glibc's (musl, Go's pure resolver) and clients other than curl.
Same contract as verify.py: checks with tshark that the capture shows the mechanism the scenario
set up, cross-checks it with what the lab counted (nft drop counters), and writes
expected/NAME.json. Never runs dualscope.

  verify-stubs.py --out DIR same-port-drop --stub musl --retry-ms 1000 --fw-drops N --cap client=F [--cap server=F]
  verify-stubs.py --out DIR separate-sockets --stub go --fw-drops 0 --cap client=F
  verify-stubs.py --out DIR multi-server --stub musl --servers S1,S2 --cap client=F
"""
import argparse
import importlib.util
import os
import sys

_spec = importlib.util.spec_from_file_location('verify', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'verify.py'))
V = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(V)
check, Fail, tol = V.check, V.Fail, V.tol


def lookups(ex):
    """Exchanges grouped per name, in the order the names were first asked."""
    names = []
    for e in ex:
        if e['q']['name'] not in names:
            names.append(e['q']['name'])
    return [(n, [e for e in ex if e['q']['name'] == n]) for n in names]


def same_port_drop(a, out):
    """Per name: A and AAAA leave one socket back-to-back; one reply never arrives; the lost question
    alone is asked again with the same id after the stub's retry interval (musl: timeout/attempts,
    c-ares: timeout), from the same socket (musl) or a new one (c-ares), as --resend-from says, and
    answered at once; the answered question is not asked again. The firewall's drop counter must
    equal the number of lost replies seen at the client."""
    caps = dict(c.split('=', 1) for c in a.cap)
    ex = V.exchanges(V.dns_msgs(V.load(out.path(caps['client']))))
    retry = a.retry_ms * 1000
    findings, observed = [], []
    for name, mine in lookups(ex):
        first = {}
        for e in mine:
            first.setdefault(e['q']['qtype'], e)
        check({'A', 'AAAA'} <= set(first), f'{name}: A and AAAA not both asked')
        fa, f6 = first['A'], first['AAAA']
        sock = (fa['q']['client'], fa['q']['cport'], fa['q']['server'])
        check((f6['q']['client'], f6['q']['cport'], f6['q']['server']) == sock, f'{name}: A and AAAA from different sockets')
        gap = abs(f6['q']['t'] - fa['q']['t'])
        check(gap < 20_000, f'{name}: A/AAAA {gap} µs apart (not back-to-back)')
        lost_types = [t for t in ('A', 'AAAA') if first[t]['r'] is None]
        check(len(lost_types) == 1, f'{name}: {len(lost_types)} first-round replies missing, not one')
        lost = lost_types[0]
        kept = 'A' if lost == 'AAAA' else 'AAAA'
        fl, fk = first[lost], first[kept]
        again = [e for e in mine if e['q']['qtype'] == lost and e['q']['n'] > fl['q']['n']]
        check(again, f'{name}: the {lost} question was never asked again')
        rs = again[0]
        check(rs['q']['id'] == fl['q']['id'] and (rs['q']['client'], rs['q']['server']) == (sock[0], sock[2]),
              f'{name}: the {lost} question was asked again under another id or of another server')
        same_socket = rs['q']['cport'] == sock[1]
        check(same_socket == (a.resend_from == 'same-socket'),
              f"{name}: the {lost} question was asked again from port {rs['q']['cport']}, not from {a.resend_from}")
        rgap = rs['q']['t'] - fl['q']['t']
        check(0.8 * retry <= rgap <= 1.5 * retry, f'{name}: {lost} asked again after {rgap} µs, not after the {retry} µs retry interval')
        check(rs['r'] is not None and rs['r']['t'] - rs['q']['t'] < 50_000, f'{name}: the re-sent {lost} was not answered at once')
        re_kept = [e for e in mine if e['q']['qtype'] == kept and e['q']['n'] > fk['q']['n']]
        if a.resend == 'lost-only':
            check(not re_kept, f'{name}: the answered {kept} question was asked again too')
        delay = rs['r']['t'] - fl['q']['t']
        frames = sorted({fa['q']['n'], f6['q']['n'], fk['r']['n'], rs['q']['n'], rs['r']['n']})
        findings.append({'kind': 'dns.same_port_reply_drop', 'client': sock[0], 'server': sock[2], 'clientPort': sock[1],
                         'names': [name], 'details': {'lostReply': lost}, 'delayMicros': tol(delay), 'frames': frames})
        how = 'together' if fk['r']['t'] > f6['q']['t'] and fk['r']['t'] > fa['q']['t'] else 'the second after the first reply'
        observed.append(
            f"{name}: A #{fa['q']['n']} and AAAA #{f6['q']['n']} from port {sock[1]} {gap} µs apart ({how}); "
            f"{kept} answered #{fk['r']['n']}, the {lost} reply never arrives; only {lost} is asked again, #{rs['q']['n']} "
            f"{'on the same socket' if same_socket else 'from a new port, %d,' % rs['q']['cport']} with the same id {rgap / 1e6:.3f} s later, and answered #{rs['r']['n']}, {delay / 1e6:.3f} s after it "
            f"was first asked" + ('' if not re_kept else f"; {kept} asked again too ({', '.join('#%d' % e['q']['n'] for e in re_kept)})"))
    check(findings, 'no reply lost at the client')
    check(int(a.fw_drops) == len(findings), f'firewall dropped {a.fw_drops} replies, the client misses {len(findings)}')
    out.add(caps['client'], a.scenario, 'client', findings, ['dns.aaaa_unanswered', 'dns.local_zone_leak'],
            f'{a.stub} stub resolver. ' + '; '.join(observed) + f'. The firewall counted {a.fw_drops} dropped replies.',
            may=['dns.slow_lookup', 'dns.resolver_profile'], topology=a.topology)
    if 'server' in caps:
        sx = V.exchanges(V.dns_msgs(V.load(out.path(caps['server']))))
        for f in findings:
            mine = [e for e in sx if e['q']['name'] == f['names'][0] and e['q']['cport'] == f['clientPort']]
            firsts = {}
            for e in mine:
                firsts.setdefault(e['q']['qtype'], e)
            check(all(firsts.get(t) and firsts[t]['r'] for t in ('A', 'AAAA')),
                  f"server: {f['names'][0]}: both first-round replies did not leave")
        out.add(caps['server'], a.scenario, 'server', [], ['dns.aaaa_unanswered', 'dns.local_zone_leak'],
                f'Server side of the same lookups ({a.stub} stub): both replies of each first round leave the server (the '
                'firewall between here and the client drops the second); the client asks the lost question again under '
                'the same id and it is answered. A re-asked question whose first reply did leave is what '
                'this point can see.',
                may=['dns.same_port_reply_drop', 'dns.slow_lookup', 'dns.resolver_profile'], topology=a.topology)


def separate_sockets(a, out):
    """Per name: A and AAAA leave together from two different sockets, each answered at its first
    attempt; the firewall (which drops the second reply of a 5-tuple) dropped nothing."""
    check(int(a.fw_drops) == 0, f'the firewall dropped {a.fw_drops} replies')
    for point, cap in V.caps_of(a):
        ex = V.exchanges(V.dns_msgs(V.load(out.path(cap))))
        check(ex, f'{cap}: no DNS queries')
        observed = []
        for name, mine in lookups(ex):
            first = {}
            for e in mine:
                first.setdefault(e['q']['qtype'], e)
            check({'A', 'AAAA'} <= set(first), f'{name}: A and AAAA not both asked')
            fa, f6 = first['A'], first['AAAA']
            check(fa['q']['cport'] != f6['q']['cport'], f'{name}: A and AAAA share port {fa["q"]["cport"]}')
            gap = abs(f6['q']['t'] - fa['q']['t'])
            check(gap < 20_000, f'{name}: A/AAAA {gap} µs apart (not in parallel)')
            check(len(mine) == 2, f'{name}: {len(mine)} queries, not one A and one AAAA')
            check(all(e['r'] is not None and e['r']['t'] - e['q']['t'] < 50_000 for e in mine), f'{name}: a query not answered at once')
            observed.append(f"{name}: {mine[0]['q']['qtype']} #{mine[0]['q']['n']} from port {mine[0]['q']['cport']} and "
                            f"{mine[1]['q']['qtype']} #{mine[1]['q']['n']} from port {mine[1]['q']['cport']} {gap} µs apart, "
                            f"answered #{mine[0]['r']['n']} and #{mine[1]['r']['n']}")
        out.add(cap, a.scenario, point, [], a.must_not.split(','),
                f'{a.stub} stub resolver. ' + '; '.join(observed) + '. The firewall counted 0 dropped replies: '
                'each 5-tuple carried one reply.', may=['dns.resolver_profile'], topology=a.topology)


def multi_server(a, out):
    """Every question goes to every --servers at once from one socket (musl asks all nameservers in
    parallel and takes the first answer); every query is answered at once, except those to the
    --silent servers, which are never answered; nothing is re-sent."""
    servers = a.servers.split(',')
    silent = a.silent.split(',') if a.silent else []
    for point, cap in V.caps_of(a):
        ex = V.exchanges(V.dns_msgs(V.load(out.path(cap))))
        check(ex, f'{cap}: no DNS queries')
        observed = []
        for name, mine in lookups(ex):
            for qt in ('A', 'AAAA'):
                sent = [e for e in mine if e['q']['qtype'] == qt]
                check(sorted(e['q']['server'] for e in sent) == sorted(servers),
                      f"{name} {qt}: asked of {[e['q']['server'] for e in sent]}, not once of each of {servers}")
                check(len({(e['q']['cport'], e['q']['id']) for e in sent}) == 1, f'{name} {qt}: not one socket and id for all servers')
            check(len({e['q']['cport'] for e in mine}) == 1, f'{name}: A and AAAA from different sockets')
            check(all(e['r'] is not None and e['r']['t'] - e['q']['t'] < 50_000 for e in mine if e['q']['server'] not in silent),
                  f'{name}: a query not answered at once')
            check(all(e['r'] is None for e in mine if e['q']['server'] in silent), f'{name}: a silent server answered')
            t0 = min(e['q']['t'] for e in mine)
            span = max(e['q']['t'] for e in mine) - t0
            check(span < 20_000, f'{name}: its {len(mine)} queries span {span} µs')
            observed.append(f"{name}: {len(mine)} queries ({', '.join('#%d %s→%s' % (e['q']['n'], e['q']['qtype'], e['q']['server']) for e in mine)}) "
                            f"from port {mine[0]['q']['cport']} within {span} µs, answered #{', #'.join(str(e['r']['n']) for e in mine if e['r'])}")
        last = max(p['t'] for p in V.load(out.path(cap)))
        last_q = max(e['q']['t'] for e in ex)
        if silent:
            observed.append(f"{', '.join(silent)} never answers; the capture runs {(last - last_q) / 1e6:.1f} s past the last query")
        out.add(cap, a.scenario, point, [], a.must_not.split(','),
                f'{a.stub} stub resolver with {len(servers)} nameservers. ' + '; '.join(observed) + '.',
                may=['dns.resolver_profile'], topology=a.topology)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    sub = ap.add_subparsers(dest='cmd', required=True)
    s = V.scenario_parser(sub, 'same-port-drop')
    s.add_argument('--stub', required=True)
    s.add_argument('--retry-ms', type=int, required=True, help="the stub's first re-send interval as the lab set it")
    s.add_argument('--resend', choices=['lost-only', 'any'], default='lost-only')
    s.add_argument('--resend-from', choices=['same-socket', 'new-socket'], default='same-socket')
    s.add_argument('--fw-drops', required=True)
    s = V.scenario_parser(sub, 'separate-sockets')
    s.add_argument('--stub', required=True)
    s.add_argument('--fw-drops', required=True)
    s.add_argument('--must-not', default='dns.same_port_reply_drop,dns.aaaa_unanswered,dns.slow_lookup,dns.local_zone_leak')
    s = V.scenario_parser(sub, 'multi-server')
    s.add_argument('--stub', required=True)
    s.add_argument('--servers', required=True)
    s.add_argument('--silent', default='', help='servers the lab made silent (their queries must go unanswered)')
    s.add_argument('--must-not', default='dns.same_port_reply_drop,dns.aaaa_unanswered,dns.slow_lookup,dns.local_zone_leak')
    a = ap.parse_args()
    out = V.Out(a.out)
    try:
        {'same-port-drop': same_port_drop, 'separate-sockets': separate_sockets, 'multi-server': multi_server}[a.cmd](a, out)
    except Fail as e:
        print(f'verify-stubs: FAILED: {e}', file=sys.stderr)
        return 1
    out.write()
    return 0


if __name__ == '__main__':
    sys.exit(main())
