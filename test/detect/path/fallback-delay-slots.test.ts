// path.fallback_delay keeps a waiting success as a slot written over by later successes (Success):
// what it keeps must show what the record did, and a finding must not change once the slot of its
// success is written over.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEdgeCapture } from '../../../bench/generate-edge.js';
import { createFallbackDelay, Success } from '../../../src/detect/path/fallback-delay.js';
import type { Finding } from '../../../src/detect/index.js';
import type { ConnectionRecord, PathRecord } from '../../../src/reconstruct/path/index.js';
import { runPath } from '../../reconstruct/path/pipeline.js';

const TMP = mkdtempSync(join(tmpdir(), 'g9b-fallback-slots-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
const FILE = join(TMP, 'edge.pcap');

let records: PathRecord[] = [];
beforeAll(async () => {
  generateEdgeCapture(FILE, 60_000);
  records = (await runPath(FILE)).records;
}, 120_000);

const established = (): ConnectionRecord[] => records.filter((r): r is ConnectionRecord => r.type === 'connection' && r.handshake === 'established');

describe('path.fallback_delay: a waiting success is a reused slot', () => {
  it('one slot, written over connection after connection, shows what each record does', () => {
    const slot = new Success();
    const all = established();
    expect(all.length).toBeGreaterThan(1000);
    let withLookup = 0;
    for (const c of all) {
      slot.write(c);
      if (c.lookup !== undefined) withLookup++;
      expect([slot.version, slot.client, slot.server, slot.serverPort, slot.names, slot.startFrame]).toEqual([c.version, c.client, c.server, c.serverPort, c.names, c.start.frame]);
      expect(slot.syn).toEqual(c.syns[0]);
      expect(slot.firstSyn).toBe(c.syns[0]?.time ?? c.start.time);
      expect(slot.established).toEqual(c.established);
      expect(slot.lookup).toEqual(c.lookup);
      expect(slot.lookupAsker).toBe(c.lookup?.asker);
    }
    // Both kinds, one after the other: a slot that held a lookup is written over by one without.
    expect(withLookup).toBeGreaterThan(100);
    expect(withLookup).toBeLessThan(all.length);
  });

  it('a finding stays as it was made while the slot of its success is written over by later ones', () => {
    // Few waiting successes: every slot is written over many times.
    const d = createFallbackDelay({ maxPending: 16 });
    const made: { finding: Finding; json: string }[] = [];
    for (const r of records) for (const f of d.observe(r)) made.push({ finding: f, json: JSON.stringify(f) });
    expect(made.length).toBeGreaterThan(20);
    for (const m of made) expect(JSON.stringify(m.finding)).toBe(m.json);
  });
});
