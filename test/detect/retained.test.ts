// What detectors keep while they work, counted rather than timed: bounds on the total, so that an
// incident-rich capture (many PTR lookups under the locally served zones) holds a fixed amount
// however long it runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEdgeCapture } from '../../bench/generate-edge.js';
import { createLocalZoneLeak } from '../../src/detect/dns/local-zone-leak.js';
import { locallyServedZone } from '../../src/detect/dns/local-zones.js';
import type { DnsRecord } from '../../src/reconstruct/dns/index.js';
import { runDns } from '../reconstruct/dns/pipeline.js';

const TMP = mkdtempSync(join(tmpdir(), 'i17e-retained-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

let records: DnsRecord[] = [];
beforeAll(async () => {
  const file = join(TMP, 'edge.pcap');
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
