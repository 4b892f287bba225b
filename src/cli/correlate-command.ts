// `dualscope correlate FILE…`: several captures of one incident from different points, one verdict.
// Unlike analyze, the inputs belong together: one unusable capture ends the run (exit 2), since a
// point missing from the path would turn every packet it should have seen into a false "lost".
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { secondsToMicros, UsageError } from '../core/index.js';
import { severityRank, type Severity } from '../detect/index.js';
import { correlateFiles, type CorrelateInput } from '../correlate/index.js';
import { renderCorrelationHtml, renderCorrelationJson, renderCorrelationText, type CorrelatedReport } from '../report/correlation/index.js';
import { terminalSafe } from '../report/index.js';
import { EXIT } from './analyze-command.js';
import { CorrelateCliOptions, parseOptions } from './options.js';
import { checkOutputPaths, writeAtomically } from './output.js';
import { annotationTargets, makeAnnotateFolder, writeCapture } from './capture-output.js';
import { annotatePoint } from '../share/index.js';

const stem = (file: string): string => basename(file).replace(/\.gz$/i, '').replace(/\.(pcapng|pcap|cap)$/i, '');

/** Labels: --label FILE=NAME where given, else the file name without its extension (made unique). */
export function pointLabels(files: readonly string[], labels: readonly string[]): CorrelateInput[] {
  const given = new Map<string, string>();
  for (const l of labels) {
    const eq = l.lastIndexOf('=');
    if (eq <= 0 || eq === l.length - 1) throw new UsageError(`--label ${l}: expected FILE=NAME`);
    const file = l.slice(0, eq);
    if (!files.includes(file)) throw new UsageError(`--label ${l}: ${file} is not one of the inputs`);
    given.set(file, l.slice(eq + 1));
  }
  const used = new Set<string>();
  return files.map((file) => {
    let label = given.get(file) ?? stem(file);
    if (used.has(label)) {
      if (given.has(file)) throw new UsageError(`--label: two points are named ${label}`);
      let n = 2;
      while (used.has(`${label}#${n}`)) n++;
      label = `${label}#${n}`;
    }
    used.add(label);
    return { file, label };
  });
}

export async function runCorrelate(files: string[], o: CorrelateCliOptions): Promise<{ report: CorrelatedReport; exitCode: number }> {
  if (files.length < 2) throw new UsageError('correlate needs two or more captures of the same time span from different points');
  if (files.includes('-')) throw new UsageError('correlate reads files, not standard input (each point is read on its own)');
  if (new Set(files).size !== files.length) throw new UsageError('the same capture is given twice');
  const inputs = pointLabels(files, o.label);
  const name = `${stem(files[0]!)}-correlated`;
  const json = o.json ?? (o.write ? join(o.out, `${name}.json`) : undefined);
  const html = o.html ?? (o.write ? join(o.out, `${name}.html`) : undefined);
  if (!o.force) for (const p of [json, html]) if (p && existsSync(p)) throw new UsageError(`${p} exists; use --force to overwrite it`);
  checkOutputPaths([json, html]);
  const annotated = o.annotate !== undefined ? annotationTargets(o.annotate, files, o.force) : undefined;

  const report = await correlateFiles(inputs, {
    generatedAt: o.generatedAt,
    analyze: {
      dns: o.dnsTimeout !== undefined ? { unansweredAfterMicros: secondsToMicros(o.dnsTimeout) } : {},
      detect: o.slowLookup !== undefined ? { 'dns.slow_lookup': { slowMicros: secondsToMicros(o.slowLookup) } } : {},
    },
    ...(o.maxClockOffset !== undefined ? { maxClockOffset: secondsToMicros(o.maxClockOffset) } : {}),
  });
  if (json) writeAtomically(json, renderCorrelationJson(report));
  if (html) writeAtomically(html, renderCorrelationHtml(report));
  const annotatedLines: string[] = [];
  if (annotated !== undefined) {
    makeAnnotateFolder(o.annotate!);
    for (let i = 0; i < inputs.length; i++) {
      const out = annotated[i]!;
      const { file, label } = inputs[i]!;
      const r = await writeCapture(out, () => annotatePoint(report, label, file, out));
      annotatedLines.push(`annotated capture (${terminalSafe(label)}): ${terminalSafe(out)} (${r.annotated} evidence packet(s) commented)\n`);
    }
  }
  if (!o.quiet) {
    process.stdout.write(renderCorrelationText(report, { color: o.color && process.stdout.isTTY === true, width: 80 }));
    const written = [json, html].filter(Boolean).join(', ');
    if (written) process.stdout.write(`\nreports: ${written}\n`);
    for (const line of annotatedLines) process.stdout.write(line);
  }
  let exitCode: number = EXIT.ok;
  if (o.failOn !== undefined) {
    const min = severityRank(o.failOn as Severity);
    if (report.findings.some((f) => f.status !== 'withdrawn' && severityRank(f.severity) >= min)) exitCode = EXIT.findings;
  }
  if (o.strict && report.points.some((p) => p.capture.truncated || p.capture.skippedBytes > 0)) exitCode = EXIT.unusable;
  return { report, exitCode };
}

export function registerCorrelateCommand(cmd: Command): void {
  cmd
    .command('correlate')
    .description('correlate captures taken at several points at once: align their clocks, match packets, name where packets vanished')
    .argument('<files...>', 'capture files, one per capture point (the first is the clock reference)')
    .option('--label <FILE=NAME...>', 'name a capture point (default: the file name)')
    .option('--json <path>', 'write the JSON report (schemaVersion 2) here')
    .option('--html <path>', 'write the HTML ladder diagram here')
    .option('--annotate <dir>', 'write each capture as DIR/NAME.annotated.pcapng with the findings as comments on the frames that point saw')
    .option('-o, --out <dir>', 'folder for FIRST-correlated.json/.html when --json/--html are not given', 'reports')
    .option('--no-write', 'write no report files, only the terminal summary')
    .option('-f, --force', 'overwrite existing report files')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding (not withdrawn) at or above this severity exists').choices(['info', 'warning', 'error']))
    .option('--max-clock-offset <seconds>', 'how far apart the capture clocks may be (default 60)')
    .option('--dns-timeout <seconds>', 'a DNS query unanswered this long counts as unanswered')
    .option('--slow-lookup <seconds>', 'report lookups slower than this as dns.slow_lookup')
    .option('--strict', 'exit 2 when a capture is truncated or damaged')
    .option('-q, --quiet', 'no terminal summary')
    .option('--no-color', 'no colour in the terminal summary')
    .option('--generated-at <iso-time>', 'fix the report time (for reproducible reports)')
    .action(async (files: string[], raw: Record<string, unknown>) => {
      const o = parseOptions(CorrelateCliOptions, raw);
      const { exitCode } = await runCorrelate(files, o);
      process.exitCode = exitCode;
    });
}
