// decode/icmpv4.ts: ICMP (RFC 792). Errors (3 unreachable, 4 source quench, 5 redirect,
// 11 time exceeded, 12 parameter problem) quote the offending IPv4 header + ≥ 8 octets;
// type 3 code 4 carries the next-hop MTU (RFC 1191 §4) in octets 6–7.
import type { Anomalies } from '../core/index.js';
import { u16 } from './bytes.js';
import { decodeQuotedIpv4 } from './quoted.js';
import type { Icmp, IcmpKind } from './types.js';

const ICMP = { type: 0, code: 1, checksum: 2, rest: 4, nextHopMtu: 6, headerLen: 8 } as const;
export const Icmpv4Type = { EchoReply: 0, DestUnreachable: 3, SourceQuench: 4, Redirect: 5, EchoRequest: 8, TimeExceeded: 11, ParameterProblem: 12 } as const;
export const ICMPV4_FRAG_NEEDED_CODE = 4;

export const isIcmpv4Error = (type: number): boolean =>
  type === 3 || type === 4 || type === 5 || type === 11 || type === 12;

export function decodeIcmpv4(b: Buffer, off: number, end: number, anomalies: Anomalies): Icmp | undefined {
  if (end - off < ICMP.headerLen) return anomalies.note('icmp.short_header');
  const type = b[off + ICMP.type];
  const code = b[off + ICMP.code];
  let kind: IcmpKind;
  let mtu: number | undefined;
  switch (type) {
    case Icmpv4Type.DestUnreachable:
      if (code === ICMPV4_FRAG_NEEDED_CODE) { kind = 'frag-needed'; mtu = u16(b, off + ICMP.nextHopMtu); }
      else kind = 'unreachable';
      break;
    case Icmpv4Type.TimeExceeded: kind = 'time-exceeded'; break;
    case Icmpv4Type.ParameterProblem: kind = 'parameter-problem'; break;
    case Icmpv4Type.EchoRequest: kind = 'echo-request'; break;
    case Icmpv4Type.EchoReply: kind = 'echo-reply'; break;
    default: kind = 'other';
  }
  const quoted = isIcmpv4Error(type) ? decodeQuotedIpv4(b, off + ICMP.headerLen, end, anomalies) : undefined;
  return { version: 4, kind, type, code, mtu, quoted };
}
