// The whole pipeline on every lab capture in samples/: what `dualscope analyze` reports must match
// what the lab knows happened (samples/expected/NAME.json, written from the lab's own knowledge,
// never from dualscope's output). The lab writes what happened per occurrence (one lookup, one
// connection); the report groups occurrences into incidents, so each mustFind entry must be an
// occurrence of an incident of its kind, with its client, server, names and delay, and its frames
// in that occurrence's evidence; no mustNotFind kind; nothing outside mustFind ∪ mayFind. Each
// sample's full JSON report is also kept as a golden file, so any change in output shows up in review.
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
    frames?: number[];
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
        const label = `${want.kind} ${want.client ?? ''}→${want.server ?? ''} ${(want.names ?? []).join(',')}`;
        const holders = report.findings.filter((i) => i.kind === want.kind);
        const candidates = holders.flatMap((i) => i.occurrences).filter(
          (f) =>
            (want.client === undefined || f.client === want.client) &&
            (want.server === undefined || f.server === want.server) &&
            (want.names ?? []).every((n) => f.names.includes(n)),
        );
        expect(candidates.length, label).toBeGreaterThan(0);
        if (want.delayMicros) {
          const { min, max } = want.delayMicros;
          const inRange = candidates.some((f) => f.impact.delayMicros !== undefined && f.impact.delayMicros >= min && f.impact.delayMicros <= max);
          expect(inRange, `${want.kind} delay ${candidates.map((f) => f.impact.delayMicros).join(',')} not in ${min}..${max}`).toBe(true);
        }
        // The incident holding it names the same client and server among its tallies.
        const holder = holders.find((i) => i.occurrences.some((o) => candidates.includes(o)))!;
        if (want.client !== undefined) expect(holder.clients.top.map((r) => r.value).concat(holder.clients.count > holder.clients.top.length ? [want.client] : []), label).toContain(want.client);
        if (want.server !== undefined) expect(holder.servers.top.map((r) => r.value).concat(holder.servers.count > holder.servers.top.length ? [want.server] : []), label).toContain(want.server);
      }
      // Every occurrence's evidence is in the JSON, at frames that exist in the capture.
      const json = JSON.parse(renderJson(report)) as Report;
      for (const i of json.findings) {
        expect(i.count).toBe(i.occurrences.length);
        for (const o of i.occurrences) for (const e of o.evidence) expect(e.frame).toBeLessThanOrEqual(report.capture.packets);
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
