// A PMTUD blackhole incident intersects its occurrences' path MTU brackets: each occurrence says
// "the path MTU lies in [largest delivered, smallest lost − 1]", so one path MTU behind the whole
// incident lies in all of them, and brackets that do not overlap say there is no one path MTU.
// The occurrences are real: three lab captures of blackholes from one server, merged into one
// file; the varied brackets are those occurrences with their bounds changed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.js';
import { IncidentGrouper, type Finding } from '../../src/detect/index.js';
import { renderText, type Report } from '../../src/report/index.js';

const SAMPLES = join(import.meta.dirname, '../../samples');
const PARTS = ['pmtud-v6-blackhole-server.pcap', 'pmtud-v6-ptb-below-1280-server.pcap', 'pmtud-v6-mtu1400-server.pcapng'];
const ID = 'path.pmtud_blackhole@2001:db8:12::80/v6';

describe('path MTU bracket of a PMTUD blackhole incident', () => {
  let tmp: string;
  let report: Report;
  let incident: Report['findings'][number];

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'dualscope-mtu-'));
    const merged = join(tmp, 'three-blackholes.pcap');
    const r = spawnSync('mergecap', ['-F', 'pcap', '-w', merged, ...PARTS.map((p) => join(SAMPLES, p))], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    report = await analyzeFile(merged);
    incident = report.findings.find((f) => f.id === ID)!;
  }, 120_000);
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** The real occurrences with their brackets replaced, grouped again in the given order. */
  function regroup(brackets: [number | null, number][], order: number[] = [0, 1, 2]): Report['findings'][number] {
    // The report's occurrences are the detector's findings without the timeline marks of their evidence.
    const occ = incident.occurrences.map((o, i): Finding => ({
      ...o,
      evidence: o.evidence.map((e) => ({ ...e, mark: 'evidence' as const })),
      details: { ...o.details, pathMtuMin: brackets[i]![0], pathMtuMax: brackets[i]![1] },
    }));
    const g = new IncidentGrouper();
    for (const i of order) g.add(occ[i]!);
    return g.incidents().find((x) => x.id === ID)! as Report['findings'][number];
  }

  it('on the merged captures: three occurrences, each bracketing 1280–1499, intersect to 1280–1499', () => {
    expect(incident.count).toBe(3);
    for (const o of incident.occurrences) expect([o.details['pathMtuMin'], o.details['pathMtuMax']]).toEqual([1280, 1499]);
    expect(incident.pathMtu).toMatchObject({ min: 1280, max: 1499, empty: false, measured: 3 });
    expect(incident.summary).toContain('path MTU 1280–1499 in all 3');
    expect(renderText(report)).toContain('path MTU: 1280–1499');
  });

  it('the incident shows the intersection, naming the occurrences that bound it, in any arrival order', () => {
    const brackets: [number | null, number][] = [[1280, 1499], [1400, 1499], [1280, 1452]];
    const ids = incident.occurrences.map((o) => o.id);
    for (const order of [[0, 1, 2], [2, 1, 0], [1, 2, 0]]) {
      const x = regroup(brackets, order);
      expect(x.pathMtu).toEqual({ min: 1400, max: 1452, empty: false, measured: 3, minFrom: ids[1], maxFrom: ids[2] });
      expect(x.summary).toContain('path MTU 1400–1452 in all 3');
    }
    // an occurrence without a lower bound narrows only the upper one
    expect(regroup([[null, 1499], [1300, 1400], [null, 1450]]).pathMtu).toMatchObject({ min: 1300, max: 1400, empty: false });
  });

  it('says so when the brackets do not intersect', () => {
    const x = regroup([[1280, 1399], [1400, 1499], [1280, 1499]]);
    expect(x.pathMtu).toMatchObject({ min: 1400, max: 1399, empty: true, measured: 3 });
    expect(x.summary).toContain('path MTU brackets disagree (≥1400 in one, ≤1399 in another)');
    const text = renderText({ ...report, findings: report.findings.map((f) => (f.id === ID ? x : f)) }).replace(/\s+/g, ' ');
    expect(text).toContain(`path MTU: no one value fits every occurrence: ≥1400 (${x.occurrences[1]!.id}) but ≤1399 (${x.occurrences[0]!.id})`);
  });
});
