#!/usr/bin/python3
"""Neighbour-discovery scenarios (verify.py's contract): checks with tshark that the captures show
the designed mechanism and writes expected/NAME.json from what the lab set up. Never runs dualscope.

  verify-neighbor.py --out DIR unreachable --family 6 --address A --fallback-to B --router-link R --client C --cap router=F --cap client=F
  verify-neighbor.py --out DIR control --cap router=F
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

F = ['frame.number', 'frame.time_epoch', 'sll.pkttype', 'ipv6.src', 'ipv6.dst', 'ip.src', 'ip.dst',
     'icmpv6.type', 'icmpv6.code', 'icmpv6.nd.ns.target_address', 'icmpv6.nd.na.target_address',
     'icmp.type', 'icmp.code', 'arp.opcode', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4',
     'tcp.flags.syn', 'tcp.flags.ack', 'tcp.dstport', 'tcp.srcport', 'dns.flags.response', 'dns.qry.name', 'dns.a', 'dns.aaaa']


def rows(path):
    cmd = ['tshark', '-n', '-r', path, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=f']
    for f in F:
        cmd += ['-e', f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    res = []
    for line in out.splitlines():
        p = dict(zip(F, line.split('\t')))
        p['n'] = int(p['frame.number'])
        p['t'] = V.micros(p['frame.time_epoch'])
        p['src'] = p['ipv6.src'] or p['ip.src']
        p['dst'] = p['ipv6.dst'] or p['ip.dst']
        res.append(p)
    return res


def solicitations(pk, addr, family):
    if family == 6:
        return [p for p in pk if p['icmpv6.type'] == '135' and p['icmpv6.nd.ns.target_address'] == addr]
    return [p for p in pk if p['arp.opcode'] == '1' and p['arp.dst.proto_ipv4'] == addr]


def answers(pk, addr, family):
    if family == 6:
        return [p for p in pk if p['icmpv6.type'] == '136' and p['icmpv6.nd.na.target_address'] == addr]
    return [p for p in pk if p['arp.opcode'] == '2' and p['arp.src.proto_ipv4'] == addr]


def unreachables(pk, family, code=None):
    if family == 6:
        return [p for p in pk if p['icmpv6.type'] == '1' and (code is None or p['icmpv6.code'] == code)]
    return [p for p in pk if p['icmp.type'] == '3' and (code is None or p['icmp.code'] == code)]


def syns(pk, dst):
    return [p for p in pk if p['dst'] == dst and p['tcp.flags.syn'] in ('1', 'True') and p['tcp.flags.ack'] in ('0', 'False')
            and not p['icmpv6.type'] and not p['icmp.type']]


def unreachable(a, out):
    fam = int(a.family)
    code = '3' if fam == 6 else '1'  # ICMPv6 address unreachable; ICMP host unreachable
    caps = dict(c.split('=', 1) for c in a.cap)
    r = rows(out.path(caps['router']))
    # -i any: a forwarded packet appears twice (in, out); neighbour discovery and the router's own
    # ICMP appear once (outgoing only), so they are counted as they are.
    ns = solicitations(r, a.address, fam)
    check(len(ns) >= 2, f'router: {len(ns)} solicitation(s) for {a.address}')
    check(not answers(r, a.address, fam), f'router: {a.address} answered a solicitation')
    src = {p['src'] or p['arp.src.proto_ipv4'] for p in ns}
    # Linux solicits from the outgoing link's link-local address (or the given router address)
    check(len(src) == 1 and (src <= {a.router_link} or next(iter(src)).startswith('fe80:')), f'router: solicitations from {src}')
    router = next(iter(src))
    spacing = [(y['t'] - x['t']) / 1e6 for x, y in zip(ns, ns[1:])]
    check(all(0.8 <= s <= 1.3 for s in spacing), f'router: solicitation spacing {spacing}')
    un = [p for p in unreachables(r, fam, code) if p['dst'] == a.client]
    check(un, f'router: no unreachable (code {code}) to {a.client}')
    check(un[0]['t'] > ns[-1]['t'], 'router: the unreachable came before the last solicitation')
    dns = [p for p in r if p['dns.flags.response'] in ('1', 'True') and a.address in (p['dns.a'] + ',' + p['dns.aaaa']).split(',')]
    check(dns, f'router: no DNS answer holds {a.address}')
    name = dns[0]['dns.qry.name']
    s1 = syns(r, a.address)
    s2 = syns(r, a.fallback_to)
    check(s1 and s2 and s2[0]['t'] > un[0]['t'], 'router: no fallback SYN after the unreachable')
    delay = s2[0]['t'] - s1[0]['t']
    check(2_000_000 <= delay <= 4_500_000, f'router: fallback after {delay} µs')
    nb = {'kind': 'path.neighbor_unreachable', 'server': a.address, 'names': [name],
          'details': {'address': a.address, 'router': router, 'solicitations': len(ns), 'family': fam,
                      'unreachablesTo': [a.client]},
          'frames': sorted({p['n'] for p in ns} | {un[0]['n'], dns[0]['n']})}
    fam_word = 'neighbour solicitations' if fam == 6 else 'ARP requests'
    fb_from, fb_to = ('IPv6', 'IPv4') if fam == 6 else ('IPv4', 'IPv6')
    fb = {'kind': 'path.fallback_delay', 'client': s1[0]['src'], 'server': a.address, 'names': [name],
          'details': {'classification': 'fast-unreachable', 'from': fb_from, 'to': fb_to},
          'delayMicros': tol(delay, 0.8, 1.25), 'frames': sorted({s1[0]['n'], un[0]['n'], s2[0]['n']})}
    obs = (f"DNS answer #{dns[0]['n']} gives {name} the address {a.address}; the client's {fb_from} SYN #{s1[0]['n']} reaches the router, "
           f"which sends {len(ns)} {fam_word} for {a.address} from {router}, the router "
           f"({', '.join('#%d' % p['n'] for p in ns)}, {', '.join('%.2f s' % s for s in spacing)} apart), none answered; "
           f"{len(un)} unreachable(s) (code {code}) to {a.client}, the first #{un[0]['n']} "
           f"{(un[0]['t'] - s1[0]['t']) / 1e6:.3f} s after the SYN; the client's {fb_to} SYN #{s2[0]['n']} follows "
           f"{delay / 1e6:.3f} s after the first {fb_from} SYN. Captured with -i any: forwarded packets appear twice, "
           'the router\'s own solicitations and unreachables once.')
    must_not = ['path.pmtud_blackhole', 'path.ptb_problem', 'dns.aaaa_unanswered', 'dns.same_port_reply_drop']
    out.add(caps['router'], a.scenario, 'router', [nb, fb], must_not, obs, may=['dns.resolver_profile'], topology=a.topology)
    if 'client' in caps:
        c = rows(out.path(caps['client']))
        check(not solicitations(c, a.address, fam), 'client: saw solicitations for the remote address')
        cu = unreachables(c, fam, code)
        cs1, cs2 = syns(c, a.address), syns(c, a.fallback_to)
        check(cu and cs1 and cs2 and cs2[0]['t'] >= cu[0]['t'], 'client: no unreachable before the fallback SYN')
        cdelay = cs2[0]['t'] - cs1[0]['t']
        cfb = dict(fb, delayMicros=tol(cdelay, 0.8, 1.25), frames=sorted({cs1[0]['n'], cu[0]['n'], cs2[0]['n']}))
        out.add(caps['client'], a.scenario, 'client', [cfb], must_not,
                f"The client's {fb_from} SYN #{cs1[0]['n']} to {a.address} draws {len(cu)} unreachable(s) (code {code}) from the router, "
                f"the first #{cu[0]['n']} {(cu[0]['t'] - cs1[0]['t']) / 1e6:.3f} s later; its {fb_to} SYN #{cs2[0]['n']} follows "
                f"{cdelay / 1e6:.3f} s after the first. The solicitations are on the router's other link: this capture "
                'holds only their result, the unreachable.',
                may=['dns.resolver_profile', 'path.neighbor_unreachable'], topology=a.topology)


def control(a, out):
    caps = dict(c.split('=', 1) for c in a.cap)
    r = rows(out.path(caps['router']))
    obs = []
    # 1. first contact, answered at once
    for addr, fam in (('2001:db8:21::80', 6), ('198.51.100.80', 4)):
        ns, na = solicitations(r, addr, fam), answers(r, addr, fam)
        check(ns and na and na[0]['t'] - ns[0]['t'] < 100_000, f'{addr}: first solicitation not answered at once')
        obs.append(f"first contact with {addr}: solicitation #{ns[0]['n']} answered #{na[0]['n']} "
                   f"{(na[0]['t'] - ns[0]['t']) / 1000:.1f} ms later")
    # 2. DAD from ::
    dad = [p for p in r if p['icmpv6.type'] == '135' and p['ipv6.src'] == '::' and p['icmpv6.nd.ns.target_address'] == '2001:db8:21::99']
    check(len(dad) >= 2 and not answers(r, '2001:db8:21::99', 6), 'no unanswered DAD for 2001:db8:21::99')
    obs.append(f"duplicate address detection for 2001:db8:21::99: {len(dad)} solicitations from :: ({', '.join('#%d' % p['n'] for p in dad)}), unanswered as they should be")
    # 3. late answer
    ns, na = solicitations(r, '2001:db8:21::81', 6), answers(r, '2001:db8:21::81', 6)
    check(len(ns) >= 2 and na and na[0]['t'] > ns[1]['t'], 'no late answer for 2001:db8:21::81')
    sa = [p for p in r if p['src'] == '2001:db8:21::81' and p['tcp.flags.syn'] in ('1', 'True') and p['tcp.flags.ack'] in ('1', 'True')]
    check(sa, '2001:db8:21::81 never answered the SYN')
    check(not [p for p in unreachables(r, 6, '3')], 'an address unreachable was sent')
    obs.append(f"2001:db8:21::81 (added 1.5 s after the SYN): {len(ns)} solicitations ({', '.join('#%d' % p['n'] for p in ns)}), "
               f"answered #{na[0]['n']} {(na[0]['t'] - ns[0]['t']) / 1e6:.3f} s after the first; SYN-ACK #{sa[0]['n']}")
    # 4. no route
    u6 = [p for p in unreachables(r, 6, '0')]
    u4 = [p for p in unreachables(r, 4, '0')]
    check(u6 and u4, 'no no-route unreachables')
    check(not unreachables(r, 4, '1'), 'a host unreachable was sent')
    obs.append(f"no route to 2001:db8:99::1 and 203.0.113.99: ICMPv6 no-route #{u6[0]['n']} and ICMP network unreachable #{u4[0]['n']} "
               'with no solicitation before them')
    out.add(caps['router'], a.scenario, 'router', [], ['path.neighbor_unreachable', 'path.pmtud_blackhole', 'path.ptb_problem'],
            '; '.join(obs) + '. Captured with -i any.', may=['dns.resolver_profile', 'path.fallback_delay'], topology=a.topology)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    sub = ap.add_subparsers(dest='cmd', required=True)
    s = V.scenario_parser(sub, 'unreachable')
    for opt in ('--family', '--address', '--fallback-to', '--router-link', '--client'):
        s.add_argument(opt, required=True)
    V.scenario_parser(sub, 'control')
    a = ap.parse_args()
    return V.run_check('verify-neighbor', a, {'unreachable': unreachable, 'control': control}[a.cmd])


if __name__ == '__main__':
    sys.exit(main())
