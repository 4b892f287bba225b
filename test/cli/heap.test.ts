import { describe, expect, it } from 'vitest';
import { tuneGarbageCollector } from '../../src/cli/heap.js';

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

  it('sets both otherwise', () => {
    expect(tuneGarbageCollector(['--enable-source-maps'], '--inspect')).toEqual({ heapGrowth: true, noPretenuring: true });
  });
});
