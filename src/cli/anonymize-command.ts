// `dualscope anonymize IN -o OUT [--key-file F]`: a copy of a capture safe to hand to a vendor that
// still shows the incident (see share/anonymize/). The same key file gives the same mapping in
// every file, so a client-side and a server-side capture still correlate after anonymising both.
import { existsSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { CaptureFormatError, UsageError } from '../core/index.js';
import { terminalSafe } from '../report/index.js';
import { anonymizeCapture, deriveKeys, loadOrCreateKey, newSecret, type AnonymizeResult } from '../share/index.js';
import { BlockFile } from '../writers/index.js';
import { EXIT } from './analyze-command.js';
import { writeCapture } from './capture-output.js';
import { parseOptions } from './options.js';
import { checkOutputPath, describeFsError } from './output.js';

export const AnonymizeCliOptions = z.object({
  output: z.string({ error: '-o/--output OUT is required' }).min(1, '-o/--output must name a file'),
  keyFile: z.string().min(1, '--key-file must name a file').optional(),
  force: z.boolean().default(false),
  strict: z.boolean().default(false),
  quiet: z.boolean().default(false),
});
export type AnonymizeCliOptions = z.infer<typeof AnonymizeCliOptions>;

export interface AnonymizeRun {
  result: AnonymizeResult;
  keyCreated: boolean;
}

export async function runAnonymize(input: string, o: AnonymizeCliOptions): Promise<AnonymizeRun> {
  if (input !== '-' && !existsSync(input)) throw new UsageError(`${input}: no such file`);
  if (input !== '-' && statSync(input).isDirectory()) throw new UsageError(`${input} is a folder, not a capture`);
  if (o.output === '-') throw new UsageError('-o must name a file (the copy is written under a temporary name, then renamed)');
  if (input !== '-' && resolve(input) === resolve(o.output)) throw new UsageError('-o must name a new file, not the capture');
  if (!o.force && existsSync(o.output)) throw new UsageError(`${o.output} exists; use --force to overwrite it`);
  checkOutputPath(o.output);
  let secret: Buffer;
  let keyCreated = false;
  if (o.keyFile === undefined) secret = newSecret();
  else {
    try {
      const k = loadOrCreateKey(o.keyFile);
      secret = k.secret;
      keyCreated = k.created;
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`cannot use --key-file ${o.keyFile}: ${describeFsError(e)}`);
    }
  }
  const keys = deriveKeys(secret);
  const result = await writeCapture(o.output, async () => {
    const out = new BlockFile(o.output);
    try {
      const r = await anonymizeCapture(input, out, keys);
      out.close();
      return r;
    } catch (e) {
      out.abort();
      throw e;
    }
  });
  return { result, keyCreated };
}

/** One line on damage: what was kept, what was skipped (as analyze's report says it). */
function damageLine(input: string, r: AnonymizeResult): string | undefined {
  const i = r.info;
  if (!i.truncated && i.skippedBytes === 0) return undefined;
  const why = i.truncated ? 'ends inside a record' : `is damaged (${i.stoppedBy ?? 'unreadable record'})`;
  return `${input} ${why}: ${i.skippedBytes} byte(s) after the last good record skipped; the ${r.packets} packet(s) before are in the copy`;
}

export function registerAnonymizeCommand(program: Command): void {
  program
    .command('anonymize')
    .description('write a copy of a capture with addresses, MAC addresses and DNS names mapped (prefix-preserving) and payloads zeroed')
    .argument('<input>', 'a pcap or pcapng capture (gzip ok; - for standard input)')
    .requiredOption('-o, --output <path>', 'the copy to write (same format as the input)')
    .option('--key-file <path>', 'the mapping key: read, or created (mode 0600) when absent; the same key maps the same way in every file')
    .option('-f, --force', 'overwrite the output file')
    .option('--strict', 'exit 2 when the capture is truncated or damaged (the copy still holds everything before)')
    .option('-q, --quiet', 'no summary line')
    .action(async (input: string, raw: Record<string, unknown>) => {
      const o = parseOptions(AnonymizeCliOptions, raw);
      let run: AnonymizeRun;
      try {
        run = await runAnonymize(input, o);
      } catch (e) {
        rmSync(`${resolve(o.output)}.tmp-${process.pid}`, { force: true });
        if (e instanceof CaptureFormatError) throw new UsageError(terminalSafe(e.message));
        throw e;
      }
      const { result: r, keyCreated } = run;
      const damage = damageLine(input, r);
      if (damage !== undefined) process.stderr.write(`dualscope: warning: ${terminalSafe(damage)}\n`);
      if (!o.quiet) {
        const key = o.keyFile === undefined ? 'a one-time key (pass --key-file to map other files the same way)' : `key ${terminalSafe(o.keyFile)}${keyCreated ? ' (created)' : ''}`;
        process.stdout.write(`anonymize: ${terminalSafe(o.output)}: ${r.packets} packet(s) from ${terminalSafe(input)}, ${key}\n`);
      }
      if (damage !== undefined && o.strict) process.exitCode = EXIT.unusable;
    });
}
