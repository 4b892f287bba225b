// The answered transaction keys the DNS reconstructor keeps, counted rather than timed: each for
// `unansweredAfterMicros` after its last answer, so that a late duplicate or re-ask is told from an
// orphan. A key answered again must not hold up the older keys queued behind it.
import { describe, expect, it } from 'vitest';
import { DnsReconstructor, type DnsLookup, type DnsRecord } from '../../../src/reconstruct/dns/index.js';
import type { Packet } from '../../../src/decode/index.js';
import { A, AAAA, conversation } from '../../support/dns-packets.js';

describe('answered keys are kept for the unanswered timeout after their last answer', () => {
  it('a key re-asked every 3 s does not keep the keys answered after it', () => {
    const c = conversation('2001:db8:1::10', '2001:db8:2::53');
    const recon = new DnsReconstructor({ unansweredAfterMicros: 10_000_000 }, () => {});
    const feed = (p: Packet): void => recon.packet(p);
    let most = 0;
    for (let ms = 0, n = 0; ms < 120_000; ms += 100, n++) {
      if (ms % 3000 === 0) {
        // The same socket, id and question, answered again: a poller with a fixed port and id.
        feed(c.query(ms, 40000, 1, 'poll.example', A));
        feed(c.reply(ms + 1, 40000, 1, 'poll.example', A, { answers: ['192.0.2.1'] }));
      }
      feed(c.query(ms + 2, 41000 + (n % 20000), n % 65536, `host${n}.example`, A));
      feed(c.reply(ms + 3, 41000 + (n % 20000), n % 65536, `host${n}.example`, A, { answers: ['192.0.2.2'] }));
      if (ms % 1000 === 0) recon.expire(ms * 1000);
      most = Math.max(most, recon.answeredKeys);
    }
    // Ten per second for the last 10 s (and up to 1 s more between expiries), plus the poller's key.
    expect(most).toBeGreaterThan(100);
    expect(most).toBeLessThanOrEqual(110 + 1 + 1);
  });

  // The answered keys are fingerprints once their lookup has closed (answered-keys.ts): a late
  // duplicate and a re-ask under the same socket, id and question must still be recognised, up to
  // the timeout and no longer, and a key differing in any one field must not be taken for it.
  const c = conversation('2001:db8:1::10', '2001:db8:2::53');
  function lateMessages(lateMs: number, late: (atMs: number) => Packet[]): { records: DnsRecord[]; recon: DnsReconstructor } {
    const records: DnsRecord[] = [];
    const recon = new DnsReconstructor({ unansweredAfterMicros: 10_000_000 }, (r) => records.push(r));
    recon.packet(c.query(0, 40000, 7, 'a.example', A));
    recon.packet(c.reply(1, 40000, 7, 'a.example', A, { answers: ['192.0.2.1'] }));
    // Capture time moves on in steps (the lookup closes after 0.5 s); the late messages come last.
    for (let ms = 50; ms < lateMs; ms += 50) recon.packet(c.tick(ms));
    for (const p of late(lateMs)) recon.packet(p);
    recon.finish();
    return { records, recon };
  }

  it('a late duplicate reply is a duplicate within the timeout after the answer, an orphan after it', () => {
    const dup = (atMs: number): Packet[] => [c.reply(atMs, 40000, 7, 'a.example', A, { answers: ['192.0.2.1'] })];
    for (const [atMs, duplicate] of [[2_000, true], [9_950, true], [10_200, false], [15_000, false]] as const) {
      const { records, recon } = lateMessages(atMs, dup);
      const s = recon.stats();
      expect([atMs, s.duplicateResponses, s.unmatchedResponses]).toEqual([atMs, duplicate ? 1 : 0, duplicate ? 0 : 1]);
      expect(records.filter((r) => r.type === 'orphan')).toHaveLength(duplicate ? 0 : 1);
      if (atMs === 2_000) expect(recon.answeredKeys).toBe(0); // finish() drops them
    }
  });

  it('a re-ask under the answered key is asked after the answer within the timeout, and not after it', () => {
    const reask = (atMs: number): Packet[] => [
      c.query(atMs, 40000, 7, 'a.example', A),
      c.reply(atMs + 1, 40000, 7, 'a.example', A, { answers: ['192.0.2.1'] }),
    ];
    for (const [atMs, afterAnswer] of [[2_000, true], [9_950, true], [10_200, false]] as const) {
      const { records, recon } = lateMessages(atMs, reask);
      const later = records.filter((r): r is DnsLookup => r.type === 'lookup').map((l) => l.questions[0]!.attempts[0]!.afterAnswer);
      expect([atMs, later]).toEqual([atMs, [false, afterAnswer]]);
      expect(recon.stats().transactions.answered).toBe(2);
    }
  });

  /** The reply to port 40000 in TCP segment headers (the helper builds UDP ones). */
  const overTcp = (p: Packet): Packet => ({
    ...p,
    udp: undefined,
    tcp: {
      srcPort: 53, dstPort: 40000, seq: 1, ack: 1, flags: 0x18, window: 512, headerLength: 20, payloadLength: p.dns[0]!.size + 2,
      mss: undefined, windowScale: undefined, sackPermitted: false, sack: undefined, tsVal: undefined, tsEcr: undefined, truncated: false,
    },
  });

  it('a key that differs in one field from an answered one is not taken for it', () => {
    const others = (atMs: number): Packet[] => [
      c.reply(atMs, 40001, 7, 'a.example', A), // client port
      c.reply(atMs, 40000, 8, 'a.example', A), // id
      c.reply(atMs, 40000, 7, 'b.example', A), // name
      c.reply(atMs, 40000, 7, 'a.example', AAAA), // type
      overTcp(c.reply(atMs, 40000, 7, 'a.example', A, { transport: 'tcp' })), // transport
      conversation('2001:db8:1::11', '2001:db8:2::53').reply(atMs, 40000, 7, 'a.example', A), // client
      conversation('2001:db8:1::10', '2001:db8:2::54').reply(atMs, 40000, 7, 'a.example', A), // server
    ];
    const { recon } = lateMessages(2_000, others);
    expect([recon.stats().duplicateResponses, recon.stats().unmatchedResponses]).toEqual([0, 7]);
  });
});
