// `dualscope batch --watch`: a file written after the watch started is analysed once it has
// stopped growing (never half-written), a ring buffer's new file joins its capture set, and
// SIGTERM stops the watch cleanly.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { analyzeFile } from '../../src/analyze.js';
import type { Finding } from '../../src/report/index.js';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 }); // several CLI runs, on a shared machine

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'dist/src/cli/main.js');
let tmp: string;

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error('dist/ is missing: run `npm test` (it builds) or `npm run build`');
  tmp = mkdtempSync(join(tmpdir(), 'dualscope-watch-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Row { path: string; status: string; packets: number | null; set_id: string | null; findings: number | null }
function rows(index: string): Row[] {
  if (!existsSync(index)) return [];
  try {
    const db = new Database(index, { readonly: true, timeout: 2000 });
    try {
      return db.prepare('SELECT path, status, packets, set_id, findings FROM files ORDER BY path').all() as Row[];
    } finally {
      db.close();
    }
  } catch {
    return []; // being created
  }
}

async function until<T>(what: string, f: () => T | undefined, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const haveEditcap = spawnSync('editcap', ['-h']).status === 0;

describe.skipIf(!haveEditcap)('dualscope batch --watch', () => {
  it('analyses files written after it started once they stop growing, joins them to their set, and stops on SIGTERM', async () => {
    const pieces = join(tmp, 'pieces');
    mkdirSync(pieces);
    expect(spawnSync('editcap', ['-c', '30', join(ROOT, 'samples/demo.pcapng'), join(pieces, 'ring.pcapng')]).status).toBe(0);
    const names = readdirSync(pieces).sort();
    expect(names).toHaveLength(3);
    const dir = join(tmp, 'watched');
    mkdirSync(dir);
    copyFileSync(join(pieces, names[0]!), join(dir, names[0]!));
    const index = join(tmp, 'watch.sqlite');
    const child = spawn(process.execPath, [BIN, 'batch', dir, '--watch', '--settle', '1.5', '--poll', '0.2', '--index', index, '--no-write'], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until('the first file', () => (rows(index).some((r) => r.status === 'done') ? true : undefined));

      // The second piece arrives in two halves, 1 s apart: it must be analysed whole, never half.
      const second = readFileSync(join(pieces, names[1]!));
      const half = Math.floor(second.length / 2);
      writeFileSync(join(dir, names[1]!), second.subarray(0, half));
      await new Promise((r) => setTimeout(r, 1000));
      expect(rows(index).find((r) => r.path.endsWith(names[1]!))).toBeUndefined();
      appendFileSync(join(dir, names[1]!), second.subarray(half));
      copyFileSync(join(pieces, names[2]!), join(dir, names[2]!));
      const all = await until('all three files done', () => {
        const r = rows(index);
        return r.length === 3 && r.every((x) => x.status === 'done') ? r : undefined;
      });
      expect(all.map((r) => r.packets)).toEqual([30, 30, 30]);
      expect(new Set(all.map((r) => r.set_id)).size).toBe(1);
      // The blackhole (frames 34–63) starts in the second piece and runs into the third: found once.
      const db = new Database(index, { readonly: true });
      const kinds = db.prepare("SELECT x.kind FROM findings x WHERE x.kind = 'path.pmtud_blackhole'").all();
      db.close();
      expect(kinds).toHaveLength(1);
      // The set grew twice: its merge was made again each time and replaced, so each client's
      // resolver profile is there once, as for the whole capture, counting all three files.
      const whole = (await analyzeFile(join(ROOT, 'samples/demo.pcapng'))).findings.flatMap((i) => i.occurrences).filter((o) => o.kind === 'dns.resolver_profile');
      const profiles = await until('the set merged with its three files', () => {
        const d = new Database(index, { readonly: true });
        try {
          const merged = d.prepare('SELECT members FROM capture_sets').all() as { members: string }[];
          if (merged.length !== 1 || (JSON.parse(merged[0]!.members) as string[]).length !== 3) return undefined;
          return (d.prepare("SELECT json FROM findings WHERE kind = 'dns.resolver_profile'").all() as { json: string }[]).flatMap((x) => (JSON.parse(x.json) as { occurrences: Finding[] }).occurrences);
        } finally {
          d.close();
        }
      });
      expect(profiles.map((p) => [p.client, p.impact.occurrences]).sort()).toEqual(whole.map((p) => [p.client, p.impact.occurrences]).sort());
    } finally {
      child.kill('SIGTERM');
    }
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('hung'), 15_000))]);
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('stopping');
    expect(stderr).not.toMatch(/\n\s+at |internal error/);
  });
});
