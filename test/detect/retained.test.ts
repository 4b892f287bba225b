// What detectors keep while they work, counted rather than timed: bounds on the total, so that an
// incident-rich capture (many PTR lookups under the locally served zones) holds a fixed amount
// however long it runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEdgeCapture } from '../../bench/generate-edge.js';
import { analyzeFile } from '../../src/analyze.js';
import { allLookupEvidence, questionEvidence, shownLookup } from '../../src/detect/dns/common.js';
import { candidateEvidence, candidateOf } from '../../src/detect/dns/resolver-profile.js';
import { createLocalZoneLeak, legShown, newLeg, writeLeg } from '../../src/detect/dns/local-zone-leak.js';
import { CaptureView, createDetectors, DETECTORS, Explanations, RecordScope, type Finding } from '../../src/detect/index.js';
import { locallyServedZone } from '../../src/detect/dns/local-zones.js';
import type { DnsRecord } from '../../src/reconstruct/dns/index.js';
import { runDns } from '../reconstruct/dns/pipeline.js';

const TMP = mkdtempSync(join(tmpdir(), 'i17e-retained-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

let records: DnsRecord[] = [];
const file = join(TMP, 'edge.pcap');
beforeAll(async () => {
  generateEdgeCapture(file, 60_000);
  records = (await runDns(file)).records;
}, 120_000);

describe('local_zone_leak remembers a bounded number of legs in all', () => {
  it('keeps up to 8 legs per name under the bound, and no more than the bound in all', () => {
    const perName = new Map<string, number>();
    for (const r of records) if (r.type === 'lookup' && locallyServedZone(r.name) !== undefined) perName.set(r.name.toLowerCase(), (perName.get(r.name.toLowerCase()) ?? 0) + 1);
    const expected = [...perName.values()].reduce((n, c) => n + Math.min(8, c), 0);
    // The capture has enough lookups in those zones for the bound below to matter.
    expect(expected).toBeGreaterThan(300);

    const unbounded = createLocalZoneLeak({ maxRememberedLegs: 1_000_000 });
    for (const r of records) unbounded.observe(r);
    expect(unbounded.rememberedLegs()).toBe(expected);

    const bounded = createLocalZoneLeak({ maxRememberedLegs: 200 });
    let most = 0;
    for (const r of records) {
      bounded.observe(r);
      most = Math.max(most, bounded.rememberedLegs());
    }
    expect(most).toBe(200);
    expect(bounded.rememberedLegs()).toBe(200);
  });
});

describe('what is kept in place of the whole record shows the same', () => {
  it('a remembered leg (shownLookup) gives the evidence of the lookup it was copied from', () => {
    let lookups = 0;
    for (const r of records) {
      if (r.type !== 'lookup') continue;
      lookups++;
      expect(allLookupEvidence(shownLookup(r), 8)).toEqual(allLookupEvidence(r, 8));
    }
    expect(lookups).toBeGreaterThan(1000);
  });

  it('a remembered leg, written over lookup after lookup in one slot, gives the evidence of the lookup written last', () => {
    const slot = newLeg();
    let plain = 0;
    let other = 0;
    for (const r of records) {
      if (r.type !== 'lookup') continue;
      writeLeg(slot, r, r.nameLower, 1, false, 0);
      if (slot.shown === undefined) plain++;
      else other++;
      expect(allLookupEvidence(legShown(slot), 8)).toEqual(allLookupEvidence(r, 8));
    }
    // Both kinds of leg, one after the other: the usual lookup as plain fields, any other as shownLookup's copy.
    expect(plain).toBeGreaterThan(1000);
    expect(other).toBeGreaterThan(10);
  });

  it('a resolver_profile candidate keeps what its evidence shows: counted for a re-sent lookup, built at finish', () => {
    let resent = 0;
    let showingRetry = 0;
    for (const r of records) {
      if (r.type !== 'lookup') continue;
      const retried = r.questions.some((q) => q.retransmissions > 0);
      const evidence = r.questions.flatMap((q) => questionEvidence(r, q, 6));
      const c = candidateOf(r, retried, 0);
      expect(candidateEvidence(c)).toEqual(evidence);
      expect('evidence' in c).toBe(false);
      if (!retried) continue;
      resent++;
      const shows = evidence.some((e) => e.role.includes('retransmission'));
      if (shows) showingRetry++;
      expect([c.items, c.showsRetry]).toEqual([evidence.length, shows]);
    }
    // Re-sent lookups whose evidence shows the retransmission: the count read is not zero.
    expect(resent).toBeGreaterThan(10);
    expect(showingRetry).toBeGreaterThan(0);
  });

  it('a file analysed without listeners, which keeps no provisional findings, reports what one with listeners does', async () => {
    const restating = new Set<string>(DETECTORS.filter((d) => d.create({}, new Explanations(), new CaptureView(), new RecordScope()).restatesAtFinish === true).map((d) => d.kind));
    const announced: Finding[] = [];
    const withListener = await analyzeFile(file, { generatedAt: 'x', onFinding: (f) => announced.push(f) });
    const without = await analyzeFile(file, { generatedAt: 'x' });
    // The listener heard provisional findings of the detectors that restate: the run kept them.
    expect(announced.filter((f) => restating.has(f.kind)).length).toBeGreaterThan(0);
    expect(without.findings).toEqual(withListener.findings);
    expect(without.findings.length).toBeGreaterThan(10);
  }, 120_000);
});

describe('provisional findings are built only when someone reads them (RecordScope.announces)', () => {
  it('a DNS detector that restates at finish returns none from observe() when not announcing, and finishes with the same findings', () => {
    const run = (announces: boolean): { early: Map<string, number>; final: Map<string, readonly Finding[]> } => {
      const set = createDetectors();
      set.scope.announces = announces;
      const early = new Map<string, number>();
      const final = new Map<string, readonly Finding[]>();
      records.forEach((r, i) => {
        set.scope.position = i;
        for (const d of set.dns) early.set(d.name, (early.get(d.name) ?? 0) + d.observe(r).length);
      });
      for (const d of set.dns) final.set(d.name, d.finish());
      return { early, final };
    };
    const announcing = run(true);
    const silent = run(false);
    // The capture has provisional findings of several DNS detectors; none is built when not announced.
    expect([...announcing.early.values()].filter((n) => n > 0).length).toBeGreaterThanOrEqual(3);
    expect([...silent.early.values()].every((n) => n === 0)).toBe(true);
    expect(silent.final).toEqual(announcing.final);
  });
});
