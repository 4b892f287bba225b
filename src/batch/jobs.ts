// The two jobs a batch hands to its workers (threads of this process, or `dualscope worker`s on a
// queue). Both are plain data in and plain data out, so they cross a thread or a Redis queue as
// they are; the worker writes the file's own reports, and the coordinator alone writes the index.
//
// scan:    read every frame (no decoding) for the facts that group files into capture sets.
// analyze: one file, with the tail of the previous files of its set as lead-in and the head of the
//          next ones as run-out (see OwnedRange in analyze.ts). A file of a set of several files
//          numbers every frame it reads — its own and its neighbours' — by the file's slot in the
//          set: frame n of the file in slot s is s × SET_FRAME_BASE + n. Positions and evidence
//          frames are then those of one trace across the whole set, so the detectors that sum up
//          at finish hand the coordinator states it merges in set order (set-merge.ts); the file's
//          report maps every evidence frame back to its own file's number and names that file when
//          it is not the report's own.
import { serialize } from 'node:v8';
import { CaptureFormatError, secondsToMicros, type Micros } from '../core/index.js';
import { readCapture, RenumberedFrame, StopReading } from '../readers/index.js';
import { renderHtmlChunks, renderJsonChunks, type Finding, type Report } from '../report/index.js';
import { Analysis, SUMMING_STATE_VERSION, type AnalyzeOptions, type PieceResult } from '../analyze.js';
import { analyzePiece, type PieceJob } from './pieces.js';
import type { ScanFacts } from './batch-index.js';
import { writeFileAtomically } from './write-file.js';

/**
 * The frames of the file in slot s of a capture set are numbered from s × SET_FRAME_BASE: room for
 * 4 G frames per file (a pcap record takes 16 bytes at least: 64 GB and more) and 2 M slots below
 * 2^53. A file with more frames than that is analysed alone (run-batch.ts).
 */
export const SET_FRAME_BASE = 2 ** 32;
export const MAX_SET_SLOT = Math.floor(Number.MAX_SAFE_INTEGER / SET_FRAME_BASE) - 1;

/** Where a set-numbered frame lies: its file's slot, and its number in that file. */
export function setFrame(frame: number): { slot: number; frame: number } {
  const slot = Math.floor(frame / SET_FRAME_BASE);
  return { slot, frame: frame - slot * SET_FRAME_BASE };
}

export interface ScanJob {
  readonly type: 'scan';
  readonly path: string;
}

export interface AnalyzeJob {
  readonly type: 'analyze';
  readonly path: string;
  /** Previous files of the set, oldest first: their frames at or after `fromTime` are the lead-in. */
  readonly leadIn: { readonly paths: readonly string[]; readonly fromTime: Micros } | null;
  /** Next files of the set, in order: their frames up to `untilTime` are the run-out. */
  readonly runOut: { readonly paths: readonly string[]; readonly untilTime: Micros } | null;
  readonly reportJson: string | null;
  readonly reportHtml: string | null;
  readonly options: JobAnalyzeOptions;
  /** A file of a capture set of several files (see the top); null: a file alone. */
  readonly member: SetMemberJob | null;
}

export interface SetMemberJob {
  /** The file's slot in its set: its frames are numbered from slot × SET_FRAME_BASE. */
  readonly slot: number;
  /** Each context file's slot, in contextFiles order. */
  readonly contextSlots: readonly number[];
  /** The set's last file is this one or its run-out's last: a run-out read to its end saw the capture end. */
  readonly endsSet: boolean;
}

/** The analysis options a job carries (plain values: they cross threads and Redis). */
export interface JobAnalyzeOptions {
  readonly dnsTimeout?: number | undefined;
  readonly slowLookup?: number | undefined;
  readonly generatedAt?: string | undefined;
  /** Detector options by kind (plain data), e.g. a smaller bound in a test of the merge. */
  readonly detect?: AnalyzeOptions['detect'] | undefined;
}

export type Job = ScanJob | AnalyzeJob | PieceJob;

export type JobResult =
  | { readonly ok: true; readonly type: 'scan'; readonly path: string; readonly facts: ScanFacts }
  | {
      readonly ok: true;
      readonly type: 'analyze';
      readonly path: string;
      readonly facts: ScanFacts;
      readonly findings: unknown[];
      readonly context: string[];
      /**
       * A set member's SummingState (what the detectors that sum up at finish counted of its own
       * records), v8-serialized and base64-encoded: it holds Maps and Sets, and crosses a thread or
       * a Redis queue (JSON) alike. Null for a file alone.
       */
      readonly summing: string | null;
      /**
       * The SUMMING_STATE_VERSION of the build that made `summing` (a `--queue` worker may run
       * another dualscope than its coordinator, which merges only states of its own version).
       */
      readonly summingVersion: number;
      /** The member's slot (null for a file alone). */
      readonly slot: number | null;
    }
  | { readonly ok: true; readonly type: 'piece'; readonly path: string; readonly result: PieceResult }
  | { readonly ok: false; readonly type: Job['type']; readonly path: string; readonly error: string };

/** Runs a job. An unusable file is a result (ok: false, one line), never a throw. */
export async function runJob(job: Job, onPackets?: (packets: number) => void): Promise<JobResult> {
  try {
    if (job.type === 'piece') return analyzePiece(job);
    return job.type === 'scan' ? await scan(job) : await analyzeJob(job, onPackets);
  } catch (e) {
    const why = e instanceof CaptureFormatError ? e.message : `${job.path}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
    return { ok: false, type: job.type, path: job.path, error: why };
  }
}

async function scan(job: ScanJob): Promise<JobResult> {
  let packets = 0;
  let first = Number.NaN;
  let last = Number.NaN;
  const analysis = new Analysis(); // only for its anomaly counter; frames are not decoded
  const info = await readCapture(job.path, (f) => {
    packets++;
    if (Number.isNaN(first)) first = f.time;
    if (!(f.time <= last)) last = f.time;
  }, analysis.anomalies);
  return {
    ok: true,
    type: 'scan',
    path: job.path,
    facts: {
      format: info.format ?? null,
      linkTypes: info.linkTypes,
      packets,
      firstTime: Number.isNaN(first) ? null : first,
      lastTime: Number.isNaN(last) ? null : last,
      truncated: info.truncated || info.skippedBytes > 0,
    },
  };
}

async function analyzeJob(job: AnalyzeJob, onPackets?: (packets: number) => void): Promise<JobResult> {
  // The analysis is gone by the time the reports are written: what it holds after finishing
  // (trackers, detector state: edge 400 k, 19 MB after a full collection) is not kept beside the
  // report while a worker writes it.
  const { report, summing } = await analysedReport(job, onPackets);
  if (job.reportJson) writeFileAtomically(job.reportJson, renderJsonChunks(report));
  if (job.reportHtml) writeFileAtomically(job.reportHtml, renderHtmlChunks(report));
  const c = report.capture;
  return {
    ok: true,
    type: 'analyze',
    path: job.path,
    facts: { format: c.format, linkTypes: c.linkTypes.map((l) => l.value), packets: c.packets, firstTime: c.firstTime, lastTime: c.lastTime, truncated: c.truncated || c.skippedBytes > 0 },
    findings: report.findings,
    context: contextFiles(job),
    summing,
    summingVersion: SUMMING_STATE_VERSION,
    slot: job.member?.slot ?? null,
  };
}

/** The job's file analysed (with its lead-in and run-out): its report, and a set member's summing state (base64). */
async function analysedReport(job: AnalyzeJob, onPackets?: (packets: number) => void): Promise<{ report: Report; summing: string | null }> {
  const o = job.options;
  const context = contextFiles(job);
  const member = job.member;
  const base = member === null ? 0 : member.slot * SET_FRAME_BASE;
  const options: Partial<AnalyzeOptions> = {
    ...jobAnalyzeOptions(o),
    owned: member !== null ? { firstFrame: base + 1, lastFrame: base + SET_FRAME_BASE - 1 } : undefined,
    pieceOfFile: member !== null,
    onProgress: onPackets ? (_read, _total, packets) => onPackets(packets) : undefined,
  };
  const analysis = new Analysis(options);
  const renumbered = new RenumberedFrame();
  let stopped = false;
  // A neighbour that cannot be read (any more) costs its context, not this file's analysis.
  const readContext = async (path: string, k: number, from: Micros, until: Micros): Promise<void> => {
    renumbered.offset = member!.contextSlots[k]! * SET_FRAME_BASE;
    await readCapture(path, (f) => {
      if (f.time > until) {
        stopped = true;
        throw new StopReading();
      }
      if (f.time < from) return;
      renumbered.inner = f;
      analysis.frame(renumbered);
    }, analysis.anomalies).catch((e: unknown) => {
      if (!(e instanceof StopReading) && !(e instanceof CaptureFormatError)) throw e;
    });
  };
  const lead = job.leadIn?.paths ?? [];
  for (const [k, p] of lead.entries()) await readContext(p, k, job.leadIn!.fromTime, Number.POSITIVE_INFINITY);
  const onProgress = options.onProgress ? (read: number, total: number | undefined) => options.onProgress!(read, total, analysis.packets) : undefined;
  const info =
    member === null
      ? await readCapture(job.path, (f) => analysis.frame(f), analysis.anomalies, { onProgress })
      : await readCapture(job.path, (f) => {
          renumbered.offset = base;
          renumbered.inner = f;
          analysis.frame(renumbered);
        }, analysis.anomalies, { onProgress });
  if (job.runOut) for (const [k, p] of job.runOut.paths.entries()) await readContext(p, lead.length + k, Number.NEGATIVE_INFINITY, job.runOut.untilTime);
  let report: Report;
  let summing: string | null = null;
  if (member === null) {
    report = analysis.finish(job.path, info);
  } else {
    const pathOfSlot = new Map<number, string>(context.map((p, k) => [member.contextSlots[k]!, p]));
    pathOfSlot.set(member.slot, job.path);
    const finished = analysis.finishMember(job.path, info, member.endsSet && !stopped);
    report = mapSetFrames(finished.report, member.slot, pathOfSlot);
    summing = serialize(finished.summing).toString('base64');
  }
  return { report, summing };
}

/** A job's plain options as analysis options. */
export function jobAnalyzeOptions(o: JobAnalyzeOptions): Partial<AnalyzeOptions> {
  return {
    dns: o.dnsTimeout !== undefined ? { unansweredAfterMicros: secondsToMicros(o.dnsTimeout) } : {},
    detect: { ...o.detect, ...(o.slowLookup !== undefined ? { 'dns.slow_lookup': { ...o.detect?.['dns.slow_lookup'], slowMicros: secondsToMicros(o.slowLookup) } } : {}) },
    generatedAt: o.generatedAt,
  };
}

/** The job's context files in reading order; the k-th is numbered from (k + 1) × CONTEXT_BASE. */
export const contextFiles = (job: AnalyzeJob): string[] => [...(job.leadIn?.paths ?? []), ...(job.runOut?.paths ?? [])];

/**
 * A finding (incident or occurrence) of the file in slot `ownSlot`, its frames set-numbered (see
 * the top): each evidence frame gets its own file's number and names that file when it is not the
 * report's own; the display filter's `frame.number` set keeps only the report's own frames (the
 * others would open the wrong packets there), and an id made of the kind and frames (`kind:frame…`;
 * path.fallback_delay's `kind:first:success`) takes those frames' own numbers, as do the frames its
 * details name (`…Frame`, `…Frames`: the evidence says which file holds them).
 */
export function mapFindingFrames<F extends Finding>(f: F, ownSlot: number, pathOfSlot: ReadonlyMap<number, string>): F {
  const evidence = f.evidence.map((e) => {
    const at = setFrame(e.frame);
    const file = at.slot === ownSlot ? undefined : pathOfSlot.get(at.slot);
    const { frame: _set, file: _none, ...rest } = e;
    // The report's key order: frame, file, then the rest.
    return file === undefined ? { frame: at.frame, ...rest } : { frame: at.frame, file, ...rest };
  });
  const displayFilter = f.displayFilter.replace(/frame\.number in \{([^}]*)\}/, (_m, list: string) => {
    const own = list.split(/\s+/).filter((n) => n !== '' && setFrame(Number(n)).slot === ownSlot).map((n) => setFrame(Number(n)).frame);
    return `frame.number in {${own.join(' ')}}`;
  });
  const id = f.id.replace(/^([^:@]+)((?::\d+)+)/, (_m, kind: string, frames: string) => kind + frames.replace(/\d+/g, (n) => String(setFrame(Number(n)).frame)));
  // Frames a detector names in its details (aAnswerFrame, reaskFrames …): their own files' numbers,
  // and beside them (`aAnswerFrameFile`, `reaskFramesFiles`) the files holding them when any is not
  // the report's own.
  const details: Finding['details'] = {};
  const fileOf = (n: number): string => pathOfSlot.get(setFrame(n).slot) ?? '';
  for (const [k, v] of Object.entries(f.details)) {
    if (/Frames?$/.test(k) && typeof v === 'number') {
      details[k] = setFrame(v).frame;
      if (setFrame(v).slot !== ownSlot) details[`${k}File`] = fileOf(v);
    } else if (/Frames$/.test(k) && Array.isArray(v) && v.every((n) => typeof n === 'number')) {
      const frames = v as number[];
      details[k] = frames.map((n) => setFrame(n).frame);
      if (frames.some((n) => setFrame(n).slot !== ownSlot)) details[`${k}Files`] = frames.map(fileOf);
    } else {
      details[k] = v;
    }
  }
  return { ...f, id, evidence, displayFilter, details };
}

/**
 * A set member's report with its frames back in its own file's numbers (mapFindingFrames for every
 * incident and occurrence; the timeline's marks and the one-sided examples of its own frames).
 * Marks drawn from a neighbour's frames keep their set numbers: a mark names no file.
 */
function mapSetFrames(report: Report, slot: number, pathOfSlot: ReadonlyMap<number, string>): Report {
  const own = (n: number): number => (setFrame(n).slot === slot ? setFrame(n).frame : n);
  const findings = report.findings.map((i) => {
    const occurrences = i.occurrences.map((o) => mapFindingFrames(o, slot, pathOfSlot));
    // The incident names occurrences by id (its representatives, where its path MTU came from).
    const renamed = new Map(i.occurrences.map((o, k) => [o.id, occurrences[k]!.id]));
    const incident = renameOccurrenceRefs(mapFindingFrames(i, slot, pathOfSlot), renamed);
    return { ...incident, occurrences };
  });
  const lanes = report.timeline.lanes.map((l) => ({ ...l, marks: l.marks.map((m) => ({ ...m, frame: own(m.frame), frames: m.frames.map(own) })) }));
  const oneSided = report.capture.oneSided;
  const capture = oneSided === undefined ? report.capture : { ...report.capture, oneSided: { ...oneSided, examples: oneSided.examples.map((x) => ({ ...x, frame: own(x.frame) })) } };
  return { ...report, capture, findings, timeline: { ...report.timeline, lanes } };
}

/**
 * The incident's references to its occurrences (representatives, where its path MTU came from)
 * renamed; only those fields: a capture's strings (a DNS name) may spell an id too.
 */
function renameOccurrenceRefs<I extends Report['findings'][number]>(incident: I, renamed: ReadonlyMap<string, string>): I {
  const ref = (id: string): string => renamed.get(id) ?? id;
  const { first, worst, last } = incident.representatives;
  const mtu = incident.pathMtu;
  return {
    ...incident,
    representatives: { first: ref(first), worst: ref(worst), last: ref(last) },
    ...(mtu === undefined ? {} : { pathMtu: { ...mtu, minFrom: mtu.minFrom === null ? null : ref(mtu.minFrom), maxFrom: mtu.maxFrom === null ? null : ref(mtu.maxFrom) } }),
  };
}
