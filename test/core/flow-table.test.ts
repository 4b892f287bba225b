// FlowTable and EndpointSet: one entry per flow whatever the direction, insertion order kept
// through deletions (expiry walks it, eviction takes its head), bounded endpoint sets.
import { describe, expect, it } from 'vitest';
import { EndpointSet, FlowTable } from '../../src/core/index.js';

const values = <V>(t: FlowTable<V>): V[] => {
  const out: V[] = [];
  for (let n = t.first; n !== undefined; n = n.next) out.push(n.value);
  return out;
};

/** The plain map's key of a flow: its two endpoints in one order whatever the direction. */
const key = (a: string, ap: number, b: string, bp: number): string => (a < b || (a === b && ap <= bp) ? `${a}|${ap}|${b}|${bp}` : `${b}|${bp}|${a}|${ap}`);

/** A linear congruential generator: rnd(n) in [0, n), the state's bits from `shift` up. */
const seededRandom = (seed: number, shift: number): ((n: number) => number) => {
  let state = seed;
  return (n) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> shift) % n;
  };
};

describe('FlowTable', () => {
  it('finds a flow from either direction, and tells ports and addresses apart', () => {
    const t = new FlowTable<string>();
    t.add('2001:db8::1', 40000, '2001:db8::2', 443, 'a');
    expect(t.get('2001:db8::1', 40000, '2001:db8::2', 443)).toBe('a');
    expect(t.get('2001:db8::2', 443, '2001:db8::1', 40000)).toBe('a');
    expect(t.get('2001:db8::1', 443, '2001:db8::2', 40000)).toBeUndefined(); // ports swapped
    expect(t.get('2001:db8::1', 40000, '2001:db8::3', 443)).toBeUndefined();
    t.add('192.0.2.1', 53, '192.0.2.1', 53, 'self'); // same endpoint both ways
    expect(t.get('192.0.2.1', 53, '192.0.2.1', 53)).toBe('self');
    t.add('192.0.2.1', 65535, '192.0.2.9', 32768, 'high ports');
    expect(t.get('192.0.2.9', 32768, '192.0.2.1', 65535)).toBe('high ports');
    expect(t.size).toBe(3);
  });

  it('answers as a plain map would through runs of one flow, misses, deletions and clears (the last-answer cache)', () => {
    // Seeded random operations on a handful of endpoints, so the same flow, absent or present, is
    // asked about many times in a row from both directions.
    const t = new FlowTable<number>();
    const ref = new Map<string, number>();
    const addrs = ['192.0.2.1', '192.0.2.2', '2001:db8::1'];
    const rnd = seededRandom(12345, 0);
    for (let i = 0; i < 20_000; i++) {
      const [a, b] = [addrs[rnd(3)]!, addrs[rnd(3)]!];
      const [ap, bp] = [1 + rnd(3), 1 + rnd(3)];
      const k = key(a, ap, b, bp);
      const op = rnd(10);
      if (op < 6) expect(t.get(a, ap, b, bp)).toBe(ref.get(k));
      else if (op < 8) { if (!ref.has(k)) { t.add(a, ap, b, bp, i); ref.set(k, i); } }
      else if (op < 10 && ref.has(k)) { t.delete(b, bp, a, ap, ref.get(k)!); ref.delete(k); }
      if (rnd(2000) === 0) { t.clear(); ref.clear(); }
    }
    expect(t.size).toBe(ref.size);
  });

  it('replaces the oldest flow as delete() and add() would, in random runs against a plain map (the reused node)', () => {
    const t = new FlowTable<number>();
    const ref = new Map<string, number>(); // insertion order: the first key is the oldest
    const addrs = ['192.0.2.1', '192.0.2.2', '2001:db8::1', '2001:db8::2'];
    const rnd = seededRandom(777, 16);
    let replaced = 0;
    for (let i = 0; i < 20_000; i++) {
      const [a, b] = [addrs[rnd(4)]!, addrs[rnd(4)]!];
      const [ap, bp] = [1 + rnd(4), 1 + rnd(4)];
      const k = key(a, ap, b, bp);
      const op = rnd(10);
      if (op < 5) expect(t.get(b, bp, a, ap)).toBe(ref.get(k));
      else if (op < 8 && !ref.has(k)) {
        if (ref.size >= 12) {
          const [oldestKey, oldestValue] = ref.entries().next().value as [string, number];
          expect(t.replaceOldest(a, ap, b, bp, i)).toBe(oldestValue);
          ref.delete(oldestKey);
          replaced++;
        } else t.add(a, ap, b, bp, i);
        ref.set(k, i);
      } else if (op >= 8 && ref.has(k)) { t.delete(a, ap, b, bp, ref.get(k)!); ref.delete(k); }
      expect(t.oldest()).toBe(ref.values().next().value);
    }
    expect(replaced).toBeGreaterThan(1000);
    expect(values(t)).toEqual([...ref.values()]);
    const empty = new FlowTable<number>();
    expect(empty.replaceOldest('192.0.2.1', 1, '192.0.2.2', 2, 5)).toBeUndefined(); // empty: an add
    expect([empty.size, empty.get('192.0.2.2', 2, '192.0.2.1', 1)]).toEqual([1, 5]);
  });

  it('keeps insertion order through deletions, including the value being walked', () => {
    const t = new FlowTable<number>();
    for (let i = 1; i <= 6; i++) t.add('10.0.0.1', i, '10.0.0.2', 80, i);
    const seen: number[] = [];
    for (let n = t.first; n !== undefined; n = n.next) {
      seen.push(n.value);
      if (n.value % 2 === 0) t.delete('10.0.0.2', 80, '10.0.0.1', n.value, n.value);
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(values(t)).toEqual([1, 3, 5]);
    t.delete('10.0.0.1', 1, '10.0.0.2', 80, 1);
    t.add('10.0.0.1', 1, '10.0.0.2', 80, 7); // a new value for an old flow is the newest
    expect(values(t)).toEqual([3, 5, 7]);
    expect(t.oldest()).toBe(3);
    t.delete('10.0.0.1', 3, '10.0.0.2', 80, 99); // not the value held: kept
    expect(t.size).toBe(3);
    t.clear();
    expect([t.size, t.oldest(), t.get('10.0.0.1', 5, '10.0.0.2', 80)]).toEqual([0, undefined, undefined]);
  });

  it("gives a deleted flow's node to the next flow added, once no walk can stand on it", () => {
    const t = new FlowTable<string>();
    for (const port of [1, 2, 3]) t.add('10.0.0.1', port, '10.0.0.2', 80, `flow ${port}`);
    const second = t.first!.next!;
    // A walk deleting the flow it stands on goes on from there, and the node lets go of the value.
    const seen: string[] = [];
    for (let n = t.first; n !== undefined; n = n.next) {
      seen.push(n.value);
      if (n === second) t.delete('10.0.0.2', 80, '10.0.0.1', 2, 'flow 2');
    }
    expect(seen).toEqual(['flow 1', 'flow 2', 'flow 3']);
    expect([second.value, second.next?.value]).toEqual([undefined, 'flow 3']);
    t.add('10.0.0.3', 4, '10.0.0.2', 80, 'flow 4');
    expect(t.first!.next!.next).toBe(second); // the newest, in the deleted flow's node
    expect(values(t)).toEqual(['flow 1', 'flow 3', 'flow 4']);
    expect([t.get('10.0.0.2', 80, '10.0.0.3', 4), t.get('10.0.0.1', 2, '10.0.0.2', 80)]).toEqual(['flow 4', undefined]);
    // Deleted and not reused yet, a node refers to no other node once another flow was added.
    const oldest = t.first!;
    t.delete('10.0.0.1', 1, '10.0.0.2', 80, 'flow 1');
    t.delete('10.0.0.1', 3, '10.0.0.2', 80, 'flow 3');
    expect(oldest.next?.value).toBe(undefined); // flow 3's node, deleted since
    expect(oldest.next).toBeDefined();
    t.add('10.0.0.3', 5, '10.0.0.2', 80, 'flow 5'); // takes the node of flow 3, the last deleted
    expect(values(t)).toEqual(['flow 4', 'flow 5']);
    expect(oldest.next).toBeUndefined();
  });
});

describe('EndpointSet', () => {
  it('forgets the first endpoint added when full', () => {
    const s = new EndpointSet(3);
    s.add('192.0.2.1', 443);
    s.add('192.0.2.1', 80);
    s.add('192.0.2.1', 443); // already there: not added again
    s.add('2001:db8::1', 443);
    expect([s.has('192.0.2.1', 443), s.has('192.0.2.1', 80), s.has('2001:db8::1', 443), s.has('2001:db8::1', 80)]).toEqual([true, true, true, false]);
    s.add('2001:db8::2', 25);
    expect([s.has('192.0.2.1', 443), s.has('192.0.2.1', 80), s.has('2001:db8::2', 25)]).toEqual([false, true, true]);
    for (let p = 1; p <= 10; p++) s.add('198.51.100.1', p);
    expect([s.has('198.51.100.1', 7), s.has('198.51.100.1', 8), s.has('198.51.100.1', 10), s.has('2001:db8::2', 25)]).toEqual([false, true, true, false]);
  });
});
