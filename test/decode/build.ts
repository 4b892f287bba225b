// Test-only builders for frames: templates in, bytes out (checksums left 0, never checked).
import { parseAddress } from '../../src/core/index.js';
import type { Frame } from '../../src/readers/frame.js';

const addr = (text: string): Buffer => parseAddress(text)!;

export function eth(etherType: number, payload: Buffer, tags: readonly number[] = []): Buffer {
  const head = Buffer.alloc(12, 0x11);
  const parts = [head];
  for (const tpid of tags) { const t = Buffer.alloc(4); t.writeUInt16BE(tpid, 0); t.writeUInt16BE(100 + parts.length, 2); parts.push(t); }
  const et = Buffer.alloc(2); et.writeUInt16BE(etherType, 0);
  return Buffer.concat([...parts, et, payload]); // each tag on the wire: TPID, then TCI
}

export interface V4 { src?: string; dst?: string; protocol: number; id?: number; df?: boolean; mf?: boolean; offset?: number; ttl?: number; totalLength?: number; options?: Buffer }
export function ipv4(h: V4, payload: Buffer): Buffer {
  const opts = h.options ?? Buffer.alloc(0);
  const b = Buffer.alloc(20 + opts.length);
  b[0] = 0x40 | ((20 + opts.length) / 4);
  b.writeUInt16BE(h.totalLength ?? b.length + payload.length, 2);
  b.writeUInt16BE(h.id ?? 1, 4);
  b.writeUInt16BE((h.df ? 0x4000 : 0) | (h.mf ? 0x2000 : 0) | ((h.offset ?? 0) / 8), 6);
  b[8] = h.ttl ?? 64;
  b[9] = h.protocol;
  addr(h.src ?? '192.0.2.1').copy(b, 12);
  addr(h.dst ?? '192.0.2.2').copy(b, 16);
  opts.copy(b, 20);
  return Buffer.concat([b, payload]);
}

export interface V6 { src?: string; dst?: string; nextHeader: number; hopLimit?: number; payloadLength?: number }
export function ipv6(h: V6, payload: Buffer): Buffer {
  const b = Buffer.alloc(40);
  b.writeUInt32BE(0x60000000, 0);
  b.writeUInt16BE(h.payloadLength ?? payload.length, 4);
  b[6] = h.nextHeader;
  b[7] = h.hopLimit ?? 64;
  addr(h.src ?? '2001:db8::1').copy(b, 8);
  addr(h.dst ?? '2001:db8::2').copy(b, 24);
  return Buffer.concat([b, payload]);
}

/** IPv6 fragment header (8 octets). */
export function frag6(nextHeader: number, offset: number, more: boolean, id: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = nextHeader;
  b.writeUInt16BE(offset | (more ? 1 : 0), 2);
  b.writeUInt32BE(id, 4);
  return b;
}

export function udp(srcPort: number, dstPort: number, payload: Buffer, length?: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16BE(srcPort, 0);
  b.writeUInt16BE(dstPort, 2);
  b.writeUInt16BE(length ?? 8 + payload.length, 4);
  return Buffer.concat([b, payload]);
}

export interface TcpH { sport: number; dport: number; seq?: number; ack?: number; flags?: number; window?: number; options?: Buffer }
export function tcp(h: TcpH, payload: Buffer = Buffer.alloc(0)): Buffer {
  const opts = h.options ?? Buffer.alloc(0);
  const b = Buffer.alloc(20);
  b.writeUInt16BE(h.sport, 0);
  b.writeUInt16BE(h.dport, 2);
  b.writeUInt32BE(h.seq ?? 0, 4);
  b.writeUInt32BE(h.ack ?? 0, 8);
  b[12] = ((20 + opts.length) / 4) << 4;
  b[13] = h.flags ?? 0x02;
  b.writeUInt16BE(h.window ?? 65535, 14);
  return Buffer.concat([b, opts, payload]);
}

/** A minimal DNS query for `name` (type A, class IN). */
export function dnsQuery(id: number, name: string, qtype = 1): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(id, 0);
  head.writeUInt16BE(0x0100, 2);
  head.writeUInt16BE(1, 4);
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(qtype, 1);
  tail.writeUInt16BE(1, 3);
  return Buffer.concat([head, ...labels, tail]);
}

let frameNo = 0;
export function frame(data: Buffer, linkType = 1, time = 1_000_000): Frame {
  return { index: ++frameNo, time, nanos: 0, linkType, caplen: data.length, origlen: data.length, iface: 0, data };
}
