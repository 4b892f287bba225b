// The service writes an analysis's reports as dualscope analyze does: part by part, with the
// analysis let go of once its report is made (issue 17: memory while the reports are written).
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { queryObjects } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { Analysis, analyzeFile } from '../../src/analyze.js';
import { readCapture } from '../../src/readers/index.js';
import { renderHtml, renderHtmlChunks, renderJson, renderJsonChunks } from '../../src/report/index.js';
import { AnalysisRun } from '../../src/server/analysis-run.js';
import { Store } from '../../src/server/store.js';
import { sample, tempDataDir } from './support/client.js';

const AAAA = sample('aaaa-unanswered-client.pcapng');
const NO_COUNTS = { info: 0, warning: 0, error: 0 };

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('AnalysisRun', () => {
  it('makes the report analyze makes, and holds no Analysis once it has', async () => {
    const run = new AnalysisRun();
    const info = await readCapture(AAAA, (f) => run.frame(f), run.anomalies);
    expect(queryObjects(Analysis, { format: 'count' })).toBe(1);
    const report = run.takeReport(AAAA, info);
    // The run and its report are still held here, as the service holds them while writing.
    expect(queryObjects(Analysis, { format: 'count' })).toBe(0);
    expect(run.packets).toBe(report.capture.packets);
    const expected = await analyzeFile(AAAA, { generatedAt: report.generatedAt });
    expect(renderJson(report)).toBe(renderJson(expected));
    expect(() => run.takeReport(AAAA, info)).toThrow(/already made its report/);
  });
});

describe('Store.finish', () => {
  it('writes reports given in parts, byte for byte what the whole strings are', async () => {
    const dir = tempDataDir();
    dirs.push(dir);
    const store = new Store(dir);
    try {
      const report = await analyzeFile(AAAA);
      store.insert('PARTSpartsPARTSparts00', 'a.pcapng', 'running', 10);
      store.finish('PARTSpartsPARTSparts00', renderJsonChunks(report), renderHtmlChunks(report), report.capture.packets, NO_COUNTS);
      expect(readFileSync(store.reportPath('PARTSpartsPARTSparts00', 'json'), 'utf8')).toBe(renderJson(report));
      expect(readFileSync(store.reportPath('PARTSpartsPARTSparts00', 'html'), 'utf8')).toBe(renderHtml(report));
      expect(store.get('PARTSpartsPARTSparts00')).toMatchObject({ status: 'done' });
    } finally {
      store.close();
    }
  });

  it('a part that throws while it is made leaves no report and no temporary file', () => {
    const dir = tempDataDir();
    dirs.push(dir);
    const store = new Store(dir);
    try {
      store.insert('THROWthrowTHROWthrow00', 'b.pcap', 'running', 10);
      function* failing(): Generator<string> {
        yield 'x'.repeat(200 * 1024); // past one write's worth: some of it is on disk
        throw new Error('a report part failed');
      }
      expect(() => store.finish('THROWthrowTHROWthrow00', '{}', failing(), 1, NO_COUNTS)).toThrow('a report part failed');
      expect(readdirSync(store.tmpDir)).toEqual([]);
      expect(existsSync(store.reportPath('THROWthrowTHROWthrow00', 'json'))).toBe(false);
      expect(existsSync(store.reportPath('THROWthrowTHROWthrow00', 'html'))).toBe(false);
      expect(store.get('THROWthrowTHROWthrow00')).toMatchObject({ status: 'running' });
    } finally {
      store.close();
    }
  });
});
