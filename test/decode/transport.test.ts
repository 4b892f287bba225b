import { describe, expect, it } from 'vitest';
import { Anomalies } from '../../src/core/index.js';
import { decodeTcp, decodeUdp, TcpFlag } from '../../src/decode/index.js';
import { hex, mutations } from '../support/hex.js';

const syn = hex`
  c350 01bb 000003e8 00000000   // tcp: 50000 → 443, seq 1000, ack 0
  d0 02 faf0 0000 0000          // data offset 13 (52 octets), SYN, window 64240
  0204 05b4                     // MSS 1460
  0402                          // SACK permitted
  080a 00000001 00000000        // timestamps 1 / 0
  01                            // NOP
  0303 07                       // window scale 7
  050a 000007d0 00000bb8        // SACK 2000–3000
  00 00                         // EOL, padding
`;
const udp = hex`
  9c40 0035 000c 0000   // udp: 40000 → 53, length 12, no checksum
  dead beef             // payload
`;

describe('UDP', () => {
  it('reads ports and length', () => {
    expect(decodeUdp(udp, 0, udp.length, new Anomalies())).toEqual({ srcPort: 40000, dstPort: 53, length: 12, truncated: false });
  });
  it('is truncated when the capture holds less than the length', () => {
    expect(decodeUdp(udp, 0, 10, new Anomalies())?.truncated).toBe(true);
  });
  it('notes short headers and lengths below 8', () => {
    const an = new Anomalies();
    expect(decodeUdp(udp, 0, 7, an)).toBeUndefined();
    const b = Buffer.from(udp); b.writeUInt16BE(4, 4);
    expect(decodeUdp(b, 0, b.length, an)).toBeUndefined();
    expect([an.get('udp.short_header'), an.get('udp.bad_length')]).toEqual([1, 1]);
  });
});

describe('TCP', () => {
  it('reads every option', () => {
    const an = new Anomalies();
    expect(decodeTcp(syn, 0, syn.length, syn.length, an)).toEqual({
      srcPort: 50000, dstPort: 443, seq: 1000, ack: 0, flags: TcpFlag.SYN, window: 64240, headerLength: 52, payloadLength: 0,
      mss: 1460, windowScale: 7, sackPermitted: true, sack: [2000, 3000], tsVal: 1, tsEcr: 0, truncated: false,
    });
    expect(an.total).toBe(0);
  });
  it('takes the payload length from the IP length, not the capture', () => {
    const t = decodeTcp(syn, 0, syn.length, syn.length + 1400, new Anomalies())!;
    expect(t.payloadLength).toBe(1400);
    expect(t.truncated).toBe(true);
  });
  it('keeps options parsed before a malformed one', () => {
    const b = Buffer.from(syn); b[27] = 0; // SACK-permitted's successor (timestamps) gets length 0
    const an = new Anomalies();
    const t = decodeTcp(b, 0, b.length, b.length, an)!;
    expect(t.mss).toBe(1460);
    expect(t.sackPermitted).toBe(true);
    expect(t.windowScale).toBeUndefined();
    expect(an.get('tcp.bad_option')).toBe(1);
  });
  it('notes a known option with the wrong length and walks on', () => {
    const b = Buffer.from(syn); b[21] = 3; b[23] = 1; // MSS length 3, then a NOP where its last octet was
    const an = new Anomalies();
    const t = decodeTcp(b, 0, b.length, b.length, an)!;
    expect(t.mss).toBeUndefined();
    expect(t.windowScale).toBe(7);
    expect(an.get('tcp.bad_option')).toBe(1);
  });
  it('reads what the capture holds of the options without calling it malformed', () => {
    const an = new Anomalies();
    const t = decodeTcp(syn, 0, 30, syn.length, an)!;
    expect(t.mss).toBe(1460);
    expect(t.tsVal).toBeUndefined();
    expect(an.total).toBe(0);
  });
  it('notes a data offset below 5 or beyond the segment', () => {
    const an = new Anomalies();
    const b = Buffer.from(syn); b[12] = 0x40;
    expect(decodeTcp(b, 0, b.length, b.length, an)).toBeUndefined();
    expect(decodeTcp(syn, 0, syn.length, 40, an)).toBeUndefined();
    expect(an.get('tcp.bad_data_offset')).toBe(2);
  });
  it('never throws on prefixes and mutations', () => {
    for (const f of [syn, udp]) {
      for (let n = 0; n <= f.length; n++) {
        expect(() => { decodeTcp(f, 0, n, f.length, new Anomalies()); decodeUdp(f, 0, n, new Anomalies()); }).not.toThrow();
      }
      for (const m of mutations(f, 2000, 3)) { decodeTcp(m, 0, m.length, m.length, new Anomalies()); decodeUdp(m, 0, m.length, new Anomalies()); }
    }
  });
});
