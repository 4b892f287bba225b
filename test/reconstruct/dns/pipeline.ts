// readers → PacketDecoder → DnsReconstructor (→ DNS detectors) over one capture file, for the tests
// on real captures. Uses only the layers' public index modules. A PathReconstructor runs beside it
// for the capture view alone (which hosts are one-sided), as in the analysis; no path detector runs.
import { FindingSet } from '../../../src/detect/index.js';
import { Anomalies } from '../../../src/core/index.js';
import { readCapture } from '../../../src/readers/index.js';
import { PacketDecoder } from '../../../src/decode/index.js';
import { DnsReconstructor, type DnsOptions, type DnsRecord, type DnsStats } from '../../../src/reconstruct/dns/index.js';
import { PathReconstructor } from '../../../src/reconstruct/path/index.js';
import { createDetectors, type DetectOptions } from '../../../src/detect/index.js';
import type { Finding } from '../../../src/detect/index.js';

export interface DnsRun {
  records: DnsRecord[];
  findings: Finding[];
  stats: DnsStats;
}

const EXPIRE_STEP = 1_000_000;

export async function runDns(path: string, dns: Partial<DnsOptions> = {}, detect: DetectOptions = {}): Promise<DnsRun> {
  const anomalies = new Anomalies();
  const decoder = new PacketDecoder(anomalies);
  const records: DnsRecord[] = [];
  const findings: Finding[] = [];
  const set = createDetectors(detect);
  const detectors = set.dns;
  const pathRecon = new PathReconstructor({}, (r) => {
    if (r.type === 'host-view') set.view.note(r);
  });
  const merged = new FindingSet(); // the analysis' merge rule: latest version per id, restated at finish
  const recon = new DnsReconstructor(dns, (r) => {
    records.push(r);
    for (const d of detectors) merged.add(d, d.observe(r));
  });
  let nextExpire = Number.NEGATIVE_INFINITY;
  let last = Number.NaN;
  await readCapture(path, (frame) => {
    if (!(frame.time <= last)) last = frame.time;
    const p = decoder.decode(frame);
    if (p !== undefined) {
      recon.packet(p);
      pathRecon.packet(p);
    }
    if (frame.time >= nextExpire) {
      nextExpire = frame.time + EXPIRE_STEP;
      decoder.expire(frame.time);
      recon.expire(frame.time);
      pathRecon.expire(frame.time);
    }
  }, anomalies);
  if (!Number.isNaN(last)) for (const d of detectors) d.captureEnd?.(last); // as Analysis.finish() does
  recon.finish();
  pathRecon.finish();
  for (const d of detectors) merged.finish(d);
  findings.push(...merged.values());
  return { records, findings, stats: recon.stats() };
}
