// The JSON report made in parts (src/report/json.ts): the same bytes as the whole report parsed and
// stringified at once, in parts no larger than one incident or lane, and every part still checked:
// a report that breaks the contract deep inside a long list is rejected, naming where.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { analyzeFile } from '../../src/analyze.js';
import { DETECTORS } from '../../src/detect/index.js';
import { checkJsonReport, Report, renderJson, renderJsonChunks } from '../../src/report/index.js';
import { functionsCompiledBy } from '../support/compiled-code.js';

const SAMPLES = join(import.meta.dirname, '../../samples');
const at = { generatedAt: '2026-01-01T00:00:00.000Z' };

/** What renderJson wrote before it worked in parts: the whole report validated, then one string. */
const wholeAtOnce = (report: unknown): string => `${JSON.stringify(Report.parse(report), null, 2)}\n`;

/** The report with every object's keys in reverse order (records too): the output's order must come from the schema. */
const reversed = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(reversed) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v;

/** `report` with `n` incidents: copies of its first, each with its own id (and its occurrences'). */
function withIncidents(report: Report, n: number): Report {
  const model = report.findings[0]!;
  const findings = Array.from({ length: n }, (_, k) => structuredClone({ ...model, id: `${model.id}#${k}` }));
  return { ...report, findings };
}

let busy: Report; // 154 timeline lanes, 1,114 marks
let demo: Report; // 7 incidents of several kinds, one with several occurrences

beforeAll(async () => {
  busy = await analyzeFile(join(SAMPLES, 'busy-mixed-client.pcapng'), at);
  demo = await analyzeFile(join(SAMPLES, 'demo.pcapng'), at);
});

describe('the JSON report in parts', () => {
  it('is byte for byte the whole report parsed and stringified at once', () => {
    for (const report of [busy, demo, withIncidents(demo, 300)]) {
      expect(renderJson(report)).toBe(wholeAtOnce(report));
      const shuffled = reversed(report) as Report;
      expect(renderJson(shuffled)).toBe(wholeAtOnce(shuffled));
    }
  });

  it('lays out empty lists, absent optional fields and a one-sided capture as JSON.stringify does', () => {
    const bare: Report = {
      ...demo,
      findings: [],
      capture: { ...demo.capture, notAnalysed: undefined, oneSided: { hosts: 1, examples: [] } },
      timeline: { ...demo.timeline, lanes: [], overview: { bucketMicros: 1, packets: [] } },
      anomalies: {},
    };
    const text = renderJson(bare);
    expect(text).toBe(wholeAtOnce(bare));
    expect(text).toContain('"findings": [],');
    expect(text).toContain('"anomalies": {},');
    expect(text).not.toContain('notAnalysed');
  });

  it('writes an incident with many occurrences one occurrence at a time', () => {
    const model = demo.findings.find((f) => f.occurrences.length > 0)!;
    const occurrences = Array.from({ length: 200 }, (_, k) => ({ ...model.occurrences[0]!, id: `${model.occurrences[0]!.id}#${k}` }));
    const report: Report = { ...demo, findings: [{ ...model, count: occurrences.length, occurrences }] };
    expect(renderJson(report)).toBe(wholeAtOnce(report));
    // Each occurrence in a part of its own (the ids' JSON strings end in `#k"`).
    const occurrenceIds = [...renderJsonChunks(report)].map((p) => (p.match(/#\d+"/g) ?? []).length).filter((n) => n > 0);
    expect(occurrenceIds).toEqual(occurrences.map(() => 1));
  });

  it('comes in parts no larger than one incident or lane', () => {
    for (const report of [busy, withIncidents(demo, 300)]) {
      const parts = [...renderJsonChunks(report)];
      expect(parts.length).toBeGreaterThan(report.findings.length + report.timeline.lanes.length);
      // Indented deeper than on its own (two or three levels), an element's text grows by a fraction.
      const longestElement = Math.max(...[...report.findings, ...report.timeline.lanes].map((e) => JSON.stringify(e, null, 2).length));
      const longestPart = Math.max(...parts.map((p) => p.length));
      expect(longestPart).toBeLessThan(longestElement * 1.5 + 1000);
      expect(longestPart).toBeLessThan(parts.join('').length / 4);
    }
  });

  it('rejects an incident of an unregistered kind deep in the list, naming where', () => {
    const report = withIncidents(demo, 1200);
    report.findings[999] = { ...report.findings[999]!, kind: 'dns.no_such_detector' };
    expect(() => renderJson(report)).toThrow(z.ZodError);
    const error = (() => {
      try {
        renderJson(report);
      } catch (e) {
        return e as z.ZodError;
      }
      return undefined;
    })();
    expect(error?.issues.map((i) => i.path)).toEqual([['findings', 999, 'kind']]);
  });

  it('rejects a bad field inside an occurrence of the 1000th incident, and a bad timeline mark', () => {
    const report = withIncidents(demo, 1200);
    const incident = report.findings[999]!;
    const occurrence = incident.occurrences[0]!;
    report.findings[999] = { ...incident, occurrences: [{ ...occurrence, evidence: [{ ...occurrence.evidence[0]!, frame: -3 }] }] };
    expect(() => renderJson(report)).toThrow(/frame/);
    // The parts before it were made: a writer must drop them (test/writers/text-file.test.ts).
    const made: string[] = [];
    expect(() => {
      for (const part of renderJsonChunks(report)) made.push(part);
    }).toThrow(z.ZodError);
    expect(made.join('')).toContain(`"id": "${report.findings[998]!.id}"`);
    expect(made.join('')).not.toContain(`"id": "${report.findings[999]!.id}"`);

    const lanes = busy.timeline.lanes.map((l, k) => (k === 100 ? { ...l, marks: l.marks.map((m) => ({ ...m, t0: 1.5 })) } : l));
    expect(() => renderJson({ ...busy, timeline: { ...busy.timeline, lanes } })).toThrow(/timeline/);
  });

  it('compiles no code to check a report (zod\'s fast path costs more than one report earns back)', () => {
    // A registry of its own, so its report schema is new and nothing of it was compiled before.
    const registry = [...DETECTORS];
    const compiled = functionsCompiledBy(() => {
      checkJsonReport(busy, registry);
      renderJson(demo, registry);
    });
    expect(compiled).toEqual([]);
  });

  it('rejects a report whose outline breaks the contract before writing anything', () => {
    const parts = renderJsonChunks({ ...demo, schemaVersion: 2 } as unknown as Report);
    expect(() => parts.next()).toThrow(z.ZodError);
  });
});
