// path.fallback_delay on the incident-rich edge capture (bench/generate-edge.ts): one DNS answer
// often starts several fallbacks (clients behind one resolver, one service). A finding's id was its
// first evidence frame, so the later of two such fallbacks replaced the earlier in the analysis'
// findings (one per id): the edge file's first 400 k packets lost 19 fallbacks on one thread, and a
// split capture, where a piece held one until the merge, kept both. Every id now also names the
// success's first frame (a success pairs once), whatever the order the fallbacks were found in.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEdgeCapture } from '../../../bench/generate-edge.js';
import { analyzeFile } from '../../../src/analyze.js';
import { analyzeInPieces, runJob, type Job, type JobRunner } from '../../../src/batch/index.js';
import { createFallbackDelay } from '../../../src/detect/path/fallback-delay.js';
import type { Finding } from '../../../src/detect/index.js';
import type { PathRecord } from '../../../src/reconstruct/path/index.js';
import type { Report } from '../../../src/report/index.js';
import { runPath } from '../../reconstruct/path/pipeline.js';

const TMP = mkdtempSync(join(tmpdir(), 'pm3-fallback-ids-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
const FILE = join(TMP, 'edge.pcap');

let records: PathRecord[] = [];
beforeAll(async () => {
  generateEdgeCapture(FILE, 60_000);
  records = (await runPath(FILE)).records;
}, 120_000);

/** How many findings share each first evidence frame. */
function byFirstFrame(found: readonly Finding[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const f of found) m.set(f.evidence[0]!.frame, (m.get(f.evidence[0]!.frame) ?? 0) + 1);
  return m;
}

/** Runs each piece here, its job and result copied as postMessage copies them. */
class InlineRunner implements JobRunner {
  readonly concurrency = 1;
  async run(job: Job) {
    return structuredClone(await runJob(structuredClone(job)));
  }
  async close() {}
}

const fallbacks = (r: Report) =>
  r.findings
    .flatMap((i) => i.occurrences)
    .filter((o) => o.kind === 'path.fallback_delay')
    .map((o) => ({ id: o.id, frames: o.evidence.map((e) => e.frame) }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

describe('path.fallback_delay: one id per fallback', () => {
  it('fallbacks that start with the same evidence frame keep distinct ids, each naming its success', () => {
    const d = createFallbackDelay();
    const found: Finding[] = [];
    for (const r of records) found.push(...d.observe(r));
    found.push(...d.finish());
    // The capture has such fallbacks: the test can fail.
    expect([...byFirstFrame(found).values()].some((n) => n > 1)).toBe(true);
    expect(new Set(found.map((f) => f.id)).size).toBe(found.length);
    // `kind:first frame:the success's first frame` (its SYN).
    for (const f of found) {
      const m = /^path\.fallback_delay:(\d+):(\d+)$/.exec(f.id);
      expect(m, f.id).not.toBeNull();
      expect(Number(m![1])).toBe(f.evidence[0]!.frame);
      expect(f.evidence.filter((e) => /^IPv[46] SYN$/.test(e.role)).map((e) => e.frame)).toContain(Number(m![2]));
    }
  });

  it('in pieces (analyze --jobs) the same fallbacks under the same ids as on one thread', async () => {
    const one = await analyzeFile(FILE, { generatedAt: '2026-01-01T00:00:00Z' });
    let pieces = 0;
    const split = await analyzeInPieces(FILE, {
      jobs: 2,
      runner: new InlineRunner(),
      pieceBytes: Math.ceil(statSync(FILE).size / 6),
      contextSeconds: 3600,
      analyze: { generatedAt: '2026-01-01T00:00:00Z' },
      onPieces: (n) => (pieces = n),
    });
    expect(pieces).toBeGreaterThanOrEqual(5);
    const want = fallbacks(one);
    // Fallbacks that share a first frame are there to be told apart.
    expect(new Set(want.map((f) => f.frames[0])).size).toBeLessThan(want.length);
    expect(new Set(want.map((f) => f.id)).size).toBe(want.length);
    expect(fallbacks(split)).toEqual(want);
  }, 180_000);
});
