// Issue 15: a Packet Too Big (or ICMP 3/4) from a source no router on the path can have is reported
// as such and is not taken as evidence about the path MTU.
import { describe, expect, it } from 'vitest';
import { Finding, RecordScope } from '../../../src/detect/index.js';
import { createPtbProblem } from '../../../src/detect/path/ptb-problem.js';
import { impossiblePtbSource } from '../../../src/detect/path/common.js';
import type { Packet } from '../../../src/decode/index.js';
import { icmp4, icmp6, resetFrames } from '../../support/tcp-packets.js';
import { runPath } from '../../reconstruct/path/pipeline.js';
import { C4, C6, MS, S4, S6, run, transfer } from './scenarios.js';

const ptbProblems = (ps: readonly Packet[]) => run(ps).findings.filter((f) => f.kind === 'path.ptb_problem');
const blackholes = (ps: readonly Packet[]) => run(ps).findings.filter((f) => f.kind === 'path.pmtud_blackhole');

// A small (200-byte) PTB naming a valid MTU: nothing else about it is wrong.
const ptb6 = (from: string, frame: number, to = S6) =>
  icmp6({ src: from, dst: to, kind: 'packet-too-big', mtu: 1400, length: 200, quoted: { src: to, dst: C6, sport: 80, dport: 40000, length: 1500, seq: 1 }, frame, time: frame * MS });
const ptb4 = (from: string, frame: number) =>
  icmp4({ src: from, dst: S4, kind: 'frag-needed', mtu: 1400, length: 200, quoted: { src: S4, dst: C4, sport: 80, dport: 40000, length: 1500, seq: 1 }, frame, time: frame * MS });

describe('impossiblePtbSource', () => {
  const quoted6 = { src: S6, dst: C6 };
  const quoted4 = { src: S4, dst: C4 };

  it.each([
    ['::ffff:192.0.2.1', 'IPv4-mapped'],
    ['::', 'unspecified'],
    ['ff02::1', 'multicast'],
    ['::1', 'loopback'],
  ])('rejects the IPv6 source %s (%s)', (from, word) => {
    expect(impossiblePtbSource(from, quoted6)).toContain(word);
  });

  it.each([
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['127.0.0.1', 'loopback'],
    ['240.0.0.1', 'reserved'],
  ])('rejects the IPv4 source %s (%s)', (from, word) => {
    expect(impossiblePtbSource(from, quoted4)).toContain(word);
  });

  it.each([
    ['a router with a global address', '2001:db8:9::1', quoted6],
    ['a first-hop router with only a link-local address (RFC 7404)', 'fe80::1', quoted6],
    ['the quoted destination itself (a VIP, tunnel or IPVS address)', C6, quoted6],
    ['a NAT64 translator (64:ff9b::/96)', '64:ff9b::c000:201', quoted6],
    ['a private IPv4 router', '10.0.0.1', quoted4],
    ['loopback, for loopback traffic (a local tunnel)', '::1', { src: '::1', dst: '::1' }],
  ])('accepts %s', (_what, from, quoted) => {
    expect(impossiblePtbSource(from, quoted)).toBeUndefined();
  });
});

describe('path.ptb_problem: impossible sources', () => {
  it('reports an IPv4-mapped PTB source once, with the count, the reason and where they went', () => {
    resetFrames();
    const f = ptbProblems([ptb6('::ffff:192.0.2.1', 1), ptb6('::ffff:192.0.2.1', 2)]);
    expect(f).toHaveLength(1);
    expect(() => Finding.parse(f[0])).not.toThrow();
    expect(f[0]!.details).toMatchObject({ reason: 'impossible-source', router: '::ffff:192.0.2.1', count: 2, deliveredTo: [S6], mtus: [1400], ipVersion: 6 });
    expect(f[0]!.summary).toContain('cannot come from a router on the path');
    expect(f[0]!.summary).toContain('IPv4-mapped');
    expect(f[0]!.evidence.map((e) => e.frame)).toEqual([1, 2]);
    expect(f[0]!.displayFilter).toBe('icmpv6.type == 2 && ipv6.addr == ::ffff:192.0.2.1');
  });

  it('reports multicast, unspecified and loopback sources apart, and IPv4 frag-needed from 0.0.0.0 and 224.0.0.1', () => {
    resetFrames();
    const f = ptbProblems([ptb6('ff02::2', 1), ptb6('::', 2), ptb6('::1', 3), ptb4('0.0.0.0', 4), ptb4('224.0.0.1', 5)]);
    expect(f.map((x) => [x.details.reason, x.details.router]).sort()).toEqual([
      ['impossible-source', '0.0.0.0'],
      ['impossible-source', '224.0.0.1'],
      ['impossible-source', '::'],
      ['impossible-source', '::1'],
      ['impossible-source', 'ff02::2'],
    ]);
  });

  it('counts a forged PTB for none of the other reasons (large, MTU below 1280, wrong host)', () => {
    resetFrames();
    const forged = icmp6({ src: '::ffff:203.0.113.9', dst: '2001:db8:2::81', kind: 'packet-too-big', mtu: 1200, length: 1249, quoted: { src: S6, dst: C6, sport: 80, dport: 40000, length: 1500, seq: 1 }, frame: 1, time: MS });
    const f = ptbProblems([forged]);
    expect(f.map((x) => x.details.reason)).toEqual(['impossible-source']);
  });

  it('is silent about a PTB from a link-local first-hop router or from the quoted destination', () => {
    resetFrames();
    expect(ptbProblems([ptb6('fe80::1', 1), ptb6(C6, 2)])).toEqual([]);
  });
});

describe('path.pmtud_blackhole: a forged PTB is no evidence that PMTUD works', () => {
  // A sender-side blackhole (large segment sent 5×, never acknowledged, the small tail SACKed) with a
  // PTB naming 1400 arriving after the last retransmission: a genuine one means the sender has just
  // learnt the MTU (no blackhole verdict); a forged one changes nothing.
  const withPtb = (from: string) => {
    const ps = transfer({ v: 6, largeSends: [0, 200, 600, 1400, 3000], sackedTail: true, clientRstAt: 6000 });
    const seq = ps.find((p) => p.tcp?.payloadLength === 1440)!.tcp!.seq;
    ps.push(icmp6({ src: from, dst: S6, kind: 'packet-too-big', mtu: 1400, length: 1280, quoted: { src: S6, dst: C6, sport: 80, dport: 40000, length: 1500, seq }, time: 3050 * MS }));
    return ps.sort((a, b) => a.time - b.time).map((p, i) => ({ ...p, frame: i + 1 }));
  };

  it('a genuine router PTB after the losses suppresses the verdict (control)', () => {
    expect(blackholes(withPtb('2001:db8:9::1'))).toEqual([]);
  });

  it('a PTB from an IPv4-mapped source leaves the blackhole reported, with no PTB counted', () => {
    const found = blackholes(withPtb('::ffff:198.51.100.1'));
    expect(found).toHaveLength(1);
    expect(found[0]!.details).toMatchObject({ side: 'sender', smallestLost: 1500, ptbSeen: 0 });
    expect(found[0]!.summary).toContain('no Packet Too Big');
  });
});

describe('path.ptb_problem on a real capture (samples/lab/ptbbogus.sh, captured at the client)', () => {
  // A TCP upload 2001:db8:15::10 → [2001:db8:15::80]:8080 over a veth; its first 1500-byte segment drew
  // three PTBs (MTU 1400, 1280 bytes long) from ::ffff:192.0.2.1, :: and ff02::1 (tshark: frames
  // 23–25, icmpv6.type == 2). Linux discarded them and went on sending 1514-byte frames. Before
  // issue 15 they were reported as a router's "large" PTBs and as a PTB the sender "ignored".
  const FILE = new URL('./captures/ptb-impossible-source-client.pcap', import.meta.url).pathname;

  it('reports each impossible source once and nothing else about those PTBs, and no blackhole', async () => {
    const { findings } = await runPath(FILE);
    const ptb = findings.filter((f) => f.kind === 'path.ptb_problem');
    expect(ptb.map((f) => [f.details.reason, f.details.router, f.evidence.map((e) => e.frame)]).sort()).toEqual([
      ['impossible-source', '::', [24]],
      ['impossible-source', '::ffff:192.0.2.1', [23]],
      ['impossible-source', 'ff02::1', [25]],
    ]);
    for (const f of ptb) {
      expect(() => Finding.parse(f)).not.toThrow();
      expect(f.details).toMatchObject({ count: 1, deliveredTo: ['2001:db8:15::10'], mtus: [1400], ipVersion: 6 });
    }
    expect(findings.filter((f) => f.kind === 'path.pmtud_blackhole')).toEqual([]);
  });
});

describe('path.ptb_problem: the pieces of a split capture merged keep at most maxRouters routers', () => {
  // Large (1280-byte) PTBs from routers R1 (frames 1, 2), R2 (3) and R1 again (4). Piece A owns
  // frames 1–2; piece B owns 3–4 and, without a lead-in, met R2 first.
  const R1 = '2001:db8:9::1';
  const R2 = '2001:db8:9::2';
  const records = () => {
    resetFrames();
    const large = (from: string, frame: number) =>
      icmp6({ src: from, dst: S6, kind: 'packet-too-big', mtu: 1400, length: 1280, quoted: { src: S6, dst: C6, sport: 80, dport: 40000, length: 1500, seq: 1 }, frame, time: frame * MS });
    return run([large(R1, 1), large(R1, 2), large(R2, 3), large(R1, 4)]).records;
  };
  const piece = (firstFrame: number, lastFrame: number, maxRouters: number) => {
    const scope = new RecordScope();
    scope.own({ firstFrame, lastFrame });
    const d = createPtbProblem({ maxRouters }, undefined, undefined, scope);
    for (const r of records()) {
      if (r.type !== 'icmp-error' || r.frame < firstFrame) continue;
      scope.position = r.frame;
      d.observe(r);
    }
    return structuredClone(d.exportState!());
  };
  const merged = (maxRouters: number) => {
    const d = createPtbProblem({ maxRouters });
    d.mergeState!(piece(1, 2, maxRouters));
    d.mergeState!(piece(3, 4, maxRouters));
    return d.finish().map((f) => [f.details.router, f.details.count, f.evidence.map((e) => e.frame)]);
  };

  it('adds a router both pieces hold, and takes one only a piece holds while there is room', () => {
    expect(merged(2).sort()).toEqual([
      [R1, 3, [1, 2, 4]],
      [R2, 1, [3]],
    ]);
  });

  it('refuses a piece\'s router past the cap', () => {
    expect(merged(1)).toEqual([[R1, 2, [1, 2]]]);
  });
});
