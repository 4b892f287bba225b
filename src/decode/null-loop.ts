// decode/null-loop.ts: BSD loopback, LINKTYPE_NULL (0) and LINKTYPE_LOOP (108): a 4-octet
// address family, in the capturing host's byte order (NULL) or network order (LOOP). Files
// travel between hosts and some writers got LOOP wrong, so both orders are accepted for both.
// AF_INET is 2 everywhere; AF_INET6 was never fixed by 4.2BSD: 24 (NetBSD/OpenBSD/BSD/OS),
// 28 (FreeBSD), 30 (macOS/iOS). https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html
import type { Anomalies } from '../core/index.js';
import { u16, u32 } from './bytes.js';
import { EtherType, type Link } from './link.js';

const NULL_HEADER_LEN = 4;
export const BsdAf = { INET: 2, INET6_BSD: 24, INET6_FREEBSD: 28, INET6_DARWIN: 30 } as const;

export function decodeNull(b: Buffer, anomalies: Anomalies, off = 0, end = b.length): Link | undefined {
  if (end - off < NULL_HEADER_LEN) return anomalies.note('link.short_header');
  const be = u32(b, off);
  // Every family fits in the low octet, so the byte order is the one that gives a small number.
  const af = be > 0xffff ? b.readUInt32LE(off) : be;
  let etherType = afToEtherType(af);
  // Some writers put an EtherType in the low half instead of an AF (pcapplusplus null_loopback.pcap
  // frame 3: 0f00 0800); tshark reads those as the EtherType.
  if (etherType === 0) { const low = u16(b, off + 2); if (low === EtherType.IPv4 || low === EtherType.IPv6) etherType = low; }
  if (etherType === 0) return anomalies.note('link.unknown_ethertype');
  return { etherType, offset: off + NULL_HEADER_LEN, vlan: undefined };
}

/** LOOP differs from NULL only in the byte order it promises; decodeNull accepts both. */
export const decodeLoop = decodeNull;

function afToEtherType(af: number): number {
  switch (af) {
    case BsdAf.INET: return EtherType.IPv4;
    case BsdAf.INET6_BSD:
    case BsdAf.INET6_FREEBSD:
    case BsdAf.INET6_DARWIN: return EtherType.IPv6;
    default: return 0;
  }
}
