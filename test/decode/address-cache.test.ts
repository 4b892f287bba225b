// The decoder's address caches must give exactly core's text for every address, including after a
// slot was taken by another address and when two addresses share a slot in turn.
import { describe, expect, it } from 'vitest';
import { ipv4Text, ipv6Text } from '../../src/core/index.js';
import { ipv4TextCached, ipv6TextCached } from '../../src/decode/address-cache.js';
import { seeded } from '../support/hex.js';

describe('address caches', () => {
  it('IPv4: the same text as ipv4Text for 20,000 random addresses, each asked twice apart', () => {
    const rnd = seeded(4);
    const b = Buffer.alloc(4 * 20_000);
    for (let i = 0; i < b.length; i++) b[i] = Math.floor(rnd() * 256);
    for (let pass = 0; pass < 2; pass++) {
      for (let o = 0; o < b.length; o += 4) expect(ipv4TextCached(b, o)).toBe(ipv4Text(b, o));
    }
  });

  it('IPv6: the same text as ipv6Text for 20,000 addresses differing in one word, zero runs included', () => {
    const rnd = seeded(6);
    const b = Buffer.alloc(16 * 20_000);
    for (let o = 0; o < b.length; o += 16) {
      b.writeUInt32BE(0x20010db8, o);
      const word = 4 * (1 + Math.floor(rnd() * 3));
      b.writeUInt32BE(Math.floor(rnd() * 0x100000000), o + word);
      if (rnd() < 0.3) b.writeUInt32BE(0xfe800000, o); // ≥ 2^31 as an unsigned word
    }
    for (let pass = 0; pass < 2; pass++) {
      for (let o = 0; o < b.length; o += 16) expect(ipv6TextCached(b, o)).toBe(ipv6Text(b, o));
    }
  });
});
