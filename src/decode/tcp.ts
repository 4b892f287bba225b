// decode/tcp.ts: TCP header (RFC 9293) with its options: MSS (2, RFC 9293 §3.7.1), window scale
// (3) and timestamps (8) from RFC 7323, SACK-permitted (4) and SACK (5) from RFC 2018.
// A malformed option ends the option walk with an anomaly; what was parsed before it is kept.
import type { Anomalies } from '../core/index.js';
import { u16, u32 } from './bytes.js';
import type { Mutable, Tcp } from './types.js';

const TCP = { srcPort: 0, dstPort: 2, seq: 4, ack: 8, dataOffset: 12, flags: 13, window: 14, checksum: 16, urgent: 18, headerLen: 20 } as const;
export const TcpOption = { EOL: 0, NOP: 1, MSS: 2, WindowScale: 3, SackPermitted: 4, Sack: 5, Timestamps: 8 } as const;

/** A Tcp to refill, in the same shape as a decoded one. */
export const emptyTcp = (): Mutable<Tcp> => ({
  srcPort: 0, dstPort: 0, seq: 0, ack: 0, flags: 0, window: 0, headerLength: 0, payloadLength: 0, mss: undefined,
  windowScale: undefined, sackPermitted: false, sack: undefined, tsVal: undefined, tsEcr: undefined, truncated: false,
});

/**
 * Decodes the TCP header at b[off…end) (into `out` when given) (`end`: captured end of the IP payload). `segmentLength` is
 * the segment's length per the IP header, so `payloadLength` is right even when the capture is cut.
 */
export function decodeTcp(b: Buffer, off: number, end: number, segmentLength: number, anomalies: Anomalies, out?: Mutable<Tcp>): Tcp | undefined {
  if (end - off < TCP.headerLen) return anomalies.note('tcp.short_header');
  const headerLength = (b[off + TCP.dataOffset] >> 4) * 4;
  if (headerLength < TCP.headerLen || headerLength > segmentLength) return anomalies.note('tcp.bad_data_offset');
  let mss: number | undefined;
  let windowScale: number | undefined;
  let sackPermitted = false;
  let sack: number[] | undefined;
  let tsVal: number | undefined;
  let tsEcr: number | undefined;
  const optEnd = Math.min(off + headerLength, end);
  let o = off + TCP.headerLen;
  while (o < optEnd) {
    const kind = b[o];
    if (kind === TcpOption.EOL) break;
    if (kind === TcpOption.NOP) { o++; continue; }
    if (o + 1 >= optEnd) { if (optEnd === off + headerLength) anomalies.note('tcp.bad_option'); break; }
    const len = b[o + 1];
    if (len < 2) { anomalies.note('tcp.bad_option'); break; }
    if (o + len > optEnd) { if (optEnd === off + headerLength) anomalies.note('tcp.bad_option'); break; }
    switch (kind) {
      case TcpOption.MSS:
        if (len === 4) mss = u16(b, o + 2); else anomalies.note('tcp.bad_option');
        break;
      case TcpOption.WindowScale:
        if (len === 3) windowScale = b[o + 2]; else anomalies.note('tcp.bad_option');
        break;
      case TcpOption.SackPermitted:
        if (len === 2) sackPermitted = true; else anomalies.note('tcp.bad_option');
        break;
      case TcpOption.Sack:
        if ((len - 2) % 8 === 0 && len > 2) {
          sack = [];
          for (let s = o + 2; s < o + len; s += 4) sack.push(u32(b, s));
        } else anomalies.note('tcp.bad_option');
        break;
      case TcpOption.Timestamps:
        if (len === 10) { tsVal = u32(b, o + 2); tsEcr = u32(b, o + 6); } else anomalies.note('tcp.bad_option');
        break;
      default:
        break; // MPTCP, TFO, MD5, AO …: skipped by length
    }
    o += len;
  }
  const t = out ?? emptyTcp();
  t.srcPort = u16(b, off + TCP.srcPort);
  t.dstPort = u16(b, off + TCP.dstPort);
  t.seq = u32(b, off + TCP.seq);
  t.ack = u32(b, off + TCP.ack);
  t.flags = b[off + TCP.flags];
  t.window = u16(b, off + TCP.window);
  t.headerLength = headerLength;
  t.payloadLength = segmentLength - headerLength;
  t.mss = mss;
  t.windowScale = windowScale;
  t.sackPermitted = sackPermitted;
  t.sack = sack;
  t.tsVal = tsVal;
  t.tsEcr = tsEcr;
  t.truncated = off + segmentLength > end;
  return t;
}
