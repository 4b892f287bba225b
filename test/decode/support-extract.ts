// Test-only: pulls UDP and TCP payloads out of a capture file, so the DNS decoder can be checked
// against tshark's truth before the real readers and packet decoder exist. Deliberately small:
// classic pcap (both byte orders, µs/ns) and little/big-endian pcapng (SHB/IDB/EPB/SPB), link
// types Ethernet (+802.1Q/ad), Linux SLL/SLL2, raw IP (12/101/228/229) and NULL; IPv4 and IPv6
// with extension headers skipped; fragments are not reassembled (non-first fragments and
// datagrams with MF set are skipped, and reported so a test can leave their frames out).
import { readFileSync } from 'node:fs';

export interface Segment {
  readonly frame: number;
  readonly transport: 'udp' | 'tcp';
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  /** TCP only (0 for UDP). */
  readonly seq: number;
  readonly flags: number;
  readonly payload: Buffer;
  /** The datagram was a fragment (its payload is incomplete or absent). */
  readonly fragment: boolean;
}

interface RawFrame { index: number; linkType: number; data: Buffer }

function* frames(file: Buffer): Generator<RawFrame> {
  const magic = file.readUInt32LE(0);
  if (magic === 0x0a0d0d0a) { yield* pcapngFrames(file); return; }
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const u32 = (o: number): number => (le ? file.readUInt32LE(o) : file.readUInt32BE(o));
  const linkType = u32(20) & 0xffff;
  let off = 24;
  let index = 0;
  while (off + 16 <= file.length) {
    const caplen = u32(off + 8);
    const end = Math.min(file.length, off + 16 + caplen);
    yield { index: ++index, linkType, data: file.subarray(off + 16, end) };
    off += 16 + caplen;
  }
}

function* pcapngFrames(file: Buffer): Generator<RawFrame> {
  let le = true;
  let links: number[] = [];
  let off = 0;
  let index = 0;
  while (off + 12 <= file.length) {
    const type = file.readUInt32LE(off);
    if (type === 0x0a0d0d0a) { le = file.readUInt32LE(off + 8) === 0x1a2b3c4d; links = []; }
    const u32 = (o: number): number => (le ? file.readUInt32LE(o) : file.readUInt32BE(o));
    const u16 = (o: number): number => (le ? file.readUInt16LE(o) : file.readUInt16BE(o));
    const len = u32(off + 4);
    if (len < 12) return;
    const btype = u32(off);
    if (btype === 1) links.push(u16(off + 8));
    else if (btype === 6) {
      const caplen = u32(off + 20);
      yield { index: ++index, linkType: links[u32(off + 8)] ?? 1, data: file.subarray(off + 28, off + 28 + caplen) };
    } else if (btype === 3) {
      yield { index: ++index, linkType: links[0] ?? 1, data: file.subarray(off + 12, off + len - 4) };
    } else if (btype === 2) {
      const caplen = u32(off + 20);
      yield { index: ++index, linkType: links[u16(off + 8)] ?? 1, data: file.subarray(off + 28, off + 28 + caplen) };
    }
    off += len;
  }
}

/** Offset of the IP header and its version, or undefined for non-IP frames. */
function ipStart(linkType: number, d: Buffer): number | undefined {
  let off: number;
  let etype: number;
  switch (linkType) {
    case 1:
      off = 12;
      if (d.length < 14) return undefined;
      etype = d.readUInt16BE(off);
      while ((etype === 0x8100 || etype === 0x88a8) && off + 6 <= d.length) { off += 4; etype = d.readUInt16BE(off); }
      off += 2;
      break;
    case 113:
      if (d.length < 16) return undefined;
      etype = d.readUInt16BE(14);
      off = 16;
      break;
    case 276:
      if (d.length < 20) return undefined;
      etype = d.readUInt16BE(0);
      off = 20;
      break;
    case 0:
      return d.length > 4 ? 4 : undefined;
    case 12: case 14: case 101: case 228: case 229:
      return 0;
    default:
      return undefined;
  }
  return etype === 0x0800 || etype === 0x86dd ? off : undefined;
}

function v6text(b: Buffer, o: number): string {
  const g: string[] = [];
  for (let i = 0; i < 8; i++) g.push(b.readUInt16BE(o + 2 * i).toString(16));
  return g.join(':');
}

export function extractSegments(path: string): Segment[] {
  const out: Segment[] = [];
  for (const f of frames(readFileSync(path))) {
    const d = f.data;
    const ip = ipStart(f.linkType, d);
    if (ip === undefined || ip >= d.length) continue;
    const version = d[ip]! >> 4;
    let proto: number;
    let l4: number;
    let end: number;
    let src: string;
    let dst: string;
    let fragment = false;
    if (version === 4) {
      if (ip + 20 > d.length) continue;
      const ihl = (d[ip]! & 0xf) * 4;
      proto = d[ip + 9]!;
      const fo = d.readUInt16BE(ip + 6);
      fragment = (fo & 0x3fff) !== 0;
      l4 = ip + ihl;
      end = Math.min(d.length, ip + d.readUInt16BE(ip + 2));
      src = `${d[ip + 12]}.${d[ip + 13]}.${d[ip + 14]}.${d[ip + 15]}`;
      dst = `${d[ip + 16]}.${d[ip + 17]}.${d[ip + 18]}.${d[ip + 19]}`;
    } else if (version === 6) {
      if (ip + 40 > d.length) continue;
      proto = d[ip + 6]!;
      l4 = ip + 40;
      end = Math.min(d.length, ip + 40 + d.readUInt16BE(ip + 4));
      src = v6text(d, ip + 8);
      dst = v6text(d, ip + 24);
      // hop-by-hop, routing, destination options, fragment
      while ((proto === 0 || proto === 43 || proto === 60 || proto === 44) && l4 + 8 <= end) {
        if (proto === 44) fragment = true;
        const next = d[l4]!;
        l4 += proto === 44 ? 8 : (d[l4 + 1]! + 1) * 8;
        proto = next;
      }
    } else continue;
    if (fragment) {
      out.push({ frame: f.index, transport: proto === 6 ? 'tcp' : 'udp', src, dst, srcPort: 0, dstPort: 0, seq: 0, flags: 0, payload: Buffer.alloc(0), fragment });
      continue;
    }
    if (proto === 17 && l4 + 8 <= end) {
      const ulen = d.readUInt16BE(l4 + 4);
      const pend = Math.min(end, l4 + Math.max(ulen, 8));
      out.push({ frame: f.index, transport: 'udp', src, dst, srcPort: d.readUInt16BE(l4), dstPort: d.readUInt16BE(l4 + 2), seq: 0, flags: 0, payload: d.subarray(l4 + 8, pend), fragment });
    } else if (proto === 6 && l4 + 20 <= end) {
      const doff = (d[l4 + 12]! >> 4) * 4;
      out.push({
        frame: f.index, transport: 'tcp', src, dst, srcPort: d.readUInt16BE(l4), dstPort: d.readUInt16BE(l4 + 2),
        seq: d.readUInt32BE(l4 + 4), flags: d[l4 + 13]!, payload: d.subarray(Math.min(end, l4 + doff), end), fragment,
      });
    }
  }
  return out;
}
