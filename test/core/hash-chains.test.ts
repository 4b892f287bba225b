import { describe, expect, it } from 'vitest';
import { HashChains } from '../../src/core/index.js';

interface E { readonly hash: number; readonly name: string; next: E | undefined }
const entry = (hash: number, name: string): E => ({ hash, name, next: undefined });
const chainNames = (t: HashChains<E>, hash: number): string[] => {
  const out: string[] = [];
  for (let e = t.chain(hash); e !== undefined; e = e.next) if (e.hash === hash) out.push(e.name);
  return out;
};

describe('HashChains', () => {
  it('finds entries by hash, newest first, and forgets deleted ones', () => {
    const t = new HashChains<E>(2);
    const a = entry(5, 'a');
    const b = entry(5, 'b');
    const c = entry(9, 'c'); // same bucket as 5 while there are 4 heads
    t.add(a);
    t.add(b);
    t.add(c);
    expect(t.size).toBe(3);
    expect(chainNames(t, 5)).toEqual(['b', 'a']);
    expect(chainNames(t, 9)).toEqual(['c']);
    t.delete(b);
    expect(chainNames(t, 5)).toEqual(['a']);
    expect(t.size).toBe(2);
    t.delete(b); // not in the index: nothing changes
    expect(t.size).toBe(2);
    t.delete(c);
    t.delete(a);
    expect(t.size).toBe(0);
    expect(t.chain(5)).toBeUndefined();
  });

  it('keeps every entry and each hash’s order (newest first) as it grows', () => {
    const t = new HashChains<E>(1);
    const all: E[] = [];
    for (let i = 0; i < 1000; i++) {
      const e = entry((i * 7919) % 37, `e${i}`);
      all.push(e);
      t.add(e);
    }
    expect(t.size).toBe(1000);
    for (let h = 0; h < 37; h++) {
      const expected = all.filter((e) => e.hash === h).map((e) => e.name).reverse();
      expect(chainNames(t, h)).toEqual(expected);
    }
    for (const e of all.filter((_, i) => i % 3 === 0)) t.delete(e);
    expect(t.size).toBe(1000 - 334);
    for (let h = 0; h < 37; h++) {
      const expected = all.filter((e, i) => e.hash === h && i % 3 !== 0).map((e) => e.name).reverse();
      expect(chainNames(t, h)).toEqual(expected);
    }
    t.clear();
    expect(t.size).toBe(0);
    for (let h = 0; h < 37; h++) expect(t.chain(h)).toBeUndefined();
  });
});
