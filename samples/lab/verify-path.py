#!/usr/bin/python3
"""Checks (with tshark, through verify.py's helpers) the path variants of the lab: the same
mechanisms as tcp-bulk seen from other capture points, with offloads on, another link MTU, and
controls that must stay silent. Writes expected/NAME.json from what the lab set up and what the
capture shows. Never runs dualscope; exits non-zero when the designed mechanism did not happen.

  verify-path.py --out DIR blackhole-sender --mtu 1400 --scenario S --cap server=FILE
  verify-path.py --out DIR blackhole-middle --scenario S --cap r2=FILE --cap r1=FILE
  verify-path.py --out DIR tso --scenario S --cap server=FILE
  verify-path.py --out DIR control (--expect-loss | --expect-nodf) --scenario S --cap server=F --cap client=F
  verify-path.py --out DIR receiver-loss --port 9000 --scenario S --cap client=F
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import verify as V  # noqa: E402

PATH_KINDS = ['path.pmtud_blackhole', 'path.ptb_problem', 'path.fallback_delay', 'path.mss_clamped']
DNS_KINDS = ['dns.same_port_reply_drop', 'dns.aaaa_unanswered']


def views(pkts, port=80):
    """One tcp_view per connection to `port` (by client port), in order of SYN."""
    out = []
    for syn in [p for p in pkts if not p['icmp'] and V.truthy(p['tcp.flags.syn']) and not V.truthy(p['tcp.flags.ack'])
                and p['tcp.dstport'] == str(port)]:
        cport = syn['tcp.srcport']
        if any(v['cport'] == int(cport) and v['server'] == syn['dst'] for v in out):
            continue
        sub = [p for p in pkts if p['icmp'] or p['tcp.srcport'] == cport or p['tcp.dstport'] == cport]
        out.append(V.tcp_view(sub, port))
    return out


def sender_side(v, mtu, cap, wire_cap=None):
    """The blackhole seen upstream of the drop: returns (finding, observed)."""
    segs = v['segs']
    V.check(segs, f'{cap}: no data from the server')
    delivered = [s for s in segs if s['end'] <= v['max_ack']]
    lost = [s for s in segs if s['seq'] >= v['max_ack']]
    V.check(delivered, f'{cap}: nothing delivered')
    V.check(lost, f'{cap}: nothing lost')
    size = (lambda s: min(s['size'], wire_cap)) if wire_cap else (lambda s: s['size'])
    V.check(all(size(s) > mtu for s in lost), f'{cap}: segments within the MTU lost too')
    V.check(max(size(s) for s in delivered) <= mtu, f'{cap}: a segment above the MTU was delivered')
    first = lost[0]
    same = [s for s in segs if s['seq'] == first['seq']]
    V.check(len(same) >= 3, f"{cap}: the first lost segment was sent only {len(same)} times")
    fam6 = ':' in v['server']
    V.check(not [p for p in v['ptbs'] if (p['icmpv6.type'] == '2') == fam6], f'{cap}: a PTB arrived')
    dmax = max(size(s) for s in delivered)
    lmin = min(size(s) for s in lost)
    f = {'client': v['client'], 'server': v['server'], 'clientPort': v['cport'], 'serverPort': 80,
         'kind': 'path.pmtud_blackhole',
         'details': {'side': 'sender', 'pathMtu': {'min': dmax, 'max': lmin - 1}, 'actualPathMtu': mtu,
                     'largestDelivered': dmax, 'smallestLost': lmin, 'firstLostSeqRaw': first['seq'],
                     'transmissionsOfFirstLost': len(same), 'ptbSeen': 0, 'family': 'IPv6' if ':' in v['server'] else 'IPv4'},
         'stallMicros': V.tol(same[-1]['t'] - first['t'], 0.8, 1.5),
         'frames': sorted({v['syn']['n'], delivered[-1]['n']} | {s['n'] for s in same})}
    obs = (f"{v['client']}:{v['cport']} → [{v['server']}]:80: SYN #{v['syn']['n']} MSS {v['syn']['tcp.options.mss_val']}, SYN-ACK MSS "
           f"{v['synack']['tcp.options.mss_val'] if v['synack'] else '?'}; {len(delivered)} segment(s) up to {dmax} bytes delivered (last #{delivered[-1]['n']}); "
           f"the first lost segment #{first['n']} ({first['size']} bytes captured{', %d on the wire' % size(first) if size(first) != first['size'] else ''}) "
           f"is sent {len(same)} times ({', '.join('#%d +%.2fs %dB' % (s['n'], (s['t'] - first['t']) / 1e6, s['size']) for s in same)}) "
           f"and never acknowledged; no Packet Too Big reaches this point")
    return f, obs


def blackhole_sender(a, out):
    for point, cap in V.caps_of(a):
        v = V.tcp_view(V.load(out.path(cap)))
        f, obs = sender_side(v, a.mtu, cap)
        out.add(cap, a.scenario, point, [f], PATH_KINDS[1:] + DNS_KINDS, obs + '.', topology=a.topology)


def blackhole_middle(a, out):
    for point, cap in V.caps_of(a):
        raw = V.load(out.path(cap))  # load() keeps the first copy of `-i any` doubles
        v = V.tcp_view(raw)
        if point == 'r2':
            f, obs = sender_side(v, 1280, cap)
            nraw = int(subprocess.run(['capinfos', '-c', '-M', out.path(cap)], capture_output=True, text=True).stdout.split()[-1])
            obs += (f'. Captured on r2 with -i any: {nraw} frames, {len(raw)} after dropping the second copy of each '
                    'forwarded packet (the 1500-byte segments have no second copy: r2 never forwards them)')
            out.add(cap, a.scenario, 'router', [f], PATH_KINDS[1:] + DNS_KINDS, obs + '.', topology=a.topology)
        else:
            segs = v['segs']
            V.check(segs and max(s['size'] for s in segs) <= 1280, f'{cap}: a large segment passed r1')
            V.check(not v['ptbs'], f'{cap}: ICMP seen on the r1-r2 link')
            last = segs[-1]
            ends = [p for p in v['cpk'] if (V.truthy(p['tcp.flags.fin']) or V.truthy(p['tcp.flags.reset'])) and p['n'] > last['n']]
            V.check(ends, f'{cap}: the client never gave up')
            stall = ends[0]['t'] - last['t']
            V.check(stall >= 3_000_000, f'{cap}: stall only {stall} µs')
            got = sum(int(s['tcp.len']) for s in segs)
            f = {'client': v['client'], 'server': v['server'], 'clientPort': v['cport'], 'serverPort': 80,
                 'kind': 'path.pmtud_blackhole',
                 'details': {'side': 'receiver', 'bytesReceived': got, 'family': 'IPv6', 'actualPathMtu': 1280},
                 'stallMicros': V.tol(stall, 0.8, 1.3), 'frames': sorted({v['syn']['n'], last['n'], ends[0]['n']})}
            obs = (f"captured on r1's 1280-byte link, downstream of the drop (hop limits 63 from the client, 62 from the server); SYN #{v['syn']['n']}; "
                   f"only {got} bytes of response pass (largest packet {max(s['size'] for s in segs)} bytes, last #{last['n']}), then nothing for "
                   f"{stall / 1e6:.2f} s until the client's FIN #{ends[0]['n']}; no ICMP on this link")
            out.add(cap, a.scenario, 'middle', [f], PATH_KINDS[1:] + DNS_KINDS, obs + '.', topology=a.topology)


def tso(a, out):
    for point, cap in V.caps_of(a):
        pk = V.load(out.path(cap))
        vs = views(pk)
        v6 = next(v for v in vs if ':' in v['server'])
        v4 = next(v for v in vs if ':' not in v['server'])
        big6 = [s for s in v6['segs'] if s['size'] > 1500]
        big4 = [s for s in v4['segs'] if s['size'] > 1500]
        V.check(big6 and big4, f'{cap}: no TSO super-segment (offloads not in effect)')
        f, obs6 = sender_side(v6, 1280, cap, wire_cap=1500)
        frag = [p for p in pk if p['icmp.type'] == '3' and p['icmp.code'] == '4']
        # load() folds look-alike frames within 2 ms (router doubles); these differ only inside the quote
        nfrag = subprocess.run(['tshark', '-n', '-r', out.path(cap), '-Y', 'icmp.type == 3 && icmp.code == 4'],
                               capture_output=True, text=True).stdout.count('\n')
        V.check(frag, f'{cap}: no ICMP fragmentation-needed for IPv4')
        V.check(not [p for p in pk if p['icmpv6.type'] == '2'], f'{cap}: an IPv6 PTB arrived')
        mtu4 = int(frag[0]['icmp.mtu'] or 0)
        V.check(mtu4 == 1280, f'{cap}: frag-needed MTU {mtu4}')
        V.check(v4['max_ack'] >= max(s['end'] for s in v4['segs']), f'{cap}: IPv4 transfer not fully acknowledged')
        after = [s for s in v4['segs'] if s['n'] > frag[0]['n']]
        small_after = [s for s in after if s['size'] <= 1280]
        obs = (f"{len(big6) + len(big4)} captured TCP 'segments' are longer than the 1500-byte link (largest "
               f"{max(s['size'] for s in big6 + big4)} bytes): TSO/GSO super-segments. IPv6: {obs6}. IPv4 ({v4['client']}:{v4['cport']}): "
               f"{nfrag} ICMP fragmentation-needed (MTU {mtu4}, {V.iplen(frag[0])} bytes, first #{frag[0]['n']}) arrive and the server goes on with "
               f"{len(small_after)} packets of at most 1280 bytes and {len(after) - len(small_after)} super-segments (GSO of the new size); "
               f"the transfer completes (all {max(s['end'] for s in v4['segs']) - int(v4['segs'][0]['seq'])} bytes acknowledged)")
        out.add(cap, a.scenario, point, [f], PATH_KINDS[1:] + DNS_KINDS, obs + '.', topology=a.topology)


def control(a, out):
    for point, cap in V.caps_of(a):
        pk = V.load(out.path(cap))
        vs = views(pk, a.port)
        V.check(vs, f'{cap}: no connection')
        errors = [p for p in pk if (p['icmpv6.type'] and int(p['icmpv6.type'].split(',')[0]) < 128) or p['icmp.type'] in ('3', '11', '12')]
        V.check(not errors, f'{cap}: ICMP error seen: #{errors[0]["n"] if errors else 0}')
        obs = []
        if a.expect_loss:
            retx = [p for p in pk if V.truthy(p['tcp.analysis.retransmission'])]
            V.check(len(retx) >= 3, f'{cap}: only {len(retx)} retransmissions')
            full = vs[0]
            V.check(full['max_ack'] >= max(s['end'] for s in full['segs']), f'{cap}: first download not complete')
            big = max(s['size'] for s in full['segs'])
            obs.append(f"{len(vs)} IPv6 connections; tshark marks {len(retx)} retransmissions (first #{retx[0]['n']}); the first download "
                       f"({full['cport']}) completes, its segments up to {big} bytes all acknowledged in the end")
            if len(vs) > 1:
                slow = vs[1]
                ends = [p for p in slow['cpk'] if V.truthy(p['tcp.flags.fin']) or V.truthy(p['tcp.flags.reset'])]
                zw = subprocess.run(['tshark', '-n', '-r', out.path(cap), '-Y', f'tcp.port == {slow["cport"]} && (tcp.analysis.zero_window || tcp.analysis.window_full)'],
                                    capture_output=True, text=True).stdout.count('\n')
                V.check(ends, f'{cap}: the slow download never ended')
                obs.append(f"the second download ({slow['cport']}) is read slowly ({zw} zero-window / window-full frames) and the client ends it "
                           f"at #{ends[0]['n']} with {slow['segs'][-1]['end'] - slow['max_ack'] if slow['segs'] else 0} bytes outstanding")
        if a.expect_nodf:
            v = vs[0]
            if point == 'server':
                big = [s for s in v['segs'] if s['size'] > 1280]
                V.check(big and not any(V.truthy(s['ip.flags.df']) for s in big), f'{cap}: large segments with DF')
                obs.append(f"{len(big)} segments above 1280 bytes leave without DF (e.g. #{big[0]['n']}, {big[0]['size']} bytes)")
            else:
                nfrag = subprocess.run(['tshark', '-n', '-r', out.path(cap), '-Y', 'ip.flags.mf == 1'], capture_output=True, text=True).stdout.count('\n')
                V.check(nfrag > 0, f'{cap}: no fragments at the client')
                obs.append(f'the client receives the large segments as IPv4 fragments ({nfrag} first fragments with MF)')
            V.check(v['max_ack'] >= max(s['end'] for s in v['segs']), f'{cap}: transfer not complete')
            obs.append('no ICMP; the transfer completes')
        out.add(cap, a.scenario, point, [], PATH_KINDS + DNS_KINDS, '; '.join(obs) + '.', topology=a.topology)


def receiver_loss(a, out):
    """Ordinary loss seen by the receiver, capture started after the handshake: holes in the
    server's sequence, some wider than any segment that arrived and open for a second, filled by
    retransmissions of the sizes the server wrote (nothing size-dependent about the loss)."""
    for point, cap in V.caps_of(a):
        pk = V.load(out.path(cap))
        tcp = [p for p in pk if not p['icmp'] and p['tcp.srcport']]
        V.check(tcp, f'{cap}: no TCP')
        V.check(not [p for p in tcp if V.truthy(p['tcp.flags.syn'])], f'{cap}: the capture holds a SYN')
        errors = [p for p in pk if (p['icmpv6.type'] and int(p['icmpv6.type'].split(',')[0]) < 128) or p['icmp.type'] in ('3', '11', '12')]
        V.check(not errors, f'{cap}: ICMP error seen: #{errors[0]["n"] if errors else 0}')
        segs = [p for p in tcp if p['tcp.srcport'] == str(a.port) and int(p['tcp.len'] or 0) > 0]
        V.check(segs, f'{cap}: no data from the server')
        acks = [int(p['tcp.ack_raw']) for p in tcp if p['tcp.dstport'] == str(a.port) and p['tcp.ack_raw']]
        high, high_t, biggest, holes = None, 0, 0, []
        for p in segs:
            seq, end, size = int(p['tcp.seq_raw']), int(p['tcp.seq_raw']) + int(p['tcp.len']), V.iplen(p)
            if high is not None and seq > high:
                holes.append({'start': high, 'end': seq, 'since': high_t, 'after': p['n'], 'fills': []})
            for h in holes:
                if seq < h['end'] and end > h['start']:
                    h['fills'].append((p['n'], p['t'], size))
            if high is None or end > high:
                high, high_t = end, p['t']
            biggest = max(biggest, size)
        V.check(len(holes) >= 3, f'{cap}: only {len(holes)} holes in the sequence')
        V.check(all(h['fills'] for h in holes), f'{cap}: a hole was never filled')
        V.check(max(acks) >= high, f'{cap}: the transfer did not complete')
        over = [p for p in segs if int(p['tcp.len']) > a.max_payload]
        V.check(not over, f"{cap}: #{over[0]['n'] if over else 0} carries more than the {a.max_payload} bytes the server wrote at once")
        filling = {n for h in holes for n, _, _ in h['fills']}
        first_time = max(V.iplen(p) for p in segs if p['n'] not in filling)
        long = [h for h in holes if h['fills'][-1][1] - h['since'] >= 1_000_000]
        # the trap: a hole wider than any segment that arrived, open for a second, filled in pieces
        trap = [h for h in long if h['end'] - h['start'] > first_time]
        V.check(trap, f'{cap}: no hole wider than the largest segment stayed open for a second')
        h = max(trap, key=lambda h: h['fills'][-1][1] - h['since'])
        retx = [p for p in pk if V.truthy(p['tcp.analysis.retransmission'])]
        obs = (f"no SYN (the capture starts mid-connection); {len(segs)} data segments from port {a.port}, up to {biggest} bytes; "
               f"{len(holes)} holes in the sequence, filled by retransmissions of what the server wrote (≤ {a.max_payload} bytes a segment, none merged) "
               f"(tshark marks {len(retx)} retransmissions); {len(long)} stayed open ≥ 1 s, {len(trap)} of them wider than the largest segment that arrived first time ({first_time} bytes), the longest "
               f"{h['end'] - h['start']} bytes after "
               f"#{h['after']} for {(h['fills'][-1][1] - h['since']) / 1e6:.2f} s, filled by {len(h['fills'])} segment(s) of "
               f"{'/'.join(str(s) for _, _, s in h['fills'])} bytes; the transfer completes")
        out.add(cap, a.scenario, point, [], PATH_KINDS + DNS_KINDS, obs + '.', topology=a.topology)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    sub = ap.add_subparsers(dest='cmd', required=True)
    for name in ('blackhole-sender', 'blackhole-middle', 'tso', 'control', 'receiver-loss'):
        s = sub.add_parser(name)
        s.add_argument('--cap', action='append', default=[])
        s.add_argument('--scenario', required=True)
        s.add_argument('--topology', default='')
        s.add_argument('--mtu', type=int, default=1280)
        s.add_argument('--expect-loss', action='store_true')
        s.add_argument('--expect-nodf', action='store_true')
        s.add_argument('--port', type=int, default=80)
        s.add_argument('--max-payload', type=int, default=1460)
    a = ap.parse_args()
    return V.run_check('verify-path', a, {'blackhole-sender': blackhole_sender, 'blackhole-middle': blackhole_middle, 'tso': tso, 'control': control, 'receiver-loss': receiver_loss}[a.cmd])


if __name__ == '__main__':
    sys.exit(main())
