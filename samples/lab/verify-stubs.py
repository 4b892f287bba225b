#!/usr/bin/python3
"""Stub resolvers other than glibc's (musl, Go's pure resolver) and clients other than curl.
Same contract as verify.py: checks with tshark that the capture shows the mechanism the scenario
set up, cross-checks it with what the lab counted (nft drop counters), and writes
expected/NAME.json. Never runs dualscope.

  verify-stubs.py --out DIR same-port-drop --stub musl --retry-ms 1000 --fw-drops N --cap client=F [--cap server=F]
  verify-stubs.py --out DIR sticky --stub musl --retry-ms 1000 --fw-drops N --error TEXT --cap client=F
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
check, tol = V.check, V.tol


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
        first = V.first_by_type(mine, lambda e: e['q'])
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
        findings.append(V.same_port_finding(sock, name, {'lostReply': lost}, frames, delayMicros=tol(delay)))
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
            firsts = V.first_by_type(mine, lambda e: e['q'])
            check(all(firsts.get(t) and firsts[t]['r'] for t in ('A', 'AAAA')),
                  f"server: {f['names'][0]}: both first-round replies did not leave")
        out.add(caps['server'], a.scenario, 'server', [], ['dns.aaaa_unanswered', 'dns.local_zone_leak'],
                f'Server side of the same lookups ({a.stub} stub): both replies of each first round leave the server (the '
                'firewall between here and the client drops the second); the client asks the lost question again under '
                'the same id and it is answered. A re-asked question whose first reply did leave is what '
                'this point can see.',
                may=['dns.same_port_reply_drop', 'dns.slow_lookup', 'dns.resolver_profile'], topology=a.topology)


def sticky(a, out):
    """The sticky firewall (every reply after the first of a 5-tuple dropped): A and AAAA leave one
    socket; exactly one reply arrives; the other question is re-sent on that socket under the same
    id every --retry-ms and never answered; the stub gave up (the lab saw getaddrinfo fail) and the
    capture runs past that. The drop counter equals the replies missing at the client."""
    caps = dict(c.split('=', 1) for c in a.cap)
    pk = V.load(out.path(caps['client']))
    r = V.StickyRound(V.dns_msgs(pk), max_gap=20_000)
    qs, rs, sock, first, kept, lost = r.qs, r.rs, r.sock, r.first, r.kept, r.lost
    again = [q for q in qs if q['n'] not in r.firsts()]
    check(again and all(q['qtype'] == lost and q['id'] == first[lost]['id'] for q in again),
          f'client: the re-sends are not all the {lost} question under its first id')
    times = [first[lost]['t']] + [q['t'] for q in again]
    gaps = [b - t for t, b in zip(times, times[1:])]
    retry = a.retry_ms * 1000
    check(all(0.8 * retry <= g <= 1.5 * retry for g in gaps), f'client: re-sent after {gaps} µs, not every {retry} µs')
    tail = pk[-1]['t'] - qs[-1]['t']
    check(tail > 1.5 * retry, f'client: the capture ends {tail} µs after the last query, before the stub gave up')
    missing = len(qs) - len(rs)  # dnsmasq answers every query it gets; the firewall let one reply through
    check(int(a.fw_drops) == missing, f'firewall dropped {a.fw_drops} replies, the client misses {missing}')
    finding = r.client_finding(again)
    obs = (f"{a.stub} stub resolver. " + r.said() + f"{lost} alone is re-sent on the same socket under the "
           f"same id ({', '.join('#%d +%.3f s' % (q['n'], (q['t'] - first[lost]['t']) / 1e6) for q in again)}) and never answered; "
           f"getaddrinfo failed ({a.error}) although the {kept} answer had arrived; the capture runs {tail / 1e6:.1f} s past the "
           f"last query. The firewall counted {a.fw_drops} dropped replies.")
    if 'server' not in caps:
        out.add(caps['client'], a.scenario, 'client', [finding], ['dns.aaaa_unanswered', 'dns.local_zone_leak'], obs,
                may=['dns.slow_lookup', 'dns.resolver_profile'], topology=a.topology)
        return
    # The stub re-sent only the lost question, so at the client nothing tells this firewall from a
    # server that never answers AAAA (INCIDENTS §2): the client capture can prove neither.
    out.add(caps['client'], a.scenario, 'client', [], ['dns.local_zone_leak'],
            obs + f' At this point the capture looks like a server that never answers {lost}: no second reply ever '
            f'arrives on the 5-tuple to show the firewall, and the server capture is what tells them apart.',
            may=['dns.aaaa_unanswered', 'dns.same_port_reply_drop', 'dns.slow_lookup', 'dns.resolver_profile'], topology=a.topology,
            notes=f'The lab knows the server answered every {lost} query (see the server capture). A finding of dns.aaaa_unanswered '
                  'here must say that a firewall dropping every reply after the first on a UDP 5-tuple fits the capture as well.')
    sq, sr, sfirst, sagain = r.far_side(out.path(caps['server']))
    check(len(sq) == len(qs) and len(sr) == len(qs), f'server: {len(sq)} queries and {len(sr)} replies, not {len(qs)} each')
    check(all(any(x['id'] == q['id'] and x['qtype'] == q['qtype'] and x['t'] > q['t'] for x in sr) for q in sq), 'server: a query left unanswered')
    sfinding = V.same_port_finding(sock, r.name, {'lostReply': lost}, sorted({sfirst['A']['n'], sfirst['AAAA']['n']} | {q['n'] for q in sagain}))
    out.add(caps['server'], a.scenario, 'server', [sfinding], ['dns.aaaa_unanswered', 'dns.local_zone_leak'],
            f"Server side of the same lookup: A #{sfirst['A']['n']} and AAAA #{sfirst['AAAA']['n']} from port {sock[1]} are both "
            f"answered at once, and {lost} is asked again on the same port under the same id "
            f"({', '.join('#%d' % q['n'] for q in sagain)}) and answered each time: the replies are lost on the way to the client.",
            may=['dns.slow_lookup', 'dns.resolver_profile'], topology=a.topology)


def separate_sockets(a, out):
    """Per name: A and AAAA leave together from two different sockets, each answered at its first
    attempt; the firewall (which drops the second reply of a 5-tuple) dropped nothing."""
    check(int(a.fw_drops) == 0, f'the firewall dropped {a.fw_drops} replies')
    for point, cap in V.caps_of(a):
        ex = V.exchanges(V.dns_msgs(V.load(out.path(cap))))
        check(ex, f'{cap}: no DNS queries')
        observed = []
        for name, mine in lookups(ex):
            first = V.first_by_type(mine, lambda e: e['q'])
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
    s = V.scenario_parser(sub, 'sticky')
    s.add_argument('--stub', required=True)
    s.add_argument('--retry-ms', type=int, required=True)
    s.add_argument('--fw-drops', required=True)
    s.add_argument('--error', required=True, help='what the lookup program printed when it failed')
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
    return V.run_check('verify-stubs', a, {'same-port-drop': same_port_drop, 'sticky': sticky, 'separate-sockets': separate_sockets, 'multi-server': multi_server}[a.cmd])


if __name__ == '__main__':
    sys.exit(main())
