// What the HTML timeline draws: which lanes and marks get drawn one by one, and what is only
// counted. The report's timeline is already bounded by the collector; this bounds it again so a
// hostile or huge report still renders into a small file that opens fast.
import { compareIncidents } from '../../detect/index.js';
import type { Finding, Incident, Report, TimelineLane, TimelineMark } from '../schema.js';

export interface HtmlLimits {
  /** Finding cards drawn; the rest are counted ("N more findings: see the JSON report"). */
  readonly maxFindings: number;
  /** Evidence rows per finding card. */
  readonly maxEvidenceRows: number;
  /** Occurrence rows per incident card; the rest are counted (the JSON report lists them all). */
  readonly maxOccurrenceRows: number;
  /** Frames per incident the page highlights on the timeline. */
  readonly maxHighlightFrames: number;
  readonly maxLanes: number;
  readonly maxMarksPerLane: number;
  /** Marks drawn over all lanes (evidence marks first); the rest are aggregated per lane. */
  readonly maxMarks: number;
  /** Overview strip bars; finer overviews are summed into this many. */
  readonly overviewBuckets: number;
  /** Bins of a lane's aggregated (not drawn) marks, over the whole capture. */
  readonly aggregateBins: number;
}

export const DEFAULT_HTML_LIMITS: HtmlLimits = {
  maxFindings: 300,
  maxEvidenceRows: 40,
  maxOccurrenceRows: 200,
  maxHighlightFrames: 5000,
  maxLanes: 150,
  maxMarksPerLane: 400,
  maxMarks: 6000,
  overviewBuckets: 600,
  aggregateBins: 200,
};

export interface AggregateBin {
  /** Absolute µs: first and last mark time in the bin (the end of a bar counts). */
  readonly t0: number;
  readonly t1: number;
  readonly count: number;
}

export interface LanePlan {
  readonly lane: TimelineLane;
  /** Drawn one by one, in time order. */
  readonly marks: readonly TimelineMark[];
  /** Marks this renderer did not draw, binned over [start, end]: each bin spans the marks in it. */
  readonly aggregated: readonly AggregateBin[];
  /** Marks not drawn: aggregated here plus those the collector already left out. */
  readonly notShown: number;
}

export interface TimelinePlan {
  /** Absolute µs of relative time 0; every time in the page is relative to it. */
  readonly start: number;
  readonly end: number;
  readonly lanes: readonly LanePlan[];
  readonly lanesNotShown: number;
  /** Packets of flows beyond the collector's lane bound: in the overview, in no lane. */
  readonly packetsWithoutLane: number;
  readonly overview: { readonly origin: number; readonly bucketMicros: number; readonly packets: readonly number[] };
}

/** Mark types that are routine traffic: the first to be aggregated when a lane is over its cap. */
const ROUTINE = new Set(['tcp-data', 'tcp-ack', 'dns-answer']);

export const severityOrder = (f: Finding): number => (f.severity === 'error' ? 0 : f.severity === 'warning' ? 1 : 2);

/** The report's order: severity, then impact (clients, occurrences, delay), then time and id. */
export function sortFindings(findings: readonly Incident[]): Incident[] {
  return [...findings].sort(compareIncidents);
}

/** Up to n items spread evenly over the array (first and last kept). */
function spread<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  if (n <= 0) return [];
  if (n === 1) return [items[0]];
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(items[Math.round((i * (items.length - 1)) / (n - 1))]);
  return out;
}

export function planTimeline(report: Report, limits: HtmlLimits = DEFAULT_HTML_LIMITS): TimelinePlan {
  const { timeline, capture, findings } = report;
  const evidenceFrames = new Set<number>();
  for (const f of findings) for (const o of f.occurrences) for (const e of o.evidence) evidenceFrames.add(e.frame);
  const isEvidence = (m: TimelineMark): boolean => evidenceFrames.has(m.frame) || m.frames.some((x) => evidenceFrames.has(x));

  // Lanes tied to a finding first, then the others, each group in the report's order.
  const indexed = timeline.lanes.map((lane, i) => ({ lane, i }));
  const chosen = [
    ...indexed.filter((x) => x.lane.findingIds.length > 0),
    ...indexed.filter((x) => x.lane.findingIds.length === 0),
  ]
    .slice(0, limits.maxLanes)
    .sort((a, b) => a.i - b.i);
  const lanesNotShown = timeline.lanes.length - chosen.length + timeline.omittedLanes;

  // The time range: everything the page can show.
  const starts: number[] = [];
  const ends: number[] = [];
  for (const t of [timeline.start, capture.firstTime]) if (t !== null) starts.push(t);
  for (const t of [timeline.end, capture.lastTime]) if (t !== null) ends.push(t);
  for (const f of findings) {
    starts.push(f.start);
    ends.push(f.end);
  }
  for (const { lane } of chosen) {
    for (const m of lane.marks) {
      starts.push(m.t0);
      ends.push(m.t1 ?? m.t0);
    }
  }
  let start = starts.length ? starts.reduce((a, b) => Math.min(a, b)) : 0;
  let end = ends.length ? ends.reduce((a, b) => Math.max(a, b)) : start;
  if (!(end > start)) end = start + 1000;
  if (!Number.isFinite(start) || !Number.isFinite(end)) {
    start = 0;
    end = 1000;
  }

  const perLane = Math.min(limits.maxMarksPerLane, Math.max(30, Math.floor(limits.maxMarks / Math.max(1, chosen.length))));
  const bins = Math.max(1, limits.aggregateBins);
  const lanes = chosen.map(({ lane }): LanePlan => {
    const evidence: TimelineMark[] = [];
    const notable: TimelineMark[] = [];
    const routine: TimelineMark[] = [];
    for (const m of lane.marks) (isEvidence(m) ? evidence : ROUTINE.has(m.type) ? routine : notable).push(m);
    const keepEvidence = spread(evidence, perLane);
    const keepNotable = spread(notable, perLane - keepEvidence.length);
    const keepRoutine = spread(routine, perLane - keepEvidence.length - keepNotable.length);
    const kept = new Set([...keepEvidence, ...keepNotable, ...keepRoutine]);
    const marks = lane.marks.filter((m) => kept.has(m)).sort((a, b) => a.t0 - b.t0);
    const dropped = lane.marks.length - marks.length;
    const byBin = new Map<number, { t0: number; t1: number; count: number }>();
    for (const m of lane.marks) {
      if (kept.has(m)) continue;
      const i = Math.min(bins - 1, Math.max(0, Math.floor(((m.t0 - start) / (end - start)) * bins)));
      const b = byBin.get(i);
      const t1 = Math.max(m.t0, m.t1 ?? m.t0);
      if (b) {
        b.t0 = Math.min(b.t0, m.t0);
        b.t1 = Math.max(b.t1, t1);
        b.count++;
      }
      else byBin.set(i, { t0: m.t0, t1, count: 1 });
    }
    const aggregated = [...byBin.entries()].sort(([a], [b]) => a - b).map(([, b]) => b);
    return { lane, marks, aggregated, notShown: dropped + Math.max(0, lane.omittedMarks) };
  });

  // Overview: sum neighbouring buckets until there are at most overviewBuckets.
  const packets = timeline.overview.packets;
  const factor = Math.max(1, Math.ceil(packets.length / Math.max(1, limits.overviewBuckets)));
  const summed: number[] = [];
  for (let i = 0; i < packets.length; i += factor) {
    let s = 0;
    for (let j = i; j < Math.min(packets.length, i + factor); j++) s += packets[j];
    summed.push(s);
  }
  return {
    start,
    end,
    lanes,
    lanesNotShown,
    // Read loosely: the field is newer than some reports this page may be asked to render.
    packetsWithoutLane: (timeline as { packetsWithoutLane?: number }).packetsWithoutLane ?? 0,
    overview: { origin: timeline.start ?? start, bucketMicros: timeline.overview.bucketMicros * factor, packets: summed },
  };
}
