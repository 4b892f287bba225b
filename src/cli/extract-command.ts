// `dualscope extract REPORT.json|CAPTURE [--finding ID …] [--context S] -o OUT.pcapng`: the
// evidence of the chosen findings as a small annotated pcapng (see share/extract.ts).
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { CaptureFormatError, secondsToMicros, UsageError } from '../core/index.js';
import type { Incident } from '../report/index.js';
import { Report, terminalSafe } from '../report/index.js';
import { defaultExtractFindings, extractEvidence } from '../share/index.js';
import { analyzeFile } from '../analyze.js';
import { writeCapture } from './capture-output.js';
import { parseOptions } from './options.js';
import { checkOutputPath, describeFsError } from './output.js';

export const ExtractCliOptions = z.object({
  output: z.string({ error: '-o/--output OUT.pcapng is required' }).min(1, '-o/--output must name a file'),
  finding: z.array(z.string().min(1)).default([]),
  context: z.coerce
    .number({ error: '--context must be a number of seconds' })
    .min(0, '--context must be 0 or more seconds')
    .max(3600, '--context must be at most 3600 s')
    .default(0),
  capture: z.string().min(1).optional(),
  force: z.boolean().default(false),
  quiet: z.boolean().default(false),
});
export type ExtractCliOptions = z.infer<typeof ExtractCliOptions>;

/** A report is JSON: its first non-blank byte is `{`; a capture never starts so. */
function looksLikeJson(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${describeFsError(e)}`);
  }
  try {
    const head = Buffer.alloc(64);
    const n = readSync(fd, head, 0, head.length, 0);
    const text = head.subarray(0, n).toString('latin1').trimStart();
    return text.startsWith('{');
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${describeFsError(e)}`);
  } finally {
    closeSync(fd);
  }
}

function readReport(path: string): Report {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`${path} is not a dualscope JSON report (${e instanceof SyntaxError ? 'not JSON' : describeFsError(e)})`);
  }
  const r = Report.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new UsageError(`${path} is not a dualscope JSON report (${issue.path.map(String).join('.') || 'top level'}: ${issue.message})`);
  }
  return r.data;
}

/** The capture a report was made from: --capture, else its recorded path (as given, or beside the report). */
function captureOfReport(reportPath: string, report: Report, override: string | undefined): string {
  if (override !== undefined) return override;
  const recorded = report.capture.file;
  if (recorded === '-' || recorded === 'stdin') throw new UsageError(`${reportPath} was made from standard input; name the capture with --capture FILE`);
  if (existsSync(recorded)) return recorded;
  const beside = isAbsolute(recorded) ? recorded : join(dirname(reportPath), recorded);
  if (existsSync(beside)) return beside;
  throw new UsageError(`the capture of ${reportPath} (${recorded}) is not there; name it with --capture FILE`);
}

function chooseFindings(all: readonly Incident[], ids: readonly string[], from: string): Incident[] {
  // Ids come from the report file, which anyone may have edited: escaped like every capture string.
  const list = (fs: readonly Incident[]): string => (fs.length === 0 ? 'none' : terminalSafe(fs.map((f) => f.id).join(', ')));
  if (ids.length === 0) {
    const chosen = defaultExtractFindings(all);
    if (chosen.length === 0) throw new UsageError(`${from} has no warning or error findings; choose one with --finding ID (ids: ${list(all)})`);
    return chosen;
  }
  const byId = new Map(all.map((f) => [f.id, f]));
  // An occurrence's id (the detector's, as older reports and the occurrence rows show it) picks
  // that occurrence alone, inside its incident.
  for (const i of all) for (const o of i.occurrences) if (!byId.has(o.id)) byId.set(o.id, { ...i, ...o, occurrences: [o] });
  const chosen: Incident[] = [];
  for (const id of ids) {
    const f = byId.get(id);
    if (f === undefined) throw new UsageError(`${from} has no finding ${terminalSafe(id)} (ids: ${list(all)})`);
    if (!chosen.includes(f)) chosen.push(f);
  }
  return chosen;
}

export async function runExtract(input: string, o: ExtractCliOptions): Promise<{ packets: number; findings: number; capture: string }> {
  if (input === '-') throw new UsageError('extract reads the capture twice, so it needs a file, not standard input');
  if (!existsSync(input)) throw new UsageError(`${input}: no such file`);
  if (statSync(input).isDirectory()) throw new UsageError(`${input} is a folder; name a report or a capture`);
  if (!o.force && existsSync(o.output)) throw new UsageError(`${o.output} exists; use --force to overwrite it`);
  checkOutputPath(o.output);

  let capture: string;
  let all: readonly Incident[];
  if (looksLikeJson(input)) {
    const report = readReport(input);
    capture = captureOfReport(input, report, o.capture);
    all = report.findings;
  } else {
    if (o.capture !== undefined) throw new UsageError('--capture goes with a JSON report, not with a capture');
    capture = input;
    all = (await analyzeFile(capture)).findings;
  }
  if (resolve(capture) === resolve(o.output)) throw new UsageError('-o must name a new file, not the capture');
  const chosen = chooseFindings(all, o.finding, input);
  const r = await writeCapture(o.output, () => extractEvidence(capture, chosen, o.output, { contextMicros: secondsToMicros(o.context) }));
  if (r.mismatched.length > 0) {
    rmSync(o.output, { force: true });
    const n = r.mismatched[0]!;
    throw new UsageError(`${input} does not describe ${capture}: evidence frame ${n} is not there at the reported time; name the right capture with --capture`);
  }
  return { packets: r.packets, findings: chosen.length, capture };
}

export function registerExtractCommand(program: Command): void {
  program
    .command('extract')
    .description('write the packets of chosen findings (default: warnings and errors) as a small annotated pcapng')
    .argument('<input>', 'a JSON report (its capture is read again) or a capture (analysed first)')
    .requiredOption('-o, --output <path>', 'the pcapng file to write')
    .option('--finding <id...>', 'the findings to extract, by id (default: every warning and error)')
    .option('--context <seconds>', 'also keep every packet this close in time to an evidence packet', '0')
    .option('--capture <path>', "the report's capture, when it is not where the report says")
    .option('-f, --force', 'overwrite the output file')
    .option('-q, --quiet', 'no summary line')
    .action(async (input: string, raw: Record<string, unknown>) => {
      const o = parseOptions(ExtractCliOptions, raw);
      try {
        const r = await runExtract(input, o);
        if (!o.quiet) {
          process.stdout.write(`extract: ${terminalSafe(o.output)}: ${r.packets} packet(s) for ${r.findings} finding(s) from ${terminalSafe(r.capture)}\n`);
        }
      } catch (e) {
        if (e instanceof CaptureFormatError) throw new UsageError(terminalSafe(e.message));
        throw e;
      }
    });
}
