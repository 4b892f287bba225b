// The answered keys' ring (answered-keys.ts) on its own: found by fingerprint across growth and
// re-queueing, leaving in answer order, and the live key objects told their slot at every move.
import { describe, expect, it } from 'vitest';
import { AnsweredKeys } from '../../../src/reconstruct/dns/answered-keys.js';
import type { TxKey } from '../../../src/reconstruct/dns/reconstructor.js';

/** Only the field the ring writes; the rest of a key is the reconstructor's. */
const liveKey = (): TxKey => ({ answeredSlot: -1 }) as TxKey;
// Hashes that share buckets (the low bits) in a small ring, and one above 2^31.
const hashOf = (i: number): number => (i % 3 === 0 ? 0x80000000 + i * 64 : i * 64) >>> 0;

describe('AnsweredKeys', () => {
  it('finds every key through growth and re-queueing, and they leave in answer order', () => {
    const ring = new AnsweredKeys(2); // 4 slots: grows three times below
    const keys: TxKey[] = [];
    for (let i = 0; i < 20; i++) {
      keys.push(liveKey());
      ring.add(hashOf(i), 40000 + i, (i << 16) | 1, i * 1000, keys[i]!);
    }
    expect(ring.size).toBe(20);
    for (let i = 0; i < 20; i++) {
      const slot = ring.find(hashOf(i), 40000 + i, (i << 16) | 1);
      expect(slot).toBe(keys[i]!.answeredSlot);
      expect(ring.find(hashOf(i), 40000 + i, (i << 16) | 28)).toBe(-1); // another type
      expect(ring.find(hashOf(i) ^ 1, 40000 + i, (i << 16) | 1)).toBe(-1); // another hash
    }
    // Key 2 answered again at 50 s: it outlives the keys queued after it.
    ring.answeredAgain(keys[2]!.answeredSlot, 50_000, keys[2]!);
    ring.detach(keys[5]!.answeredSlot); // key 5's object released: its fingerprint stays
    keys[5]!.answeredSlot = -1;
    const expired: TxKey[] = [];
    ring.expire(9_500, (k) => expired.push(k));
    // 0..9 answered by 9 s leave (2 is re-queued, 5 leaves without a live key).
    expect(expired).toEqual([0, 1, 3, 4, 6, 7, 8, 9].map((i) => keys[i]));
    expect(ring.size).toBe(11);
    expect(ring.find(hashOf(5), 40005, (5 << 16) | 1)).toBe(-1);
    for (const i of [2, ...Array.from({ length: 10 }, (_, j) => 10 + j)]) {
      expect(ring.find(hashOf(i), 40000 + i, (i << 16) | 1)).toBe(keys[i]!.answeredSlot);
    }
    ring.expire(19_000, (k) => expired.push(k));
    expect(ring.size).toBe(1);
    ring.expire(50_000, (k) => expired.push(k));
    expect(ring.size).toBe(0);
    expect(expired.at(-1)).toBe(keys[2]);
    expect(keys.every((k) => k.answeredSlot === -1)).toBe(true);
  });
});
