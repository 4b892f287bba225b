// decode/ipv6.ts: IPv6 header (RFC 8200) and its extension-header chain: hop-by-hop (0),
// routing (43), fragment (44), destination options (60), AH (51, RFC 4302: length in 4-octet
// units + 2), mobility (135), HIP (139), shim6 (140). ESP (50) and no-next-header (59) end the
// chain. The chain is bounded so a crafted packet cannot make us walk for long.
import type { Anomalies } from '../core/index.js';
import { ipv6TextCached as ipv6Text } from './address-cache.js';
import { u16, u32 } from './bytes.js';
import type { Mutable } from './types.js';

const IPV6 = { vtcfl: 0, payloadLength: 4, nextHeader: 6, hopLimit: 7, src: 8, dst: 24, headerLen: 40 } as const;
const FRAG = { nextHeader: 0, offsetFlags: 2, id: 4, len: 8 } as const;

export const Ipv6Ext = { HopByHop: 0, Routing: 43, Fragment: 44, Esp: 50, Ah: 51, NoNext: 59, DestOpts: 60, Mobility: 135, Hip: 139, Shim6: 140 } as const;
/**
 * RFC 8200 sets no limit and each header takes ≥ 8 octets, so the datagram already bounds the walk;
 * this cap only keeps it short. libpcap's own test capture (ipv6_ext_headers.pcap) chains 100 and
 * tshark walks them all, so the cap sits above that.
 */
export const MAX_EXTENSION_HEADERS = 128;
// RFC 2675: the jumbo payload option in hop-by-hop.
const OPT_JUMBO = 0xc2;

export interface Ipv6Chain {
  /** Upper-layer protocol where the walk stopped (for a non-first fragment: the fragment's next header). */
  readonly protocol: number;
  /** Offset of the upper layer (or of the fragmentable part, for a fragment). */
  readonly offset: number;
  /** The chain ran past the captured bytes or was malformed: `offset`/`protocol` are where it stopped. */
  readonly incomplete: boolean;
  readonly hasFragmentHeader: boolean;
  readonly fragmentId: number;
  /** Octets. */
  readonly fragmentOffset: number;
  readonly moreFragments: boolean;
  /** RFC 2675 jumbo payload length, 0 when absent. */
  readonly jumboLength: number;
}

export interface Ipv6 extends Ipv6Chain {
  readonly src: string;
  readonly dst: string;
  readonly hopLimit: number;
  readonly trafficClass: number;
  readonly flowLabel: number;
  /** 40 + payload length (jumbo length for RFC 2675 jumbograms; captured length when 0 otherwise). */
  readonly length: number;
  /** 40 + extension headers walked. */
  readonly headerLength: number;
  readonly payloadEnd: number;
  /** Upper-layer length as stated by the header. */
  readonly payloadLength: number;
  readonly truncated: boolean;
}

/** A chain to refill, in the same shape as a walked one. */
export const emptyIpv6Chain = (): Mutable<Ipv6Chain> => ({
  protocol: 0, offset: 0, incomplete: false, hasFragmentHeader: false, fragmentId: 0, fragmentOffset: 0, moreFragments: false, jumboLength: 0,
});

/** An Ipv6 to refill, in the same shape as a decoded one. */
export const emptyIpv6 = (): Mutable<Ipv6> => ({
  src: '', dst: '', hopLimit: 0, trafficClass: 0, flowLabel: 0, length: 0, headerLength: 0, payloadEnd: 0, payloadLength: 0,
  truncated: false, protocol: 0, offset: 0, incomplete: false, hasFragmentHeader: false, fragmentId: 0, fragmentOffset: 0,
  moreFragments: false, jumboLength: 0,
});

/**
 * Decodes the IPv6 header at b[off…end) and walks its extension headers. With `out` (and `chainOut`
 * for the walk), fills those instead of making new records.
 */
export function decodeIpv6(b: Buffer, off: number, end: number, anomalies: Anomalies, out?: Mutable<Ipv6>, chainOut?: Mutable<Ipv6Chain>): Ipv6 | undefined {
  if (end - off < IPV6.headerLen) return anomalies.note('ipv6.short_header');
  const w0 = u32(b, off);
  if (w0 >>> 28 !== 6) return anomalies.note('ipv6.bad_version');
  let payloadLength = u16(b, off + IPV6.payloadLength);
  const captured = end - off - IPV6.headerLen;
  const nextHeader = b[off + IPV6.nextHeader];
  // Most packets have no extension header: the chain is then the fixed header's, without the walk.
  const chain = isIpv6ExtensionHeader(nextHeader) || chainOut === undefined
    ? walkIpv6Extensions(b, off + IPV6.headerLen, end, nextHeader, anomalies, chainOut)
    : noExtensions(chainOut, nextHeader, off + IPV6.headerLen);
  if (payloadLength === 0) {
    if (chain.jumboLength > 0) payloadLength = chain.jumboLength;
    else if (captured > 0 && chain.protocol !== Ipv6Ext.NoNext) {
      // A zero length without a jumbo option (TSO again): use what was captured.
      anomalies.note('ipv6.bad_payload_length');
      payloadLength = captured;
    }
  }
  const length = IPV6.headerLen + payloadLength;
  const headerLength = chain.offset - off;
  if (headerLength > length && !chain.incomplete) anomalies.note('ipv6.bad_payload_length');
  const truncated = payloadLength > captured;
  // A chain that stops early inside a complete capture is malformed; in a cut capture it is just cut.
  if (chain.incomplete && !truncated) anomalies.note('ipv6.bad_extension_header');
  const statedEnd = off + length;
  const ip = out ?? emptyIpv6();
  ip.src = ipv6Text(b, off + IPV6.src);
  ip.dst = ipv6Text(b, off + IPV6.dst);
  ip.hopLimit = b[off + IPV6.hopLimit];
  ip.trafficClass = (w0 >>> 20) & 0xff;
  ip.flowLabel = w0 & 0xfffff;
  ip.length = length;
  ip.headerLength = headerLength;
  ip.payloadEnd = truncated ? end : statedEnd;
  ip.payloadLength = Math.max(0, length - headerLength);
  ip.truncated = truncated;
  ip.protocol = chain.protocol;
  ip.offset = chain.offset;
  ip.incomplete = chain.incomplete;
  ip.hasFragmentHeader = chain.hasFragmentHeader;
  ip.fragmentId = chain.fragmentId;
  ip.fragmentOffset = chain.fragmentOffset;
  ip.moreFragments = chain.moreFragments;
  ip.jumboLength = chain.jumboLength;
  return ip;
}

/** 1 for each next-header value that is an extension header walkIpv6Extensions steps over. */
const EXTENSION_HEADERS = new Uint8Array(256);
for (const nh of [Ipv6Ext.HopByHop, Ipv6Ext.Routing, Ipv6Ext.Fragment, Ipv6Ext.Ah, Ipv6Ext.DestOpts, Ipv6Ext.Mobility, Ipv6Ext.Hip, Ipv6Ext.Shim6]) EXTENSION_HEADERS[nh] = 1;

/** One load rather than eight comparisons: every IPv6 packet asks at least once. */
export const isIpv6ExtensionHeader = (nh: number): boolean => EXTENSION_HEADERS[nh & 0xff] === 1;

/**
 * Walks extension headers from `off` (the first header's type is `nextHeader`) to the upper layer.
 * Stops at a fragment header that is not atomic (offset or M set: the rest is in the fragmentable
 * part, decodable only after reassembly). Used for packets, reassembled payloads and ICMPv6 quotes.
 */
export function walkIpv6Extensions(b: Buffer, off: number, end: number, nextHeader: number, anomalies: Anomalies, out?: Mutable<Ipv6Chain>): Ipv6Chain {
  let nh = nextHeader;
  let o = off;
  let incomplete = false;
  let hasFragmentHeader = false;
  let fragmentId = 0;
  let fragmentOffset = 0;
  let moreFragments = false;
  let jumboLength = 0;
  for (let n = 0; isIpv6ExtensionHeader(nh); n++) {
    if (n === MAX_EXTENSION_HEADERS) { anomalies.note('ipv6.too_many_extension_headers'); incomplete = true; break; }
    if (end - o < 8) { incomplete = true; break; }
    if (nh === Ipv6Ext.Fragment) {
      const offsetFlags = u16(b, o + FRAG.offsetFlags);
      hasFragmentHeader = true;
      fragmentOffset = offsetFlags & 0xfff8;
      moreFragments = (offsetFlags & 1) !== 0;
      fragmentId = u32(b, o + FRAG.id);
      nh = b[o + FRAG.nextHeader];
      o += FRAG.len;
      // RFC 6946: an atomic fragment (offset 0, M clear) is a whole packet; keep walking.
      if (fragmentOffset !== 0 || moreFragments) break;
      continue;
    }
    const len = nh === Ipv6Ext.Ah ? (b[o + 1] + 2) * 4 : (b[o + 1] + 1) * 8;
    if (nh === Ipv6Ext.HopByHop && o + len <= end) jumboLength = findJumbo(b, o + 2, o + len, jumboLength);
    if (o + len > end) { incomplete = true; break; }
    nh = b[o];
    o += len;
  }
  const chain = out ?? emptyIpv6Chain();
  chain.protocol = nh; chain.offset = o; chain.incomplete = incomplete; chain.hasFragmentHeader = hasFragmentHeader;
  chain.fragmentId = fragmentId; chain.fragmentOffset = fragmentOffset; chain.moreFragments = moreFragments; chain.jumboLength = jumboLength;
  return chain;
}

/** The chain of a packet whose next header is its upper layer (what walkIpv6Extensions gives it). */
function noExtensions(chain: Mutable<Ipv6Chain>, protocol: number, offset: number): Ipv6Chain {
  chain.protocol = protocol; chain.offset = offset; chain.incomplete = false; chain.hasFragmentHeader = false;
  chain.fragmentId = 0; chain.fragmentOffset = 0; chain.moreFragments = false; chain.jumboLength = 0;
  return chain;
}

function findJumbo(b: Buffer, start: number, end: number, found: number): number {
  let o = start;
  while (o < end) {
    const type = b[o];
    if (type === 0) { o++; continue; } // Pad1
    if (o + 1 >= end) return found;
    const len = b[o + 1];
    if (type === OPT_JUMBO && len === 4 && o + 6 <= end) return u32(b, o + 2);
    o += 2 + len;
  }
  return found;
}
