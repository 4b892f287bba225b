// `npm run bench` (after the single-file rows): batch throughput. The same files analysed by
// `dualscope batch` with --jobs 1 and --jobs 2, and — when redis-server is installed — with
// --queue and two local `dualscope worker --jobs 1`, runs alternating so that a shared machine's
// drift hits every mode alike (BENCH_RUNS rounds, default 3; the fastest of each is shown).
// BENCH_BATCH_FILES files (default 4) of BENCH_BATCH_PACKETS packets each (default 1 000 000, ≈ 450 MB:
// the size of a ring buffer's file). Every mode starts cold — the pool's threads and the queue's
// worker processes are started for each run — because each worker compiles its own code: with small
// files that warm-up, not the analysis, decides the ratio (250 000-packet files: the first file a
// worker analyses costs ~1.7× the next).
//
// Besides wall clock and CPU, each local run's CPU is split by thread (sampled from /proc every
// 100 ms): the coordinator's main thread, the worker threads (the `--jobs` busiest), and the rest —
// V8's helper threads, which run garbage collection and compilation beside every isolate. On a
// 2-core machine those helpers already keep the second core partly busy with --jobs 1, and the two
// workers of --jobs 2 must share both cores with them: the speed-up is bounded by
// (CPU of --jobs 1) / (wall of --jobs 1) cores of work fitting in 2, not by the pool.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCapture } from './generate.js';

const files = Math.max(2, Number(process.env.BENCH_BATCH_FILES ?? 4));
const perFile = Math.max(1000, Number(process.env.BENCH_BATCH_PACKETS ?? 1_000_000));
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

/** CPU seconds (user + system) a process (or, with `/task/TID`, one thread) has used so far, from /proc (Linux). */
function cpuOf(pid: number | undefined, task = ''): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}${task}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return 0;
  }
}

/** The last CPU seconds seen of each thread of a process, sampled until it exits. */
function sampleThreads(pid: number, into: Map<number, number>): void {
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const cpu = cpuOf(pid, `/task/${tid}`);
      if (cpu > 0) into.set(Number(tid), cpu);
    }
  } catch {
    // exited between the listing and the read
  }
}

interface Split { main: number; workers: number[]; helpers: number }

let round = 0;
/**
 * Wall-clock and CPU seconds of one batch (CPU: the coordinator and its threads, plus the queue
 * workers), and for the local pool the CPU by thread.
 */
async function batch(args: string[], jobs: number): Promise<{ wall: number; cpu: number; split?: Split }> {
  const index = join(work, 'index.sqlite');
  for (const f of [index, `${index}-wal`, `${index}-shm`]) rmSync(f, { force: true });
  const workersBefore = workers.reduce((n, w) => n + cpuOf(w.pid), 0);
  // A different --generated-at each run: queue jobs are identified by their content, and a result
  // from an earlier run would otherwise be collected instead of computed.
  const stamp = new Date(Date.UTC(2026, 0, 1, 0, 0, round++)).toISOString().replace('.000', '');
  const t = process.hrtime.bigint();
  // Under GNU time for the exact CPU total; its child, the batch, is sampled for the split.
  const timer = spawn('/usr/bin/time', ['-f', '%U %S', process.execPath, BIN, 'batch', dir, '--index', index, '--no-write', '--no-sets', '-q', '--generated-at', stamp, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  timer.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const threads = new Map<number, number>();
  let pid: number | undefined;
  const sampler = setInterval(() => {
    try {
      pid ??= Number(readFileSync(`/proc/${timer.pid}/task/${timer.pid}/children`, 'utf8').trim().split(' ')[0]) || undefined;
    } catch {
      // not started yet, or done
    }
    if (pid !== undefined) sampleThreads(pid, threads);
  }, 100);
  const status = await new Promise<number | null>((resolve) => timer.on('exit', (code) => resolve(code)));
  clearInterval(sampler);
  const wall = Number(process.hrtime.bigint() - t) / 1e9;
  if (status !== 0) throw new Error(`batch ${args.join(' ')} failed: ${stderr.split('\n')[0]}`);
  const [user, sys] = stderr.trim().split('\n').pop()!.split(' ').map(Number);
  // The queue workers' CPU counts for --queue runs only: idle, they still poll Redis.
  const queued = args.includes('--queue');
  const cpu = user! + sys! + (queued ? workers.reduce((n, w) => n + cpuOf(w.pid), 0) - workersBefore : 0);
  // The split's last samples are up to 100 ms old, so it adds up to a little less than the total.
  const main = pid === undefined ? 0 : (threads.get(pid) ?? 0);
  const others = [...threads].filter(([tid]) => tid !== pid).map(([, c]) => c).sort((a, b) => b - a);
  const split = { main, workers: others.slice(0, jobs), helpers: others.slice(jobs).reduce((a, b) => a + b, 0) };
  return { wall, cpu, split: queued || pid === undefined ? undefined : split };
}

type Run = { wall: number; cpu: number; split?: Split };
const times = new Map<string, Run[]>();
const note = (mode: string, s: Run): void => void times.set(mode, [...(times.get(mode) ?? []), s]);

let redis: ChildProcess | undefined;
let workers: ChildProcess[] = [];
let queueUrl: string | undefined;
if (spawnSync('redis-server', ['--version']).status === 0) {
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  queueUrl = `redis://127.0.0.1:${port}`;
}

/** Two `dualscope worker --jobs 1` on the queue, started cold for one run; resolves once both wait for jobs. */
async function startQueueWorkers(url: string): Promise<ChildProcess[]> {
  const started = [0, 1].map(() => spawn(process.execPath, [BIN, 'worker', '--queue', url, '--jobs', '1'], { stdio: ['ignore', 'ignore', 'pipe'] }));
  await Promise.all(
    started.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          let said = '';
          w.stderr!.on('data', (d: Buffer) => {
            said += d.toString();
            if (said.includes('waiting for jobs')) resolve();
          });
          w.once('exit', (code) => reject(new Error(`dualscope worker exited (${code}): ${said.split('\n')[0]}`)));
        }),
    ),
  );
  return started;
}

async function stopQueueWorkers(): Promise<void> {
  await Promise.all(workers.map((w) => new Promise((resolve) => (w.exitCode !== null ? resolve(null) : (w.once('exit', resolve), w.kill('SIGTERM'))))));
  workers = [];
}

try {
  for (let round = 0; round < rounds; round++) {
    note('--jobs 1', await batch(['--jobs', '1'], 1));
    note('--jobs 2', await batch(['--jobs', '2'], 2));
    if (queueUrl) {
      workers = await startQueueWorkers(queueUrl);
      note('--queue, 2 workers × 1 thread', await batch(['--queue', queueUrl], 0));
      await stopQueueWorkers();
    }
  }
} finally {
  await stopQueueWorkers();
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
  // The thread split of the run with the least CPU.
  const split = [...list].sort((x, y) => x.cpu - y.cpu)[0]!.split;
  if (split) process.stdout.write(`${''.padEnd(44)} CPU by thread: main ${split.main.toFixed(1)} s, workers ${split.workers.map((w) => w.toFixed(1)).join(' + ')} s, V8 helpers (GC, compiler) ${split.helpers.toFixed(1)} s\n`);
}
const speedup = best('--jobs 1') / best('--jobs 2');
process.stdout.write(`\n2 jobs vs 1: ${speedup.toFixed(2)}× (target ≥ 1.8× with 2 idle cores: ${speedup >= 1.8 ? 'met' : 'NOT met'}${loadavg()[0]! > 2 ? '; the machine is loaded, so wall-clock ratios say little — compare the CPU seconds' : ''})\n`);
if (queueUrl) {
  const q = best('--queue, 2 workers × 1 thread') / best('--jobs 2');
  process.stdout.write(`--queue vs local pool (2 threads): ${q.toFixed(2)}× the time (target ≤ 1.15: ${q <= 1.15 ? 'met' : 'NOT met'})\n`);
} else {
  process.stdout.write('--queue: not run (no redis-server)\n');
}
