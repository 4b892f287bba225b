import { describe, expect, it } from 'vitest';
import { formatCount } from '../../src/core/index.js';

describe('formatCount', () => {
  it('groups digits as toLocaleString("en-US") does', () => {
    const values = [0, 7, 42, 999, 1000, 1001, 12_345, 999_999, 1_000_000, 2_000_000, 123_456_789, 1_234_567_890, Number.MAX_SAFE_INTEGER];
    for (let k = 1; k < 1e15; k *= 7) values.push(k, k - 1);
    for (const v of values) {
      expect(formatCount(v)).toBe(v.toLocaleString('en-US'));
      if (v !== 0) expect(formatCount(-v)).toBe((-v).toLocaleString('en-US'));
    }
  });

  it('writes what is not a safe integer as String() does', () => {
    expect(formatCount(1.5)).toBe('1.5');
    expect(formatCount(Number.NaN)).toBe('NaN');
    expect(formatCount(Number.POSITIVE_INFINITY)).toBe('Infinity');
  });
});
