// bench/decode-bench.ts: decode-only throughput of PacketDecoder, for the lead's `npm run bench`.
//
//   import { benchDecode, syntheticMix } from './decode-bench.js';
//   const r = benchDecode(frames);            // frames: Frame[] already in memory (e.g. from a reader)
//   r.packetsPerSecond                        // decode only: reading is not timed here
//
// `syntheticMix(n)` builds a typical dual-stack mix in memory (DNS A/AAAA over IPv4 and IPv6,
// TCP SYN with MSS/SACK/TS/WS, full-size TCP data with timestamps, ICMPv6 PTB, ARP).
// Run alone: `npm run build && node dist/bench/decode-bench.js [frames]`.
import { Anomalies, parseAddress } from '../src/core/index.js';
import { PacketDecoder } from '../src/decode/index.js';
import type { Frame } from '../src/readers/frame.js';

export interface DecodeBenchResult {
  readonly packets: number;
  readonly seconds: number;
  readonly packetsPerSecond: number;
  /** Packets that carried at least one DNS message (a check that the work was done). */
  readonly dnsPackets: number;
}

/** Decodes every frame `rounds` times with one PacketDecoder (after one warm-up pass). */
export function benchDecode(frames: readonly Frame[], rounds = 1): DecodeBenchResult {
  const warm = new PacketDecoder(new Anomalies());
  for (const f of frames) warm.decode(f);
  const d = new PacketDecoder(new Anomalies());
  let dnsPackets = 0;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < frames.length; i++) {
      const p = d.decode(frames[i]);
      if (p !== undefined && p.dns.length > 0) dnsPackets++;
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const packets = frames.length * rounds;
  return { packets, seconds, packetsPerSecond: packets / seconds, dnsPackets };
}

const a = (t: string): Buffer => parseAddress(t)!;
function ether(type: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(14, 0x02); h.writeUInt16BE(type, 12);
  return Buffer.concat([h, payload]);
}
function v4(proto: number, src: string, dst: string, payload: Buffer): Buffer {
  const h = Buffer.alloc(20); h[0] = 0x45; h.writeUInt16BE(20 + payload.length, 2); h[6] = 0x40; h[8] = 64; h[9] = proto;
  a(src).copy(h, 12); a(dst).copy(h, 16);
  return Buffer.concat([h, payload]);
}
function v6(nh: number, src: string, dst: string, payload: Buffer): Buffer {
  const h = Buffer.alloc(40); h[0] = 0x60; h.writeUInt16BE(payload.length, 4); h[6] = nh; h[7] = 64;
  a(src).copy(h, 8); a(dst).copy(h, 24);
  return Buffer.concat([h, payload]);
}
function udp(sp: number, dp: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8); h.writeUInt16BE(sp, 0); h.writeUInt16BE(dp, 2); h.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([h, payload]);
}
function tcp(sp: number, dp: number, flags: number, seq: number, options: Buffer, payloadLen: number): Buffer {
  const h = Buffer.alloc(20); h.writeUInt16BE(sp, 0); h.writeUInt16BE(dp, 2); h.writeUInt32BE(seq, 4); h[12] = ((20 + options.length) / 4) << 4; h[13] = flags; h.writeUInt16BE(502, 14);
  return Buffer.concat([h, options, Buffer.alloc(payloadLen)]);
}
function dns(id: number, response: boolean, qtype: number, name: string, answer?: Buffer): Buffer {
  const h = Buffer.alloc(12); h.writeUInt16BE(id, 0); h.writeUInt16BE(response ? 0x8180 : 0x0100, 2); h.writeUInt16BE(1, 4); h.writeUInt16BE(answer ? 1 : 0, 6);
  const q = Buffer.concat([...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0, qtype >> 8, qtype & 255, 0, 1])]);
  if (!answer) return Buffer.concat([h, q]);
  const rr = Buffer.alloc(12); rr.writeUInt16BE(0xc00c, 0); rr.writeUInt16BE(qtype, 2); rr.writeUInt16BE(1, 4); rr.writeUInt32BE(300, 6); rr.writeUInt16BE(answer.length, 10);
  return Buffer.concat([h, q, rr, answer]);
}

/** `n` frames of a typical dual-stack mix (about 30 % DNS, 60 % TCP, the rest ICMPv6 / ARP). */
export function syntheticMix(n: number): Frame[] {
  const synOpts = Buffer.from([2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]);
  const tsOpts = Buffer.from([1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 8]);
  const templates: Buffer[] = [];
  for (let i = 0; i < 16; i++) {
    const host = `host${i}.example.com`;
    const c4 = `192.0.2.${10 + i}`, c6 = `2001:db8::${(10 + i).toString(16)}`;
    templates.push(ether(0x0800, v4(17, c4, '198.51.100.53', udp(40000 + i, 53, dns(i, false, 1, host)))));
    templates.push(ether(0x0800, v4(17, '198.51.100.53', c4, udp(53, 40000 + i, dns(i, true, 1, host, a('203.0.113.7'))))));
    templates.push(ether(0x86dd, v6(17, c6, '2001:db8:53::53', udp(41000 + i, 53, dns(i, false, 28, host)))));
    templates.push(ether(0x86dd, v6(17, '2001:db8:53::53', c6, udp(53, 41000 + i, dns(i, true, 28, host, a('2001:db8:cafe::7'))))));
    templates.push(ether(0x86dd, v6(6, c6, '2001:db8:80::80', tcp(50000 + i, 443, 0x02, 1000, synOpts, 0))));
    for (let k = 0; k < 5; k++) templates.push(ether(0x86dd, v6(6, '2001:db8:80::80', c6, tcp(443, 50000 + i, 0x10, 1000 + k * 1428, tsOpts, 1408))));
    templates.push(ether(0x0800, v4(6, c4, '198.51.100.80', tcp(51000 + i, 443, 0x10, 5000, tsOpts, 1448))));
    templates.push(ether(0x0800, v4(6, '198.51.100.80', c4, tcp(443, 51000 + i, 0x18, 7000, tsOpts, 1448))));
    if (i % 4 === 0) {
      const quoted = v6(6, c6, '2001:db8:80::80', tcp(50000 + i, 443, 0x10, 1000, tsOpts, 1100)).subarray(0, 1232);
      const icmp = Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0x05, 0x00]), quoted]);
      templates.push(ether(0x86dd, v6(58, '2001:db8:ffff::1', c6, icmp)));
    }
    if (i % 8 === 0) templates.push(ether(0x0806, Buffer.alloc(28)));
  }
  const frames: Frame[] = [];
  for (let i = 0; i < n; i++) {
    const data = templates[i % templates.length];
    frames.push({ index: i + 1, time: 1_700_000_000_000_000 + i * 100, nanos: 0, linkType: 1, caplen: data.length, origlen: data.length, iface: 0, data });
  }
  return frames;
}

// Run alone: node dist/bench/decode-bench.js [frames]
if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const n = Number(process.argv[2] ?? 1_000_000);
  const frames = syntheticMix(n);
  const r = benchDecode(frames, 3);
  console.log(`decode only: ${r.packets} packets in ${r.seconds.toFixed(2)} s = ${(r.packetsPerSecond / 1e6).toFixed(2)} M packets/s (${r.dnsPackets} with DNS)`);
}
