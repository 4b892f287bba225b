// Merging the points' findings into incidents is linear: counted comparisons (never a timer) on
// tens of thousands of findings stay a small multiple of the findings, and on a set where the old
// all-pairs rule applies unambiguously (one view per point and key) the groups are the same.
import { describe, expect, it } from 'vitest';
import { groupViews, type MergeStats, type ViewKey } from '../../src/correlate/merge-views.js';

const SLACK = 1_000_000;
const T0 = 1_795_000_000_000_000;

/** The rule as the all-pairs loop applied it (the reference; quadratic). */
function allPairs(views: readonly ViewKey[], slack: number, stats: MergeStats): number[][] {
  const parent = views.map((_, i) => i);
  const pointsOf = views.map((v) => new Set([v.point]));
  const find = (x: number): number => (parent[x] === x ? x : (parent[x] = find(parent[x]!)));
  const unite = (x: number, y: number): void => {
    const rx = find(x);
    const ry = find(y);
    if (rx === ry) return;
    for (const p of pointsOf[ry]!) if (pointsOf[rx]!.has(p)) return;
    for (const p of pointsOf[ry]!) pointsOf[rx]!.add(p);
    parent[ry] = rx;
  };
  for (const byPacket of [true, false]) {
    for (let x = 0; x < views.length; x++) for (let y = x + 1; y < views.length; y++) {
      const vx = views[x]!;
      const vy = views[y]!;
      stats.comparisons++;
      if (vx.point === vy.point || vx.kind !== vy.kind) continue;
      if (byPacket) {
        if (vx.sharedJourneys.some((j) => vy.sharedJourneys.includes(j))) unite(x, y);
      } else if (vx.hosts !== undefined && vx.hosts === vy.hosts && vx.start <= vy.end + slack && vy.start <= vx.end + slack) unite(x, y);
    }
  }
  const groups = new Map<number, number[]>();
  views.forEach((_, i) => {
    const r = find(i);
    groups.set(r, [...(groups.get(r) ?? []), i]);
  });
  return [...groups.values()];
}

const canonical = (groups: number[][]): string[] => groups.map((g) => [...g].sort((a, b) => a - b).join(',')).sort();

/**
 * `incidents` incidents seen at `points` points each: every second one by a shared packet (a
 * journey), the others only by their hosts and time (no packet matched, e.g. a snaplen cut), in
 * the order a per-point report lists them (point by point).
 */
function fleet(incidents: number, points: number): ViewKey[] {
  const views: ViewKey[] = [];
  for (let p = 0; p < points; p++) {
    for (let i = 0; i < incidents; i++) {
      const start = T0 + i * 3_000_000 + p * 20_000; // a few ms apart between points, 3 s apart between incidents
      views.push({
        point: p,
        kind: i % 3 === 0 ? 'dns.same_port_reply_drop' : i % 3 === 1 ? 'dns.aaaa_unanswered' : 'path.pmtud_blackhole',
        sharedJourneys: i % 2 === 0 ? [2 * i, 2 * i + 1] : [],
        hosts: `2001:db8:1::${(i % 50).toString(16)} 2001:db8:2::53`,
        start,
        end: start + 2_000_000,
      });
    }
  }
  return views;
}

describe('correlate: merging the views of the points', () => {
  it('groups the same incidents as the all-pairs rule, with far fewer comparisons', () => {
    const views = fleet(300, 3);
    const linear: MergeStats = { comparisons: 0 };
    const reference: MergeStats = { comparisons: 0 };
    const got = groupViews(views, SLACK, linear);
    expect(canonical(got)).toEqual(canonical(allPairs(views, SLACK, reference)));
    expect(got).toHaveLength(300); // each incident once, with its three views
    for (const g of got) expect(new Set(g.map((i) => views[i]!.point)).size).toBe(3);
    expect(reference.comparisons).toBe(900 * 899); // two passes over every pair
    expect(linear.comparisons).toBeLessThan(reference.comparisons / 100);
  });

  it('stays linear on tens of thousands of findings: comparisons per view are bounded by the points', () => {
    for (const incidents of [5_000, 20_000]) {
      const views = fleet(incidents, 3);
      const stats: MergeStats = { comparisons: 0 };
      const groups = groupViews(views, SLACK, stats);
      expect(groups).toHaveLength(incidents);
      // per view: per shared journey, at most one representative per other point; and one per other point by hosts
      expect(stats.comparisons).toBeLessThanOrEqual(views.length * (2 + 1) * 2);
      expect(stats.comparisons).toBeGreaterThan(views.length); // it did compare
    }
  });

  it('keeps at most one view per point in an incident, and unrelated hosts or times apart', () => {
    const v = (point: number, start: number, hosts: string, sharedJourneys: number[] = []): ViewKey => ({ point, kind: 'dns.aaaa_unanswered', sharedJourneys, hosts, start: T0 + start, end: T0 + start + 1_000_000 });
    const views = [
      v(0, 0, 'a b', [7]),
      v(0, 100, 'a b', [7]), // a second finding at point 0 on the same packet: its own incident
      v(1, 50, 'a b', [7]),
      v(1, 10_000_000, 'a b'), // the same hosts, 10 s later: another incident
      v(0, 10_500_000, 'a b'),
      v(1, 0, 'c d'), // other hosts
    ];
    const stats: MergeStats = { comparisons: 0 };
    expect(canonical(groupViews(views, SLACK, stats))).toEqual(canonical(allPairs(views, SLACK, { comparisons: 0 })));
    expect(canonical(groupViews(views, SLACK))).toEqual(['0,2', '1', '3,4', '5']);
  });
});
