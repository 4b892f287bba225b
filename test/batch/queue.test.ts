// `dualscope batch --queue` with a real redis-server (Debian's, started here on a free loopback
// port, no persistence) and two `dualscope worker`s, one SIGKILLed mid-run: every file is indexed
// exactly once and the findings equal the local pool's. An unreachable Redis is one line, exit 2.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLI, ROOT, requireBuiltCli, runCli, type CliResult } from '../support/cli.js';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 120_000 }); // many CLI runs and a stalled-job timeout, on a shared machine

const HAVE_REDIS = spawnSync('redis-server', ['--version']).status === 0;
if (!HAVE_REDIS) console.warn('queue.test: skipped, no redis-server (scripts/setup.sh installs it as root)');

let tmp: string;
let redis: ChildProcess | undefined;
let url: string;
const children: ChildProcess[] = [];

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

const run = (args: string[]): CliResult => runCli(args, { cwd: tmp });

interface Indexed { files: [string, string, number | null][]; findings: string[] }
function readIndex(path: string): Indexed {
  const db = new Database(path, { readonly: true });
  try {
    const files = (db.prepare('SELECT path, status, findings FROM files ORDER BY path').all() as { path: string; status: string; findings: number | null }[]).map((f) => [f.path, f.status, f.findings] as [string, string, number | null]);
    const findings = (db.prepare('SELECT f.path AS path, x.finding_id AS id, x.json AS json FROM findings x JOIN files f ON f.id = x.file_id').all() as { path: string; id: string; json: string }[]).map((x) => `${x.path} ${x.id} ${x.json}`);
    return { files, findings: findings.sort() };
  } finally {
    db.close();
  }
}

describe.skipIf(!HAVE_REDIS)('dualscope batch --queue with workers', () => {
  beforeAll(async () => {
    requireBuiltCli();
    tmp = mkdtempSync(join(tmpdir(), 'dualscope-queue-'));
    const port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    url = `redis://127.0.0.1:${port}`;
    for (let i = 0; i < 50; i++) {
      if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG') break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    if (redis?.pid) process.kill(redis.pid, 'SIGTERM');
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('a coordinator and two workers, one SIGKILLed mid-run: every file indexed once, findings as the local pool', async () => {
    const dir = join(tmp, 'captures');
    mkdirSync(dir);
    const samples = readdirSync(join(ROOT, 'samples')).filter((s) => /\.pcap(ng)?$/.test(s));
    for (const s of samples.slice(0, 20)) copyFileSync(join(ROOT, 'samples', s), join(dir, s));
    // a ring of pieces too, so that set jobs (lead-in/run-out) cross the queue
    expect(spawnSync('editcap', ['-c', '20', join(ROOT, 'samples/demo.pcapng'), join(dir, 'ring.pcapng')]).status).toBe(0);

    const local = join(tmp, 'local.sqlite');
    const l = run(['batch', dir, '--index', local, '--out', join(tmp, 'local-reports'), '--generated-at', '2026-01-01T00:00:00Z', '-q']);
    expect(l.status, l.stderr).toBe(0);

    const logs = new Map<ChildProcess, string>();
    const worker = (): ChildProcess => {
      const w = spawn(process.execPath, [CLI, 'worker', '--queue', url, '--jobs', '1'], { cwd: tmp, stdio: ['ignore', 'ignore', 'pipe'] });
      logs.set(w, '');
      w.stderr!.on('data', (d: Buffer) => logs.set(w, logs.get(w)! + d.toString()));
      children.push(w);
      return w;
    };
    const victim = worker();
    const survivor = worker();
    const queued = join(tmp, 'queued.sqlite');
    const coordinator = spawn(process.execPath, [CLI, 'batch', dir, '--index', queued, '--queue', url, '--out', join(tmp, 'queued-reports'), '--generated-at', '2026-01-01T00:00:00Z'], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(coordinator);
    let out = '';
    let err = '';
    coordinator.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    coordinator.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const done = new Promise<number | null>((resolve) => coordinator.on('exit', resolve));

    // Kill one worker once it has finished a few jobs (so it is surely holding one now).
    for (;;) {
      await new Promise((r) => setTimeout(r, 50));
      const victimDone = logs.get(victim)!.split('\n').filter((x) => x.includes('done analyze')).length;
      if (victimDone >= 3 || coordinator.exitCode !== null) break;
    }
    victim.kill('SIGKILL');
    const status = await done;
    // The survivor ran at least one job after the kill: the one the victim held, retried.
    expect(logs.get(survivor)).toMatch(/done analyze/);
    expect(status, `${out}\n${err}`).toBe(0);
    survivor.kill('SIGTERM');

    const want = readIndex(local);
    const got = readIndex(queued);
    expect(got.files).toEqual(want.files);
    expect(got.files.every(([, s]) => s === 'done')).toBe(true);
    expect(got.findings).toEqual(want.findings);
    expect(new Set(got.findings).size).toBe(got.findings.length);
    // The reports the workers wrote are the local pool's.
    const reports = readdirSync(join(tmp, 'local-reports')).sort();
    expect(readdirSync(join(tmp, 'queued-reports')).sort()).toEqual(reports);
  });

  it('an unreachable Redis is one line and exit 2, for the coordinator and a worker', async () => {
    const port = await freePort(); // nothing listens there
    for (const args of [['batch', join(ROOT, 'samples/demo.pcapng'), '--index', join(tmp, 'x.sqlite'), '--queue', `redis://127.0.0.1:${port}`], ['worker', '--queue', `redis://127.0.0.1:${port}`], ['worker', '--queue', 'http://example.com']]) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^dualscope: (cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)|--queue: .*only redis)/);
    }
  });
});
