// Hand-built Packets for the path tests: `tcp6({ src, dst, flags: 'S', seq, mss })` style. Only the
// fields the path layer reads are meaningful; the rest are plausible constants.
import { NO_DNS, type DnsMessage, type Icmp, type Packet, type Tcp } from '../../src/decode/index.js';

const FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10 };

export interface TcpSpec {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  /** Letters of F S R P A, e.g. 'SA', 'A', 'PA', 'FA', 'R'. */
  flags: string;
  seq?: number;
  ack?: number;
  len?: number;
  mss?: number;
  sack?: number[];
  ts?: boolean;
  hopLimit?: number;
  /** IPv4 DF bit (default true). */
  df?: boolean;
  frame?: number;
  time?: number;
}

let autoFrame = 0;
/** Resets the automatic frame counter (each test starts at frame 1). */
export function resetFrames(): void {
  autoFrame = 0;
}

function flagsOf(s: string): number {
  let f = 0;
  for (const c of s) f |= FLAG_BITS[c] ?? 0;
  return f;
}

/** The fields every hand-built packet shares; callers give the IP header and the one upper layer. */
function shell(
  frame: number,
  time: number | undefined,
  ip: Pick<NonNullable<Packet['ip']>, 'version' | 'src' | 'dst' | 'protocol' | 'hopLimit' | 'length' | 'headerLength' | 'dontFragment'>,
  upper: Pick<Packet, 'udp' | 'tcp' | 'icmp' | 'dns'>,
): Packet {
  return {
    frame,
    time: time ?? frame * 1000,
    nanos: 0,
    caplen: 0,
    origlen: 0,
    iface: 0,
    linkType: 1,
    vlan: undefined,
    ip: { ...ip, fragment: false, reassembled: false, fragmentFrames: undefined, tunnelled: false, truncated: false },
    ...upper,
  };
}

function packet(version: 4 | 6, s: TcpSpec): Packet {
  const frame = s.frame ?? ++autoFrame;
  if (s.frame !== undefined) autoFrame = s.frame;
  const flags = flagsOf(s.flags);
  const ts = s.ts ?? false;
  const tcpHeader = 20 + (ts ? 12 : 0) + ((flags & 0x02) !== 0 ? 20 - (ts ? 12 : 0) : 0);
  const ipHeader = version === 6 ? 40 : 20;
  const len = s.len ?? 0;
  const tcp: Tcp = {
    srcPort: s.sport ?? (s.src < s.dst ? 40000 : 80),
    dstPort: s.dport ?? (s.src < s.dst ? 80 : 40000),
    seq: (s.seq ?? 0) >>> 0,
    ack: (s.ack ?? 0) >>> 0,
    flags,
    window: 65535,
    headerLength: tcpHeader,
    payloadLength: len,
    mss: s.mss,
    windowScale: undefined,
    sackPermitted: (flags & 0x02) !== 0,
    sack: s.sack,
    tsVal: ts ? 1 : undefined,
    tsEcr: ts ? 1 : undefined,
    truncated: false,
  };
  return shell(
    frame,
    s.time,
    { version, src: s.src, dst: s.dst, protocol: 6, hopLimit: s.hopLimit ?? 64, length: ipHeader + tcpHeader + len, headerLength: ipHeader, dontFragment: version === 6 ? true : (s.df ?? true) },
    { udp: undefined, tcp, icmp: undefined, dns: NO_DNS },
  );
}

export const tcp6 = (s: TcpSpec): Packet => packet(6, s);
export const tcp4 = (s: TcpSpec): Packet => packet(4, s);

export interface IcmpSpec {
  src: string;
  dst: string;
  kind: Icmp['kind'];
  type?: number;
  code?: number;
  mtu?: number;
  /** IP length of the ICMP packet. */
  length?: number;
  quoted: { src: string; dst: string; sport: number; dport: number; seq?: number; length: number; protocol?: number };
  frame?: number;
  time?: number;
}

export function icmp6(s: IcmpSpec): Packet {
  return icmpPacket(6, s);
}
export function icmp4(s: IcmpSpec): Packet {
  return icmpPacket(4, s);
}

function icmpPacket(version: 4 | 6, s: IcmpSpec): Packet {
  const frame = s.frame ?? ++autoFrame;
  if (s.frame !== undefined) autoFrame = s.frame;
  const defaultType = s.kind === 'packet-too-big' ? 2 : s.kind === 'frag-needed' ? 3 : version === 6 ? 1 : 3;
  return shell(
    frame,
    s.time,
    { version, src: s.src, dst: s.dst, protocol: version === 6 ? 58 : 1, hopLimit: 64, length: s.length ?? 1280, headerLength: version === 6 ? 40 : 20, dontFragment: true },
    {
      udp: undefined,
      tcp: undefined,
      icmp: {
        version,
        kind: s.kind,
        type: s.type ?? defaultType,
        code: s.code ?? (s.kind === 'frag-needed' ? 4 : 0),
        mtu: s.mtu,
        quoted: {
          version,
          src: s.quoted.src,
          dst: s.quoted.dst,
          protocol: s.quoted.protocol ?? 6,
          length: s.quoted.length,
          srcPort: s.quoted.sport,
          dstPort: s.quoted.dport,
          tcpSeq: s.quoted.seq,
          truncated: false,
        },
      },
      dns: NO_DNS,
    },
  );
}

/** A UDP packet carrying one DNS response with A/AAAA answers for `name`. */
export function dnsAnswer(s: { client: string; server: string; name: string; addresses: string[]; frame?: number; time?: number }): Packet {
  const frame = s.frame ?? ++autoFrame;
  if (s.frame !== undefined) autoFrame = s.frame;
  const v6 = s.client.includes(':');
  const msg: DnsMessage = {
    transport: 'udp',
    id: 1,
    qr: true,
    opcode: 0,
    aa: false,
    tc: false,
    rd: true,
    ra: true,
    rcode: 0,
    qdcount: 1,
    ancount: s.addresses.length,
    nscount: 0,
    arcount: 0,
    question: { name: s.name, type: s.addresses[0]?.includes(':') ? 28 : 1, class: 1 },
    answers: s.addresses.map((a) => ({ name: s.name, type: a.includes(':') ? 28 : 1, ttl: 300, data: a })),
    edns: undefined,
    size: 100,
    malformed: false,
    truncated: false,
  };
  return shell(
    frame,
    s.time,
    { version: v6 ? 6 : 4, src: s.server, dst: s.client, protocol: 17, hopLimit: 64, length: 128, headerLength: v6 ? 40 : 20, dontFragment: false },
    { udp: { srcPort: 53, dstPort: 33333, length: 108, truncated: false }, tcp: undefined, icmp: undefined, dns: [msg] },
  );
}
