// correlate/join.ts: find the same packet at two points. A merge over both points' packets in
// capture-time order with a window of ±maxOffset around each packet, keyed by signature: the
// work and the state held are bounded by the packets inside the window, never all pairs.
import type { Micros } from '../core/index.js';
import { samePayload, type PointPacket } from './signature.js';

/** At most this many candidates per packet (the nearest in time): dup ACKs without timestamps repeat. */
const MAX_CANDIDATES = 8;

/** A packet at A and one at B with the same signature inside the window: maybe the same packet. */
export interface Candidate {
  readonly a: number;
  readonly b: number;
  /** tB − tA on the points' own clocks. */
  readonly d: Micros;
}

/**
 * Candidates for every packet of `a` among the packets of `b` whose time is within ±window of it.
 * Both lists are in capture order, which is time order up to the odd out-of-order frame (the window
 * absorbs it).
 */
export function joinWindowed(a: readonly PointPacket[], b: readonly PointPacket[], window: Micros): Candidate[] {
  const out: Candidate[] = [];
  const inWindow = new Map<number, number[]>(); // signature → indices into b, oldest first
  let lo = 0; // b[lo…hi) are in the map
  let hi = 0;
  for (let i = 0; i < a.length; i++) {
    const pa = a[i]!;
    while (hi < b.length && b[hi]!.time <= pa.time + window) {
      const list = inWindow.get(b[hi]!.sig);
      if (list === undefined) inWindow.set(b[hi]!.sig, [hi]);
      else list.push(hi);
      hi++;
    }
    while (lo < hi && b[lo]!.time < pa.time - window) {
      const list = inWindow.get(b[lo]!.sig)!;
      list.shift();
      if (list.length === 0) inWindow.delete(b[lo]!.sig);
      lo++;
    }
    const list = inWindow.get(pa.sig);
    if (list === undefined) continue;
    const chosen = list.length <= MAX_CANDIDATES ? list : nearest(list, b, pa.time);
    for (const j of chosen) if (samePayload(pa, b[j]!)) out.push({ a: i, b: j, d: b[j]!.time - pa.time });
  }
  return out;
}

function nearest(list: readonly number[], b: readonly PointPacket[], t: Micros): number[] {
  return [...list].sort((x, y) => Math.abs(b[x]!.time - t) - Math.abs(b[y]!.time - t)).slice(0, MAX_CANDIDATES);
}

/**
 * Candidates whose signature occurs once on each side: the ones a clock estimate can trust before
 * the clocks are known (a DNS query asked again with the same id is not one of them).
 */
export function uniqueCandidates(cands: readonly Candidate[]): Candidate[] {
  const perA = new Map<number, number>();
  const perB = new Map<number, number>();
  for (const c of cands) {
    perA.set(c.a, (perA.get(c.a) ?? 0) + 1);
    perB.set(c.b, (perB.get(c.b) ?? 0) + 1);
  }
  return cands.filter((c) => perA.get(c.a) === 1 && perB.get(c.b) === 1);
}

/**
 * One-to-one pairs once the clocks are known: each candidate's delay after alignment is
 * `delayOf(c)`; pairs are taken smallest |delay| first, and none beyond maxDelay, so a query
 * asked again two seconds later is not taken for the first one delayed.
 */
export function pairAligned(cands: readonly Candidate[], delayOf: (c: Candidate) => number, maxDelay: Micros): Candidate[] {
  const scored = cands
    .map((c) => ({ c, delay: Math.abs(delayOf(c)) }))
    .filter((s) => s.delay <= maxDelay)
    .sort((x, y) => x.delay - y.delay || x.c.a - y.c.a || x.c.b - y.c.b);
  const usedA = new Set<number>();
  const usedB = new Set<number>();
  const out: Candidate[] = [];
  for (const { c } of scored) {
    if (usedA.has(c.a) || usedB.has(c.b)) continue;
    usedA.add(c.a);
    usedB.add(c.b);
    out.push(c);
  }
  return out.sort((x, y) => x.a - y.a);
}

/**
 * Candidates for the clock estimate when too few are unique (every DNS query asked again with the
 * same id has two look-alikes): the true offset is where the most candidates agree, so take the
 * densest `width`-wide band of tB − tA and, within it, one candidate per packet on each side.
 */
export function consistentCandidates(cands: readonly Candidate[], width: Micros): Candidate[] {
  if (cands.length === 0) return [];
  const ds = cands.map((c) => c.d).sort((x, y) => x - y);
  let best = 0;
  let bestLo = ds[0]!;
  for (let i = 0, j = 0; i < ds.length; i++) {
    while (ds[i]! - ds[j]! > width) j++;
    if (i - j + 1 > best) {
      best = i - j + 1;
      bestLo = ds[j]!;
    }
  }
  const centre = bestLo + width / 2;
  const inBand = cands.filter((c) => c.d >= bestLo && c.d <= bestLo + width).sort((x, y) => Math.abs(x.d - centre) - Math.abs(y.d - centre));
  const usedA = new Set<number>();
  const usedB = new Set<number>();
  const out: Candidate[] = [];
  for (const c of inBand) {
    if (usedA.has(c.a) || usedB.has(c.b)) continue;
    usedA.add(c.a);
    usedB.add(c.b);
    out.push(c);
  }
  return out;
}
