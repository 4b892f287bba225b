// Test-only: the frames of a classic pcap or (simple) pcapng file, read whole. Enough to pull
// real frames out of ../shared/captures for decoder tests while staying independent of
// src/readers (which has its own tests). Not streaming, not for big files.
import { readFileSync } from 'node:fs';
import type { Frame } from '../../src/readers/frame.js';

import { CORPUS } from '../support/corpus.js';

export const CAPTURES = CORPUS;

export function captureFrames(path: string): Frame[] {
  const d = readFileSync(path.startsWith('/') ? path : `${CAPTURES}/${path}`);
  const magic = d.readUInt32LE(0);
  return magic === 0x0a0d0d0a ? pcapng(d) : pcap(d);
}

function pcap(d: Buffer): Frame[] {
  const m = d.readUInt32LE(0);
  const le = m === 0xa1b2c3d4 || m === 0xa1b23c4d || m === 0xa1b2cd34;
  const mb = d.readUInt32BE(0);
  const ns = m === 0xa1b23c4d || mb === 0xa1b23c4d;
  const modified = m === 0xa1b2cd34 || mb === 0xa1b2cd34;
  const u32 = (o: number): number => (le ? d.readUInt32LE(o) : d.readUInt32BE(o));
  const linkType = u32(20) & 0x0fffffff;
  const out: Frame[] = [];
  let off = 24;
  const rh = modified ? 24 : 16;
  while (off + rh <= d.length) {
    const sec = u32(off), sub = u32(off + 4), caplen = u32(off + 8), origlen = u32(off + 12);
    if (off + rh + caplen > d.length) break;
    const time = sec * 1_000_000 + (ns ? Math.floor(sub / 1000) : sub);
    out.push({ index: out.length + 1, time, nanos: ns ? sub % 1000 : 0, linkType, caplen, origlen, iface: 0, data: d.subarray(off + rh, off + rh + caplen) });
    off += rh + caplen;
  }
  return out;
}

function pcapng(d: Buffer): Frame[] {
  const out: Frame[] = [];
  let le = true;
  let ifaces: { linkType: number; perSec: number }[] = [];
  let off = 0;
  while (off + 12 <= d.length) {
    const type = d.readUInt32LE(off);
    if (type === 0x0a0d0d0a) { le = d.readUInt32LE(off + 8) === 0x1a2b3c4d; ifaces = []; }
    const u32 = (o: number): number => (le ? d.readUInt32LE(o) : d.readUInt32BE(o));
    const u16 = (o: number): number => (le ? d.readUInt16LE(o) : d.readUInt16BE(o));
    const len = u32(off + 4);
    if (len < 12 || off + len > d.length) break;
    const btype = u32(off);
    if (btype === 1) {
      let perSec = 1e6;
      for (let o = off + 16; o + 4 <= off + len - 4; ) {
        const code = u16(o), olen = u16(o + 2);
        if (code === 0) break;
        if (code === 9) { const v = d[o + 4]!; perSec = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v; }
        o += 4 + ((olen + 3) & ~3);
      }
      ifaces.push({ linkType: u16(off + 8), perSec });
    } else if (btype === 6) {
      const iface = u32(off + 8);
      const ts = (BigInt(u32(off + 12)) << 32n) | BigInt(u32(off + 16));
      const caplen = u32(off + 20), origlen = u32(off + 24);
      const info = ifaces[iface] ?? { linkType: 1, perSec: 1e6 };
      const time = Number((ts * 1_000_000n) / BigInt(info.perSec));
      out.push({ index: out.length + 1, time, nanos: 0, linkType: info.linkType, caplen, origlen, iface, data: d.subarray(off + 28, off + 28 + caplen) });
    } else if (btype === 3) {
      const origlen = u32(off + 8);
      const caplen = Math.min(origlen, len - 16);
      out.push({ index: out.length + 1, time: 0, nanos: 0, linkType: ifaces[0]?.linkType ?? 1, caplen, origlen, iface: 0, data: d.subarray(off + 12, off + 12 + caplen) });
    }
    off += len;
  }
  return out;
}
