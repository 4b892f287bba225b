// The loop: frames → packets → trackers → records → detectors → report. The same Analysis object
// serves a file, stdin, an upload arriving over HTTP and a live capture: feed frames, then finish.
import { Anomalies, linkTypeName, type Micros } from './core/index.js';
import { readCapture, type CaptureInfo, type Frame } from './readers/index.js';
import { PacketDecoder } from './decode/index.js';
import { DnsReconstructor, PathReconstructor, TimelineCollector, type DnsOptions, type DnsRecord, type PathOptions, type PathRecord, type TimelineOptions } from './reconstruct/index.js';
import { createDetectors, DETECTORS, FindingSet, type CaptureView, IncidentGrouper, severityRank, type Detector, type DetectOptions, type DetectorRegistry, type Finding, type IncidentUpdate } from './detect/index.js';
import { buildTimeline, ONE_SIDED_EXAMPLES, reportedIncident, SCHEMA_VERSION, type Report, type TimelineLane } from './report/index.js';
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

  constructor(options: Partial<AnalyzeOptions> = {}) {
    this.#options = { ...DEFAULT_ANALYZE_OPTIONS, ...options };
    this.#decoder = new PacketDecoder(this.anomalies, { reusePackets: true });
    const detectors = createDetectors(this.#options.detect, this.#options.detectors);
    this.#dnsDetectors = detectors.dns;
    this.#pathDetectors = detectors.path;
    this.#view = detectors.view;
    this.#dns = new DnsReconstructor(this.#options.dns, (r) => this.#observe(this.#dnsDetectors, r));
    this.#path = new PathReconstructor(this.#options.path, (r) => this.#observe(this.#pathDetectors, r));
    this.#timeline = new TimelineCollector(this.#options.timeline);
    if (this.#options.onIncident) this.#liveIncidents = new IncidentGrouper();
  }

  /** One frame. The only try/catch on the per-packet path: a decoder bug costs one frame, not the file. */
  frame(frame: Frame): void {
    const t = frame.time;
    const owned = this.#owns(frame.index);
    if (owned) {
      this.#packets++;
      if (Number.isNaN(this.#first)) this.#first = t;
      if (t > this.#last || Number.isNaN(this.#last)) this.#last = t;
    }
    try {
      const p = this.#decoder.decode(frame);
      if (p !== undefined) {
        this.#dns.packet(p);
        this.#path.packet(p);
        if (owned) this.#timeline.packet(p);
      } else {
        const arp = this.#decoder.takeArp();
        if (arp !== undefined) this.#path.arp(arp, frame.index, t);
      }
      if (t >= this.#nextExpire) {
        this.#nextExpire = t + EXPIRE_STEP;
        this.#decoder.expire(t);
        this.#dns.expire(t);
        this.#path.expire(t);
      }
    } catch {
      this.anomalies.note('analyze.decode_exception');
    }
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
    if (this.#options.owned === undefined || f.evidence.length === 0) return true;
    let earliest = f.evidence[0]!;
    for (const e of f.evidence) if (e.time < earliest.time) earliest = e; // ties: the one listed first
    return this.#owns(earliest.frame);
  }

  /** Every detector sees the record. An indexed loop: a for-of iterator per record was measurable. */
  #observe<R>(detectors: readonly Detector<R>[], r: R): void {
    for (let i = 0; i < detectors.length; i++) {
      const found = detectors[i]!.observe(r);
      if (found.length > 0) this.#add(detectors[i]!, found);
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
    if (!Number.isNaN(this.#last)) {
      for (const d of this.#dnsDetectors) d.captureEnd?.(this.#last);
      for (const d of this.#pathDetectors) d.captureEnd?.(this.#last);
    }
    this.#dns.finish();
    this.#path.finish();
    for (const d of this.#dnsDetectors) this.#finishDetector(d);
    for (const d of this.#pathDetectors) this.#finishDetector(d);
    // The grouping stage: this analysis's occurrences (in a stable order) → one incident per cause.
    const grouper = new IncidentGrouper();
    for (const f of this.#findings.values().filter((f) => this.#ownsFinding(f)).sort(compareFindings)) grouper.add(f);
    const incidents = grouper.incidents();
    const counts = { info: 0, warning: 0, error: 0, occurrences: 0 };
    for (const i of incidents) {
      counts[i.severity]++;
      counts.occurrences += i.count;
    }
    const first = Number.isNaN(this.#first) ? null : this.#first;
    const last = Number.isNaN(this.#last) ? null : this.#last;
    return {
      schemaVersion: SCHEMA_VERSION,
      tool: { name: 'dualscope', version: TOOL_VERSION },
      generatedAt: this.#options.generatedAt ?? new Date().toISOString(),
      capture: {
        file,
        format: info.format ?? null,
        gzip: info.gzip,
        byteOrder: info.byteOrder ?? null,
        resolution: info.resolution ?? null,
        linkTypes: info.linkTypes.map((value) => ({ value, name: linkTypeName(value) })),
        interfaces: info.interfaces.length,
        packets: this.#packets,
        bytes: info.bytesRead,
        firstTime: first,
        lastTime: last,
        durationMicros: first !== null && last !== null ? last - first : 0,
        truncated: info.truncated,
        skippedBytes: info.skippedBytes,
        droppedByCapture: info.droppedByInterface ?? null,
        ...notAnalysed(info),
        ...oneSided(this.#view),
      },
      anomalies: this.anomalies.toRecord(),
      statistics: this.#statistics(),
      counts,
      findings: incidents.map(reportedIncident),
      timeline: buildTimeline(incidents, this.#timeline, { contextLanes: this.#options.contextLanes, laneOf: this.#laneOf }),
    };
  }

  /** The lane kind of a finding's own evidence lane, from its detector's registry entry. */
  readonly #laneOf = (kind: string): TimelineLane['kind'] => this.#options.detectors.find((d) => d.kind === kind)?.lane ?? 'tcp';

  #statistics(): Report['statistics'] {
    const { icmpErrors, icmpMatched, icmpUnmatched, ...tcp } = this.#path.stats();
    return {
      dns: flattenNumbers(this.#dns.stats()),
      tcp: flattenNumbers(tcp),
      icmp: flattenNumbers({ byType: icmpErrors, matchedToFlow: icmpMatched, unmatched: icmpUnmatched }),
    };
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
