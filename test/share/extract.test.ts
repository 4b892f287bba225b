// `extract`: on every lab sample with a warning or error, the extract (no extra context) must show
// the same incidents again. tshark reads each extract; the origin comments map its frames back to
// the original's; each chosen finding must reappear with the same kind and the same evidence
// frames once mapped back, and every evidence packet must carry its dualscope comment.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Anomalies } from '../../src/core/index.js';
import type { Finding } from '../../src/report/index.js';
import { readCapture } from '../../src/readers/index.js';
import { defaultExtractFindings, evidenceComments, extractEvidence, originComment, originFrame } from '../../src/share/index.js';
import { analyzeFile } from '../../src/analyze.js';
import { tsharkFields, tsharkPresent } from '../support/tshark.js';

const SAMPLES = join(import.meta.dirname, '../../samples');
const tmp = mkdtempSync(join(tmpdir(), 'h19-extract-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const samples = readdirSync(SAMPLES).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort();

/** extract frame → original frame, and each extract frame's other dualscope comments, as tshark shows them. */
function originMap(file: string): { origin: Map<number, number>; comments: Map<number, string[]> } {
  const origin = new Map<number, number>();
  const comments = new Map<number, string[]>();
  for (const [num, list] of tsharkFields(file, ['frame.number', 'frame.comment'])) {
    const n = Number(num![0]);
    const all = list ?? [];
    const o = all.map(originFrame).find((x) => x !== undefined);
    if (o !== undefined) origin.set(n, o);
    comments.set(n, all.filter((c) => originFrame(c) === undefined));
  }
  return { origin, comments };
}

describe('extract: origin comments', () => {
  it('reads back the frame it names', () => {
    expect(originFrame(originComment('a frame 9.pcap', 123))).toBe(123);
    expect(originFrame('dualscope: path.x y: SYN')).toBeUndefined();
    expect(originFrame('dualscope: from x frame 0')).toBeUndefined();
  });
});

describe.runIf(tsharkPresent)('extract: every sample with a warning or error finds it again', () => {
  let tested = 0;
  afterAll(() => expect(tested).toBeGreaterThan(15));

  for (const name of samples) {
    it(name, async () => {
      const input = join(SAMPLES, name);
      const report = await analyzeFile(input);
      const chosen = defaultExtractFindings(report.findings);
      if (chosen.length === 0) return;
      tested++;
      const out = join(tmp, `${name}.extract.pcapng`);
      const r = await extractEvidence(input, chosen, out, { contextMicros: 0 });
      expect(r.mismatched).toEqual([]);

      const { origin, comments } = originMap(out);
      expect(origin.size, 'every packet names its origin').toBe(r.packets);
      const want = evidenceComments(chosen);
      for (const [n, o] of origin) expect(comments.get(n), `extract frame ${n} (original ${o})`).toEqual(want.get(o) ?? []);
      for (const o of want.keys()) expect([...origin.values()], `evidence frame ${o} kept`).toContain(o);

      const again = await analyzeFile(out);
      const mapped = (f: Finding): number[] => f.evidence.map((e) => origin.get(e.frame) ?? -e.frame);
      // Every occurrence of every chosen incident is in the extract, and is found again.
      const againOccurrences = again.findings.flatMap((g) => g.occurrences);
      for (const o of chosen.flatMap((f) => f.occurrences)) {
        const same = againOccurrences.filter((g) => g.kind === o.kind);
        const frames = o.evidence.map((e) => e.frame);
        expect(same.map(mapped), `${o.id} found again with the same evidence`).toContainEqual(frames);
      }
    });
  }
});

describe.runIf(tsharkPresent)('extract --context', () => {
  it('adds every packet within the window and nothing outside it', async () => {
    const input = join(SAMPLES, 'aaaa-unanswered-client.pcapng');
    const report = await analyzeFile(input);
    const chosen = defaultExtractFindings(report.findings);
    const bare = join(tmp, 'context-0.pcapng');
    const wide = join(tmp, 'context-1.pcapng');
    await extractEvidence(input, chosen, bare, { contextMicros: 0 });
    const r = await extractEvidence(input, chosen, wide, { contextMicros: 1_000_000 });
    const times = new Map<number, number>();
    await readCapture(input, (f) => times.set(f.index, f.time), new Anomalies());
    const evidenceTimes = chosen.flatMap((f) => f.evidence.map((e) => e.time));
    const within = [...times].filter(([, t]) => evidenceTimes.some((e) => Math.abs(e - t) <= 1_000_000)).map(([n]) => n);
    const kept = [...originMap(wide).origin.values()];
    expect(kept).toEqual(expect.arrayContaining(within));
    expect(kept).toEqual(expect.arrayContaining([...originMap(bare).origin.values()]));
    // This sample's evidence has no TCP and no fragments: the window explains every extra packet.
    const evidenceFrames = new Set(chosen.flatMap((f) => f.evidence.map((e) => e.frame)));
    for (const n of kept) expect(evidenceFrames.has(n) || within.includes(n), `frame ${n}`).toBe(true);
    expect(r.packets).toBe(kept.length);
    expect(kept.length).toBeGreaterThan(evidenceFrames.size);
  });
});
