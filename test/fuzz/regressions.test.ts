// Inputs `npm run fuzz` once broke (kept as found, one file each): every one must now go through
// the whole analysis and the reports without an exception, and without the per-frame safety net
// catching one.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.js';
import { CaptureFormatError } from '../../src/core/index.js';
import { MAX_INTERFACES, MAX_LINK_TYPES } from '../../src/readers/formats.js';
import { renderJson, renderText } from '../../src/report/index.js';
import { expectNoBugAnomalies } from '../support/no-bugs.js';

const DIR = join(import.meta.dirname, 'regressions');

describe('fuzz regressions', () => {
  const files = readdirSync(DIR).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort();
  it('has regression inputs', () => expect(files.length).toBeGreaterThan(0));
  for (const f of files) {
    it(f, async () => {
      try {
        const report = await analyzeFile(join(DIR, f), { generatedAt: '2026-01-01T00:00:00.000Z' });
        expectNoBugAnomalies(report, f);
        expect(() => renderJson(report)).not.toThrow();
        expect(() => renderText(report)).not.toThrow();
      } catch (e) {
        // Only a whole file that is unusable may end the analysis (the assertion above must not be swallowed).
        if (!(e instanceof CaptureFormatError)) throw e;
      }
    });
  }
});

describe('crafted seeds (block floods): analysed within the per-file bounds, the excess noted', () => {
  const SEEDS = join(import.meta.dirname, 'seeds');
  const seeds = readdirSync(SEEDS).filter((f) => f.endsWith('.pcapng.gz')).sort();
  it('has the four floods', () => expect(seeds).toEqual(['flood-interfaces.pcapng.gz', 'flood-link-types.pcapng.gz', 'flood-sections.pcapng.gz', 'flood-statistics.pcapng.gz']));
  for (const f of seeds) {
    it(f, async () => {
      const report = await analyzeFile(join(SEEDS, f), { generatedAt: '2026-01-01T00:00:00.000Z' });
      expect(report.capture.packets).toBe(2);
      expect(report.capture.interfaces).toBeLessThanOrEqual(MAX_INTERFACES);
      expect(report.capture.linkTypes.length).toBeLessThanOrEqual(MAX_LINK_TYPES);
      const noted = report.anomalies['pcapng.table_limit']! + report.anomalies['pcapng.unknown_interface']!;
      expect(noted).toBeGreaterThan(0);
      expect(() => renderJson(report)).not.toThrow();
    });
  }
});
