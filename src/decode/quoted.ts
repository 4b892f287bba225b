// decode/quoted.ts: the packet an ICMP error quotes (RFC 792: IP header + 8 octets; RFC 4443 §2.4:
// as much as fits in 1280 octets). Quotes are routinely cut short, so every field after the
// addresses is optional: ports need 4 octets of the transport header, the TCP sequence 8.
import type { Anomalies } from '../core/index.js';
import { ipv4TextCached as ipv4Text, ipv6TextCached as ipv6Text } from './address-cache.js';
import { u16, u32 } from './bytes.js';
import { walkIpv6Extensions } from './ipv6.js';
import type { Quoted } from './types.js';

const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_DCCP = 33;
const PROTO_SCTP = 132;
const PROTO_UDPLITE = 136;
const hasPorts = (p: number): boolean => p === PROTO_TCP || p === PROTO_UDP || p === PROTO_SCTP || p === PROTO_DCCP || p === PROTO_UDPLITE;

/** The quoted IPv4 packet at b[off…end). */
export function decodeQuotedIpv4(b: Buffer, off: number, end: number, anomalies: Anomalies): Quoted | undefined {
  if (end - off < 20 || b[off] >> 4 !== 4) return anomalies.note('icmp.bad_quote');
  const hl = (b[off] & 0x0f) * 4;
  if (hl < 20) return anomalies.note('icmp.bad_quote');
  const protocol = b[off + 9];
  // Ports are only in the first fragment.
  const firstFragment = (u16(b, off + 6) & 0x1fff) === 0;
  return transport(4, ipv4Text(b, off + 12), ipv4Text(b, off + 16), protocol, u16(b, off + 2), b, off + hl, end, firstFragment);
}

/** The quoted IPv6 packet at b[off…end), its extension headers walked as far as the quote goes. */
export function decodeQuotedIpv6(b: Buffer, off: number, end: number, anomalies: Anomalies): Quoted | undefined {
  if (end - off < 40 || b[off] >> 4 !== 6) return anomalies.note('icmp.bad_quote');
  // A cut quote is normal, so the walk's own "incomplete" is not an anomaly here.
  const chain = walkIpv6Extensions(b, off + 40, end, b[off + 6], anomalies);
  const firstFragment = !chain.hasFragmentHeader || chain.fragmentOffset === 0;
  return transport(6, ipv6Text(b, off + 8), ipv6Text(b, off + 24), chain.protocol, 40 + u16(b, off + 4), b, chain.offset, end, firstFragment && !chain.incomplete);
}

function transport(version: 4 | 6, src: string, dst: string, protocol: number, length: number, b: Buffer, t: number, end: number, portsPossible: boolean): Quoted {
  let srcPort: number | undefined;
  let dstPort: number | undefined;
  let tcpSeq: number | undefined;
  let truncated = false;
  if (hasPorts(protocol) && portsPossible) {
    if (end - t >= 4) {
      srcPort = u16(b, t);
      dstPort = u16(b, t + 2);
      if (protocol === PROTO_TCP && end - t >= 8) tcpSeq = u32(b, t + 4);
    } else truncated = true;
  } else if (!portsPossible && t >= end) truncated = true;
  return { version, src, dst, protocol, length, srcPort, dstPort, tcpSeq, truncated };
}
