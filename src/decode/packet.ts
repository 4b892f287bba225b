// decode/packet.ts: the one place that chains decoders, frame → Packet:
//   link (by LINKTYPE) → IPv4/IPv6 (→ reassembly) (→ 4in4/6in4/4in6/6in6 tunnels, bounded)
//   → UDP / TCP / ICMP / ICMPv6 → DNS (UDP: one message; TCP: via DnsTcpReassembler).
// Decoders work on (buffer, offset, end) so nothing is sliced per layer: Buffer#subarray costs
// ~40 ns, more than decoding a header. One record per layer, one Packet per frame.
import type { Anomalies, Micros } from '../core/index.js';
import type { Frame } from '../readers/index.js';
import { decodeArp, type Arp } from './arp.js';
import { decodeDns, looksLikeDns, newDnsScratch, type DnsScratch } from './dns.js';
import { DnsTcpReassembler } from './dns-tcp.js';
import { decodeEthernet } from './ethernet.js';
import { FragmentReassembler, type FragmentOptions } from './fragments.js';
import { decodeIcmpv4 } from './icmpv4.js';
import { decodeIcmpv6 } from './icmpv6.js';
import { decodeIpv4, emptyIpv4 } from './ipv4.js';
import { decodeIpv6, emptyIpv6, emptyIpv6Chain, walkIpv6Extensions } from './ipv6.js';
import { emptyLink, EtherType, LinkType, type Link } from './link.js';
import { decodeNull } from './null-loop.js';
import { decodeRaw } from './raw.js';
import { decodeSll } from './sll.js';
import { decodeSll2 } from './sll2.js';
import { decodeTcp, emptyTcp } from './tcp.js';
import type { DnsMessage, Icmp, Ip, Mutable, Packet, Tcp, Udp } from './types.js';
import { NO_DNS } from './types.js';
import { decodeUdp, emptyUdp, UDP_HEADER_LEN } from './udp.js';

export const IpProtocol = { ICMP: 1, IPIP: 4, TCP: 6, UDP: 17, IPv6: 41, ICMPv6: 58 } as const;

export const DNS_PORT = 53;
/** mDNS and LLMNR look like DNS but tshark labels them separately (mdns/llmnr): never decoded as DNS. */
export const MDNS_PORT = 5353;
export const LLMNR_PORT = 5355;
/** UDP ports whose payload is never tried as DNS by shape (NBNS is DNS-shaped; the rest are busy). */
const NOT_DNS_PORTS = new Set([67, 68, 123, 137, 138, 161, 162, 443, 500, 514, 1900, 3544, 4500, 4789, 5353, 5355, 6081]);

/**
 * DNS over TCP is tried on 53 and on 5353: tshark decodes TCP/5353 as DNS (RFC 6762 §18 unicast
 * DNS-SD; only UDP/5353 is mDNS), e.g. suricata-verify dns-incomplete.
 */
const isDnsTcpPort = (p: number): boolean => p === DNS_PORT || p === MDNS_PORT;

export interface PacketDecoderOptions {
  /** IP reassembly limits (see fragments.ts for the defaults). */
  readonly fragments?: FragmentOptions;
  /** Passed to the DNS-over-TCP reassembler. */
  readonly dnsTcp?: ConstructorParameters<typeof DnsTcpReassembler>[1];
  /** IP-in-IP headers followed below the outermost (default 4); deeper is `ip.tunnel_too_deep`. */
  readonly maxTunnelDepth?: number;
  /** Try UDP payloads on ports other than 53 with `looksLikeDns` (default true). */
  readonly dnsByShape?: boolean;
  /**
   * Refill one Packet, with one ip, udp and tcp record, for every frame instead of making new ones
   * (default false), and one DNS message (with its question, EDNS and answer records) for DNS over
   * UDP. The caller must copy what it keeps beyond the next decode(); strings are always safe to
   * keep. The analysis does this: the records per frame were a fifth of everything it allocated, and
   * the DNS records about half of what decoding a DNS message allocated. ICMP records and DNS
   * messages over TCP are always new.
   */
  readonly reusePackets?: boolean;
}

export const PACKET_DECODER_DEFAULTS = { maxTunnelDepth: 4, dnsByShape: true } as const;

export class PacketDecoder {
  readonly #anomalies: Anomalies;
  readonly #fragments: FragmentReassembler;
  readonly #dnsTcp: DnsTcpReassembler;
  readonly #maxTunnelDepth: number;
  readonly #dnsByShape: boolean;
  // Scratch records: the layers between the frame and the Packet never leave decode().
  readonly #link = emptyLink();
  readonly #ipv4 = emptyIpv4();
  readonly #ipv6 = emptyIpv6();
  readonly #chain = emptyIpv6Chain();
  // With reusePackets: the records handed out, refilled for each frame.
  readonly #packet: Mutable<Packet> | undefined;
  #arp: Arp | undefined = undefined;
  readonly #ip: Mutable<Ip> | undefined;
  readonly #tcp: Mutable<Tcp> | undefined;
  readonly #udp: Mutable<Udp> | undefined;
  readonly #dnsScratch: DnsScratch | undefined;
  /** p.dns for a UDP DNS message with reusePackets: always this list of the scratch message. */
  readonly #udpDnsList: readonly DnsMessage[] | undefined;

  constructor(anomalies: Anomalies, options: PacketDecoderOptions = {}) {
    this.#anomalies = anomalies;
    this.#fragments = new FragmentReassembler(anomalies, options.fragments);
    this.#dnsTcp = new DnsTcpReassembler(anomalies, options.dnsTcp);
    this.#maxTunnelDepth = options.maxTunnelDepth ?? PACKET_DECODER_DEFAULTS.maxTunnelDepth;
    this.#dnsByShape = options.dnsByShape ?? PACKET_DECODER_DEFAULTS.dnsByShape;
    if (options.reusePackets === true) {
      this.#ip = newIp();
      this.#tcp = emptyTcp();
      this.#udp = emptyUdp();
      this.#packet = newPacket();
      this.#dnsScratch = newDnsScratch();
      this.#udpDnsList = [this.#dnsScratch.message];
    }
  }

  /**
   * Decodes one frame. Returns undefined when there is no IP layer to show (unsupported link
   * type, a non-IP EtherType such as ARP, or an unreadable outer IP header: each is counted in
   * the anomalies except ARP). A non-final fragment gives a Packet with `ip` only.
   */
  decode(frame: Frame): Packet | undefined {
    const an = this.#anomalies;
    // The frame's bytes in place when the reader offers them (no Buffer view per frame).
    const bytes = frame.bytes;
    const b = bytes ?? frame.data;
    const start = bytes !== undefined ? frame.dataOffset! : 0;
    const stop = bytes !== undefined ? frame.dataEnd! : b.length;
    let link: Link | undefined;
    switch (frame.linkType) {
      case LinkType.ETHERNET: link = decodeEthernet(b, an, start, stop, this.#link); break;
      case LinkType.LINUX_SLL: link = decodeSll(b, an, start, stop); break;
      case LinkType.LINUX_SLL2: link = decodeSll2(b, an, start, stop); break;
      case LinkType.NULL:
      case LinkType.LOOP: link = decodeNull(b, an, start, stop); break;
      case LinkType.RAW:
      case LinkType.RAW_BSD:
      case LinkType.RAW_OPENBSD:
      case LinkType.IPV4:
      case LinkType.IPV6: link = decodeRaw(b, frame.linkType, an, start, stop); break;
      default: return an.note('link.unsupported');
    }
    if (link === undefined) return undefined;
    let version: number;
    if (link.etherType === EtherType.IPv4) version = 4;
    else if (link.etherType === EtherType.IPv6) version = 6;
    else {
      if (link.etherType !== EtherType.ARP) an.note('link.unknown_ethertype');
      else this.#arp = decodeArp(b, link.offset, stop);
      return undefined;
    }

    // ---- network layer(s) -------------------------------------------------------------------
    let buf = b;
    let off = link.offset;
    let end = stop;
    let src = '';
    let dst = '';
    let protocol = -1;
    let hopLimit = 0;
    let ipId: number | undefined;
    let length = 0;
    let headerLength = 0;
    let dontFragment = true;
    let fragment = false;
    let reassembled = false;
    let fragmentFrames: readonly number[] | undefined;
    let tunnelled = false;
    let truncated = false;
    let ipVersion: 4 | 6 = 4;
    // The upper layer: buf[tOff … tEnd) captured, tLen octets per the IP header. tLen < 0: none.
    let tOff = 0;
    let tEnd = 0;
    let tLen = -1;
    for (let depth = 0; ; depth++) {
      if (version === 4) {
        const ip = decodeIpv4(buf, off, end, an, this.#ipv4);
        if (ip === undefined) break;
        ipVersion = 4; src = ip.src; dst = ip.dst; protocol = ip.protocol; hopLimit = ip.ttl; ipId = ip.id;
        length = ip.length; headerLength = ip.headerLength; dontFragment = ip.dontFragment;
        truncated ||= ip.truncated;
        tOff = ip.payloadOffset; tEnd = ip.payloadEnd; tLen = ip.payloadLength;
        if (ip.moreFragments || ip.fragmentOffset !== 0) {
          fragment = true;
          const r = this.#fragments.fragment(`4|${src}|${dst}|${ip.id}|${protocol}`, ip.fragmentOffset, ip.moreFragments, buf, tOff, tEnd, protocol, frame.index, frame.time);
          if (r === undefined) { tLen = -1; break; }
          buf = r.payload; tOff = 0; tEnd = tLen = r.payload.length;
          length = headerLength + tLen;
          reassembled = true; fragmentFrames = r.frames;
        }
      } else {
        const ip = decodeIpv6(buf, off, end, an, this.#ipv6, this.#chain);
        if (ip === undefined) break;
        ipVersion = 6; src = ip.src; dst = ip.dst; protocol = ip.protocol; hopLimit = ip.hopLimit; ipId = undefined;
        length = ip.length; headerLength = ip.headerLength; dontFragment = true;
        truncated ||= ip.truncated;
        tOff = ip.offset; tEnd = ip.payloadEnd; tLen = ip.payloadLength;
        if (ip.hasFragmentHeader) fragment = true; // atomic fragments (RFC 6946) included
        if (ip.incomplete) { tLen = -1; break; }
        if (ip.hasFragmentHeader && (ip.fragmentOffset !== 0 || ip.moreFragments)) {
          const r = this.#fragments.fragment(`6|${src}|${dst}|${ip.fragmentId}`, ip.fragmentOffset, ip.moreFragments, buf, tOff, tEnd, protocol, frame.index, frame.time);
          if (r === undefined) { tLen = -1; break; }
          const chain = walkIpv6Extensions(r.payload, 0, r.payload.length, r.nextHeader, an, this.#chain);
          buf = r.payload; protocol = chain.protocol;
          length = headerLength + r.payload.length;
          headerLength += chain.offset;
          tOff = chain.offset; tEnd = r.payload.length; tLen = tEnd - tOff;
          reassembled = true; fragmentFrames = r.frames;
          if (chain.incomplete) { an.note('ipv6.bad_extension_header'); tLen = -1; break; }
        }
      }
      if (tOff > tEnd) { tLen = -1; break; }
      if (protocol !== IpProtocol.IPv6 && protocol !== IpProtocol.IPIP) break;
      if (depth === this.#maxTunnelDepth) { an.note('ip.tunnel_too_deep'); tLen = -1; break; }
      // Tunnelled: the inner header's addresses become the packet's. If it is unreadable, the
      // outer header stays and there is no upper layer.
      const innerVersion = protocol === IpProtocol.IPv6 ? 6 : 4;
      if (tEnd - tOff < 1 || buf[tOff] >> 4 !== innerVersion) {
        an.note(innerVersion === 6 ? 'ipv6.bad_version' : 'ipv4.bad_version');
        tLen = -1;
        break;
      }
      version = innerVersion; off = tOff; end = tEnd; tunnelled = true;
    }
    if (src === '') return undefined; // the outermost IP header was unreadable (noted)

    const ip = this.#ip ?? newIp();
    ip.version = ipVersion; ip.src = src; ip.dst = dst; ip.protocol = protocol; ip.hopLimit = hopLimit; ip.id = ipId;
    ip.length = length; ip.headerLength = headerLength; ip.dontFragment = dontFragment; ip.fragment = fragment;
    ip.reassembled = reassembled; ip.fragmentFrames = fragmentFrames; ip.tunnelled = tunnelled; ip.truncated = truncated;
    let udp: Udp | undefined;
    let tcp: Tcp | undefined;
    let icmp: Icmp | undefined;
    let dns: readonly DnsMessage[] = NO_DNS;
    if (tLen >= 0) {
      switch (protocol) {
        case IpProtocol.UDP:
          udp = decodeUdp(buf, tOff, tEnd, an, this.#udp);
          if (udp !== undefined) dns = this.#udpDns(buf, tOff, tEnd, udp);
          break;
        case IpProtocol.TCP:
          tcp = decodeTcp(buf, tOff, tEnd, tLen, an, this.#tcp);
          if (tcp !== undefined && (isDnsTcpPort(tcp.srcPort) || isDnsTcpPort(tcp.dstPort))) {
            const start = tOff + tcp.headerLength;
            const stop = Math.min(tOff + tLen, tEnd);
            const payload = start < stop ? buf.subarray(start, stop) : buf.subarray(0, 0);
            dns = this.#dnsTcp.segment(`${src}|${tcp.srcPort}|${dst}|${tcp.dstPort}`, tcp.seq, tcp.flags, payload, frame.time);
          }
          break;
        case IpProtocol.ICMP: icmp = decodeIcmpv4(buf, tOff, tEnd, an); break;
        case IpProtocol.ICMPv6: icmp = decodeIcmpv6(buf, tOff, tEnd, an); break;
        default: break;
      }
    }
    const p = this.#packet ?? newPacket();
    p.frame = frame.index; p.time = frame.time; p.nanos = frame.nanos; p.caplen = frame.caplen; p.origlen = frame.origlen;
    p.iface = frame.iface; p.linkType = frame.linkType; p.vlan = link.vlan;
    p.ip = ip; p.udp = udp; p.tcp = tcp; p.icmp = icmp; p.dns = dns;
    return p;
  }

  /**
   * The ARP message of the last frame decode() returned undefined for, once (then undefined): ARP
   * is not IP and never becomes a Packet, but neighbour-discovery analysis needs it.
   */
  takeArp(): Arp | undefined {
    const a = this.#arp;
    this.#arp = undefined;
    return a;
  }

  /** Times out reassembly state older than its limit; `now` is capture time. */
  expire(now: Micros): void {
    this.#fragments.expire(now);
    this.#dnsTcp.expire(now);
  }

  /** End of capture: drops what never completed (counted as timeouts). */
  finish(): void {
    this.expire(Number.POSITIVE_INFINITY);
  }

  #udpDns(buf: Buffer, off: number, end: number, udp: Udp): readonly DnsMessage[] {
    const s = udp.srcPort;
    const d = udp.dstPort;
    const start = off + UDP_HEADER_LEN;
    const stop = Math.min(off + udp.length, end);
    if (stop <= start) return NO_DNS;
    if (s === MDNS_PORT || d === MDNS_PORT || s === LLMNR_PORT || d === LLMNR_PORT) return NO_DNS;
    let message: DnsMessage | undefined;
    if (s === DNS_PORT || d === DNS_PORT) {
      message = decodeDns(buf, 'udp', this.#anomalies, start, stop, this.#dnsScratch); // in place: no Buffer view per message
    } else {
      if (!this.#dnsByShape || NOT_DNS_PORTS.has(s) || NOT_DNS_PORTS.has(d)) return NO_DNS;
      const payload = buf.subarray(start, stop);
      if (!looksLikeDns(payload)) return NO_DNS;
      message = decodeDns(payload, 'udp', this.#anomalies, 0, payload.length, this.#dnsScratch);
    }
    if (message === undefined) return NO_DNS;
    return this.#udpDnsList ?? [message];
  }
}

// One shape each for the records decode() fills, new or refilled.
const newIp = (): Mutable<Ip> => ({
  version: 4, src: '', dst: '', protocol: 0, hopLimit: 0, id: undefined, length: 0, headerLength: 0, dontFragment: false,
  fragment: false, reassembled: false, fragmentFrames: undefined, tunnelled: false, truncated: false,
});

const newPacket = (): Mutable<Packet> => ({
  frame: 0, time: 0, nanos: 0, caplen: 0, origlen: 0, iface: 0, linkType: 0, vlan: undefined,
  ip: undefined, udp: undefined, tcp: undefined, icmp: undefined, dns: NO_DNS,
});
