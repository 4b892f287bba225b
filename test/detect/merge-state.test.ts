// The detectors that sum up the capture at finish (those that restate at finish, path.ptb_problem's
// counts per router, and path.fallback_delay's fallbacks that rest on lone SYNs), split in two at
// several frames of a real capture (each half reads every record, as a piece with a long enough
// lead-in and run-out does, but owns only its own frames' records): exportState() of both halves
// merged in file order into fresh detectors gives exactly the findings of one detector that read
// the whole capture. The split frames are the first and last evidence frames of each of the
// detector's findings (so a split falls inside an incident, between its lookups or connections) and
// the middle of the capture.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.js';
import {
  createDetectors,
  DETECTORS,
  defineDetector,
  NO_FINDINGS,
  type Detector,
  type DetectorSet,
  type Finding,
} from '../../src/detect/index.js';
import type { DnsRecord, PathRecord } from '../../src/reconstruct/index.js';
import { ROOT } from '../support/cli.js';

type Heard = { dns: DnsRecord; at: number } | { path: PathRecord; at: number } | { captureEnd: number };

/** Every record the detectors of an analysis hear, where each was made final, and the capture's end. */
async function hear(sample: string): Promise<{ heard: Heard[]; frames: number }> {
  const heard: Heard[] = [];
  let frames = 0;
  const recorder = <R extends 'dns' | 'path'>(records: R) =>
    defineDetector({
      kind: `test.recorder_${records}`, records: records as 'dns', lane: 'dns', defaults: {}, readme: { what: '', remedy: '' },
      create: (_o, _e, _v, scope): Detector<DnsRecord> => ({
        name: `recorder-${records}`,
        observe(r) {
          heard.push(records === 'dns' ? { dns: r, at: scope.position } : { path: r as unknown as PathRecord, at: scope.position });
          frames = Math.max(frames, Math.floor(scope.position));
          return NO_FINDINGS;
        },
        captureEnd(time) {
          if (records === 'dns') heard.push({ captureEnd: time });
        },
        finish: () => NO_FINDINGS,
      }),
    });
  const path = recorder('path') as unknown as (typeof DETECTORS)[number];
  await analyzeFile(join(ROOT, sample), { detectors: [...DETECTORS, recorder('dns') as unknown as (typeof DETECTORS)[number], path] });
  return { heard, frames };
}

/** A detector set fed every record; owning frames [first, last] when given. */
function run(heard: readonly Heard[], range?: { firstFrame: number; lastFrame: number }): DetectorSet {
  const set = createDetectors();
  if (range !== undefined) set.scope.own(range);
  for (const h of heard) {
    if ('captureEnd' in h) {
      for (const d of [...set.dns, ...set.path] as Detector<never>[]) d.captureEnd?.(h.captureEnd);
      continue;
    }
    set.scope.position = h.at;
    if ('dns' in h) for (const d of set.dns) d.observe(h.dns);
    else for (const d of set.path) d.observe(h.path);
  }
  return set;
}

const restating = (set: DetectorSet): Detector<never>[] => ([...set.dns, ...set.path] as Detector<never>[]).filter((d) => d.exportState !== undefined);
const byId = (fs: readonly Finding[]): Finding[] => [...fs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/** The findings of each restating detector (by name): on one thread, and merged from two halves split at `at`. */
function splitAt(heard: readonly Heard[], at: number): { whole: Map<string, Finding[]>; merged: Map<string, Finding[]> } {
  const whole = new Map(restating(run(heard)).map((d) => [d.name, byId(d.finish())]));
  const halves = [run(heard, { firstFrame: 0, lastFrame: at - 1 }), run(heard, { firstFrame: at, lastFrame: Number.MAX_SAFE_INTEGER })];
  const fresh = createDetectors();
  for (const half of halves) {
    fresh.view.mergeState(structuredClone(half.view.exportState([])));
    const states = structuredClone(restating(half).map((d) => d.exportState!()));
    restating(fresh).forEach((d, i) => d.mergeState!(states[i]));
  }
  const merged = new Map(restating(fresh).map((d) => [d.name, byId(d.finish())]));
  return { whole, merged };
}

// A real capture for each detector, with findings that span several lookups or connections.
const CASES: [kind: string, detector: string, sample: string][] = [
  ['dns.resolver_profile', 'resolver-profile', 'samples/busy-mixed-client.pcapng'],
  ['dns.aaaa_unanswered', 'aaaa-unanswered', 'samples/aaaa-unanswered-recursive-resolver.pcapng'],
  ['dns.large_response_risk', 'large-response-risk', 'samples/dns-large-fragmented-server.pcapng'],
  ['dns.same_port_reply_drop', 'same-port-reply-drop', 'samples/same-port-drop-many-clients-lan.pcap'],
  ['dns.slow_lookup', 'slow-lookup', 'samples/slow-lookup-app-retries-client.pcap'],
  ['dns.local_zone_leak', 'local-zone-leak', 'samples/rfc6303-leak-many-hosts-resolver.pcap'],
  ['path.fallback_delay', 'fallback-delay', 'samples/fallback-happy-eyeballs-client.pcap'],
  ['path.mss_clamped', 'mss-clamped', 'samples/mss-clamp-many-client.pcap'],
  ['path.ptb_problem', 'ptb-problem', 'samples/pmtud-v6-ptb-delivered-server.pcap'],
];

describe('restating detectors: exportState → mergeState over a split equals the unsplit finish', () => {
  it('the cases cover every detector that restates at finish or holds findings back until then', () => {
    expect(restating(createDetectors()).map((d) => d.name).sort()).toEqual(CASES.map(([, name]) => name).sort());
    // Every detector that restates can hand its state to a merge.
    for (const d of [...createDetectors().dns, ...createDetectors().path]) if (d.restatesAtFinish === true) expect(d.exportState, d.name).toBeDefined();
  });

  for (const [kind, name, sample] of CASES) {
    it(`${kind} on ${sample}`, async () => {
      const { heard, frames } = await hear(sample);
      const whole = restating(run(heard)).find((d) => d.name === name)!.finish().filter((f) => f.kind === kind);
      expect(whole.length).toBeGreaterThan(0);
      const splits = new Set<number>([Math.ceil(frames / 2)]);
      for (const f of whole) {
        splits.add(f.evidence[0]!.frame);
        splits.add(f.evidence[f.evidence.length - 1]!.frame);
        if (f.evidence.length > 2) splits.add(f.evidence[Math.floor(f.evidence.length / 2)]!.frame);
      }
      // Inside an incident: at least one split falls strictly between a finding's first and last frames.
      expect(whole.some((f) => [...splits].some((s) => s > f.evidence[0]!.frame && s <= f.evidence[f.evidence.length - 1]!.frame))).toBe(true);
      for (const at of splits) {
        const { whole: w, merged } = splitAt(heard, at);
        expect(merged.get(name), `split at frame ${at}`).toEqual(w.get(name));
        expect(merged.get(name)!.filter((f) => f.kind === kind).length).toBe(whole.length);
      }
    });
  }

  it('a detector whose owned range holds nothing counts nothing', async () => {
    const { heard } = await hear('samples/busy-mixed-client.pcapng');
    const none = run(heard, { firstFrame: Number.MAX_SAFE_INTEGER, lastFrame: Number.MAX_SAFE_INTEGER });
    for (const d of restating(none)) expect(d.finish(), d.name).toEqual([]);
  });
});
