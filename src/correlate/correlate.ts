// correlate/correlate.ts: several capture points of one incident → one verdict.
//   1. each point: single-capture analysis + packet signatures (collect.ts)
//   2. each pair of points: a windowed join on signatures (join.ts); packets unique on both sides
//      give the pair's clock offset (clock.ts)
//   3. every point aligned to the reference (the first point) through the best-matched pairs
//   4. one-to-one pairs after alignment → journeys → path order per flow → losses (path.ts)
//   5. the points' findings merged into incidents, each with where its evidence was and was not seen
import type { Micros } from '../core/index.js';
import { compareFindings, type AnalyzeOptions } from '../analyze.js';
import { severityRank, type Severity } from '../detect/index.js';
import type { CapturePoint, CorrelatedEvidence, CorrelatedFinding, CorrelatedReport, Loss, PointClock, Sighting, StretchFacts } from '../report/correlation/index.js';
import { CORRELATION_SCHEMA_VERSION, type Finding } from '../report/index.js';
import { TOOL_VERSION } from '../version.js';
import { estimateClock, toA, type ClockEstimate } from './clock.js';
import { collectPoint, packetOfFrame, type CollectedPoint } from './collect.js';
import { consistentCandidates, joinWindowed, pairAligned, uniqueCandidates, type Candidate } from './join.js';
import { DirectionKeys, directionKey, flowOrders, JourneyBuilder, judgeJourney, type AlignedPoint, type Journey, type JourneyVerdict } from './path.js';
import { groupViews, type ViewKey } from './merge-views.js';
import { dnsTypeName, packetLabel, type PointPacket } from './signature.js';

export interface CorrelateInput {
  readonly file: string;
  readonly label: string;
}

export interface CorrelateOptions {
  readonly analyze: Partial<AnalyzeOptions>;
  /** Clocks further apart than this are not searched for (the join window, ±). */
  readonly maxClockOffset: Micros;
  /** A packet arriving later than this after alignment is another packet (a retry), not a delayed one. */
  readonly maxPathDelay: Micros;
  readonly doubleWindow: Micros;
  readonly maxPacketsPerPoint: number;
  /** Losses listed that belong to no finding; the rest are counted. */
  readonly maxLosses: number;
  readonly generatedAt: string | undefined;
}

export const DEFAULT_CORRELATE_OPTIONS: CorrelateOptions = {
  analyze: {},
  maxClockOffset: 60_000_000,
  maxPathDelay: 500_000,
  doubleWindow: 5_000,
  maxPacketsPerPoint: 500_000,
  maxLosses: 200,
  generatedAt: undefined,
};

/** Findings of one incident at different points are one when their times overlap within this. */
const SAME_INCIDENT_SLACK: Micros = 1_000_000;
/** Losses within this of an incident's span, on its hosts, belong to it. */
const LOSS_SLACK: Micros = 500_000;

/** Below this many packets unique on both sides, the clock comes from the densest band of candidates. */
const MIN_UNIQUE = 4;
/** Width of that band: path delays between capture points of one site vary less than this. */
const CONSISTENT_BAND: Micros = 100_000;

/**
 * What one correlation held, counted (tests bound it: none of these may grow with every packet
 * except `journeys`, which is one per packet seen anywhere).
 */
export interface CorrelationStats {
  /** Journeys: a packet and its sightings at every point that saw it. */
  journeys: number;
  /** Journey verdicts kept: the lost packets' and the evidence packets' only, not one per journey. */
  verdictsKept: number;
  /** Distinct flow directions the clock samples name (one shared key each). */
  directionKeys: number;
  /** Clock samples over all pairs (one per packet unique at both points of a pair). */
  clockSamples: number;
}

interface PairClock {
  readonly a: number;
  readonly b: number;
  readonly estimate: ClockEstimate;
  readonly candidates: Candidate[];
}

export async function correlateFiles(inputs: readonly CorrelateInput[], options: Partial<CorrelateOptions> = {}): Promise<CorrelatedReport> {
  const o = { ...DEFAULT_CORRELATE_OPTIONS, ...options };
  const collected: CollectedPoint[] = [];
  for (let i = 0; i < inputs.length; i++) {
    collected.push(await collectPoint(i, inputs[i]!.file, { ...o.analyze, generatedAt: o.generatedAt ?? o.analyze.generatedAt ?? '1970-01-01T00:00:00.000Z' }, { doubleWindow: o.doubleWindow, maxPackets: o.maxPacketsPerPoint }));
  }
  return correlateCollected(inputs, collected, o);
}

export function correlateCollected(inputs: readonly CorrelateInput[], collected: readonly CollectedPoint[], o: CorrelateOptions, stats?: CorrelationStats): CorrelatedReport {
  const n = collected.length;
  const labels = inputs.map((i) => i.label);
  const keys = new DirectionKeys();
  let clockSamples = 0;

  // 2. pairs: candidates and clocks
  const pairs: PairClock[] = [];
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) {
    const pa = collected[a]!.packets;
    const pb = collected[b]!.packets;
    const candidates = joinWindowed(pa, pb, o.maxClockOffset);
    const unique = uniqueCandidates(candidates);
    const trusted = unique.length >= MIN_UNIQUE ? unique : consistentCandidates(candidates, CONSISTENT_BAND);
    const samples = trusted.map((c) => {
      const p = pa[c.a]!;
      return { tA: p.time, d: c.d, dir: keys.of(p), rev: keys.reverseOf(p), hops: p.hopLimit - pb[c.b]!.hopLimit };
    });
    clockSamples += samples.length;
    const estimate = estimateClock(samples);
    if (estimate !== undefined) pairs.push({ a, b, estimate, candidates });
  }

  // 3. align every point to the reference through the best pairs (both-ways first, then most samples)
  const align: (((t: Micros) => number) | undefined)[] = new Array(n).fill(undefined);
  const clocks: PointClock[] = new Array(n);
  align[0] = (t) => t;
  clocks[0] = { basis: 'reference', offsetMicros: 0, uncertaintyMicros: 0, driftPpm: 0, via: null, samples: 0 };
  const uncertainty: (number | null)[] = new Array(n).fill(null);
  uncertainty[0] = 0;
  const rank = (p: PairClock): number => (p.estimate.basis === 'both-ways' ? 1e12 : 0) + p.estimate.samples;
  for (;;) {
    let best: { pair: PairClock; from: number; to: number } | undefined;
    for (const pair of pairs) {
      const from = align[pair.a] !== undefined && align[pair.b] === undefined ? pair.a : align[pair.b] !== undefined && align[pair.a] === undefined ? pair.b : -1;
      if (from < 0) continue;
      if (best === undefined || rank(pair) > rank(best.pair)) best = { pair, from, to: from === pair.a ? pair.b : pair.a };
    }
    if (best === undefined) break;
    const { pair, from, to } = best;
    const alignFrom = align[from]!;
    const e = pair.estimate;
    // The pair's estimate maps B's clock to A's; the other way round, A's time t is B's t + expected d.
    align[to] = to === pair.b ? (t) => alignFrom(toA(e, t)) : (t) => alignFrom(t + e.offset + e.drift * (t - e.at));
    const u = e.uncertainty === null || uncertainty[from] === null ? null : e.uncertainty + uncertainty[from]!;
    uncertainty[to] = u;
    const c = collected[to]!;
    const t0 = c.packets[0]?.time ?? 0;
    const t1 = c.packets[c.packets.length - 1]?.time ?? t0;
    const off0 = t0 - align[to]!(t0);
    const off1 = t1 - align[to]!(t1);
    clocks[to] = {
      basis: e.basis === 'both-ways' && u !== null ? 'both-ways' : 'one-way',
      offsetMicros: round1(off0),
      uncertaintyMicros: u === null ? null : round1(u),
      driftPpm: t1 > t0 ? round3(((off1 - off0) / (t1 - t0)) * 1e6) : 0,
      via: from === 0 ? null : labels[from]!,
      samples: e.samples,
    };
  }
  for (let p = 0; p < n; p++) clocks[p] ??= { basis: 'none', offsetMicros: null, uncertaintyMicros: null, driftPpm: null, via: null, samples: 0 };

  const points: AlignedPoint[] = collected.map((c, p) => {
    const al = align[p];
    const first = c.packets.length > 0 && al ? al(c.packets[0]!.time) : Number.NaN;
    const last = c.packets.length > 0 && al ? al(c.packets[c.packets.length - 1]!.time) : Number.NaN;
    const forwards = new Set<string>();
    for (const f of c.forwarded) forwards.add(directionKey(f));
    return { label: labels[p]!, packets: c.packets, align: al, first, last, forwarded: c.forwarded, forwards };
  });

  // 4. pairs after alignment → journeys
  const builder = new JourneyBuilder(points);
  for (const pair of pairs) {
    const fa = align[pair.a];
    const fb = align[pair.b];
    if (fa === undefined || fb === undefined) continue;
    const pa = collected[pair.a]!.packets;
    const pb = collected[pair.b]!.packets;
    const delayOf = (c: Candidate): number => fb(pb[c.b]!.time) - fa(pa[c.a]!.time);
    for (const c of pairAligned(pair.candidates, delayOf, o.maxPathDelay)) builder.join(pair.a, c.a, pair.b, c.b);
  }
  const { journeys, journeyOf } = builder.build();
  const orders = flowOrders(journeys, n);
  // A verdict is kept for a lost packet's journey (its loss needs it) and made again on demand for
  // an evidence packet's (verdictOf): never one per journey, which was a Map per packet.
  const verdicts = new Map<Journey, JourneyVerdict>();
  const verdictOf = (j: Journey): JourneyVerdict => {
    let v = verdicts.get(j);
    if (v === undefined) verdicts.set(j, (v = judgeJourney(j, builder, orders, o.maxPathDelay)));
    return v;
  };
  const matchedPerPoint = new Array<number>(n).fill(0);
  let matchedPackets = 0;
  const stretchAcc = new Map<string, StretchAcc>();
  const losses: { loss: Loss; journey: Journey }[] = [];
  for (const j of journeys) {
    if (j.at.length >= 2) {
      matchedPackets++;
      for (const s of j.at) matchedPerPoint[s.point]!++;
      for (let k = 0; k + 1 < j.at.length; k++) noteStretch(stretchAcc, j.at[k]!, j.at[k + 1]!, builder, labels);
    }
    const v = judgeJourney(j, builder, orders, o.maxPathDelay);
    if (v.lostBetween !== undefined) {
      verdicts.set(j, v);
      const last = j.at[j.at.length - 1]!;
      const key = `${v.lostBetween.from}>${v.lostBetween.to}`;
      const acc = stretchAcc.get(key) ?? newStretch(stretchAcc, key, v.lostBetween.from, v.lostBetween.to, labels);
      acc.lost++;
      losses.push({
        journey: j,
        loss: {
          packet: packetLabel(last),
          flow: flowText(last),
          time: Math.round(builder.alignedTime(last)),
          seenAt: j.at.map((s) => sighting(s, builder, labels)),
          lostBetween: { from: labels[v.lostBetween.from]!, to: labels[v.lostBetween.to]! },
          droppedInside: v.droppedInside ? labels[v.lostBetween.from]! : null,
        },
      });
    }
  }

  // 5. incidents
  const findings = mergeFindings(collected, labels, builder, journeys, journeyOf, verdictOf, losses);
  if (stats !== undefined) {
    stats.journeys = journeys.length;
    stats.verdictsKept = verdicts.size;
    stats.directionKeys = keys.size;
    stats.clockSamples = clockSamples;
  }
  const attached = new Set(findings.flatMap((f) => f.losses));
  const unexplained = losses.filter((l) => !attached.has(l.loss)).map((l) => l.loss);
  const counts = { info: 0, warning: 0, error: 0 };
  for (const f of findings) if (f.status !== 'withdrawn') counts[f.severity]++;

  const aligned = points.filter((p) => p.align !== undefined && p.packets.length > 0);
  const commonStart = aligned.length > 1 ? Math.round(Math.max(...aligned.map((p) => p.first))) : null;
  const commonEnd = aligned.length > 1 ? Math.round(Math.min(...aligned.map((p) => p.last))) : null;
  const unaligned = labels.filter((_, p) => clocks[p]!.basis === 'none');
  const note =
    matchedPackets === 0
      ? 'the captures do not overlap: no packet was seen at more than one point, so no clock offset is known and no loss between the points is claimed'
      : unaligned.length > 0
        ? `${matchedPackets} packets seen at several points; ${unaligned.join(', ')} shares no packet with the others: not aligned, no loss claimed there`
        : commonStart !== null && commonEnd !== null && commonEnd < commonStart
          ? `${matchedPackets} packets seen at several points, but the captures' spans do not overlap in time`
          : `${matchedPackets} packets seen at several points`;

  const capturePoints: CapturePoint[] = collected.map((c, p) => ({
    label: labels[p]!,
    capture: c.report.capture,
    clock: clocks[p]!,
    firstTime: Number.isNaN(points[p]!.first) ? null : Math.round(points[p]!.first),
    lastTime: Number.isNaN(points[p]!.last) ? null : Math.round(points[p]!.last),
    ipPackets: c.ipPackets,
    doubles: c.doubles.size,
    matchedPackets: matchedPerPoint[p]!,
    notMatchedBeyondLimit: c.unmatchedBeyondLimit,
    anomalies: c.report.anomalies,
  }));

  return {
    schemaVersion: CORRELATION_SCHEMA_VERSION,
    kind: 'correlation',
    tool: { name: 'dualscope', version: TOOL_VERSION },
    generatedAt: o.generatedAt ?? new Date().toISOString(),
    reference: labels[0]!,
    overlap: { matchedPackets, commonStart, commonEnd, note },
    points: capturePoints,
    paths: [...orders.entries()]
      .sort((x, y) => y[1].packets - x[1].packets || (x[0] < y[0] ? -1 : 1))
      .slice(0, 100)
      .map(([flow, e]) => ({ flow, order: e.order.map((p) => labels[p]!), packets: e.packets })),
    stretches: [...stretchAcc.values()].map(stretchFacts).sort((x, y) => y.packets - x.packets || (x.from + x.to < y.from + y.to ? -1 : 1)),
    findings,
    unexplainedLosses: unexplained.slice(0, o.maxLosses),
    omittedLosses: Math.max(0, unexplained.length - o.maxLosses),
    counts,
  };
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

const flowText = (p: PointPacket): string => {
  const proto = p.kind === 'dns' ? 'udp' : p.kind;
  const ep = (a: string, port: number): string => (port === 0 ? a : p.version === 6 ? `[${a}]:${port}` : `${a}:${port}`);
  return `${proto} ${ep(p.src, p.srcPort)} → ${ep(p.dst, p.dstPort)}`;
};

const sighting = (s: PointPacket, b: JourneyBuilder, labels: readonly string[]): Sighting => ({
  point: labels[s.point]!,
  frame: s.frame,
  time: Math.round(b.alignedTime(s)),
  hopLimit: s.hopLimit,
  src: s.src,
  dst: s.dst,
});

interface StretchAcc {
  from: string;
  to: string;
  packets: number;
  lost: number;
  delays: number[];
  min: number;
  max: number;
  rewrites: Map<string, { kind: 'hop-limit' | 'nat' | 'mss' | 'snaplen'; count: number; example: string }>;
}

/** Delays kept per stretch for the median; beyond, min and max are still exact. */
const MAX_DELAYS = 10_000;

function newStretch(acc: Map<string, StretchAcc>, key: string, from: number, to: number, labels: readonly string[]): StretchAcc {
  const s: StretchAcc = { from: labels[from]!, to: labels[to]!, packets: 0, lost: 0, delays: [], min: Infinity, max: -Infinity, rewrites: new Map() };
  acc.set(key, s);
  return s;
}

/** One packet crossing the stretch x → y: its delay, and what changed on the way. */
function noteStretch(acc: Map<string, StretchAcc>, x: PointPacket, y: PointPacket, b: JourneyBuilder, labels: readonly string[]): void {
  const key = `${x.point}>${y.point}`;
  const s = acc.get(key) ?? newStretch(acc, key, x.point, y.point, labels);
  s.packets++;
  const d = b.alignedTime(y) - b.alignedTime(x);
  if (s.delays.length < MAX_DELAYS) s.delays.push(d);
  s.min = Math.min(s.min, d);
  s.max = Math.max(s.max, d);
  const note = (kind: 'hop-limit' | 'nat' | 'mss' | 'snaplen', detail: string, example: string): void => {
    const k = `${kind} ${detail}`;
    const r = s.rewrites.get(k);
    if (r === undefined) s.rewrites.set(k, { kind, count: 1, example });
    else r.count++;
  };
  const at = (p: PointPacket): string => `${labels[p.point]} frame ${p.frame}`;
  if (x.hopLimit !== y.hopLimit) note('hop-limit', `${x.hopLimit}>${y.hopLimit}`, `hop limit ${x.hopLimit} → ${y.hopLimit} (${x.hopLimit - y.hopLimit} router${x.hopLimit - y.hopLimit === 1 ? '' : 's'}), e.g. ${at(x)} → ${at(y)}`);
  if (x.src !== y.src || x.srcPort !== y.srcPort) note('nat', `src ${x.src} ${x.srcPort}`, `source ${x.src} port ${x.srcPort} → ${y.src} port ${y.srcPort}, e.g. ${at(x)} → ${at(y)}`);
  if (x.dst !== y.dst || x.dstPort !== y.dstPort) note('nat', `dst ${x.dst} ${x.dstPort}`, `destination ${x.dst} port ${x.dstPort} → ${y.dst} port ${y.dstPort}, e.g. ${at(x)} → ${at(y)}`);
  if (x.mss !== undefined && y.mss !== undefined && x.mss !== y.mss) note('mss', `${x.mss}>${y.mss}`, `MSS ${x.mss} → ${y.mss} in ${packetLabel(x).replace(/ mss \d+$/, '')} (${flowText(x)}), ${at(x)} → ${at(y)}`);
  const cutX = x.caplen < x.origlen;
  const cutY = y.caplen < y.origlen;
  if (cutX !== cutY) {
    const cut = cutX ? x : y;
    note('snaplen', labels[cut.point]!, `${labels[cut.point]} kept ${cut.caplen} of ${cut.origlen} bytes (snaplen), e.g. frame ${cut.frame}`);
  }
}

function stretchFacts(s: StretchAcc): StretchFacts {
  const sorted = s.delays.slice().sort((a, b) => a - b);
  return {
    from: s.from,
    to: s.to,
    packets: s.packets,
    lost: s.lost,
    delayMicros: sorted.length === 0 ? null : { min: round1(s.min), median: round1(sorted[sorted.length >> 1]!), max: round1(s.max) },
    rewrites: [...s.rewrites.values()].sort((a, b) => b.count - a.count || (a.example < b.example ? -1 : 1)),
  };
}

/** A packet's conversation, the same key for both directions: `proto a port b port` sorted. */
const conversation = (p: PointPacket): string => {
  const x = `${p.src} ${p.srcPort}`;
  const y = `${p.dst} ${p.dstPort}`;
  return `${p.kind === 'dns' ? 'udp' : p.kind} ${x < y ? `${x} ${y}` : `${y} ${x}`}`;
};

interface View {
  readonly point: number;
  readonly finding: Finding;
  readonly journeys: Set<number>;
  readonly start: number;
  readonly end: number;
}

/**
 * The points' findings as incidents: two views are one incident when they are the same kind and
 * share an evidence packet, or concern the same two hosts at overlapping times (merge-views.ts).
 */
function mergeFindings(
  collected: readonly CollectedPoint[],
  labels: readonly string[],
  b: JourneyBuilder,
  journeys: readonly Journey[],
  journeyOf: Int32Array,
  verdictOf: (j: Journey) => JourneyVerdict,
  losses: readonly { loss: Loss; journey: Journey }[],
): CorrelatedFinding[] {
  const views: View[] = [];
  for (let p = 0; p < collected.length; p++) {
    const c = collected[p]!;
    const align = b.points[p]!.align ?? ((t: number) => t);
    // Views are occurrences (each point's report groups them into incidents): one lookup seen
    // at two points is matched by its own evidence packets.
    for (const f of c.report.findings.flatMap((i) => i.occurrences)) {
      const js = new Set<number>();
      for (const e of f.evidence) {
        const i = packetOfFrame(c, e.frame);
        if (i !== undefined) js.add(journeyOf[b.id(p, i)]!);
      }
      views.push({ point: p, finding: f, journeys: js, start: align(f.start), end: align(f.end) });
    }
  }
  const keys: ViewKey[] = views.map((v) => ({
    point: v.point,
    kind: v.finding.kind,
    sharedJourneys: [...v.journeys].filter((j) => journeys[j]!.at.length > 1),
    hosts: v.finding.client !== undefined || v.finding.server !== undefined ? [v.finding.client ?? '', v.finding.server ?? ''].sort().join(' ') : undefined,
    start: v.start,
    end: v.end,
  }));
  const groups = groupViews(keys, SAME_INCIDENT_SLACK).map((g) => g.map((i) => views[i]!));
  const out: CorrelatedFinding[] = [];
  const lossIndex = new LossIndex(losses);
  for (const g of groups) out.push(incident(g, collected, labels, b, journeys, journeyOf, verdictOf, lossIndex));
  return out.sort(compareFindings);
}

interface LossOf {
  readonly loss: Loss;
  readonly journey: Journey;
}

/**
 * The losses, indexed so that an incident looks up its own (by journey, conversation or host
 * pair, and time) instead of scanning every loss: findings × losses was the other quadratic step.
 * `candidates` returns a superset of what incident() keeps, in the losses' order.
 */
class LossIndex {
  readonly #order = new Map<LossOf, number>();
  readonly #byJourney = new Map<Journey, LossOf[]>();
  /** Per conversation and per host pair, by time. */
  readonly #byConversation = new Map<string, LossOf[]>();
  readonly #byHosts = new Map<string, LossOf[]>();

  constructor(losses: readonly LossOf[]) {
    const add = (m: Map<string, LossOf[]>, k: string, l: LossOf): void => {
      const list = m.get(k);
      if (list === undefined) m.set(k, [l]);
      else if (list[list.length - 1] !== l) list.push(l);
    };
    losses.forEach((l, i) => {
      this.#order.set(l, i);
      const js = this.#byJourney.get(l.journey);
      if (js === undefined) this.#byJourney.set(l.journey, [l]);
      else js.push(l);
      for (const s of l.journey.at) {
        add(this.#byConversation, conversation(s), l);
        add(this.#byHosts, hostPair(s.src, s.dst), l);
      }
    });
    for (const m of [this.#byConversation, this.#byHosts]) for (const list of m.values()) list.sort((a, b) => a.loss.time - b.loss.time || this.#order.get(a)! - this.#order.get(b)!);
  }

  candidates(journeys: ReadonlySet<Journey>, flows: ReadonlySet<string>, hosts: ReadonlySet<string>, from: number, to: number): LossOf[] {
    const found = new Set<LossOf>();
    for (const j of journeys) for (const l of this.#byJourney.get(j) ?? []) found.add(l);
    const inWindow = (list: readonly LossOf[] | undefined): void => {
      if (list === undefined) return;
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid]!.loss.time < from) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < list.length && list[i]!.loss.time <= to; i++) found.add(list[i]!);
    };
    for (const f of flows) inWindow(this.#byConversation.get(f));
    if (flows.size === 0) {
      const hs = [...hosts];
      for (const x of hs) for (const y of hs) if (x <= y) inWindow(this.#byHosts.get(hostPair(x, y)));
    }
    return [...found].sort((a, b) => this.#order.get(a)! - this.#order.get(b)!);
  }
}

const hostPair = (x: string, y: string): string => (x < y ? `${x} ${y}` : `${y} ${x}`);

function incident(
  g: readonly View[],
  collected: readonly CollectedPoint[],
  labels: readonly string[],
  b: JourneyBuilder,
  journeys: readonly Journey[],
  journeyOf: Int32Array,
  verdictOf: (j: Journey) => JourneyVerdict,
  losses: LossIndex,
): CorrelatedFinding {
  const main = g.reduce((m, v) => (severityRank(v.finding.severity) > severityRank(m.finding.severity) ? v : m), g[0]!);
  const f = main.finding;
  const start = Math.round(Math.min(...g.map((v) => v.start)));
  const end = Math.round(Math.max(...g.map((v) => v.end)));
  const evidence: CorrelatedEvidence[] = [];
  const done = new Set<string>();
  const evidenceJourneys = new Set<Journey>();
  for (const v of g) {
    const c = collected[v.point]!;
    const align = b.points[v.point]!.align ?? ((t: number) => t);
    for (const e of v.finding.evidence) {
      const i = packetOfFrame(c, e.frame);
      const j = i === undefined ? undefined : journeys[journeyOf[b.id(v.point, i)]!]!;
      const key = j === undefined ? `${v.point}:${e.frame}:${e.role}` : `j${journeyOf[b.id(v.point, i!)]}:${e.role}`;
      if (done.has(key)) continue;
      done.add(key);
      if (j !== undefined) evidenceJourneys.add(j);
      const verdict = j === undefined ? undefined : verdictOf(j);
      const seenAt = j === undefined ? [] : j.at.map((s) => sighting(s, b, labels));
      evidence.push({
        role: e.role,
        ...(e.detail !== undefined ? { detail: e.detail } : {}),
        ...(e.src !== undefined ? { src: e.src } : {}),
        ...(e.dst !== undefined ? { dst: e.dst } : {}),
        time: Math.round(align(e.time)),
        seenAt: seenAt.length > 0 ? seenAt : [{ point: labels[v.point]!, frame: e.frame, time: Math.round(align(e.time)), hopLimit: 0, src: e.src ?? '', dst: e.dst ?? '' }],
        notSeenAt: verdict === undefined ? [] : [...verdict.notSeen.entries()].sort((x, y) => x[0] - y[0]).map(([p, why]) => ({ point: labels[p]!, why })),
        lostBetween: verdict?.lostBetween === undefined ? null : { from: labels[verdict.lostBetween.from]!, to: labels[verdict.lostBetween.to]! },
        delayMicros: seenAt.length > 1 ? seenAt[seenAt.length - 1]!.time - seenAt[0]!.time : null,
      });
    }
  }
  evidence.sort((x, y) => x.time - y.time);
  // Losses of this incident: its evidence packets' own, and any on its hosts within its span.
  // Informational findings (a resolver's profile, a clamped MSS) explain no loss and take none.
  const flows = new Set<string>();
  for (const j of evidenceJourneys) for (const s of j.at) flows.add(conversation(s));
  const hostSet = new Set([f.client, f.server].filter((h): h is string => h !== undefined));
  const mine =
    f.severity === 'info'
      ? []
      : losses.candidates(evidenceJourneys, flows, hostSet, start - LOSS_SLACK, end + LOSS_SLACK).filter(({ loss, journey }) => {
          if (evidenceJourneys.has(journey)) return true;
          if (loss.time < start - LOSS_SLACK || loss.time > end + LOSS_SLACK) return false;
          // Same conversation as an evidence packet (ports included), else — no evidence packet
          // matched anywhere — the finding's two hosts.
          return journey.at.some((s) => flows.has(conversation(s))) || (flows.size === 0 && journey.at.some((s) => hostSet.has(s.src) && hostSet.has(s.dst)));
        });
  const myLosses = mine.map((m) => m.loss);
  const where =
    myLosses.length === 0
      ? null
      : myLosses[0]!.droppedInside !== null
        ? `inside ${myLosses[0]!.droppedInside} (it came in and never left), between ${myLosses[0]!.lostBetween.from} and ${myLosses[0]!.lostBetween.to}`
        : `between ${myLosses[0]!.lostBetween.from} and ${myLosses[0]!.lostBetween.to}`;
  let status: CorrelatedFinding['status'];
  let statusReason: string;
  const answeredAaaa = mine.find(({ journey }) => journey.at[0]!.dnsResponse === true && journey.at[0]!.dnsType === 28 && (f.names.length === 0 || f.names.some((nm) => nm.toLowerCase() === journey.at[0]!.dnsName?.toLowerCase())));
  if (f.kind === 'dns.aaaa_unanswered' && answeredAaaa !== undefined) {
    const s = answeredAaaa.journey.at[answeredAaaa.journey.at.length - 1]!;
    status = 'withdrawn';
    statusReason = `the AAAA answer was sent: ${labels[s.point]} saw it (frame ${s.frame}) and ${answeredAaaa.loss.lostBetween.to} did not; it was lost ${where}, so the server did not leave AAAA unanswered`;
  } else if (myLosses.length > 0) {
    status = 'proved';
    const first = mine[0]!.journey.at;
    const s = first[first.length - 1]!;
    const l0 = myLosses[0]!;
    const n = `${myLosses.length} packet${myLosses.length === 1 ? '' : 's'} of this incident`;
    statusReason =
      l0.droppedInside !== null
        ? `${n} reached ${l0.droppedInside} (e.g. ${packetLabel(s)}, frame ${s.frame}) and never left it, though it forwards this flow: dropped there, never reaching ${l0.lostBetween.to}`
        : `${n} left ${l0.lostBetween.from} (e.g. ${packetLabel(s)}, frame ${s.frame}) and never reached ${l0.lostBetween.to}`;
  } else if (new Set(g.map((v) => v.point)).size > 1) {
    status = 'confirmed';
    statusReason = `found at ${[...new Set(g.map((v) => labels[v.point]!))].join(', ')}`;
  } else {
    status = 'single-point';
    const elsewhere = new Set<string>();
    for (const j of evidenceJourneys) for (const s of j.at) if (s.point !== main.point) elsewhere.add(labels[s.point]!);
    statusReason =
      elsewhere.size > 0
        ? `found at ${labels[main.point]} only; ${[...elsewhere].join(', ')} saw its packets without a loss in between`
        : `found at ${labels[main.point]} only; no other point saw its packets`;
  }
  const severity: Severity = f.severity;
  return {
    id: `${labels.length > 1 ? `p${main.point + 1}.` : ''}${f.id}`,
    kind: f.kind,
    severity,
    summary: f.summary,
    start,
    end,
    status,
    statusReason,
    location: where,
    views: g.map((v) => ({ point: labels[v.point]!, finding: v.finding })).sort((x, y) => labels.indexOf(x.point) - labels.indexOf(y.point)),
    evidence,
    losses: myLosses,
  };
}

export { dnsTypeName };
