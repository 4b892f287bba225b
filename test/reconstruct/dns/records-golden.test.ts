// Every record and finding the DNS stage emits for a few corpus captures, kept as golden files, so
// a change made for speed that changes the output shows up (records are the product). The captures
// cover UDP and TCP, fragments, EDNS, hostile names, orphans, retransmissions and findings.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportedFinding } from '../../../src/report/index.js';
import { runDns } from './pipeline.js';
import { CORPUS } from './corpus-scan.js';
import { NONE_YET } from '../../../src/reconstruct/dns/state.js';

const CAPTURES = [
  'ndpi/dns_fragmented.pcap',
  'zeek/dns-edns-ecs.pcap',
  'ndpi/bad-dns-traffic.pcap',
  'dnscap/dnso1tcp.pcap',
];

const json = (x: unknown): string => `${JSON.stringify(x, null, 1)}\n`;

describe('DNS records and findings on corpus captures stay the same', () => {
  for (const c of CAPTURES) {
    it.skipIf(!existsSync(join(CORPUS, c)))(c, async () => {
      const { records, findings: detected, stats } = await runDns(join(CORPUS, c));
      const findings = detected.map(reportedFinding); // as the report lists them (the marks went into its timeline)
    await expect(json({ stats, findings, records })).toMatchFileSnapshot(`records-golden/${c.replaceAll('/', '_')}.json`);
    });
  }
  // Thousands of records: only the findings and the counts are kept.
  it.skipIf(!existsSync(join(CORPUS, 'compactor/knot-live.raw.pcap')))('compactor/knot-live.raw.pcap (findings)', async () => {
    const { records, findings: detected, stats } = await runDns(join(CORPUS, 'compactor/knot-live.raw.pcap'));
    const findings = detected.map(reportedFinding); // as the report lists them (the marks went into its timeline)
    await expect(json({ stats, records: records.length, findings })).toMatchFileSnapshot('records-golden/compactor_knot-live.raw.pcap.findings.json');
  });
});

// The records' lists start as one shared empty array (NONE_YET, state.ts), not frozen for speed: it
// must never be written, or every later record would show what one detector pushed. Runs last, after
// every capture above and a bundled TCP-fallback one went through the reconstructor and detectors.
describe('the shared empty list of DNS records', () => {
  it('is still empty after the captures went through', async () => {
    await runDns(join(import.meta.dirname, '../../../samples/dns-tc-tcp-blocked-client.pcap'));
    await runDns(join(import.meta.dirname, '../../../samples/dns-large-fragmented-client.pcap'));
    expect(NONE_YET).toHaveLength(0);
    expect(Object.keys(NONE_YET)).toEqual([]);
  });
});
