import { describe, expect, it } from 'vitest';
import { clearAddressHashes } from '../../../src/core/index.js';
import { DnsReconstructor, type DnsLookup, type DnsRecord, type DnsTransaction, type DnsOrphanResponse } from '../../../src/reconstruct/dns/index.js';
import { A, AAAA, conversation, ms } from '../../support/dns-packets.js';
import type { Packet } from '../../../src/decode/index.js';
import { EMPTY } from '../../../src/reconstruct/dns/state.js';

const CLIENT = '2001:db8:1::10';
const SERVER = '2001:db8:2::53';

function run(packets: Packet[], opts = {}, finish = true): { records: DnsRecord[]; recon: DnsReconstructor } {
  const records: DnsRecord[] = [];
  const recon = new DnsReconstructor(opts, (r) => records.push(r));
  for (const p of packets) recon.packet(p);
  if (finish) recon.finish();
  return { records, recon };
}
const lookups = (rs: DnsRecord[]): DnsLookup[] => rs.filter((r): r is DnsLookup => r.type === 'lookup');
const transactions = (rs: DnsRecord[]): DnsTransaction[] => rs.filter((r): r is DnsTransaction => r.type === 'transaction');

describe('transactions', () => {
  it('keeps capture times exact though the state counts from the first packet (state.ts offsets)', () => {
    // Three hours on (offsets past 2^31 µs are doubles) and a packet from before the first one.
    const c = conversation(CLIENT, SERVER);
    const later = 3 * 3600 * 1000;
    const { records } = run([
      c.query(0, 40000, 7, 'a.example', A),
      c.query(later, 40001, 8, 'b.example', A), c.query(later + 1000.5, 40001, 8, 'b.example', A),
      c.reply(later + 1500.25, 40001, 8, 'b.example', A, { answers: ['192.0.2.2'] }),
      c.query(later - 5000, 40002, 9, 'c.example', A), c.reply(later - 4990, 40002, 9, 'c.example', A, { answers: ['192.0.2.3'] }),
    ]);
    const b = lookups(records).find((l) => l.name === 'b.example')!;
    expect([b.start, b.end, b.totalMicros]).toEqual([ms(later), ms(later + 1500.25), 1_500_250]);
    expect([b.questions[0]!.firstSent, b.questions[0]!.lastSent, b.questions[0]!.timeToAnswerMicros]).toEqual([ms(later), ms(later + 1000.5), 1_500_250]);
    const bt = transactions(records).find((t) => t.qname === 'b.example')!;
    expect([bt.queries.length, bt.timeToAnswerMicros]).toEqual([2, 1_500_250]);
    const cl = lookups(records).find((l) => l.name === 'c.example')!;
    expect([cl.start, cl.totalMicros, cl.outcome]).toEqual([ms(later - 5000), 10_000, 'answered']);
    expect(lookups(records).find((l) => l.name === 'a.example')!.start).toBe(ms(0));
  });

  it('lists start as one shared empty array and grow apart (state.ts EMPTY)', () => {
    const c = conversation(CLIENT, SERVER);
    const { records } = run([
      c.query(0, 40000, 7, 'a.example', A), c.query(0, 40001, 8, 'b.example', A),
      c.reply(1, 40000, 7, 'a.example', A, { answers: ['192.0.2.1'] }), c.tick(20_000),
    ]);
    expect(EMPTY).toHaveLength(0);
    const a = lookups(records).find((l) => l.name === 'a.example');
    const b = lookups(records).find((l) => l.name === 'b.example');
    expect(a!.questions[0]!.attempts[0]!.replies.map((r) => r.data)).toEqual([['192.0.2.1']]);
    expect(b!.questions[0]!.attempts[0]!.replies).toEqual([]);
    expect(a!.servers).toEqual([SERVER]);
    expect(b!.servers).toEqual([SERVER]);
    expect(a!.tcpFallbacks).toEqual([]);
  });

  it('measures time to answer from the first transmission across a same-key retransmission', () => {
    const c = conversation(CLIENT, SERVER);
    const { records } = run([c.query(0, 40000, 7, 'a.example', A), c.query(2000, 40000, 7, 'a.example', A), c.reply(2001, 40000, 7, 'a.example', A, { answers: ['192.0.2.1'] })]);
    const [t] = transactions(records);
    expect(t!.queries.map((q) => q.frame)).toEqual([1, 2]);
    expect(t!.outcome).toBe('answered');
    expect(t!.timeToAnswerMicros).toBe(2_001_000);
  });

  it('lists transmissions and replies in order, first one first, up to their caps (state.ts keeps the first apart)', () => {
    const c = conversation(CLIENT, SERVER);
    const sent = [0, 1000, 2000, 3000, 4000];
    const { records } = run([
      ...sent.map((t, i) => c.query(t, 40000, 7, 'a.example', A, { size: 40 + i, edns: i === 0 ? 1232 : undefined })),
      ...[4001, 4002, 4003].map((t, i) => c.reply(t, 40000, 7, 'a.example', A, { answers: [`192.0.2.${i + 1}`], size: 80 + i })),
    ], { maxAttemptsPerQuestion: 3, maxRepliesPerAttempt: 2 });
    const [t] = transactions(records);
    const [a] = lookups(records)[0]!.questions[0]!.attempts;
    for (const queries of [t!.queries, a!.queries]) {
      expect(queries).toEqual([1, 2, 3].map((frame, i) => ({ frame, time: ms(sent[i]!), size: 40 + i, ednsUdpSize: i === 0 ? 1232 : undefined })));
    }
    expect(t!.response).toBe(a!.replies[0]);
    expect(a!.replies.map((r) => [r.frame, r.size, r.data])).toEqual([[6, 80, ['192.0.2.1']], [7, 81, ['192.0.2.2']]]);
    expect(t!.timeToAnswerMicros).toBe(4_001_000);
  });

  it('pairs only when the question matches, and counts the mismatch', () => {
    const c = conversation(CLIENT, SERVER);
    const { records, recon } = run([c.query(0, 40000, 7, 'a.example', A), c.reply(1, 40000, 7, 'b.example', A)]);
    const orphan = records.find((r): r is DnsOrphanResponse => r.type === 'orphan');
    expect(orphan?.questionMismatch).toBe(true);
    expect(recon.stats().questionMismatches).toBe(1);
    expect(recon.stats().unmatchedResponses).toBe(1);
  });

  it('matches names case-insensitively (0x20) and counts duplicate responses', () => {
    const c = conversation(CLIENT, SERVER);
    const { recon, records } = run([c.query(0, 40000, 7, 'A.Example', A), c.reply(1, 40000, 7, 'a.example', A), c.reply(50, 40000, 7, 'a.example', A)]);
    expect(transactions(records)[0]!.outcome).toBe('answered');
    expect(recon.stats().duplicateResponses).toBe(1);
    expect(recon.stats().unmatchedResponses).toBe(0);
  });

  it('pairs and groups the same when its address-hash table is cleared (as when full)', () => {
    // Asked before the table is cleared, answered after (the addresses hashed again), and asked
    // again (the lookup found by the client's hash).
    const c = conversation(CLIENT, SERVER);
    const records: DnsRecord[] = [];
    const recon = new DnsReconstructor({}, (r) => records.push(r));
    recon.packet(c.query(0, 40000, 7, 'first.example', A));
    recon.packet(c.query(0, 40001, 8, 'case.example', A));
    clearAddressHashes();
    recon.packet(c.reply(1, 40000, 7, 'first.example', A, { answers: ['192.0.2.1'] }));
    recon.packet(c.reply(1, 40001, 8, 'CASE.Example', A, { answers: ['192.0.2.2'] }));
    recon.packet(c.query(2, 40002, 9, 'first.example', AAAA));
    recon.packet(c.reply(3, 40002, 9, 'first.example', AAAA));
    recon.finish();
    expect(lookups(records).map((l) => [l.name, l.outcome, l.questions.length])).toEqual([['case.example', 'answered', 1], ['first.example', 'answered', 2]]);
    expect(recon.stats().unmatchedResponses).toBe(0);
  });

  it('skips a second copy of one packet (router -i any): neither a retransmission nor a duplicate reply', () => {
    const c = conversation(CLIENT, SERVER);
    const { recon, records } = run([
      c.query(0, 40000, 7, 'a.example', A), c.query(0.006, 40000, 7, 'a.example', A),
      c.reply(1, 40000, 7, 'a.example', A), c.reply(1.006, 40000, 7, 'a.example', A),
    ]);
    expect(transactions(records)[0]!.queries).toHaveLength(1);
    expect(transactions(records)[0]!.response?.frame).toBe(3);
    const s = recon.stats();
    expect([s.queries, s.responses, s.retransmissions, s.duplicateResponses, s.copies]).toEqual([1, 1, 0, 0, 2]);
  });

  it('calls a key re-sent just before the capture ends unknown (the re-send may still be answered)', () => {
    const c = conversation(CLIENT, SERVER);
    const { records } = run([c.query(0, 40000, 7, 'a.example', A), c.query(2000, 40000, 7, 'a.example', A), c.tick(2500)]);
    expect(transactions(records)[0]!.outcome).toBe('unknown');
    const again = run([c.query(0, 40000, 7, 'a.example', A), c.query(2000, 40000, 7, 'a.example', A), c.query(4000, 40001, 7, 'a.example', A), c.tick(4500)]);
    expect(transactions(again.records).map((t) => t.outcome)).toEqual(['unanswered', 'unknown']);
  });

  it('calls a query at the end of the capture unknown, not unanswered', () => {
    const c = conversation(CLIENT, SERVER);
    const { records } = run([c.query(0, 40000, 7, 'a.example', A), c.tick(3000)]);
    expect(transactions(records)[0]!.outcome).toBe('unknown');
    expect(lookups(records)[0]!.outcome).toBe('unknown');
  });

  it('calls it unanswered once the capture ran on past the timeout', () => {
    const c = conversation(CLIENT, SERVER);
    const { records } = run([c.query(0, 40000, 7, 'a.example', A), c.tick(10_500)]);
    expect(transactions(records)[0]!.outcome).toBe('unanswered');
  });

  it('emits an answered transaction at once, before finish()', () => {
    const c = conversation(CLIENT, SERVER);
    const { records } = run([c.query(0, 40000, 7, 'a.example', A), c.reply(1, 40000, 7, 'a.example', A)], {}, false);
    expect(transactions(records)).toHaveLength(1);
    expect(lookups(records)).toHaveLength(0); // the lookup may still get its AAAA
  });

  it('keeps pending state bounded', () => {
    const c = conversation(CLIENT, SERVER);
    const qs = Array.from({ length: 50 }, (_, i) => c.query(i, 40000 + i, i, `n${i}.example`, A));
    const { recon } = run(qs, { maxPendingTransactions: 10 }, false);
    expect(recon.stats().evictedTransactions).toBe(40);
  });
});

describe('lookups', () => {
  it.each([1000, 2000, 5000])('groups a glibc same-port round with its retry after %i ms into one lookup', (timeout) => {
    const c = conversation(CLIENT, SERVER);
    const { records } = run([
      c.query(0, 35000, 0x1111, 'www.example', A),
      c.query(0.2, 35000, 0x2222, 'www.example', AAAA),
      c.reply(0.5, 35000, 0x1111, 'www.example', A, { answers: ['192.0.2.1'] }),
      // AAAA reply lost; after the timeout glibc re-sends A, then AAAA, same socket, same ids
      c.query(timeout, 35000, 0x1111, 'www.example', A),
      c.reply(timeout + 0.3, 35000, 0x1111, 'www.example', A, { answers: ['192.0.2.1'] }),
      c.query(timeout + 0.5, 35000, 0x2222, 'www.example', AAAA),
      c.reply(timeout + 0.8, 35000, 0x2222, 'www.example', AAAA, { answers: ['2001:db8::1'] }),
    ]);
    const ls = lookups(records);
    expect(ls).toHaveLength(1);
    const l = ls[0]!;
    expect(l.pattern).toBe('parallel-same-port');
    expect(l.firstQtype).toBe(A);
    expect(l.outcome).toBe('answered');
    const q6 = l.questions.find((q) => q.qtype === AAAA)!;
    expect(q6.timeToAnswerMicros).toBe(Math.round((timeout + 0.6) * 1000));
    expect(l.totalMicros).toBe(Math.round((timeout + 0.8) * 1000));
  });

  it('gives the name in lower case beside the name as first seen (the name itself when it has no capital)', () => {
    const c = conversation(CLIENT, SERVER);
    const { records } = run([
      c.query(0, 40000, 7, '4.3.2.10.IN-addr.Arpa', 12), c.query(0, 40001, 8, 'b.example', A), c.query(0, 40002, 9, 'Ünï.example', A),
    ]);
    const byName = new Map(lookups(records).map((l) => [l.name, l]));
    expect(byName.get('4.3.2.10.IN-addr.Arpa')!.nameLower).toBe('4.3.2.10.in-addr.arpa');
    expect(byName.get('Ünï.example')!.nameLower).toBe('ünï.example');
    const plain = byName.get('b.example')!;
    expect(plain.nameLower).toBe('b.example');
    expect(plain.nameLower).toBe(plain.name);
  });

  it('sees AAAA-first sequential queries from separate ports', () => {
    const c = conversation(CLIENT, SERVER);
    const { records } = run([
      c.query(0, 50000, 1, 'x.example', AAAA),
      c.reply(1, 50000, 1, 'x.example', AAAA),
      c.query(1.2, 50001, 2, 'x.example', A),
      c.reply(2, 50001, 2, 'x.example', A),
    ]);
    const [l] = lookups(records);
    expect(l!.pattern).toBe('sequential-separate-ports');
    expect(l!.firstQtype).toBe(AAAA);
  });

  it('starts a new lookup when an answered question is asked again under a new id', () => {
    const c = conversation(CLIENT, SERVER);
    const { records } = run([
      c.query(0, 50000, 1, 'x.example', A),
      c.reply(1, 50000, 1, 'x.example', A),
      c.query(100, 50002, 3, 'x.example', A),
      c.reply(101, 50002, 3, 'x.example', A),
    ]);
    expect(lookups(records)).toHaveLength(2);
  });

  it('proves a timeout from the client re-asking, even when the capture ends early', () => {
    const c = conversation(CLIENT, SERVER);
    const { records } = run([c.query(0, 50000, 1, 'x.example', AAAA), c.query(2000, 50001, 2, 'x.example', AAAA)]);
    const [l] = lookups(records);
    expect(l!.questions[0]!.attempts.map((a) => a.outcome)).toEqual(['unanswered', 'unknown']);
    expect(l!.questions[0]!.outcome).toBe('unanswered');
  });

  it('skips mDNS', () => {
    const c = conversation(CLIENT, SERVER);
    const mdns = { ...c.query(0, 5353, 0, 'x.local', A), udp: { srcPort: 5353, dstPort: 5353, length: 68, truncated: false } };
    const { records, recon } = run([mdns, c.query(1, 40000, 9, 'y.example', A)]);
    expect(recon.stats().ignored).toBe(1);
    // Nothing of the mDNS query is kept, while the unicast query next to it is.
    expect(records.flatMap((r) => (r.type === 'lookup' ? [r.name] : []))).toEqual(['y.example']);
    expect(records.some((r) => JSON.stringify(r).includes('x.local'))).toBe(false);
  });
});
