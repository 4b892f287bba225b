// The whole pipeline on every lab capture in samples/: what `dualscope analyze` reports must match
// what the lab knows happened (samples/expected/NAME.json, written from the lab's own knowledge,
// never from dualscope's output): each mustFind incident found with its client, server, names and
// delay; no mustNotFind kind; and nothing outside mustFind ∪ mayFind. Each sample's full JSON
// report is also kept as a golden file, so any change in output shows up in review.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../src/analyze.js';
import { Report, renderJson } from '../src/report/index.js';
import { expectNoBugAnomalies } from './support/no-bugs.js';

const SAMPLES = join(import.meta.dirname, '../samples');

interface Expected {
  capture: string;
  mustFind: {
    kind: string;
    client?: string;
    server?: string;
    names?: string[];
    delayMicros?: { min: number; max: number };
  }[];
  mustNotFind: string[];
  mayFind?: string[];
}

const expectations = readdirSync(join(SAMPLES, 'expected'))
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(SAMPLES, 'expected', f), 'utf8')) as Expected);

describe('samples: the full analysis matches what the lab knows', () => {
  it('has samples', () => expect(expectations.length).toBeGreaterThan(20));

  for (const exp of expectations) {
    it(exp.capture, async () => {
      const report = await analyzeFile(join(SAMPLES, exp.capture), { generatedAt: '2026-01-01T00:00:00.000Z' });
      report.capture.file = `samples/${exp.capture}`; // the path as given differs per checkout
      Report.parse(report);
      expectNoBugAnomalies(report, exp.capture);
      for (const want of exp.mustFind) {
        const candidates = report.findings.filter(
          (f) =>
            f.kind === want.kind &&
            (want.client === undefined || f.client === want.client) &&
            (want.server === undefined || f.server === want.server) &&
            (want.names ?? []).every((n) => f.names.includes(n)),
        );
        expect(candidates.length, `${want.kind} ${want.client ?? ''}→${want.server ?? ''} ${(want.names ?? []).join(',')}`).toBeGreaterThan(0);
        if (want.delayMicros) {
          const { min, max } = want.delayMicros;
          const inRange = candidates.some((f) => f.impact.delayMicros !== undefined && f.impact.delayMicros >= min && f.impact.delayMicros <= max);
          expect(inRange, `${want.kind} delay ${candidates.map((f) => f.impact.delayMicros).join(',')} not in ${min}..${max}`).toBe(true);
        }
      }
      const kinds = new Set(report.findings.map((f) => f.kind));
      for (const k of exp.mustNotFind) expect(kinds.has(k as never), `must not find ${k}`).toBe(false);
      const allowed = new Set([...exp.mustFind.map((m) => m.kind), ...(exp.mayFind ?? [])]);
      const unexpected = [...kinds].filter((k) => !allowed.has(k));
      expect(unexpected, 'findings the lab did not expect').toEqual([]);
      const name = exp.capture.replace(/\.(pcapng|pcap)$/, '');
      await expect(renderJson(report)).toMatchFileSnapshot(`golden/${name}.json`);
    });
  }
});
