// The parser reads the common unit (a little-endian µs pcap record, an Enhanced Packet Block of a
// little-endian section) in one step and leaves everything else to its general path; with a record
// handler it always takes the general path. Both must deliver the same frames, numbers, times,
// lengths and bytes, note the same anomalies and report the same info, on real captures, on
// seeded damage to them, and whatever the chunk boundaries.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Anomalies, CaptureFormatError } from '../../src/core/index.js';
import { CaptureParser } from '../../src/readers/index.js';
import { mutations } from '../support/hex.js';
import { CORPUS, corpusPresent, keep, type Kept } from './support.js';

/** What a frame delivered, without the buffer it was a view of (a reused chunk or partial-record copy). */
type Delivered = Omit<Kept, 'bytes'>;

interface Outcome {
  frames: Delivered[];
  unitStarts: number[];
  info: unknown;
  anomalies: Record<string, number>;
  error: string | undefined;
}

function run(bytes: Buffer, chunk: number, generalOnly: boolean): Outcome {
  const frames: Delivered[] = [];
  const unitStarts: number[] = [];
  const anomalies = new Anomalies();
  let error: string | undefined;
  const parser: CaptureParser = new CaptureParser('test', (f) => {
    const { bytes: _view, ...delivered } = keep(f);
    frames.push(delivered);
    unitStarts.push(parser.unitStart);
  }, anomalies, generalOnly ? () => {} : undefined);
  try {
    for (let i = 0; i < bytes.length; i += chunk) parser.push(bytes.subarray(i, i + chunk));
    parser.end();
  } catch (e) {
    if (!(e instanceof CaptureFormatError)) throw e;
    error = e.message;
  }
  return { frames, unitStarts, info: error === undefined ? { ...parser.info } : undefined, anomalies: anomalies.toRecord(), error };
}

const CAPTURES = [
  'zeek/wikipedia.pcap', // little-endian µs pcap
  'packetq/sample-bigendian.pcap', // big-endian: general path only
  'tcpdump/tcp-handshake-nano.pcap', // ns: general path only
  'tcpdump/timestamp_invalid_micro.pcap', // sub-second fields out of range
  'zeek/pcapng-multi-interface.pcapng',
  'pcapplusplus/PcapTest/pcapng-example.pcapng',
  'tcpdump/time_2107.pcapng',
];

describe.skipIf(!corpusPresent)('common units read in one step', () => {
  for (const path of CAPTURES) {
    it(`${path}: the same as the general path, whole, in small chunks, and damaged`, () => {
      const bytes = readFileSync(join(CORPUS, path));
      const whole = run(bytes, bytes.length, false);
      expect(whole.frames.length).toBeGreaterThan(0);
      expect(whole).toEqual(run(bytes, bytes.length, true));
      for (const chunk of [7, 64, 1500]) expect(run(bytes, chunk, false)).toEqual(run(bytes, chunk, true));
      for (const m of mutations(bytes, 40, 11)) expect(run(m, 512, false)).toEqual(run(m, 512, true));
    });
  }
});
