#!/usr/bin/python3
"""Checks, with tshark, that a lab capture shows the mechanism the scenario was built to produce,
and writes samples/expected/NAME.json from what the capture shows plus what the lab set up.

This never runs dualscope. It exits non-zero (and writes nothing) when the incident did not
happen as designed, so `run-all.sh` fails the scenario instead of committing a wrong sample.

  verify.py --out DIR same-port-drop --lost AAAA --cap client=NAME ... --cap server=NAME ...
Each --cap is POINT=FILE (FILE inside --out). Sub-commands are listed at the bottom.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
from decimal import Decimal

FIELDS = [
    'frame.number', 'frame.time_epoch', 'frame.len',
    'ip.src', 'ip.dst', 'ip.len', 'ip.flags.df', 'ipv6.src', 'ipv6.dst', 'ipv6.plen',
    'udp.srcport', 'udp.dstport', 'udp.length', 'ipv6.fragment.count', 'dns.flags.truncated',
    'tcp.srcport', 'tcp.dstport', 'tcp.flags.syn', 'tcp.flags.ack', 'tcp.flags.reset', 'tcp.flags.fin',
    'tcp.seq_raw', 'tcp.ack_raw', 'tcp.len', 'tcp.options.mss_val', 'tcp.analysis.retransmission',
    'dns.id', 'dns.flags.response', 'dns.qry.name', 'dns.qry.type', 'dns.flags.rcode', 'dns.count.answers',
    'icmp.type', 'icmp.code', 'icmp.mtu', 'icmpv6.type', 'icmpv6.code', 'icmpv6.mtu',
]
QTYPE = {'1': 'A', '28': 'AAAA', '12': 'PTR'}


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def micros(epoch):
    return int(Decimal(epoch) * 1_000_000)


def load(path):
    """One dict per frame. Fields with several occurrences (ICMP errors quote a packet) are
    lists in `all`; the plain key holds the first (outer) occurrence."""
    cmd = ['tshark', '-n', '-r', path, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a',
           '-E', 'aggregator=,']
    for f in FIELDS:
        cmd += ['-e', f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    pkts = []
    for line in out.splitlines():
        vals = line.split('\t')
        p = {'all': {}}
        for f, v in zip(FIELDS, vals):
            parts = v.split(',') if v else []
            p['all'][f] = parts
            p[f] = parts[0] if parts else ''
        p['n'] = int(p['frame.number'])
        p['t'] = micros(p['frame.time_epoch'])
        p['src'] = p['ipv6.src'] or p['ip.src']
        p['dst'] = p['ipv6.dst'] or p['ip.dst']
        p['icmp'] = bool(p['icmpv6.type'] or p['icmp.type'])
        pkts.append(p)
    # `tcpdump -i any` on a router sees each forwarded packet twice (in, then out): keep the first copy
    last, uniq = {}, []
    for p in pkts:
        key = tuple(p[f] for f in FIELDS if f not in ('frame.number', 'frame.time_epoch', 'frame.len',
                                                      'tcp.analysis.retransmission'))
        if key in last and p['t'] - last[key] < 2_000:
            continue
        last[key] = p['t']
        uniq.append(p)
    return uniq


def file_info(path):
    """(format, linkType) from the file header: pcap-us, pcap-ns or pcapng (first IDB)."""
    with open(path, 'rb') as fh:
        head = fh.read(64)
    magic = head[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\xa1\xb2\xc3\xd4', b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d'):
        le = magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1')
        fmt = 'pcap-ns' if magic in (b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d') else 'pcap-us'
        return fmt, struct.unpack('<I' if le else '>I', head[20:24])[0]
    if magic == b'\x0a\x0d\x0d\x0a':
        le = head[8:12] == b'\x4d\x3c\x2b\x1a'
        e = '<' if le else '>'
        shb_len = struct.unpack(e + 'I', head[4:8])[0]
        with open(path, 'rb') as fh:
            fh.seek(shb_len)
            idb = fh.read(12)
        return 'pcapng', struct.unpack(e + 'H', idb[8:10])[0]
    raise Fail(f'{path}: unknown capture format')


def tol(measured, lo=0.75, hi=1.3, slack=20_000):
    return {'min': max(0, int(measured * lo) - slack), 'max': int(measured * hi) + slack}


MERGE = False


class Out:
    def __init__(self, outdir):
        self.outdir = outdir
        self.docs = []

    def path(self, name):
        return os.path.join(self.outdir, name)

    def add(self, capture, scenario, point, must, must_not, observed, may=None, topology=None, notes=None):
        fmt, lt = file_info(self.path(capture))
        doc = {'capture': capture, 'scenario': scenario, 'capturePoint': point, 'format': fmt, 'linkType': lt}
        if topology:
            doc['topology'] = topology
        doc['mustFind'] = must
        doc['mustNotFind'] = must_not
        doc['mayFind'] = may or []
        doc['observed'] = observed
        if notes:
            doc['notes'] = notes
        self.docs.append(doc)

    def write(self):
        os.makedirs(os.path.join(self.outdir, 'expected'), exist_ok=True)
        for d in self.docs:
            name = os.path.splitext(d['capture'])[0] + '.json'
            path = os.path.join(self.outdir, 'expected', name)
            if MERGE and os.path.exists(path):
                with open(path) as fh:
                    old = json.load(fh)
                d['mustFind'] = old['mustFind'] + d['mustFind']
                found = {f['kind'] for f in d['mustFind']}
                d['mustNotFind'] = sorted((set(old['mustNotFind']) | set(d['mustNotFind'])) - found)
                d['mayFind'] = sorted((set(old['mayFind']) | set(d['mayFind'])) - found)
                d['observed'] = old['observed'] + ' ' + d['observed']
                d['topology'] = old.get('topology') or d.get('topology')
            with open(path, 'w') as fh:
                json.dump(d, fh, indent=2)
                fh.write('\n')
            print(f"verify: {d['capture']}: ok — {d['observed']}", file=sys.stderr)


def run_check(tool, a, fn):
    """Runs one check, FN(a, out), and writes the expected files it made; when it fails, says why (as
    TOOL) and writes nothing. Returns the exit code."""
    out = Out(a.out)
    try:
        fn(a, out)
    except Fail as e:
        print(f'{tool}: FAILED: {e}', file=sys.stderr)
        return 1
    out.write()
    return 0


# ---------------------------------------------------------------------------------------------
# DNS helpers

def dns_msgs(pkts):
    out = []
    for p in pkts:
        if not p['dns.id'] or p['icmp']:
            continue
        qr = p['dns.flags.response'] in ('1', 'True')
        out.append({
            'n': p['n'], 't': p['t'], 'qr': qr, 'id': p['dns.id'],
            'name': p['dns.qry.name'].rstrip('.').lower(), 'qtype': QTYPE.get(p['dns.qry.type'], p['dns.qry.type']),
            'rcode': int(p['dns.flags.rcode'] or 0), 'an': int(p['dns.count.answers'] or 0),
            'client': p['dst'] if qr else p['src'], 'server': p['src'] if qr else p['dst'],
            'cport': int(p['udp.dstport'] if qr else p['udp.srcport'] or 0),
        })
    return out


def exchanges(msgs, client=None, server=None, name=None):
    """Queries with the reply that followed them (matching client, port, server, id, qtype)."""
    ex = []
    for i, m in enumerate(msgs):
        if m['qr']:
            continue
        if client and m['client'] != client or server and m['server'] != server or name and m['name'] != name:
            continue
        nxt_q = None
        reply = None
        for r in msgs[i + 1:]:
            same = (r['client'], r['cport'], r['server'], r['id'], r['qtype']) == \
                   (m['client'], m['cport'], m['server'], m['id'], m['qtype'])
            if not same:
                continue
            if r['qr']:
                reply = r
                break
            nxt_q = r
            break
        ex.append({'q': m, 'r': reply, 'retried': nxt_q})
    return ex


def describe_ex(e):
    q, r = e['q'], e['r']
    s = f"#{q['n']} {q['qtype']} {q['name']} {q['client']}:{q['cport']}->{q['server']} id {q['id']}"
    if r:
        s += f" answered #{r['n']} (+{(r['t'] - q['t']) / 1000:.1f} ms, rcode {r['rcode']}, {r['an']} answers)"
    else:
        s += ' unanswered'
    return s


def first_by_type(items, msg=lambda x: x):
    """The first of ITEMS for each question type, in order: messages, or exchanges with msg=lambda e: e['q']."""
    first = {}
    for x in items:
        first.setdefault(msg(x)['qtype'], x)
    return first


def same_port_finding(sock, name, details, frames, **extra):
    """A dns.same_port_reply_drop the lab expects; SOCK is (client, client port, server)."""
    return {'kind': 'dns.same_port_reply_drop', 'client': sock[0], 'server': sock[2], 'clientPort': sock[1],
            'names': [name], 'details': details, **extra, 'frames': frames}


class StickyRound:
    """The first round at a client behind the sticky firewall (every reply after the first of a UDP
    5-tuple dropped), whichever stub asked: every query from one socket, A and AAAA within MAX_GAP µs
    of each other, and exactly one reply (the one the firewall let through). KEPT is its type, LOST
    the other's. verify-sticky.py (glibc) and verify-stubs.py (musl) check what follows it."""

    def __init__(self, msgs, max_gap):
        self.qs = qs = [m for m in msgs if not m['qr']]
        self.rs = rs = [m for m in msgs if m['qr']]
        check(qs, 'client: no queries')
        self.sock = sock = (qs[0]['client'], qs[0]['cport'], qs[0]['server'])
        check(all((q['client'], q['cport'], q['server']) == sock for q in qs), 'client: queries from more than one socket')
        self.first = first = first_by_type(qs)
        check({'A', 'AAAA'} <= set(first), 'client: A and AAAA not both asked')
        self.gap = abs(first['AAAA']['t'] - first['A']['t'])
        check(self.gap < max_gap, f'client: A and AAAA {self.gap} µs apart')
        check(len(rs) == 1, f'client: {len(rs)} replies arrived, expected exactly the first one')
        self.kept = rs[0]['qtype']
        self.lost = 'AAAA' if self.kept == 'A' else 'A'
        self.name = qs[0]['name']

    def firsts(self):
        """Frame numbers of the first A and AAAA query."""
        return (self.first['A']['n'], self.first['AAAA']['n'])

    def said(self):
        """What the client capture shows of the first round, as the expected files' text opens."""
        return (f"A #{self.first['A']['n']} and AAAA #{self.first['AAAA']['n']} for {self.name} leave port {self.sock[1]} "
                f"{self.gap} µs apart; only the {self.kept} reply arrives (#{self.rs[0]['n']}); ")

    def client_finding(self, again):
        """The client's finding: the lookup failed; its frames the first round, the reply and the re-sends AGAIN."""
        return same_port_finding(self.sock, self.name, {'lostReply': self.lost, 'lookupFailed': True},
                                 sorted(set(self.firsts()) | {self.rs[0]['n']} | {q['n'] for q in again}))

    def far_side(self, path):
        """The same socket in a capture nearer the server (PATH): its queries, its replies, its first
        query of each type and the queries after those."""
        sm = [m for m in dns_msgs(load(path)) if m['client'] == self.sock[0] and m['cport'] == self.sock[1]]
        sq = [m for m in sm if not m['qr']]
        sfirst = first_by_type(sq)
        check({'A', 'AAAA'} <= set(sfirst), 'far side: A and AAAA not both seen')
        return sq, [m for m in sm if m['qr']], sfirst, [q for q in sq if q['n'] not in (sfirst['A']['n'], sfirst['AAAA']['n'])]


# ---------------------------------------------------------------------------------------------
# scenarios

def same_port_drop(a, out):
    lost, kept = a.lost, ('A' if a.lost == 'AAAA' else 'AAAA')
    caps = dict(c.split('=', 1) for c in a.cap)
    cm = dns_msgs(load(out.path(caps['client'])))
    spoint = 'resolver' if 'resolver' in caps else 'server'
    sm = dns_msgs(load(out.path(caps[spoint]))) if spoint in caps else None
    ex = exchanges(cm)
    # lookups: the first A query of each (client, port, name) opens one
    findings, observed = [], []
    seen_sockets = set()
    for e in ex:
        q = e['q']
        key = (q['client'], q['cport'], q['name'])
        if key in seen_sockets or q['qtype'] != 'A':
            continue
        seen_sockets.add(key)
        pair = [x for x in ex if (x['q']['client'], x['q']['cport'], x['q']['name']) == key]
        first = {}
        for x in pair:
            first.setdefault(x['q']['qtype'], x)
        check('A' in first and 'AAAA' in first, f'{key}: A and AAAA not both sent from one port')
        fa, f4 = first['A'], first['AAAA']
        gap = abs(f4['q']['t'] - fa['q']['t'])
        check(gap < 20_000, f'{key}: A/AAAA {gap} µs apart (not back-to-back)')
        fl, fk = first[lost], first[kept]
        check(fk['r'] is not None, f'{key}: the kept reply ({kept}) is missing: ' + describe_ex(fk))
        check(fl['r'] is None and fl['retried'] is not None,
              f'{key}: the {lost} reply was not lost-then-retried at the client: ' + describe_ex(fl))
        # the retry of the lost query (same socket, same id) and its answer
        retry = [x for x in pair if x['q']['qtype'] == lost and x['q']['n'] > fl['q']['n'] and x['r']]
        check(retry, f'{key}: the {lost} query was never answered after the retry')
        rt = retry[0]
        delay = rt['r']['t'] - fl['q']['t']
        check(1_500_000 <= delay <= 2_600_000, f'{key}: delay {delay} µs not about the 2 s resolver timeout')
        # the kept type is asked again too (glibc re-sends both, A first)
        re_kept = [x for x in pair if x['q']['qtype'] == kept and x['q']['n'] > fk['q']['n']]
        frames = sorted({fa['q']['n'], f4['q']['n'], fk['r']['n'], rt['q']['n'], rt['r']['n']}
                        | {x['q']['n'] for x in re_kept} | {x['r']['n'] for x in re_kept if x['r']})
        if sm is not None:
            # at the server both replies of the first round left
            sx = exchanges(sm, client=q['client'], name=q['name'])
            s_first = {}
            for x in sx:
                if x['q']['cport'] == q['cport']:
                    s_first.setdefault(x['q']['qtype'], x)
            check(all(s_first.get(t) and s_first[t]['r'] for t in ('A', 'AAAA')),
                  f'{key}: server capture does not show both first-round replies')
        findings.append({
            'kind': 'dns.same_port_reply_drop', 'client': q['client'], 'server': q['server'], 'clientPort': q['cport'],
            'names': [q['name']], 'details': {'lostReply': lost},
            'delayMicros': tol(delay), 'frames': frames,
        })
        observed.append(
            f"{q['name']}: A #{fa['q']['n']} and AAAA #{f4['q']['n']} from port {q['cport']} {gap} µs apart; "
            f"{kept} answered #{fk['r']['n']}, {lost} reply never arrives; after {(rt['q']['t'] - fl['q']['t']) / 1e6:.3f} s "
            f"the client re-asks on the same port ({', '.join('#%d %s' % (x['q']['n'], x['q']['qtype']) for x in sorted(re_kept + [rt], key=lambda x: x['q']['n']))}) "
            f"and {lost} is answered #{rt['r']['n']}, {delay / 1e6:.3f} s after it was first asked")
    check(findings, 'no same-port drop found at the client')
    topo = a.topology
    out.add(caps['client'], a.scenario, 'client', findings, ['dns.aaaa_unanswered', 'dns.local_zone_leak'],
            '; '.join(observed) + '.', may=['dns.slow_lookup', 'dns.resolver_profile'], topology=topo)
    if sm is not None:
        out.add(caps[spoint], a.scenario, spoint, [], ['dns.aaaa_unanswered', 'dns.local_zone_leak'],
                f'{spoint.capitalize()} side of the same lookups: both replies of each first round leave the server '
                f'(the firewall between here and the client drops the {lost} reply); the client repeats both '
                'questions on the same port about 2 s later and they are answered. Nothing here shows a reply '
                'missing, so the same-port drop cannot be proven from this point.',
                may=['dns.same_port_reply_drop', 'dns.slow_lookup', 'dns.resolver_profile'], topology=topo)


def caps_of(a):
    return [tuple(c.split('=', 1)) for c in a.cap]


def dns_healthy(a, out):
    """Every query answered at its first attempt; optionally: A and AAAA from different ports."""
    for point, cap in caps_of(a):
        msgs = dns_msgs(load(out.path(cap)))
        ex = exchanges(msgs)
        check(ex, f'{cap}: no DNS queries')
        bad = [describe_ex(e) for e in ex if e['r'] is None or e['r']['rcode'] not in (0,) and not a.allow_nx]
        check(not bad, f'{cap}: unanswered or failed queries: {bad}')
        slow = [describe_ex(e) for e in ex if e['r']['t'] - e['q']['t'] > 200_000]
        check(not slow, f'{cap}: slow answers: {slow}')
        socks = {}
        for e in ex:
            socks.setdefault((e['q']['client'], e['q']['name']), set()).add((e['q']['cport'], e['q']['qtype']))
        lines = []
        if a.expect_reopen:
            for (cl, name), ports in sorted(socks.items()):
                by = {}
                for port, qt in ports:
                    by.setdefault(qt, set()).add(port)
                if 'A' in by and 'AAAA' in by:
                    check(not (by['A'] & by['AAAA']), f'{cap}: {name}: A and AAAA share a port {by}')
                    lines.append(f"{name}: A from port {sorted(by['A'])[0]}, AAAA from port {sorted(by['AAAA'])[0]}")
        obs = a.observed + ' ' + f'{len(ex)} queries, each answered once ({", ".join(describe_ex(e) for e in ex[:6])}{" …" if len(ex) > 6 else ""}).'
        if lines:
            obs += ' ' + '; '.join(lines) + '.'
        out.add(cap, a.scenario, point, [], a.must_not.split(','), obs, may=['dns.resolver_profile'],
                topology=a.topology)


def aaaa_unanswered(a, out):
    """AAAA for --name never answered (mode none) or answered with an error rcode, A answered."""
    for point, cap in caps_of(a):
        msgs = dns_msgs(load(out.path(cap)))
        ex = [e for e in exchanges(msgs, name=a.name)]
        clients = a.clients.split(',') if a.clients else None
        if clients:
            ex = [e for e in ex if e['q']['client'] in clients]
        a4 = [e for e in ex if e['q']['qtype'] == 'AAAA']
        aa = [e for e in ex if e['q']['qtype'] == 'A']
        check(a4 and aa, f'{cap}: no A+AAAA queries for {a.name}')
        check(any(e['r'] and e['r']['rcode'] == 0 and e['r']['an'] > 0 for e in aa), f'{cap}: A never answered')
        if a.mode == 'none':
            check(all(e['r'] is None for e in a4), f'{cap}: an AAAA query was answered: ' +
                  '; '.join(describe_ex(e) for e in a4 if e['r']))
            check(len(a4) >= 2, f'{cap}: AAAA asked only once')
        else:
            check(all(e['r'] and e['r']['rcode'] == a.rcode for e in a4), f'{cap}: AAAA not all rcode {a.rcode}: ' +
                  '; '.join(describe_ex(e) for e in a4))
        findings = []
        by_pair = {}
        for e in a4:
            by_pair.setdefault((e['q']['client'], e['q']['server']), []).append(e)
        for (cl, sv), lst in by_pair.items():
            a_ok = [e for e in aa if e['q']['client'] == cl and e['q']['server'] == sv and e['r']]
            frames = sorted({e['q']['n'] for e in lst} | {e['r']['n'] for e in lst if e['r']} | {e['r']['n'] for e in a_ok[:2]})
            f = {'kind': 'dns.aaaa_unanswered', 'client': cl, 'server': sv, 'names': [a.name],
                 'details': {'response': 'none' if a.mode == 'none' else RCODES[a.rcode], 'aaaaQueries': len(lst),
                             'aaaaPorts': sorted({e['q']['cport'] for e in lst})},
                 'frames': frames}
            if a.mode == 'none':
                f['details']['spanMicros'] = tol(lst[-1]['q']['t'] - lst[0]['q']['t'], 0.7, 1.3, 50_000)
            findings.append(f)
        may = ['dns.slow_lookup', 'dns.resolver_profile']
        if a.stub_defaults and point == 'client':
            # The lab chose the stub and left its options at their defaults; the capture must show a
            # retry after a full timeout for the profile to say so (glibc: RES_TIMEOUT 5 s).
            timeout = {'glibc-default': 5_000_000}[a.stub_defaults]
            first = min(e['q']['t'] for e in a4)
            again = [e['q']['t'] - first for e in a4 if e['q']['t'] - first > 1_000_000]
            check(again and abs(again[0] - timeout) < 300_000, f'{cap}: no retry after the {timeout} µs default timeout: {again}')
            cl = a4[0]['q']['client']
            findings.append({'kind': 'dns.resolver_profile', 'client': cl,
                             'details': {'stub': a.stub_defaults, 'inferredTimeoutMicros': tol(again[0], 0.95, 1.05, 50_000)}})
            may.remove('dns.resolver_profile')
        obs = (a.observed + ' ' + '; '.join(describe_ex(e) for e in sorted(ex, key=lambda e: e['q']['n'])[:14]) + '.')
        out.add(cap, a.scenario, point, findings, a.must_not.split(','), obs,
                may=may, topology=a.topology)


def single_query_loss(a, out):
    """One question, its first transmission lost on the way (the firewall's counter says 1), re-sent and answered."""
    for point, cap in caps_of(a):
        ex = exchanges(dns_msgs(load(out.path(cap))), name=a.name)
        check(ex, f'{cap}: no queries for {a.name}')
        check(len({e['q']['qtype'] for e in ex}) == 1, f'{cap}: more than one question: {[describe_ex(e) for e in ex]}')
        check(ex[0]['r'] is None and len(ex) >= 2, f'{cap}: the first transmission was not the one lost: {[describe_ex(e) for e in ex]}')
        check(ex[-1]['r'] is not None and ex[-1]['r']['rcode'] == 0, f'{cap}: the re-sent query was not answered')
        obs = a.observed + ' ' + '; '.join(describe_ex(e) for e in ex) + '.'
        out.add(cap, a.scenario, point, [], a.must_not.split(','), obs, may=['dns.slow_lookup', 'dns.resolver_profile'],
                topology=a.topology)


RCODES = {0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED'}


def scenario_parser(sub, name):
    """A check's subcommand with what every check takes: its captures, the scenario and the topology."""
    s = sub.add_parser(name)
    s.add_argument('--cap', action='append', default=[])
    s.add_argument('--scenario', required=True)
    s.add_argument('--topology', default='')
    return s


def _extra_dns(sub):
    for name in ('dns-healthy', 'healthy'):  # two names for the same check
        s = scenario_parser(sub, name)
        s.add_argument('--observed', default='')
        s.add_argument('--must-not', default='dns.same_port_reply_drop,dns.aaaa_unanswered,dns.slow_lookup,dns.local_zone_leak')
        s.add_argument('--expect-reopen', action='store_true')
        s.add_argument('--allow-nx', action='store_true')
    s = scenario_parser(sub, 'aaaa-unanswered')
    s.add_argument('--observed', default='')
    s.add_argument('--name', required=True)
    s.add_argument('--clients', default='')
    s.add_argument('--mode', choices=['none', 'rcode'], default='none')
    s.add_argument('--rcode', type=int, default=3)
    s.add_argument('--must-not', default='dns.same_port_reply_drop,dns.local_zone_leak')
    s.add_argument('--stub-defaults', default='',
                   help='the client stub resolver and its options as the lab set them (e.g. glibc-default: '
                        'glibc with no resolv.conf options, timeout 5 s): its profile must say so')
    s = scenario_parser(sub, 'single-query-loss')
    s.add_argument('--observed', default='')
    s.add_argument('--name', required=True)
    s.add_argument('--must-not', default='dns.same_port_reply_drop,dns.aaaa_unanswered,dns.local_zone_leak')


def truthy(v):
    return v in ('1', 'True', 'true')


def iplen(p):
    if p['ipv6.plen']:
        return int(p['ipv6.plen']) + 40
    return int(p['ip.len'] or 0)


def tcp_view(pkts, port=80):
    syn = [p for p in pkts if not p['icmp'] and truthy(p['tcp.flags.syn']) and not truthy(p['tcp.flags.ack'])
           and p['tcp.dstport'] == str(port)]
    check(syn, f'no SYN to port {port}')
    syn = syn[0]
    client, server, cport = syn['src'], syn['dst'], syn['tcp.srcport']
    synack = next((p for p in pkts if not p['icmp'] and p['src'] == server and truthy(p['tcp.flags.syn'])
                   and truthy(p['tcp.flags.ack']) and p['tcp.dstport'] == cport), None)
    segs = [p for p in pkts if not p['icmp'] and p['src'] == server and p['tcp.srcport'] == str(port)
            and p['tcp.dstport'] == cport and int(p['tcp.len'] or 0) > 0]
    cpk = [p for p in pkts if not p['icmp'] and p['src'] == client and p['tcp.srcport'] == cport]
    acks = [int(p['tcp.ack_raw']) for p in cpk if truthy(p['tcp.flags.ack']) and p['tcp.ack_raw']]
    ptbs = [p for p in pkts if p['icmpv6.type'] == '2' or (p['icmp.type'] == '3' and p['icmp.code'] == '4')]
    for p in segs:
        p['seq'] = int(p['tcp.seq_raw'])
        p['end'] = p['seq'] + int(p['tcp.len'])
        p['size'] = iplen(p)
    return {'syn': syn, 'synack': synack, 'client': client, 'server': server, 'cport': int(cport), 'segs': segs,
            'cpk': cpk, 'max_ack': max(acks) if acks else 0, 'ptbs': ptbs}


def tshark_fields(path, display_filter, *fields):
    args = ['tshark', '-n', '-r', path, '-Y', display_filter, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,']
    for f in fields:
        args += ['-e', f]
    return [l for l in subprocess.run(args, check=True, capture_output=True, text=True).stdout.splitlines() if l]


def ptb_info(p):
    mtu = int(p['icmpv6.mtu'] or p['icmp.mtu'] or 0)
    return {'frame': p['n'], 'mtu': mtu, 'length': iplen(p), 'from': p['src']}


def tcp_bulk(a, out):
    v6 = None
    for point, cap in caps_of(a):
        pk = load(out.path(cap))
        v = tcp_view(pk)
        v6 = ':' in v['server']
        segs, ptbs = v['segs'], v['ptbs']
        check(segs, f'{cap}: no data from the server')
        base = {'client': v['client'], 'server': v['server'], 'clientPort': v['cport'], 'serverPort': 80}
        must, must_not, may, obs = [], [], [], []
        syn_mss = v['syn']['tcp.options.mss_val']
        sa_mss = v['synack']['tcp.options.mss_val'] if v['synack'] else ''
        obs.append(f"SYN #{v['syn']['n']} MSS {syn_mss}, SYN-ACK {('#%d' % v['synack']['n']) if v['synack'] else 'missing'} MSS {sa_mss}")
        big = [s for s in segs if s['size'] > 1280]
        if a.expect == 'ptb-wrong-host' and point == 'server':
            # PTBs arrive, but they quote another host's flow (--quote-src): the server has no such
            # socket and the blackhole goes on as if none had come.
            check(ptbs, f'{cap}: no PTB arrived')
            quoted = tshark_fields(out.path(cap), 'icmpv6.type == 2', 'frame.number', 'ipv6.src')
            srcs = {}
            for line in quoted:
                parts = line.split('\t')
                srcs[int(parts[0])] = parts[1].split(',')
            check(all(srcs.get(p['n'], [''])[-1] == a.quote_src for p in ptbs), f'{cap}: PTBs quote {srcs}')
            lost = [s for s in segs if s['seq'] >= v['max_ack']]
            check(lost and all(s['size'] > 1280 for s in lost), f'{cap}: small segments lost too')
            first = lost[0]
            same = [s for s in segs if s['seq'] == first['seq']]
            check(len(same) >= 3, f"{cap}: the first lost segment was sent only {len(same)} times")
            delivered = [s for s in segs if s['end'] <= v['max_ack']]
            dmax = max(s['size'] for s in delivered)
            i0 = ptb_info(ptbs[0])
            must.append(dict(base, kind='path.pmtud_blackhole', details={'side': 'sender', 'smallestLost': min(s['size'] for s in lost),
                                                                          'largestDelivered': dmax, 'actualPathMtu': 1280, 'family': 'IPv6'},
                             frames=sorted({v['syn']['n']} | {s['n'] for s in same})))
            must.append({'kind': 'path.ptb_problem', 'details': {'problem': 'wrong-host', 'quotedSource': a.quote_src, 'router': i0['from']},
                         'frames': [p['n'] for p in ptbs[:3]]})
            obs.append(f"the first {first['size']}-byte segment #{first['n']} is sent {len(same)} times and never acknowledged; "
                       f"{len(ptbs)} Packet Too Big from {i0['from']} (MTU {i0['mtu']}) arrive at this server but quote a packet from "
                       f"{a.quote_src}, another host, so they do not match any of its connections")
            must_not += ['path.fallback_delay', 'path.mss_clamped']
        elif a.expect in ('blackhole', 'ptb-ignored') and point == 'server':
            check(big, f'{cap}: no segment above 1280 bytes')
            lost = [s for s in segs if s['seq'] >= v['max_ack']]
            delivered = [s for s in segs if s['end'] <= v['max_ack']]
            check(lost and all(s['size'] > 1280 for s in lost), f'{cap}: small segments lost too')
            check(delivered and max(s['size'] for s in delivered) <= 1280, f'{cap}: nothing small delivered')
            first = lost[0]
            same = [s for s in segs if s['seq'] == first['seq']]
            check(len(same) >= 3, f"{cap}: the first lost segment was sent only {len(same)} times")
            if a.expect == 'blackhole':
                check(not ptbs, f'{cap}: a PTB / frag-needed arrived: {[p["n"] for p in ptbs]}')
            else:
                check(ptbs, f'{cap}: no PTB arrived')
                infos = [ptb_info(p) for p in ptbs]
                check(all(i['mtu'] == a.ptb_mtu and i['length'] == 1280 for i in infos), f'{cap}: unexpected PTBs {infos[:3]}')
                after = [s for s in segs if s['n'] > ptbs[0]['n'] and s['size'] > 1280]
                check(after, f'{cap}: no large segment after the first PTB (PTB not ignored)')
            if v6 is False:
                check(all(truthy(s['ip.flags.df']) for s in big), f'{cap}: large IPv4 segments without DF')
            dmax = max(s['size'] for s in delivered)
            lmin = min(s['size'] for s in lost)
            stall = same[-1]['t'] - first['t']
            f = dict(base, kind='path.pmtud_blackhole', details={
                'side': 'sender', 'pathMtu': {'min': dmax, 'max': lmin - 1}, 'actualPathMtu': 1280,
                'largestDelivered': dmax, 'smallestLost': lmin, 'firstLostSeqRaw': first['seq'],
                'transmissionsOfFirstLost': len(same), 'ptbSeen': len(ptbs), 'family': 'IPv6' if v6 else 'IPv4'},
                stallMicros=tol(stall, 0.8, 1.5), frames=sorted({v['syn']['n'], delivered[-1]['n']} | {s['n'] for s in same}))
            must.append(f)
            obs.append(f"{len(delivered)} segment(s) up to {dmax} bytes delivered and acknowledged (last #{delivered[-1]['n']}); "
                       f"the first {lmin}-byte segment #{first['n']} is sent {len(same)} times "
                       f"({', '.join('#%d +%.2fs' % (s['n'], (s['t'] - first['t']) / 1e6) for s in same)}) and never acknowledged")
            if a.expect == 'ptb-ignored':
                i0 = ptb_info(ptbs[0])
                must.append(dict(base, kind='path.ptb_problem', details={
                    'problem': 'ignored', 'ptbLength': i0['length'], 'mtu': i0['mtu'], 'ptbFrom': i0['from'],
                    'largerThan1024': True, 'ptbCount': len(ptbs)},
                    frames=sorted({p['n'] for p in ptbs[:3]} | {s['n'] for s in same[1:3]})))
                if a.ptb_mtu < 1280:
                    # one finding per router, for every flow it sent such PTBs about: no client or server
                    must.append({'kind': 'path.ptb_problem', 'details': {'problem': 'invalid-mtu', 'mtus': [a.ptb_mtu], 'count': len(ptbs), 'router': i0['from']},
                                 'frames': [p['n'] for p in ptbs[:3]]})
                obs.append(f"{len(ptbs)} Packet Too Big messages from {i0['from']} arrive (first #{i0['frame']}, MTU {i0['mtu']}, "
                           f"{i0['length']} bytes long each), yet the server keeps sending {lmin}-byte segments ({a.why})")
            else:
                obs.append('no Packet Too Big or other ICMP error arrives')
            must_not += ['path.fallback_delay', 'path.mss_clamped']
            if a.expect == 'blackhole':
                must_not.append('path.ptb_problem')
        elif a.expect in ('blackhole', 'ptb-ignored') and point == 'client':
            check(not big, f'{cap}: a large segment reached the client')
            check(not ptbs, f'{cap}: ICMP error at the client')
            last = segs[-1]
            ends = [p for p in v['cpk'] if (truthy(p['tcp.flags.fin']) or truthy(p['tcp.flags.reset'])) and p['n'] > last['n']]
            check(ends, f'{cap}: the client never gave up')
            stall = ends[0]['t'] - last['t']
            check(stall >= 3_000_000, f'{cap}: stall only {stall} µs')
            got = sum(int(s['tcp.len']) for s in segs)
            req = next((p for p in v['cpk'] if int(p['tcp.len'] or 0) > 0), None)
            must.append(dict(base, kind='path.pmtud_blackhole', details={
                'side': 'receiver', 'bytesReceived': got, 'family': 'IPv6' if v6 else 'IPv4', 'actualPathMtu': 1280},
                stallMicros=tol(stall, 0.8, 1.3), frames=sorted({v['syn']['n'], req['n'] if req else v['syn']['n'], last['n'], ends[0]['n']})))
            obs.append(f"request #{req['n'] if req else '?'}; only {got} bytes of response (largest packet {max(s['size'] for s in segs)} bytes, last #{last['n']}) arrive, "
                       f"then nothing for {stall / 1e6:.2f} s until the client gives up (#{ends[0]['n']} {'RST' if truthy(ends[0]['tcp.flags.reset']) else 'FIN'}); no ICMP error reaches the client")
            must_not += ['path.fallback_delay', 'path.mss_clamped', 'path.ptb_problem']
        elif a.expect == 'ptb-ok':
            if point == 'server':
                check(ptbs, f'{cap}: no PTB')
                infos = [ptb_info(p) for p in ptbs]
                check(all(i['mtu'] == 1280 for i in infos), f'{cap}: PTB MTU {infos}')
                later = [s for s in segs if s['n'] > ptbs[-1]['n']]
                check(later and max(s['size'] for s in later) <= 1280, f'{cap}: large segments after the PTBs')
                firstbig = big[0]
                resent = next((s for s in segs if s['seq'] == firstbig['seq'] and s['n'] > ptbs[0]['n']), None)
                check(resent, f'{cap}: the segment the PTB quoted was not resent')
                obs.append(f"{len(big)} segments of {firstbig['size']} bytes leave first (#{firstbig['n']}…); {len(ptbs)} Packet Too Big "
                           f"from {infos[0]['from']} arrive (first #{infos[0]['frame']}, MTU {infos[0]['mtu']}, the PTB itself {infos[0]['length']} bytes long); "
                           f"the server resends the data in {max(s['size'] for s in later)}-byte packets (#{resent['n']} resends seq of #{firstbig['n']}, "
                           f"{(resent['t'] - ptbs[0]['t']) / 1000:.1f} ms after the first PTB) and the transfer completes")
                may.append('path.ptb_problem')
            else:
                check(not big and not ptbs, f'{cap}: large segment or PTB at the client')
                obs.append(f'every segment that reaches the client is at most {max(s["size"] for s in segs)} bytes; the transfer completes')
                must_not.append('path.ptb_problem')
            must_not += ['path.pmtud_blackhole', 'path.fallback_delay']
        elif a.expect == 'clamped':
            check(not ptbs, f'{cap}: a PTB appeared')
            check(not big, f'{cap}: segments above 1280 bytes')
            if point == 'server':
                check(syn_mss == '1220' and sa_mss == '1440', f'{cap}: MSS {syn_mss}/{sa_mss}')
                obs.append('the SYN arrives with MSS 1220 (the client sent 1440; r1 clamped it to its 1280 route MTU)')
            else:
                check(syn_mss == '1440' and sa_mss == '1220', f'{cap}: MSS {syn_mss}/{sa_mss}')
                obs.append('the client sends MSS 1440; the SYN-ACK arrives with MSS 1220 (the server sent 1440; r2 clamped it)')
            obs.append(f'all {len(segs)} data segments are at most {max(s["size"] for s in segs)} bytes, no ICMP at all, the transfer completes')
            must_not += ['path.pmtud_blackhole', 'path.ptb_problem', 'path.fallback_delay']
            may.append('path.mss_clamped')
        else:
            raise Fail(f'unknown expectation {a.expect}/{point}')
        out.add(cap, a.scenario, point, must, must_not + ['dns.same_port_reply_drop', 'dns.aaaa_unanswered'],
                '; '.join(obs) + '.', may=may, topology=a.topology)


def _extra_tcp(sub):
    s = scenario_parser(sub, 'tcp-bulk')
    s.add_argument('--ptb-mtu', type=int, default=1280, help='the MTU the PTBs name (ptb-ignored)')
    s.add_argument('--quote-src', default='', help='the source address the PTBs quote (ptb-wrong-host)')
    s.add_argument('--why', default='its host firewall drops ICMPv6 > 1024 bytes after the capture tap',
                   help='why the sender ignores the PTBs (ptb-ignored)')
    s.add_argument('--expect', choices=['blackhole', 'ptb-ignored', 'ptb-ok', 'clamped', 'ptb-wrong-host'], required=True)


def fallback(a, out):
    v6, v4, name = a.v6, a.v4, a.name
    for point, cap in caps_of(a):
        pk = load(out.path(cap))
        seen_t, uniq = {}, []
        for p in pk:  # -i any on a router: a forwarded packet appears on both interfaces; keep the first
            key = (p['src'], p['dst'], p['tcp.srcport'], p['tcp.dstport'], p['tcp.seq_raw'], p['tcp.flags.syn'],
                   p['tcp.flags.ack'], p['tcp.flags.reset'], p['icmpv6.type'], p['dns.id'], p['tcp.len'])
            if key in seen_t and p['t'] - seen_t[key] < 5_000:
                continue
            seen_t[key] = p['t']
            uniq.append(p)
        msgs = dns_msgs(pk)
        qtypes = {m['qtype'] for m in msgs if m['name'] == name and m['qr'] and m['an'] > 0}
        check({'A', 'AAAA'} <= qtypes, f'{cap}: A and AAAA for {name} not both answered ({qtypes})')
        syn6 = [p for p in uniq if p['dst'] == v6 and p['tcp.dstport'] == '80' and truthy(p['tcp.flags.syn']) and not truthy(p['tcp.flags.ack']) and not p['icmp']]
        syn4 = [p for p in uniq if p['dst'] == v4 and truthy(p['tcp.flags.syn']) and not truthy(p['tcp.flags.ack']) and not p['icmp']
                and p['tcp.dstport'] == '80']
        check(syn6, f'{cap}: no v6 SYN')
        syn4 = [p for p in syn4 if p['n'] > syn6[0]['n']]
        check(syn4, f'{cap}: no v4 SYN after the v6 SYN')
        sa4 = next((p for p in uniq if p['src'] == v4 and p['tcp.srcport'] == '80' and p['n'] > syn4[0]['n'] and truthy(p['tcp.flags.syn']) and truthy(p['tcp.flags.ack'])), None)
        check(sa4, f'{cap}: IPv4 never established')
        check(not any(p['src'] == v6 and p['tcp.srcport'] == '80' and truthy(p['tcp.flags.syn']) and truthy(p['tcp.flags.ack']) for p in uniq),
              f'{cap}: IPv6 answered a SYN')
        t6, t4 = syn6[0]['t'], syn4[0]['t']
        delay = t4 - t6
        evidence = [p['n'] for p in syn6]
        why = ''
        if a.mode == 'unreachable':
            un = [p for p in uniq if p['icmpv6.type'] == '1' and p['icmpv6.code'] == '3']
            check(un, f'{cap}: no ICMPv6 address unreachable')
            if a.cls != 'happy-eyeballs':
                check(un[0]['t'] <= t4, f'{cap}: v4 before the unreachable')
            evidence.append(un[0]['n'])
            why = f"ICMPv6 destination unreachable (code 3, address unreachable) from {un[0]['src']} at #{un[0]['n']}, {(un[0]['t'] - t6) / 1e6:.3f} s after the first SYN"
        elif a.mode == 'rst':
            rst = [p for p in uniq if p['src'] == v6 and truthy(p['tcp.flags.reset'])]
            check(rst, f'{cap}: no RST')
            evidence.append(rst[0]['n'])
            why = f"a TCP RST claiming to be from {v6} (sent by the router) at #{rst[0]['n']}, {(rst[0]['t'] - t6) / 1000:.2f} ms after the SYN"
        else:
            check(not any(p['src'] == v6 for p in uniq) and not any(p['icmpv6.type'] == '1' and p['all']['ipv6.dst'][-1:] == [v6] for p in uniq),
                  f'{cap}: the v6 SYNs drew an answer')
            why = 'no answer of any kind to the IPv6 SYNs'
        expect_range = {'happy-eyeballs': (150_000, 350_000), 'fast-rst': (0, 100_000),
                        'fast-unreachable': (1_000_000, 4_500_000), 'timeout': (3_000_000, 20_000_000)}[a.cls]
        check(expect_range[0] <= delay <= expect_range[1], f'{cap}: delay {delay} µs does not fit {a.cls}')
        evidence += [syn4[0]['n'], sa4['n']]
        if a.cls == 'fast-rst':
            dtol = {'min': 0, 'max': max(100_000, delay * 3)}
        else:
            dtol = tol(delay, 0.8, 1.25)
        f = {'kind': 'path.fallback_delay', 'client': syn6[0]['src'], 'server': v6, 'serverV4': v4, 'clientV4': syn4[0]['src'],
             'serverPort': 80, 'names': [name],
             'details': {'classification': a.cls, 'v6Syns': len(syn6), 'v6Outcome': {'unreachable': 'icmpv6-address-unreachable', 'rst': 'tcp-rst', 'drop': 'no-answer'}[a.mode],
                         'toV4EstablishedMicros': tol(sa4['t'] - t6, 0.8, 1.25) if a.cls != 'fast-rst' else {'min': 0, 'max': max(100_000, (sa4['t'] - t6) * 3)}},
             'delayMicros': dtol, 'frames': sorted(set(evidence))}
        obs = (f"A and AAAA for {name} answered; first IPv6 SYN #{syn6[0]['n']} to {v6}, {len(syn6)} IPv6 SYN(s) in all "
               f"({', '.join('#%d +%.3fs' % (p['n'], (p['t'] - t6) / 1e6) for p in syn6)}); {why}; first IPv4 SYN #{syn4[0]['n']} "
               f"{delay / 1e6:.3f} s after the first IPv6 SYN, IPv4 SYN-ACK #{sa4['n']} at +{(sa4['t'] - t6) / 1e6:.3f} s")
        if a.observed:
            obs = a.observed + ' ' + obs
        if point == 'router':
            obs += '. Captured with -i any on the router: each forwarded packet appears twice (inbound on one interface, outbound on the other); frame numbers above are the first copies'
        out.add(cap, a.scenario, point, [f],
                ['path.pmtud_blackhole', 'path.ptb_problem', 'dns.aaaa_unanswered', 'dns.same_port_reply_drop'],
                obs + '.', may=['dns.resolver_profile'], topology=a.topology)


def _extra_fb(sub):
    s = scenario_parser(sub, 'fallback')
    s.add_argument('--mode', choices=['unreachable', 'drop', 'rst'], required=True)
    s.add_argument('--class', dest='cls', choices=['happy-eyeballs', 'timeout', 'fast-rst', 'fast-unreachable'], required=True)
    s.add_argument('--v6', default='2001:db8:21::80')
    s.add_argument('--v4', default='198.51.100.80')
    s.add_argument('--name', default='www.example.test')
    s.add_argument('--observed', default='')


def leak(a, out):
    zone, upstream = 'd.f.ip6.arpa', '2001:db8:31::1'
    for point, cap in caps_of(a):
        msgs = dns_msgs(load(out.path(cap)))
        ex = [e for e in exchanges(msgs) if e['q']['qtype'] == 'PTR' and e['q']['name'].endswith(zone)]
        check(ex, f'{cap}: no PTR queries under {zone}')
        front = [e for e in ex if e['q']['server'] != upstream]
        up = [e for e in ex if e['q']['server'] == upstream]
        names = sorted({e['q']['name'] for e in front})
        if a.expect == 'leak':
            check(all(e['r'] is None or e['r']['rcode'] == 2 for e in front), f'{cap}: a client PTR query was answered')
            if point == 'resolver':
                check(up and all(e['r'] is None for e in up), f'{cap}: no unanswered upstream PTR queries')
            else:
                check(not up, f'{cap}: upstream traffic at the client?')
            must = []
            for name in names:
                fe = [e for e in front if e['q']['name'] == name]
                ue = [e for e in up if e['q']['name'] == name]
                d = {'zone': zone + '.', 'qtype': 'PTR', 'outcome': 'timeout', 'clientQueries': len(fe)}
                if point == 'resolver':
                    d['leakedTo'] = [upstream]
                    d['upstreamQueries'] = len(ue)
                must.append({'kind': 'dns.local_zone_leak', 'client': fe[0]['q']['client'], 'server': fe[0]['q']['server'],
                             'names': [name], 'details': d,
                             'frames': sorted({e['q']['n'] for e in fe} | {e['q']['n'] for e in ue[:3]})})
            obs = (f"{len(front)} PTR queries from the client under {zone} ({', '.join('#%d' % e['q']['n'] for e in front)}), none answered"
                   + (f"; the resolver forwards them upstream to {upstream} {len(up)} times ({', '.join('#%d' % e['q']['n'] for e in up)}), never answered, and sends the client no SERVFAIL while the capture runs" if point == 'resolver' else '; the client gives up (glibc: 2 tries 2 s apart, dig: one 3 s try)'))
            out.add(cap, a.scenario, point, must, ['dns.aaaa_unanswered', 'dns.same_port_reply_drop'], obs + '.',
                    may=['dns.slow_lookup', 'dns.resolver_profile'], topology=a.topology)
        else:
            check(not up, f'{cap}: PTR went upstream')
            check(all(e['r'] and e['r']['rcode'] == 3 and e['r']['t'] - e['q']['t'] < 50_000 for e in front),
                  f'{cap}: PTR not answered NXDOMAIN at once')
            obs = ('every PTR query under d.f.ip6.arpa is answered NXDOMAIN by the resolver within a millisecond ('
                   + ', '.join(describe_ex(e) for e in front) + '); nothing is sent upstream')
            out.add(cap, a.scenario, point, [], ['dns.local_zone_leak', 'dns.slow_lookup', 'dns.aaaa_unanswered',
                                                'dns.same_port_reply_drop'], obs + '.', may=['dns.resolver_profile'],
                    topology=a.topology)


def _extra_leak(sub):
    s = scenario_parser(sub, 'leak')
    s.add_argument('--expect', choices=['leak', 'local'], required=True)


def large_answer(a, out):
    """Answers for --name larger than 1232 octets in IPv6 fragments that a filter between drops:
    seen leaving the server (and the client re-sending the same query), never at the client."""
    safe = 1232
    for point, cap in caps_of(a):
        pk = load(out.path(cap))
        msgs = dns_msgs(pk)
        ex = exchanges(msgs, name=a.name)
        check(len(ex) >= 2, f'{cap}: fewer than two queries for {a.name}')
        by_n = {p['n']: p for p in pk}
        q0 = ex[0]['q']
        if point == 'server':
            check(all(e['r'] for e in ex), f'{cap}: a query went unanswered at the server')
            sizes = [int(by_n[e['r']['n']]['udp.length']) - 8 for e in ex]
            check(all(s > safe for s in sizes), f'{cap}: an answer of {min(sizes)} B is not above {safe} B')
            check(all(by_n[e['r']['n']]['ipv6.fragment.count'] for e in ex), f'{cap}: an answer was not IPv6-fragmented')
            ids = {e['q']['id'] for e in ex}
            check(len(ids) == 1, f'{cap}: the re-sent queries have other ids {sorted(ids)}')
            must = [{'kind': 'dns.large_response_risk', 'client': q0['client'], 'server': q0['server'], 'names': [a.name],
                     'details': {'reasons': ['edns-over-safe-size', 'ipv6-fragmented', 'over-safe-size', 'retried-after-large'],
                                 'largestSize': max(sizes)},
                     'frames': [ex[0]['q']['n'], ex[0]['r']['n'], ex[1]['q']['n']]}]
            obs = (f"{len(ex)} transmissions of the query, each answered with {max(sizes)} B in IPv6 fragments that never reach "
                   f"the client, which sends the same query again (same id) after its timeout: "
                   + '; '.join(describe_ex(e) for e in ex) + '.')
            out.add(cap, a.scenario, point, must, ['dns.aaaa_unanswered', 'dns.same_port_reply_drop', 'dns.local_zone_leak'],
                    obs, may=['dns.resolver_profile', 'dns.slow_lookup'], topology=a.topology)
        else:
            check(all(e['r'] is None for e in ex), f'{cap}: an answer reached the client')
            must = [{'kind': 'dns.slow_lookup', 'client': q0['client'], 'server': q0['server'], 'names': [a.name]}]
            obs = (f"{len(ex)} transmissions of the query, no answer reaches the client (its fragments are dropped on "
                   "the way); the client gives up: " + '; '.join(describe_ex(e) for e in ex) + '.')
            # The client cannot see that the lost answers were large; it only sees queries go unanswered.
            out.add(cap, a.scenario, point, must, ['dns.aaaa_unanswered', 'dns.same_port_reply_drop', 'dns.local_zone_leak'],
                    obs, may=['dns.resolver_profile', 'dns.large_response_risk'], topology=a.topology)


def tc_tcp_blocked(a, out):
    """A TC=1 answer for --name, then the client's TCP/53 SYN answered by a reset; no answer over TCP."""
    for point, cap in caps_of(a):
        pk = load(out.path(cap))
        ex = exchanges(dns_msgs(pk), name=a.name)
        by_n = {p['n']: p for p in pk}
        tc = [e for e in ex if e['r'] and truthy(by_n[e['r']['n']]['dns.flags.truncated'])]
        check(tc, f'{cap}: no TC=1 answer for {a.name}')
        r = tc[0]['r']
        syns = [p for p in pk if p['tcp.dstport'] == '53' and truthy(p['tcp.flags.syn']) and not truthy(p['tcp.flags.ack']) and p['n'] > r['n']]
        check(syns, f'{cap}: no TCP/53 SYN after the TC=1 answer #{r["n"]}')
        syn = syns[0]
        rst = [p for p in pk if p['tcp.srcport'] == '53' and p['tcp.dstport'] == syn['tcp.srcport'] and truthy(p['tcp.flags.reset'])]
        check(rst, f'{cap}: the TCP/53 SYN #{syn["n"]} got no reset')
        check(not any(p['tcp.srcport'] == '53' and p['dns.id'] for p in pk), f'{cap}: an answer came over TCP')
        must = [{'kind': 'dns.large_response_risk', 'client': r['client'], 'server': r['server'], 'names': [a.name],
                 'details': {'reasons': ['tc-tcp-failed']}, 'frames': [r['n'], syn['n']]}]
        obs = (f"{describe_ex(tc[0])}, TC=1 ({int(by_n[r['n']]['udp.length']) - 8} B); the client's TCP/53 SYN #{syn['n']} is "
               f"answered by a reset #{rst[0]['n']} from the router; no answer over TCP. Queries: "
               + '; '.join(describe_ex(e) for e in ex) + '.')
        out.add(cap, a.scenario, point, must, ['dns.aaaa_unanswered', 'dns.same_port_reply_drop', 'dns.local_zone_leak'],
                obs, may=['dns.resolver_profile', 'dns.slow_lookup'], topology=a.topology)


def rate_limited(a, out):
    """Two downloads from two client addresses: PTBs for the first (--first), none for the second
    (--second), whose large segments are sent again and again and never acknowledged."""
    for point, cap in caps_of(a):
        pk = load(out.path(cap))
        ptbs = [p for p in pk if p['icmpv6.type'] == '2']
        syns = [p for p in pk if not p['icmp'] and truthy(p['tcp.flags.syn']) and not truthy(p['tcp.flags.ack'])]
        s1 = next((p for p in syns if p['src'] == a.first), None)
        s2 = next((p for p in syns if p['src'] == a.second), None)
        check(s1 and s2, f'{cap}: SYNs from {a.first} and {a.second} not both seen')
        check(ptbs and all(p['n'] < s2['n'] for p in ptbs), f'{cap}: PTBs {[p["n"] for p in ptbs]} not all before the second flow #{s2["n"]}')
        segs = [p for p in pk if not p['icmp'] and p['dst'] == a.second and p['tcp.dstport'] == s2['tcp.srcport'] and int(p['tcp.len'] or 0) > 0]
        acks = [int(p['tcp.ack_raw']) for p in pk if not p['icmp'] and p['src'] == a.second and p['tcp.srcport'] == s2['tcp.srcport'] and truthy(p['tcp.flags.ack'])]
        lost = [p for p in segs if int(p['tcp.seq_raw']) >= max(acks)]
        check(lost and all(iplen(p) > 1280 for p in lost), f'{cap}: the second flow lost no large segment, or small ones too')
        first = lost[0]
        same = [p for p in lost if p['tcp.seq_raw'] == first['tcp.seq_raw']]
        check(len(same) >= 3, f'{cap}: the first lost segment was sent only {len(same)} times')
        base = {'client': a.second, 'server': s2['dst']}
        must = [dict(base, kind='path.pmtud_blackhole', details={'side': 'sender', 'smallestLost': iplen(first), 'actualPathMtu': 1280, 'family': 'IPv6'},
                     frames=[s2['n']] + [p['n'] for p in same]),
                dict(base, kind='path.ptb_problem', details={'problem': 'burst-then-silence'}, frames=[p['n'] for p in ptbs[:2]] + [first['n']])]
        obs = (f"first download (from {a.first}, SYN #{s1['n']}): {len(ptbs)} Packet Too Big from {ptbs[0]['src']} "
               f"({', '.join('#%d' % p['n'] for p in ptbs)}), then 1280-byte packets and the transfer completes; second download "
               f"(from {a.second}, SYN #{s2['n']}, {(s2['t'] - ptbs[-1]['t']) / 1e6:.1f} s after the last PTB): its first {iplen(first)}-byte segment "
               f"#{first['n']} is sent {len(same)} times and never acknowledged, and no PTB comes (r2 rate-limits ICMPv6 to one per 30 s per destination)")
        out.add(cap, a.scenario, point, must, ['path.fallback_delay', 'path.mss_clamped', 'dns.same_port_reply_drop', 'dns.aaaa_unanswered'],
                obs + '.', topology=a.topology)


def _extra_large(sub):
    s = scenario_parser(sub, 'ptb-rate-limited')
    s.add_argument('--first', required=True)
    s.add_argument('--second', required=True)
    s = scenario_parser(sub, 'tc-tcp-blocked')
    s.add_argument('--name', required=True)
    s = scenario_parser(sub, 'large-answer')
    s.add_argument('--name', required=True)


def healthy(a, out):
    """DNS: every query answered at once. TCP: every SYN answered, no retransmission, no ICMP error."""
    dns_healthy(a, out)
    for point, cap in caps_of(a):
        pk = load(out.path(cap))
        syns = [p for p in pk if not p['icmp'] and truthy(p['tcp.flags.syn']) and not truthy(p['tcp.flags.ack'])]
        check(syns, f'{cap}: no TCP')
        bad = []
        for sy in syns:
            sa = [p for p in pk if p['src'] == sy['dst'] and p['dst'] == sy['src'] and p['tcp.dstport'] == sy['tcp.srcport']
                  and truthy(p['tcp.flags.syn']) and truthy(p['tcp.flags.ack'])]
            if not sa:
                bad.append(sy['n'])
        check(not bad, f'{cap}: SYNs without SYN-ACK: {bad}')
        rtx = [p['n'] for p in pk if p['tcp.analysis.retransmission']]
        check(not rtx, f'{cap}: retransmissions {rtx}')
        err = [p['n'] for p in pk if p['icmpv6.type'] in ('1', '2', '3') or p['icmp.type'] in ('3', '11')]
        check(not err, f'{cap}: ICMP errors {err}')
        fam = sorted({'IPv6' if ':' in p['dst'] else 'IPv4' for p in syns})
        d = next(x for x in out.docs if x['capture'] == cap)
        d['mustNotFind'] = sorted(set(d['mustNotFind']) | {'path.pmtud_blackhole', 'path.ptb_problem', 'path.fallback_delay',
                                                          'path.mss_clamped', 'dns.large_response_risk'})
        d['observed'] += (f" {len(syns)} TCP connections ({', '.join(fam)}; SYNs {', '.join('#%d' % p['n'] for p in syns)}), each answered at once, "
                          "no retransmission, no ICMP error.")


def app_retries(a, out):
    """--calls getaddrinfo() calls for --name, none answered, each from its own socket: one lookup
    per call, each lasting no longer than the stub's attempts × timeout."""
    for point, cap in caps_of(a):
        msgs = dns_msgs(load(out.path(cap)))
        qs = [m for m in msgs if not m['qr'] and m['name'] == a.name]
        check(qs, f'{cap}: no query for {a.name}')
        check(not [m for m in msgs if m['qr']], f'{cap}: a reply was seen')
        calls = {}
        for m in qs:
            calls.setdefault(m['cport'], []).append(m)
        check(len(calls) == a.calls, f'{cap}: {len(calls)} sockets, not {a.calls}')
        give_up = a.attempts * a.timeout_ms * 1000
        spans, gaps, prev_end = [], [], None
        for port, lst in calls.items():
            check({'A', 'AAAA'} <= {m['qtype'] for m in lst}, f'{cap}: port {port} did not ask A and AAAA')
            check(len(lst) >= 2 * a.attempts, f'{cap}: port {port} sent {len(lst)} queries, not {2 * a.attempts}')
            span = lst[-1]['t'] - lst[0]['t']
            check(span < give_up, f'{cap}: port {port} kept asking for {span} µs')
            spans.append(span)
            if prev_end is not None:
                gaps.append(lst[0]['t'] - prev_end)
            prev_end = lst[-1]['t']
        cl, sv = qs[0]['client'], qs[0]['server']
        # The slowest lookup's delay: first query to last retry of one call (measured from the
        # stub's retries, the reply never came), never more than the stub's give-up time.
        f = {'kind': 'dns.slow_lookup', 'client': cl, 'server': sv, 'names': [a.name],
             'delayMicros': {'min': int(min(spans) * 0.9), 'max': give_up}}
        obs = (f"{a.observed} {len(qs)} queries from {len(calls)} sockets, none answered; per socket the A+AAAA pair and its "
               f"retries span {min(spans) / 1e6:.2f}–{max(spans) / 1e6:.2f} s; the next call starts "
               f"{min(gaps) / 1e6:.2f}–{max(gaps) / 1e6:.2f} s after the previous one's last query; "
               f"{(qs[-1]['t'] - qs[0]['t']) / 1e6:.1f} s from the first query to the last.")
        out.add(cap, a.scenario, point, [f], ['dns.same_port_reply_drop', 'dns.aaaa_unanswered', 'dns.local_zone_leak'], obs,
                may=['dns.resolver_profile'], topology=a.topology)


def _extra_retries(sub):
    s = scenario_parser(sub, 'app-retries')
    s.add_argument('--observed', default='')
    s.add_argument('--name', required=True)
    s.add_argument('--calls', type=int, required=True)
    s.add_argument('--timeout-ms', type=int, required=True)
    s.add_argument('--attempts', type=int, required=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    sub = ap.add_subparsers(dest='cmd', required=True)
    s = scenario_parser(sub, 'same-port-drop')
    s.add_argument('--lost', choices=['A', 'AAAA'], required=True)
    for extra in EXTRA:
        extra(sub)
    ap.add_argument('--merge', action='store_true', help='add to an existing expected/NAME.json')
    a = ap.parse_args()
    global MERGE
    MERGE = a.merge
    return run_check('verify', a, HANDLERS[a.cmd])


HANDLERS = {'single-query-loss': single_query_loss, 'same-port-drop': same_port_drop, 'dns-healthy': dns_healthy, 'aaaa-unanswered': aaaa_unanswered, 'tcp-bulk': tcp_bulk, 'fallback': fallback, 'leak': leak, 'healthy': healthy, 'large-answer': large_answer, 'tc-tcp-blocked': tc_tcp_blocked, 'ptb-rate-limited': rate_limited, 'app-retries': app_retries}
EXTRA = [_extra_dns, _extra_tcp, _extra_fb, _extra_leak, _extra_large, _extra_retries]

if __name__ == '__main__':
    sys.exit(main())
