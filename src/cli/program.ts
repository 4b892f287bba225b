// dualscope's command line. Every error a user can cause ends as one line on stderr and an exit
// status (0 fine, 1 findings at --fail-on, 2 unusable input or usage, 3 internal error); a stack
// trace only with DUALSCOPE_DEBUG=1.
import { Command, CommanderError, Option } from 'commander';
import { CaptureFormatError, UsageError } from '../core/index.js';
import { DETECTORS } from '../detect/index.js';
import { CORRELATION_SCHEMA_VERSION, reportJsonSchema, SCHEMA_VERSION } from '../report/index.js';
import { TOOL_VERSION } from '../version.js';
import { EXIT, runAnalyze } from './analyze-command.js';
import { dumpFile } from './dump-command.js';
import { firstLine } from './error-line.js';
import { AnalyzeCliOptions, DumpCliOptions, parseOptions } from './options.js';

/**
 * The program for `argv`. The other commands' modules are loaded only when argv does not name one
 * of this file's commands (help, errors and suggestions see them all): they bring in the batch index
 * (SQLite), the server, correlation and capture sharing, which every `dualscope analyze` paid to load
 * before reading a byte (a 5-packet sample: 1.69 → 1.44 G instructions, node itself 0.53 G; users
 * analysing archives of small files pay this per file).
 */
async function program(argv: readonly string[]): Promise<Command> {
  const cmd = ownCommands();
  const named = argv[0];
  if (!cmd.commands.some((c) => c.name() === named)) await registerOtherCommands(cmd);
  return cmd;
}

function ownCommands(): Command {
  const cmd = new Command('dualscope')
    .description('Find dual-stack (IPv6 + IPv4) incidents in packet captures')
    .version(TOOL_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  cmd
    .command('analyze')
    .description('analyse captures (pcap, pcapng, gzip; - for stdin) and report the incidents found')
    .argument('<files...>', 'capture files')
    .option('--json <path>', 'write the JSON report here (one input only)')
    .option('--html <path>', 'write the HTML timeline here (one input only)')
    .option('--annotate <path>', 'write the capture as pcapng with the findings as packet comments (one input only)')
    .option('-o, --out <dir>', 'folder for NAME.json and NAME.html when --json/--html are not given', 'reports')
    .option('--no-write', 'write no report files, only the terminal summary')
    .option('-f, --force', 'overwrite existing report files')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding at or above this severity exists').choices(['info', 'warning', 'error']))
    .option('--dns-timeout <seconds>', 'a DNS query unanswered this long counts as unanswered')
    .option('--slow-lookup <seconds>', 'report lookups slower than this as dns.slow_lookup')
    .option('--strict', 'exit 2 when a capture is truncated or damaged (the rest is still analysed)')
    .option('-q, --quiet', 'no terminal summary')
    .option('-a, --all', 'list every occurrence of every incident in the terminal summary (the JSON report always holds them)')
    .option('-v, --verbose', 'same as --all')
    .option('--no-color', 'no colour in the terminal summary')
    .option('--generated-at <iso-time>', 'fix the report time (for reproducible reports)')
    .option('-j, --jobs <n>', 'threads for one large file (default 1; with N > 1 a file of 64 MiB or more that spans at least two pieces of four piece contexts each is split; see the README before using it)')
    .option('--piece-context <seconds>', 'with --jobs: lead-in and run-out of each piece of a file split across threads (default 60)')
    .action(async (files: string[], raw: Record<string, unknown>) => {
      const o = parseOptions(AnalyzeCliOptions, raw);
      const outcome = await runAnalyze(files, o);
      process.exitCode = outcome.exitCode;
    });

  cmd
    .command('dump')
    .description('print one line per packet (like tcpdump -nn -r), or decoded fields as NDJSON')
    .argument('<files...>', 'capture files')
    .option('--ndjson', 'one JSON object per packet with every decoded field')
    .option('-c, --count <n>', 'stop after n packets')
    .action(async (files: string[], raw: Record<string, unknown>) => {
      const o = parseOptions(DumpCliOptions, raw);
      let failed = 0;
      for (const f of files) {
        try {
          const r = await dumpFile(f, o);
          if (r.truncated) process.stderr.write(`dualscope: ${f}: the file ends inside a record; ${r.packets} packets before it were read\n`);
        } catch (e) {
          if (!(e instanceof CaptureFormatError)) throw e;
          process.stderr.write(`dualscope: ${e.message}\n`);
          failed++;
        }
      }
      if (failed) process.exitCode = EXIT.unusable;
    });

  cmd
    .command('schema')
    .description(`print the JSON Schema of the report (schemaVersion ${SCHEMA_VERSION}; --correlate: of the correlate report, schemaVersion ${CORRELATION_SCHEMA_VERSION})`)
    .option('--correlate', `the schema of \`dualscope correlate\` reports (schemaVersion ${CORRELATION_SCHEMA_VERSION})`)
    .action(async (o: { correlate?: boolean }) => {
      const schema = o.correlate ? (await import('../report/correlation/index.js')).correlationJsonSchema() : reportJsonSchema();
      process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
    });

  cmd
    .command('detectors')
    .description('list the detectors (JSON): incident kind, the records each reads, and every option with its default')
    .action(() => {
      const list = DETECTORS.map((d) => ({ kind: d.kind, records: d.records, what: d.readme.what, defaults: d.defaults }));
      process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    });

  return cmd;
}

/** The commands defined in modules of their own, registered in this order (the help lists them so). */
async function registerOtherCommands(cmd: Command): Promise<void> {
  const [correlate, extract, anonymize, batch, query, worker, live, serve] = await Promise.all([
    import('./correlate-command.js'),
    import('./extract-command.js'),
    import('./anonymize-command.js'),
    import('./batch-command.js'),
    import('./query-command.js'),
    import('./worker-command.js'),
    import('./live-command.js'),
    import('./serve-command.js'),
  ]);
  correlate.registerCorrelateCommand(cmd);
  extract.registerExtractCommand(cmd);
  anonymize.registerAnonymizeCommand(cmd);
  batch.registerBatchCommand(cmd);
  query.registerQueryCommand(cmd);
  worker.registerWorkerCommand(cmd);
  live.registerLiveCommand(cmd);
  serve.registerServeCommand(cmd);
}

export async function main(argv: string[]): Promise<number> {
  process.exitCode = 0;
  try {
    await (await program(argv)).parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has already printed its message (help, version, or a usage error).
      return e.exitCode === 0 ? EXIT.ok : EXIT.unusable;
    }
    if (e instanceof UsageError || e instanceof CaptureFormatError) {
      process.stderr.write(`dualscope: ${e.message}\n`);
      return EXIT.unusable;
    }
    if (isBrokenPipe(e)) return EXIT.ok;
    process.stderr.write(`dualscope: internal error: ${firstLine(e)} (set DUALSCOPE_DEBUG=1 for details, and please report it)\n`);
    if (process.env.DUALSCOPE_DEBUG) process.stderr.write(`${e instanceof Error ? e.stack : ''}\n`);
    return EXIT.internal;
  }
}

const isBrokenPipe = (e: unknown): boolean => typeof e === 'object' && e !== null && (e as { code?: string }).code === 'EPIPE';
