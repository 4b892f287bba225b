// correlate/merge-views.ts: which of the points' findings are one incident. A view is one
// point's occurrence; two views are one incident when they are the same kind and share an
// evidence packet (a journey seen at several points), or, failing that, concern the same two
// hosts at overlapping times. An incident holds at most one view per point: two findings at one
// point are two incidents there.
//
// Linear in views for a fixed number of points: views are indexed by key (kind + journey, kind +
// hosts), and a view is compared with one representative per other point of its key, never with
// every other view. With tens of thousands of findings per point the all-pairs loop this replaces
// made billions of comparisons.
import type { Micros } from '../core/index.js';

export interface ViewKey {
  readonly point: number;
  readonly kind: string;
  /** Journeys of its evidence packets that were seen at more than one point. */
  readonly sharedJourneys: readonly number[];
  /** `client server` sorted, or undefined when the finding names neither. */
  readonly hosts: string | undefined;
  /** Aligned to the reference clock. */
  readonly start: Micros;
  readonly end: Micros;
}

/** Counts the view-to-view comparisons made: what the test bounds (a count, not a timer). */
export interface MergeStats {
  comparisons: number;
}

/**
 * Groups of view indices (each group ascending, groups by their first view). Within one key, a
 * view joins the group of each other point's representative: for a shared packet the first view
 * of that point holding it, for hosts and time the view of that point reaching latest so far (the
 * one most likely to overlap, as views arrive by start time).
 */
export function groupViews(views: readonly ViewKey[], slack: Micros, stats?: MergeStats): number[][] {
  const parent = views.map((_, i) => i);
  const pointsOf = views.map((v) => new Set([v.point]));
  const find = (x: number): number => {
    let r = x;
    while (parent[r] !== r) r = parent[r]!;
    while (parent[x] !== r) {
      const next = parent[x]!;
      parent[x] = r;
      x = next;
    }
    return r;
  };
  const unite = (x: number, y: number): void => {
    const rx = find(x);
    const ry = find(y);
    if (rx === ry) return;
    for (const p of pointsOf[ry]!) if (pointsOf[rx]!.has(p)) return;
    for (const p of pointsOf[ry]!) pointsOf[rx]!.add(p);
    pointsOf[ry]!.clear();
    parent[ry] = rx;
  };
  let comparisons = 0;

  // 1. a shared evidence packet: per kind + journey, the first view of each point holding it.
  const byPacket = new Map<string, Map<number, number>>();
  views.forEach((v, i) => {
    for (const j of v.sharedJourneys) {
      const key = `${v.kind}\u0000${j}`;
      let reps = byPacket.get(key);
      if (reps === undefined) byPacket.set(key, (reps = new Map()));
      for (const [point, r] of reps) {
        if (point === v.point) continue;
        comparisons++;
        unite(r, i);
      }
      if (!reps.has(v.point)) reps.set(v.point, i);
    }
  });

  // 2. the same two hosts at overlapping times: per kind + hosts, in start order, the view of each
  //    other point that reaches latest so far.
  const byHosts = new Map<string, number[]>();
  views.forEach((v, i) => {
    if (v.hosts === undefined) return;
    const key = `${v.kind}\u0000${v.hosts}`;
    const list = byHosts.get(key);
    if (list === undefined) byHosts.set(key, [i]);
    else list.push(i);
  });
  for (const list of byHosts.values()) {
    list.sort((a, b) => views[a]!.start - views[b]!.start || a - b);
    const latest = new Map<number, number>();
    for (const i of list) {
      const v = views[i]!;
      for (const [point, r] of latest) {
        if (point === v.point) continue;
        comparisons++;
        // r started no later than v, so they overlap when r reaches v's start (within the slack).
        if (views[r]!.end + slack >= v.start) unite(r, i);
      }
      const mine = latest.get(v.point);
      if (mine === undefined || views[mine]!.end < v.end) latest.set(v.point, i);
    }
  }
  if (stats !== undefined) stats.comparisons += comparisons;

  const groups = new Map<number, number[]>();
  for (let i = 0; i < views.length; i++) {
    const r = find(i);
    const g = groups.get(r);
    if (g === undefined) groups.set(r, [i]);
    else g.push(i);
  }
  return [...groups.values()];
}
