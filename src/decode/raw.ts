// decode/raw.ts: link types where the frame starts with the IP header.
//  - LINKTYPE_RAW 101 and DLT 12 (DLT_RAW everywhere but OpenBSD) and 14 (DLT_RAW on OpenBSD):
//    the version nibble says IPv4 or IPv6.
//  - On OpenBSD, DLT 12 is DLT_LOOP (libpcap pcap/dlt.h): a frame under 12 whose first nibble is
//    not an IP version is read as a LOOP header (a 4-octet AF whose first octet is 0).
//  - LINKTYPE_IPV4 228 / LINKTYPE_IPV6 229: the link type fixes the version; the IP decoder then
//    checks the nibble and notes a mismatch.
import type { Anomalies } from '../core/index.js';
import { EtherType, LinkType, type Link } from './link.js';
import { decodeLoop } from './null-loop.js';

export function decodeRaw(b: Buffer, linkType: number, anomalies: Anomalies, off = 0, end = b.length): Link | undefined {
  if (end - off < 1) return anomalies.note('link.short_header');
  if (linkType === LinkType.IPV4) return { etherType: EtherType.IPv4, offset: off, vlan: undefined };
  if (linkType === LinkType.IPV6) return { etherType: EtherType.IPv6, offset: off, vlan: undefined };
  const version = b[off]! >> 4;
  if (version === 4) return { etherType: EtherType.IPv4, offset: off, vlan: undefined };
  if (version === 6) return { etherType: EtherType.IPv6, offset: off, vlan: undefined };
  if (linkType === LinkType.RAW_BSD && b[off] === 0) return decodeLoop(b, anomalies, off, end);
  return anomalies.note('ipv4.bad_version');
}
