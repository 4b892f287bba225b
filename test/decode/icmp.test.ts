import { describe, expect, it } from 'vitest';
import { Anomalies } from '../../src/core/index.js';
import { decodeIcmpv4, decodeIcmpv6 } from '../../src/decode/index.js';
import { hex, mutations } from '../support/hex.js';

const fragNeeded = hex`
  03 04 0000 0000 05d4                 // ICMP 3/4 fragmentation needed, next-hop MTU 1492
  45 00 05dc 1234 4000 40 06 0000      // quoted IPv4: total 1500, DF, TCP
  c0000201 c6336402                    // 192.0.2.1 → 198.51.100.2
  c350 01bb 000003e8                   // tcp 50000 → 443, seq 1000 (RFC 792: 8 octets)
`;
const ptb = hex`
  02 00 0000 000004d8                  // ICMPv6 Packet Too Big, MTU 1240
  6000 0000 05b0 2c 40                 // quoted IPv6: payload 1456, next header fragment
  20010db8000000000000000000000001     // 2001:db8::1
  20010db8000000000000000000000002     // 2001:db8::2
  06 00 0000 00000001                  // fragment: offset 0, M clear → TCP
  c350 01bb 000003e8                   // tcp 50000 → 443, seq 1000
`;
const ra = hex`
  86 00 0000 40 00 0708 00000000 00000000   // Router Advertisement: hop limit 64, lifetime 1800
  01 01 001122334455                        // option: source link-layer address
  05 01 0000 000005dc                       // option: MTU 1500
`;

describe('ICMPv4', () => {
  it('reads frag-needed with the next-hop MTU and the quoted 5-tuple and sequence', () => {
    const an = new Anomalies();
    expect(decodeIcmpv4(fragNeeded, 0, fragNeeded.length, an)).toEqual({
      version: 4, kind: 'frag-needed', type: 3, code: 4, mtu: 1492,
      quoted: { version: 4, src: '192.0.2.1', dst: '198.51.100.2', protocol: 6, length: 1500, srcPort: 50000, dstPort: 443, tcpSeq: 1000, truncated: false },
    });
    expect(an.total).toBe(0);
  });
  it('keeps the ports when the quote stops before the sequence number', () => {
    const q = decodeIcmpv4(fragNeeded, 0, fragNeeded.length - 4, new Anomalies())!.quoted!;
    expect([q.srcPort, q.dstPort, q.tcpSeq, q.truncated]).toEqual([50000, 443, undefined, false]);
  });
  it('marks a quote cut before the ports', () => {
    const q = decodeIcmpv4(fragNeeded, 0, 30, new Anomalies())!.quoted!;
    expect([q.srcPort, q.truncated]).toEqual([undefined, true]);
  });
  it('has no MTU for other unreachable codes, and no quote for echo', () => {
    const b = Buffer.from(fragNeeded); b[1] = 3;
    expect(decodeIcmpv4(b, 0, b.length, new Anomalies())).toMatchObject({ kind: 'unreachable', mtu: undefined });
    expect(decodeIcmpv4(hex`08 00 0000 0001 0001`, 0, 8, new Anomalies())).toMatchObject({ kind: 'echo-request', quoted: undefined });
  });
  it('notes an error without a quoted header', () => {
    const an = new Anomalies();
    expect(decodeIcmpv4(fragNeeded, 0, 12, an)?.quoted).toBeUndefined();
    expect(an.get('icmp.bad_quote')).toBe(1);
  });
});

describe('ICMPv6', () => {
  it('reads Packet Too Big, walking the quoted extension headers to the TCP ports', () => {
    const an = new Anomalies();
    expect(decodeIcmpv6(ptb, 0, ptb.length, an)).toEqual({
      version: 6, kind: 'packet-too-big', type: 2, code: 0, mtu: 1240,
      quoted: { version: 6, src: '2001:db8::1', dst: '2001:db8::2', protocol: 6, length: 1496, srcPort: 50000, dstPort: 443, tcpSeq: 1000, truncated: false },
    });
    expect(an.get('icmpv6.ptb_below_min_mtu')).toBe(1); // RFC 8201: noted, still returned
  });
  it('a quote cut inside the TCP header keeps what it has', () => {
    const q = decodeIcmpv6(ptb, 0, ptb.length - 2, new Anomalies())!.quoted!;
    expect([q.srcPort, q.dstPort, q.tcpSeq]).toEqual([50000, 443, undefined]);
    const cut = decodeIcmpv6(ptb, 0, ptb.length - 6, new Anomalies())!.quoted!;
    expect([cut.src, cut.srcPort, cut.truncated]).toEqual(['2001:db8::1', undefined, true]);
  });
  it('no ports in a non-first quoted fragment', () => {
    const b = Buffer.from(ptb); b.writeUInt16BE(0x0010, 50);
    expect(decodeIcmpv6(b, 0, b.length, new Anomalies())!.quoted!.srcPort).toBeUndefined();
  });
  it('reads the Router Advertisement MTU option', () => {
    expect(decodeIcmpv6(ra, 0, ra.length, new Anomalies())).toEqual({ version: 6, kind: 'router-advertisement', type: 134, code: 0, mtu: 1500, quoted: undefined });
  });
  it.each([
    [1, 4, 'unreachable'], [3, 0, 'time-exceeded'], [4, 1, 'parameter-problem'], [128, 0, 'echo-request'], [129, 0, 'echo-reply'], [135, 0, 'neighbor-discovery'], [200, 0, 'other'],
  ] as const)('type %i code %i is %s', (type, code, kind) => {
    const b = Buffer.from(ptb); b[0] = type; b[1] = code;
    const m = decodeIcmpv6(b, 0, b.length, new Anomalies())!;
    expect([m.kind, m.code, m.mtu, m.quoted === undefined]).toEqual([kind, code, undefined, type >= 128]);
  });
  it('never throws on prefixes and mutations', () => {
    for (const f of [fragNeeded, ptb, ra]) {
      for (let n = 0; n <= f.length; n++) {
        expect(() => { decodeIcmpv4(f, 0, n, new Anomalies()); decodeIcmpv6(f, 0, n, new Anomalies()); }).not.toThrow();
      }
      for (const m of mutations(f, 2000, 5)) { decodeIcmpv4(m, 0, m.length, new Anomalies()); decodeIcmpv6(m, 0, m.length, new Anomalies()); }
    }
  });
});
