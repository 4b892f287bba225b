// sortEvidence skips its Set and its sort when it can (src/detect/evidence.ts): the result must be
// what deduplicating by `frame|role` and a stable sort by time, then frame, always gave.
import { describe, expect, it } from 'vitest';
import { sortEvidence } from '../../src/detect/evidence.js';
import type { Evidence } from '../../src/detect/index.js';

function reference(list: readonly Evidence[]): Evidence[] {
  const seen = new Set<string>();
  const out: Evidence[] = [];
  for (const e of list) {
    const k = `${e.frame}|${e.role}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(e);
  }
  return out.sort((a, b) => a.time - b.time || a.frame - b.frame);
}

/** Deterministic pseudo-random numbers (xorshift32). */
function generator(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const ROLES = ['query', 'reply', 'SYN', 'SYN|ACK'];

describe('sortEvidence', () => {
  it('keeps the first of each frame and role, ordered by time then frame, on lists short and long, ordered or not', () => {
    const random = generator(17);
    for (let run = 0; run < 2000; run++) {
      const length = Math.floor(random() * 40);
      const inOrder = random() < 0.5;
      let time = 1_000_000;
      const list: Evidence[] = [];
      for (let i = 0; i < length; i++) {
        time += inOrder ? Math.floor(random() * 3) : Math.floor(random() * 7) - 3;
        const frame = 1 + Math.floor(random() * 12);
        list.push({ frame, time, role: ROLES[Math.floor(random() * ROLES.length)]!, src: `s${i}`, dst: `d${i}` } as Evidence);
      }
      const got = sortEvidence(list);
      const want = reference(list);
      expect(got).toHaveLength(want.length);
      for (let i = 0; i < want.length; i++) expect(got[i], `run ${run}, entry ${i}`).toBe(want[i]); // the same objects, in the same order
      expect(got).not.toBe(list);
    }
  });
});
