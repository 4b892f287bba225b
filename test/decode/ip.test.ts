import { describe, expect, it } from 'vitest';
import { Anomalies } from '../../src/core/index.js';
import { decodeIpv4, decodeIpv6, walkIpv6Extensions } from '../../src/decode/index.js';
import { hex, mutations } from '../support/hex.js';

const v4 = hex`
  46 00 0020 abcd 6000 40 11 0000   // IPv4, IHL 6 (24 octets), total 32, id 0xabcd, DF+MF, offset 0, TTL 64, UDP
  c0000201 c0000202                 // 192.0.2.1 → 192.0.2.2
  94 04 0000                        // option: router alert (RFC 2113), length 4
  9c40 0035 0008 0000               // udp header (payload)
  0000                              // ethernet padding: not part of the datagram
`;
const v6 = hex`
  6000 0000 0030 00 40                       // IPv6, payload 48, next header hop-by-hop, hop limit 64
  20010db8000000000000000000000001           // 2001:db8::1
  20010db8000000000000000000000002           // 2001:db8::2
  2b 00 0104 00000000                        // hop-by-hop → routing, 8 octets (PadN)
  3c 00 00 00 00000000                       // routing type 0 → destination options, 8 octets
  33 00 0104 00000000                        // destination options → AH, 8 octets
  2c 01 0000 00000001 00000001               // AH (len 1: (1+2)×4 = 12 octets) → fragment
  11 00 0000 00000007                        // fragment: offset 0, M clear (atomic), id 7 → UDP
  0035 9c40 0004 0000                        // udp (4 octets of it)
`;

describe('IPv4', () => {
  it('reads addresses, flags, options, and ends at the total length (padding ignored)', () => {
    const an = new Anomalies();
    const ip = decodeIpv4(v4, 0, v4.length, an)!;
    expect(ip).toMatchObject({ src: '192.0.2.1', dst: '192.0.2.2', protocol: 17, ttl: 64, id: 0xabcd, dontFragment: true, moreFragments: true, fragmentOffset: 0, length: 32, headerLength: 24, optionsLength: 4, payloadOffset: 24, payloadEnd: 32, payloadLength: 8, truncated: false });
    expect(an.total).toBe(0);
  });
  it('marks a datagram longer than the capture as truncated', () => {
    const ip = decodeIpv4(v4, 0, 28, new Anomalies())!;
    expect(ip.truncated).toBe(true);
    expect(ip.payloadEnd).toBe(28);
    expect(ip.payloadLength).toBe(8);
  });
  it('reads the fragment offset in octets', () => {
    const b = Buffer.from(v4); b.writeUInt16BE(0x00b9, 6); // offset 185 × 8
    expect(decodeIpv4(b, 0, b.length, new Anomalies())).toMatchObject({ fragmentOffset: 1480, moreFragments: false, dontFragment: false });
  });
  it.each([
    ['a version other than 4', 0, 0x65, 'ipv4.bad_version'],
    ['IHL below 5', 0, 0x44, 'ipv4.bad_header_length'],
    ['total length below the header', 3, 0x10, 'ipv4.bad_total_length'],
  ] as const)('notes %s', (_n, at, value, anomaly) => {
    const b = Buffer.from(v4); b[at] = value;
    const an = new Anomalies();
    expect(decodeIpv4(b, 0, b.length, an)).toBeUndefined();
    expect(an.get(anomaly)).toBe(1);
  });
  it('notes a bad option but keeps the header', () => {
    const b = Buffer.from(v4); b[21] = 9; // option length runs past the header
    const an = new Anomalies();
    expect(decodeIpv4(b, 0, b.length, an)?.protocol).toBe(17);
    expect(an.get('ipv4.bad_option')).toBe(1);
  });
  it('takes a zero total length (TSO) as the captured length', () => {
    const b = Buffer.from(v4); b.writeUInt16BE(0, 2);
    const an = new Anomalies();
    expect(decodeIpv4(b, 0, b.length, an)?.length).toBe(b.length);
    expect(an.get('ipv4.bad_total_length')).toBe(1);
  });
});

describe('IPv6', () => {
  it('walks hop-by-hop, routing, destination options, AH and an atomic fragment to UDP', () => {
    const an = new Anomalies();
    const ip = decodeIpv6(v6, 0, v6.length, an)!;
    expect(ip).toMatchObject({ src: '2001:db8::1', dst: '2001:db8::2', hopLimit: 64, protocol: 17, headerLength: 84, offset: 84, length: 88, payloadLength: 4, hasFragmentHeader: true, fragmentOffset: 0, moreFragments: false, fragmentId: 7, incomplete: false, truncated: false });
    expect(an.total).toBe(0);
  });
  it('stops at a non-atomic fragment header with the fragment next header', () => {
    const b = Buffer.from(v6); b.writeUInt16BE(0x0009, 78); // offset 8 octets, M set
    const ip = decodeIpv6(b, 0, b.length, new Anomalies())!;
    expect(ip).toMatchObject({ protocol: 17, offset: 84, fragmentOffset: 8, moreFragments: true });
  });
  it('stops at ESP and at no-next-header', () => {
    const an = new Anomalies();
    expect(walkIpv6Extensions(hex`32 00 0000 00000000`, 0, 8, 0, an)).toMatchObject({ protocol: 50, offset: 8 });
    expect(walkIpv6Extensions(hex`3b 00 0000 00000000`, 0, 8, 60, an)).toMatchObject({ protocol: 59, offset: 8 });
  });
  it('bounds the chain', () => {
    const an = new Anomalies();
    const chain = Buffer.alloc(8 * 200); for (let i = 0; i < 200; i++) chain[i * 8] = 60;
    expect(walkIpv6Extensions(chain, 0, chain.length, 60, an).incomplete).toBe(true);
    expect(an.get('ipv6.too_many_extension_headers')).toBe(1);
  });
  it('cut inside the chain: truncated, not malformed', () => {
    const an = new Anomalies();
    const ip = decodeIpv6(v6, 0, 60, an)!;
    expect(ip).toMatchObject({ truncated: true, incomplete: true });
    expect(an.get('ipv6.bad_extension_header')).toBe(0);
  });
  it('a chain running past a complete datagram is malformed', () => {
    const b = Buffer.from(v6); b[41] = 200; // hop-by-hop length 201×8
    const an = new Anomalies();
    decodeIpv6(b, 0, b.length, an);
    expect(an.get('ipv6.bad_extension_header')).toBe(1);
  });
  it('reads the RFC 2675 jumbo payload length when the header says 0', () => {
    const b = hex`
      6000 0000 0000 00 40 ${Buffer.alloc(32)}   // payload length 0, hop-by-hop
      11 00 c2 04 00010010                       // HBH → UDP: jumbo payload 65552
    `;
    expect(decodeIpv6(b, 0, b.length, new Anomalies())).toMatchObject({ length: 40 + 65552, truncated: true, protocol: 17 });
  });
  it('notes a version other than 6', () => {
    const an = new Anomalies();
    expect(decodeIpv6(Buffer.from([0x45, ...Buffer.alloc(47)]), 0, 48, an)).toBeUndefined();
    expect(an.get('ipv6.bad_version')).toBe(1);
  });
  it('never throws on prefixes and mutations', () => {
    for (const f of [v4, v6]) {
      for (let n = 0; n <= f.length; n++) {
        const an = new Anomalies();
        expect(() => { decodeIpv4(f, 0, n, an); decodeIpv6(f, 0, n, an); }).not.toThrow();
      }
      for (const m of mutations(f, 2000, 11)) {
        const an = new Anomalies();
        expect(() => { decodeIpv4(m, 0, m.length, an); decodeIpv6(m, 0, m.length, an); }).not.toThrow();
      }
    }
  });
});
