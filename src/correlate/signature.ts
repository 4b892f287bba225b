// correlate/signature.ts: what one capture point knows about one packet, reduced to what survives
// the path between points. The signature leaves out everything a middlebox may change on the way —
// addresses and ports (NAT), hop limit/TTL (every router), the MSS option (clamping), the
// captured length (snaplen) — and keeps what the sender wrote once: IPv4 identification, TCP
// sequence/acknowledgement/flags/length/timestamp, the DNS id and question, the ICMP error's type
// and quoted packet, and otherwise a hash of the first payload bytes.
//
// The signature is kept for every packet of every point, so it is a number — a 53-bit hash of those
// fields, computed without building a string — not text: a text signature cost ~10 heap strings
// per packet (each number's text and the concatenation's nodes). Two different packets share a
// hash with probability 2^-53 per pair compared; the join compares only packets within its time
// window and then also checks the payload hash, so a collision is not a practical concern.
import type { Micros } from '../core/index.js';
import { IpProtocol, LinkType, TcpFlag, type Packet } from '../decode/index.js';
import type { Frame } from '../readers/index.js';

/** Bytes of transport payload hashed for confirmation; a capture holding fewer hashes what it has. */
export const PAYLOAD_HASH_BYTES = 64;

/** One packet as one point saw it. Plain fields only: kept for the whole correlation. */
export interface PointPacket {
  /** The point's index in the correlation. */
  readonly point: number;
  readonly frame: number;
  /** The point's own clock. */
  readonly time: Micros;
  /** What survives the path, hashed (sigHash below): equal for the same packet at two points. */
  readonly sig: number;
  /** 'tcp' | 'udp' | 'dns' | 'icmp' | 'ip': what the signature was built from. */
  readonly kind: string;
  readonly version: 4 | 6;
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly hopLimit: number;
  /** TCP MSS option (SYNs), else undefined. */
  readonly mss: number | undefined;
  readonly ipLength: number;
  /** Bytes of the frame the point kept, and the frame's length on the wire. */
  readonly caplen: number;
  readonly origlen: number;
  /** FNV-1a of the first `hashedBytes` payload bytes the point holds (0 when none). */
  readonly payloadHash: number;
  readonly hashedBytes: number;
  /** What packetLabel() describes it by (numbers, and strings shared with the decoder): no text per packet. */
  readonly protocol: number;
  readonly fragment: boolean;
  readonly tcpFlags: number;
  readonly seq: number;
  readonly ack: number;
  readonly payloadLength: number;
  readonly dnsId: number;
  readonly dnsAnswers: number;
  readonly icmpKind: string | undefined;
  readonly mtu: number | undefined;
  readonly quotedLength: number;
  /** For ICMP errors: the quoted flow's `src dst` (the packet travels back towards the quoted source). */
  readonly quotedSrc: string | undefined;
  readonly quotedDst: string | undefined;
  /** DNS: a response (true), a query (false); else undefined. */
  readonly dnsResponse: boolean | undefined;
  readonly dnsName: string | undefined;
  readonly dnsType: number | undefined;
}

const flagNames = (f: number): string =>
  (f & TcpFlag.SYN ? 'S' : '') + (f & TcpFlag.FIN ? 'F' : '') + (f & TcpFlag.RST ? 'R' : '') + (f & TcpFlag.PSH ? 'P' : '') + (f & TcpFlag.ACK ? 'A' : '') || '.';

const DNS_TYPE_NAMES = new Map<number, string>([[1, 'A'], [28, 'AAAA'], [12, 'PTR'], [5, 'CNAME'], [2, 'NS'], [6, 'SOA'], [15, 'MX'], [16, 'TXT'], [33, 'SRV'], [65, 'HTTPS']]);
export const dnsTypeName = (t: number): string => DNS_TYPE_NAMES.get(t) ?? `TYPE${t}`;

/**
 * Where the network layer starts for the link types whose header has a fixed length, so the
 * payload hash can find the transport payload without decoding twice. Undefined: no hash.
 */
function networkOffset(linkType: number, vlan: number | undefined): number | undefined {
  switch (linkType) {
    case LinkType.ETHERNET:
      return vlan === undefined ? 14 : 18;
    case LinkType.LINUX_SLL:
      return 16;
    case LinkType.LINUX_SLL2:
      return 20;
    case LinkType.RAW:
    case LinkType.RAW_BSD:
    case LinkType.RAW_OPENBSD:
    case LinkType.IPV4:
    case LinkType.IPV6:
      return 0;
    case LinkType.NULL:
    case LinkType.LOOP:
      return 4;
    default:
      return undefined;
  }
}

/** FNV-1a over bytes[from, to): no allocation. */
function fnv1a(bytes: Buffer, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/**
 * A 53-bit hash of a sequence of 32-bit words and strings, in two independent 32-bit lanes
 * (MurmurHash3's word mixing with two seeds). One instance is reused for every packet: begin(),
 * word()/text(), then value(). Undefined fields are words too (a marker), never skipped, so
 * `tsVal undefined` and `tsVal 0` differ, as they did as text.
 */
class SigHasher {
  #h1 = 0;
  #h2 = 0;
  #n = 0;

  begin(tag: number): this {
    this.#h1 = 0x9747b28c;
    this.#h2 = 0x5bd1e995;
    this.#n = 0;
    return this.word(tag);
  }

  word(x: number): this {
    let k = Math.imul(x | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    let h = this.#h1 ^ k;
    h = (h << 13) | (h >>> 19);
    this.#h1 = (Math.imul(h, 5) + 0xe6546b64) | 0;
    let k2 = Math.imul(x | 0, 0x85ebca6b);
    k2 = (k2 << 17) | (k2 >>> 15);
    k2 = Math.imul(k2, 0xc2b2ae35);
    let g = this.#h2 ^ k2;
    g = (g << 11) | (g >>> 21);
    this.#h2 = (Math.imul(g, 9) + 0x38495ab5) | 0;
    this.#n++;
    return this;
  }

  /** A number that may be absent: a presence word, then the number. */
  maybe(x: number | undefined): this {
    return x === undefined ? this.word(0x7fffffff) : this.word(1).word(x);
  }

  text(t: string): this {
    this.word(t.length);
    for (let i = 0; i < t.length; i++) this.word(t.charCodeAt(i));
    return this;
  }

  value(): number {
    const a = fmix32(this.#h1 ^ this.#n);
    const b = fmix32(this.#h2 ^ this.#n);
    return (a >>> 0) * 0x200000 + (b >>> 11); // 32 + 21 bits: exact in a double
  }
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

const SIG = new SigHasher();
/** What a signature was built from: the first word, so two kinds never share one. */
const enum SigTag { Tcp = 1, Dns, Udp, IcmpQuoting, Icmp, Ip }

/**
 * The signature and path-relevant fields of one decoded packet, or undefined for a frame without IP.
 * Called once per frame, with the frame still valid.
 */
export function pointPacket(point: number, frame: Frame, p: Packet): PointPacket | undefined {
  const ip = p.ip;
  if (ip === undefined) return undefined;
  // The transport payload's bounds in the frame, for the hash (only where the link header length is
  // known, the packet is not tunnelled, and the version nibble is where it should be).
  let payloadFrom = -1;
  let payloadLength = 0;
  const net = networkOffset(frame.linkType, p.vlan);
  const bytes = frame.bytes ?? frame.data;
  const base = frame.bytes !== undefined ? (frame.dataOffset ?? 0) : 0;
  const end = frame.bytes !== undefined ? (frame.dataEnd ?? bytes.length) : bytes.length;
  if (net !== undefined && !ip.tunnelled && base + net < end && bytes[base + net]! >> 4 === ip.version) {
    const l4 = base + net + ip.headerLength;
    if (p.tcp !== undefined) {
      payloadFrom = l4 + p.tcp.headerLength;
      payloadLength = p.tcp.payloadLength;
    } else if (p.udp !== undefined) {
      payloadFrom = l4 + 8;
      payloadLength = Math.max(0, p.udp.length - 8);
    } else if (p.icmp !== undefined) {
      payloadFrom = l4 + 4; // after type, code, checksum: echo id/seq and data
      payloadLength = Math.max(0, ip.length - ip.headerLength - 4);
    } else {
      payloadFrom = l4;
      payloadLength = Math.max(0, ip.length - ip.headerLength);
    }
  }
  let hashedBytes = 0;
  let payloadHash = 0;
  if (payloadFrom >= 0 && payloadFrom <= end) {
    hashedBytes = Math.min(payloadLength, PAYLOAD_HASH_BYTES, end - payloadFrom);
    payloadHash = fnv1a(bytes, payloadFrom, payloadFrom + hashedBytes);
  }

  const h = SIG;
  let kind: string;
  let srcPort = 0;
  let dstPort = 0;
  let mss: number | undefined;
  let quotedSrc: string | undefined;
  let quotedDst: string | undefined;
  let dnsResponse: boolean | undefined;
  let dnsName: string | undefined;
  let dnsType: number | undefined;
  const dns = p.dns.length > 0 ? p.dns[0] : undefined;
  if (p.tcp !== undefined && !ip.fragment) {
    const t = p.tcp;
    srcPort = t.srcPort;
    dstPort = t.dstPort;
    mss = t.mss;
    kind = 'tcp';
    h.begin(SigTag.Tcp).word(t.seq).word(t.ack).word(t.flags).word(t.payloadLength).maybe(t.tsVal);
  } else if (p.udp !== undefined && dns !== undefined && dns.question !== undefined) {
    srcPort = p.udp.srcPort;
    dstPort = p.udp.dstPort;
    kind = 'dns';
    dnsResponse = dns.qr;
    dnsName = dns.question.name;
    dnsType = dns.question.type;
    // The name in its original case: a resolver using 0x20 spells it anew per query, and that is a new packet.
    h.begin(SigTag.Dns).word(dns.id).word(dns.qr ? 1 : 0).word(dns.question.type).text(dns.question.name).word(dns.size).word(dns.ancount).word(dns.rcode);
  } else if (p.udp !== undefined && !ip.fragment) {
    srcPort = p.udp.srcPort;
    dstPort = p.udp.dstPort;
    kind = 'udp';
    h.begin(SigTag.Udp).word(p.udp.length).word(hashedBytes).word(payloadHash);
  } else if (p.icmp !== undefined && p.icmp.quoted !== undefined) {
    const q = p.icmp.quoted;
    kind = 'icmp';
    quotedSrc = q.src;
    quotedDst = q.dst;
    h.begin(SigTag.IcmpQuoting).word(p.icmp.type).word(p.icmp.code).maybe(p.icmp.mtu).text(q.src).text(q.dst).maybe(q.srcPort).maybe(q.dstPort).maybe(q.tcpSeq).word(q.length);
  } else if (p.icmp !== undefined) {
    kind = 'icmp';
    h.begin(SigTag.Icmp).word(p.icmp.type).word(p.icmp.code).word(ip.length).word(hashedBytes).word(payloadHash);
  } else {
    kind = 'ip';
    h.begin(SigTag.Ip).word(ip.protocol).word(ip.length).word(hashedBytes).word(payloadHash);
  }
  h.maybe(ip.id);
  // TCP and UDP carry the IP version in the signature (the same segment over v4 and v6 is two packets).
  if (ip.protocol === IpProtocol.TCP || ip.protocol === IpProtocol.UDP) h.word(ip.version);
  const sig = h.value();
  return {
    point,
    frame: frame.index,
    time: frame.time,
    sig,
    kind,
    version: ip.version,
    src: ip.src,
    dst: ip.dst,
    srcPort,
    dstPort,
    hopLimit: ip.hopLimit,
    mss,
    ipLength: ip.length,
    caplen: frame.caplen,
    origlen: frame.origlen,
    payloadHash,
    hashedBytes,
    protocol: ip.protocol,
    fragment: ip.fragment,
    tcpFlags: p.tcp?.flags ?? 0,
    seq: p.tcp?.seq ?? 0,
    ack: p.tcp?.ack ?? 0,
    payloadLength: p.tcp?.payloadLength ?? (p.udp !== undefined ? p.udp.length : ip.length),
    dnsId: dns?.id ?? 0,
    dnsAnswers: dns?.ancount ?? 0,
    icmpKind: p.icmp?.kind,
    mtu: p.icmp?.mtu,
    quotedLength: p.icmp?.quoted?.length ?? 0,
    quotedSrc,
    quotedDst,
    dnsResponse,
    dnsName,
    dnsType,
  };
}

/**
 * Two points hold the same bytes where both hold them: compare hashes only when both hashed the
 * same count (a snaplen that cut one of them short leaves nothing to compare, not a mismatch).
 */
export const samePayload = (a: PointPacket, b: PointPacket): boolean => a.hashedBytes !== b.hashedBytes || a.payloadHash === b.payloadHash;

/** A short description for people, made only for packets a report shows: 'TCP SA seq 1 ack 1 len 0 mss 1220'. */
export function packetLabel(p: PointPacket): string {
  switch (p.kind) {
    case 'tcp':
      return `TCP ${flagNames(p.tcpFlags)} seq ${p.seq} ack ${p.ack} len ${p.payloadLength}${p.mss !== undefined ? ` mss ${p.mss}` : ''}`;
    case 'dns':
      return `DNS ${p.dnsResponse ? 'reply' : 'query'} ${dnsTypeName(p.dnsType ?? 0)} ${p.dnsName ?? ''} id 0x${p.dnsId.toString(16).padStart(4, '0')}${p.dnsResponse ? ` (${p.dnsAnswers} answers)` : ''}`;
    case 'udp':
      return `UDP len ${p.payloadLength}`;
    case 'icmp':
      return p.quotedSrc !== undefined
        ? `ICMPv${p.version === 6 ? '6' : '4'} ${p.icmpKind ?? 'other'}${p.mtu !== undefined ? ` mtu ${p.mtu}` : ''} quoting ${p.quotedLength} B`
        : `ICMPv${p.version === 6 ? '6' : '4'} ${p.icmpKind ?? 'other'}`;
    default:
      return `IP proto ${p.protocol}${p.fragment ? ' fragment' : ''} len ${p.ipLength}`;
  }
}
