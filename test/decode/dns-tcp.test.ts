import { describe, expect, it } from 'vitest';
import { Anomalies } from '../../src/core/index.js';
import { DnsTcpReassembler } from '../../src/decode/dns-tcp.js';
import { NO_DNS, TcpFlag } from '../../src/decode/types.js';
import { hex, seeded } from '../support/hex.js';

const PA = TcpFlag.PSH | TcpFlag.ACK;

/** A DNS query for `name` A IN, with the RFC 1035 §4.2.2 two-octet length in front. */
function framed(id: number, name: string): Buffer {
  const labels = Buffer.concat([...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), hex`00`]);
  const msg = Buffer.concat([hex`${id.toString(16).padStart(4, '0')} 0100 0001 0000 0000 0000`, labels, hex`0001 0001`]);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

const q1 = framed(0x1111, 'one.example');
const q2 = framed(0x2222, 'two.example');
const q3 = framed(0x3333, 'three.example');
const ISN = 1000;
const K = 'c→s';

function opened(anomalies = new Anomalies(), options = {}): DnsTcpReassembler {
  const r = new DnsTcpReassembler(anomalies, options);
  expect(r.segment(K, ISN, TcpFlag.SYN, Buffer.alloc(0), 0)).toBe(NO_DNS);
  return r;
}
const ids = (ms: readonly { id: number }[]) => ms.map((m) => m.id);

describe('DnsTcpReassembler', () => {
  it('decodes a message in one segment after the SYN (data starts at seq + 1)', () => {
    const r = opened();
    const out = r.segment(K, ISN + 1, PA, q1, 1);
    expect(ids(out)).toEqual([0x1111]);
    expect(out[0]!.transport).toBe('tcp');
    expect(out[0]!.question?.name).toBe('one.example');
    expect(out[0]!.size).toBe(q1.length - 2);
  });

  it('several messages in one segment come out in order', () => {
    const r = opened();
    expect(ids(r.segment(K, ISN + 1, PA, Buffer.concat([q1, q2, q3]), 1))).toEqual([0x1111, 0x2222, 0x3333]);
  });

  it('a message split at every point completes on the second piece, and nothing before', () => {
    const stream = Buffer.concat([q1, q2]);
    for (let cut = 1; cut < stream.length; cut++) {
      const r = opened();
      const first = r.segment(K, ISN + 1, PA, stream.subarray(0, cut), 1);
      const second = r.segment(K, ISN + 1 + cut, PA, stream.subarray(cut), 2);
      expect([...ids(first), ...ids(second)]).toEqual([0x1111, 0x2222]);
      expect(ids(first)).toEqual(cut >= q1.length ? [0x1111] : []);
      if (first.length === 0) expect(first).toBe(NO_DNS);
    }
  });

  it('every split into three pieces gives the same messages', () => {
    const stream = Buffer.concat([q1, q2]);
    for (let i = 1; i < stream.length - 1; i++) {
      for (let j = i + 1; j < stream.length; j++) {
        const r = opened();
        const got = [
          ...r.segment(K, ISN + 1, PA, stream.subarray(0, i), 1),
          ...r.segment(K, ISN + 1 + i, PA, stream.subarray(i, j), 2),
          ...r.segment(K, ISN + 1 + j, PA, stream.subarray(j), 3),
        ];
        expect(ids(got)).toEqual([0x1111, 0x2222]);
      }
    }
  });

  it('copies what it keeps: the caller may reuse the payload buffer', () => {
    const r = opened();
    const scratch = Buffer.from(q1);
    r.segment(K, ISN + 1, PA, scratch.subarray(0, 10), 1);
    scratch.fill(0xee); // the reader reuses its buffer
    const out = r.segment(K, ISN + 11, PA, q1.subarray(10), 2);
    expect(out[0]?.question?.name).toBe('one.example');
  });

  it('ignores a retransmitted segment and takes only new bytes from an overlapping one', () => {
    const r = opened();
    expect(ids(r.segment(K, ISN + 1, PA, q1, 1))).toEqual([0x1111]);
    expect(r.segment(K, ISN + 1, PA, q1, 2)).toBe(NO_DNS); // same seq again
    const both = Buffer.concat([q1, q2]);
    expect(ids(r.segment(K, ISN + 1, PA, both, 3))).toEqual([0x2222]); // overlaps q1, adds q2
  });

  it('waits for a hole inside a message to fill (out of order)', () => {
    const a = new Anomalies();
    const r = opened(a);
    const stream = Buffer.concat([q1, q2]);
    const cut = 10;
    expect(r.segment(K, ISN + 1 + cut, PA, stream.subarray(cut), 1)).toBe(NO_DNS);
    expect(ids(r.segment(K, ISN + 1, PA, stream.subarray(0, cut), 2))).toEqual([0x1111, 0x2222]);
    expect(a.get('dns.tcp_stream_gap')).toBe(0);
  });

  it('after a lost segment, notes a gap and resumes at the next message', () => {
    const a = new Anomalies();
    const r = opened(a);
    // q1 is lost after its first 10 bytes; q2 follows in its own segment.
    expect(r.segment(K, ISN + 1, PA, q1.subarray(0, 10), 1)).toBe(NO_DNS);
    expect(ids(r.segment(K, ISN + 1 + q1.length, PA, q2, 2))).toEqual([0x2222]);
    expect(a.get('dns.tcp_stream_gap')).toBe(1);
    expect(ids(r.segment(K, ISN + 1 + q1.length + q2.length, PA, q3, 3))).toEqual([0x3333]);
  });

  it('resumes at a lone length prefix followed by the rest of its message', () => {
    const a = new Anomalies();
    const r = opened(a);
    r.segment(K, ISN + 1, PA, q1, 1);
    const at = ISN + 1 + q1.length + 50; // 50 bytes never captured
    expect(r.segment(K, at, PA, q2.subarray(0, 2), 2)).toBe(NO_DNS);
    expect(ids(r.segment(K, at + 2, PA, q2.subarray(2), 3))).toEqual([0x2222]);
    expect(a.get('dns.tcp_stream_gap')).toBe(1);
  });

  it('decodes a reordered message that arrives after the one behind it', () => {
    const r = opened();
    expect(ids(r.segment(K, ISN + 1 + q1.length, PA, q2, 1))).toEqual([0x2222]);
    expect(ids(r.segment(K, ISN + 1, PA, q1, 2))).toEqual([0x1111]);
  });

  it('picks up a stream without SYN, skipping a segment that starts mid-message', () => {
    const r = new DnsTcpReassembler(new Anomalies());
    expect(r.segment(K, 5000, PA, q1.subarray(2), 1)).toBe(NO_DNS); // its length prefix was never seen
    expect(ids(r.segment(K, 5000 + q1.length - 2, PA, q2, 2))).toEqual([0x2222]);
  });

  it('counts sequence numbers modulo 2^32', () => {
    const r = new DnsTcpReassembler(new Anomalies());
    const isn = 0xffffffff - 5;
    r.segment(K, isn, TcpFlag.SYN, Buffer.alloc(0), 0);
    const stream = Buffer.concat([q1, q2]);
    expect(r.segment(K, (isn + 1) >>> 0, PA, stream.subarray(0, 20), 1)).toBe(NO_DNS);
    expect(ids(r.segment(K, (isn + 21) >>> 0, PA, stream.subarray(20), 2))).toEqual([0x1111, 0x2222]);
  });

  it('keeps directions apart', () => {
    const r = new DnsTcpReassembler(new Anomalies());
    r.segment('a', 1, TcpFlag.SYN, Buffer.alloc(0), 0);
    r.segment('b', 9, TcpFlag.SYN, Buffer.alloc(0), 0);
    expect(r.segment('a', 2, PA, q1.subarray(0, 5), 1)).toBe(NO_DNS);
    expect(ids(r.segment('b', 10, PA, q2, 2))).toEqual([0x2222]);
    expect(ids(r.segment('a', 7, PA, q1.subarray(5), 3))).toEqual([0x1111]);
  });

  it('FIN ends a stream; a message left unfinished is counted', () => {
    const a = new Anomalies();
    const r = opened(a);
    r.segment(K, ISN + 1, PA | TcpFlag.FIN, q1.subarray(0, 8), 1);
    expect(r.streams).toBe(0);
    expect(a.get('dns.tcp_incomplete_message')).toBe(1);
    expect(r.bufferedBytes).toBe(0);
  });

  it('bounds streams: the least recently used goes first', () => {
    const a = new Anomalies();
    const r = new DnsTcpReassembler(a, { maxStreams: 2 });
    r.segment('s1', 1, PA, q1.subarray(0, 5), 1);
    r.segment('s2', 1, PA, q1.subarray(0, 5), 2);
    r.segment('s1', 6, PA, q1.subarray(5, 6), 3); // s1 is used again: s2 is now the oldest
    r.segment('s3', 1, PA, q1.subarray(0, 5), 4);
    expect(r.streams).toBe(2);
    expect(a.get('dns.tcp_state_limit')).toBe(1);
    expect(ids(r.segment('s1', 7, PA, q1.subarray(6), 5))).toEqual([0x1111]);
    expect(r.segment('s2', 6, PA, q1.subarray(5), 6)).toBe(NO_DNS); // s2 was dropped
  });

  it('bounds bytes held across streams', () => {
    const a = new Anomalies();
    const budget = 4096;
    const r = new DnsTcpReassembler(a, { maxBufferedBytes: budget });
    const big = Buffer.alloc(3000, 0x41);
    big.writeUInt16BE(20_000, 0); // a message far longer than what arrives
    big.writeUInt16BE(0x0100, 4);
    big.writeUInt16BE(1, 6);
    big.fill(0, 8, 14); // no records: a plausible message start
    for (let i = 0; i < 20; i++) {
      r.segment(`s${i}`, 1, PA, big, i);
      expect(r.bufferedBytes).toBeLessThanOrEqual(budget);
    }
    expect(a.get('dns.tcp_state_limit')).toBeGreaterThan(0);
  });

  it('expire drops idle streams on capture time', () => {
    const a = new Anomalies();
    const r = new DnsTcpReassembler(a, { idleTimeoutMicros: 1_000_000 });
    r.segment('old', 0, TcpFlag.SYN, Buffer.alloc(0), 0);
    r.segment('old', 1, PA, q1.subarray(0, 5), 0);
    r.segment('new', 0, TcpFlag.SYN, Buffer.alloc(0), 1_500_000);
    r.segment('new', 1, PA, q1.subarray(0, 5), 1_500_000);
    r.expire(2_000_000);
    expect(r.streams).toBe(1);
    expect(a.get('dns.tcp_incomplete_message')).toBe(1);
    r.finish();
    expect(r.streams).toBe(0);
    expect(r.bufferedBytes).toBe(0);
  });

  it('never throws on random segments, and stays within its bounds', () => {
    const rnd = seeded(11);
    const r = new DnsTcpReassembler(new Anomalies(), { maxStreams: 8, maxBufferedBytes: 1 << 16 });
    const stream = Buffer.concat([q1, q2, q3]);
    for (let i = 0; i < 20_000; i++) {
      const key = `k${Math.floor(rnd() * 12)}`;
      const len = Math.floor(rnd() * 80);
      const payload = rnd() < 0.5 ? stream.subarray(0, len) : Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)));
      const seq = Math.floor(rnd() * 2 ** 32);
      const flags = Math.floor(rnd() * 256);
      expect(() => r.segment(key, seq, flags, payload, i)).not.toThrow();
      expect(r.streams).toBeLessThanOrEqual(8);
      expect(r.bufferedBytes).toBeLessThanOrEqual(1 << 16);
    }
  });
});
