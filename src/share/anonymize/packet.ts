// One frame anonymised in place, header by header: the link addresses, the IP addresses (and
// those inside ARP, neighbour discovery, MLD and the packet an ICMP error quotes), DNS messages;
// every byte dualscope does not read (TCP/UDP payloads other than DNS, echo data, options it does
// not know, link-layer trailers) zeroed with its length kept, so sizes, MSS and PMTU evidence
// survive. Checksums are recomputed when the datagram is all there and updated for the bytes that
// changed when it is not (see checksum.ts).
import { createHmac } from 'node:crypto';
import { Anomalies, ipv4Text, ipv6Text, parseAddress, type Micros } from '../../core/index.js';
import {
  decodeEthernet, decodeNull, decodeRaw, decodeSll, decodeSll2, DNS_PORT, EtherType, IpProtocol, LinkType, LLMNR_PORT, MDNS_PORT,
  walkIpv6Extensions, type Link,
} from '../../decode/index.js';
import { adjustChecksum, pseudoHeaderSum, sum16, writeFullChecksum } from './checksum.js';
import { DnsMessageMapper } from './dns-message.js';
import { FragmentHold } from './fragments.js';
import type { AnonymizeKeys } from './key.js';
import { NameMap } from './names.js';
import { PrefixMap } from './prefix-map.js';

const ICMPV6 = 58;
const IGMP = 2;
const MAX_QUOTE_DEPTH = 1;
const MAC_CACHE_LIMIT = 1 << 16;

/** Where a transport header sits in its datagram. */
const enum Piece { Whole, FirstFragment, LaterFragment }

/** The IP header a transport message is carried in (for its pseudo-header and its place). */
interface Carrier {
  readonly srcOff: number;
  readonly addrLen: 4 | 16;
  /** Pseudo-header sum before and after the addresses were mapped. */
  readonly pseudoBefore: number;
  readonly pseudoAfter: number;
  readonly piece: Piece;
  /** Inside an ICMP error's quote. */
  readonly depth: number;
}

export interface PacketStats {
  /** Frames of a link type this command cannot read: every byte after the capture header zeroed. */
  unsupportedLink: number;
  /** Fragmented datagrams that never completed: the first fragment mapped as far as it goes, the rest zeroed. */
  fragmentsGivenUp: number;
}

export class PacketAnonymizer {
  readonly addresses: PrefixMap;
  readonly names: NameMap;
  readonly #dns: DnsMessageMapper;
  readonly #macKey: Buffer;
  readonly #macCache = new Map<string, Buffer>();
  readonly #anomalies = new Anomalies();
  readonly stats: PacketStats = { unsupportedLink: 0, fragmentsGivenUp: 0 };
  /** Fragments wait here for the rest of their datagram (see fragments.ts). */
  readonly fragments = new FragmentHold();
  /** Capture time of the frame being anonymised. */
  #time: Micros = 0;

  constructor(keys: AnonymizeKeys) {
    this.addresses = new PrefixMap(keys.addresses);
    this.names = new NameMap(keys.names, this.addresses);
    this.#dns = new DnsMessageMapper(this.names, this.addresses);
    this.#macKey = keys.macs;
  }

  /** An address as text, mapped (for reading a report against the copy); undefined if not one. */
  addressText(text: string): string | undefined {
    const b = parseAddress(text);
    if (b === undefined) return undefined;
    const m = this.addresses.map(b);
    return m.length === 4 ? ipv4Text(m, 0) : ipv6Text(m, 0);
  }

  /** A DNS name as text (dots between labels, a trailing dot kept), mapped as in the packets. */
  nameText(name: string): string {
    const dot = name.endsWith('.') && name.length > 1;
    const body = dot ? name.slice(0, -1) : name;
    if (body === '' || body === '.') return name;
    return this.names.mapName(body.split('.')).join('.') + (dot ? '.' : '');
  }

  /** Anonymises a frame's bytes (a copy the caller owns) in place. */
  frame(b: Buffer, linkType: number, time: Micros = 0): void {
    this.#time = time;
    const an = this.#anomalies;
    let link: Link | undefined;
    switch (linkType) {
      case LinkType.ETHERNET:
        if (b.length >= 12) {
          this.mapMac(b, 0);
          this.mapMac(b, 6);
        }
        link = decodeEthernet(b, an);
        break;
      case LinkType.LINUX_SLL:
        // RFC-less but stable: packet type, ARPHRD type, address length, 8 address bytes, protocol.
        if (b.length >= 16 && b.readUInt16BE(4) === 6) this.mapMac(b, 6);
        link = decodeSll(b, an);
        break;
      case LinkType.LINUX_SLL2:
        if (b.length >= 20 && b[11] === 6) this.mapMac(b, 12);
        link = decodeSll2(b, an);
        break;
      case LinkType.NULL:
      case LinkType.LOOP:
        link = decodeNull(b, an);
        break;
      case LinkType.RAW:
      case LinkType.RAW_BSD:
      case LinkType.RAW_OPENBSD:
      case LinkType.IPV4:
      case LinkType.IPV6:
        link = decodeRaw(b, linkType, an);
        break;
      default:
        this.stats.unsupportedLink++;
        b.fill(0);
        return;
    }
    if (link === undefined) {
      // Too short for its link header: nothing in it we can read, nothing left to leak.
      if (linkType !== LinkType.ETHERNET) b.fill(0);
      else b.fill(0, Math.min(b.length, 12));
      return;
    }
    const o = link.offset;
    if (link.etherType === EtherType.IPv4) this.ipv4(b, o, b.length, 0);
    else if (link.etherType === EtherType.IPv6) this.ipv6(b, o, b.length, 0);
    else if (link.etherType === EtherType.ARP) this.arp(b, o, b.length);
    else b.fill(0, o); // LLDP, STP, 802.3 LLC …: system names and serials dualscope never reads
    if (linkType === LinkType.ETHERNET) this.#multicastMac(b, o, link.etherType);
  }

  /**
   * A MAC address mapped by keyed hash, keeping its individual/group and universal/local bits (so
   * multicast stays multicast); the broadcast address is kept.
   */
  mapMac(b: Buffer, off: number): void {
    if (off + 6 > b.length) return;
    let broadcast = true;
    for (let i = 0; i < 6; i++) if (b[off + i] !== 0xff) broadcast = false;
    if (broadcast) return;
    const key = b.toString('latin1', off, off + 6);
    let m = this.#macCache.get(key);
    if (m === undefined) {
      m = createHmac('sha256', this.#macKey).update(b.subarray(off, off + 6)).digest().subarray(0, 6);
      m[0] = (m[0]! & 0xfc) | (b[off]! & 0x03);
      if (this.#macCache.size >= MAC_CACHE_LIMIT) this.#macCache.clear();
      this.#macCache.set(key, m);
    }
    m.copy(b, off);
  }

  /**
   * An IPv6 or IPv4 multicast destination MAC (33:33 + the group's low 32 bits, RFC 2464 §7;
   * 01:00:5e + its low 23 bits, RFC 1112 §6.4) is rebuilt from the MAPPED group, so the two still
   * agree (the keyed hash would have broken the link, and the original carries the low bits of a
   * solicited-node group, that is of a unicast address).
   */
  #multicastMac(b: Buffer, ipOff: number, etherType: number): void {
    if (etherType === EtherType.IPv6 && b.length >= ipOff + 40 && b[ipOff + 24] === 0xff) {
      b[0] = 0x33; b[1] = 0x33;
      b.copy(b, 2, ipOff + 36, ipOff + 40);
    } else if (etherType === EtherType.IPv4 && b.length >= ipOff + 20 && (b[ipOff + 16]! & 0xf0) === 0xe0) {
      b[0] = 0x01; b[1] = 0x00; b[2] = 0x5e;
      b[3] = b[ipOff + 17]! & 0x7f;
      b[4] = b[ipOff + 18]!;
      b[5] = b[ipOff + 19]!;
    }
  }

  arp(b: Buffer, o: number, end: number): void {
    // RFC 826: hardware type, protocol type, hardware and protocol address lengths, operation.
    if (end - o < 8) return void b.fill(0, o, end);
    const hlen = b[o + 4]!;
    const plen = b[o + 5]!;
    const body = o + 8;
    if (hlen !== 6 || plen !== 4 || b.readUInt16BE(o + 2) !== EtherType.IPv4 || body + 20 > end) return void b.fill(0, body, end);
    this.mapMac(b, body);
    this.addresses.mapInPlace(b, body + 6, 4);
    // An all-zero target hardware address (a request) stays zero: it is a placeholder.
    if (!isZero(b, body + 10, body + 16)) this.mapMac(b, body + 10);
    this.addresses.mapInPlace(b, body + 16, 4);
    b.fill(0, body + 20, end); // Ethernet padding
  }

  ipv4(b: Buffer, o: number, end: number, depth: number): void {
    if (end - o < 20 || b[o]! >> 4 !== 4) return void b.fill(0, o, end);
    const ihl = (b[o]! & 0x0f) * 4;
    const total = b.readUInt16BE(o + 2);
    const protocol = b[o + 9]!;
    if (ihl < 20 || o + ihl > end) {
      this.addresses.mapInPlace(b, o + 12, 4);
      this.addresses.mapInPlace(b, o + 16, 4);
      return void b.fill(0, o + 20, end);
    }
    const frag = b.readUInt16BE(o + 6);
    const fragOffset = (frag & 0x1fff) * 8;
    const moreFragments = (frag & 0x2000) !== 0;
    // Total length 0 is what segmentation offload leaves: the captured bytes are the datagram.
    const datagramEnd = total >= ihl ? o + total : end;
    const payloadEnd = Math.min(end, datagramEnd);
    const upperLength = datagramEnd - o - ihl;
    const pseudoBefore = pseudoHeaderSum(b, o + 12, 4, protocol, upperLength);
    const fragmentKey = fragOffset !== 0 || moreFragments ? `4 ${b.toString('latin1', o + 12, o + 20)} ${b.readUInt16BE(o + 4)} ${protocol}` : '';
    this.addresses.mapInPlace(b, o + 12, 4);
    this.addresses.mapInPlace(b, o + 16, 4);
    b.fill(0, o + 20, o + ihl); // options (record route, timestamps hold addresses); 0 = end of list
    writeFullChecksum(b, o, o + ihl, o + 10, 0, false);
    const pseudoAfter = pseudoHeaderSum(b, o + 12, 4, protocol, upperLength);
    const piece = fragOffset !== 0 ? Piece.LaterFragment : moreFragments ? Piece.FirstFragment : Piece.Whole;
    const c: Carrier = { srcOff: o + 12, addrLen: 4, pseudoBefore, pseudoAfter, piece, depth };
    if (piece !== Piece.Whole && depth === 0) this.#hold(b, fragmentKey, protocol, o + ihl, payloadEnd, datagramEnd, fragOffset, moreFragments, c);
    else this.transport(b, protocol, o + ihl, payloadEnd, datagramEnd, c);
    if (payloadEnd < end) b.fill(0, payloadEnd, end); // the link layer's padding
  }

  ipv6(b: Buffer, o: number, end: number, depth: number): void {
    if (end - o < 40 || b[o]! >> 4 !== 6) return void b.fill(0, o, end);
    const payloadLength = b.readUInt16BE(o + 4);
    const datagramEnd = payloadLength === 0 ? end : o + 40 + payloadLength;
    const payloadEnd = Math.min(end, datagramEnd);
    const chain = walkIpv6Extensions(b, o + 40, payloadEnd, b[o + 6]!, this.#anomalies);
    const upperLength = datagramEnd - chain.offset;
    const protocol = chain.protocol;
    const pseudoBefore = pseudoHeaderSum(b, o + 8, 16, protocol, upperLength);
    const fragmentKey = chain.hasFragmentHeader ? `6 ${b.toString('latin1', o + 8, o + 40)} ${chain.fragmentId} ${protocol}` : '';
    this.addresses.mapInPlace(b, o + 8, 16);
    this.addresses.mapInPlace(b, o + 24, 16);
    const pseudoAfter = pseudoHeaderSum(b, o + 8, 16, protocol, upperLength);
    this.#routingHeaders(b, o + 40, chain.offset, b[o + 6]!);
    if (chain.incomplete) b.fill(0, chain.offset, payloadEnd);
    else {
      const piece = chain.fragmentOffset !== 0 ? Piece.LaterFragment : chain.moreFragments ? Piece.FirstFragment : Piece.Whole;
      const c: Carrier = { srcOff: o + 8, addrLen: 16, pseudoBefore, pseudoAfter, piece, depth };
      if (piece !== Piece.Whole && depth === 0) this.#hold(b, fragmentKey, protocol, chain.offset, payloadEnd, datagramEnd, chain.fragmentOffset, chain.moreFragments, c);
      else this.transport(b, protocol, chain.offset, payloadEnd, datagramEnd, c);
    }
    if (payloadEnd < end) b.fill(0, payloadEnd, end);
  }

  /**
   * Routing headers (RFC 8200 §4.4) in the extension chain b[p, end) carry addresses: type 0 and 2
   * (RFC 6275) a list from byte 8, a segment routing header (RFC 8754) its segment list. Mapped;
   * any other routing data is zeroed. Other extension headers hold no address dualscope knows of.
   */
  #routingHeaders(b: Buffer, p: number, end: number, first: number): void {
    let nh = first;
    for (let q = p, n = 0; q + 8 <= end && n < 16; n++) {
      if (nh !== 0 && nh !== 43 && nh !== 60 && nh !== 51) return; // fragment header or upper layer: the chain ends
      const len = nh === 51 ? (b[q + 1]! + 2) * 4 : (b[q + 1]! + 1) * 8;
      if (q + len > end) return;
      if (nh === 43) {
        const type = b[q + 2]!;
        const segments = type === 4 ? b[q + 4]! + 1 : type === 0 || type === 2 ? (len - 8) >> 4 : 0;
        let a = q + 8;
        for (let i = 0; i < segments && a + 16 <= q + len; i++, a += 16) this.addresses.mapInPlace(b, a, 16);
        b.fill(0, type === 4 || type === 0 || type === 2 ? a : q + 4, q + len);
      }
      nh = b[q]!;
      q += len;
    }
  }

  /** A fragment handed to the hold; its datagram is anonymised once whole (see fragments.ts). */
  #hold(b: Buffer, key: string, protocol: number, s: number, e: number, fragmentEnd: number, offset: number, more: boolean, c: Carrier): void {
    const fragment = { bytes: b.subarray(s, e), offset, total: more ? undefined : offset + (fragmentEnd - s) };
    const first = offset !== 0 ? undefined : {
      complete: (whole: Buffer): void => {
        const pseudo = pseudoHeaderSum(b, c.srcOff, c.addrLen, protocol, whole.length);
        this.transport(whole, protocol, 0, whole.length, whole.length, { ...c, pseudoBefore: pseudo, pseudoAfter: pseudo, piece: Piece.Whole });
      },
      giveUp: (): void => {
        this.stats.fragmentsGivenUp++;
        this.transport(b, protocol, s, e, fragmentEnd, c);
      },
    };
    this.fragments.add(key, this.#time, fragment, first);
  }

  /**
   * The upper layer at b[s, e) (`datagramEnd`: where it would end if all captured), then its
   * checksum: recomputed when all of it is here, else adjusted for what changed.
   */
  transport(b: Buffer, protocol: number, s: number, e: number, datagramEnd: number, c: Carrier): void {
    if (c.piece === Piece.LaterFragment) return void b.fill(0, s, e);
    let ckOff: number;
    let pseudo = true;
    let zeroMeansNone = false;
    switch (protocol) {
      case IpProtocol.TCP: ckOff = 16; break;
      case IpProtocol.UDP: ckOff = 6; zeroMeansNone = c.addrLen === 4; break;
      case IpProtocol.ICMP: ckOff = 2; pseudo = false; break;
      case ICMPV6: ckOff = 2; break;
      case IGMP: ckOff = 2; pseudo = false; break;
      default:
        // ESP, GRE, SCTP …: nothing dualscope reads past the IP header.
        return void b.fill(0, s, e);
    }
    const ck = s + ckOff;
    const hasChecksum = ck + 2 <= e;
    const old = hasChecksum ? b.readUInt16BE(ck) : 0;
    let before = 0;
    if (hasChecksum) {
      b.writeUInt16BE(0, ck);
      before = sum16(b, s, e, pseudo ? c.pseudoBefore : 0);
      b.writeUInt16BE(old, ck);
    }
    switch (protocol) {
      case IpProtocol.TCP: this.tcp(b, s, e, c); break;
      case IpProtocol.UDP: this.udp(b, s, e, datagramEnd); break;
      case IpProtocol.ICMP: this.icmpv4(b, s, e, c); break;
      case IGMP: this.igmp(b, s, e); break;
      default: this.icmpv6(b, s, e, c); break;
    }
    if (!hasChecksum) return;
    const complete = e === datagramEnd && c.piece === Piece.Whole;
    if (complete && !(zeroMeansNone && old === 0)) {
      writeFullChecksum(b, s, e, ck, pseudo ? c.pseudoAfter : 0, protocol === IpProtocol.UDP);
    } else {
      b.writeUInt16BE(0, ck);
      const after = sum16(b, s, e, pseudo ? c.pseudoAfter : 0);
      b.writeUInt16BE(old, ck);
      adjustChecksum(b, ck, before, after, zeroMeansNone);
    }
  }

  tcp(b: Buffer, s: number, e: number, c: Carrier): void {
    if (e - s < 20) return; // a quote's first 8 bytes: ports and sequence number, kept
    const dataOff = Math.max(20, (b[s + 12]! >> 4) * 4);
    const payload = s + dataOff;
    if (payload >= e) return;
    const dns = b.readUInt16BE(s) === DNS_PORT || b.readUInt16BE(s + 2) === DNS_PORT;
    if (dns && c.depth === 0 && c.piece === Piece.Whole && this.#dnsOverTcp(b, payload, e)) return;
    b.fill(0, payload, e);
  }

  /**
   * DNS over TCP (RFC 7766 §8): mapped when the segment holds whole length-prefixed messages;
   * a segment that starts or ends inside a message is zeroed (its names cannot be found).
   */
  #dnsOverTcp(b: Buffer, p: number, e: number): boolean {
    let q = p;
    while (q + 2 <= e) q += 2 + b.readUInt16BE(q);
    if (q !== e) return false;
    for (q = p; q < e; q += 2 + b.readUInt16BE(q)) this.#dns.map(b, q + 2, q + 2 + b.readUInt16BE(q));
    return true;
  }

  udp(b: Buffer, s: number, e: number, datagramEnd: number): void {
    if (e - s < 8) return;
    const length = b.readUInt16BE(s + 4);
    const udpEnd = length >= 8 ? Math.min(e, s + length) : e;
    const src = b.readUInt16BE(s);
    const dst = b.readUInt16BE(s + 2);
    const dnsPort = (p: number): boolean => p === DNS_PORT || p === MDNS_PORT || p === LLMNR_PORT;
    if (dnsPort(src) || dnsPort(dst)) this.#dns.map(b, s + 8, udpEnd);
    else b.fill(0, s + 8, udpEnd);
    if (udpEnd < e) b.fill(0, udpEnd, e);
    void datagramEnd;
  }

  icmpv4(b: Buffer, s: number, e: number, c: Carrier): void {
    if (e - s < 8) return void b.fill(0, Math.min(e, s + 4), e);
    const type = b[s]!;
    const isError = type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
    if (isError && c.depth < MAX_QUOTE_DEPTH) {
      if (type === 5) this.addresses.mapInPlace(b, s + 4, 4); // redirect: the gateway
      this.ipv4(b, s + 8, e, c.depth + 1);
    } else if (type === 0 || type === 8) b.fill(0, s + 8, e); // echo: id and sequence kept
    else b.fill(0, s + 4, e);
  }

  icmpv6(b: Buffer, s: number, e: number, c: Carrier): void {
    if (e - s < 4) return;
    const type = b[s]!;
    const body = s + 4;
    if (type >= 1 && type <= 4) {
      // Destination unreachable, Packet Too Big (its MTU kept), Time Exceeded, Parameter Problem.
      if (c.depth < MAX_QUOTE_DEPTH) this.ipv6(b, s + 8, e, c.depth + 1);
      else b.fill(0, Math.min(e, s + 8), e);
      return;
    }
    switch (type) {
      case 128: case 129: return void b.fill(0, Math.min(e, s + 8), e); // echo data
      case 133: return this.ndOptions(b, s + 8, e); // router solicitation
      case 134: return this.ndOptions(b, s + 16, e); // router advertisement
      case 135: case 136: // neighbour solicitation / advertisement: the target, then options
        this.addresses.mapInPlace(b, s + 8, 16);
        return this.ndOptions(b, s + 24, e);
      case 137: // redirect: target, destination, options
        this.addresses.mapInPlace(b, s + 8, 16);
        this.addresses.mapInPlace(b, s + 24, 16);
        return this.ndOptions(b, s + 40, e);
      case 130: case 131: case 132: // MLDv1: the multicast address
        return this.addresses.mapInPlace(b, s + 8, 16);
      case 143: return this.mldv2Report(b, s, e);
      default: return void b.fill(0, Math.min(e, body), e);
    }
  }

  /** IGMP (RFC 2236, RFC 3376): the group (and a v3 query's sources, a v3 report's records) mapped. */
  igmp(b: Buffer, s: number, e: number): void {
    if (e - s < 8) return;
    const type = b[s]!;
    if (type === 0x22) {
      // v3 report: records of type, aux length, source count, group, sources, aux data.
      const records = b.readUInt16BE(s + 6);
      let q = s + 8;
      for (let r = 0; r < records && q + 8 <= e; r++) {
        const aux = b[q + 1]! * 4;
        const sources = b.readUInt16BE(q + 2);
        this.addresses.mapInPlace(b, q + 4, 4);
        let a = q + 8;
        for (let i = 0; i < sources && a + 4 <= e; i++, a += 4) this.addresses.mapInPlace(b, a, 4);
        if (a + aux > e) return void b.fill(0, Math.min(a, e), e);
        b.fill(0, a, a + aux);
        q = a + aux;
      }
      return void b.fill(0, Math.min(q, e), e);
    }
    this.addresses.mapInPlace(b, s + 4, 4);
    if (type === 0x11 && e - s >= 12) {
      const sources = b.readUInt16BE(s + 10);
      let a = s + 12;
      for (let i = 0; i < sources && a + 4 <= e; i++, a += 4) this.addresses.mapInPlace(b, a, 4);
      b.fill(0, a, e);
    } else b.fill(0, s + 8, e);
  }

  /** Neighbour discovery options (RFC 4861 §4.6): type, length in 8-octet units, data. */
  ndOptions(b: Buffer, p: number, e: number): void {
    let q = p;
    while (q + 2 <= e) {
      const type = b[q]!;
      const len = b[q + 1]! * 8;
      if (len === 0 || q + len > e) break;
      switch (type) {
        case 1: case 2: // source / target link-layer address
          if (len === 8) this.mapMac(b, q + 2);
          else b.fill(0, q + 2, q + len);
          break;
        case 3: // prefix information: the prefix, its length kept
          if (len === 32) this.#prefixAt(b, q + 16, b[q + 2]!);
          break;
        case 5: break; // MTU
        case 24: // route information (RFC 4191)
          if (len >= 8) {
            const bits = b[q + 2]!;
            const field = Buffer.alloc(16);
            b.copy(field, 0, q + 8, q + len);
            this.addresses.mapPrefix(field, Math.min(bits, 128)).copy(b, q + 8, 0, len - 8);
          }
          break;
        case 25: // RDNSS (RFC 8106): the resolvers' addresses
          for (let a = q + 8; a + 16 <= q + len; a += 16) this.addresses.mapInPlace(b, a, 16);
          break;
        default: b.fill(0, q + 2, q + len); // DNSSL names, nonces, redirected headers …
      }
      q += len;
    }
    b.fill(0, q, e);
  }

  #prefixAt(b: Buffer, off: number, bits: number): void {
    if (off + 16 > b.length) return;
    const mapped = this.addresses.mapPrefix(b.subarray(off, off + 16), Math.min(bits, 128));
    mapped.copy(b, off);
    // Bits past the prefix length are zero on the wire (RFC 4861 §4.6.2): keep them so.
    const keepBits = Math.min(bits, 128);
    for (let i = keepBits; i < 128; i++) b[off + (i >> 3)]! &= ~(0x80 >> (i & 7));
  }

  /** MLDv2 report (RFC 3810 §5.2): records of a multicast address and its sources. */
  mldv2Report(b: Buffer, s: number, e: number): void {
    if (e - s < 8) return;
    const records = b.readUInt16BE(s + 6);
    let q = s + 8;
    for (let r = 0; r < records && q + 20 <= e; r++) {
      const aux = b[q + 1]! * 4;
      const sources = b.readUInt16BE(q + 2);
      this.addresses.mapInPlace(b, q + 4, 16);
      let a = q + 20;
      for (let i = 0; i < sources && a + 16 <= e; i++, a += 16) this.addresses.mapInPlace(b, a, 16);
      if (a + aux > e) return void b.fill(0, Math.min(a, e), e);
      b.fill(0, a, a + aux);
      q = a + aux;
    }
    b.fill(0, Math.min(q, e), e);
  }
}

function isZero(b: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i] !== 0) return false;
  return true;
}
