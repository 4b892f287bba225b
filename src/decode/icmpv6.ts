// decode/icmpv6.ts: ICMPv6 (RFC 4443) and neighbour discovery (RFC 4861). Errors (type < 128)
// quote as much of the offending packet as fits; Packet Too Big carries the MTU (§3.2); a Router
// Advertisement may carry an MTU option (type 5).
import type { Anomalies } from '../core/index.js';
import { ipv6TextCached as ipv6Text } from './address-cache.js';
import { u32 } from './bytes.js';
import { decodeQuotedIpv6 } from './quoted.js';
import type { Icmp, IcmpKind } from './types.js';

const ICMPV6 = { type: 0, code: 1, checksum: 2, mtu: 4, headerLen: 8 } as const;
export const Icmpv6Type = {
  DestUnreachable: 1, PacketTooBig: 2, TimeExceeded: 3, ParameterProblem: 4,
  EchoRequest: 128, EchoReply: 129,
  RouterSolicitation: 133, RouterAdvertisement: 134, NeighborSolicitation: 135, NeighborAdvertisement: 136, Redirect: 137,
} as const;
/** RFC 8200 §5: every IPv6 link carries 1280 octets. */
export const IPV6_MIN_MTU = 1280;
// RFC 4861 §4.2: RA fixed part is 16 octets, then options (type, length in 8-octet units, …).
const RA_OPTIONS = 16;
const OPT_MTU = 5;

const typeNames = new Map<number, string>(Object.entries(Icmpv6Type).map(([name, n]) => [n, name]));
export const icmpv6TypeName = (type: number): string => typeNames.get(type) ?? `type-${type}`;
/** RFC 4443 §2.1: a message is an error when the type's high-order bit is clear. */
export const isIcmpv6Error = (type: number): boolean => (type & 0x80) === 0;

export function decodeIcmpv6(b: Buffer, off: number, end: number, anomalies: Anomalies): Icmp | undefined {
  if (end - off < ICMPV6.headerLen) return anomalies.note('icmpv6.short_header');
  const type = b[off + ICMPV6.type];
  const code = b[off + ICMPV6.code];
  let kind: IcmpKind;
  let mtu: number | undefined;
  let target: string | undefined;
  switch (type) {
    case Icmpv6Type.DestUnreachable: kind = 'unreachable'; break;
    case Icmpv6Type.PacketTooBig:
      kind = 'packet-too-big';
      mtu = u32(b, off + ICMPV6.mtu);
      // RFC 8201 §4: hosts must discard a PTB below 1280; detectors still need to see it, so it
      // is counted and returned.
      if (mtu < IPV6_MIN_MTU) anomalies.note('icmpv6.ptb_below_min_mtu');
      break;
    case Icmpv6Type.TimeExceeded: kind = 'time-exceeded'; break;
    case Icmpv6Type.ParameterProblem: kind = 'parameter-problem'; break;
    case Icmpv6Type.EchoRequest: kind = 'echo-request'; break;
    case Icmpv6Type.EchoReply: kind = 'echo-reply'; break;
    case Icmpv6Type.RouterAdvertisement: kind = 'router-advertisement'; mtu = raMtu(b, off, end); break;
    case Icmpv6Type.NeighborSolicitation:
    case Icmpv6Type.NeighborAdvertisement:
      kind = 'neighbor-discovery';
      // RFC 4861 §4.3/§4.4: the target address follows the 4 reserved/flag octets.
      if (end - off >= ICMPV6.headerLen + 16) target = ipv6Text(b, off + ICMPV6.headerLen);
      break;
    case Icmpv6Type.RouterSolicitation:
    case Icmpv6Type.Redirect: kind = 'neighbor-discovery'; break;
    default: kind = 'other';
  }
  const quoted = isIcmpv6Error(type) ? decodeQuotedIpv6(b, off + ICMPV6.headerLen, end, anomalies) : undefined;
  return { version: 6, kind, type, code, mtu, quoted, target };
}

function raMtu(b: Buffer, off: number, end: number): number | undefined {
  let o = off + RA_OPTIONS;
  while (o + 2 <= end) {
    const len = b[o + 1] * 8;
    if (len === 0) return undefined; // RFC 4861 §4.6: length 0 is invalid; stop
    if (b[o] === OPT_MTU && len === 8 && o + 8 <= end) return u32(b, o + 4);
    o += len;
  }
  return undefined;
}
