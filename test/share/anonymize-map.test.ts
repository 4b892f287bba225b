// The anonymisation mappings on their own: prefix preservation (a property over random and special
// addresses), the kept scopes, names and reverse names, and the key → mapping contract.
import { describe, expect, it } from 'vitest';
import { ipv4Text, ipv6Text, parseAddress } from '../../src/core/index.js';
import { deriveKeys, keptBits, PacketAnonymizer, PrefixMap } from '../../src/share/index.js';

const KEYS = deriveKeys(Buffer.alloc(32, 7));
const OTHER = deriveKeys(Buffer.alloc(32, 8));
const text = (b: Buffer): string => (b.length === 4 ? ipv4Text(b, 0) : ipv6Text(b, 0));
const addr = (t: string): Buffer => parseAddress(t)!;

/** Bits two addresses share from the start. */
function shared(a: Buffer, b: Buffer): number {
  for (let i = 0; i < a.length * 8; i++) if (((a[i >> 3]! ^ b[i >> 3]!) & (0x80 >> (i & 7))) !== 0) return i;
  return a.length * 8;
}

/** A small deterministic generator (xorshift): the property test must not depend on luck. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Random addresses clustered around each other and around the special blocks, so prefixes are shared at every length. */
function population(len: 4 | 16, n: number, seed: number): Buffer[] {
  const r = rng(seed);
  const seeds = len === 4
    ? ['8.8.8.8', '192.0.2.1', '10.1.2.3', '172.16.5.4', '100.64.1.1', '224.0.0.251', '239.1.2.3', '169.254.9.9', '193.0.14.129', '127.0.0.1']
    : ['2001:db8::1', '2a00:1450:4001::1', 'fd00:1::10', 'fe80::1', 'ff02::1:ff00:10', 'ff05::1:3', '2001:4860::8888', '::ffff:192.0.2.1', '64:ff9b::8.8.8.8', '2600::1'];
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const base = addr(seeds[Math.floor(r() * seeds.length)]!);
    // Flip a random suffix: keep a random number of leading bits.
    const keep = Math.floor(r() * (len * 8 + 1));
    const x = Buffer.from(base);
    for (let bit = keep; bit < len * 8; bit++) if (r() < 0.5) x[bit >> 3]! ^= 0x80 >> (bit & 7);
    out.push(x);
  }
  return out;
}

describe('prefix-preserving address map', () => {
  for (const len of [4, 16] as const) {
    it(`IPv${len === 4 ? 4 : 6}: any two addresses share exactly as many leading bits after mapping as before`, () => {
      const m = new PrefixMap(KEYS.addresses);
      const xs = population(len, 300, len);
      const ys = xs.map((x) => m.map(x));
      let checked = 0;
      for (let i = 0; i < xs.length; i++) {
        for (let j = i + 1; j < xs.length; j++) {
          if (xs[i]!.equals(xs[j]!)) continue;
          expect(shared(ys[i]!, ys[j]!), `${text(xs[i]!)} ~ ${text(xs[j]!)}`).toBe(shared(xs[i]!, xs[j]!));
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(40_000);
    });

    it(`IPv${len === 4 ? 4 : 6}: no address maps to itself unless kept whole, and none leaves or enters a special block`, () => {
      const m = new PrefixMap(KEYS.addresses);
      for (const x of population(len, 2000, len + 100)) {
        const y = m.map(x);
        const { keep, inside } = keptBits(x);
        if (keep < len * 8) expect(y.equals(x), text(x)).toBe(false);
        expect(shared(x, y), text(x)).toBeGreaterThanOrEqual(keep);
        expect(keptBits(y).inside?.why, `${text(x)} → ${text(y)}`).toBe(inside?.why);
      }
    });
  }

  it('keeps the scopes as the README says', () => {
    const a = new PacketAnonymizer(KEYS);
    const cases: [string, RegExp][] = [
      ['192.0.2.10', /^192\.0\.2\.\d+$/], ['198.51.100.53', /^198\.51\.100\.\d+$/], ['203.0.113.9', /^203\.0\.113\.\d+$/],
      ['10.9.8.7', /^10\./], ['192.168.1.1', /^192\.168\./], ['169.254.1.2', /^169\.254\./], ['127.0.0.1', /^127\./],
      ['2001:db8:1::10', /^2001:db8:/], ['fd00:1::53', /^fd/], ['fe80::1c9c:c8ff:fe21:9368', /^fe80::/],
      ['ff02::1:ff21:9368', /^ff02::1:ff[0-9a-f]{2}:[0-9a-f]{1,4}$/], ['ff05::1234:5678:9abc', /^ff05:/],
      ['::ffff:192.0.2.1', /^::ffff:192\.0\.2\.\d+$/],
    ];
    for (const [t, re] of cases) {
      expect(a.addressText(t), t).toMatch(re);
      expect(a.addressText(t), t).not.toBe(t);
    }
    for (const t of ['0.0.0.0', '255.255.255.255', '224.0.0.251', '::', '::1', 'ff02::1', 'ff02::fb', 'ff02::1:2']) expect(a.addressText(t)).toBe(t);
    // The IPv4-mapped form agrees with the IPv4 mapping.
    expect(a.addressText('::ffff:192.0.2.1')).toBe(`::ffff:${a.addressText('192.0.2.1')}`);
  });

  it('depends on the key: the same key maps the same way, another key another way', () => {
    const a = new PacketAnonymizer(KEYS);
    const b = new PacketAnonymizer(deriveKeys(Buffer.alloc(32, 7)));
    const c = new PacketAnonymizer(OTHER);
    for (const t of ['8.8.8.8', '2001:db8::1', 'fd00::53']) {
      expect(a.addressText(t)).toBe(b.addressText(t));
      expect(a.addressText(t)).not.toBe(c.addressText(t));
    }
    expect(a.nameText('www.example.test')).toBe(b.nameText('www.example.test'));
    expect(a.nameText('www.example.test')).not.toBe(c.nameText('www.example.test'));
  });
});

describe('DNS name map', () => {
  const a = new PacketAnonymizer(KEYS);

  it('maps each label to one of the same length, keeping the top label, the root and service labels', () => {
    const m = a.nameText('www.Example.com.');
    const [www, example, com, root] = m.split('.');
    expect(www).toHaveLength(3);
    expect(example).toHaveLength(7);
    expect(example![0]).toMatch(/[A-Z0-9]/); // the upper-case position kept (a digit has no case)
    expect(com).toBe('com');
    expect(root).toBe('');
    expect(a.nameText('_ldap._tcp.dc.corp.example')).toMatch(/^_ldap\._tcp\.[a-z0-9]{2}\.[a-z0-9]{4}\.example$/);
    // Case-insensitive: a 0x20-randomised query maps to the same letters.
    expect(a.nameText('WwW.eXample.test').toLowerCase()).toBe(a.nameText('www.example.test'));
  });

  it('re-encodes reverse names from the mapped address, keeping the RFC 6303 zones', () => {
    const v6 = '2001:db8:1::10';
    const mapped = addr(a.addressText(v6)!);
    const nibbles = [...mapped.toString('hex')].reverse().join('.');
    const orig = [...addr(v6).toString('hex')].reverse().join('.');
    expect(a.nameText(`${orig}.ip6.arpa`)).toBe(`${nibbles}.ip6.arpa`);
    expect(a.nameText('8.b.d.0.1.0.0.2.ip6.arpa')).toBe('8.b.d.0.1.0.0.2.ip6.arpa');
    expect(a.nameText('d.f.ip6.arpa')).toBe('d.f.ip6.arpa');
    expect(a.nameText('168.192.in-addr.arpa')).toBe('168.192.in-addr.arpa');
    const v4 = a.addressText('192.0.2.10')!.split('.').map(Number);
    const rev = a.nameText('10.2.0.192.in-addr.arpa').split('.');
    expect(rev.slice(1)).toEqual(['2', '0', '192', 'in-addr', 'arpa']);
    expect(Number(rev[0])).toBe(v4[3]! % 100); // two digits kept: the last two of the mapped octet (or it, zero-padded)
  });
});
