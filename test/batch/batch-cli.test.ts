// `dualscope batch` as users run it (dist/), on real lab captures: a capture cut into a ring of
// pieces gives the findings of the whole capture, independent files stay independent, re-runs skip
// what is done, a damaged file is recorded and never stops the batch, and a batch SIGKILLed
// mid-run resumes with nothing lost and nothing counted twice.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Each case spawns several CLI runs: generous, because the shared machine is often loaded (no timing is asserted). */
const SLOW = 300_000;
import { analyzeFile } from '../../src/analyze.js';
import type { Finding } from '../../src/detect/index.js';
import { CLI, ROOT, requireBuiltCli, runCli, type CliResult } from '../support/cli.js';

const DEMO = join(ROOT, 'samples/demo.pcapng');
let tmp: string;

const run = (args: string[]): CliResult => runCli(args, { cwd: tmp });

interface IndexedFile { id: number; path: string; status: string; error: string | null; packets: number | null; set_id: string | null; set_seq: number | null }
interface IndexedFinding { file: string; finding_id: string; kind: string; time: number; json: string }

function readIndex(path: string): { files: IndexedFile[]; findings: IndexedFinding[] } {
  const db = new Database(path, { readonly: true });
  try {
    const files = db.prepare('SELECT id, path, status, error, packets, set_id, set_seq FROM files ORDER BY path').all() as IndexedFile[];
    const findings = db.prepare('SELECT f.path AS file, x.finding_id, x.kind, x.time, x.json FROM findings x JOIN files f ON f.id = x.file_id ORDER BY x.time, x.kind').all() as IndexedFinding[];
    return { files, findings };
  } finally {
    db.close();
  }
}

/** kind, time and evidence frames of a finding, frames as numbers of the original capture. */
const signature = (kind: string, start: number, frames: number[]): string => `${kind} @${start} [${frames.join(' ')}]`;

/**
 * The batch's findings mapped to the whole capture: a piece's frame n is frame n + (packets of the
 * pieces before it), for the finding's own file and for evidence naming another piece.
 */
function batchSignatures(indexPath: string): { signatures: string[]; profiles: string[] } {
  const { files, findings } = readIndex(indexPath);
  const offset = new Map<string, number>();
  let total = 0;
  for (const f of [...files].sort((a, b) => a.set_seq! - b.set_seq!)) {
    offset.set(f.path, total);
    total += f.packets!;
  }
  const signatures: string[] = [];
  const profiles: string[] = [];
  // The index stores each file's incidents; a piece's incident holds that piece's occurrences.
  for (const x of findings) for (const f of (JSON.parse(x.json) as { occurrences: Finding[] }).occurrences) {
    if (f.kind === 'dns.resolver_profile') {
      profiles.push(f.client!);
      continue;
    }
    const frames = f.evidence.map((e) => e.frame + offset.get(e.file ?? x.file)!);
    signatures.push(signature(f.kind, f.start, frames));
  }
  return { signatures: signatures.sort(), profiles: profiles.sort() };
}

async function wholeSignatures(path: string): Promise<{ signatures: string[]; profiles: string[] }> {
  const report = await analyzeFile(path);
  const occurrences = report.findings.flatMap((i) => i.occurrences);
  const signatures = occurrences.filter((f) => f.kind !== 'dns.resolver_profile').map((f) => signature(f.kind, f.start, f.evidence.map((e) => e.frame)));
  const profiles = occurrences.filter((f) => f.kind === 'dns.resolver_profile').map((f) => f.client!);
  return { signatures: signatures.sort(), profiles: profiles.sort() };
}

beforeAll(() => {
  requireBuiltCli();
  tmp = mkdtempSync(join(tmpdir(), 'dualscope-batch-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const haveEditcap = spawnSync('editcap', ['-h']).status === 0;

describe.skipIf(!haveEditcap)('dualscope batch: a capture split as a ring buffer writes it', () => {
  // demo.pcapng holds nine findings in 90 packets; pieces of 20 cut through the fallback (frames
  // 16–21), the PMTUD blackhole (34–63) and a same-port drop (80–90).
  const BUSY = join(ROOT, 'samples/busy-mixed-client.pcapng');
  const CASES = [
    ['demo, editcap -c 20', DEMO, ['-c', '20'], 7],
    ['demo, editcap -i 30', DEMO, ['-i', '30'], 7],
    ['demo, editcap -c 7', DEMO, ['-c', '7'], 7],
    ['busy-mixed (3081 packets), editcap -c 400', BUSY, ['-c', '400'], 2],
  ] as const;
  for (const [name, capture, args, expected] of CASES) {
    it(`${name}: the pieces give the whole capture's findings, each once, with the original frames`, async () => {
      const tag = `${capture === DEMO ? 'demo' : 'busy'}${args.join('')}`;
      const dir = join(tmp, `ring-${tag}`);
      mkdirSync(dir);
      expect(spawnSync('editcap', [...args, capture, join(dir, 'piece.pcapng')]).status).toBe(0);
      const pieces = readdirSync(dir);
      expect(pieces.length).toBeGreaterThan(2);
      const index = join(tmp, `ring-${tag}.sqlite`);
      const r = run(['batch', dir, '--index', index, '--out', join(tmp, `reports-${tag}`), '--jobs', '2']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`${pieces.length} files (${pieces.length} analysed`);
      expect(r.stdout).toContain('1 capture set');
      const { files } = readIndex(index);
      expect(new Set(files.map((f) => f.set_id)).size).toBe(1);
      const batch = batchSignatures(index);
      const whole = await wholeSignatures(capture);
      expect(whole.signatures).toHaveLength(expected);
      expect(batch.signatures).toEqual(whole.signatures);
      // dns.resolver_profile describes a client from the lookups of the whole set: each client once, as for the whole capture.
      expect(whole.profiles.length).toBeGreaterThan(0);
      expect(batch.profiles).toEqual(whole.profiles);
    }, SLOW);
  }

  it('with --no-sets the pieces are analysed alone, and a finding cut by a rotation is lost or cut short', () => {
    const dir = join(tmp, 'ring-demo-c20');
    const index = join(tmp, 'nosets.sqlite');
    const r = run(['batch', dir, '--index', index, '--no-write', '--no-sets']);
    expect(r.status, r.stderr).toBe(0);
    const { findings } = readIndex(index);
    const blackhole = findings.filter((f) => f.kind === 'path.pmtud_blackhole').map((f) => JSON.parse(f.json) as Finding);
    // The whole capture's blackhole has 10 evidence packets over three pieces: alone, no piece shows them all.
    expect(blackhole.every((f) => f.evidence.length < 10 && f.evidence.every((e) => e.file === undefined))).toBe(true);
  }, SLOW);
});

describe('dualscope batch: independent files, re-runs, damage', () => {
  const SAMPLES = ['same-port-drop-aaaa-client.pcap', 'pmtud-v4-blackhole-server.pcap', 'pmtud-v6-blackhole-server.pcap', 'fallback-timeout-client.pcapng', 'rfc6303-leak-client.pcap'];

  it('independent captures stay independent: each file has exactly its own analysis', async () => {
    const dir = join(tmp, 'independent');
    mkdirSync(dir);
    for (const s of SAMPLES) copyFileSync(join(ROOT, 'samples', s), join(dir, s));
    const index = join(tmp, 'independent.sqlite');
    const r = run(['batch', dir, '--index', index, '--out', join(tmp, 'ind-reports')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('capture set');
    const { files, findings } = readIndex(index);
    expect(files.map((f) => f.status)).toEqual(SAMPLES.map(() => 'done'));
    for (const f of files) {
      const alone = await analyzeFile(f.path);
      const mine = findings.filter((x) => x.file === f.path).map((x) => JSON.parse(x.json) as Finding);
      expect(mine.map((x) => x.id).sort()).toEqual(alone.findings.map((x) => x.id).sort());
      expect(mine.flatMap((x) => x.evidence).every((e) => e.file === undefined)).toBe(true);
    }
    expect(existsSync(join(tmp, 'ind-reports', 'same-port-drop-aaaa-client.html'))).toBe(true);
  }, SLOW);

  it('a re-run skips unchanged files and analyses a changed or new one', () => {
    const dir = join(tmp, 'independent');
    const index = join(tmp, 'independent.sqlite');
    const before = readIndex(index);
    const again = run(['batch', dir, '--index', index, '--no-write']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain(`${SAMPLES.length} files (0 analysed, ${SAMPLES.length} unchanged and skipped`);
    expect(readIndex(index).findings).toEqual(before.findings);
    copyFileSync(join(ROOT, 'samples/aaaa-unanswered-client.pcapng'), join(dir, 'same-port-drop-aaaa-client.pcap')); // rewritten in place
    copyFileSync(join(ROOT, 'samples/rfc6303-leak-resolver.pcap'), join(dir, 'new.pcap'));
    const third = run(['batch', dir, '--index', index, '--no-write']);
    expect(third.stdout).toContain(`${SAMPLES.length + 1} files (2 analysed, ${SAMPLES.length - 1} unchanged and skipped`);
    const after = readIndex(index);
    const rewritten = after.findings.filter((f) => f.file.endsWith('same-port-drop-aaaa-client.pcap')).map((f) => f.kind);
    expect(rewritten).not.toContain('dns.same_port_reply_drop');
    expect(rewritten).toContain('dns.aaaa_unanswered');
  }, SLOW);

  it('records damaged and unreadable files with their reason, analyses the rest, and exits 2', () => {
    const dir = join(tmp, 'damaged');
    mkdirSync(dir);
    copyFileSync(join(ROOT, 'samples/same-port-drop-aaaa-client.pcap'), join(dir, 'good.pcap'));
    writeFileSync(join(dir, 'garbage.pcap'), Buffer.from('this is not a capture file at all, just text\n'.repeat(20)));
    writeFileSync(join(dir, 'empty.pcapng'), '');
    writeFileSync(join(dir, 'list.txt'), `good.pcap\ngarbage.pcap\nempty.pcapng\n# a comment\n`);
    const index = join(tmp, 'damaged.sqlite');
    const r = run(['batch', `@${join(dir, 'list.txt')}`, '--index', index, '--no-write', '--fail-on', 'error']);
    expect(r.status).toBe(2);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const { files, findings } = readIndex(index);
    const byName = new Map(files.map((f) => [f.path.split('/').pop(), f]));
    expect(byName.get('good.pcap')!.status).toBe('done');
    expect(byName.get('garbage.pcap')!.status).toBe('failed');
    expect(byName.get('garbage.pcap')!.error).toMatch(/garbage\.pcap: .*(capture|magic)/i);
    expect(byName.get('empty.pcapng')!.error).toMatch(/empty/);
    expect(findings.some((f) => f.file.endsWith('good.pcap'))).toBe(true);
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
    // a glob, and the exit status of --fail-on over the good file alone
    const g = run(['batch', join(dir, 'go*.pcap'), '--index', join(tmp, 'glob.sqlite'), '--no-write', '--fail-on', 'warning', '-q']);
    expect(g.status, g.stderr).toBe(1);
    expect(g.stdout).toBe('');
  }, SLOW);
});

describe('dualscope batch: SIGKILL at any moment', () => {
  it('resumes with every file indexed once and the findings of an uninterrupted run', async () => {
    const dir = join(tmp, 'many');
    mkdirSync(dir);
    const samples = readdirSync(join(ROOT, 'samples')).filter((s) => /\.pcap(ng)?$/.test(s)).slice(0, 16);
    for (const [i, s] of samples.entries()) for (const copy of [0, 1]) copyFileSync(join(ROOT, 'samples', s), join(dir, `${copy}-${i}-${s}`));
    const reference = join(tmp, 'many-reference.sqlite');
    expect(run(['batch', dir, '--index', reference, '--no-write', '--no-sets', '-q']).status).toBe(0);

    const index = join(tmp, 'many.sqlite');
    for (let attempt = 0; attempt < 3; attempt++) {
      const child = spawn(process.execPath, [CLI, 'batch', dir, '--index', index, '--no-write', '--no-sets', '-q', '--jobs', '2'], { cwd: tmp, stdio: 'ignore' });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      // Kill once some files are done (a different moment each time), or let it finish.
      const target = 4 + attempt * 8;
      for (;;) {
        await new Promise((r) => setTimeout(r, 20));
        if (child.exitCode !== null) break;
        if (!existsSync(index)) continue;
        let done = 0;
        try {
          const db = new Database(index, { readonly: true, timeout: 1000 });
          done = (db.prepare("SELECT count(*) AS n FROM files WHERE status = 'done'").get() as { n: number }).n;
          db.close();
        } catch {
          continue; // the schema is being created
        }
        if (done >= target) {
          child.kill('SIGKILL');
          break;
        }
      }
      await exited;
    }
    const finish = run(['batch', dir, '--index', index, '--no-write', '--no-sets']);
    expect(finish.status, finish.stderr).toBe(0);
    const got = readIndex(index);
    const want = readIndex(reference);
    expect(got.files.map((f) => [f.path, f.status])).toEqual(want.files.map((f) => [f.path, f.status]));
    const key = (f: IndexedFinding): string => `${f.file} ${f.finding_id}`;
    expect(new Set(got.findings.map(key)).size).toBe(got.findings.length);
    expect(got.findings.map(key).sort()).toEqual(want.findings.map(key).sort());
  }, SLOW);
});
