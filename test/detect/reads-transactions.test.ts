// Transaction records reach the detectors only when one of them says it reads them
// (Detector.readsTransactions): none of the shipped ones does, so the analysis does not make them.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.js';
import { defineDetector, DETECTORS, NO_FINDINGS, type Detector, type DetectorRegistry } from '../../src/detect/index.js';
import type { DnsRecord } from '../../src/reconstruct/index.js';

const SAMPLE = join(import.meta.dirname, '../../samples/aaaa-unanswered-client.pcapng');

/** A detector that counts the DNS records it hears by type; `reads` is its readsTransactions. */
function counter(reads: boolean | undefined, heard: Map<string, number>): DetectorRegistry[number] {
  return defineDetector({
    kind: `test.counter_${String(reads)}`, records: 'dns', lane: 'dns', defaults: {}, readme: { what: '', remedy: '' },
    create: (): Detector<DnsRecord> => ({
      name: 'counter',
      ...(reads === undefined ? {} : { readsTransactions: reads }),
      observe(r) {
        heard.set(r.type, (heard.get(r.type) ?? 0) + 1);
        return NO_FINDINGS;
      },
      finish: () => NO_FINDINGS,
    }),
  });
}

async function hear(reads: boolean | undefined): Promise<{ heard: Map<string, number>; transactions: number; findings: string }> {
  const heard = new Map<string, number>();
  const registry: DetectorRegistry = [...DETECTORS, counter(reads, heard)];
  const report = await analyzeFile(SAMPLE, { detectors: registry, generatedAt: '2026-01-01T00:00:00Z' });
  const dns = report.statistics.dns as Record<string, number>;
  const transactions = dns['transactions.answered']! + dns['transactions.unanswered']! + dns['transactions.unknown']!;
  return { heard, transactions, findings: JSON.stringify(report.findings) };
}

describe('transaction records in the analysis', () => {
  it('are made only when a detector reads them, and counted either way', async () => {
    const without = await hear(undefined);
    const declined = await hear(false);
    const reading = await hear(true);
    expect(reading.transactions).toBeGreaterThan(0);
    expect(reading.heard.get('transaction')).toBe(reading.transactions);
    expect(without.heard.get('transaction')).toBeUndefined();
    expect(declined.heard.get('transaction')).toBeUndefined();
    // Lookups come either way, and the statistics and findings do not depend on it.
    expect(without.heard.get('lookup')).toBe(reading.heard.get('lookup'));
    expect(without.transactions).toBe(reading.transactions);
    expect(without.findings).toBe(reading.findings);
  });
});
