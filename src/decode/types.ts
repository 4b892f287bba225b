// The decoded records every later layer reads. Decoders fill these; packet.ts alone chains them.
// Every key is always present (undefined when absent) so V8 keeps one shape per record.
import type { Micros } from '../core/index.js';

/** A record the decoder refills in place (see PacketDecoder's `reusePackets`). */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;

export interface Ip {
  readonly version: 4 | 6;
  /** Canonical text (dotted quad, RFC 5952). For tunnelled packets: the innermost header's. */
  readonly src: string;
  readonly dst: string;
  /** Upper-layer protocol after the IPv6 extension-header chain (6 TCP, 17 UDP, 1/58 ICMP …). */
  readonly protocol: number;
  readonly hopLimit: number;
  /** IPv4 identification (of the innermost header); undefined for IPv6. Tells a copy of a packet from a second sending. */
  readonly id?: number | undefined;
  /** Datagram length as the header states it (IPv4 total length; IPv6 40 + payload length). */
  readonly length: number;
  /** IPv4 header length or IPv6 40 + extension headers. */
  readonly headerLength: number;
  /** IPv4 DF bit; always true for IPv6 (RFC 8200 §5: routers never fragment). */
  readonly dontFragment: boolean;
  /** This frame carried a fragment. */
  readonly fragment: boolean;
  /** The payload is a datagram reassembled from fragments; this frame completed it. */
  readonly reassembled: boolean;
  /** Frame numbers of all fragments when reassembled, else undefined. */
  readonly fragmentFrames: readonly number[] | undefined;
  /** Addresses come from an inner header (6in4, 4in6, 6in6 …). */
  readonly tunnelled: boolean;
  /** The capture cut the datagram short. */
  readonly truncated: boolean;
}

export interface Udp {
  readonly srcPort: number;
  readonly dstPort: number;
  /** Length from the UDP header (header + payload). */
  readonly length: number;
  readonly truncated: boolean;
}

export interface Tcp {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  /** TcpFlag bits. */
  readonly flags: number;
  /** Raw window field (unscaled). */
  readonly window: number;
  readonly headerLength: number;
  /** Payload bytes on the wire (from the IP length), even when the capture holds fewer. */
  readonly payloadLength: number;
  readonly mss: number | undefined;
  readonly windowScale: number | undefined;
  readonly sackPermitted: boolean;
  /** SACK blocks as [left0, right0, left1, right1 …], or undefined. */
  readonly sack: readonly number[] | undefined;
  readonly tsVal: number | undefined;
  readonly tsEcr: number | undefined;
  readonly truncated: boolean;
}

/** The header of the packet an ICMP error quotes (RFC 792 / RFC 4443 §3). */
export interface Quoted {
  readonly version: 4 | 6;
  readonly src: string;
  readonly dst: string;
  readonly protocol: number;
  /** Total length the quoted header states: the size of the packet that did not fit. */
  readonly length: number;
  readonly srcPort: number | undefined;
  readonly dstPort: number | undefined;
  readonly tcpSeq: number | undefined;
  /** True when the quote stops before the transport ports. */
  readonly truncated: boolean;
}

export type IcmpKind =
  | 'packet-too-big' // ICMPv6 type 2
  | 'frag-needed' // ICMPv4 type 3 code 4
  | 'unreachable' // ICMPv6 type 1, ICMPv4 type 3 (other codes)
  | 'time-exceeded'
  | 'parameter-problem'
  | 'echo-request'
  | 'echo-reply'
  | 'router-advertisement'
  | 'neighbor-discovery' // RS, NS, NA, redirect
  | 'other';

export interface Icmp {
  readonly version: 4 | 6;
  readonly kind: IcmpKind;
  readonly type: number;
  readonly code: number;
  /** PTB MTU, frag-needed next-hop MTU, or the RA MTU option; else undefined. */
  readonly mtu: number | undefined;
  /** The quoted packet for error messages; undefined when absent or unreadable. */
  readonly quoted: Quoted | undefined;
  /** Neighbour solicitation/advertisement: the target address (RFC 4861 §4.3, §4.4); else undefined. */
  readonly target?: string | undefined;
}

export interface DnsQuestion {
  readonly name: string;
  readonly type: number;
  readonly class: number;
}

export interface DnsAnswer {
  readonly name: string;
  readonly type: number;
  readonly ttl: number;
  /** A/AAAA address text, CNAME/PTR/NS target, SOA mname; undefined for other types. */
  readonly data: string | undefined;
}

export interface DnsEdns {
  readonly udpPayloadSize: number;
  readonly extendedRcode: number;
  readonly version: number;
  readonly dnssecOk: boolean;
}

export interface DnsMessage {
  readonly transport: 'udp' | 'tcp';
  readonly id: number;
  readonly qr: boolean;
  readonly opcode: number;
  readonly aa: boolean;
  readonly tc: boolean;
  readonly rd: boolean;
  readonly ra: boolean;
  /** The 4-bit header RCODE. */
  readonly rcode: number;
  readonly qdcount: number;
  readonly ancount: number;
  readonly nscount: number;
  readonly arcount: number;
  /** The first question (DNS in practice has exactly one). */
  readonly question: DnsQuestion | undefined;
  readonly answers: readonly DnsAnswer[];
  readonly edns: DnsEdns | undefined;
  /** Message length in octets (UDP payload length, or the TCP length prefix). */
  readonly size: number;
  /** Something could not be parsed; what came before it is kept. */
  readonly malformed: boolean;
  /** The capture (or a short IP datagram) cut the message. */
  readonly truncated: boolean;
}

/**
 * One decoded frame. Views into the frame are not kept: every field here is safe to hold, unless
 * the decoder was made with `reusePackets`, which refills one Packet (and its ip/udp/tcp) per frame.
 */
export interface Packet {
  readonly frame: number;
  readonly time: Micros;
  readonly nanos: number;
  readonly caplen: number;
  readonly origlen: number;
  readonly iface: number;
  readonly linkType: number;
  /** Outermost 802.1Q/802.1ad VLAN id, if any. */
  readonly vlan: number | undefined;
  readonly ip: Ip | undefined;
  readonly udp: Udp | undefined;
  readonly tcp: Tcp | undefined;
  readonly icmp: Icmp | undefined;
  /** DNS messages completed by this frame (UDP: at most one; TCP: zero or more). */
  readonly dns: readonly DnsMessage[];
}

export const NO_DNS: readonly DnsMessage[] = Object.freeze([]);
