// Which timeline lanes a report shows, and which findings each lane draws: the join of the lanes the
// collector kept (src/reconstruct/timeline.ts) with the findings. A lane shows a finding when one of
// its marks is an evidence frame, or when it joins the finding's client and server. Lanes are
// indexed by frame and by address pair, so the join costs one probe per evidence frame and one per
// finding, however many lanes and findings there are (a lane-by-finding scan was most of the CPU on
// a capture with 1,400 findings).
import type { Finding } from '../detect/index.js';

/** A finding, or an incident (lanes are then chosen by every occurrence behind it). */
type LaneSubject = Finding & { readonly occurrences?: readonly Finding[] };
import type { Lane, TimelineCollector } from '../reconstruct/index.js';
import type { Timeline, TimelineLane } from './schema.js';

export interface LaneChoiceOptions {
  /** Lanes without findings kept for context (the busiest ones). */
  readonly contextLanes: number;
  /** The lane kind that draws a finding's evidence when no flow lane holds it, by incident kind. */
  readonly laneOf: (kind: string) => TimelineLane['kind'];
}

/** Counts index probes, so a test can show the join stays linear without timing it. */
export interface ProbeCounter {
  probes: number;
}

/** The report's timeline: the lanes that show findings, the busiest others, and evidence lanes. */
/** What the timeline is built from: a collector, or the pieces' collectors merged. */
export type TimelineSource = Pick<TimelineCollector, 'lanes' | 'start' | 'end' | 'overview' | 'packetsWithoutLane'>;

export function buildTimeline(findings: readonly LaneSubject[], collector: TimelineSource, o: LaneChoiceOptions, counter?: ProbeCounter): Timeline {
  const lanes = collector.lanes();
  const lanesOut = chooseLanes(findings, lanes, o, counter);
  return {
    start: collector.start ?? null,
    end: collector.end ?? null,
    overview: collector.overview,
    lanes: lanesOut,
    omittedLanes: Math.max(0, lanes.length - lanesOut.length),
    packetsWithoutLane: collector.packetsWithoutLane,
  };
}

export function chooseLanes(findings: readonly LaneSubject[], lanes: readonly Lane[], o: LaneChoiceOptions, counter: ProbeCounter = { probes: 0 }): TimelineLane[] {
  // Only frames a finding cites are looked up, so only they are indexed: every frame of up to 30 k
  // marks, each with its list, was most of what the report's building allocated.
  const cited = new Set<number>();
  for (const f of findings) for (const o of f.occurrences ?? [f]) for (const e of o.evidence) cited.add(e.frame);
  const byFrame = new Map<number, Lane[]>();
  const byPair = new Map<string, Lane[]>();
  // Indexed loops: this runs once per report, so unoptimised, where for-of makes an iterator and a
  // result object per step.
  for (const lane of lanes) {
    for (let i = 0; i < lane.marks.length; i++) {
      const frames = lane.marks[i]!.frames;
      for (let j = 0; j < frames.length; j++) {
        const fr = frames[j]!;
        if (!cited.has(fr)) continue;
        const list = byFrame.get(fr);
        if (list === undefined) byFrame.set(fr, [lane]);
        else if (list[list.length - 1] !== lane) list.push(lane);
      }
    }
    const key = pairKey(laneAddress(lane.a), laneAddress(lane.b));
    const list = byPair.get(key);
    if (list === undefined) byPair.set(key, [lane]);
    else list.push(lane);
  }

  const chosen = new Map<Lane, string[]>();
  // The finding each lane last took: a lane reached by several frames takes a finding once.
  const lastTaken = new Map<Lane, LaneSubject>();
  const take = (lane: Lane, f: LaneSubject): void => {
    counter.probes++;
    if (lastTaken.get(lane) === f) return;
    lastTaken.set(lane, f);
    const ids = chosen.get(lane);
    if (ids === undefined) chosen.set(lane, [f.id]);
    else ids.push(f.id);
  };
  for (const f of findings) {
    for (const o of f.occurrences ?? [f]) {
      for (const e of o.evidence) {
        counter.probes++;
        for (const lane of byFrame.get(e.frame) ?? NO_LANES) take(lane, f);
      }
      if (o.client === undefined || o.server === undefined) continue;
      counter.probes++;
      for (const lane of byPair.get(pairKey(o.client, o.server)) ?? NO_LANES) take(lane, f);
    }
  }

  const context = lanes
    .filter((l) => !chosen.has(l))
    .sort((a, b) => b.packets - a.packets || (a.id < b.id ? -1 : 1))
    .slice(0, o.contextLanes);
  const out: TimelineLane[] = [];
  for (const lane of [...chosen.keys(), ...context]) {
    out.push({
      id: lane.id,
      kind: lane.kind,
      label: lane.label,
      findingIds: chosen.get(lane) ?? [],
      // Field by field: a collector's mark may build its texts when read (DnsQueryMark).
      marks: lane.marks.map((m) => ({ t0: m.t0, t1: m.t1, type: m.type, frame: m.frame, frames: m.frames.slice(), label: m.label, detail: m.detail, outcome: m.outcome })),
      omittedMarks: lane.omittedMarks,
    });
  }
  // A finding whose flow came after the lane bound still gets a lane, drawn from its evidence.
  const covered = new Set<string>();
  for (const ids of chosen.values()) for (const id of ids) covered.add(id);
  for (const f of findings) {
    if (covered.has(f.id)) continue;
    out.push({
      id: `evidence ${f.id}`,
      kind: o.laneOf(f.kind),
      label: `${f.kind}: ${[f.client, f.server].filter(Boolean).join(' ↔ ') || 'evidence'}`,
      findingIds: [f.id],
      marks: f.evidence.map((e) => ({ t0: e.time, t1: null, type: e.mark, frame: e.frame, frames: [e.frame], label: e.role, detail: e.detail ?? '', outcome: 'evidence' })),
      omittedMarks: 0,
    });
  }
  out.sort((a, b) => (b.findingIds.length > 0 ? 1 : 0) - (a.findingIds.length > 0 ? 1 : 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return out;
}

const NO_LANES: readonly Lane[] = Object.freeze([]);

/** One key for a pair of addresses in either order. */
const pairKey = (a: string, b: string): string => (a < b ? `${a}\n${b}` : `${b}\n${a}`);

/** Lane endpoints are `addr` (DNS) or `addr port` (TCP). */
const laneAddress = (endpoint: string): string => {
  const sp = endpoint.indexOf(' ');
  return sp < 0 ? endpoint : endpoint.slice(0, sp);
};
