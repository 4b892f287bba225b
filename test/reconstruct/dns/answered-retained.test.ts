// The answered transaction keys the DNS reconstructor keeps, counted rather than timed: each for
// `unansweredAfterMicros` after its last answer, so that a late duplicate or re-ask is told from an
// orphan. A key answered again must not hold up the older keys queued behind it.
import { describe, expect, it } from 'vitest';
import { DnsReconstructor } from '../../../src/reconstruct/dns/index.js';
import type { Packet } from '../../../src/decode/index.js';
import { A, conversation } from '../../support/dns-packets.js';

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
});
