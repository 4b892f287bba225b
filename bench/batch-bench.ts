// `npm run bench` (after the single-file rows): batch throughput. The same files analysed by
// `dualscope batch` with --jobs 1 and --jobs 2, and — when redis-server is installed — with
// --queue and two local `dualscope worker --jobs 1`, runs alternating so that a shared machine's
// drift hits every mode alike (BENCH_RUNS rounds, default 3; the fastest of each is shown).
// BENCH_BATCH_FILES files (default 8) of BENCH_BATCH_PACKETS packets each (default 250 000).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCapture } from './generate.js';

const files = Math.max(2, Number(process.env.BENCH_BATCH_FILES ?? 8));
const perFile = Math.max(1000, Number(process.env.BENCH_BATCH_PACKETS ?? 250_000));
const rounds = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const BIN = join(import.meta.dirname, '../src/cli/main.js');
const dir = join(tmpdir(), 'dualscope-bench', `batch-${files}x${perFile}`);
const work = join(tmpdir(), 'dualscope-bench', 'batch-work');

mkdirSync(dir, { recursive: true });
mkdirSync(work, { recursive: true });
for (let i = 0; i < files; i++) {
  // Different names and identical times: independent files, never a capture set.
  const f = join(dir, `site-${String.fromCharCode(97 + (i % 26))}${Math.floor(i / 26) || ''}.pcap`);
  if (!existsSync(f)) generateCapture(f, perFile);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return 0;
  }
}

let round = 0;
/** Wall-clock and CPU seconds of one batch (CPU: the coordinator and its threads, plus the queue workers). */
function batch(args: string[]): { wall: number; cpu: number } {
  const index = join(work, 'index.sqlite');
  for (const f of [index, `${index}-wal`, `${index}-shm`]) rmSync(f, { force: true });
  const workersBefore = workers.reduce((n, w) => n + cpuOf(w.pid), 0);
  // A different --generated-at each run: queue jobs are identified by their content, and a result
  // from an earlier run would otherwise be collected instead of computed.
  const stamp = new Date(Date.UTC(2026, 0, 1, 0, 0, round++)).toISOString().replace('.000', '');
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, BIN, 'batch', dir, '--index', index, '--no-write', '--no-sets', '-q', '--generated-at', stamp, ...args], { encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`batch ${args.join(' ')} failed: ${r.stderr.split('\n')[0]}`);
  const [user, sys] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  const cpu = user! + sys! + workers.reduce((n, w) => n + cpuOf(w.pid), 0) - workersBefore;
  return { wall, cpu };
}

const times = new Map<string, { wall: number; cpu: number }[]>();
const note = (mode: string, s: { wall: number; cpu: number }): void => void times.set(mode, [...(times.get(mode) ?? []), s]);

let redis: ChildProcess | undefined;
let workers: ChildProcess[] = [];
let queueUrl: string | undefined;
if (spawnSync('redis-server', ['--version']).status === 0) {
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  queueUrl = `redis://127.0.0.1:${port}`;
  workers = [0, 1].map(() => spawn(process.execPath, [BIN, 'worker', '--queue', queueUrl!, '--jobs', '1', '-q'], { stdio: 'ignore' }));
  await new Promise((r) => setTimeout(r, 1500));
}

try {
  for (let round = 0; round < rounds; round++) {
    note('--jobs 1', batch(['--jobs', '1']));
    note('--jobs 2', batch(['--jobs', '2']));
    if (queueUrl) note('--queue, 2 workers × 1 thread', batch(['--queue', queueUrl]));
  }
} finally {
  for (const w of workers) w.kill('SIGTERM');
  redis?.kill('SIGTERM');
}

const total = files * perFile;
const best = (m: string): number => Math.min(...times.get(m)!.map((x) => x.wall));
process.stdout.write(`\nbatch: ${files} files × ${perFile} packets (${total} packets), ${rounds} alternating rounds, fastest shown; load average ${loadavg()[0]!.toFixed(1)}\n\n`);
for (const [mode, list] of times) {
  const b = Math.min(...list.map((x) => x.wall));
  const cpu = Math.min(...list.map((x) => x.cpu));
  process.stdout.write(
    `${`dualscope batch ${mode}`.padEnd(44)} ${(total / b / 1e6).toFixed(2).padStart(6)} M packets/s  wall ${b.toFixed(1).padStart(6)} s (${list.map((s) => s.wall.toFixed(1)).join(', ')})  CPU ${cpu.toFixed(1)} s\n`,
  );
}
const speedup = best('--jobs 1') / best('--jobs 2');
process.stdout.write(`\n2 jobs vs 1: ${speedup.toFixed(2)}× (target ≥ 1.8× with 2 idle cores: ${speedup >= 1.8 ? 'met' : 'NOT met'}${loadavg()[0]! > 2 ? '; the machine is loaded, so wall-clock ratios say little — compare the CPU seconds' : ''})\n`);
if (queueUrl) {
  const q = best('--queue, 2 workers × 1 thread') / best('--jobs 2');
  process.stdout.write(`--queue vs local pool (2 threads): ${q.toFixed(2)}× the time (target ≤ 1.15: ${q <= 1.15 ? 'met' : 'NOT met'})\n`);
} else {
  process.stdout.write('--queue: not run (no redis-server)\n');
}
