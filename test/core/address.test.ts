import { describe, expect, it } from 'vitest';
import { canonicalAddress, inPrefix, ipv6Text, isLocalAddress, parseAddress, PrefixList } from '../../src/core/index.js';

describe('ipv6Text (RFC 5952)', () => {
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:0db8:0000:0001:0000:0000:0000:0001', '2001:db8:0:1::1'], // longest run wins
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'], // first of equal runs
    ['2001:0db8:0001:0001:0001:0001:0000:0001', '2001:db8:1:1:1:1:0:1'], // a single 0 stays
    ['0000:0000:0000:0000:0000:0000:0000:0000', '::'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
    ['fe80:0000:0000:0000:0000:0000:0000:0000', 'fe80::'],
    ['0000:0000:0000:0000:0000:ffff:c000:0201', '::ffff:192.0.2.1'],
  ];
  it.each(cases)('%s → %s', (long, short) => {
    const b = Buffer.from(long.replaceAll(':', ''), 'hex');
    expect(ipv6Text(b, 0)).toBe(short);
    expect(canonicalAddress(long)).toBe(short);
  });
});

describe('prefixes', () => {
  it('tests membership bit by bit', () => {
    expect(inPrefix('fd00::1', 'fc00::/7')).toBe(true);
    expect(inPrefix('fe00::1', 'fc00::/7')).toBe(false);
    expect(inPrefix('172.31.255.255', '172.16.0.0/12')).toBe(true);
    expect(inPrefix('172.32.0.0', '172.16.0.0/12')).toBe(false);
    expect(isLocalAddress('2001:db8::1')).toBe(false);
    expect(isLocalAddress('fe80::1')).toBe(true);
  });
  it('rejects what is not an address', () => {
    for (const s of ['', '1.2.3', '1.2.3.256', '1:2:3', '1::2::3', 'x::1', '<script>']) expect(parseAddress(s)).toBeUndefined();
  });
});

describe('PrefixList', () => {
  const prefixes = ['10.0.0.0/8', '172.16.0.0/12', '192.0.2.0/25', 'fc00::/7', '2001:db8::/32', '::1/128'];
  const addresses = ['10.1.2.3', '11.0.0.1', '172.31.255.255', '172.32.0.0', '192.0.2.127', '192.0.2.128', 'fd00::1', 'fe00::1',
    '2001:db8:ffff::1', '2001:db9::1', '::1', '::2', 'not an address', '', '1.2.3'];
  it('answers as inPrefix over each prefix does, the first time and from its memory', () => {
    const list = new PrefixList(prefixes);
    for (let round = 0; round < 2; round++) {
      for (const a of addresses) expect(list.has(a), `${a} round ${round}`).toBe(prefixes.some((p) => inPrefix(a, p)));
    }
  });
  it('keeps answering right after its memory is cleared', () => {
    const list = new PrefixList(['10.0.0.0/8']);
    for (let i = 0; i < PrefixList.MEMO_LIMIT + 10; i++) expect(list.has(`10.${i >> 16 & 255}.${i >> 8 & 255}.${i & 255}`)).toBe(true);
    expect(list.has('11.0.0.1')).toBe(false);
  });
  it('refuses a list with something that is not a prefix', () => {
    expect(() => new PrefixList(['10.0.0/8'])).toThrow(/not a prefix/);
  });
});
