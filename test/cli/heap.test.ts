import { describe, expect, it } from 'vitest';
import { getHeapSpaceStatistics } from 'node:v8';
import { capSemiSpaces, SEMI_SPACE_MB, tuneGarbageCollector } from '../../src/cli/heap.js';

describe('tuneGarbageCollector', () => {
  it('leaves the heap size alone when the user gave a V8 heap flag', () => {
    expect(tuneGarbageCollector(['--max-old-space-size=64'], '').heapGrowth).toBe(false);
    expect(tuneGarbageCollector([], '--heap-growing-percent=50').heapGrowth).toBe(false);
    expect(tuneGarbageCollector([], '--inspect --max_old_space_size=512').heapGrowth).toBe(false);
  });

  it('leaves pretenuring alone when the user said either way', () => {
    expect(tuneGarbageCollector(['--allocation-site-pretenuring'], '')).toEqual({ heapGrowth: true, noPretenuring: false });
    expect(tuneGarbageCollector([], '--no_allocation_site_pretenuring')).toEqual({ heapGrowth: true, noPretenuring: false });
  });

  it('leaves the young generation alone when the user sized it', () => {
    expect(capSemiSpaces(['--max-semi-space-size=32'], '')).toBe(false);
    expect(capSemiSpaces([], '--min_semi_space_size=4')).toBe(false);
    expect(capSemiSpaces([], '--semi-space-growth-factor=4')).toBe(false);
    expect(capSemiSpaces(['--max-heap-size=512'], '')).toBe(false);
  });

  it('sets both otherwise', () => {
    expect(tuneGarbageCollector(['--enable-source-maps'], '--inspect')).toEqual({ heapGrowth: true, noPretenuring: true });
  });

  it('holds the semi-spaces at SEMI_SPACE_MB while objects survive scavenges (V8 would double them to 16 MB)', async () => {
    expect(capSemiSpaces([], '')).toBe(true);
    const youngMb = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size / 2 ** 20;
    // Objects that live across a few scavenges, as connections and lookups do: the young
    // generation grows while enough of them survive: to 32 MB within ten rounds without the cap.
    let kept: object[] = [];
    let largest = 0;
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 20_000; i++) kept.push({ round, i, text: `x${i}` });
      if (kept.length > 300_000) kept = kept.slice(100_000);
      largest = Math.max(largest, youngMb());
      await new Promise((done) => setImmediate(done)); // a collection's entry comes on a later turn
    }
    expect(largest).toBeGreaterThanOrEqual(SEMI_SPACE_MB); // it did grow
    expect(largest).toBeLessThanOrEqual(2 * SEMI_SPACE_MB); // to two semi-spaces of SEMI_SPACE_MB, no further
  });
});
