// `dualscope batch PATH…`: many archived captures into one index (and per-file reports, and a
// fleet report), on a local worker-thread pool. See docs/batch.md.
import { Command, Option } from 'commander';
import { z } from 'zod';
import { UsageError } from '../core/index.js';
import { SEVERITIES, severityRank, type Severity } from '../detect/index.js';
import { terminalSafe } from '../report/index.js';
import {
  BatchIndex,
  buildFleetReport,
  checkRedis,
  defaultJobs,
  DEFAULT_WATCH_OPTIONS,
  expandInputs,
  QueueRunner,
  renderFleetHtml,
  renderFleetJson,
  runBatch,
  ThreadPool,
  watchInputs,
  type BatchOptions,
  type BatchSummary,
  type FileRow,
  type JobRunner,
} from '../batch/index.js';
import { resolve, sep } from 'node:path';
import { annotateCapture, findingsInCapture, type SharedFinding } from '../share/index.js';
import { EXIT } from './analyze-command.js';
import { annotationTargets, makeAnnotateFolder, writeCapture } from './capture-output.js';
import { parseOptions } from './options.js';
import { checkOutputPaths, writeAtomically } from './output.js';

const seconds = (name: string, max = 3600) =>
  z.coerce.number({ error: `${name} must be a number of seconds` }).min(0, `${name} must be 0 or more`).max(max, `${name} must be at most ${max} s`);

export const BatchCliOptions = z.object({
  index: z.string().min(1).default('dualscope-index.sqlite'),
  out: z.string().min(1).default('reports'),
  write: z.boolean().default(true),
  jobs: z.coerce.number().int('--jobs must be a whole number').min(1, '--jobs must be at least 1').max(256, '--jobs must be at most 256').optional(),
  sets: z.boolean().default(true),
  setGap: seconds('--set-gap', 86_400).default(60),
  leadIn: seconds('--lead-in').default(60),
  runOut: seconds('--run-out').default(60),
  json: z.string().min(1).optional(),
  html: z.string().min(1).optional(),
  failOn: z.enum(SEVERITIES, { error: `--fail-on must be one of ${SEVERITIES.join(', ')}` }).optional(),
  dnsTimeout: seconds('--dns-timeout').positive('--dns-timeout must be above 0').optional(),
  slowLookup: seconds('--slow-lookup').positive('--slow-lookup must be above 0').optional(),
  strict: z.boolean().default(false),
  quiet: z.boolean().default(false),
  generatedAt: z.iso.datetime({ error: '--generated-at must be an ISO 8601 UTC time such as 2026-01-01T00:00:00Z' }).optional(),
  watch: z.boolean().default(false),
  settle: seconds('--settle').positive('--settle must be above 0').default(DEFAULT_WATCH_OPTIONS.settle),
  poll: seconds('--poll').positive('--poll must be above 0').default(DEFAULT_WATCH_OPTIONS.poll),
  queue: z.string().min(1).optional(),
  annotate: z.string().min(1).optional(),
});
export type BatchCliOptions = z.infer<typeof BatchCliOptions>;

export function registerBatchCommand(cmd: Command): void {
  cmd
    .command('batch')
    .description('analyse many captures (files, folders, globs, @list.txt) in parallel into an index; see docs/batch.md')
    .argument('<paths...>', 'capture files, folders (recursive), globs, or @FILE listing them')
    .option('--index <file>', 'the SQLite index to create or resume', 'dualscope-index.sqlite')
    .option('-o, --out <dir>', "folder for each file's NAME.json and NAME.html", 'reports')
    .option('--no-write', 'write no per-file reports, only the index')
    .option('-j, --jobs <n>', 'worker threads (default: the number of cores)')
    .option('--no-sets', 'analyse every file on its own, even when files continue each other')
    .option('--set-gap <seconds>', "longest pause between a file's last packet and the next file's first for them to be one capture set", '60')
    .option('--lead-in <seconds>', "how much of the previous file of a set is read before a file (state only)", '60')
    .option('--run-out <seconds>', 'how much of the next file of a set is read after a file (to settle what is pending)', '60')
    .option('--annotate <dir>', 'write each analysed capture as DIR/NAME.annotated.pcapng with its findings as packet comments (refreshed on every run)')
    .option('--json <path>', 'write the fleet report (JSON) here')
    .option('--html <path>', 'write the fleet report (HTML) here')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding at or above this severity exists').choices(['info', 'warning', 'error']))
    .option('--dns-timeout <seconds>', 'a DNS query unanswered this long counts as unanswered')
    .option('--slow-lookup <seconds>', 'report lookups slower than this as dns.slow_lookup')
    .option('--strict', 'exit 2 when a capture is truncated or damaged (the rest is still analysed)')
    .option('-q, --quiet', 'no progress and no summary')
    .option('--generated-at <iso-time>', 'fix the report time (for reproducible reports)')
    .option('--watch', 'keep watching the inputs and analyse new files once they stop growing; stop with SIGINT/SIGTERM')
    .option('--settle <seconds>', 'with --watch: a file unchanged this long has stopped growing', String(DEFAULT_WATCH_OPTIONS.settle))
    .option('--poll <seconds>', 'with --watch: seconds between looks', String(DEFAULT_WATCH_OPTIONS.poll))
    .option('--queue <url>', 'run the jobs on `dualscope worker`s through BullMQ on Redis (redis://HOST:PORT) instead of local threads')
    .action(async (paths: string[], raw: Record<string, unknown>) => {
      const o = parseOptions(BatchCliOptions, raw);
      process.exitCode = await runBatchCommand(paths, o);
    });
}

export async function runBatchCommand(inputs: string[], o: BatchCliOptions): Promise<number> {
  checkOutputPaths([o.index, o.json, o.html]);
  const expanded = expandInputs(inputs);
  if (!o.watch) {
    for (const m of expanded.missing) process.stderr.write(`dualscope: ${terminalSafe(m)}: no such file, or no capture matched\n`);
    if (expanded.files.length === 0) throw new UsageError('no capture files to analyse');
  }
  const annotated = o.annotate !== undefined ? annotationPlan(o.annotate, expanded.files, o.watch) : undefined;
  if (o.queue !== undefined) await checkRedis(o.queue); // before the index is created: an unreachable Redis changes nothing
  const index = new BatchIndex(o.index);
  let runner: JobRunner | undefined;
  try {
    runner = o.queue !== undefined ? await QueueRunner.open(o.queue, (path) => index.file(path)?.fingerprint ?? '') : new ThreadPool(o.jobs ?? defaultJobs());
    if (o.watch) return await watchCommand(inputs, index, runner, o);
    const progress = !o.quiet && process.stderr.isTTY ? new BatchProgress() : undefined;
    let summary: BatchSummary;
    try {
      summary = await runBatch(expanded.files, index, runner, batchOptions(o), progress?.events());
    } finally {
      progress?.done();
    }
    writeFleetReports(index, summary.files, o);
    if (!o.quiet) printSummary(summary, index, o);
    if (annotated !== undefined) await annotateFiles(index, summary.files, annotated, o);
    return batchExitStatus(summary, index, o, expanded.missing.length);
  } finally {
    await runner?.close();
    index.close();
  }
}

/**
 * --annotate DIR: where each input's annotated copy goes. Batch copies are refreshed on every run
 * (as its reports are), but DIR must not hold inputs: its copies would be analysed next time.
 */
function annotationPlan(dir: string, files: readonly string[], watch: boolean): Map<string, string> {
  if (watch) throw new UsageError('--annotate is not for --watch; run batch --annotate over the files once they are complete');
  const abs = resolve(dir);
  const inside = files.find((f) => resolve(f).startsWith(`${abs}${sep}`));
  if (inside !== undefined) throw new UsageError(`--annotate ${dir} holds the input ${inside}; choose a folder outside the inputs`);
  const outs = annotationTargets(dir, files, true);
  return new Map(files.map((f, i) => [resolve(f), outs[i]!]));
}

/** Each analysed file's annotated copy: the comments of every finding with evidence in it (its own, and a neighbour's lead-in or run-out). */
async function annotateFiles(index: BatchIndex, files: readonly FileRow[], targets: ReadonlyMap<string, string>, o: BatchCliOptions): Promise<void> {
  makeAnnotateFolder(o.annotate!);
  const entries = index.findings(files.map((f) => f.id)).map((s) => ({ file: s.file, finding: s.json as SharedFinding }));
  let written = 0;
  for (const f of files) {
    const out = targets.get(resolve(f.path));
    if (f.status !== 'done' || out === undefined) continue;
    const findings = findingsInCapture(entries, f.path);
    await writeCapture(out, () => annotateCapture(f.path, findings, out));
    written++;
  }
  if (!o.quiet) process.stdout.write(`annotated captures: ${written} in ${terminalSafe(o.annotate!)}\n`);
}

/** The fleet report over these files, where --json/--html say. */
function writeFleetReports(index: BatchIndex, files: readonly FileRow[], o: BatchCliOptions): void {
  if (!o.json && !o.html) return;
  const fleet = buildFleetReport(index, files, o.generatedAt);
  if (o.json) writeAtomically(o.json, renderFleetJson(fleet));
  if (o.html) writeAtomically(o.html, renderFleetHtml(fleet, o.html));
}

/**
 * --watch: a pass over the settled files whenever they change; SIGINT/SIGTERM stop it (a job under
 * way is cut short and left for the next run, as after a kill). Exit status as for one batch over
 * the files seen.
 */
async function watchCommand(inputs: string[], index: BatchIndex, runner: JobRunner, o: BatchCliOptions): Promise<number> {
  const stop = new AbortController();
  const onSignal = (): void => {
    if (!o.quiet) process.stderr.write('dualscope: stopping\n');
    stop.abort();
    void runner.close();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let last: BatchSummary | undefined;
  let passes = 0;
  try {
    if (!o.quiet) process.stderr.write(`dualscope: watching ${inputs.map(terminalSafe).join(' ')} (stop with Ctrl+C)\n`);
    await watchInputs(
      () => expandInputs(inputs).files,
      async (files) => {
        last = await runBatch(files, index, runner, { ...batchOptions(o), trustUnchangedStat: passes++ > 0, signal: stop.signal });
        if (stop.signal.aborted) return;
        writeFleetReports(index, last.files, o);
        if (!o.quiet) printSummary(last, index, o);
      },
      { settle: o.settle, poll: o.poll },
      stop.signal,
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return last ? batchExitStatus({ ...last, files: index.files(last.files.map((f) => f.path)) }, index, o, 0) : EXIT.ok;
}

export function batchOptions(o: BatchCliOptions): BatchOptions {
  return {
    out: o.write ? o.out : undefined,
    sets: o.sets,
    setGap: o.setGap,
    leadIn: o.leadIn,
    runOut: o.runOut,
    analyze: { dnsTimeout: o.dnsTimeout, slowLookup: o.slowLookup, generatedAt: o.generatedAt },
  };
}

/** As for analyze: 2 for an unusable (or, with --strict, damaged) file, else 1 for a finding at --fail-on, else 0. */
export function batchExitStatus(s: BatchSummary, index: BatchIndex, o: Pick<BatchCliOptions, 'failOn' | 'strict'>, missing: number): number {
  if (s.failed > 0 || missing > 0) return EXIT.unusable;
  if (o.strict && s.files.some((f) => f.truncated)) return EXIT.unusable;
  if (o.failOn !== undefined) {
    const min = severityRank(o.failOn as Severity);
    for (const f of index.findings(s.files.map((r) => r.id))) {
      const sev = (f.json as { severity?: unknown }).severity;
      if (typeof sev === 'string' && (SEVERITIES as readonly string[]).includes(sev) && severityRank(sev as Severity) >= min) return EXIT.findings;
    }
  }
  return EXIT.ok;
}

function printSummary(s: BatchSummary, index: BatchIndex, o: BatchCliOptions): void {
  const counts = { error: 0, warning: 0, info: 0 } as Record<string, number>;
  // One incident (a stable `kind@party` id) seen in several files counts once, at its worst severity.
  const worst = new Map<string, string>();
  const findings = index.findings(s.files.map((r) => r.id));
  findings.forEach((f, i) => {
    const { id, severity } = f.json as { id?: unknown; severity?: unknown };
    if (typeof severity !== 'string' || !(severity in counts)) return;
    const key = typeof id === 'string' ? id : `#${i}`;
    const seen = worst.get(key);
    if (seen === undefined || severityRank(severity as Severity) > severityRank(seen as Severity)) worst.set(key, severity);
  });
  for (const sev of worst.values()) counts[sev]!++;
  const sets = new Set(s.files.filter((f) => f.setId !== null && s.files.filter((g) => g.setId === f.setId).length > 1).map((f) => f.setId)).size;
  process.stdout.write(
    `${s.files.length} files (${s.analysed} analysed, ${s.skipped} unchanged and skipped, ${s.failed} failed${sets ? `; ${sets} capture set${sets === 1 ? '' : 's'}` : ''}); ` +
      `${worst.size} incidents (${findings.length} in files): ${counts.error} error, ${counts.warning} warning, ${counts.info} info\nindex: ${index.path}\n`,
  );
  for (const f of s.files) if (f.status === 'failed') process.stderr.write(`dualscope: ${terminalSafe(f.error ?? `${f.path}: failed`)}\n`);
  void o;
}

/** Files done/total, packets/s, ETA and failures on one stderr line, at most ten times a second. */
class BatchProgress {
  readonly #started = Date.now();
  #total = 0;
  #done = 0;
  #failed = 0;
  #packets = 0;
  #phase = 'scanning';
  #lastDraw = 0;
  #drawn = false;

  events(): Parameters<typeof runBatch>[4] {
    return {
      onPlan: (p) => {
        this.#phase = p.toAnalyze < 0 ? 'scanning' : 'analysing';
        this.#total = p.toAnalyze < 0 ? p.toScan : p.toAnalyze;
        this.#done = 0;
        this.#draw(true);
      },
      onJobDone: (r) => {
        this.#done++;
        if (!r.ok) this.#failed++;
        this.#draw(false);
      },
      onPackets: (n) => {
        this.#packets += n;
        this.#draw(false);
      },
    };
  }

  #draw(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    const secs = Math.max(0.001, (now - this.#started) / 1000);
    const rate = Math.round(this.#packets / secs);
    const eta = this.#done > 0 ? Math.round((secs / this.#done) * (this.#total - this.#done)) : 0;
    const line = `${this.#phase}: ${this.#done}/${this.#total} files, ${rate} pkt/s, ETA ${eta} s, ${this.#failed} failed`;
    process.stderr.write(`\r${line.slice(0, 79).padEnd(79)}`);
    this.#drawn = true;
  }

  done(): void {
    if (this.#drawn) process.stderr.write(`\r${' '.repeat(79)}\r`);
  }
}
