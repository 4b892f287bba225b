// Rewrites a classic pcap's records: their timestamps as a capture host with a wrong clock would
// have written them (skewPcapClock), or any per-record retiming and cutting (rewritePcapRecords).
// Handles both byte orders and µs/ns files; the packet bytes are copied unchanged.
import { readFileSync, writeFileSync } from 'node:fs';

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;

/**
 * Copies `src` to `dst` record by record: `time` gets each record's frame number (from 1) and
 * timestamp (in the file's units, `perSecond` of them a second) and returns its new timestamp, or
 * undefined to leave the record out.
 */
export function rewritePcapRecords(src: string, dst: string, time: (frame: number, t: bigint, perSecond: bigint) => bigint | undefined): void {
  const b = Buffer.from(readFileSync(src));
  const le = b.readUInt32LE(0) === MAGIC_US || b.readUInt32LE(0) === MAGIC_NS;
  const magic = le ? b.readUInt32LE(0) : b.readUInt32BE(0);
  if (magic !== MAGIC_US && magic !== MAGIC_NS) throw new Error(`${src}: not a classic pcap`);
  const perSecond = magic === MAGIC_NS ? 1_000_000_000n : 1_000_000n;
  const u32 = (o: number): bigint => BigInt(le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const put = (o: number, v: bigint): void => void (le ? b.writeUInt32LE(Number(v), o) : b.writeUInt32BE(Number(v), o));
  const kept: Buffer[] = [b.subarray(0, 24)];
  let frame = 0;
  for (let o = 24; o + 16 <= b.length; ) {
    const end = o + 16 + Number(u32(o + 8));
    const t = time(++frame, u32(o) * perSecond + u32(o + 4), perSecond);
    if (t !== undefined) {
      put(o, t / perSecond);
      put(o + 4, t % perSecond);
      kept.push(b.subarray(o, end));
    }
    o = end;
  }
  writeFileSync(dst, Buffer.concat(kept));
}

/** t' = t + offset + (t − t0)·ppm/1e6, t0 the first record's time. */
export function skewPcapClock(src: string, dst: string, offsetMicros: number, ppm: number): void {
  let first: bigint | undefined;
  rewritePcapRecords(src, dst, (_frame, t, perSecond) => {
    first ??= t;
    const drift = BigInt(Math.round((Number(t - first) * ppm) / 1e6));
    return t + BigInt(offsetMicros) * (perSecond / 1_000_000n) + drift;
  });
}
