import { describe, expect, it } from 'vitest';
import { Anomalies } from '../../src/core/index.js';
import { decodeEthernet, decodeNull, decodeRaw, decodeSll, decodeSll2, EtherType, LinkType } from '../../src/decode/index.js';
import { hex, mutations } from '../support/hex.js';

const qinq = hex`
  ffffffffffff 001122334455   // ethernet: broadcast ← 00:11:22:33:44:55
  88a8 0064                   // 802.1ad S-tag, VLAN 100
  8100 00c8                   // 802.1Q C-tag, VLAN 200
  86dd                        // IPv6
  60000000 0000 3b 40         // (start of an IPv6 header)
`;
const pppoe = hex`
  ffffffffffff 001122334455 8864  // ethernet → PPPoE session
  11 00 1234 0016                 // ver/type 1/1, code 0 (session), session 0x1234, length 22
  0021                            // PPP: IPv4
  45000014                        // (start of an IPv4 header)
`;
const pppoeV6Vlan = hex`
  ffffffffffff 001122334455 8100 0005  // VLAN 5
  8864 11 00 0001 0030 0057            // PPPoE → PPP IPv6
  60
`;
const sll = hex`
  0000 0001 0006 001122334455 0000    // SLL: host, ARPHRD_ETHER, 6-octet address
  0800                                // IPv4
  45
`;
const sll2 = hex`
  86dd 0000 00000002 0001 04 06 001122334455 0000   // SLL2: IPv6, if 2, ARPHRD_ETHER, outgoing
  60
`;

describe('link layer', () => {
  it('follows stacked 802.1ad/802.1Q tags and keeps the outer VLAN id', () => {
    const an = new Anomalies();
    expect(decodeEthernet(qinq, an)).toEqual({ etherType: EtherType.IPv6, offset: 22, vlan: 100 });
  });
  it('accepts the pre-standard 0x9100 QinQ tag', () => {
    const b = Buffer.from(qinq); b.writeUInt16BE(0x9100, 12);
    expect(decodeEthernet(b, new Anomalies())?.etherType).toBe(EtherType.IPv6);
  });
  it('bounds the tag stack', () => {
    const an = new Anomalies();
    const tags = Buffer.concat([Buffer.alloc(12), ...Array.from({ length: 12 }, () => hex`8100 0001`), hex`0800 45`]);
    expect(decodeEthernet(tags, an)).toBeUndefined();
    expect(an.get('link.too_many_vlan_tags')).toBe(1);
  });
  it('unwraps PPPoE sessions carrying PPP IPv4 and IPv6', () => {
    expect(decodeEthernet(pppoe, new Anomalies())).toEqual({ etherType: EtherType.IPv4, offset: 22, vlan: undefined });
    expect(decodeEthernet(pppoeV6Vlan, new Anomalies())).toEqual({ etherType: EtherType.IPv6, offset: 26, vlan: 5 });
  });
  it('notes a PPPoE header that is not a session header', () => {
    const an = new Anomalies();
    const b = Buffer.from(pppoe); b[15] = 0x09; // PADI code
    expect(decodeEthernet(b, an)).toBeUndefined();
    expect(an.get('link.bad_pppoe')).toBe(1);
  });
  it('reads Linux cooked v1 and v2 headers', () => {
    expect(decodeSll(sll, new Anomalies())).toEqual({ etherType: EtherType.IPv4, offset: 16, vlan: undefined });
    expect(decodeSll2(sll2, new Anomalies())).toEqual({ etherType: EtherType.IPv6, offset: 20, vlan: undefined });
  });
  it.each([
    ['NULL little-endian AF_INET', hex`02000000 45`, EtherType.IPv4],
    ['NULL big-endian AF_INET', hex`00000002 45`, EtherType.IPv4],
    ['AF_INET6 NetBSD/OpenBSD 24', hex`18000000 60`, EtherType.IPv6],
    ['AF_INET6 FreeBSD 28', hex`1c000000 60`, EtherType.IPv6],
    ['AF_INET6 Darwin 30', hex`1e000000 60`, EtherType.IPv6],
    ['LOOP network order 30', hex`0000001e 60`, EtherType.IPv6],
  ])('reads BSD loopback: %s', (_name, b, etherType) => {
    expect(decodeNull(b, new Anomalies())).toEqual({ etherType, offset: 4, vlan: undefined });
  });
  it('notes an unknown address family', () => {
    const an = new Anomalies();
    expect(decodeNull(hex`07000000 45`, an)).toBeUndefined();
    expect(an.get('link.unknown_ethertype')).toBe(1);
  });
  it('reads raw IP by version nibble (101, 12, 14) and fixed version (228/229)', () => {
    const an = new Anomalies();
    expect(decodeRaw(hex`45`, LinkType.RAW, an)?.etherType).toBe(EtherType.IPv4);
    expect(decodeRaw(hex`60`, LinkType.RAW_BSD, an)?.etherType).toBe(EtherType.IPv6);
    expect(decodeRaw(hex`60`, LinkType.RAW_OPENBSD, an)?.etherType).toBe(EtherType.IPv6);
    expect(decodeRaw(hex`60`, LinkType.IPV4, an)?.etherType).toBe(EtherType.IPv4); // the IP decoder will object
    // DLT 12 on OpenBSD is LOOP: a 4-octet network-order AF.
    expect(decodeRaw(hex`00000018 60`, LinkType.RAW_BSD, an)).toEqual({ etherType: EtherType.IPv6, offset: 4, vlan: undefined });
  });
  it('never throws on prefixes and mutations', () => {
    for (const f of [qinq, pppoe, pppoeV6Vlan, sll, sll2]) {
      for (let n = 0; n <= f.length; n++) {
        const an = new Anomalies();
        const p = f.subarray(0, n);
        expect(() => { decodeEthernet(p, an); decodeSll(p, an); decodeSll2(p, an); decodeNull(p, an); decodeRaw(p, 12, an); }).not.toThrow();
      }
      for (const m of mutations(f, 2000, 7)) {
        const an = new Anomalies();
        decodeEthernet(m, an); decodeSll(m, an); decodeSll2(m, an); decodeNull(m, an); decodeRaw(m, 12, an);
      }
    }
  });
  it('notes short headers', () => {
    const an = new Anomalies();
    expect(decodeEthernet(qinq.subarray(0, 13), an)).toBeUndefined();
    expect(decodeEthernet(qinq.subarray(0, 17), an)).toBeUndefined();
    expect(an.get('link.short_header')).toBe(2);
  });
});
