// The DNS detectors against the mechanism, not against our lab: hand-built packet sequences for
// what other stubs, resolvers and capture points do (INCIDENTS §1, §2, §5 and their "Not this"
// lines). Each case names the real-world behaviour it stands for.
import { FindingSet } from '../../../src/detect/index.js';
import { describe, expect, it } from 'vitest';
import { DnsReconstructor, type DnsLookup, type DnsRecord } from '../../../src/reconstruct/dns/index.js';
import { createDnsDetectors } from '../../../src/detect/index.js';
import { Finding } from '../../../src/detect/finding.js';
import { A, AAAA, PTR, conversation } from '../../support/dns-packets.js';
import type { Packet } from '../../../src/decode/index.js';

function run(packets: Packet[]): { findings: Finding[]; lookups: DnsLookup[] } {
  const detectors = createDnsDetectors();
  const merged = new FindingSet();
  const lookups: DnsLookup[] = [];
  const recon = new DnsReconstructor({}, (r: DnsRecord) => {
    if (r.type === 'lookup') lookups.push(r);
    for (const d of detectors) merged.add(d, d.observe(r));
  });
  for (const p of [...packets].sort((x, y) => x.time - y.time)) recon.packet(p);
  recon.finish();
  for (const d of detectors) merged.finish(d);
  const findings = [...merged.values()];
  for (const f of findings) Finding.parse(f);
  return { findings, lookups };
}
const findings = (packets: Packet[]): Finding[] => run(packets).findings;
const kinds = (fs: Finding[]): string[] => fs.map((f) => f.kind).filter((k) => k !== 'dns.resolver_profile').sort();
const ofKind = (fs: Finding[], kind: string): Finding[] => fs.filter((f) => f.kind === kind);

const CLIENT = '192.0.2.10';
const SERVER = '198.51.100.53';
const SERVER2 = '198.51.100.54';
const NAME = 'api.example.test';
const ADDR_A = { answers: ['203.0.113.80'], aa: true };
const ADDR_AAAA = { answers: ['2001:db8::80'], aa: true };

/** `tcpdump -i any` on a router: each forwarded packet is written twice, a few µs apart. */
function doubled(ps: Packet[]): Packet[] {
  return ps.flatMap((p) => [p, { ...p, frame: p.frame + 10_000, time: p.time + 7 }]);
}

describe('§1 same-port reply drop: other stubs and capture points', () => {
  it('musl: re-sends only the missing question, on the same socket, after timeout/attempts (2.5 s)', () => {
    const c = conversation(CLIENT, SERVER);
    const fs = findings([
      c.query(0, 40000, 11, NAME, A), c.query(0.05, 40000, 12, NAME, AAAA),
      c.reply(0.4, 40000, 11, NAME, A, ADDR_A),
      c.query(2500, 40000, 12, NAME, AAAA), c.reply(2500.4, 40000, 12, NAME, AAAA, ADDR_AAAA),
    ]);
    const d = ofKind(fs, 'dns.same_port_reply_drop');
    expect(d).toHaveLength(1);
    expect(d[0]!.details.lostReply).toBe('AAAA');
    expect(d[0]!.details.inferredTimeoutMicros).toBe(2_499_950);
  });

  it('musl with two nameservers: the other server answers at once, nothing to report', () => {
    const c1 = conversation(CLIENT, SERVER);
    const c2 = conversation(CLIENT, SERVER2);
    const ps = [
      c1.query(0, 40000, 11, NAME, A), c2.query(0.01, 40000, 11, NAME, A),
      c1.query(0.05, 40000, 12, NAME, AAAA), c2.query(0.06, 40000, 12, NAME, AAAA),
      c1.reply(0.4, 40000, 11, NAME, A, ADDR_A), c2.reply(0.5, 40000, 11, NAME, A, ADDR_A),
      c2.reply(0.6, 40000, 12, NAME, AAAA, ADDR_AAAA),
    ];
    ps.forEach((p, i) => ((p as { frame: number }).frame = i + 1));
    expect(kinds(findings(ps))).toEqual([]);
  });

  it('glibc after an earlier drop in the same process (single-request: sequential on one socket), then reopen', () => {
    const c = conversation(CLIENT, SERVER);
    const fs = findings([
      c.query(0, 40000, 11, NAME, A), c.reply(0.4, 40000, 11, NAME, A, ADDR_A),
      c.query(0.5, 40000, 12, NAME, AAAA), // its reply is the second of the 5-tuple: dropped
      c.query(1000.5, 40001, 11, NAME, A), c.reply(1000.9, 40001, 11, NAME, A, ADDR_A),
      c.query(1001, 40002, 12, NAME, AAAA), c.reply(1001.4, 40002, 12, NAME, AAAA, ADDR_AAAA),
    ]);
    const d = ofKind(fs, 'dns.same_port_reply_drop');
    expect(d).toHaveLength(1);
    expect(d[0]!.details.lostReply).toBe('AAAA');
  });

  it('finds the drop when two threads resolve the same name at once from two sockets', () => {
    const c = conversation(CLIENT, SERVER);
    const fs = findings([
      c.query(0, 40000, 11, NAME, A), c.query(0.05, 40000, 12, NAME, AAAA),
      c.query(0.2, 41000, 21, NAME, A), c.query(0.25, 41000, 22, NAME, AAAA),
      c.reply(0.4, 40000, 11, NAME, A, ADDR_A), // thread 1: AAAA reply dropped
      c.reply(0.5, 41000, 21, NAME, A, ADDR_A), c.reply(0.6, 41000, 22, NAME, AAAA, ADDR_AAAA), // thread 2 fine
      c.query(1000, 40000, 11, NAME, A), c.reply(1000.4, 40000, 11, NAME, A, ADDR_A),
      c.query(1000.5, 40000, 12, NAME, AAAA), c.reply(1000.9, 40000, 12, NAME, AAAA, ADDR_AAAA),
    ]);
    const d = ofKind(fs, 'dns.same_port_reply_drop');
    expect(d).toHaveLength(1);
    expect(d[0]!.details.clientPort).toBe(40000);
    expect(d[0]!.details.lostReply).toBe('AAAA');
  });

  it('stays silent for a router capture with doubles where nothing is lost', () => {
    const c = conversation(CLIENT, SERVER);
    const fs = findings(doubled([
      c.query(0, 40000, 11, NAME, A), c.query(0.05, 40000, 12, NAME, AAAA),
      c.reply(0.4, 40000, 11, NAME, A, ADDR_A), c.reply(0.5, 40000, 12, NAME, AAAA, ADDR_AAAA),
    ]));
    expect(kinds(fs)).toEqual([]);
  });

  it('stays silent when the capture ends right after the re-sent queries (no reply yet, nothing proven)', () => {
    const c = conversation(CLIENT, SERVER);
    const fs = findings([
      c.query(0, 40000, 11, NAME, A), c.query(0.05, 40000, 12, NAME, AAAA),
      c.reply(0.4, 40000, 11, NAME, A, ADDR_A),
      c.query(2000, 40000, 11, NAME, A), c.query(2000.1, 40000, 12, NAME, AAAA),
    ]);
    expect(kinds(fs)).not.toContain('dns.same_port_reply_drop');
    expect(kinds(fs)).not.toContain('dns.aaaa_unanswered');
  });

  it('systemd-resolved / Windows: A and AAAA from separate sockets, one lost and retried: not this incident', () => {
    const c = conversation(CLIENT, SERVER);
    const fs = findings([
      c.query(0, 40000, 11, NAME, A), c.query(0.05, 40001, 12, NAME, AAAA),
      c.reply(0.4, 40000, 11, NAME, A, ADDR_A),
      c.query(1000, 40002, 13, NAME, AAAA), c.reply(1000.4, 40002, 13, NAME, AAAA, ADDR_AAAA),
    ]);
    expect(kinds(fs)).not.toContain('dns.same_port_reply_drop');
  });

  it('DNS over TCP (glibc use-vc): not a UDP session problem', () => {
    const c = conversation(CLIENT, SERVER);
    const tcp = { transport: 'tcp' as const };
    const fs = findings([
      c.query(0, 40000, 11, NAME, A, tcp), c.query(0.05, 40000, 12, NAME, AAAA, tcp),
      c.reply(0.4, 40000, 11, NAME, A, { ...ADDR_A, ...tcp }),
      c.query(2000, 40010, 11, NAME, A, tcp), c.reply(2000.4, 40010, 11, NAME, A, { ...ADDR_A, ...tcp }),
      c.query(2000.5, 40010, 12, NAME, AAAA, tcp), c.reply(2000.9, 40010, 12, NAME, AAAA, { ...ADDR_AAAA, ...tcp }),
    ]);
    expect(kinds(fs)).not.toContain('dns.same_port_reply_drop');
  });
});

describe('capture artefacts: a router capture with -i any', () => {
  it('does not count the second copy of a forwarded query as a retransmission', () => {
    const c = conversation(CLIENT, SERVER);
    const { lookups } = run(doubled([
      c.query(0, 40000, 11, NAME, A), c.reply(1500, 40000, 11, NAME, A, ADDR_A),
    ]));
    expect(lookups).toHaveLength(1);
    expect(lookups[0]!.questions[0]!.retransmissions).toBe(0);
  });

  it('a slow server seen at the router is slow-server, not client-retried', () => {
    const c = conversation(CLIENT, SERVER);
    const fs = findings(doubled([c.query(0, 40000, 11, NAME, A), c.reply(1500, 40000, 11, NAME, A, ADDR_A)]));
    const s = ofKind(fs, 'dns.slow_lookup');
    expect(s).toHaveLength(1);
    expect(s[0]!.details.causes).toEqual(['slow-server']);
  });

  it('a capture that ends just after a forwarded AAAA query does not make it unanswered', () => {
    const c = conversation(CLIENT, SERVER);
    const fs = findings(doubled([
      c.query(0, 40000, 11, NAME, A), c.reply(0.4, 40000, 11, NAME, A, ADDR_A),
      c.query(0.5, 40000, 12, NAME, AAAA),
    ]));
    expect(kinds(fs)).toEqual([]);
  });
});

describe('§2 unanswered AAAA: other clients and legs', () => {
  it('dig A, then dig AAAA two seconds later (separate lookups): AAAA never answered while A was', () => {
    const c = conversation(CLIENT, SERVER);
    const fs = findings([
      c.query(0, 40000, 11, NAME, A), c.reply(0.4, 40000, 11, NAME, A, ADDR_A),
      c.query(2000, 40001, 12, NAME, AAAA), c.query(3000, 40001, 12, NAME, AAAA), c.query(4000, 40001, 12, NAME, AAAA),
      c.tick(15_000),
    ]);
    expect(kinds(fs)).toContain('dns.aaaa_unanswered');
  });

  it('a recursive resolver upstream with 0x20 case randomisation, every retry from a new port', () => {
    const c = conversation('2001:db8:2::53', '2001:db8:5::53');
    const cases = ['gSlB.ExAmPlE.tEsT', 'GsLb.eXaMpLe.TeSt', 'gslB.exAMple.tesT', 'GSLB.example.TEST'];
    const fs = findings([
      c.query(0, 30000, 1, 'GsLb.ExaMPLe.TEst', A), c.reply(0.4, 30000, 1, 'GsLb.ExaMPLe.TEst', A, ADDR_A),
      ...cases.map((n, i) => c.query(0.2 + i * 400, 30001 + i, 100 + i, n, AAAA)),
      c.tick(14_000),
    ]);
    const f = ofKind(fs, 'dns.aaaa_unanswered');
    expect(f).toHaveLength(1);
    expect(f[0]!.details.aaaaQueries).toBe(4);
    expect(kinds(fs)).not.toContain('dns.same_port_reply_drop');
  });

  it('AAAA answered NODATA through a CNAME chain is correct behaviour', () => {
    const c = conversation(CLIENT, SERVER);
    const fs = findings([
      c.query(0, 40000, 11, NAME, A), c.query(0.05, 40000, 12, NAME, AAAA),
      c.reply(0.4, 40000, 11, NAME, A, ADDR_A), c.reply(0.5, 40000, 12, NAME, AAAA, { rcode: 0, aa: true }),
    ]);
    expect(kinds(fs)).toEqual([]);
  });

  it('AAAA lost once to the first nameserver, answered by the second: not unanswered', () => {
    const c1 = conversation(CLIENT, SERVER);
    const c2 = conversation(CLIENT, SERVER2);
    const ps = [
      c1.query(0, 40000, 11, NAME, A), c1.query(0.05, 40000, 12, NAME, AAAA),
      c1.reply(0.4, 40000, 11, NAME, A, ADDR_A),
      c2.query(1000, 40001, 11, NAME, A), c2.reply(1000.4, 40001, 11, NAME, A, ADDR_A),
      c2.query(1000.5, 40001, 12, NAME, AAAA), c2.reply(1000.9, 40001, 12, NAME, AAAA, ADDR_AAAA),
    ];
    ps.forEach((p, i) => ((p as { frame: number }).frame = i + 1));
    expect(kinds(findings(ps))).not.toContain('dns.aaaa_unanswered');
  });
});

describe('§5 locally served zones', () => {
  it('one lost PTR query re-sent and answered at once from the local zone is not a leak', () => {
    const c = conversation('10.0.0.5', '10.0.0.53');
    const n = '4.3.2.10.in-addr.arpa';
    const fs = findings([
      c.query(0, 1000, 1, n, PTR), c.query(1000, 1000, 1, n, PTR), c.reply(1000.3, 1000, 1, n, PTR, { rcode: 3, aa: true }),
    ]);
    expect(kinds(fs)).not.toContain('dns.local_zone_leak');
  });

  it('a resolver slow to answer a locally served name is reported (it went upstream)', () => {
    const c = conversation('10.0.0.5', '10.0.0.53');
    const n = '4.3.2.10.in-addr.arpa';
    const fs = findings([c.query(0, 1000, 1, n, PTR), c.reply(900, 1000, 1, n, PTR, { rcode: 3 })]);
    expect(kinds(fs)).toContain('dns.local_zone_leak');
  });

  it('a PTR under a locally served zone sent straight to a public resolver is a leak even when answered', () => {
    const c = conversation('10.0.0.5', '8.8.8.8');
    const n = '4.3.2.10.in-addr.arpa';
    const fs = findings([c.query(0, 1000, 1, n, PTR), c.reply(20, 1000, 1, n, PTR, { rcode: 3 })]);
    expect(ofKind(fs, 'dns.local_zone_leak')[0]?.details.reasons).toEqual(['global-server']);
  });
});

describe('large answers the client never got, asked again after the lookup closed', () => {
  const V6C = '2001:db8:1::10';
  const V6S = '2001:db8:2::53';
  const big = { answers: ['2001:db8:99::1'], aa: true, size: 2005, fragmentFrames: [1, 2] };

  it('dig: the same id from a new port 2 s later makes it an error', () => {
    const c = conversation(V6C, V6S);
    const ps = [
      c.query(0, 40001, 0x1e23, 'big.example.test', AAAA, { edns: 4096 }),
      c.reply(0.2, 40001, 0x1e23, 'big.example.test', AAAA, big),
      c.query(2000, 40002, 0x1e23, 'big.example.test', AAAA, { edns: 4096 }),
      c.reply(2000.2, 40002, 0x1e23, 'big.example.test', AAAA, big),
      c.tick(30_000),
    ];
    const f = ofKind(findings(ps), 'dns.large_response_risk');
    expect(f).toHaveLength(1);
    expect(f[0]!.severity).toBe('error');
    expect(f[0]!.details['reasons']).toContain('retried-after-large');
    expect(f[0]!.evidence.map((e) => e.frame)).toContain(3);
  });

  it('a new query (a new id) for the same name is a new lookup, not a re-ask', () => {
    const c = conversation(V6C, V6S);
    const ps = [
      c.query(0, 40001, 0x1e23, 'big.example.test', AAAA, { edns: 4096 }),
      c.reply(0.2, 40001, 0x1e23, 'big.example.test', AAAA, big),
      c.query(2000, 40002, 0x7777, 'big.example.test', AAAA, { edns: 4096 }),
      c.reply(2000.2, 40002, 0x7777, 'big.example.test', AAAA, big),
      c.tick(30_000),
    ];
    const f = ofKind(findings(ps), 'dns.large_response_risk');
    expect(f).toHaveLength(1);
    expect(f[0]!.severity).toBe('warning');
    expect(f[0]!.details['reasons']).not.toContain('retried-after-large');
  });

  it('the same id with another message (no EDNS now) is not a re-ask; nor is a repeat within 0.5 s', () => {
    for (const [atMs, extra] of [[2000, {}], [200, { edns: 4096 }]] as const) {
      const c = conversation(V6C, V6S);
      const ps = [
        c.query(0, 40001, 1, 'big.example.test', AAAA, { edns: 4096 }),
        c.reply(0.2, 40001, 1, 'big.example.test', AAAA, big),
        c.query(atMs, 40002, 1, 'big.example.test', AAAA, extra),
        c.tick(30_000),
      ];
      expect(ofKind(findings(ps), 'dns.large_response_risk')[0]!.details['reasons']).not.toContain('retried-after-large');
    }
  });

  it('the same query long after the re-ask window is not one', () => {
    const c = conversation(V6C, V6S);
    const ps = [
      c.query(0, 40001, 0x1e23, 'big.example.test', AAAA, { edns: 4096 }),
      c.reply(0.2, 40001, 0x1e23, 'big.example.test', AAAA, big),
      c.query(60_000, 40002, 0x1e23, 'big.example.test', AAAA, { edns: 4096 }),
      c.reply(60_000.2, 40002, 0x1e23, 'big.example.test', AAAA, big),
      c.tick(90_000),
    ];
    expect(ofKind(findings(ps), 'dns.large_response_risk')[0]!.details['reasons']).not.toContain('retried-after-large');
  });
});

describe('dns.resolver_profile names only what the evidence shows (issue 15)', () => {
  const profile = (ps: Packet[]): Finding => {
    const p = ofKind(findings(ps), 'dns.resolver_profile');
    expect(p).toHaveLength(1);
    return p[0]!;
  };
  // A parallel pair from one socket, one reply lost, the pair re-sent on the same socket after `timeoutMs`.
  const lostThenResent = (timeoutMs: number): Packet[] => {
    const c = conversation(CLIENT, SERVER);
    return [
      c.query(0, 40000, 11, NAME, A), c.query(0.05, 40000, 12, NAME, AAAA),
      c.reply(0.4, 40000, 11, NAME, A, ADDR_A),
      c.query(timeoutMs, 40000, 11, NAME, A), c.reply(timeoutMs + 0.4, 40000, 11, NAME, A, ADDR_A),
      c.query(timeoutMs + 0.5, 40000, 12, NAME, AAAA), c.reply(timeoutMs + 0.9, 40000, 12, NAME, AAAA, ADDR_AAAA),
    ];
  };

  it('a parallel pair from one socket with no retry names no implementation: glibc, musl and the Windows stub all do that', () => {
    const c = conversation(CLIENT, SERVER);
    const f = profile([
      c.query(0, 40000, 11, NAME, A), c.query(0.05, 40000, 12, NAME, AAAA),
      c.reply(0.4, 40000, 11, NAME, A, ADDR_A), c.reply(0.5, 40000, 12, NAME, AAAA, ADDR_AAAA),
    ]);
    expect(f.details).toMatchObject({ pattern: 'parallel-same-port', stub: 'unknown' });
    expect(f.summary).not.toMatch(/glibc|musl|windows/i);
    expect(f.confidence.reason).toContain('stub resolver unknown');
  });

  it('the same pattern re-sent after 1 s (the Windows stub\'s first retry) is not called glibc', () => {
    const f = profile(lostThenResent(1000));
    expect(f.details).toMatchObject({ pattern: 'parallel-same-port', stub: 'unknown' });
    expect(f.summary).not.toMatch(/glibc|musl/i);
  });

  it('shows the first lookup and the first re-sent one (the first kept without its evidence texts until a finding shows it)', () => {
    const c = conversation(CLIENT, SERVER);
    const f = profile([
      c.query(0, 39000, 1, 'first.example.test', A), c.query(0.05, 39000, 2, 'first.example.test', AAAA),
      c.reply(0.4, 39000, 1, 'first.example.test', A, ADDR_A), c.reply(0.5, 39000, 2, 'first.example.test', AAAA, ADDR_AAAA),
      c.query(2000, 40000, 11, NAME, A), c.query(2000.05, 40000, 12, NAME, AAAA), c.reply(2000.4, 40000, 11, NAME, A, ADDR_A),
      c.query(7000, 40000, 11, NAME, A), c.reply(7000.4, 40000, 11, NAME, A, ADDR_A),
      c.query(7000.5, 40000, 12, NAME, AAAA), c.reply(7000.9, 40000, 12, NAME, AAAA, ADDR_AAAA),
    ]);
    expect(f.evidence.map((e) => `${e.frame} ${e.role}`)).toEqual([
      '1 A query', '2 AAAA query', '3 A reply', '4 AAAA reply',
      '5 A query', '6 AAAA query', '7 A reply', '8 A retransmission', '9 A reply', '10 AAAA retransmission', '11 AAAA reply',
    ]);
    expect(f.details).toMatchObject({ retriesObserved: 1 });
  });

  it('names glibc when pattern, order, no EDNS and the 5 s default timeout all fit', () => {
    const f = profile(lostThenResent(5000));
    expect(f.details).toMatchObject({ pattern: 'parallel-same-port', order: 'A-first', stub: 'glibc-default' });
    expect(f.summary).toContain('(glibc defaults)');
  });
});

describe('a lookup ends when the stub gives up (issue 15: dns.slow_lookup joined separate calls)', () => {
  const c = conversation(CLIENT, SERVER);
  // One getaddrinfo() call that gets nothing: the pair from one socket, re-sent there after 2 s.
  const failedCall = (atMs: number, port: number, id: number): Packet[] => [
    c.query(atMs, port, id, NAME, A), c.query(atMs + 0.05, port, id + 1, NAME, AAAA),
    c.query(atMs + 2000, port, id, NAME, A), c.query(atMs + 2000.05, port, id + 1, NAME, AAAA),
  ];

  it('an application calling again from a new socket after the stub re-sent on its own and got nothing starts a new lookup', () => {
    const { lookups, findings: fs } = run([...failedCall(0, 40000, 10), ...failedCall(4100, 40001, 20), ...failedCall(8200, 40002, 30)]);
    expect(lookups).toHaveLength(3);
    for (const l of lookups) expect(l.totalMicros).toBeLessThan(2_100_000);
    const slow = ofKind(fs, 'dns.slow_lookup');
    expect(slow).toHaveLength(1);
    expect(slow[0]!.impact.delayMicros).toBeLessThan(2_100_000);
    expect(slow[0]!.impact.occurrences).toBe(3);
  });

  it('a stub that takes a new socket for every retry (systemd-resolved, Windows) stays one lookup', () => {
    const { lookups } = run([
      c.query(0, 40000, 10, NAME, A), c.query(1000, 40001, 11, NAME, A), c.query(2000, 40002, 12, NAME, A),
      c.reply(2000.4, 40002, 12, NAME, A, ADDR_A),
    ]);
    expect(lookups).toHaveLength(1);
    expect(lookups[0]!.outcome).toBe('answered');
  });

  it('glibc moving to new sockets after half an answer (the same-socket round got one reply) stays one lookup', () => {
    const { lookups } = run([
      c.query(0, 40000, 10, NAME, A), c.query(0.05, 40000, 11, NAME, AAAA), c.reply(0.4, 40000, 10, NAME, A, ADDR_A),
      c.query(2000, 40000, 10, NAME, A), c.reply(2000.4, 40000, 10, NAME, A, ADDR_A),
      c.query(2000.5, 40000, 11, NAME, AAAA),
      c.query(4000, 40001, 12, NAME, A), c.reply(4000.4, 40001, 12, NAME, A, ADDR_A),
      c.query(4000.5, 40002, 13, NAME, AAAA), c.reply(4000.9, 40002, 13, NAME, AAAA, ADDR_AAAA),
    ]);
    expect(lookups).toHaveLength(1);
  });
});
