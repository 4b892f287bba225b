import { describe, expect, it } from 'vitest';
import { Finding } from '../../../src/detect/index.js';
import { createFallbackDelay } from '../../../src/detect/path/fallback-delay.js';
import type { Packet } from '../../../src/decode/index.js';
import type { ConnectionRecord } from '../../../src/reconstruct/path/index.js';
import { dnsAnswer, icmp6, resetFrames, tcp4, tcp6 } from '../../support/tcp-packets.js';
import { C4, C6, MS, S4, S6, run } from './scenarios.js';

function fallback(opts: { dns: boolean; v4At: number; v6: 'silent' | 'rst'; port4?: number }): Packet[] {
  resetFrames();
  const ps: Packet[] = [];
  if (opts.dns) {
    ps.push(dnsAnswer({ client: C4, server: '192.0.2.53', name: 'www.example.test', addresses: [S4], time: 0 }));
    ps.push(dnsAnswer({ client: C4, server: '192.0.2.53', name: 'www.example.test', addresses: [S6], time: 1 * MS }));
  }
  const syn6 = (t: number) => tcp6({ src: C6, dst: S6, sport: 50000, dport: 80, flags: 'S', seq: 11, time: t });
  ps.push(syn6(2 * MS));
  if (opts.v6 === 'rst') ps.push(tcp6({ src: S6, dst: C6, sport: 80, dport: 50000, flags: 'RA', seq: 0, ack: 12, time: 3 * MS }));
  else for (const t of [1002, 3002]) if (t < opts.v4At) ps.push(syn6(t * MS));
  const p4 = opts.port4 ?? 80;
  ps.push(tcp4({ src: C4, dst: S4, sport: 50001, dport: p4, flags: 'S', seq: 21, time: opts.v4At * MS }));
  ps.push(tcp4({ src: S4, dst: C4, sport: p4, dport: 50001, flags: 'SA', seq: 91, ack: 22, time: (opts.v4At + 1) * MS }));
  ps.push(tcp4({ src: C4, dst: S4, sport: 50001, dport: p4, flags: 'A', seq: 22, ack: 92, time: (opts.v4At + 2) * MS }));
  return ps.sort((a, b) => a.time - b.time).map((p, i) => ({ ...p, frame: i + 1 }));
}

const fallbacks = (ps: Packet[]) => run(ps).findings.filter((f) => f.kind === 'path.fallback_delay');

describe('path.fallback_delay', () => {
  it('classifies a fallback after the SYN retry series as timeout, tied by DNS (high confidence)', () => {
    const f = fallbacks(fallback({ dns: true, v4At: 7002, v6: 'silent' }));
    expect(f).toHaveLength(1);
    expect(() => Finding.parse(f[0])).not.toThrow();
    expect(f[0]!.details).toMatchObject({ classification: 'timeout', delayToIpv4SynMicros: 7000 * MS, delayToIpv4EstablishedMicros: 7002 * MS, ipv6Syns: 3, staleAaaaHint: true, pairedBy: 'dns' });
    expect(f[0]!.names).toEqual(['www.example.test']);
    expect(f[0]!.confidence.level).toBe('high');
    expect(f[0]!.displayFilter).toBe(`(ipv6.addr == ${S6} && tcp.port == 80) || (ip.addr == ${S4} && tcp.port == 80)`);
  });

  it('classifies IPv4 starting while IPv6 is pending as Happy Eyeballs', () => {
    const f = fallbacks(fallback({ dns: true, v4At: 252, v6: 'silent' }));
    expect(f[0]!.details.classification).toBe('happy-eyeballs');
    expect(f[0]!.severity).toBe('info');
  });

  it('classifies a fallback after an RST as fast-rst', () => {
    const f = fallbacks(fallback({ dns: true, v4At: 4, v6: 'rst' }));
    expect(f[0]!.details).toMatchObject({ classification: 'fast-rst', ipv6Outcome: 'refused' });
  });

  it('works without DNS in the capture, with low confidence', () => {
    const f = fallbacks(fallback({ dns: false, v4At: 7002, v6: 'silent' }));
    expect(f).toHaveLength(1);
    expect(f[0]!.confidence.level).toBe('low');
    expect(f[0]!.details.pairedBy).toBe('port-and-timing');
  });

  it('does not pair attempts to another service port', () => {
    expect(fallbacks(fallback({ dns: false, v4At: 7002, v6: 'silent', port4: 443 }))).toEqual([]);
  });
});

describe('path.fallback_delay: waiting failures found by name', () => {
  // The fallback of the first test, plus an unanswered IPv6 SYN to another name's server: the
  // detector is fed both failures, then the IPv4 success, with room for one or two failures.
  const OTHER6 = '2001:db8:2::99';
  const records = () => {
    const ps = fallback({ dns: true, v4At: 7002, v6: 'silent' });
    ps.push(dnsAnswer({ client: C4, server: '192.0.2.53', name: 'other.example.test', addresses: [OTHER6], time: 3 * MS }));
    ps.push(tcp6({ src: C6, dst: OTHER6, sport: 50002, dport: 80, flags: 'S', seq: 31, time: 4 * MS }));
    const sorted = ps.sort((a, b) => a.time - b.time).map((p, i) => ({ ...p, frame: i + 1 }));
    const connections = run(sorted).connections;
    const to = (server: string) => connections.find((c) => c.server === server)!;
    return [to(S6), to(OTHER6), to(S4)];
  };
  const found = (maxPending: number) => {
    const d = createFallbackDelay({ maxPending });
    const out = records().flatMap((r) => d.observe(r));
    return [...out, ...d.finish()].map((f) => [f.details.ipv6Server, f.names]);
  };

  it('pairs the success with the failure under its name among other waiting failures', () => {
    expect(found(2)).toEqual([[S6, ['www.example.test']]]);
  });

  it('forgets a failure pushed out of the waiting list (past maxPending) under its names too', () => {
    expect(found(1)).toEqual([]);
  });
});

describe('path.fallback_delay: waiting successes', () => {
  // The IPv4 success of the fallback above arrives before its IPv6 failure (records arrive when
  // final, in any order) and waits among `decoys` other successes (another port: they tie to
  // nothing); the failure then pairs with it only if it is still among the latest maxPending.
  const records = () => {
    const connections = run(fallback({ dns: true, v4At: 7002, v6: 'silent' })).connections;
    return { failure: connections.find((c) => c.server === S6)!, success: connections.find((c) => c.server === S4)! };
  };
  const decoys = (n: number, success: ConnectionRecord): ConnectionRecord[] =>
    Array.from({ length: n }, (_, i) => ({ ...success, server: `198.51.100.${(i % 200) + 1}`, serverPort: 8443 }));
  const pairs = (maxPending: number, before: number, after: number): number => {
    const { failure, success } = records();
    const d = createFallbackDelay({ maxPending });
    const fed = [...decoys(before, success), success, ...decoys(after, success), failure];
    return [...fed.flatMap((r) => d.observe(r)), ...d.finish()].length;
  };

  it('pairs a success still among the latest maxPending, after many older ones left the list', () => {
    expect(pairs(4, 300, 3)).toBe(1);
    // The oldest of the four when the list's dropped slots are first reclaimed (after 64 dropped).
    expect(pairs(4, 64, 3)).toBe(1);
  });

  it('does not pair a success pushed out of the list by later ones', () => {
    expect(pairs(4, 0, 4)).toBe(0);
    expect(pairs(4, 300, 4)).toBe(0);
    expect(pairs(64, 10, 200)).toBe(0);
  });
});

describe('path.fallback_delay: a waiting success tried again', () => {
  // An IPv4 success held to the latest IPv6 failure under its name, which it does not follow (that
  // failure gave up long before), pairs with an earlier one once another success has paired the
  // later one: on the next failure's arrival, unrelated as it is.
  const records = () => {
    const connections = run(fallback({ dns: true, v4At: 7002, v6: 'silent' })).connections;
    const failure = connections.find((c) => c.server === S6)!;
    const success = connections.find((c) => c.server === S4)!;
    const at = (ms: number) => ({ frame: ms + 1, time: ms * MS });
    const failed = (server: string, names: string[], synsAt: number[], serverPort = 80): ConnectionRecord => {
      const syns = synsAt.map(at);
      return { ...failure, server, serverPort, names, lookup: undefined, syns, synCount: syns.length, start: syns[0]!, last: syns[syns.length - 1]! };
    };
    const succeeded = (server: string, names: string[], synAt: number): ConnectionRecord =>
      ({ ...success, server, names, lookup: undefined, syns: [at(synAt)], synCount: 1, start: at(synAt), established: at(synAt + 2), last: at(synAt + 2) });
    return {
      // Retried until 7 s: given up by 17 s (2.5 times the last retry gap after the last SYN).
      early: failed('2001:db8:2::1', ['a.example.test'], [0, 1000, 3000, 7000]),
      // One SYN at 0.5 s: given up by 3.5 s.
      late: failed('2001:db8:2::2', ['a.example.test', 'b.example.test'], [500]),
      held: succeeded('198.51.100.1', ['a.example.test'], 8000),
      other: succeeded('198.51.100.2', ['b.example.test'], 1000),
      unrelated: failed('2001:db8:2::3', ['c.example.test'], [9000], 8443),
    };
  };

  it('pairs it with the earlier failure once the later one paired elsewhere', () => {
    const r = records();
    const d = createFallbackDelay();
    const found = (rs: ConnectionRecord[]) => rs.flatMap((x) => d.observe(x));
    expect(found([r.early, r.late, r.held])).toEqual([]); // held to `late`, which it does not follow
    expect(found([r.other]).map((f) => f.details.ipv6Server)).toEqual([]); // pairs `late` (lone SYN: held until finish)
    const again = found([r.unrelated]);
    expect(again.map((f) => [f.details.ipv4Server, f.details.ipv6Server, f.details.ipv6Syns])).toEqual([['198.51.100.1', '2001:db8:2::1', 4]]);
    expect(d.finish().map((f) => [f.details.ipv4Server, f.details.ipv6Server])).toEqual([['198.51.100.2', '2001:db8:2::2']]);
  });

  it('leaves it waiting when no failure tied to it changed', () => {
    const r = records();
    const d = createFallbackDelay();
    const out = [r.early, r.late, r.held, r.unrelated].flatMap((x) => d.observe(x));
    expect([...out, ...d.finish()]).toEqual([]);
  });
});

describe('path.ptb_problem', () => {
  const ptb = (x: { mtu: number; length: number; to?: string; quotedSrc?: string; frame: number }) =>
    icmp6({ src: '2001:db8:9::1', dst: x.to ?? S6, kind: 'packet-too-big', mtu: x.mtu, length: x.length, quoted: { src: x.quotedSrc ?? S6, dst: C6, sport: 80, dport: 40000, length: 1500, seq: 1 }, frame: x.frame, time: x.frame * MS });

  it('flags an MTU below 1280 and PTBs over 1024 bytes, once per router with the count', () => {
    resetFrames();
    const f = run([ptb({ mtu: 1200, length: 1249, frame: 1 }), ptb({ mtu: 1280, length: 1280, frame: 2 })]).findings.filter((x) => x.kind === 'path.ptb_problem');
    expect(f.map((x) => x.details.reason).sort()).toEqual(['invalid-mtu', 'large']);
    const large = f.find((x) => x.details.reason === 'large')!;
    expect(large.impact.occurrences).toBe(2);
    expect(large.displayFilter).toBe('icmpv6.type == 2 && ipv6.addr == 2001:db8:9::1');
  });

  it('is silent about a small, valid PTB', () => {
    resetFrames();
    expect(run([ptb({ mtu: 1400, length: 200, frame: 1 })]).findings).toEqual([]);
  });

  it('flags a PTB delivered to a host other than the quoted sender', () => {
    resetFrames();
    const f = run([ptb({ mtu: 1400, length: 200, to: '2001:db8:2::81', frame: 1 })]).findings;
    expect(f).toHaveLength(1);
    expect(f[0]!.details).toMatchObject({ reason: 'wrong-host', deliveredTo: '2001:db8:2::81', quotedSource: S6 });
  });
});

describe('path.mss_clamped: one finding per (client, server, MSS pair) with the count of connections (issue 15)', () => {
  // A clamped handshake and a short exchange, from client port `port`.
  const clamped = (port: number, at: number, serverMss: number) => {
    const cs = (x: object) => tcp6({ src: C6, dst: S6, sport: port, dport: 443, hopLimit: 64, ...x } as never);
    const sc = (x: object) => tcp6({ src: S6, dst: C6, sport: 443, dport: port, hopLimit: 62, ...x } as never);
    return [
      cs({ flags: 'S', seq: 100, mss: 1440, time: at }),
      sc({ flags: 'SA', seq: 900, ack: 101, mss: serverMss, time: at + 1 * MS }),
      cs({ flags: 'A', seq: 101, ack: 901, time: at + 2 * MS }),
      cs({ flags: 'FA', seq: 101, ack: 901, time: at + 3 * MS }),
      sc({ flags: 'FA', seq: 901, ack: 102, time: at + 4 * MS }),
      cs({ flags: 'A', seq: 102, ack: 902, time: at + 5 * MS }),
    ];
  };

  it('counts the connections of one pair instead of repeating the finding, and keeps another MSS pair apart', () => {
    resetFrames();
    const ps = [...[0, 1, 2, 3, 4].flatMap((i) => clamped(40000 + i, i * 100 * MS, 1220)), ...clamped(41000, 600 * MS, 1300)];
    const found = run(ps).findings.filter((f) => f.kind === 'path.mss_clamped');
    expect(found).toHaveLength(2);
    const byServerMss = new Map(found.map((f) => [f.details.mssServer, f]));
    expect(byServerMss.get(1220)!.details.connections).toBe(5);
    expect(byServerMss.get(1220)!.impact.occurrences).toBe(5);
    expect(byServerMss.get(1220)!.summary).toContain('(5 connections)');
    expect(byServerMss.get(1300)!.details.connections).toBe(1);
  });
});
