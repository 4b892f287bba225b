// The analysis counts an exception in a frame as `analyze.decode_exception` and goes on, so a test
// that only checks for a report would pass with a decoder that throws on every packet. Tests over
// real and fuzzed captures call this.
import { expect } from 'vitest';
import { BUG_ANOMALIES } from '../../src/core/index.js';
import type { Report } from '../../src/report/index.js';

export function expectNoBugAnomalies(report: Pick<Report, 'anomalies'>, where = ''): void {
  const counted = Object.fromEntries(BUG_ANOMALIES.map((a) => [a, report.anomalies[a]]));
  expect(counted, `${where}: an anomaly only a dualscope bug causes`).toEqual(Object.fromEntries(BUG_ANOMALIES.map((a) => [a, 0])));
}
