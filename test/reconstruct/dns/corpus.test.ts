// Pairing on every capture of ../shared/captures against tshark's two-pass dns.response_in /
// dns.response_to. Every disagreement is listed in tshark-differences.json with its reason; the
// test fails on any new one and on any listed one that went away.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureFormatError } from '../../../src/core/index.js';
import { runDns } from './pipeline.js';
import { CORPUS, corpusFiles, pairingDifferences, truthDns, type PairingDifference } from './corpus-scan.js';

const files = corpusFiles();
const listed = JSON.parse(readFileSync(new URL('./tshark-differences.json', import.meta.url), 'utf8')) as (PairingDifference & { reason: string })[];
const key = (d: PairingDifference): string => `${d.file}#${d.frame}#${d.id}#${d.qtype}#${d.field}#${JSON.stringify(d.tshark)}#${JSON.stringify(d.ours)}`;

describe.skipIf(files.length === 0)('DNS pairing vs tshark on the capture corpus', () => {
  it('agrees except where listed, with a reason each', async () => {
    const found: PairingDifference[] = [];
    for (const f of files) {
      const truth = truthDns(f);
      try {
        const { records } = await runDns(join(CORPUS, f));
        found.push(...pairingDifferences(f, truth, records));
      } catch (e) {
        if (!(e instanceof CaptureFormatError)) throw e; // unreadable containers: the readers' test
      }
    }
    for (const d of listed) expect(d.reason.length, `${key(d)} needs a reason`).toBeGreaterThan(20);
    expect(found.map(key).sort()).toEqual(listed.map(key).sort());
  });
});
