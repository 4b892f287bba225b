// The whole analysis (decoders, trackers, timeline, detectors, reports) over every public capture:
// the per-frame safety net must never fire, and the JSON and terminal reports must render. The
// decoders and trackers are checked against tshark elsewhere; this is the net over all of it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.js';
import { CaptureFormatError } from '../../src/core/index.js';
import { renderJson, renderText } from '../../src/report/index.js';
import { CORPUS, corpusPresent } from '../support/corpus.js';
import { expectNoBugAnomalies } from '../support/no-bugs.js';

const files: string[] = corpusPresent ? (JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as { files: { path: string }[] }).files.map((f) => f.path) : [];

describe.skipIf(!corpusPresent)(`the whole analysis over ${CORPUS}`, () => {
  it('has the corpus', () => expect(files.length).toBeGreaterThan(100));
  it('never counts a bug anomaly, and renders every report', async () => {
    let analysed = 0;
    for (const f of files) {
      try {
        const report = await analyzeFile(join(CORPUS, f), { generatedAt: '2026-01-01T00:00:00.000Z' });
        expectNoBugAnomalies(report, f);
        renderJson(report);
        renderText(report);
        analysed++;
      } catch (e) {
        if (!(e instanceof CaptureFormatError)) throw e;
      }
    }
    expect(analysed).toBeGreaterThan(100);
  }, 600_000);
});
