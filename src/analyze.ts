// The loop: frames → packets → trackers → records → detectors → report. The same Analysis object
// serves a file, stdin, an upload arriving over HTTP and a live capture: feed frames, then finish.
import { Anomalies, linkTypeName, type Micros } from './core/index.js';
import { readCapture, type CaptureInfo, type Frame } from './readers/index.js';
import { PacketDecoder } from './decode/index.js';
import { DnsReconstructor, PathReconstructor, TimelineCollector, type Lane, type DnsOptions, type DnsRecord, type PathOptions, type PathRecord, type TimelineOptions } from './reconstruct/index.js';
import { createDetectors, DETECTORS, FindingSet, type CaptureView, type CaptureViewState, type RecordScope, IncidentGrouper, severityRank, type Detector, type DetectOptions, type DetectorRegistry, type Finding, type IncidentUpdate } from './detect/index.js';
import { buildTimeline, ONE_SIDED_EXAMPLES, reportedIncident, SCHEMA_VERSION, type Report, type TimelineLane, type TimelineSource } from './report/index.js';
import { TOOL_VERSION } from './version.js';

export interface AnalyzeOptions {
  dns: Partial<DnsOptions>;
  path: Partial<PathOptions>;
  /** Detector options by incident kind (each a partial of the detector's defaults). */
  detect: DetectOptions;
  /** The detectors to run: the registry's, or (tests) more. */
  detectors: DetectorRegistry;
  timeline: Partial<TimelineOptions>;
  /** Called with each finding as soon as it is final (live capture prints them). */
  onFinding: ((f: Finding) => void) | undefined;
  /**
   * Called with each new occurrence as soon as it is final, as the update of its incident (count,
   * clients, last seen): live capture prints it. The report's incidents are grouped again from the
   * final findings at finish(), where detectors restate their counts.
   */
  onIncident: ((u: IncidentUpdate) => void) | undefined;
  /** Called as the input is read, with the packets analysed so far (for a packets/s rate). */
  onProgress: ((bytesRead: number, totalBytes: number | undefined, packets: number) => void) | undefined;
  /** Fixed for golden tests; otherwise the wall clock at the end of the analysis. */
  generatedAt: string | undefined;
  /** Lanes without findings kept in the report for context (the busiest ones). */
  contextLanes: number;
  /** Only part of the input is this analysis's own; see OwnedRange. Undefined: all of it. */
  owned: OwnedRange | undefined;
  /**
   * A piece of a file split across threads, or a file of a batch's capture set: detectors whose
   * findings sum up the whole capture at finish (those that restate, and those that hold findings
   * back until then) count the records this piece owns and hand what they counted to the merge
   * (Detector.exportState) instead of findings; the merge (SummingMerge) adds up every piece's and
   * finishes once.
   */
  pieceOfFile: boolean;
}

/**
 * The frames an analysis owns when it reads more than its own share, so that work can be split
 * without cutting a lookup or a connection in two. The caller numbers the frames it feeds so that
 * its own share is `[firstFrame, lastFrame]`, and the context outside that range:
 *
 * - a *lead-in* before its share (e.g. the tail of the previous file of a ring buffer, or of the
 *   previous slice of one file) builds tracker state only: a connection whose SYN came before is
 *   known, a query asked before is matched;
 * - a *run-out* after its share (the head of the next file or slice) settles what is pending: an
 *   unanswered query times out, a stalled connection shows its retransmissions.
 *
 * Every frame goes through decoders, trackers and detectors alike. A finding belongs to the share
 * where it starts (its earliest evidence frame): findings starting in the lead-in belong to the
 * previous share, those starting in the run-out to the next, and both are dropped here, so that
 * adjacent shares together report each finding exactly once. The capture facts (packets, first and
 * last time) and the timeline count owned frames only; the statistics (lookups, connections) count
 * everything the trackers saw, context included.
 */
export interface OwnedRange {
  readonly firstFrame: number;
  readonly lastFrame: number;
}

export const DEFAULT_ANALYZE_OPTIONS: AnalyzeOptions = {
  dns: {},
  path: {},
  detect: {},
  detectors: DETECTORS,
  timeline: {},
  onFinding: undefined,
  onIncident: undefined,
  onProgress: undefined,
  generatedAt: undefined,
  contextLanes: 12,
  owned: undefined,
  pieceOfFile: false,
};

/** Trackers expire state each time capture time moves on by this much. */
const EXPIRE_STEP: Micros = 1_000_000;

export class Analysis {
  readonly anomalies = new Anomalies();
  readonly #options: AnalyzeOptions;
  readonly #decoder: PacketDecoder;
  readonly #dns: DnsReconstructor;
  readonly #path: PathReconstructor;
  readonly #timeline: TimelineCollector;
  readonly #dnsDetectors: Detector<DnsRecord>[];
  readonly #pathDetectors: Detector<PathRecord>[];
  readonly #view: CaptureView;
  readonly #scope: RecordScope;
  /** pieceOfFile: provisional findings of the detectors that restate are not kept (their state is). */
  readonly #exportsState: boolean;
  /**
   * Whether the provisional findings of the detectors that restate at finish are kept as they come.
   * Only to announce them (onFinding, onIncident): finish() replaces them all with what the
   * detector stands by. Kept for nothing, they were half the findings held during a file's
   * analysis (edge 2 M: 2,418 held, 1,211 without them; live heap 64.9 → 63.4 MB, the rest of
   * their evidence being the detectors' own state).
   */
  readonly #keepsProvisional: boolean;
  readonly #findings = new FindingSet();
  /** Live grouping of occurrences as they are announced; only made when someone listens. */
  #liveIncidents: IncidentGrouper | undefined;
  #nextExpire: Micros = Number.NEGATIVE_INFINITY;
  #packets = 0;
  // NaN until the first packet, rather than undefined: a field that starts as undefined holds each
  // time as a new heap number, written per packet (16 bytes of garbage each); a number field is
  // updated in place.
  #first: Micros = Number.NaN;
  #last: Micros = Number.NaN;
  /** The latest time of any frame read, owned or not: where a piece that read to the file's end saw it end. */
  #lastRead: Micros = Number.NaN;

  constructor(options: Partial<AnalyzeOptions> = {}) {
    this.#options = { ...DEFAULT_ANALYZE_OPTIONS, ...options };
    this.#decoder = new PacketDecoder(this.anomalies, { reusePackets: true });
    const detectors = createDetectors(this.#options.detect, this.#options.detectors);
    this.#dnsDetectors = detectors.dns;
    this.#pathDetectors = detectors.path;
    this.#view = detectors.view;
    this.#scope = detectors.scope;
    this.#exportsState = this.#options.pieceOfFile;
    this.#keepsProvisional = !this.#exportsState && (this.#options.onFinding !== undefined || this.#options.onIncident !== undefined);
    if (this.#exportsState) {
      const unmergeable = [...detectors.dns, ...detectors.path].find((d) => d.restatesAtFinish === true && (d.exportState === undefined || d.mergeState === undefined));
      if (unmergeable !== undefined) throw new Error(`detector ${unmergeable.name} restates at finish but cannot hand its state to a merge: a capture cannot be split with it`);
    }
    if (this.#options.owned !== undefined) this.#scope.own(this.#options.owned);
    this.#scope.announces = this.#keepsProvisional;
    // Transaction records only when a detector reads them (Detector.readsTransactions).
    const dnsOptions = { transactionRecords: this.#dnsDetectors.some((d) => d.readsTransactions === true), ...this.#options.dns };
    this.#dns = new DnsReconstructor(dnsOptions, (r) => this.#observe(this.#dnsDetectors, r));
    this.#path = new PathReconstructor(this.#options.path, (r) => this.#observe(this.#pathDetectors, r));
    this.#timeline = new TimelineCollector(this.#options.timeline);
    if (this.#options.onIncident) this.#liveIncidents = new IncidentGrouper();
  }

  /** One frame. The only try/catch on the per-packet path: a decoder bug costs one frame, not the file. */
  frame(frame: Frame): void {
    const t = frame.time;
    // Records made final while this frame is read are at its position (RecordScope).
    this.#scope.position = frame.index;
    const owned = this.#owns(frame.index);
    if (owned) {
      this.#packets++;
      if (Number.isNaN(this.#first)) this.#first = t;
      if (t > this.#last || Number.isNaN(this.#last)) this.#last = t;
    }
    if (t > this.#lastRead || Number.isNaN(this.#lastRead)) this.#lastRead = t;
    try {
      const p = this.#decoder.decode(frame);
      if (p !== undefined) {
        this.#dns.packet(p);
        this.#path.packet(p);
        if (owned) this.#timeline.packet(p);
      } else this.#arp(frame);
      if (t >= this.#nextExpire) this.#expireAt(frame);
    } catch {
      this.anomalies.note('analyze.decode_exception');
    }
  }

  // The two calls below that take a capture time are made from methods of their own that take the
  // frame: a capture time passed from frame() to a call is a heap number, and V8 made it for every
  // frame, taken or not (edge 100 k: 16 B a packet, frame()'s whole allocation).

  /** A frame that is no IP packet may be ARP. */
  #arp(frame: Frame): void {
    const arp = this.#decoder.takeArp();
    if (arp !== undefined) this.#path.arp(arp, frame.index, frame.time);
  }

  /**
   * Expires tracker state: on whole steps of capture time, not steps from the first frame, so that
   * a piece of a file split across threads expires state at the frames one thread does, and makes
   * its records final at the same positions (RecordScope).
   */
  #expireAt(frame: Frame): void {
    const t = frame.time;
    this.#nextExpire = t - (t % EXPIRE_STEP) + EXPIRE_STEP;
    this.#decoder.expire(t);
    this.#dns.expire(t);
    this.#path.expire(t);
  }

  /**
   * Capture time has moved on without packets (live capture, quiet link): expire state so that an
   * unanswered query becomes a finding while the capture is still running.
   */
  advance(now: Micros): void {
    try {
      this.#decoder.expire(now);
      this.#dns.expire(now);
      this.#path.expire(now);
    } catch {
      this.anomalies.note('analyze.decode_exception');
    }
  }

  /** Owned packets so far (all of them without an owned range). */
  get packets(): number {
    return this.#packets;
  }

  #owns(frameIndex: number): boolean {
    const range = this.#options.owned;
    return range === undefined || (frameIndex >= range.firstFrame && frameIndex <= range.lastFrame);
  }

  /** A finding is this analysis's when its earliest evidence frame is owned (see OwnedRange). */
  #ownsFinding(f: Finding): boolean {
    return this.#scope.ownsFinding(f);
  }

  /** Every detector sees the record. An indexed loop: a for-of iterator per record was measurable. */
  #observe<R>(detectors: readonly Detector<R>[], r: R): void {
    for (let i = 0; i < detectors.length; i++) {
      const found = detectors[i]!.observe(r);
      if (found.length > 0 && (this.#keepsProvisional || detectors[i]!.restatesAtFinish !== true)) this.#add(detectors[i]!, found);
    }
  }

  #add(detector: Detector<never>, findings: readonly Finding[]): void {
    for (const f of this.#findings.add(detector, findings)) this.#announce(f);
  }

  #finishDetector(detector: Detector<never>): void {
    for (const f of this.#findings.finish(detector)) this.#announce(f);
  }

  #announce(f: Finding): void {
    if (!this.#ownsFinding(f)) return;
    this.#options.onFinding?.(f);
    if (this.#liveIncidents) this.#options.onIncident?.(this.#liveIncidents.add(f));
  }

  /** End of input: flush trackers and detectors, and build the report. */
  finish(file: string, info: CaptureInfo): Report {
    return this.#report(file, info, this.#finishDetection(true));
  }

  #report(file: string, info: CaptureInfo, findings: readonly Finding[]): Report {
    const first = Number.isNaN(this.#first) ? null : this.#first;
    const last = Number.isNaN(this.#last) ? null : this.#last;
    return buildReport(file, info, this.#options, {
      packets: this.#packets,
      first,
      last,
      anomalies: this.anomalies.toRecord(),
      statistics: this.#statistics(),
      findings,
      timeline: this.#timeline,
      view: this.#view,
    });
  }

  /**
   * Flushes trackers and detectors; returns this analysis's findings in report order. A piece of a
   * split file (pieceOfFile) puts the states of the detectors that sum up at finish (Detector.exportState)
   * in `states` instead of finishing them.
   */
  #finishDetection(captureEnds: boolean, states?: unknown[]): Finding[] {
    if (captureEnds && !Number.isNaN(this.#lastRead)) {
      for (const d of this.#dnsDetectors) d.captureEnd?.(this.#lastRead);
      for (const d of this.#pathDetectors) d.captureEnd?.(this.#lastRead);
    }
    // What the final flush makes final comes after every frame read.
    this.#scope.position = Math.floor(this.#scope.position) + 0.5;
    this.#dns.finish();
    this.#path.finish();
    for (const d of [...this.#dnsDetectors, ...this.#pathDetectors] as Detector<never>[]) {
      if (states !== undefined && d.exportState !== undefined) states.push(d.exportState());
      else this.#finishDetector(d);
    }
    return this.#findings.values().filter((f) => this.#ownsFinding(f)).sort(compareFindings);
  }

  /**
   * End of input for a file of a capture set (pieceOfFile): the file's report without the findings
   * of the detectors that sum up at finish, and their states with the capture view's, for the
   * set's merge (SummingMerge). `readToEnd`: the input ended at the set's end (the last file, or a
   * run-out that reached it): detectors hear of the capture's end, as for a piece.
   */
  finishMember(file: string, info: CaptureInfo, readToEnd: boolean): { report: Report; summing: SummingState } {
    const states: unknown[] = [];
    const report = this.#report(file, info, this.#finishDetection(readToEnd, states));
    return { report, summing: { states, view: this.#view.exportState(this.#path.receivingHosts()) } };
  }

  // ── pieces of one file (see PieceResult) ──────────────────────────────────────────────────────

  #countsAtOwnedStart: PieceCounts | undefined;
  #countsAtOwnedEnd: PieceCounts | undefined;

  #counts(): PieceCounts {
    return { statistics: this.#statistics(), anomalies: this.anomalies.toRecord() };
  }

  /** A piece's own frames begin with the next frame: what is counted from here on is the piece's. */
  markOwnedStart(): void {
    this.#countsAtOwnedStart = this.#counts();
  }

  /** A piece's own frames are over (its run-out begins): what is counted from here on is the next piece's. */
  markOwnedEnd(): void {
    this.#countsAtOwnedEnd ??= this.#counts();
  }

  /**
   * End of a piece's input. `lastPiece`: nothing came after its own frames, so the capture ends
   * here (what the final flush counts is this piece's). `readToEnd`: the input ended at the file's
   * end (the last piece, or a run-out that reached it): detectors hear of the capture's end.
   */
  finishPiece(lastPiece: boolean, readToEnd = lastPiece): PieceResult {
    if (lastPiece) this.#countsAtOwnedEnd = undefined;
    const states: unknown[] = [];
    // A run-out that reached the file's end saw the capture end, as one thread does.
    const findings = this.#finishDetection(readToEnd, states);
    const start = this.#countsAtOwnedStart ?? { statistics: {}, anomalies: {} };
    const end = this.#countsAtOwnedEnd ?? this.#counts();
    const collector = this.#timeline;
    return {
      packets: this.#packets,
      first: Number.isNaN(this.#first) ? null : this.#first,
      last: Number.isNaN(this.#last) ? null : this.#last,
      findings,
      statistics: {
        dns: difference(end.statistics.dns, start.statistics.dns),
        tcp: difference(end.statistics.tcp, start.statistics.tcp),
        icmp: difference(end.statistics.icmp, start.statistics.icmp),
      },
      anomalies: difference(end.anomalies, start.anomalies),
      states,
      view: this.#view.exportState(this.#path.receivingHosts()),
      timeline: { start: collector.start ?? null, end: collector.end ?? null, overview: collector.overview, lanes: collector.plainLanes(), packetsWithoutLane: collector.packetsWithoutLane },
    };
  }

  #statistics(): Report['statistics'] {
    const { icmpErrors, icmpMatched, icmpUnmatched, ...tcp } = this.#path.stats();
    return {
      dns: flattenNumbers(this.#dns.stats()),
      tcp: flattenNumbers(tcp),
      icmp: flattenNumbers({ byType: icmpErrors, matchedToFlow: icmpMatched, unmatched: icmpUnmatched }),
    };
  }
}

/** Statistics and anomaly counts, at one moment of a piece's analysis. */
interface PieceCounts {
  statistics: Partial<Report['statistics']>;
  anomalies: Partial<Record<string, number>>;
}

/**
 * What one piece of a file split across threads hands back (plain data: it crosses threads). The
 * findings are the piece's own (OwnedRange), not yet grouped into incidents; statistics and anomalies
 * are what was counted while the piece's own frames were read (the lead-in builds state, the run-out
 * settles it, and what they count is their own pieces'), so the pieces' counts add up to the file's.
 */
export interface PieceResult {
  packets: number;
  first: Micros | null;
  last: Micros | null;
  findings: Finding[];
  statistics: Report['statistics'];
  anomalies: Record<string, number>;
  /** What each detector that sums up at finish counted of this piece's records, in registry order (Detector.exportState). */
  states: unknown[];
  /** Its one-sided hosts and the hosts it saw receiving (CaptureView.exportState). */
  view: CaptureViewState;
  timeline: { start: Micros | null; end: Micros | null; overview: { bucketMicros: Micros; packets: number[] }; lanes: Lane[]; packetsWithoutLane: number };
}

/** a − b by key (keys of either; a key missing counts 0). */
function difference(a: Partial<Record<string, number>> | undefined, b: Partial<Record<string, number>> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(a ?? {})) out[k] = (a?.[k] ?? 0) - (b?.[k] ?? 0);
  for (const k of Object.keys(b ?? {})) if (!(k in out)) out[k] = -(b?.[k] ?? 0);
  return out;
}

/** The parts of a report an analysis (or the merge of pieces) has made. */
interface ReportParts {
  packets: number;
  first: Micros | null;
  last: Micros | null;
  anomalies: Record<string, number>;
  statistics: Report['statistics'];
  /** In report order (compareFindings). */
  findings: readonly Finding[];
  timeline: TimelineSource;
  /** Which hosts the capture shows one-sided (the merge's view, for pieces). */
  view: CaptureView;
}

function buildReport(file: string, info: CaptureInfo, options: AnalyzeOptions, parts: ReportParts): Report {
  // The grouping stage: the occurrences (in a stable order) → one incident per cause.
  const grouper = new IncidentGrouper();
  for (const f of parts.findings) grouper.add(f);
  const incidents = grouper.incidents();
  const counts = { info: 0, warning: 0, error: 0, occurrences: 0 };
  for (const i of incidents) {
    counts[i.severity]++;
    counts.occurrences += i.count;
  }
  const { first, last } = parts;
  // The lane kind of a finding's own evidence lane, from its detector's registry entry.
  const laneOf = (kind: string): TimelineLane['kind'] => options.detectors.find((d) => d.kind === kind)?.lane ?? 'tcp';
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'dualscope', version: TOOL_VERSION },
    generatedAt: options.generatedAt ?? new Date().toISOString(),
    capture: {
      file,
      format: info.format ?? null,
      gzip: info.gzip,
      byteOrder: info.byteOrder ?? null,
      resolution: info.resolution ?? null,
      linkTypes: info.linkTypes.map((value) => ({ value, name: linkTypeName(value) })),
      interfaces: info.interfaces.length,
      packets: parts.packets,
      bytes: info.bytesRead,
      firstTime: first,
      lastTime: last,
      durationMicros: first !== null && last !== null ? last - first : 0,
      truncated: info.truncated,
      skippedBytes: info.skippedBytes,
      droppedByCapture: info.droppedByInterface ?? null,
      ...notAnalysed(info),
      ...oneSided(parts.view),
    },
    anomalies: parts.anomalies as Report['anomalies'],
    statistics: parts.statistics,
    counts,
    findings: incidents.map(reportedIncident),
    timeline: buildTimeline(incidents, parts.timeline, { contextLanes: options.contextLanes, laneOf }),
  };
}

/**
 * One report from the pieces of a file, as the one-thread analysis makes it: add() each piece's
 * result in file order, then report(). Findings are regrouped into incidents across pieces, counts
 * summed, the timelines' lanes and overview joined, and the detectors that restate at finish (their
 * findings sum up the whole capture: resolver profiles, counts per client and server) are made
 * here afresh, take every piece's state in file order (Detector.mergeState; the capture view
 * likewise, as local_zone_leak consults it at finish) and finish once. No record crosses threads.
 */
export class PieceMerger {
  readonly #options: AnalyzeOptions;
  readonly #summing: SummingMerge;
  readonly #findings: Finding[] = [];
  readonly #statistics: Report['statistics'];
  readonly #anomalies: Record<string, number> = {};
  #packets = 0;
  #first: Micros | null = null;
  #last: Micros | null = null;
  #pieces = 0;
  // the timeline
  #bucketMicros: Micros = 1_000_000;
  #buckets: number[] = [];
  #start: Micros | undefined;
  #end: Micros | undefined;
  #packetsWithoutLane = 0;
  readonly #lanes = new Map<string, Lane>();

  constructor(partial: Partial<AnalyzeOptions> = {}) {
    this.#options = { ...DEFAULT_ANALYZE_OPTIONS, ...partial };
    this.#summing = new SummingMerge(partial);
    // Every counter, at 0 when no piece counted it (or there are no pieces: no packets).
    this.#statistics = new Analysis(partial).finishPiece(true).statistics;
  }

  /** The next piece, in file order. */
  add(p: PieceResult): void {
    this.#packets += p.packets;
    if (this.#pieces++ === 0) this.#first = p.first;
    if (p.last !== null && (this.#last === null || p.last > this.#last)) this.#last = p.last;
    for (const [k, n] of Object.entries(p.anomalies)) this.#anomalies[k] = (this.#anomalies[k] ?? 0) + n;
    for (const part of ['dns', 'tcp', 'icmp'] as const) {
      const into = this.#statistics[part];
      for (const [k, n] of Object.entries(p.statistics[part])) into[k] = (into[k] ?? 0) + n;
    }
    for (const f of p.findings) this.#findings.push(f);
    this.#summing.add({ states: p.states, view: p.view });
    this.#addTimeline(p.timeline);
  }

  /**
   * Overview buckets: every piece counts from the file's origin, so a piece's finer buckets fold
   * exactly into the widest width. Lanes are joined by id in order of first appearance.
   */
  #addTimeline(t: PieceResult['timeline']): void {
    if (t.overview.bucketMicros > this.#bucketMicros) {
      const fold = t.overview.bucketMicros / this.#bucketMicros;
      const folded: number[] = [];
      this.#buckets.forEach((n, i) => {
        const j = Math.floor(i / fold);
        while (folded.length <= j) folded.push(0);
        folded[j]! += n;
      });
      this.#buckets = folded;
      this.#bucketMicros = t.overview.bucketMicros;
    }
    const fold = this.#bucketMicros / t.overview.bucketMicros;
    t.overview.packets.forEach((n, i) => {
      const j = Math.floor(i / fold);
      while (this.#buckets.length <= j) this.#buckets.push(0);
      this.#buckets[j]! += n;
    });
    this.#start ??= t.start ?? undefined;
    if (t.end !== null && (this.#end === undefined || t.end > this.#end)) this.#end = t.end;
    this.#packetsWithoutLane += t.packetsWithoutLane;
    for (const lane of t.lanes) {
      const known = this.#lanes.get(lane.id);
      if (known === undefined) this.#lanes.set(lane.id, lane);
      else {
        for (const m of lane.marks) known.marks.push(m);
        known.omittedMarks += lane.omittedMarks;
        known.packets += lane.packets;
        known.lastTime = lane.lastTime;
      }
    }
  }

  /** The report. `info` and `readerAnomalies` are the whole file's, from the pass that cut it. */
  report(file: string, info: CaptureInfo, readerAnomalies: Anomalies): Report {
    const summed = this.#summing.finish();
    const anomalies = readerAnomalies.toRecord() as Record<string, number>;
    for (const [k, n] of Object.entries(this.#anomalies)) anomalies[k] = (anomalies[k] ?? 0) + n;
    const findings = [...this.#findings, ...summed].sort(compareFindings);
    // In key order, as flattenNumbers gives them (a piece may have counted a key the others had not).
    const statistics = { ...this.#statistics };
    for (const part of ['dns', 'tcp', 'icmp'] as const) statistics[part] = Object.fromEntries(Object.entries(statistics[part]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const lanes = [...this.#lanes.values()];
    const timeline: TimelineSource = {
      start: this.#start,
      end: this.#end,
      overview: { bucketMicros: this.#bucketMicros, packets: this.#buckets },
      lanes: () => lanes,
      packetsWithoutLane: this.#packetsWithoutLane,
    };
    return buildReport(file, info, this.#options, { packets: this.#packets, first: this.#first, last: this.#last, anomalies, statistics, findings, timeline, view: this.#summing.view });
  }
}

/**
 * What the detectors that sum up at finish counted in one piece of a capture (a piece of a file, or
 * a file of a batch's capture set), as plain structured-cloneable data: their states in registry
 * order (Detector.exportState) and the capture view's (CaptureView.exportState).
 */
export interface SummingState {
  states: unknown[];
  view: CaptureViewState;
}

/**
 * The version of what SummingState holds: the detectors' exported states (exportState) and the
 * capture view's. A batch index keeps its set members' states between runs, and a build can merge
 * only states of the shapes it writes (an older local_zone_leak state merged by a newer build loses
 * its legs; an older resolver_profile state throws at finish): the index analyses a set's members
 * again when its states were written under another version (batch-index.ts). Raise it whenever a
 * detector's exported state changes shape. 1: before this constant (main up to 6329a3b).
 */
export const SUMMING_STATE_VERSION = 2;

/**
 * The merge of the detectors that sum up at finish, shared by the pieces of one file (PieceMerger)
 * and the files of a capture set (the batch coordinator): fresh detectors take every piece's state
 * in capture order (Detector.mergeState; the capture view likewise, as local_zone_leak consults it
 * at finish), then finish once, as one thread reading the whole capture does. Only states cross; a
 * piece's state can be dropped once added.
 */
export class SummingMerge {
  readonly #summing: Detector<never>[];
  readonly view: CaptureView;

  constructor(partial: Partial<AnalyzeOptions> = {}) {
    const options = { ...DEFAULT_ANALYZE_OPTIONS, ...partial };
    const all = createDetectors(options.detect, options.detectors);
    this.#summing = ([...all.dns, ...all.path] as Detector<never>[]).filter((d) => d.exportState !== undefined);
    this.view = all.view;
  }

  /** The next piece's state, in capture order. */
  add(s: SummingState): void {
    this.view.mergeState(s.view);
    this.#summing.forEach((d, i) => d.mergeState!(s.states[i]));
  }

  /** Every merged detector's findings (call once, after the last add). */
  finish(): Finding[] {
    return this.#summing.flatMap((d) => d.finish());
  }
}

const STOP_REASONS: Record<NonNullable<CaptureInfo['stoppedBy']>, string> = {
  'pcap.caplen_too_large': 'a record header claims a length no capture can hold; nothing after it can be framed',
  'pcapng.bad_block_length': 'a block length is impossible; nothing after it can be framed',
  'pcapng.bad_section_header': 'a section header has a bad byte-order magic; nothing after it can be read',
};

/** How much of the file was not analysed, when any was: reading stopped at damage, or the file is cut. */
function notAnalysed(info: CaptureInfo): { notAnalysed?: Report['capture']['notAnalysed'] } {
  if ((info.stoppedBy === undefined && !info.truncated) || info.skippedBytes <= 0) return {};
  const share = info.bytesRead > 0 ? Math.round((info.skippedBytes / info.bytesRead) * 10_000) / 10_000 : 1;
  return {
    notAnalysed: {
      bytes: info.skippedBytes,
      share,
      afterFrame: info.stoppedAtFrame ?? info.frames,
      reason: info.stoppedBy !== undefined ? `${info.stoppedBy}: ${STOP_REASONS[info.stoppedBy]}` : 'the file ends inside a record',
    },
  };
}

/** The hosts the capture shows one-sided, when there are any (see CaptureView). */
function oneSided(view: CaptureView): { oneSided?: Report['capture']['oneSided'] } {
  const hosts = view.hosts();
  return hosts.length === 0 ? {} : { oneSided: { hosts: hosts.length, examples: hosts.slice(0, ONE_SIDED_EXAMPLES) } };
}

/** Errors first, then by time, kind and id: stable, so two runs diff cleanly. */
export function compareFindings(a: Pick<Finding, 'severity' | 'start' | 'kind' | 'id'>, b: Pick<Finding, 'severity' | 'start' | 'kind' | 'id'>): number {
  return severityRank(b.severity) - severityRank(a.severity) || a.start - b.start || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Statistics objects from the reconstructors, flattened to `a.b` → number for the report. */
function flattenNumbers(value: unknown, prefix = '', out: Record<string, number> = {}): Record<string, number> {
  if (typeof value === 'number') {
    out[prefix] = value;
  } else if (value instanceof Map) {
    for (const [k, v] of [...value.entries()].sort()) flattenNumbers(v, prefix ? `${prefix}.${String(k)}` : String(k), out);
  } else if (value && typeof value === 'object') {
    for (const k of Object.keys(value).sort()) flattenNumbers((value as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

/** Analyses one capture file (`-` for stdin) into a report. Throws CaptureFormatError only when nothing is readable. */
export async function analyzeFile(path: string, options: Partial<AnalyzeOptions> = {}): Promise<Report> {
  const analysis = new Analysis(options);
  const onProgress = options.onProgress;
  const info = await readCapture(path, (f) => analysis.frame(f), analysis.anomalies, {
    onProgress: onProgress ? (read, total) => onProgress(read, total, analysis.packets) : undefined,
  });
  return analysis.finish(path, info);
}
