// What `correlate` keeps while it works, counted rather than timed: per packet only its signature
// record and its journey; a verdict (which points did not see it, and why) only for a packet that
// was lost or that a finding cites; one direction key per flow direction, shared by every clock
// sample on it. Before, every journey kept its verdict (a Map each) and every clock sample two new
// strings: ~1.2 KB a packet in all, ~0.8 KB now (peak RSS figures in docs/correlate.md).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateEdgeCapture } from '../../bench/generate-edge.js';
import { collectPoint, type CollectedPoint } from '../../src/correlate/collect.js';
import { correlateCollected, DEFAULT_CORRELATE_OPTIONS, type CorrelationStats } from '../../src/correlate/correlate.js';
import type { CorrelatedReport } from '../../src/report/correlation/index.js';
import { skewPcapClock } from '../support/pcap-clock.js';

const SAMPLES = join(import.meta.dirname, '../../samples');
const TMP = mkdtempSync(join(tmpdir(), 'i14-retained-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

async function correlateCounting(files: string[]): Promise<{ report: CorrelatedReport; stats: CorrelationStats; collected: CollectedPoint[] }> {
  const o = { ...DEFAULT_CORRELATE_OPTIONS, generatedAt: '2026-01-01T00:00:00.000Z' };
  const collected: CollectedPoint[] = [];
  for (let i = 0; i < files.length; i++) {
    collected.push(await collectPoint(i, files[i]!, { generatedAt: o.generatedAt }, { doubleWindow: o.doubleWindow, maxPackets: o.maxPacketsPerPoint }));
  }
  const stats: CorrelationStats = { journeys: 0, verdictsKept: 0, directionKeys: 0, clockSamples: 0 };
  const report = correlateCollected(files.map((f, i) => ({ file: f, label: `p${i}` })), collected, o, stats);
  return { report, stats, collected };
}

/** Journeys a verdict may be kept for: every lost packet's, and every evidence packet's. */
function verdictsNeeded(r: CorrelatedReport): number {
  const losses = r.unexplainedLosses.length + r.omittedLosses + r.findings.reduce((n, f) => n + f.losses.length, 0);
  const evidence = r.findings.reduce((n, f) => n + f.evidence.length, 0);
  return losses + evidence;
}

/** Flow directions (`proto src → dst`) among the packets, both ways. */
function directions(collected: readonly CollectedPoint[]): number {
  const seen = new Set<string>();
  for (const c of collected) {
    for (const p of c.packets) {
      const proto = p.kind === 'dns' ? 'udp' : p.kind;
      seen.add(`${proto} ${p.src} ${p.dst}`);
      seen.add(`${proto} ${p.dst} ${p.src}`);
    }
  }
  return seen.size;
}

describe('correlate keeps a bounded amount per packet', () => {
  it('an edge capture and its copy 2.5 s off: a verdict only for cited packets, one key per direction', async () => {
    const a = join(TMP, 'edge.pcap');
    const b = join(TMP, 'edge-later.pcap');
    generateEdgeCapture(a, 6000);
    skewPcapClock(a, b, 2_500_000, 0);
    const { report, stats, collected } = await correlateCounting([a, b]);
    // Every packet is at both points: one journey per packet, all matched.
    expect(report.overlap.matchedPackets).toBe(collected[0]!.packets.length);
    expect(stats.journeys).toBe(collected[0]!.packets.length);
    expect(report.points[1]!.clock.offsetMicros).toBeCloseTo(2_500_000, -1);
    // Nothing was lost, so verdicts are kept for evidence packets only: a few hundred, not 6000.
    expect(report.unexplainedLosses).toEqual([]);
    expect(stats.verdictsKept).toBeGreaterThan(0);
    expect(stats.verdictsKept).toBeLessThanOrEqual(verdictsNeeded(report));
    expect(stats.verdictsKept * 5).toBeLessThan(stats.journeys);
    // Thousands of clock samples share the keys of far fewer directions.
    expect(stats.clockSamples).toBeGreaterThan(4000);
    expect(stats.directionKeys).toBeLessThanOrEqual(directions(collected));
    expect(stats.directionKeys * 2).toBeLessThan(stats.clockSamples);
  }, 120_000);

  it('lab captures with a real loss: the lost packet keeps its verdict, the rest of the journeys none', async () => {
    const { report, stats } = await correlateCounting([join(SAMPLES, 'same-port-drop-a-client.pcap'), join(SAMPLES, 'same-port-drop-a-resolver.pcap')]);
    const drop = report.findings.find((f) => f.kind === 'dns.same_port_reply_drop')!;
    expect(drop.status).toBe('proved');
    expect(drop.losses.length).toBeGreaterThan(0);
    expect(stats.verdictsKept).toBeGreaterThanOrEqual(drop.losses.length);
    expect(stats.verdictsKept).toBeLessThanOrEqual(verdictsNeeded(report));
    expect(stats.verdictsKept).toBeLessThan(stats.journeys);
  });
});
