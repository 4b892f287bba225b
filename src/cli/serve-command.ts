// `dualscope serve`: the upload service. Runs until SIGINT/SIGTERM, then stops cleanly (uploads
// still arriving are dropped, running analyses wait for the next start).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { UsageError } from '../core/index.js';
import { formatBytes, isLoopbackHost, MIN_TOKEN_LENGTH, startServer } from '../server/index.js';
import { parseOptions } from './options.js';
import { checkDataFolder, describeFsError } from './output.js';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** `2GB`, `500M`, `64KiB`, `1048576` → bytes (binary multiples: 1 GB = 1024³ bytes). */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (m === null) return undefined;
  const unit = UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  const n = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

const byteSize = z.string().transform((s, ctx) => {
  const n = parseByteSize(s);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: '--max-upload must be a size such as 2GB, 500MB or 1048576' });
    return z.NEVER;
  }
  return n;
});

export const ServeCliOptions = z
  .object({
    port: z.coerce.number({ error: '--port must be a number' }).int('--port must be a whole number').min(0, '--port must be 0..65535').max(65535, '--port must be 0..65535').default(8080),
    host: z.string().min(1, '--host must not be empty').default('127.0.0.1'),
    data: z.string().min(1, '--data must name a folder').default('dualscope-data'),
    maxUpload: byteSize.default(2 * 1024 ** 3),
    tokenFile: z.string().min(1).optional(),
    workers: z.coerce.number({ error: '--workers must be a number' }).int('--workers must be a whole number').min(1, '--workers must be at least 1').max(64, '--workers must be at most 64').default(2),
  })
  .refine((o) => isLoopbackHost(o.host) || o.tokenFile !== undefined, {
    message: '--host on a non-loopback address needs --token-file: without a token anyone who can reach it could read every capture',
    path: [],
  });
export type ServeCliOptions = z.infer<typeof ServeCliOptions>;

function readToken(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--token-file ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const token = text.trim();
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw new UsageError(`--token-file ${path}: the token must be one line of at least ${MIN_TOKEN_LENGTH} characters without spaces (e.g. openssl rand -hex 32)`);
  }
  return token;
}

export async function runServe(o: ServeCliOptions): Promise<void> {
  const token = o.tokenFile === undefined ? undefined : readToken(o.tokenFile);
  checkDataFolder('--data', o.data);
  let server;
  try {
    server = await startServer({
      host: o.host.replace(/^\[(.*)\]$/, '$1'), // [::1] as written in URLs
      port: o.port,
      dataDir: resolve(o.data),
      maxUpload: o.maxUpload,
      token,
      workers: o.workers,
      log: (line) => process.stderr.write(`dualscope serve: ${line}\n`),
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Opening the data folder failed (a full disk, permissions, a damaged database): nothing is
    // listening yet, so one line and exit 2 say all there is.
    if ((e as NodeJS.ErrnoException).syscall !== 'listen' && typeof code === 'string') {
      throw new UsageError(`--data ${o.data}: cannot start on it: ${describeFsError(e)}`);
    }
    if (code === 'EADDRINUSE') throw new UsageError(`${o.host}:${o.port} is in use; pick another --port`);
    if (code === 'EADDRNOTAVAIL') throw new UsageError(`--host ${o.host} is not an address of this machine`);
    if (code === 'EACCES') throw new UsageError(`not allowed to listen on ${o.host}:${o.port} (ports below 1024 need privileges)`);
    throw e;
  }
  process.stderr.write(
    `dualscope serve: ${server.url}/ (data in ${resolve(o.data)}, uploads up to ${formatBytes(o.maxUpload)}, ${o.workers} worker${o.workers === 1 ? '' : 's'}${token ? ', token required' : ''})\n`,
  );
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stderr.write('dualscope serve: stopping\n');
      void server.close().then(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the upload service: a web page and JSON API to upload captures and get their reports')
    .option('--port <n>', 'TCP port (0: any free port)', '8080')
    .option('--host <address>', 'address to listen on; other than loopback requires --token-file', '127.0.0.1')
    .option('--data <dir>', 'folder for the database, captures and reports (created if missing)', 'dualscope-data')
    .option('--max-upload <size>', 'largest upload accepted, e.g. 2GB, 500MB', '2GB')
    .option('--token-file <file>', 'file holding the access token required on every request')
    .option('--workers <n>', 'analyses running at once (more uploads wait in a queue)', '2')
    .action(async (raw: Record<string, unknown>) => {
      await runServe(parseOptions(ServeCliOptions, raw));
    });
}
