// The detector registry: one list that the analysis, the report schema, the CLI and the README
// follow; a detector added to it alone shows up everywhere a user looks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.js';
import { main } from '../../src/cli/program.js';
import {
  DEFAULT_DETECT_OPTIONS,
  defineDetector,
  DETECTORS,
  INCIDENT_KINDS,
  KIND_PATTERN,
  readmeTable,
  type Detector,
  type DetectorRegistry,
  type Finding,
} from '../../src/detect/index.js';
import type { DnsRecord } from '../../src/reconstruct/index.js';
import { renderHtml, renderJson, renderText, Report, reportJsonSchema } from '../../src/report/index.js';

const ROOT = join(import.meta.dirname, '../..');
const SAMPLE = join(ROOT, 'samples/aaaa-unanswered-client.pcapng');

/** A detector as a contributor would write it: one finding for the first lookup it sees. */
const toyDetector = defineDetector({
  kind: 'dns.toy_first_lookup',
  records: 'dns',
  lane: 'dns',
  defaults: { label: 'first' },
  readme: { what: 'the first lookup of the capture', remedy: '—' },
  create(options): Detector<DnsRecord> {
    const label = options.label ?? 'first';
    let seen = false;
    return {
      name: 'toy-first-lookup',
      observe(r: DnsRecord): Finding[] {
        if (seen || r.type !== 'lookup') return [];
        seen = true;
        const q = r.questions[0]!.attempts[0]!.queries[0]!;
        return [{
          id: `dns.toy_first_lookup:${q.frame}`,
          kind: 'dns.toy_first_lookup',
          severity: 'info',
          summary: `${label} lookup: ${r.name}`,
          start: q.time,
          end: q.time,
          client: r.client,
          names: [r.name],
          evidence: [{ frame: q.frame, time: q.time, role: 'query', mark: 'dns-query' }],
          impact: { description: 'none' },
          confidence: { level: 'high', reason: 'it is the first' },
          remedy: 'none',
          displayFilter: `frame.number == ${q.frame}`,
          details: {},
        }];
      },
      finish: () => [],
    };
  },
});

describe('detector registry', () => {
  it('lists each kind once, named layer.snake_case, with the kinds list following it', () => {
    const kinds = DETECTORS.map((d) => d.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    for (const k of kinds) expect(k).toMatch(KIND_PATTERN);
    expect(INCIDENT_KINDS).toEqual(kinds);
    expect(Object.keys(DEFAULT_DETECT_OPTIONS)).toEqual(kinds);
  });

  it('puts every detector that reads explanations after every one that publishes them', () => {
    const lastPublisher = DETECTORS.map((d) => d.explains).lastIndexOf('publishes');
    const firstReader = DETECTORS.map((d) => d.explains).indexOf('reads');
    expect(lastPublisher).toBeGreaterThanOrEqual(0);
    expect(firstReader).toBeGreaterThan(lastPublisher);
  });

  it('is the README table', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    // When this fails, paste readmeTable()'s output into README.md's "What it finds".
    expect(readme).toContain(`${readmeTable()}\n`);
  });

  it('gives the report schema its kind enum', () => {
    const text = JSON.stringify(reportJsonSchema());
    for (const k of INCIDENT_KINDS) expect(text).toContain(`"${k}"`);
  });

  it('is what `dualscope detectors` prints', async () => {
    let out = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
    try {
      expect(await main(['detectors'])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    const listed = JSON.parse(out) as { kind: string; defaults: object }[];
    expect(listed.map((d) => d.kind)).toEqual([...INCIDENT_KINDS]);
    expect(listed.find((d) => d.kind === 'dns.slow_lookup')!.defaults).toEqual(DEFAULT_DETECT_OPTIONS['dns.slow_lookup']);
  });
});

describe('a detector added through the registry alone', () => {
  const registry: DetectorRegistry = [...DETECTORS, toyDetector];

  it('reaches the JSON, the terminal, the schema and the HTML filter', async () => {
    const report = await analyzeFile(SAMPLE, { detectors: registry, generatedAt: '2026-01-01T00:00:00Z' });
    const toy = report.findings.filter((f) => f.kind === 'dns.toy_first_lookup');
    expect(toy).toHaveLength(1);
    // The rest of the analysis is what it was.
    const plain = await analyzeFile(SAMPLE, { generatedAt: '2026-01-01T00:00:00Z' });
    expect(report.findings.filter((f) => f.kind !== 'dns.toy_first_lookup')).toEqual(plain.findings);

    const json = JSON.parse(renderJson(report, registry)) as Report;
    expect(json.findings.map((f) => f.kind)).toContain('dns.toy_first_lookup');
    // The evidence's timeline mark drew the lane; the JSON lists evidence as it always did.
    expect(Object.keys(json.findings.find((f) => f.kind === 'dns.toy_first_lookup')!.evidence[0]!)).toEqual(['frame', 'time', 'role']);
    // The schema of the plain registry does not know the kind: the contract is closed.
    expect(() => renderJson(report)).toThrow();

    expect(renderText(report, { color: false })).toContain('dns.toy_first_lookup');

    const schema = JSON.stringify(reportJsonSchema(registry));
    expect(schema).toContain('"dns.toy_first_lookup"');
    expect(JSON.stringify(reportJsonSchema())).not.toContain('dns.toy_first_lookup');

    const html = renderHtml(report);
    expect(html).toContain('data-kind="dns.toy_first_lookup"');
    expect(html).toMatch(/<input[^>]*data-kind="dns\.toy_first_lookup"/);
  });

  it('gets its options by kind, over its defaults', async () => {
    const report = await analyzeFile(SAMPLE, { detectors: registry, detect: { 'dns.toy_first_lookup': { label: 'earliest' } }, generatedAt: 'x' });
    expect(report.findings.find((f) => f.kind === 'dns.toy_first_lookup')!.summary).toMatch(/^earliest lookup/);
  });
});
