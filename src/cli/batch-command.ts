// `dualscope batch PATH…`: many archived captures into one index (and per-file reports, and a
// fleet report), on a local worker-thread pool. See docs/batch.md.
import { Command, Option } from 'commander';
import { z } from 'zod';
import { UsageError } from '../core/index.js';
import { SEVERITIES, severityRank, type Severity } from '../detect/index.js';
import { terminalSafe } from '../report/index.js';
import { BatchIndex, defaultJobs, expandInputs, runBatch, ThreadPool, type BatchOptions, type BatchSummary, type JobRunner } from '../batch/index.js';
import { EXIT } from './analyze-command.js';
import { parseOptions } from './options.js';
import { checkOutputPaths } from './output.js';

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
    .option('--json <path>', 'write the fleet report (JSON) here')
    .option('--html <path>', 'write the fleet report (HTML) here')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding at or above this severity exists').choices(['info', 'warning', 'error']))
    .option('--dns-timeout <seconds>', 'a DNS query unanswered this long counts as unanswered')
    .option('--slow-lookup <seconds>', 'report lookups slower than this as dns.slow_lookup')
    .option('--strict', 'exit 2 when a capture is truncated or damaged (the rest is still analysed)')
    .option('-q, --quiet', 'no progress and no summary')
    .option('--generated-at <iso-time>', 'fix the report time (for reproducible reports)')
    .action(async (paths: string[], raw: Record<string, unknown>) => {
      const o = parseOptions(BatchCliOptions, raw);
      process.exitCode = await runBatchCommand(paths, o);
    });
}

export async function runBatchCommand(inputs: string[], o: BatchCliOptions): Promise<number> {
  checkOutputPaths([o.index, o.json, o.html]);
  const expanded = expandInputs(inputs);
  for (const m of expanded.missing) process.stderr.write(`dualscope: ${terminalSafe(m)}: no such file, or no capture matched\n`);
  if (expanded.files.length === 0) throw new UsageError('no capture files to analyse');
  const index = new BatchIndex(o.index);
  const runner: JobRunner = new ThreadPool(o.jobs ?? defaultJobs());
  const progress = !o.quiet && process.stderr.isTTY ? new BatchProgress() : undefined;
  let summary: BatchSummary;
  try {
    summary = await runBatch(expanded.files, index, runner, batchOptions(o), progress?.events());
  } finally {
    progress?.done();
    await runner.close();
  }
  try {
    if (!o.quiet) printSummary(summary, index, o);
    return batchExitStatus(summary, index, o, expanded.missing.length);
  } finally {
    index.close();
  }
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
  const findings = index.findings(s.files.map((r) => r.id));
  for (const f of findings) {
    const sev = (f.json as { severity?: unknown }).severity;
    if (typeof sev === 'string' && sev in counts) counts[sev]!++;
  }
  const sets = new Set(s.files.filter((f) => f.setId !== null && s.files.filter((g) => g.setId === f.setId).length > 1).map((f) => f.setId)).size;
  process.stdout.write(
    `${s.files.length} files (${s.analysed} analysed, ${s.skipped} unchanged and skipped, ${s.failed} failed${sets ? `; ${sets} capture set${sets === 1 ? '' : 's'}` : ''}); ` +
      `${findings.length} findings: ${counts.error} error, ${counts.warning} warning, ${counts.info} info\nindex: ${index.path}\n`,
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
