// Hand-built Packets carrying one DNS message, for reconstructor and detector tests that need no
// capture. Times are in milliseconds from a fixed epoch to keep tests readable.
import type { DnsMessage, Packet } from '../../src/decode/index.js';

export const T0 = 1_700_000_000_000_000; // µs
export const ms = (n: number): number => T0 + Math.round(n * 1000);

export const A = 1;
export const AAAA = 28;
export const PTR = 12;

export interface DnsPacketSpec {
  frame: number;
  atMs: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  id: number;
  qname: string;
  qtype: number;
  qr?: boolean;
  rcode?: number;
  /** Answer data of the question's type (addresses, PTR targets). */
  answers?: string[];
  aa?: boolean;
  ra?: boolean;
  tc?: boolean;
  size?: number;
  transport?: 'udp' | 'tcp';
  edns?: number;
  fragmentFrames?: number[];
}

export function dnsPacket(s: DnsPacketSpec): Packet {
  const v6 = s.src.includes(':');
  const transport = s.transport ?? 'udp';
  const answers = (s.answers ?? []).map((data) => ({ name: s.qname, type: s.qtype, ttl: 300, data }));
  const msg: DnsMessage = {
    transport,
    id: s.id,
    qr: s.qr ?? false,
    opcode: 0,
    aa: s.aa ?? false,
    tc: s.tc ?? false,
    rd: true,
    ra: s.ra ?? (s.qr ?? false),
    rcode: s.rcode ?? 0,
    qdcount: 1,
    ancount: answers.length,
    nscount: 0,
    arcount: s.edns === undefined ? 0 : 1,
    question: { name: s.qname, type: s.qtype, class: 1 },
    answers,
    edns: s.edns === undefined ? undefined : { udpPayloadSize: s.edns, extendedRcode: 0, version: 0, dnssecOk: false },
    size: s.size ?? 60,
    malformed: false,
    truncated: false,
  };
  const size = msg.size + 8 + (v6 ? 40 : 20);
  return {
    frame: s.frame,
    time: ms(s.atMs),
    nanos: 0,
    caplen: size + 14,
    origlen: size + 14,
    iface: 0,
    linkType: 1,
    vlan: undefined,
    ip: {
      version: v6 ? 6 : 4,
      src: s.src,
      dst: s.dst,
      protocol: transport === 'udp' ? 17 : 6,
      hopLimit: 64,
      length: size,
      headerLength: v6 ? 40 : 20,
      dontFragment: v6,
      fragment: s.fragmentFrames !== undefined,
      reassembled: s.fragmentFrames !== undefined,
      fragmentFrames: s.fragmentFrames,
      tunnelled: false,
      truncated: false,
    },
    udp: transport === 'udp' ? { srcPort: s.sport, dstPort: s.dport, length: msg.size + 8, truncated: false } : undefined,
    tcp: undefined,
    icmp: undefined,
    dns: [msg],
  };
}

/** A client and a server with terse query/reply builders. */
export function conversation(client: string, server: string) {
  let frame = 0;
  return {
    query(atMs: number, port: number, id: number, qname: string, qtype: number, extra: Partial<DnsPacketSpec> = {}): Packet {
      return dnsPacket({ frame: ++frame, atMs, src: client, dst: server, sport: port, dport: 53, id, qname, qtype, ...extra });
    },
    reply(atMs: number, port: number, id: number, qname: string, qtype: number, extra: Partial<DnsPacketSpec> = {}): Packet {
      return dnsPacket({ frame: ++frame, atMs, src: server, dst: client, sport: 53, dport: port, id, qname, qtype, qr: true, ...extra });
    },
    /** A packet of no interest that only moves capture time on. */
    tick(atMs: number): Packet {
      return { ...dnsPacket({ frame: ++frame, atMs, src: client, dst: server, sport: 1, dport: 2, id: 0, qname: 'x', qtype: A }), dns: [], udp: undefined };
    },
  };
}
