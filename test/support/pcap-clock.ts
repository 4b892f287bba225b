// Rewrites a classic pcap's record timestamps as a capture host with a wrong clock would have
// written them: t' = t + offset + (t − t0)·ppm/1e6, t0 the first record's time. Handles both
// byte orders and µs/ns files; the packet bytes are copied unchanged.
import { readFileSync, writeFileSync } from 'node:fs';

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;

export function skewPcapClock(src: string, dst: string, offsetMicros: number, ppm: number): void {
  const b = Buffer.from(readFileSync(src));
  const le = b.readUInt32LE(0) === MAGIC_US || b.readUInt32LE(0) === MAGIC_NS;
  const magic = le ? b.readUInt32LE(0) : b.readUInt32BE(0);
  if (magic !== MAGIC_US && magic !== MAGIC_NS) throw new Error(`${src}: not a classic pcap`);
  const perSecond = magic === MAGIC_NS ? 1_000_000_000n : 1_000_000n;
  const u32 = (o: number): bigint => BigInt(le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const put = (o: number, v: bigint): void => void (le ? b.writeUInt32LE(Number(v), o) : b.writeUInt32BE(Number(v), o));
  const unitsPerMicro = perSecond / 1_000_000n;
  let first: bigint | undefined;
  for (let o = 24; o + 16 <= b.length; ) {
    const t = u32(o) * perSecond + u32(o + 4);
    first ??= t;
    const drift = BigInt(Math.round((Number(t - first) * ppm) / 1e6));
    const shifted = t + BigInt(offsetMicros) * unitsPerMicro + drift;
    put(o, shifted / perSecond);
    put(o + 4, shifted % perSecond);
    o += 16 + Number(u32(o + 8));
  }
  writeFileSync(dst, b);
}
