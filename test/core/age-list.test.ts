// AgeList against a plain array kept in the same order, over a seeded series of adds, touches and
// deletes; and the hashing helpers against FNV-1a's published test values.
import { describe, expect, it } from 'vitest';
import { AgeList, FNV_OFFSET, mixNumber, mixString, smallHash } from '../../src/core/index.js';

interface E { id: number; older: E | undefined; newer: E | undefined }
const entry = (id: number): E => ({ id, older: undefined, newer: undefined });

describe('AgeList', () => {
  it('keeps the order of adds and touches, as an array moved by hand does', () => {
    const list = new AgeList<E>();
    const model: E[] = [];
    let seed = 17;
    const rand = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
    for (let step = 0; step < 5000; step++) {
      const op = rand(3);
      if (op === 0 || model.length === 0) {
        const e = entry(step);
        list.add(e);
        model.push(e);
      } else if (op === 1) {
        const e = model[rand(model.length)]!;
        list.touch(e);
        model.splice(model.indexOf(e), 1);
        model.push(e);
      } else {
        const e = model[rand(model.length)]!;
        list.delete(e);
        model.splice(model.indexOf(e), 1);
        expect(e.older).toBeUndefined();
        expect(e.newer).toBeUndefined();
      }
      expect(list.size).toBe(model.length);
      expect(list.oldest).toBe(model[0]);
      expect(list.newest).toBe(model[model.length - 1]);
    }
    expect(list.toArray().map((e) => e.id)).toEqual(model.map((e) => e.id));
  });
});

describe('FNV-1a helpers', () => {
  it('give the published 32-bit FNV-1a values', () => {
    expect(mixString(FNV_OFFSET, '') >>> 0).toBe(0x811c9dc5);
    expect(mixString(FNV_OFFSET, 'a') >>> 0).toBe(0xe40c292c);
    expect(mixString(FNV_OFFSET, 'foobar') >>> 0).toBe(0xbf9cf968);
  });
  it('mix a number as one code unit would be, and cut to 30 bits', () => {
    expect(mixNumber(FNV_OFFSET, 0x61)).toBe(mixString(FNV_OFFSET, 'a'));
    const h = smallHash(mixString(FNV_OFFSET, 'foobar'));
    expect(h).toBeGreaterThanOrEqual(0);
    expect(h).toBe(0xbf9cf968 & 0x3fffffff);
  });
});
