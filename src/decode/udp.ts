// decode/udp.ts: UDP header (RFC 768): ports and payload bounds.
import type { Anomalies } from '../core/index.js';
import { u16 } from './bytes.js';
import type { Mutable, Udp } from './types.js';

const UDP = { srcPort: 0, dstPort: 2, length: 4, checksum: 6, headerLen: 8 } as const;
export const UDP_HEADER_LEN = UDP.headerLen;

/** A Udp to refill, in the same shape as a decoded one. */
export const emptyUdp = (): Mutable<Udp> => ({ srcPort: 0, dstPort: 0, length: 0, truncated: false });

/**
 * Decodes the UDP header at b[off…end) (`end`: the captured end of the IP payload). The payload is
 * b[off + 8 … min(off + length, end)); `truncated` says the capture holds less than `length`.
 * A length of 0 (RFC 2675 jumbograms) is taken as "up to the end of the IP payload". Fills `out`
 * when given.
 */
export function decodeUdp(b: Buffer, off: number, end: number, anomalies: Anomalies, out?: Mutable<Udp>): Udp | undefined {
  if (end - off < UDP.headerLen) return anomalies.note('udp.short_header');
  let length = u16(b, off + UDP.length);
  if (length === 0) length = end - off;
  else if (length < UDP.headerLen) return anomalies.note('udp.bad_length');
  const u = out ?? emptyUdp();
  u.srcPort = u16(b, off + UDP.srcPort);
  u.dstPort = u16(b, off + UDP.dstPort);
  u.length = length;
  u.truncated = off + length > end;
  return u;
}
