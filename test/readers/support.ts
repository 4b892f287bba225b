// Helpers for the reader tests: run the parser over bytes in fixed-size chunks and keep copies of
// what it delivered (frames are views, valid only during the callback).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Anomalies, CaptureFormatError } from '../../src/core/index.js';
import { CaptureParser, type Frame, type ParserInfo } from '../../src/readers/index.js';

import { CORPUS } from '../support/corpus.js';

export { CORPUS };
export const corpusPresent = existsSync(join(CORPUS, 'manifest.json'));

export interface ManifestFile {
  path: string;
  packets: number;
  frames_tshark: number;
  size_bytes: number;
  tshark: { status: string };
}
export const manifestFiles = (): ManifestFile[] =>
  corpusPresent ? (JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as { files: ManifestFile[] }).files : [];

export interface Kept extends Omit<Frame, 'data'> { readonly data: Buffer }
export const keep = (f: Frame): Kept => ({ ...f, data: Buffer.from(f.data) });

export interface Run {
  frames: Kept[];
  info: ParserInfo | undefined;
  anomalies: Anomalies;
  error: CaptureFormatError | undefined;
}

/** Feeds `bytes` to a fresh parser `chunk` bytes at a time; a CaptureFormatError is returned, anything else thrown. */
export function parse(bytes: Buffer, chunk = bytes.length || 1, source = 'test'): Run {
  const frames: Kept[] = [];
  const anomalies = new Anomalies();
  const parser = new CaptureParser(source, (f) => frames.push(keep(f)), anomalies);
  try {
    for (let i = 0; i < bytes.length; i += chunk) parser.push(bytes.subarray(i, i + chunk));
    parser.end();
  } catch (e) {
    if (e instanceof CaptureFormatError) return { frames, info: undefined, anomalies, error: e };
    throw e;
  }
  return { frames, info: parser.info, anomalies, error: undefined };
}

/** tshark's frame.time_epoch as exact ns. tshark prints nsecs with %09u, so a fraction of more
 * than 9 digits is a raw, un-normalised ns count (pcap files with ns ≥ 1e9): add it as a number. */
export function epochNanos(s: string): bigint {
  const dot = s.indexOf('.');
  const sec = BigInt(dot < 0 ? s : s.slice(0, dot));
  const frac = dot < 0 ? '' : s.slice(dot + 1);
  return sec * 1_000_000_000n + BigInt(frac.length >= 9 ? frac : frac.padEnd(9, '0'));
}
export const frameNanos = (f: { time: number; nanos: number }): bigint => BigInt(f.time) * 1000n + BigInt(f.nanos);
