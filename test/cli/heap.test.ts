import { describe, expect, it } from 'vitest';
import { boundHeapGrowth } from '../../src/cli/heap.js';

describe('boundHeapGrowth', () => {
  it('leaves the heap alone when the user gave a V8 heap flag', () => {
    expect(boundHeapGrowth(['--max-old-space-size=64'], '')).toBe(false);
    expect(boundHeapGrowth([], '--heap-growing-percent=50')).toBe(false);
    expect(boundHeapGrowth([], '--inspect --max_old_space_size=512')).toBe(false);
  });

  it('bounds the heap growth otherwise', () => {
    expect(boundHeapGrowth(['--enable-source-maps'], '--inspect')).toBe(true);
  });
});
