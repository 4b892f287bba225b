// analyze --jobs: real samples cut into many small pieces (forced: a few hundred bytes each, so that
// lookups, connections and incidents cross piece boundaries) give the report of the one-thread
// analysis — findings (kind, severity, evidence frames, times, counts), statistics, anomalies and
// capture facts, the timeline's overview and lanes — on pcap, pcapng and gzip. The one thing that
// may differ, state older than the lead-in, is shown on the sample that has it. Pieces run here on
// an inline runner that sends jobs and results through structuredClone, as a thread does; the CLI
// case runs real worker threads.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureFormatError } from '../../src/core/index.js';
import { analyzeFile } from '../../src/analyze.js';
import { analyzeInPieces, PIECE_BYTES_ENV, runJob, type Job, type JobRunner } from '../../src/batch/index.js';
import type { Report } from '../../src/report/index.js';
import { ROOT, requireBuiltCli, runCli } from '../support/cli.js';
import { CORPUS, corpusPresent } from '../support/corpus.js';

const GENERATED_AT = '2026-01-01T00:00:00Z';
const tmp = mkdtempSync(join(tmpdir(), 'i17-jobs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs each job here, its job and result copied as postMessage copies them. */
class InlineRunner implements JobRunner {
  readonly concurrency = 1;
  jobs = 0;
  async run(job: Job) {
    this.jobs++;
    return structuredClone(await runJob(structuredClone(job)));
  }
  async close() {}
}

async function both(path: string, pieceBytes: number, contextSeconds = 3600): Promise<{ one: Report; split: Report; pieces: number }> {
  const one = await analyzeFile(path, { generatedAt: GENERATED_AT });
  const runner = new InlineRunner();
  let pieces = 0;
  const split = await analyzeInPieces(path, { jobs: 2, runner, pieceBytes, contextSeconds, analyze: { generatedAt: GENERATED_AT }, onPieces: (n) => (pieces = n) });
  // The first piece is analysed on the calling thread, the others by the runner.
  expect(runner.jobs).toBe(pieces - 1);
  return { one, split, pieces };
}

/**
 * Everything but the timeline's lanes, which differ at piece boundaries (see README): the lanes, and
 * with them how many were left out and how many packets had none (each piece fills its own).
 */
function expectSameReport(one: Report, split: Report): void {
  expect(split.findings).toEqual(one.findings);
  expect(split.counts).toEqual(one.counts);
  expect(split.statistics).toEqual(one.statistics);
  expect(split.anomalies).toEqual(one.anomalies);
  expect(split.capture).toEqual(one.capture);
  const { lanes: _a, omittedLanes: _c, packetsWithoutLane: _e, ...timelineOne } = one.timeline;
  const { lanes: _b, omittedLanes: _d, packetsWithoutLane: _f, ...timelineSplit } = split.timeline;
  expect(timelineSplit).toEqual(timelineOne);
}

/** A lead-in and run-out longer than any capture's span: every piece knows all that came before it. */
const WHOLE_CAPTURE_CONTEXT = Number.MAX_SAFE_INTEGER / 1e6;

// Samples with incidents of every family whose evidence spans many pieces at these sizes.
const SAMPLES: [string, number][] = [
  ['samples/demo.pcapng', 600],
  ['samples/busy-mixed-client.pcapng', 1500],
  ['samples/sticky-firewall-client.pcap', 400],
  ['samples/same-port-drop-many-clients-lan.pcap', 500],
  ['samples/pmtud-v6-blackhole-server.pcap', 2000],
  ['samples/pmtud-mss-clamp-server.pcapng', 2000],
  ['samples/fallback-happy-eyeballs-client.pcap', 300],
  ['samples/neighbor-arp-failure-router.pcap', 500],
  ['samples/rfc6303-leak-many-hosts-resolver.pcap', 500],
  ['samples/aaaa-unanswered-recursive-resolver.pcapng', 400],
];

describe('analyze in pieces: the one-thread report', () => {
  for (const [sample, pieceBytes] of SAMPLES) {
    it(`${sample} in pieces of ${pieceBytes} bytes`, async () => {
      const { one, split, pieces } = await both(join(ROOT, sample), pieceBytes);
      expect(pieces).toBeGreaterThanOrEqual(4);
      expect(one.findings.length).toBeGreaterThan(0);
      expectSameReport(one, split);
    });
  }

  it('a gzip capture, decompressed once', async () => {
    const gz = join(tmp, 'busy-mixed-client.pcapng.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(ROOT, 'samples/busy-mixed-client.pcapng'))));
    const { one, split, pieces } = await both(gz, 1500);
    expect(pieces).toBeGreaterThanOrEqual(4);
    expect(split.capture.gzip).toBe(true);
    expectSameReport(one, split);
  });

  it('whole-capture findings are regrouped across pieces: the resolver profile counts every lookup', async () => {
    const { one, split } = await both(join(ROOT, 'samples/demo.pcapng'), 600);
    const profiles = (r: Report) => r.findings.filter((f) => f.kind === 'dns.resolver_profile').map((f) => f.summary);
    expect(profiles(one).some((s) => s.includes('(3 address lookup(s))'))).toBe(true);
    expect(profiles(split)).toEqual(profiles(one));
  });

  it('state older than the lead-in: a SYN-only connection ended by its 75 s handshake timer is not counted with a 60 s lead-in', async () => {
    // demo.pcapng: an unanswered SYN whose handshake timer (75 s) fires in a later piece than the
    // one holding the SYN; with a 60 s lead-in that piece never saw it, so nobody ends it.
    const short = await both(join(ROOT, 'samples/demo.pcapng'), 600, 60);
    expect(short.split.findings).toEqual(short.one.findings);
    const diff = Object.fromEntries(Object.entries(short.one.statistics.tcp).filter(([k, v]) => short.split.statistics.tcp[k] !== v).map(([k, v]) => [k, [v, short.split.statistics.tcp[k]]]));
    expect(diff).toEqual({ connections: [3, 2], open: [0, 1], 'byEnd.idle': [1, 0], 'byHandshake.unanswered': [1, 0] });
    // A lead-in longer than that timer: the same again.
    const long = await both(join(ROOT, 'samples/demo.pcapng'), 600, 76);
    expectSameReport(long.one, long.split);
  });

  // A detector's bound (groups, remembered legs) filled by the records a piece reads, context
  // included, as on one thread: a piece counting only its own once dropped lookups of a client
  // one thread profiles (edge bench file: resolver_profile client counts), and a merge replaying
  // only the pieces' own legs dropped legs one thread keeps (local_zone_leak upstream legs).
  it.each([
    ['samples/onesided-merge-lan.pcap', { 'dns.resolver_profile': { maxClients: 1 } }],
    ['samples/rfc6303-leak-many-hosts-resolver.pcap', { 'dns.local_zone_leak': { maxRememberedLegs: 3 } }],
  ])('a bound filled across pieces: %s with %j', async (file, detect) => {
    const path = join(ROOT, file);
    const analyze = { generatedAt: GENERATED_AT, detect };
    const one = await analyzeFile(path, analyze);
    let pieces = 0;
    const split = await analyzeInPieces(path, { jobs: 2, runner: new InlineRunner(), pieceBytes: Math.ceil(statSync(path).size / 8), contextSeconds: WHOLE_CAPTURE_CONTEXT, analyze, onPieces: (n) => (pieces = n) });
    expect(pieces).toBeGreaterThanOrEqual(4);
    const kind = Object.keys(detect)[0]!;
    expect(one.findings.filter((f) => f.kind === kind).length).toBeGreaterThan(0);
    expectSameReport(one, split);
  });

  it('a file that makes one piece is analysed on this thread: no job runs, the one-thread report', async () => {
    const path = join(ROOT, 'samples/busy-mixed-client.pcapng');
    const runner = new InlineRunner();
    let told = 0;
    const split = await analyzeInPieces(path, { jobs: 2, runner, pieceBytes: 1 << 30, contextSeconds: 60, analyze: { generatedAt: GENERATED_AT }, onPieces: (n) => (told = n) });
    expect(runner.jobs).toBe(0);
    expect(told).toBe(1);
    expect(split).toEqual(await analyzeFile(path, { generatedAt: GENERATED_AT }));
  });

  it('a capture too short to make two pieces is foreseen early in the pass and analysed on this thread', async () => {
    // 13 s of capture against pieces of at least four 60 s contexts: an eighth of the file spans
    // under 2 s, so the whole is foreseen far shorter than one piece's minimum.
    const path = join(ROOT, 'samples/busy-mixed-client.pcapng');
    const runner = new InlineRunner();
    let told = 0;
    const split = await analyzeInPieces(path, { jobs: 2, runner, contextSeconds: 60, analyze: { generatedAt: GENERATED_AT }, onPieces: (n) => (told = n) });
    expect(runner.jobs).toBe(0);
    expect(told).toBe(1);
    expect(split).toEqual(await analyzeFile(path, { generatedAt: GENERATED_AT }));
    // With a context short enough for pieces of 2 s, the same file is cut, and the report is the same.
    const cut = await analyzeInPieces(path, { jobs: 2, runner, contextSeconds: 0.5, analyze: { generatedAt: GENERATED_AT }, onPieces: (n) => (told = n) });
    expect(told).toBe(2);
    expect(runner.jobs).toBe(1);
    expect(cut.findings).toEqual(split.findings);
  });

  it('an unreadable file: the one-thread error', async () => {
    const bad = join(tmp, 'not-a-capture.pcap');
    writeFileSync(bad, 'this is not a capture file at all');
    const one = await analyzeFile(bad).catch((e: unknown) => e);
    const split = await analyzeInPieces(bad, { jobs: 2, runner: new InlineRunner(), pieceBytes: 10 }).catch((e: unknown) => e);
    expect(one).toBeInstanceOf(CaptureFormatError);
    expect(split).toBeInstanceOf(CaptureFormatError);
    expect((split as Error).message).toBe((one as Error).message);
  });
});

/** Every capture under `dir` (recursively), relative to it. */
function captures(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (/\.(pcap|pcapng|cap|pcap\.gz|pcapng\.gz)$/i.test(e.name)) out.push(r);
    }
  };
  walk('');
  return out.sort();
}

/**
 * Every sample and every corpus file, cut into about eight pieces (at least 200 bytes each): the
 * one-thread findings, counts, statistics, anomalies and capture facts, or the one-thread error.
 */
async function expectSameInPieces(path: string): Promise<number> {
  const pieceBytes = Math.max(200, Math.ceil(statSync(path).size / 8));
  const one = await analyzeFile(path, { generatedAt: GENERATED_AT }).catch((e: unknown) => e);
  let pieces = 0;
  const split = await analyzeInPieces(path, { jobs: 2, runner: new InlineRunner(), pieceBytes, contextSeconds: WHOLE_CAPTURE_CONTEXT, analyze: { generatedAt: GENERATED_AT }, onPieces: (n) => (pieces = n) }).catch((e: unknown) => e);
  if (one instanceof Error) {
    expect(split).toBeInstanceOf(Error);
    expect((split as Error).message).toBe(one.message);
  } else {
    expectSameReport(one as Report, split as Report);
  }
  return pieces;
}

/** Each file in pieces; the files whose report differs, with the first line of the difference. */
async function allInPieces(dir: string, files: readonly string[]): Promise<{ split: number; failed: string[] }> {
  let split = 0;
  const failed: string[] = [];
  for (const f of files) {
    try {
      if ((await expectSameInPieces(join(dir, f))) >= 2) split++;
    } catch (e) {
      failed.push(`${f}: ${String((e as Error).message).split('\n')[0]}`);
    }
  }
  return { split, failed };
}

describe('analyze in pieces: every sample and every corpus file', () => {
  it('samples/', async () => {
    const files = captures(join(ROOT, 'samples'));
    expect(files.length).toBeGreaterThan(60);
    const { split, failed } = await allInPieces(join(ROOT, 'samples'), files);
    expect(failed).toEqual([]);
    expect(split).toBeGreaterThan(60);
  }, 600_000);

  it.skipIf(!corpusPresent)('the public corpus', async () => {
    const files = captures(CORPUS).filter((f) => !f.startsWith('truth/') && !f.startsWith('tools/'));
    expect(files.length).toBeGreaterThan(100);
    const { split, failed } = await allInPieces(CORPUS, files);
    expect(failed).toEqual([]);
    expect(split).toBeGreaterThan(50);
  }, 600_000);
});

describe('dualscope analyze --jobs (worker threads)', () => {
  beforeAll(() => requireBuiltCli());

  it('--jobs 2 with forced small pieces writes the --jobs 1 JSON report', () => {
    const input = join(ROOT, 'samples/busy-mixed-client.pcapng');
    process.env[PIECE_BYTES_ENV] = '3000';
    let reports: Report[];
    try {
      reports = ['1', '2'].map((jobs) => {
        const out = join(tmp, `cli-${jobs}.json`);
        const r = runCli(['analyze', input, '--jobs', jobs, '--json', out, '--generated-at', GENERATED_AT, '-q', '-f'], { cwd: tmp, timeout: 120_000 });
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        return JSON.parse(readFileSync(out, 'utf8')) as Report;
      });
    } finally {
      delete process.env[PIECE_BYTES_ENV];
    }
    expectSameReport(reports[0]!, reports[1]!);
  }, 120_000);

  it('rejects a bad --jobs in one line', () => {
    const r = runCli(['analyze', join(ROOT, 'samples/demo.pcapng'), '--jobs', '0', '--no-write', '-q'], { cwd: tmp });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--jobs');
  });
});
