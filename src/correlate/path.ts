// correlate/path.ts: from packets matched between points to where packets travel and vanish.
// A journey is one packet's sightings at every point that saw it. The points a flow's packets pass,
// in order, come from the journeys (which point saw each packet first); a packet one point saw and
// the next point on its way did not — while that point was capturing — was lost in between.
import type { Micros } from '../core/index.js';
import type { PointPacket } from './signature.js';

/** A point's packets and how its clock maps to the reference; undefined alignment: not aligned. */
export interface AlignedPoint {
  readonly label: string;
  readonly packets: readonly PointPacket[];
  readonly align: ((t: Micros) => number) | undefined;
  /** Packets the point recorded going in and out (a router's `-i any`), and the flow directions it forwards. */
  readonly forwarded: ReadonlySet<PointPacket>;
  readonly forwards: ReadonlySet<string>;
  /** First and last packet on the reference clock (aligned points only). */
  readonly first: number;
  readonly last: number;
}

export interface Journey {
  /** Sightings, earliest (reference clock) first; at most one per point. */
  readonly at: readonly PointPacket[];
}

export const directionKey = (p: PointPacket): string => `${p.kind === 'dns' ? 'udp' : p.kind} ${p.src} → ${p.dst}`;

/**
 * Direction keys (`proto src → dst`) made once per direction and shared, for what keeps one per
 * matched packet (the clock samples): a key per packet was a new string each time.
 */
export class DirectionKeys {
  readonly #keys = new Map<string, Map<string, Map<string, string>>>(); // proto → src → dst → key
  #size = 0;

  /** Distinct directions made so far. */
  get size(): number {
    return this.#size;
  }

  of(p: PointPacket): string {
    return this.#key(p.kind === 'dns' ? 'udp' : p.kind, p.src, p.dst);
  }

  reverseOf(p: PointPacket): string {
    return this.#key(p.kind === 'dns' ? 'udp' : p.kind, p.dst, p.src);
  }

  #key(proto: string, src: string, dst: string): string {
    // Keyed by existing strings: a lookup allocates nothing.
    let bySrc = this.#keys.get(proto);
    if (bySrc === undefined) this.#keys.set(proto, (bySrc = new Map()));
    let byDst = bySrc.get(src);
    if (byDst === undefined) bySrc.set(src, (byDst = new Map()));
    let key = byDst.get(dst);
    if (key === undefined) {
      key = `${proto} ${src} → ${dst}`;
      byDst.set(dst, key);
      this.#size++;
    }
    return key;
  }
}
const reverseKey = (p: PointPacket): string => `${p.kind === 'dns' ? 'udp' : p.kind} ${p.dst} → ${p.src}`;

/** Union–find over global packet ids: matched pairs join journeys. */
export class JourneyBuilder {
  readonly #parent: Int32Array;
  readonly #base: number[];

  constructor(readonly points: readonly AlignedPoint[]) {
    this.#base = [];
    let n = 0;
    for (const p of points) {
      this.#base.push(n);
      n += p.packets.length;
    }
    this.#parent = new Int32Array(n);
    for (let i = 0; i < n; i++) this.#parent[i] = i;
  }

  id(point: number, index: number): number {
    return this.#base[point]! + index;
  }

  #find(x: number): number {
    while (this.#parent[x] !== x) {
      this.#parent[x] = this.#parent[this.#parent[x]!]!;
      x = this.#parent[x]!;
    }
    return x;
  }

  join(pa: number, ia: number, pb: number, ib: number): void {
    const a = this.#find(this.id(pa, ia));
    const b = this.#find(this.id(pb, ib));
    if (a !== b) this.#parent[Math.max(a, b)] = Math.min(a, b);
  }

  /** Every packet's journey (singletons included), and a map from global id to its journey. */
  build(): { journeys: Journey[]; journeyOf: Int32Array } {
    const byRoot = new Map<number, PointPacket[]>();
    for (let p = 0; p < this.points.length; p++) {
      const pkts = this.points[p]!.packets;
      for (let i = 0; i < pkts.length; i++) {
        const r = this.#find(this.id(p, i));
        const list = byRoot.get(r);
        if (list === undefined) byRoot.set(r, [pkts[i]!]);
        else list.push(pkts[i]!);
      }
    }
    const journeyOf = new Int32Array(this.#parent.length);
    const journeys: Journey[] = [];
    const rootIndex = new Map<number, number>();
    for (const [root, at] of byRoot) {
      at.sort((x, y) => this.alignedTime(x) - this.alignedTime(y) || x.point - y.point);
      rootIndex.set(root, journeys.length);
      journeys.push({ at });
    }
    for (let g = 0; g < journeyOf.length; g++) journeyOf[g] = rootIndex.get(this.#find(g))!;
    return { journeys, journeyOf };
  }

  alignedTime(p: PointPacket): number {
    const align = this.points[p.point]!.align;
    return align === undefined ? p.time : align(p.time);
  }
}

/**
 * The order of points along each flow direction: a point is placed after every point that saw the
 * flow's packets before it more often than after it (Copeland order over the journeys).
 */
export function flowOrders(journeys: readonly Journey[], pointCount: number): Map<string, { order: number[]; packets: number }> {
  const before = new Map<string, { wins: Int32Array; packets: number }>();
  for (const j of journeys) {
    if (j.at.length < 2) continue;
    const key = directionKey(j.at[0]!);
    let e = before.get(key);
    if (e === undefined) before.set(key, (e = { wins: new Int32Array(pointCount * pointCount), packets: 0 }));
    e.packets++;
    for (let x = 0; x < j.at.length; x++) for (let y = x + 1; y < j.at.length; y++) e.wins[j.at[x]!.point * pointCount + j.at[y]!.point]!++;
  }
  const out = new Map<string, { order: number[]; packets: number }>();
  for (const [key, { wins, packets }] of before) {
    const seen = new Set<number>();
    for (let a = 0; a < pointCount; a++) for (let b = 0; b < pointCount; b++) if (wins[a * pointCount + b]! > 0) {
      seen.add(a);
      seen.add(b);
    }
    const score = (p: number): number => {
      let s = 0;
      for (const q of seen) if (q !== p) s += Math.sign(wins[p * pointCount + q]! - wins[q * pointCount + p]!);
      return s;
    };
    out.set(key, { order: [...seen].sort((a, b) => score(b) - score(a) || a - b), packets });
  }
  return out;
}

/**
 * The points a packet passes, in order: its own direction's, else the reverse direction's
 * reversed, else (an ICMP error) the quoted packet's direction reversed — the error travels back
 * towards the quoted packet's sender.
 */
export function orderFor(p: PointPacket, orders: ReadonlyMap<string, { order: number[] }>): number[] | undefined {
  const own = orders.get(directionKey(p));
  if (own !== undefined) return own.order;
  const rev = orders.get(reverseKey(p));
  if (rev !== undefined) return [...rev.order].reverse();
  if (p.quotedSrc !== undefined && p.quotedDst !== undefined) {
    for (const proto of ['tcp', 'udp']) {
      const q = orders.get(`${proto} ${p.quotedSrc} → ${p.quotedDst}`);
      if (q !== undefined) return [...q.order].reverse();
    }
  }
  return undefined;
}

export type NotSeen = 'lost-before' | 'outside-capture' | 'not-on-path' | 'not-reached';

export interface JourneyVerdict {
  /** The last point on the way that saw it, and the next one that covered the time and did not. */
  readonly lostBetween: { from: number; to: number } | undefined;
  /**
   * The last point that saw it is a router capturing in and out (`-i any`) that forwards this flow,
   * and recorded this packet only once: it came in and never left — dropped inside that point.
   */
  readonly droppedInside: boolean;
  /** Points that did not see it, and why. */
  readonly notSeen: ReadonlyMap<number, NotSeen>;
}

/**
 * What the points that did not see a journey's packet say. A point after the last one that saw it
 * and covering that moment (plus maxDelay for it to arrive) should have: the packet was lost on
 * the stretch before it. A point outside its capture span says nothing; one off the flow's path
 * neither.
 */
export function judgeJourney(j: Journey, b: JourneyBuilder, orders: ReadonlyMap<string, { order: number[] }>, maxDelay: Micros): JourneyVerdict {
  const points = b.points;
  const notSeen = new Map<number, NotSeen>();
  const seen = new Set(j.at.map((s) => s.point));
  const order = orderFor(j.at[0]!, orders);
  const t = b.alignedTime(j.at[j.at.length - 1]!);
  let lostBetween: { from: number; to: number } | undefined;
  if (order === undefined) {
    for (let p = 0; p < points.length; p++) if (!seen.has(p)) notSeen.set(p, 'not-on-path');
    return { lostBetween, notSeen, droppedInside: false };
  }
  let lastSeenPos = -1;
  for (let k = 0; k < order.length; k++) if (seen.has(order[k]!)) lastSeenPos = k;
  if (lastSeenPos < 0) {
    for (let p = 0; p < points.length; p++) if (!seen.has(p)) notSeen.set(p, 'not-on-path');
    return { lostBetween, notSeen, droppedInside: false };
  }
  for (let p = 0; p < points.length; p++) {
    if (seen.has(p)) continue;
    const k = order.indexOf(p);
    const pt = points[p]!;
    if (k < 0 || pt.align === undefined) notSeen.set(p, 'not-on-path');
    else if (t < pt.first || t + maxDelay > pt.last) notSeen.set(p, 'outside-capture');
    else if (k < lastSeenPos) notSeen.set(p, 'not-on-path'); // skipped a point it passed before: another route there
    else if (lostBetween === undefined) {
      lostBetween = { from: order[lastSeenPos]!, to: p };
      notSeen.set(p, 'lost-before');
    } else notSeen.set(p, 'not-reached');
  }
  // The next point on the way must be the nearest one: a point further on that also covered the time
  // is 'not-reached', the nearest 'lost-before'.
  if (lostBetween !== undefined) {
    for (let k = lastSeenPos + 1; k < order.length; k++) {
      const p = order[k]!;
      if (notSeen.get(p) === 'lost-before' || notSeen.get(p) === 'not-reached') {
        if (p !== lostBetween.to) {
          notSeen.set(lostBetween.to, 'not-reached');
          notSeen.set(p, 'lost-before');
          lostBetween = { from: lostBetween.from, to: p };
        }
        break;
      }
    }
  }
  const last = lostBetween === undefined ? undefined : j.at.find((s) => s.point === lostBetween!.from);
  const at = last === undefined ? undefined : points[last.point]!;
  const droppedInside = last !== undefined && at !== undefined && at.forwards.has(directionKey(last)) && !at.forwarded.has(last);
  return { lostBetween, notSeen, droppedInside };
}
