// correlate/clock.ts: how far point B's clock is from point A's, from packets both saw.
//
// A packet travelling A→B arrives at B after a one-way delay δ ≥ 0, so on the two clocks
// tB − tA = θ + δ: every A→B packet bounds the offset θ from above. A packet travelling B→A gives
// tB − tA = θ − δ': a bound from below. With traffic both ways, θ lies between the largest
// lower bound and the smallest upper bound (the minimum one-way delay in each direction); the
// estimate is the middle and the uncertainty half the interval (NTP's reasoning, per packet).
// Which way a flow travels is not known beforehand: of a flow's two directions, the one with the
// larger tB − tA is A→B. A drifting clock (B's oscillator a few ppm off) tilts all of this
// over time; the drift is a robust slope (Theil–Sen, per direction) of tB − tA against tA.
import type { Micros } from '../core/index.js';

export interface Sample {
  readonly tA: Micros;
  readonly d: Micros;
  /** The flow direction as A saw it (`proto src dst`) and its reverse. */
  readonly dir: string;
  readonly rev: string;
  /**
   * Hop limit at A minus at B: positive, the packet crossed routers from A to B; negative, from B
   * to A; 0, no router between (or a NAT that resets it). A direction known without any clock.
   */
  readonly hops: number;
}

export interface ClockEstimate {
  /** θ: B's clock minus A's at `at`. */
  readonly offset: number;
  /** Half-width of the interval θ is known to lie in; null when traffic went one way only. */
  readonly uncertainty: number | null;
  /** B's clock rate minus A's (dimensionless; 1e-6 = 1 ppm). */
  readonly drift: number;
  /** A's time the offset is given for (drift is measured from here). */
  readonly at: Micros;
  readonly samples: number;
  /** 'both-ways' (bounded interval), 'one-way' (offset includes an unknown one-way delay). */
  readonly basis: 'both-ways' | 'one-way';
}

/** Drift is only fitted over at least this much time: below, delay jitter dominates the slope. */
const MIN_DRIFT_SPAN: Micros = 1_000_000;
/** Points per direction used for the slope (evenly spread): Theil–Sen is quadratic in them. */
const SLOPE_POINTS = 64;

const median = (xs: number[]): number => {
  const s = xs.slice().sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function spread<T>(xs: readonly T[], n: number): T[] {
  if (xs.length <= n) return xs.slice();
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(xs[Math.floor((i * (xs.length - 1)) / (n - 1))]!);
  return out;
}

/** Theil–Sen: the median of pairwise slopes within each direction (delays differ between directions). */
function driftOf(groups: ReadonlyMap<string, Sample[]>): number {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const g of groups.values()) for (const s of g) {
    first = Math.min(first, s.tA);
    last = Math.max(last, s.tA);
  }
  if (last - first < MIN_DRIFT_SPAN) return 0;
  const minGap = (last - first) / 4;
  const slopes: number[] = [];
  for (const g of groups.values()) {
    const pts = spread([...g].sort((x, y) => x.tA - y.tA), SLOPE_POINTS);
    for (let i = 0; i < pts.length; i++) for (let j = i + 1; j < pts.length; j++) {
      const dt = pts[j]!.tA - pts[i]!.tA;
      if (dt >= minGap) slopes.push((pts[j]!.d - pts[i]!.d) / dt);
    }
  }
  return slopes.length >= 3 ? median(slopes) : 0;
}

/**
 * Which way a direction's packets went: +1 A→B, −1 B→A, 0 unknown. The hop limit says it when
 * routers sit between the points; otherwise, of a flow's two directions, the one with the larger
 * tB − tA is A→B.
 */
function wayOf(g: readonly Sample[], groups: ReadonlyMap<string, Sample[]>, detrended: (s: Sample) => number): number {
  const hops = median(g.map((s) => s.hops));
  if (hops !== 0) return Math.sign(hops);
  const back = groups.get(g[0]!.rev);
  if (back === undefined || back === g) return 0;
  return Math.sign(median(g.map(detrended)) - median(back.map(detrended)));
}

/** θ ≥ lower (from B→A packets) and θ ≤ upper (from A→B packets), after removing the drift. */
function bounds(groups: ReadonlyMap<string, Sample[]>, drift: number, at: Micros): { lower: number; upper: number } {
  const detrended = (s: Sample): number => s.d - drift * (s.tA - at);
  let lower = Number.NEGATIVE_INFINITY;
  let upper = Number.POSITIVE_INFINITY;
  for (const g of groups.values()) {
    const way = wayOf(g, groups, detrended);
    if (way > 0) upper = Math.min(upper, ...g.map(detrended));
    else if (way < 0) lower = Math.max(lower, ...g.map(detrended));
  }
  return { lower, upper };
}

/** The offset of B against A from samples of packets both saw; undefined without samples. */
export function estimateClock(samples: readonly Sample[]): ClockEstimate | undefined {
  if (samples.length === 0) return undefined;
  const groups = new Map<string, Sample[]>();
  let at = Number.POSITIVE_INFINITY;
  for (const s of samples) {
    at = Math.min(at, s.tA);
    const g = groups.get(s.dir);
    if (g === undefined) groups.set(s.dir, [s]);
    else g.push(s);
  }
  // A drift is claimed only when a constant offset contradicts the packets (the smallest A→B
  // delay would have to be negative) and the fitted slope removes the contradiction: over a few
  // seconds, delay jitter alone fits a slope of a few ppm, and that is not a drift.
  let drift = 0;
  let { lower, upper } = bounds(groups, 0, at);
  if (Number.isFinite(lower) && Number.isFinite(upper) && lower > upper) {
    const fitted = driftOf(groups);
    const b = bounds(groups, fitted, at);
    if (fitted !== 0 && b.lower <= b.upper) ({ drift, lower, upper } = { drift: fitted, ...b });
  }
  if (Number.isFinite(lower) && Number.isFinite(upper)) {
    return { offset: (lower + upper) / 2, uncertainty: Math.abs(upper - lower) / 2, drift, at, samples: samples.length, basis: 'both-ways' };
  }
  // One way only: one bound, and the offset is taken at it (a one-way delay of zero); how much
  // closer the truth is stays unknown, so no interval is claimed. Without a known direction, the median.
  const one = Number.isFinite(upper) ? upper : Number.isFinite(lower) ? lower : median(samples.map((s) => s.d));
  return { offset: one, uncertainty: null, drift, at, samples: samples.length, basis: 'one-way' };
}

/** B's clock time → A's clock, under the estimate. */
export const toA = (e: ClockEstimate, tB: Micros): number => {
  const approx = tB - e.offset;
  return approx - e.drift * (approx - e.at);
};

/** The expected tB − tA for a packet seen at A at tA (zero delay). */
export const expectedD = (e: ClockEstimate, tA: Micros): number => e.offset + e.drift * (tA - e.at);
