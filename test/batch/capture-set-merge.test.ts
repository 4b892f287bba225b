// A capture set is one trace for the detectors that sum up at finish: real samples cut as a ring
// buffer writes them (editcap -c) and analysed as a batch give the whole capture's findings of
// every kind — resolver profiles once per client, AAAA left unanswered with the counts of every
// file, counts per router — with each finding in the file of its earliest evidence and each
// evidence frame (and each frame a finding's details name) in its own file. Also: a batch stopped
// in the middle of a set, or between the set's last analysis and its merge, resumes to the same
// index with nothing twice; a set that grows (a live ring buffer) has its findings made again and
// replaced; --no-sets afterwards leaves no set findings; the files' own reports hold what the index
// holds. Jobs run here on an inline runner that copies them as a thread does (the CLI tests run
// threads; queue.test.ts sends the states through Redis).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { serialize } from 'node:v8';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeFile, SUMMING_STATE_VERSION } from '../../src/analyze.js';
import { BatchIndex, DEFAULT_BATCH_OPTIONS, dropCaptureSet, PoolClosedError, runBatch, runJob, type BatchOptions, type Job, type JobRunner } from '../../src/batch/index.js';
import { escapeAttribute, type Finding, type Report } from '../../src/report/index.js';
import { ROOT } from '../support/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'i13s-sets-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const haveEditcap = spawnSync('editcap', ['-h']).status === 0;
const GENERATED_AT = '2026-01-01T00:00:00Z';

/** Runs each job here, job and result copied as postMessage copies them; `stopAfter` analyses, then it closes (a kill). */
class InlineRunner implements JobRunner {
  readonly concurrency = 1;
  analysed = 0;
  constructor(readonly stopAfter = Number.POSITIVE_INFINITY) {}
  async run(job: Job) {
    if (job.type === 'analyze' && this.analysed++ >= this.stopAfter) throw new PoolClosedError();
    return structuredClone(await runJob(structuredClone(job)));
  }
  async close() {}
}

/** A sample cut into a ring of `packets`-packet files; their paths in order. */
function ring(sample: string, packets: number, tag: string): { dir: string; paths: string[] } {
  const dir = join(tmp, tag);
  mkdirSync(dir);
  expect(spawnSync('editcap', ['-c', String(packets), join(ROOT, 'samples', sample), join(dir, 'ring.pcapng')]).status).toBe(0);
  return { dir, paths: readdirSync(dir).sort().map((n) => join(dir, n)) };
}

function options(tag: string, partial: Partial<BatchOptions> = {}): BatchOptions {
  return { ...DEFAULT_BATCH_OPTIONS, out: join(tmp, `${tag}-reports`), analyze: { generatedAt: GENERATED_AT }, ...partial };
}

/**
 * A finding with every frame as a frame of the whole capture (a piece's frame n is n + the packets
 * of the pieces before it; evidence and details name their file when it is not the finding's own),
 * and ids and display filters left out (they hold the file's own numbers).
 */
function signature(f: Finding, file: string | null, offset: ReadonlyMap<string, number>): string {
  const at = (n: number, holder: string | undefined): number => n + (file === null ? 0 : offset.get(holder ?? file)!);
  const details: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f.details)) {
    if (/Frames?Files?$/.test(k)) continue;
    const files = f.details[`${k}Files`] as string[] | undefined;
    if (/Frame$/.test(k) && typeof v === 'number') details[k] = at(v, f.details[`${k}File`] as string | undefined);
    else if (/Frames$/.test(k) && Array.isArray(v)) details[k] = v.map((n, i) => at(n as number, files?.[i]));
    else details[k] = v;
  }
  const { id: _id, displayFilter: _filter, evidence, ...rest } = f;
  return JSON.stringify({ ...rest, details, evidence: evidence.map((e) => ({ ...e, file: undefined, frame: at(e.frame, e.file) })) });
}

/** The batch's occurrences (from the index) as the whole capture's. */
function batchOccurrences(index: BatchIndex, paths: readonly string[]): string[] {
  const offset = new Map<string, number>();
  let total = 0;
  for (const f of index.files(paths)) {
    offset.set(f.path, total);
    total += f.packets!;
  }
  return index.findings().flatMap((s) => (s.json as { occurrences: Finding[] }).occurrences.map((o) => signature(o, s.file, offset))).sort();
}

async function wholeOccurrences(sample: string): Promise<string[]> {
  const report = await analyzeFile(join(ROOT, 'samples', sample));
  return report.findings.flatMap((i) => i.occurrences).map((o) => signature(o, null, new Map())).sort();
}

/** Every file's own report lists exactly the occurrences the index has for it, and counts them. */
function expectReportsMatchIndex(index: BatchIndex, paths: readonly string[]): void {
  const stored = index.findings();
  for (const f of index.files(paths)) {
    const report = JSON.parse(readFileSync(f.reportJson!, 'utf8')) as Report;
    const inReport = report.findings.flatMap((i) => i.occurrences.map((o) => JSON.stringify(o))).sort();
    const inIndex = stored.filter((s) => s.file === f.path).flatMap((s) => (s.json as { occurrences: Finding[] }).occurrences.map((o) => JSON.stringify(o))).sort();
    expect(inReport, f.path).toEqual(inIndex);
    expect(report.counts.occurrences).toBe(inReport.length);
    // Occurrence ids hold frame numbers of the set's files (`kind:frame…`, path.fallback_delay's
    // `kind:frame:frame`), never a set number (slot × 2^32 + frame): the largest file's count bounds them.
    const most = Math.max(...index.files(paths).map((x) => x.packets!));
    for (const o of report.findings.flatMap((i) => i.occurrences)) {
      const frames = /^[^:@]+((?::\d+)+)/.exec(o.id)?.[1]?.slice(1).split(':') ?? [];
      expect(frames.length, o.id).toBeGreaterThan(0);
      for (const n of frames) expect(Number(n), o.id).toBeLessThanOrEqual(most);
    }
    // An incident names its occurrences by the ids they have in this report.
    for (const i of report.findings) {
      const ids = new Set(i.occurrences.map((o) => o.id));
      for (const ref of [i.representatives.first, i.representatives.worst, i.representatives.last, i.pathMtu?.minFrom, i.pathMtu?.maxFrom]) if (ref != null) expect(ids.has(ref), `${i.id} names ${ref}`).toBe(true);
    }
    expect(f.findings).toBe(stored.filter((s) => s.file === f.path).length);
    const html = readFileSync(f.reportHtml!, 'utf8');
    for (const i of report.findings) expect(html).toContain(`data-id="${escapeAttribute(i.id)}"`);
    expect(html.match(/<article class="finding /g) ?? []).toHaveLength(report.findings.length);
  }
}

const kindsOf = (occurrences: readonly string[], kind: string): string[] => occurrences.filter((o) => (JSON.parse(o) as { kind: string }).kind === kind);

describe.skipIf(!haveEditcap)('a capture set merges the detectors that sum up at finish', () => {
  // Each sample's summing findings draw on lookups or connections in several of its pieces.
  const CASES: [sample: string, packets: number, kinds: string[]][] = [
    ['aaaa-unanswered-recursive-resolver.pcapng', 2, ['dns.aaaa_unanswered', 'dns.resolver_profile']],
    ['same-port-drop-many-clients-lan.pcap', 10, ['dns.same_port_reply_drop', 'dns.resolver_profile']],
    ['rfc6303-leak-many-hosts-resolver.pcap', 8, ['dns.local_zone_leak']],
    ['mss-clamp-many-client.pcap', 30, ['path.mss_clamped']],
    ['pmtud-v6-ptb-rate-limited-server.pcap', 20, ['path.ptb_problem']],
    ['slow-lookup-app-retries-client.pcap', 5, ['dns.slow_lookup']],
    ['dns-large-fragmented-server.pcapng', 3, ['dns.large_response_risk']],
    ['dns-tc-tcp-blocked-client.pcap', 3, ['dns.large_response_risk', 'dns.resolver_profile']],
    ['demo.pcapng', 7, ['dns.same_port_reply_drop', 'path.pmtud_blackhole']],
    ['fallback-timeout-client.pcapng', 3, ['path.fallback_delay']],
  ];
  for (const [sample, packets, kinds] of CASES) {
    it(`${sample} in files of ${packets} packets: the whole capture's findings, each once, in the file where it starts`, async () => {
      const tag = sample.replace(/\W/g, '-');
      const { paths } = ring(sample, packets, tag);
      expect(paths.length).toBeGreaterThan(2);
      const index = new BatchIndex(join(tmp, `${tag}.sqlite`));
      try {
        const s = await runBatch(paths, index, new InlineRunner(), options(tag));
        expect(s.failed).toBe(0);
        const got = batchOccurrences(index, paths);
        const want = await wholeOccurrences(sample);
        for (const k of kinds) expect(kindsOf(want, k).length, k).toBeGreaterThan(0);
        expect(got).toEqual(want);
        // The set's findings are rows of the file holding their earliest evidence.
        for (const x of index.findings()) {
          for (const o of (x.json as { occurrences: Finding[] }).occurrences) {
            const earliest = o.evidence.reduce((a, e) => (e.time < a.time ? e : a), o.evidence[0]!);
            expect(earliest.file ?? x.file).toBe(x.file);
          }
        }
        expectReportsMatchIndex(index, paths);
      } finally {
        index.close();
      }
    }, 120_000);
  }

  it('a group cut by rotations: one finding counting every file, evidence naming each file', async () => {
    const { paths } = ring('aaaa-unanswered-recursive-resolver.pcapng', 2, 'cut-group');
    const index = new BatchIndex(join(tmp, 'cut-group.sqlite'));
    try {
      await runBatch(paths, index, new InlineRunner(), options('cut-group'));
      const aaaa = index.findings().flatMap((s) => (s.json as { occurrences: Finding[] }).occurrences.map((o) => ({ file: s.file, o }))).filter((x) => x.o.kind === 'dns.aaaa_unanswered');
      const whole = (await analyzeFile(join(ROOT, 'samples/aaaa-unanswered-recursive-resolver.pcapng'))).findings.flatMap((i) => i.occurrences).filter((o) => o.kind === 'dns.aaaa_unanswered');
      expect(aaaa).toHaveLength(whole.length);
      const crossing = aaaa.filter((x) => x.o.evidence.some((e) => e.file !== undefined && e.file !== x.file));
      expect(crossing.length).toBeGreaterThan(0);
      for (const x of crossing) expect(paths).toContain(x.o.evidence.find((e) => e.file !== undefined)!.file);
      // resolver_profile once per client for the set, not once per file
      const profiles = index.findings().flatMap((s) => (s.json as { occurrences: Finding[] }).occurrences).filter((o) => o.kind === 'dns.resolver_profile');
      const wholeProfiles = (await analyzeFile(join(ROOT, 'samples/aaaa-unanswered-recursive-resolver.pcapng'))).findings.flatMap((i) => i.occurrences).filter((o) => o.kind === 'dns.resolver_profile');
      expect(profiles.map((p) => p.client).sort()).toEqual(wholeProfiles.map((p) => p.client).sort());
      expect(profiles.map((p) => p.impact.occurrences)).toEqual(profiles.map((p) => wholeProfiles.find((w) => w.client === p.client)!.impact.occurrences));
    } finally {
      index.close();
    }
  }, 120_000);

  it('stopped in the middle of a set, or between its last analysis and its merge: resumes to the same index, nothing twice', async () => {
    const { paths } = ring('same-port-drop-many-clients-lan.pcap', 10, 'resume');
    const reference = new BatchIndex(join(tmp, 'resume-reference.sqlite'));
    await runBatch(paths, reference, new InlineRunner(), options('resume-reference'));
    const want = batchOccurrences(reference, paths);
    reference.close();
    expect(want).toEqual(await wholeOccurrences('same-port-drop-many-clients-lan.pcap'));

    const index = new BatchIndex(join(tmp, 'resume.sqlite'));
    try {
      // Killed after three analyses: those files are done (their states kept), the set not merged.
      const stopped = await runBatch(paths, index, new InlineRunner(3), options('resume'));
      expect(stopped.files.filter((f) => f.status === 'done')).toHaveLength(3);
      expect(index.captureSets()).toHaveLength(0);
      expect(index.findings().every((s) => !(s.json as { kind: string }).kind.startsWith('dns.same_port'))).toBe(true);
      const resumed = await runBatch(paths, index, new InlineRunner(), options('resume'));
      expect(resumed.analysed).toBe(paths.length - 3);
      expect(batchOccurrences(index, paths)).toEqual(want);
      expectReportsMatchIndex(index, paths);

      // Killed between the last analysis and the merge: the merge is lost, the analyses are not.
      index.db.prepare('DELETE FROM findings WHERE set_id IS NOT NULL').run();
      index.db.prepare('DELETE FROM capture_sets').run();
      const again = await runBatch(paths, index, new InlineRunner(), options('resume'));
      expect(again.analysed).toBe(0);
      expect(batchOccurrences(index, paths)).toEqual(want);
      expectReportsMatchIndex(index, paths);
      // A run with nothing new merges nothing again and changes nothing.
      const before = index.findings();
      await runBatch(paths, index, new InlineRunner(), options('resume'));
      expect(index.findings()).toEqual(before);
    } finally {
      index.close();
    }
  }, 180_000);

  it('states kept by a build of another state version are not merged: their files are analysed again, to the same findings', async () => {
    const { paths } = ring('same-port-drop-many-clients-lan.pcap', 10, 'state-version');
    const file = join(tmp, 'state-version.sqlite');
    let index = new BatchIndex(file);
    await runBatch(paths, index, new InlineRunner(), options('state-version'));
    const want = batchOccurrences(index, paths);
    const members = index.files().filter((r) => r.stateSlot !== null).length;
    expect(members).toBe(paths.length);
    // As an older build left it: no version recorded, and states of a shape this build cannot
    // read (merging this one throws), with the set's merge to be done again.
    index.db.prepare("DELETE FROM meta WHERE key = 'summingStateVersion'").run();
    index.db.prepare('UPDATE files SET summing = ?').run(serialize({ states: 'not this shape' }));
    index.db.prepare('DELETE FROM findings WHERE set_id IS NOT NULL').run();
    index.db.prepare('DELETE FROM capture_sets').run();
    index.close();
    index = new BatchIndex(file);
    try {
      const again = await runBatch(paths, index, new InlineRunner(), options('state-version'));
      expect(again.analysed).toBe(members);
      expect(batchOccurrences(index, paths)).toEqual(want);
      expectReportsMatchIndex(index, paths);
      // Recorded now: the next run analyses nothing.
      const next = await runBatch(paths, index, new InlineRunner(), options('state-version'));
      expect(next.analysed).toBe(0);
      expect(index.db.prepare("SELECT value FROM meta WHERE key = 'summingStateVersion'").get()).toEqual({ value: String(SUMMING_STATE_VERSION) });
    } finally {
      index.close();
    }
  }, 180_000);

  it('a set member analysed by a worker of another state version (--queue) fails with the reason; the run and the rest go on', async () => {
    const { paths } = ring('same-port-drop-many-clients-lan.pcap', 10, 'worker-version');
    const index = new BatchIndex(join(tmp, 'worker-version.sqlite'));
    try {
      // A runner standing for an older worker on the third file: states of version 1.
      const older = new (class extends InlineRunner {
        override async run(job: Job) {
          const r = await super.run(job);
          return r.ok && r.type === 'analyze' && r.path === paths[2] ? { ...r, summingVersion: 1 } : r;
        }
      })();
      const s = await runBatch(paths, index, older, options('worker-version'));
      expect(s.failed).toBe(1);
      const row = index.files([paths[2]!])[0]!;
      expect(row.status).toBe('failed');
      expect(row.error).toContain(`summing state version 1; this dualscope's is ${SUMMING_STATE_VERSION}`);
      expect(s.files.filter((f) => f.status === 'done')).toHaveLength(paths.length - 1);
      // The next run, on workers of this dualscope, analyses it again.
      const again = await runBatch(paths, index, new InlineRunner(), options('worker-version'));
      expect(again.failed).toBe(0);
    } finally {
      index.close();
    }
  }, 180_000);

  it('a set that grows (a live ring buffer) is merged again and its findings replaced; --no-sets leaves none', async () => {
    const { paths } = ring('same-port-drop-many-clients-lan.pcap', 10, 'grow');
    const index = new BatchIndex(join(tmp, 'grow.sqlite'));
    try {
      const first = paths.slice(0, 4);
      await runBatch(first, index, new InlineRunner(), options('grow'));
      expect(index.captureSets().map((s) => s.members)).toEqual([first]);
      const slots = index.files(first).map((f) => f.stateSlot);
      expect(slots).toEqual([0, 1, 2, 3]);
      await runBatch(paths, index, new InlineRunner(), options('grow'));
      // The files keep their slots (their frame numbers in the set), the new ones take the next.
      expect(index.files(paths).map((f) => f.stateSlot)).toEqual(paths.map((_, i) => i));
      expect(index.captureSets().map((s) => s.members)).toEqual([paths]);
      expect(batchOccurrences(index, paths)).toEqual(await wholeOccurrences('same-port-drop-many-clients-lan.pcap'));
      expectReportsMatchIndex(index, paths);

      const alone = await runBatch(paths, index, new InlineRunner(), options('grow', { sets: false }));
      expect(alone.analysed).toBe(paths.length);
      expect(index.captureSets()).toHaveLength(0);
      expect(index.db.prepare('SELECT count(*) AS n FROM findings WHERE set_id IS NOT NULL').get()).toEqual({ n: 0 });
      for (const f of index.files(paths)) {
        const own = await analyzeFile(f.path);
        const mine = index.findings([f.id]).map((s) => (s.json as { id: string }).id).sort();
        expect(mine).toEqual(own.findings.map((i) => i.id).sort());
      }
    } finally {
      index.close();
    }
  }, 180_000);

  it('a ring that drops its oldest file: the old set goes from the index and the reports, the rest keep their analyses', async () => {
    const { paths } = ring('same-port-drop-many-clients-lan.pcap', 10, 'rotate');
    const index = new BatchIndex(join(tmp, 'rotate.sqlite'));
    // A short lead-in and run-out, so that most files do not read the file that goes.
    const o = options('rotate', { leadIn: 0.2, runOut: 0.2 });
    try {
      await runBatch(paths, index, new InlineRunner(), o);
      expect(index.captureSets().map((s) => s.setId)).toEqual([paths[0]]);
      const rest = paths.slice(1);
      const again = await runBatch(rest, index, new InlineRunner(), o);
      expect(again.analysed).toBeLessThan(rest.length);
      expect(index.captureSets().map((s) => [s.setId, s.members])).toEqual([[rest[0], rest]]);
      // Only the new set's findings, each once, in the index and in the reports.
      const ids = index.db.prepare('SELECT DISTINCT set_id AS id FROM findings WHERE set_id IS NOT NULL').all();
      expect(ids).toEqual([{ id: rest[0] }]);
      const rows = index.findings(index.files(rest).map((f) => f.id)).map((s) => `${s.file} ${(s.json as { id: string }).id}`);
      expect(new Set(rows).size).toBe(rows.length);
      expectReportsMatchIndex(index, rest);
      expect(index.findings().some((s) => (s.json as { kind: string }).kind === 'dns.resolver_profile')).toBe(true);
      // Dropping a set takes its findings out of the reports as well.
      dropCaptureSet(index, rest[0]!);
      expect(index.db.prepare('SELECT count(*) AS n FROM findings WHERE set_id IS NOT NULL').get()).toEqual({ n: 0 });
      expectReportsMatchIndex(index, rest);
    } finally {
      index.close();
    }
  }, 180_000);

  it('independent files stay independent: no set, no state, each its own summing findings', async () => {
    const dir = join(tmp, 'independent');
    mkdirSync(dir);
    const samples = ['aaaa-unanswered-recursive-resolver.pcapng', 'same-port-drop-many-clients-lan.pcap'];
    const paths = samples.map((s) => join(ROOT, 'samples', s));
    const index = new BatchIndex(join(tmp, 'independent.sqlite'));
    try {
      await runBatch(paths, index, new InlineRunner(), options('independent'));
      expect(index.captureSets()).toHaveLength(0);
      for (const f of index.files(paths)) {
        expect(f.stateSlot).toBeNull();
        expect(index.summingState(f.id)).toBeUndefined();
        const own = await analyzeFile(f.path);
        expect(index.findings([f.id]).map((s) => (s.json as { id: string }).id).sort()).toEqual(own.findings.map((i) => i.id).sort());
      }
    } finally {
      index.close();
    }
  }, 120_000);
});
