// `dualscope live -i IFACE`: capture, analyse incrementally, print each finding as soon as it is
// final; on Ctrl-C (SIGINT/SIGTERM) or --duration stop the backend cleanly, finish, print the
// summary and write the reports. Exit status as for analyze (0, 1 with --fail-on, 2 unusable).
import { performance } from 'node:perf_hooks';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { formatDuration, formatIso, secondsToMicros, type Micros } from '../core/index.js';
import { SEVERITIES, type Finding, type IncidentUpdate } from '../detect/index.js';
import { LIVE_BACKENDS, LiveCaptureError, listInterfaces, startLiveCapture, type LiveCapture, type LiveResult } from '../readers/index.js';
import { checkJsonReport, renderHtmlChunks, renderJsonChunks, renderText, reportedFinding, terminalSafe, wrap, type Report } from '../report/index.js';
import { Analysis, type AnalyzeOptions } from '../analyze.js';
import { EXIT, exitStatus, verdictOf } from './analyze-command.js';
import { parseOptions } from './options.js';
import { checkOutputPaths, refuseExisting, writeAtomically } from './output.js';

/** How often capture time is advanced on the wall clock when the link is quiet. */
const ADVANCE_EVERY_MS = 1000;
/** Seven days: a --duration beyond that is a typo. */
const MAX_DURATION_S = 7 * 24 * 3600;

const seconds = (name: string, max: number) =>
  z.coerce.number({ error: `${name} must be a number of seconds` }).positive(`${name} must be above 0`).max(max, `${name} must be at most ${max} s`);

export const LiveCliOptions = z
  .object({
    list: z.boolean().default(false),
    // Interface names are passed to the backend as one argv element; a leading '-' would read as an option.
    interface: z
      .string()
      .min(1, '--interface must name an interface')
      .max(255, '--interface is too long')
      .refine((s) => !s.startsWith('-'), '--interface must not start with "-"')
      .refine((s) => !/[\s\0]/.test(s), '--interface must not contain spaces')
      .optional(),
    filter: z.string().min(1, '--filter must not be empty').max(4096, '--filter is too long').refine((s) => !s.includes('\0'), '--filter must not contain NUL').optional(),
    duration: seconds('--duration', MAX_DURATION_S).optional(),
    write: z.string().min(1).optional(),
    json: z.string().min(1).optional(),
    html: z.string().min(1).optional(),
    force: z.boolean().default(false),
    failOn: z.enum(SEVERITIES, { error: `--fail-on must be one of ${SEVERITIES.join(', ')}` }).optional(),
    ndjson: z.boolean().default(false),
    dnsTimeout: seconds('--dns-timeout', 3600).optional(),
    backend: z.enum(['auto', ...LIVE_BACKENDS], { error: `--backend must be one of auto, ${LIVE_BACKENDS.join(', ')}` }).default('auto'),
    quiet: z.boolean().default(false),
    all: z.boolean().default(false),
    verbose: z.boolean().default(false),
    color: z.boolean().default(true),
  })
  .refine((o) => o.list || o.interface !== undefined, { message: '--interface is required: dualscope live -i IFACE (dualscope live --list shows the interfaces)', path: [] })
  .refine((o) => {
    const outs = [o.write, o.json, o.html].filter((p) => p !== undefined);
    return new Set(outs).size === outs.length;
  }, { message: '--write, --json and --html must name different files', path: [] });
export type LiveCliOptions = z.infer<typeof LiveCliOptions>;

/** Where the output goes; tests pass their own. */
export interface LiveIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  /** Signals that stop the capture (process signals by default). */
  onStopSignal(handler: (signal: string) => void): () => void;
  searchPath?: string;
}

const processIo = (): LiveIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  onStopSignal(handler) {
    const h = (s: NodeJS.Signals): void => handler(s);
    process.on('SIGINT', h);
    process.on('SIGTERM', h);
    return () => {
      process.off('SIGINT', h);
      process.off('SIGTERM', h);
    };
  },
});

export function registerLiveCommand(program: Command): void {
  program
    .command('live')
    .description('capture on an interface and report incidents as they happen (Ctrl-C stops)')
    .option('-i, --interface <name>', 'interface to capture on (see --list)')
    .option('-f, --filter <bpf>', 'capture filter (pcap-filter syntax), e.g. "udp port 53 or icmp6 or tcp"')
    .option('--duration <seconds>', 'stop after this many seconds')
    .option('-w, --write <file>', 'save the captured packets here (pcapng; pcap when the backend is tcpdump); frame numbers in findings refer to it')
    .option('--json <path>', 'write the JSON report here at the end')
    .option('--html <path>', 'write the HTML timeline here at the end')
    .option('--force', 'overwrite existing output files')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding at or above this severity exists').choices([...SEVERITIES]))
    .option('--ndjson', 'one JSON object per finding per line on stdout (the summary goes to stderr)')
    .option('--dns-timeout <seconds>', 'a DNS query unanswered this long counts as unanswered')
    .addOption(new Option('--backend <tool>', 'capture tool').choices(['auto', ...LIVE_BACKENDS]).default('auto'))
    .option('--list', 'list the interfaces and exit')
    .option('-q, --quiet', 'no summary at the end (findings are still printed)')
    .option('-a, --all', 'the summary at the end lists every occurrence of every incident')
    .option('-v, --verbose', 'same as --all')
    .option('--no-color', 'no colour')
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOptions(LiveCliOptions, raw);
      process.exitCode = await runLive(o);
    });
}

/** Runs a live capture to the end; returns the exit status. Usage problems throw UsageError. */
export async function runLive(o: LiveCliOptions, io: LiveIo = processIo()): Promise<number> {
  if (o.list) {
    const { source, lines } = listInterfaces(io.searchPath);
    if (lines.length === 0) {
      io.stderr.write('dualscope: no interfaces found\n');
      return EXIT.unusable;
    }
    for (const l of lines) io.stdout.write(`${terminalSafe(l)}\n`);
    io.stderr.write(`(from ${source})\n`);
    return EXIT.ok;
  }
  const iface = o.interface!;
  if (!o.force) {
    refuseExisting([o.write, o.json, o.html]);
  }
  // Before the capture starts: a long capture should not end in "cannot write".
  checkOutputPaths([o.write, o.json, o.html]);
  const color = o.color && io.stdout.isTTY === true;
  let finishing = false;
  const announced = new Set<string>();
  // Let go of once its report is made (below): its state is garbage before the reports are written.
  let analysis: Analysis | undefined = new Analysis(analysisOptions(o, (u) => {
    announced.add(u.occurrence.id);
    // In text mode, occurrences only known at the end are shown by the summary — unless -q drops it.
    if (o.ndjson) io.stdout.write(`${liveRecord(u)}\n`);
    else if (!finishing || o.quiet) io.stdout.write(`${u.fresh ? renderLiveFinding(u.occurrence, color, 80, u.id) : renderLiveUpdate(u, color)}\n`);
  }));

  // Capture time advances with the wall clock while no packets arrive, so that an unanswered query
  // times out on a quiet link instead of waiting for the next packet.
  let lastTime: Micros | undefined;
  let lastWall = 0;
  let capture: LiveCapture;
  try {
    capture = startLiveCapture(
      {
        iface,
        filter: o.filter,
        writePath: o.write,
        backend: o.backend,
        searchPath: io.searchPath,
        onStart: (b) => {
          const file = o.write ? `, writing ${b.format} to ${o.write}` : '';
          io.stderr.write(`dualscope: capturing on ${terminalSafe(iface)} with ${b.name}${file}; Ctrl-C stops\n`);
          if (o.write && b.format !== 'pcapng') io.stderr.write(`dualscope: note: tcpdump writes pcap, not pcapng: ${o.write} holds pcap (Wireshark opens it all the same)\n`);
        },
      },
      (frame) => {
        lastTime = frame.time;
        lastWall = performance.now();
        analysis!.frame(frame);
      },
      analysis.anomalies,
    );
  } catch (e) {
    if (e instanceof LiveCaptureError) return failed(io, e);
    throw e;
  }

  const ticker = setInterval(() => {
    if (lastTime !== undefined) analysis!.advance(lastTime + Math.round((performance.now() - lastWall) * 1000));
  }, ADVANCE_EVERY_MS);
  let signals = 0;
  const unlisten = io.onStopSignal((s) => {
    if (++signals === 1) {
      io.stderr.write(`\ndualscope: ${s}: stopping the capture…\n`);
      capture.stop();
    } else {
      capture.kill();
    }
  });
  const timer = o.duration !== undefined ? setTimeout(() => capture.stop(), o.duration * 1000) : undefined;

  let result: LiveResult;
  try {
    result = await capture.done;
  } catch (e) {
    if (e instanceof LiveCaptureError) return failed(io, e);
    throw e;
  } finally {
    clearInterval(ticker);
    if (timer) clearTimeout(timer);
    unlisten();
  }

  finishing = true;
  const report = analysis.finish(o.write ?? `live:${iface}`, result.info);
  analysis = undefined;
  if (o.ndjson) for (const line of finalRecords(report, announced)) io.stdout.write(`${line}\n`);
  if (result.warning) io.stderr.write(`dualscope: warning: ${terminalSafe(result.warning)}\n`);
  if (o.json) writeAtomically(o.json, renderJsonChunks(report), { checkFirst: () => checkJsonReport(report) });
  if (o.html) writeAtomically(o.html, renderHtmlChunks(report));
  if (!o.quiet) {
    const out = o.ndjson ? io.stderr : io.stdout;
    out.write(`\n${renderText(report, { color: color && !o.ndjson, width: 80, all: o.all || o.verbose })}`);
    const written = [o.write, o.json, o.html].filter(Boolean).join(', ');
    if (written) out.write(`\nwritten: ${written}\n`);
  }
  return exitStatus([verdictOf(report)], 0, { failOn: o.failOn, strict: false });
}

/**
 * NDJSON while capturing: one line per new occurrence, as its detector reported it, with the
 * incident it belongs to as it stands now (`incident.count`, clients, last seen; `fresh` for the
 * incident's first occurrence), so a consumer updates one row per cause instead of adding one.
 */
export function liveRecord(u: IncidentUpdate): string {
  const { occurrence, ...incident } = u;
  return JSON.stringify({ ...reportedFinding(occurrence), incident });
}

/**
 * NDJSON after the capture stops: every incident of the report as final (its occurrences with
 * the counts detectors restated at the end), marked `"final": true`, then `{"withdrawn": ID}` for
 * each occurrence printed earlier that its detector no longer stands by.
 */
export function finalRecords(report: Pick<Report, 'findings'>, announced: ReadonlySet<string>): string[] {
  const kept = new Set<string>();
  for (const f of report.findings) for (const o of f.occurrences ?? []) kept.add(o.id);
  const lines = report.findings.map((f) => JSON.stringify({ ...f, final: true }));
  for (const id of announced) if (!kept.has(id)) lines.push(JSON.stringify({ withdrawn: id }));
  return lines;
}

function failed(io: LiveIo, e: LiveCaptureError): number {
  io.stderr.write(`dualscope: ${terminalSafe(e.message)}\n`);
  return EXIT.unusable;
}

function analysisOptions(o: LiveCliOptions, onIncident: (u: IncidentUpdate) => void): Partial<AnalyzeOptions> {
  return {
    dns: o.dnsTimeout !== undefined ? { unansweredAfterMicros: secondsToMicros(o.dnsTimeout) } : {},
    onIncident,
  };
}

const SGR = { error: '31;1', warning: '33;1', info: '36', dim: '2' } as const;

/** A further occurrence of an incident already printed: one line with its new count and clients. */
export function renderLiveUpdate(u: IncidentUpdate, color: boolean): string {
  const paint = (style: keyof typeof SGR, s: string): string => (color ? `\x1b[${SGR[style]}m${s}\x1b[0m` : s);
  const o = u.occurrence;
  const who = [o.client, o.server].filter(Boolean).join(' → ');
  const name = o.names.length > 0 ? ` ${o.names.slice(0, 2).map(terminalSafe).join(', ')}` : '';
  return `${formatIso(o.start).slice(11, 23)} ${paint(u.severity, u.severity.toUpperCase())} ${u.kind} ×${u.count} (${u.clients} client${u.clients === 1 ? '' : 's'}): ${terminalSafe(who)}${name} ${paint('dim', `[${terminalSafe(u.id)}]`)}`;
}

/** One line (time, severity, kind, summary), then the details a person acts on. */
export function renderLiveFinding(f: Finding, color: boolean, width = 80, incidentId = f.id): string {
  const paint = (style: keyof typeof SGR, s: string): string => (color ? `\x1b[${SGR[style]}m${s}\x1b[0m` : s);
  const out: string[] = [];
  out.push(`${formatIso(f.start).slice(11, 23)} ${paint(f.severity, f.severity.toUpperCase())} ${f.kind}: ${terminalSafe(f.summary)}`);
  const who = [f.client && `client ${f.client}`, f.server && `server ${f.server}`, f.names.length > 0 && `name ${f.names.slice(0, 3).map(terminalSafe).join(', ')}`].filter(Boolean).join('; ');
  if (who) out.push(...wrap(who, width, '    ', '  '));
  const frames = f.evidence.map((e) => e.frame);
  out.push(...wrap(`evidence: frames ${frames.slice(0, 12).join(' ')}${frames.length > 12 ? ` (+${frames.length - 12} more)` : ''}`, width, '    ', '  '));
  const delay = f.impact.delayMicros !== undefined ? ` (delay ${formatDuration(f.impact.delayMicros)})` : '';
  out.push(...wrap(`impact: ${terminalSafe(f.impact.description)}${delay}`, width, '    ', '  '));
  out.push(...wrap(`remedy: ${terminalSafe(f.remedy)}`, width, '    ', '  '));
  out.push(...wrap(`wireshark: ${terminalSafe(f.displayFilter)}`, width, '    ', '  '));
  out.push(paint('dim', `  [${terminalSafe(incidentId)}]`));
  return out.join('\n');
}
