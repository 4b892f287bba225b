// Every sample of the lab (samples/expected/*.json, written from the lab's knowledge): each path kind
// in mustFind is found for the right flow with the right measurements; each path kind in mustNotFind
// is absent.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/detect/index.js';
import { runPath } from '../../reconstruct/path/pipeline.js';

const DIR = new URL('../../../samples/', import.meta.url).pathname;

interface Range { min: number; max: number }
interface Expected {
  capture: string;
  mustFind: { kind: string; client?: string; server?: string; clientPort?: number; serverPort?: number; details?: Record<string, unknown>; stallMicros?: Range; delayMicros?: Range; frames?: number[] }[];
  mustNotFind: string[];
  mayFind?: string[];
}

const expectations: [string, Expected][] = existsSync(`${DIR}expected`)
  ? readdirSync(`${DIR}expected`)
      .filter((f) => f.endsWith('.json'))
      .map((f) => [f, JSON.parse(readFileSync(`${DIR}expected/${f}`, 'utf8')) as Expected] as [string, Expected])
      .filter(([, e]) => existsSync(`${DIR}${e.capture}`))
  : [];

const isPath = (k: string): boolean => k.startsWith('path.');

function inRange(v: unknown, r: Range): boolean {
  return typeof v === 'number' && v >= r.min && v <= r.max;
}

describe.skipIf(expectations.length === 0)('path findings on samples/', () => {
  it.each(expectations)('%s', async (_name, exp) => {
    const { findings } = await runPath(`${DIR}${exp.capture}`);
    for (const want of exp.mustFind.filter((m) => isPath(m.kind))) {
      const candidates = findings.filter(
        (f) =>
          f.kind === want.kind &&
          (want.client === undefined || f.client === want.client) &&
          (want.server === undefined || f.server === want.server) &&
          (want.details?.side === undefined || f.details.side === want.details.side) &&
          (want.details?.problem === undefined || f.details.reason === want.details.problem),
      );
      expect(candidates, `${want.kind} ${want.client} → ${want.server} in ${exp.capture}`).not.toHaveLength(0);
      const f: Finding = candidates[0]!;
      const d = want.details ?? {};
      const flowText = f.displayFilter;
      if (want.clientPort !== undefined && want.kind !== 'path.ptb_problem') expect(flowText).toContain(`tcp.port == ${want.clientPort}`);
      if (want.serverPort !== undefined && want.kind !== 'path.ptb_problem') expect(flowText).toContain(`tcp.port == ${want.serverPort}`);
      if (want.kind === 'path.pmtud_blackhole') {
        const min = f.details.pathMtuMin as number;
        const max = f.details.pathMtuMax as number;
        if (typeof d.actualPathMtu === 'number') {
          expect(min).toBeLessThanOrEqual(d.actualPathMtu);
          expect(max).toBeGreaterThanOrEqual(d.actualPathMtu);
        }
        const bracket = d.pathMtu as Range | undefined;
        if (bracket !== undefined) {
          expect(min).toBeGreaterThanOrEqual(bracket.min);
          expect(max).toBeLessThanOrEqual(bracket.max);
        }
        if (typeof d.largestDelivered === 'number') expect(f.details.largestDelivered).toBe(d.largestDelivered);
        if (typeof d.smallestLost === 'number') expect(f.details.smallestLost).toBe(d.smallestLost);
        if (typeof d.transmissionsOfFirstLost === 'number') expect(f.details.sends).toBe(d.transmissionsOfFirstLost);
        if (typeof d.ptbSeen === 'number' && d.side === 'sender') expect(f.details.ptbSeen).toBe(d.ptbSeen > 0 ? Math.min(d.ptbSeen, 16) : 0);
        if (typeof d.bytesReceived === 'number') expect(f.details.largestDelivered as number).toBeGreaterThanOrEqual(d.bytesReceived);
        if (want.stallMicros !== undefined) expect(inRange(f.impact.delayMicros, want.stallMicros), `stall ${f.impact.delayMicros}`).toBe(true);
      }
      if (want.kind === 'path.ptb_problem' && typeof d.mtu === 'number') expect(f.details.mtu).toBe(d.mtu);
      if (want.kind === 'path.fallback_delay') {
        if (typeof d.classification === 'string') expect(f.details.classification).toBe(d.classification);
        if (want.delayMicros !== undefined) expect(inRange(f.details.delayToFallbackSynMicros, want.delayMicros), `delay ${f.details.delayToFallbackSynMicros}`).toBe(true);
        if (typeof d.from === "string") expect(f.details.from).toBe(d.from);
        const est = d.toV4EstablishedMicros as Range | undefined;
        if (est !== undefined) expect(inRange(f.details.delayToIpv4EstablishedMicros, est), `established ${f.details.delayToIpv4EstablishedMicros}`).toBe(true);
        if (typeof d.v6Syns === 'number') expect(f.details.ipv6Syns).toBe(d.v6Syns);
        const w = want as { serverV4?: string; clientV4?: string; names?: string[] };
        if (w.serverV4 !== undefined) expect(f.details.ipv4Server).toBe(w.serverV4);
        if (w.clientV4 !== undefined) expect(f.details.ipv4Client).toBe(w.clientV4);
        for (const n of w.names ?? []) expect(f.names).toContain(n);
      }
      if (want.frames !== undefined && want.frames.length > 0) {
        const frames = new Set(f.evidence.map((e) => e.frame));
        expect(want.frames.some((n) => frames.has(n)), `evidence frames ${[...frames].join(',')}`).toBe(true);
      }
    }
    for (const kind of exp.mustNotFind.filter(isPath)) {
      expect(findings.filter((f) => f.kind === kind).map((f) => f.summary), `${kind} in ${exp.capture}`).toEqual([]);
    }
  });
});
