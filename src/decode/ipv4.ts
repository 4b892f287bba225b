// decode/ipv4.ts: IPv4 header (RFC 791): addresses, protocol, DF/MF/offset and options.
// The datagram ends at the total length, not at the frame's end (Ethernet padding is not data);
// a capture that holds fewer octets than the total length is truncated, not malformed.
import type { Anomalies } from '../core/index.js';
import { ipv4TextCached as ipv4Text } from './address-cache.js';
import { u16 } from './bytes.js';
import type { Mutable } from './types.js';

const IPV4 = { versionIhl: 0, tos: 1, totalLength: 2, id: 4, flagsOffset: 6, ttl: 8, protocol: 9, checksum: 10, src: 12, dst: 16, headerLen: 20 } as const;
const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;
const OFFSET_MASK = 0x1fff;
// RFC 791 §3.1 options: 0 end of list, 1 no-op; every other option has a length octet ≥ 2.
const OPT_EOL = 0;
const OPT_NOP = 1;

export interface Ipv4 {
  readonly src: string;
  readonly dst: string;
  readonly protocol: number;
  readonly ttl: number;
  readonly id: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  /** Fragment offset in octets (the header field × 8). */
  readonly fragmentOffset: number;
  /** Total length as stated (or the captured length when the header says 0, as after TSO). */
  readonly length: number;
  readonly headerLength: number;
  /** Octets of options (headerLength - 20). */
  readonly optionsLength: number;
  /** Offset of the payload in the buffer, and its end within what was captured. */
  readonly payloadOffset: number;
  readonly payloadEnd: number;
  /** Payload length as stated by the header (length - headerLength). */
  readonly payloadLength: number;
  readonly truncated: boolean;
}

/** An Ipv4 to refill, in the same shape as a decoded one. */
export const emptyIpv4 = (): Mutable<Ipv4> => ({
  src: '', dst: '', protocol: 0, ttl: 0, id: 0, dontFragment: false, moreFragments: false, fragmentOffset: 0,
  length: 0, headerLength: 0, optionsLength: 0, payloadOffset: 0, payloadEnd: 0, payloadLength: 0, truncated: false,
});

/** Decodes the IPv4 header at b[off…end), into `out` when given. */
export function decodeIpv4(b: Buffer, off: number, end: number, anomalies: Anomalies, out?: Mutable<Ipv4>): Ipv4 | undefined {
  if (end - off < IPV4.headerLen) return anomalies.note('ipv4.short_header');
  const vihl = b[off + IPV4.versionIhl];
  if (vihl >> 4 !== 4) return anomalies.note('ipv4.bad_version');
  const headerLength = (vihl & 0x0f) * 4;
  if (headerLength < IPV4.headerLen) return anomalies.note('ipv4.bad_header_length');
  let length = u16(b, off + IPV4.totalLength);
  const captured = end - off;
  if (length === 0) {
    // Large-segment offload writes 0 here (Wireshark: "assuming TSO"): use what was captured.
    anomalies.note('ipv4.bad_total_length');
    length = captured;
  }
  if (length < headerLength) return anomalies.note('ipv4.bad_total_length');
  if (headerLength > captured) return anomalies.note('ipv4.short_header');
  if (headerLength > IPV4.headerLen) checkOptions(b, off + IPV4.headerLen, off + headerLength, anomalies);
  const flagsOffset = u16(b, off + IPV4.flagsOffset);
  const truncated = length > captured;
  const ip = out ?? emptyIpv4();
  ip.src = ipv4Text(b, off + IPV4.src);
  ip.dst = ipv4Text(b, off + IPV4.dst);
  ip.protocol = b[off + IPV4.protocol];
  ip.ttl = b[off + IPV4.ttl];
  ip.id = u16(b, off + IPV4.id);
  ip.dontFragment = (flagsOffset & FLAG_DF) !== 0;
  ip.moreFragments = (flagsOffset & FLAG_MF) !== 0;
  ip.fragmentOffset = (flagsOffset & OFFSET_MASK) * 8;
  ip.length = length;
  ip.headerLength = headerLength;
  ip.optionsLength = headerLength - IPV4.headerLen;
  ip.payloadOffset = off + headerLength;
  ip.payloadEnd = truncated ? end : off + length;
  ip.payloadLength = length - headerLength;
  ip.truncated = truncated;
  return ip;
}

/** Walks the option list only to validate it: no option is needed downstream. */
function checkOptions(b: Buffer, start: number, end: number, anomalies: Anomalies): void {
  let o = start;
  while (o < end) {
    const type = b[o];
    if (type === OPT_EOL) return;
    if (type === OPT_NOP) { o++; continue; }
    if (o + 1 >= end) { anomalies.note('ipv4.bad_option'); return; }
    const len = b[o + 1];
    if (len < 2 || o + len > end) { anomalies.note('ipv4.bad_option'); return; }
    o += len;
  }
}
