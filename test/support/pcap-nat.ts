// Rewrites lab captures as a capture point behind a middlebox would have recorded them: IPv4 NAT
// (an address and port replaced, the IPv4 header checksum recomputed, the UDP checksum cleared —
// "none", legal for IPv4) and a snaplen (frames cut). Classic pcap, any byte order, µs or ns;
// Ethernet, Linux SLL and SLL2 links. Everything else in the file is copied unchanged.
import { readFileSync, writeFileSync } from 'node:fs';

const LINK_HEADER = new Map<number, number>([[1, 14], [113, 16], [276, 20]]);

interface Records {
  b: Buffer;
  le: boolean;
  linkHeader: number;
}

function open(src: string): Records {
  const b = Buffer.from(readFileSync(src));
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const linkType = le ? b.readUInt32LE(20) : b.readUInt32BE(20);
  const linkHeader = LINK_HEADER.get(linkType & 0xffff);
  if (linkHeader === undefined) throw new Error(`${src}: link type ${linkType} not handled`);
  return { b, le, linkHeader };
}

const u32 = (r: Records, o: number): number => (r.le ? r.b.readUInt32LE(o) : r.b.readUInt32BE(o));

function ipv4Checksum(b: Buffer, at: number, len: number): number {
  let sum = 0;
  for (let i = 0; i < len; i += 2) sum += i === 10 ? 0 : b.readUInt16BE(at + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const ipv4 = (s: string): Buffer => Buffer.from(s.split('.').map(Number));

/** Source NAT seen from outside: `inside` host:port appears as `outside` host:port (both directions). */
export function natIpv4(src: string, dst: string, inside: [string, number], outside: [string, number]): number {
  const r = open(src);
  const [inAddr, inPort] = [ipv4(inside[0]), inside[1]];
  const [outAddr, outPort] = [ipv4(outside[0]), outside[1]];
  let rewritten = 0;
  for (let o = 24; o + 16 <= r.b.length; o += 16 + u32(r, o + 8)) {
    const ip = o + 16 + r.linkHeader;
    if (ip + 28 > r.b.length || r.b[ip]! >> 4 !== 4) continue;
    const ihl = (r.b[ip]! & 0x0f) * 4;
    const l4 = ip + ihl;
    let hit = false;
    for (const [addrAt, portAt] of [[ip + 12, l4], [ip + 16, l4 + 2]] as const) {
      if (r.b.subarray(addrAt, addrAt + 4).equals(inAddr) && r.b.readUInt16BE(portAt) === inPort) {
        outAddr.copy(r.b, addrAt);
        r.b.writeUInt16BE(outPort, portAt);
        hit = true;
      }
    }
    if (!hit) continue;
    r.b.writeUInt16BE(ipv4Checksum(r.b, ip, ihl), ip + 10);
    if (r.b[ip + 9] === 17) r.b.writeUInt16BE(0, l4 + 6);
    rewritten++;
  }
  writeFileSync(dst, r.b);
  return rewritten;
}
