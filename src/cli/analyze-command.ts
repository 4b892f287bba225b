// `dualscope analyze FILE…`: each input analysed on its own; a terminal summary, and JSON + HTML
// reports in the output folder (or where --json/--html say). Exit status: see exitStatus().
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { CaptureFormatError, secondsToMicros, UsageError } from '../core/index.js';
import { severityRank, type Severity } from '../detect/index.js';
import { checkJsonReport, renderHtmlChunks, renderJsonChunks, renderText, terminalSafe, type Report } from '../report/index.js';
import { analyzeFile, type AnalyzeOptions } from '../analyze.js';
import type { AnalyzeCliOptions } from './options.js';
import { checkOutputPath, checkOutputPaths, refuseExisting, STDOUT, writeAtomically } from './output.js';
import { writeCapture } from './capture-output.js';
import { ProgressLine } from './progress.js';
import { capSemiSpaces } from './heap.js';

export const EXIT = { ok: 0, findings: 1, unusable: 2, internal: 3 } as const;

export interface AnalyzeOutcome {
  verdicts: ReportVerdict[];
  failedInputs: number;
  exitCode: number;
}

/**
 * What the exit status needs of one report. Kept for each input in place of the report: a report
 * (its incidents, occurrences and timeline: tens of MB on an incident-rich capture) is dropped once
 * it is written, so analysing many files holds one report at a time.
 */
export interface ReportVerdict {
  /** The capture was truncated or damaged (--strict). */
  damaged: boolean;
  /** The most severe finding's severity; undefined without findings (--fail-on). */
  worst: Severity | undefined;
}

export function verdictOf(report: Report): ReportVerdict {
  let worst: Severity | undefined;
  for (const f of report.findings) if (worst === undefined || severityRank(f.severity) > severityRank(worst)) worst = f.severity;
  return { damaged: report.capture.truncated || report.capture.skippedBytes > 0, worst };
}

export async function runAnalyze(files: string[], o: AnalyzeCliOptions): Promise<AnalyzeOutcome> {
  if (files.length > 1 && (o.json || o.html)) throw new UsageError('--json/--html name one file; with several inputs use --out DIR');
  if (o.annotate !== undefined) checkAnnotate(files, o.annotate, o.force);
  const targets = files.map((f) => outputPaths(f, o));
  // Refuse before any work: an hour-long analysis should not end in "file exists".
  if (!o.force) {
    for (const t of targets) refuseExisting([t.json, t.html]);
  }
  const seen = new Set<string>();
  for (const t of targets) for (const p of [t.json, t.html]) {
    if (!p) continue;
    if (seen.has(p)) throw new UsageError(`two inputs would write ${p}; rename one or analyse them separately`);
    seen.add(p);
  }
  for (const t of targets) checkOutputPaths([t.json, t.html]);

  const verdicts: ReportVerdict[] = [];
  let failedInputs = 0;
  // One thread (the default): every analysis runs here, on the main thread (heap.ts says why
  // only then).
  if ((o.jobs ?? 1) === 1) capSemiSpaces();
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    const progress = !o.quiet && process.stderr.isTTY ? new ProgressLine(basename(file)) : undefined;
    let report: Report;
    try {
      // One thread unless asked: on this 2-core machine one thread already keeps ~1.3 cores busy
      // (V8's compiler and collector threads) and splitting adds work (lead-ins, run-outs, the
      // cutting pass): --jobs 2 on the easy bench file is about break-even (README, "One large file
      // on every core").
      const jobs = o.jobs ?? 1;
      // The batch layer (worker threads, and the SQLite index beside them) is loaded only for --jobs:
      // see program() on start-up costs.
      const pieces = jobs > 1 ? await import('../batch/index.js') : undefined;
      report = pieces !== undefined && pieces.shouldSplit(file, jobs)
        ? await pieces.analyzeInPieces(file, {
            jobs,
            analyze: { dnsTimeout: o.dnsTimeout, slowLookup: o.slowLookup, generatedAt: o.generatedAt },
            onProgress: analyzeOptions(o, progress).onProgress,
            ...(o.pieceContext !== undefined ? { contextSeconds: o.pieceContext } : {}),
          })
        : await analyzeFile(file, analyzeOptions(o, progress));
    } catch (e) {
      progress?.done();
      if (e instanceof CaptureFormatError) {
        process.stderr.write(`dualscope: ${terminalSafe(e.message)}\n`);
        failedInputs++;
        continue;
      }
      throw e;
    }
    progress?.done();
    verdicts.push(verdictOf(report));
    const t = targets[i]!;
    if (t.json) writeAtomically(t.json, renderJsonChunks(report), { checkFirst: () => checkJsonReport(report) });
    if (t.html) writeAtomically(t.html, renderHtmlChunks(report));
    let annotated: string | undefined;
    if (o.annotate !== undefined) {
      const out = o.annotate;
      const { annotateCapture } = await import('../share/index.js');
      const r = await writeCapture(out, () => annotateCapture(file, report.findings, out));
      annotated = `${out} (${r.annotated} evidence packet(s) commented)`;
    }
    if (!o.quiet) {
      // A report on standard output (`--json -`) keeps it clean: the summary goes to stderr then.
      const out = t.json === STDOUT || t.html === STDOUT ? process.stderr : process.stdout;
      out.write(renderText(report, { color: o.color && out.isTTY === true, width: 80, all: o.all || o.verbose }));
      const written = [t.json, t.html].filter(Boolean).join(', ');
      if (written) out.write(`\nreports: ${terminalSafe(written)}\n`);
      if (annotated) out.write(`annotated capture: ${terminalSafe(annotated)}\n`);
      if (i < files.length - 1) out.write('\n');
    }
  }
  return { verdicts, failedInputs, exitCode: exitStatus(verdicts, failedInputs, o) };
}

/**
 * 2 when an input was unusable (or, with --strict, damaged); else 1 when --fail-on is given and a
 * finding at or above that severity exists; else 0.
 */
export function exitStatus(verdicts: readonly ReportVerdict[], failedInputs: number, o: Pick<AnalyzeCliOptions, 'failOn' | 'strict'>): number {
  if (failedInputs > 0) return EXIT.unusable;
  if (o.strict && verdicts.some((v) => v.damaged)) return EXIT.unusable;
  if (o.failOn !== undefined) {
    const min = severityRank(o.failOn as Severity);
    if (verdicts.some((v) => v.worst !== undefined && severityRank(v.worst) >= min)) return EXIT.findings;
  }
  return EXIT.ok;
}

/** --annotate reads the input a second time: one file, not stdin, and never the input itself. */
function checkAnnotate(files: readonly string[], out: string, force: boolean): void {
  if (files.length !== 1) throw new UsageError('--annotate names one file; give one input');
  if (files[0] === '-') throw new UsageError('--annotate reads the capture twice, so it needs a file, not standard input');
  if (resolve(files[0]!) === resolve(out)) throw new UsageError('--annotate must name a new file, not the input');
  if (!force && existsSync(out)) throw new UsageError(`${out} exists; use --force to overwrite it`);
  checkOutputPath(out);
}

function outputPaths(file: string, o: AnalyzeCliOptions): { json: string | undefined; html: string | undefined } {
  if (!o.write) return { json: o.json, html: o.html };
  if (o.json || o.html) return { json: o.json, html: o.html };
  const stem = file === '-' ? 'stdin' : basename(file).replace(/\.(gz|pcapng|pcap|cap)$/i, '').replace(/\.(pcapng|pcap|cap)$/i, '');
  return { json: join(o.out, `${stem}.json`), html: join(o.out, `${stem}.html`) };
}

function analyzeOptions(o: AnalyzeCliOptions, progress: ProgressLine | undefined): Partial<AnalyzeOptions> {
  return {
    dns: o.dnsTimeout !== undefined ? { unansweredAfterMicros: secondsToMicros(o.dnsTimeout) } : {},
    detect: o.slowLookup !== undefined ? { 'dns.slow_lookup': { slowMicros: secondsToMicros(o.slowLookup) } } : {},
    generatedAt: o.generatedAt,
    onProgress: progress ? (read, total, packets) => progress.update(read, total, packets) : undefined,
  };
}
