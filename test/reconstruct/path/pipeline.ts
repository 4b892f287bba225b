// Readers → PacketDecoder → PathReconstructor → path detectors, as src/analyze.ts chains them
// (expire once per second of capture time), for the sample and corpus tests.
import { FindingSet } from '../../../src/detect/index.js';
import { Anomalies } from '../../../src/core/index.js';
import { PacketDecoder } from '../../../src/decode/index.js';
import { readCapture } from '../../../src/readers/index.js';
import { PathReconstructor, type PathRecord, type PathStats } from '../../../src/reconstruct/path/index.js';
import { createPathDetectors } from '../../../src/detect/index.js';
import type { Finding } from '../../../src/detect/index.js';

export interface PathRun {
  readonly records: PathRecord[];
  readonly findings: Finding[];
  readonly stats: PathStats;
}

export async function runPath(file: string): Promise<PathRun> {
  const anomalies = new Anomalies();
  const decoder = new PacketDecoder(anomalies);
  const records: PathRecord[] = [];
  const findings: Finding[] = [];
  const detectors = createPathDetectors();
  const merged = new FindingSet(); // the analysis' merge rule: latest version per id, restated at finish
  const path = new PathReconstructor({}, (r) => {
    records.push(r);
    for (const d of detectors) merged.add(d, d.observe(r));
  });
  let nextExpire = Number.NEGATIVE_INFINITY;
  await readCapture(
    file,
    (frame) => {
      const p = decoder.decode(frame);
      if (p !== undefined) path.packet(p);
      else {
        const arp = decoder.takeArp(); // as Analysis.frame() does
        if (arp !== undefined) path.arp(arp, frame.index, frame.time);
      }
      if (frame.time >= nextExpire) {
        nextExpire = frame.time + 1_000_000;
        path.expire(frame.time);
      }
    },
    anomalies,
  );
  path.finish();
  for (const d of detectors) merged.finish(d);
  findings.push(...merged.values());
  return { records, findings, stats: path.stats() };
}
