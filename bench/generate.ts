// Writes a large, realistic mixed capture for the benchmark: dual-stack DNS (A + AAAA from one
// socket, answered), TCP connections with MSS options, full-size data segments and ACKs, and the
// odd ICMPv6 Packet Too Big — classic pcap, Ethernet, µs. Frames are built from templates and
// patched in place, so generating millions takes seconds.
import { closeSync, openSync, writeSync } from 'node:fs';

const ETH_V4 = Buffer.from('020000000002020000000001' + '0800', 'hex');
const ETH_V6 = Buffer.from('020000000002020000000001' + '86dd', 'hex');

function ipv4(src: number, dst: number, proto: number, payloadLen: number): Buffer {
  const b = Buffer.alloc(20);
  b[0] = 0x45;
  b.writeUInt16BE(20 + payloadLen, 2);
  b.writeUInt16BE(0x4000, 6); // DF
  b[8] = 64;
  b[9] = proto;
  b.writeUInt32BE(src, 12);
  b.writeUInt32BE(dst, 16);
  return b;
}

function ipv6(src: Buffer, dst: Buffer, next: number, payloadLen: number): Buffer {
  const b = Buffer.alloc(40);
  b.writeUInt32BE(0x60000000, 0);
  b.writeUInt16BE(payloadLen, 4);
  b[6] = next;
  b[7] = 64;
  src.copy(b, 8);
  dst.copy(b, 24);
  return b;
}

const v6 = (last: number, net = 1): Buffer => {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(0x20010db8, 0);
  b.writeUInt16BE(net, 4);
  b.writeUInt16BE(last, 14);
  return b;
};

function udp(sport: number, dport: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16BE(sport, 0);
  b.writeUInt16BE(dport, 2);
  b.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([b, payload]);
}

function dnsName(name: string): Buffer {
  const parts = name.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

function dnsQuery(id: number, name: string, qtype: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(0x0100, 2);
  h.writeUInt16BE(1, 4);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(qtype, 0);
  q.writeUInt16BE(1, 2);
  return Buffer.concat([h, dnsName(name), q]);
}

function dnsResponse(id: number, name: string, qtype: number): Buffer {
  const query = dnsQuery(id, name, qtype);
  query.writeUInt16BE(0x8180, 2);
  query.writeUInt16BE(1, 6);
  const rdata = qtype === 28 ? v6(0x80, 9) : Buffer.from([192, 0, 2, 80]);
  const rr = Buffer.alloc(12);
  rr.writeUInt16BE(0xc00c, 0);
  rr.writeUInt16BE(qtype, 2);
  rr.writeUInt16BE(1, 4);
  rr.writeUInt32BE(300, 6);
  rr.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([query, rr, rdata]);
}

function tcp(sport: number, dport: number, seq: number, ack: number, flags: number, payloadLen: number, mss?: number): Buffer {
  const opts = mss !== undefined ? Buffer.from([2, 4, mss >> 8, mss & 0xff, 4, 2, 1, 3, 3, 7, 1, 1]) : Buffer.alloc(0);
  const b = Buffer.alloc(20 + opts.length + payloadLen);
  b.writeUInt16BE(sport, 0);
  b.writeUInt16BE(dport, 2);
  b.writeUInt32BE(seq >>> 0, 4);
  b.writeUInt32BE(ack >>> 0, 8);
  b[12] = ((20 + opts.length) / 4) << 4;
  b[13] = flags;
  b.writeUInt16BE(502, 14);
  opts.copy(b, 20);
  return b;
}

export interface GenerateResult {
  packets: number;
  bytes: number;
}

/** Writes about `target` packets to `path`. */
export function generateCapture(path: string, target: number): GenerateResult {
  const fd = openSync(path, 'w');
  const out = Buffer.alloc(8 << 20);
  let used = 0;
  let bytes = 0;
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b2c3d4, 0);
  hdr.writeUInt16LE(2, 4);
  hdr.writeUInt16LE(4, 6);
  hdr.writeUInt32LE(262144, 16);
  hdr.writeUInt32LE(1, 20);
  writeSync(fd, hdr);
  bytes += 24;
  let t = 1_700_000_000_000_000;
  let packets = 0;
  const emit = (frame: Buffer, gapMicros: number): void => {
    t += gapMicros;
    if (used + 16 + frame.length > out.length) {
      writeSync(fd, out, 0, used);
      used = 0;
    }
    const sec = Math.floor(t / 1e6);
    out.writeUInt32LE(sec, used);
    out.writeUInt32LE(t - sec * 1e6, used + 4);
    out.writeUInt32LE(frame.length, used + 8);
    out.writeUInt32LE(frame.length, used + 12);
    frame.copy(out, used + 16);
    used += 16 + frame.length;
    bytes += 16 + frame.length;
    packets++;
  };
  const clientV6 = v6(0x10);
  const resolverV6 = v6(0x53, 2);
  const serverV6 = v6(0x80, 9);
  const clientV4 = 0xc0000210; // 192.0.2.16
  const resolverV4 = 0xc6336435; // 198.51.100.53
  const payload1440 = 1440;
  let round = 0;
  while (packets < target) {
    round++;
    const name = `host${round % 5000}.example.test`;
    const port = 20000 + (round % 40000);
    const idA = round & 0xffff;
    const idAAAA = (round * 7 + 1) & 0xffff;
    // Dual-stack lookup: A and AAAA from one socket, both answered (v6 transport every other round).
    if (round % 2 === 0) {
      for (const [id, qt] of [[idA, 1], [idAAAA, 28]] as const) {
        const q = udp(port, 53, dnsQuery(id, name, qt));
        emit(Buffer.concat([ETH_V6, ipv6(clientV6, resolverV6, 17, q.length), q]), 30);
      }
      for (const [id, qt] of [[idA, 1], [idAAAA, 28]] as const) {
        const r = udp(53, port, dnsResponse(id, name, qt));
        emit(Buffer.concat([ETH_V6, ipv6(resolverV6, clientV6, 17, r.length), r]), 400);
      }
    } else {
      for (const [id, qt] of [[idA, 1], [idAAAA, 28]] as const) {
        const q = udp(port, 53, dnsQuery(id, name, qt));
        emit(Buffer.concat([ETH_V4, ipv4(clientV4, resolverV4, 17, q.length), q]), 30);
      }
      for (const [id, qt] of [[idA, 1], [idAAAA, 28]] as const) {
        const r = udp(53, port, dnsResponse(id, name, qt));
        emit(Buffer.concat([ETH_V4, ipv4(resolverV4, clientV4, 17, r.length), r]), 400);
      }
    }
    // A short TCP connection over IPv6: handshake with MSS, a request, 4 full-size segments, ACKs, FIN.
    const cport = 30000 + (round % 30000);
    const c = (seq: number, ack: number, flags: number, len: number, mss?: number): Buffer => {
      const s = tcp(cport, 443, seq, ack, flags, len, mss);
      return Buffer.concat([ETH_V6, ipv6(clientV6, serverV6, 6, s.length), s]);
    };
    const s = (seq: number, ack: number, flags: number, len: number, mss?: number): Buffer => {
      const x = tcp(443, cport, seq, ack, flags, len, mss);
      return Buffer.concat([ETH_V6, ipv6(serverV6, clientV6, 6, x.length), x]);
    };
    const isn = round * 1000;
    const sisn = round * 3000;
    emit(c(isn, 0, 0x02, 0, 1440), 100);
    emit(s(sisn, isn + 1, 0x12, 0, 1440), 800);
    emit(c(isn + 1, sisn + 1, 0x10, 0), 50);
    emit(c(isn + 1, sisn + 1, 0x18, 200), 20);
    let seq = sisn + 1;
    for (let k = 0; k < 4; k++) {
      emit(s(seq, isn + 201, 0x10, payload1440), 40);
      seq += payload1440;
      if (k % 2 === 1) emit(c(isn + 201, seq, 0x10, 0), 30);
    }
    emit(c(isn + 201, seq, 0x11, 0), 30);
    emit(s(seq, isn + 202, 0x11, 0), 300);
    emit(c(isn + 202, seq + 1, 0x10, 0), 30);
    // Now and then a Packet Too Big quoting the last data segment.
    if (round % 50 === 0) {
      const quoted = s(seq - payload1440, isn + 201, 0x10, payload1440).subarray(14, 14 + 1232);
      const icmp = Buffer.alloc(8);
      icmp[0] = 2;
      icmp.writeUInt32BE(1400, 4);
      const body = Buffer.concat([icmp, quoted]);
      emit(Buffer.concat([ETH_V6, ipv6(v6(1, 5), serverV6, 58, body.length), body]), 50);
    }
  }
  writeSync(fd, out, 0, used);
  closeSync(fd);
  return { packets, bytes };
}
