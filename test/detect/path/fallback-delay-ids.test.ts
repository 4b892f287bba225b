// path.fallback_delay on the incident-rich edge capture (bench/generate-edge.ts): one DNS answer
// often starts several fallbacks (clients behind one resolver, one service). A finding's id was its
// first evidence frame, so the later of two such fallbacks replaced the earlier in the analysis'
// findings (one per id): the edge file's first 400 k packets lost 19 fallbacks on one thread, and a
// split capture, where a piece held one until the merge, kept both.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEdgeCapture } from '../../../bench/generate-edge.js';
import { createFallbackDelay } from '../../../src/detect/path/fallback-delay.js';
import type { Finding } from '../../../src/detect/index.js';
import type { PathRecord } from '../../../src/reconstruct/path/index.js';
import { runPath } from '../../reconstruct/path/pipeline.js';

const TMP = mkdtempSync(join(tmpdir(), 'pm3-fallback-ids-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

let records: PathRecord[] = [];
beforeAll(async () => {
  const file = join(TMP, 'edge.pcap');
  generateEdgeCapture(file, 60_000);
  records = (await runPath(file)).records;
}, 120_000);

describe('path.fallback_delay: one id per fallback', () => {
  it('fallbacks that start with the same evidence frame keep distinct ids', () => {
    const d = createFallbackDelay();
    const found: Finding[] = [];
    for (const r of records) found.push(...d.observe(r));
    found.push(...d.finish());
    const byFirstFrame = new Map<number, number>();
    for (const f of found) byFirstFrame.set(f.evidence[0]!.frame, (byFirstFrame.get(f.evidence[0]!.frame) ?? 0) + 1);
    // The capture has such fallbacks: the test can fail.
    expect([...byFirstFrame.values()].some((n) => n > 1)).toBe(true);
    expect(new Set(found.map((f) => f.id)).size).toBe(found.length);
  });
});
