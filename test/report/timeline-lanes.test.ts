// Which lanes a report shows: the same choice as matching every finding against every lane, at a
// cost that grows with the findings and their evidence, not with findings × lanes. Counted in index
// probes, never timed.
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/detect/index.js';
import type { Lane } from '../../src/reconstruct/index.js';
import { chooseLanes, type ProbeCounter } from '../../src/report/index.js';

const OPTIONS = { contextLanes: 12, laneOf: (kind: string) => (kind.startsWith('dns.') ? 'dns' as const : 'tcp' as const) };

/** `lanes` TCP lanes 2001:db8::i port ↔ 2001:db8:1::i 443, each with three marks on frames 10i+1..3. */
function makeLanes(lanes: number): Lane[] {
  const out: Lane[] = [];
  for (let i = 0; i < lanes; i++) {
    const marks = [1, 2, 3].map((k) => ({ t0: i * 10 + k, t1: null, type: 'tcp-syn' as const, frame: i * 10 + k, frames: [i * 10 + k], label: 'SYN', detail: '', outcome: 'ok' }));
    out.push({ id: `tcp ${String(i).padStart(6, '0')}`, kind: 'tcp', label: `lane ${i}`, a: `2001:db8::${i.toString(16)} 40000`, b: `2001:db8:1::${i.toString(16)} 443`, marks, omittedMarks: 0, packets: i % 7, lastTime: i * 10 + 3 });
  }
  return out;
}

/** Finding i cites a frame of lane (i × 7919 mod lanes), or (every third) only that lane's addresses, or (every fifth) a frame no lane has. */
function makeFindings(n: number, lanes: number): Finding[] {
  const out: Finding[] = [];
  for (let i = 0; i < n; i++) {
    const lane = (i * 7919) % lanes;
    const byAddress = i % 3 === 0;
    const frame = i % 5 === 0 ? 10_000_000 + i : lane * 10 + 1 + (i % 3);
    out.push({
      id: `path.x:${i}`,
      kind: i % 2 === 0 ? 'path.pmtud_blackhole' : 'dns.slow_lookup',
      severity: 'warning',
      summary: '',
      start: i,
      end: i,
      client: `2001:db8::${lane.toString(16)}`,
      server: byAddress ? `2001:db8:1::${lane.toString(16)}` : '2001:db8:ffff::1',
      names: [],
      evidence: byAddress ? [] : [{ frame, time: frame, role: 'SYN', mark: 'tcp-syn' }, { frame: frame + 20_000_000, time: frame, role: 'other', mark: 'evidence' }],
      impact: { description: '' },
      confidence: { level: 'high', reason: '' },
      remedy: '',
      displayFilter: '',
      details: {},
    });
  }
  return out;
}

/** The choice as it was made before the index: every finding against every lane. */
function naiveChosen(findings: readonly Finding[], lanes: readonly Lane[]): Map<string, string[]> {
  const addr = (e: string): string => e.split(' ')[0]!;
  const chosen = new Map<string, string[]>();
  for (const f of findings) {
    const frames = new Set(f.evidence.map((e) => e.frame));
    for (const lane of lanes) {
      const byFrame = lane.marks.some((m) => m.frames.some((fr) => frames.has(fr)));
      const a = addr(lane.a);
      const b = addr(lane.b);
      const byPair = f.client !== undefined && f.server !== undefined && ((a === f.client && b === f.server) || (a === f.server && b === f.client));
      if (byFrame || byPair) chosen.set(lane.id, [...(chosen.get(lane.id) ?? []), f.id]);
    }
  }
  return chosen;
}

describe('timeline lane choice', () => {
  it('chooses what matching every finding against every lane chooses', () => {
    const lanes = makeLanes(300);
    const findings = makeFindings(2000, 300);
    const out = chooseLanes(findings, lanes, OPTIONS);
    const got = new Map(out.filter((l) => l.findingIds.length > 0 && !l.id.startsWith('evidence ')).map((l) => [l.id, l.findingIds]));
    expect(got).toEqual(naiveChosen(findings, lanes));
    // Findings no lane shows get a lane drawn from their evidence, with the marks the detectors set.
    const evidenceLanes = out.filter((l) => l.id.startsWith('evidence '));
    const shown = new Set([...got.values()].flat());
    expect(evidenceLanes.map((l) => l.findingIds[0])).toEqual(findings.filter((f) => !shown.has(f.id)).map((f) => f.id).sort());
    expect(evidenceLanes.length).toBeGreaterThan(0);
    for (const l of evidenceLanes) expect(l.marks.map((m) => m.type)).toEqual(['tcp-syn', 'evidence']);
    // Lanes with findings first, then by id; the busiest others for context.
    expect(out.filter((l) => l.findingIds.length === 0)).toHaveLength(OPTIONS.contextLanes);
  });

  it('stays linear: tens of thousands of findings over a thousand lanes', () => {
    const lanes = makeLanes(1000);
    const probes = (n: number): number => {
      const counter: ProbeCounter = { probes: 0 };
      chooseLanes(makeFindings(n, 1000), lanes, OPTIONS, counter);
      return counter.probes;
    };
    const small = probes(10_000);
    const large = probes(40_000);
    // At most a few probes per finding (each evidence frame, the address pair, each lane reached) …
    expect(large).toBeLessThanOrEqual(40_000 * 6);
    // … so four times the findings cost four times the probes (a scan of every lane would be 1000 per finding).
    expect(large / small).toBeGreaterThan(3.9);
    expect(large / small).toBeLessThan(4.1);
  });
});
