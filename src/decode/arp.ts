// decode/arp.ts: ARP for IPv4 over any hardware (RFC 826). Only what neighbour-discovery analysis
// needs: the operation and the sender's and target's IPv4 addresses. Not IP, so it never becomes
// a Packet; PacketDecoder hands it out separately (takeArp).
import { ipv4Text } from '../core/index.js';
import { u16 } from './bytes.js';

/** RFC 826: hardware type (2), protocol type (2), hardware length (1), protocol length (1), operation (2). */
const ARP = { ptype: 2, hlen: 4, plen: 5, op: 6, headerLen: 8 } as const;
const PTYPE_IPV4 = 0x0800;
export const ArpOp = { Request: 1, Reply: 2 } as const;

export interface Arp {
  /** 1 request, 2 reply (others are not returned). */
  readonly op: 1 | 2;
  /** Sender protocol address; 0.0.0.0 in an ARP probe (RFC 5227). */
  readonly sender: string;
  /** Target protocol address: the address asked about (request) or the asker (reply). */
  readonly target: string;
}

/** A short or non-IPv4 ARP message gives undefined (ARP is context here, not analysed input: no anomaly). */
export function decodeArp(b: Buffer, off: number, end: number): Arp | undefined {
  if (end - off < ARP.headerLen) return undefined;
  if (u16(b, off + ARP.ptype) !== PTYPE_IPV4 || b[off + ARP.plen] !== 4) return undefined;
  const hlen = b[off + ARP.hlen]!;
  const op = u16(b, off + ARP.op);
  if (op !== ArpOp.Request && op !== ArpOp.Reply) return undefined;
  const spa = off + ARP.headerLen + hlen;
  const tpa = spa + 4 + hlen;
  if (tpa + 4 > end) return undefined;
  return { op, sender: ipv4Text(b, spa), target: ipv4Text(b, tpa) };
}
