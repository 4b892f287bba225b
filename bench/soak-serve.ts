// Soak of `dualscope serve` (issue 18; not in CI — run bench/soak-serve.sh, which mounts the small
// disk): 50 uploaders in parallel (each from its own 127.0.1.x address, each uploading a real
// sample, waiting for its analysis, and again), 32 idle uploads held open from one address
// (127.0.0.2; reopened as the server drops them), and a data disk filled to the last byte for
// FULL_S seconds out of every CYCLE_S, then emptied. Meanwhile a probe asks GET /api/analyses every
// second, and the server's RSS is read from /proc. At the end every accepted upload must have
// ended `done` or `failed` with a reason, and tmp/ must be empty.
//
//   node dist/bench/soak-serve.js DATA_DISK_DIR [SECONDS=180]
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { request } from 'node:http';
import { createConnection, type Socket } from 'node:net';
import { join, resolve } from 'node:path';

const disk = process.argv[2];
if (disk === undefined) throw new Error('usage: soak-serve DATA_DISK_DIR [SECONDS]');
const seconds = Number(process.argv[3] ?? 180);
const UPLOADERS = 50;
const IDLE = 32;
const CYCLE_S = 30;
const FULL_S = 10;
const SAMPLES = ['same-port-drop-aaaa-client.pcap', 'aaaa-unanswered-client.pcapng', 'pmtud-v6-blackhole-server.pcap', 'fallback-rst-client.pcap', 'pmtud-mss-clamp-client.pcap']
  .map((f) => resolve('samples', f))
  .map((p) => ({ name: p.split('/').pop()!, data: readFileSync(p) }));

const dataDir = join(disk, 'data');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Answer { status: number; json: any }

function call(url: string, o: { method?: string; body?: Buffer; from?: string; timeoutMs?: number } = {}): Promise<Answer> {
  return new Promise((resolveAnswer) => {
    const req = request(url, { method: o.method ?? 'GET', localAddress: o.from, headers: o.body ? { 'Content-Length': o.body.length } : {} }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(Buffer.concat(parts).toString('utf8'));
        } catch {
          json = undefined;
        }
        resolveAnswer({ status: res.statusCode ?? 0, json });
      });
      res.on('error', () => resolveAnswer({ status: 0, json: undefined }));
    });
    req.setTimeout(o.timeoutMs ?? 60_000, () => req.destroy());
    req.on('error', () => resolveAnswer({ status: 0, json: undefined }));
    req.end(o.body);
  });
}

// ── the server ──────────────────────────────────────────────────────────────────────────────────
const server = spawn(process.execPath, [resolve('dist/src/cli/main.js'), 'serve', '--port', '0', '--data', dataDir, '--workers', '2'], { stdio: ['ignore', 'ignore', 'pipe'] });
let serverLog = '';
const url = await new Promise<string>((resolveUrl, reject) => {
  server.stderr!.on('data', (c: Buffer) => {
    serverLog += c.toString();
    const m = /dualscope serve: (http:\/\/\S+?)\/ /.exec(serverLog);
    if (m) resolveUrl(m[1]!);
  });
  server.once('exit', (code) => reject(new Error(`the server exited (${code}): ${serverLog}`)));
});
let serverExit: string | undefined;
server.once('exit', (code, signal) => (serverExit = String(code ?? signal)));
const deadline = Date.now() + seconds * 1000;
const running = (): boolean => Date.now() < deadline && serverExit === undefined;

// ── the figures ─────────────────────────────────────────────────────────────────────────────────
const uploadAnswers = new Map<number, number>();
const accepted: string[] = [];
const probeMs: number[] = [];
let probeFailures = 0;
const probeFailed = new Map<string, number>();
const rss: number[] = [];
let idleAnswers = new Map<string, number>();
let fullPhases = 0;

function rssKiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function uploader(i: number): Promise<void> {
  const from = `127.0.1.${i + 1}`;
  for (let n = 0; running(); n++) {
    const s = SAMPLES[(i + n) % SAMPLES.length]!;
    const a = await call(`${url}/api/analyses?name=${encodeURIComponent(`${i}-${n}-${s.name}`)}`, { method: 'POST', body: s.data, from });
    uploadAnswers.set(a.status, (uploadAnswers.get(a.status) ?? 0) + 1);
    if (a.status !== 201) {
      await sleep(a.status === 503 ? 1000 : 250);
      continue;
    }
    accepted.push(a.json.id as string);
    for (;;) {
      const st = await call(`${url}/api/analyses/${a.json.id}`, { from });
      if (st.status !== 200 || st.json.status === 'done' || st.json.status === 'failed') break;
      await sleep(200);
    }
  }
}

async function idler(): Promise<void> {
  const { hostname, port } = new URL(url);
  const open = (): Promise<void> =>
    new Promise((done) => {
      const socket: Socket = createConnection({ host: hostname, port: Number(port), localAddress: '127.0.0.2' });
      let answer = '';
      socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 'closed';
        idleAnswers.set(status, (idleAnswers.get(status) ?? 0) + 1);
        done();
      });
      socket.write(`POST /api/analyses HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Length: 1000000\r\n\r\n`);
      socket.write(Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex'));
    });
  while (running()) {
    await open();
    await sleep(100);
  }
}

async function prober(): Promise<void> {
  while (running()) {
    const t = performance.now();
    const a = await call(`${url}/api/analyses?limit=20`, { timeoutMs: 10_000 });
    if (a.status === 200) probeMs.push(performance.now() - t);
    else {
      probeFailures++;
      const why = `${a.status || 'no answer in 10 s'}${a.json?.error ? ` ${String(a.json.error)}` : ''}`;
      probeFailed.set(why, (probeFailed.get(why) ?? 0) + 1);
    }
    const k = rssKiB(server.pid!);
    if (k !== undefined) rss.push(k);
    await sleep(1000);
  }
}

/** Fills the data disk to the last byte for FULL_S of every CYCLE_S seconds. */
async function filler(): Promise<void> {
  const path = join(disk, 'filler');
  while (running()) {
    await sleep((CYCLE_S - FULL_S) * 1000);
    if (!running()) break;
    const fd = openSync(path, 'w');
    for (const size of [1 << 20, 4096, 1]) {
      const block = Buffer.alloc(size, 0x5a);
      for (;;) {
        try {
          writeSync(fd, block);
        } catch {
          break;
        }
      }
    }
    closeSync(fd);
    fullPhases++;
    await sleep(FULL_S * 1000);
    rmSync(path, { force: true });
  }
  rmSync(path, { force: true });
}

process.stdout.write(`soak: ${url}, ${seconds} s, ${UPLOADERS} uploaders, ${IDLE} idle uploads, the disk full ${FULL_S} s of every ${CYCLE_S} s\n`);
await Promise.all([...Array.from({ length: UPLOADERS }, (_, i) => uploader(i)), ...Array.from({ length: IDLE }, () => idler()), prober(), filler()]);

// ── the end: every accepted analysis settles, nothing is left behind ────────────────────────────
const settleDeadline = Date.now() + 120_000;
const outcome = new Map<string, number>();
const stuck: string[] = [];
const noReason: string[] = [];
for (const id of accepted) {
  for (;;) {
    const st = await call(`${url}/api/analyses/${id}`);
    if (st.status === 404) {
      outcome.set('gone', (outcome.get('gone') ?? 0) + 1);
      break;
    }
    if (st.status === 200 && (st.json.status === 'done' || st.json.status === 'failed')) {
      const key = st.json.status === 'done' ? 'done' : `failed: ${String(st.json.reason).slice(0, 70)}`;
      outcome.set(key, (outcome.get(key) ?? 0) + 1);
      if (st.json.status === 'failed' && !st.json.reason) noReason.push(id);
      break;
    }
    if (Date.now() > settleDeadline) {
      stuck.push(`${id} ${st.status} ${st.json?.status}`);
      break;
    }
    await sleep(250);
  }
}
await sleep(500);
const tmpLeft = serverExit === undefined ? readdirSync(join(dataDir, 'tmp')) : ['(server exited)'];
server.kill('SIGTERM');

const sorted = [...probeMs].sort((a, b) => a - b);
const pct = (p: number): number => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN);
const mib = (k: number): string => (k / 1024).toFixed(0);
const lines = [
  `uploads answered: ${[...uploadAnswers].sort().map(([s, n]) => `${s}×${n}`).join(', ')} (${accepted.length} accepted)`,
  `accepted analyses ended: ${[...outcome].map(([k, n]) => `${n} ${k}`).join('; ')}`,
  `stuck (not done/failed after the drain): ${stuck.length}; failed without a reason: ${noReason.length}; tmp/ files left: ${tmpLeft.length}`,
  `idle uploads answered: ${[...idleAnswers].sort().map(([s, n]) => `${s}×${n}`).join(', ')}`,
  `probe GET /api/analyses?limit=20: ${probeMs.length} answered, ${probeFailures} failed; median ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${Math.round(sorted[sorted.length - 1] ?? NaN)} ms`,
  `probe failures: ${[...probeFailed].map(([k, n]) => `${n}× ${k}`).join('; ') || 'none'}; server log lines: ${serverLog.trim().split('\n').length - 1} (${(serverLog.match(/internal error/g) ?? []).length} "internal error")`,
  `server RSS: min ${mib(Math.min(...rss))} MiB, max ${mib(Math.max(...rss))} MiB (${rss.length} samples); disk-full phases: ${fullPhases}; server exit during the soak: ${serverExit ?? 'none'}`,
];
process.stdout.write(`${lines.join('\n')}\n`);
const ok = stuck.length === 0 && noReason.length === 0 && tmpLeft.length === 0 && serverExit === undefined && probeFailures === 0;
process.stdout.write(ok ? 'soak: OK\n' : 'soak: FAILED\n');
idleAnswers = new Map();
process.exit(ok ? 0 : 1);
