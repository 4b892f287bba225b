// The two jobs a batch hands to its workers (threads of this process, or `dualscope worker`s on a
// queue). Both are plain data in and plain data out, so they cross a thread or a Redis queue as
// they are; the worker writes the file's own reports, and the coordinator alone writes the index.
//
// scan:    read every frame (no decoding) for the facts that group files into capture sets.
// analyze: one file, with the tail of the previous files of its set as lead-in and the head of the
//          next ones as run-out (see OwnedRange in analyze.ts). The k-th context file's frames are
//          numbered from (k + 1) × CONTEXT_BASE, so the file's own frames keep their numbers, and
//          evidence in a context file is mapped back to that file's own numbers and names it.
import { CaptureFormatError, secondsToMicros, type Micros } from '../core/index.js';
import { readCapture, RenumberedFrame, StopReading } from '../readers/index.js';
import { renderHtml, renderJson, type Finding, type Report } from '../report/index.js';
import { Analysis, type AnalyzeOptions, type PieceResult } from '../analyze.js';
import { analyzePiece, type PieceJob } from './pieces.js';
import type { ScanFacts } from './batch-index.js';
import { writeFileAtomically } from './write-file.js';

/** Context files are numbered from multiples of this, far above any file's own frame numbers. */
export const CONTEXT_BASE = 2 ** 40;

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
}

/** The analysis options a job carries (plain values: they cross threads and Redis). */
export interface JobAnalyzeOptions {
  readonly dnsTimeout?: number | undefined;
  readonly slowLookup?: number | undefined;
  readonly generatedAt?: string | undefined;
}

export type Job = ScanJob | AnalyzeJob | PieceJob;

export type JobResult =
  | { readonly ok: true; readonly type: 'scan'; readonly path: string; readonly facts: ScanFacts }
  | { readonly ok: true; readonly type: 'analyze'; readonly path: string; readonly facts: ScanFacts; readonly findings: unknown[]; readonly context: string[] }
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
  const o = job.options;
  const context = contextFiles(job);
  const options: Partial<AnalyzeOptions> = {
    ...jobAnalyzeOptions(o),
    owned: context.length > 0 ? { firstFrame: 1, lastFrame: CONTEXT_BASE - 1 } : undefined,
    onProgress: onPackets ? (_read, _total, packets) => onPackets(packets) : undefined,
  };
  const analysis = new Analysis(options);
  const renumbered = new RenumberedFrame();
  // A neighbour that cannot be read (any more) costs its context, not this file's analysis.
  const readContext = async (path: string, from: Micros, until: Micros): Promise<void> => {
    renumbered.offset = CONTEXT_BASE * (context.indexOf(path) + 1);
    await readCapture(path, (f) => {
      if (f.time > until) throw new StopReading();
      if (f.time < from) return;
      renumbered.inner = f;
      analysis.frame(renumbered);
    }, analysis.anomalies).catch((e: unknown) => {
      if (!(e instanceof StopReading) && !(e instanceof CaptureFormatError)) throw e;
    });
  };
  if (job.leadIn) for (const p of job.leadIn.paths) await readContext(p, job.leadIn.fromTime, Number.POSITIVE_INFINITY);
  const info = await readCapture(job.path, (f) => analysis.frame(f), analysis.anomalies, {
    onProgress: options.onProgress ? (read, total) => options.onProgress!(read, total, analysis.packets) : undefined,
  });
  if (job.runOut) for (const p of job.runOut.paths) await readContext(p, Number.NEGATIVE_INFINITY, job.runOut.untilTime);
  const report = mapContextFrames(analysis.finish(job.path, info), context);
  if (job.reportJson) writeFileAtomically(job.reportJson, renderJson(report));
  if (job.reportHtml) writeFileAtomically(job.reportHtml, renderHtml(report));
  const c = report.capture;
  return {
    ok: true,
    type: 'analyze',
    path: job.path,
    facts: { format: c.format, linkTypes: c.linkTypes.map((l) => l.value), packets: c.packets, firstTime: c.firstTime, lastTime: c.lastTime, truncated: c.truncated || c.skippedBytes > 0 },
    findings: report.findings,
    context,
  };
}

/** A job's plain options as analysis options. */
export function jobAnalyzeOptions(o: JobAnalyzeOptions): Partial<AnalyzeOptions> {
  return {
    dns: o.dnsTimeout !== undefined ? { unansweredAfterMicros: secondsToMicros(o.dnsTimeout) } : {},
    detect: o.slowLookup !== undefined ? { 'dns.slow_lookup': { slowMicros: secondsToMicros(o.slowLookup) } } : {},
    generatedAt: o.generatedAt,
  };
}

/** The job's context files in reading order; the k-th is numbered from (k + 1) × CONTEXT_BASE. */
export const contextFiles = (job: AnalyzeJob): string[] => [...(job.leadIn?.paths ?? []), ...(job.runOut?.paths ?? [])];

/**
 * Evidence frames from a context file get that file's own number and name it; a display filter's
 * `frame.number` set keeps only this file's frames (the others would open the wrong packets here).
 */
function mapContextFrames(report: Report, context: readonly string[]): Report {
  if (context.length === 0) return report;
  const inContext = (f: Finding): boolean => f.evidence.some((e) => e.frame >= CONTEXT_BASE);
  const mapped = <F extends Finding>(f: F): F => {
    if (!inContext(f)) return f;
    const evidence = f.evidence.map((e) => {
      if (e.frame < CONTEXT_BASE) return e;
      const k = Math.floor(e.frame / CONTEXT_BASE);
      return { ...e, frame: e.frame - k * CONTEXT_BASE, file: context[k - 1]! };
    });
    const displayFilter = f.displayFilter.replace(/frame\.number in \{([^}]*)\}/, (_m, list: string) => {
      const own = list.split(/\s+/).filter((n) => n !== '' && Number(n) < CONTEXT_BASE);
      return `frame.number in {${own.join(' ')}}`;
    });
    return { ...f, evidence, displayFilter };
  };
  // An incident and each of its occurrences: every evidence list may hold context frames.
  const findings = report.findings.map((i) => (inContext(i) || i.occurrences.some(inContext) ? { ...mapped(i), occurrences: i.occurrences.map(mapped) } : i));
  return { ...report, findings };
}
