// Prefix-preserving address mapping, Crypto-PAn style (Xu, Fan, Ammar, Moon, "Prefix-preserving
// IP address anonymization", ICNP 2002), with the special-purpose blocks kept recognisable.
//
// Crypto-PAn: an AES-128 key K and a pad P = AES_K(second half of the key material). Output bit i
// is input bit i XOR the first (most significant) bit of AES_K(x[0,i) ‖ P[i,128)): each output
// bit depends only on the input bits before it, so two addresses that share an n-bit prefix
// share one after the mapping, and differ at the same bit where the originals differ.
//
// Kept bits. Every address keeps its first k(x) bits as they are and maps the rest, where k(x) is
// the largest of, over every special block B below:
//   x inside B:  B's kept length (its scope prefix, or the whole address for protocol constants);
//   x outside B: one bit past the longest prefix x shares with B.
// The first rule keeps a documentation, private, link-local or multicast address inside its block
// (only the host part changes), so the verdicts that depend on the scope (RFC 6303 local zones,
// link-local neighbour discovery) survive. The second keeps every other address out of every block
// (it keeps the bit where it leaves the nearest block), so a public address never becomes, say, a
// multicast or RFC 1918 one. Both depend only on the prefix, so the mapping stays prefix-preserving
// (two addresses sharing n bits either get the same k, or both k > n), and it is one-to-one.
// The cost: a public address keeps the few leading bits that tell it apart from the nearest block
// (8.8.8.8 keeps its first 7; a typical 2a0x:: address its first 5).
//
// The first mapped bit (bit k) is always flipped rather than drawn from AES: a prefix-preserving
// mapping of the 8 host bits of 192.0.2.0/24 would otherwise leave about one address in 256 as it
// was, and a vendor must never get an original address back. That bit is still prefix-preserving
// (it depends on nothing but k) and gives away one bit that was the original's complement.
import { createCipheriv, type Cipher } from 'node:crypto';

interface Block {
  /** The block's prefix, as many bytes as the address family. */
  readonly prefix: Buffer;
  readonly length: number;
  /** Bits kept as they are for an address inside the block. */
  readonly keep: number;
  readonly why: string;
}

function block(text: string, length: number, keep: number, why: string): Block {
  return { prefix: parsePrefix(text), length, keep, why };
}

function parsePrefix(text: string): Buffer {
  if (!text.includes(':')) return Buffer.from(text.split('.').map(Number));
  const [head, tail] = text.split('::') as [string, string | undefined];
  const groups = (s: string | undefined): number[] => (s === undefined || s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const h = groups(head);
  const t = groups(tail);
  const all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const b = Buffer.alloc(16);
  all.forEach((g, i) => b.writeUInt16BE(g, i * 2));
  return b;
}

/** IPv4 blocks (RFC 6890 and the RFC 6303 / RFC 7793 locally served zones). */
export const IPV4_BLOCKS: readonly Block[] = [
  block('0.0.0.0', 32, 32, 'unspecified: a constant, not a host'),
  block('0.0.0.0', 8, 8, '"this network" (RFC 6303 zone 0.in-addr.arpa)'),
  block('10.0.0.0', 8, 8, 'RFC 1918 private (RFC 6303 zone)'),
  block('100.64.0.0', 10, 10, 'shared address space, CGN (RFC 7793 zones)'),
  block('127.0.0.0', 8, 8, 'loopback (RFC 6303 zone)'),
  block('169.254.0.0', 16, 16, 'link-local (RFC 6303 zone)'),
  block('172.16.0.0', 12, 12, 'RFC 1918 private (RFC 6303 zones)'),
  block('192.0.2.0', 24, 24, 'TEST-NET-1 documentation (RFC 5737, RFC 6303 zone)'),
  block('192.168.0.0', 16, 16, 'RFC 1918 private (RFC 6303 zone)'),
  block('198.51.100.0', 24, 24, 'TEST-NET-2 documentation'),
  block('203.0.113.0', 24, 24, 'TEST-NET-3 documentation'),
  block('224.0.0.0', 24, 32, 'local network control multicast (224.0.0.251 mDNS …): protocol constants'),
  block('224.0.0.0', 4, 4, 'multicast'),
  block('240.0.0.0', 4, 4, 'reserved'),
  block('255.255.255.255', 32, 32, 'limited broadcast: a constant'),
];

/** IPv6 blocks (RFC 6890, RFC 4291, RFC 6303). The multicast groups ffXX::/96 are added per address. */
export const IPV6_BLOCKS: readonly Block[] = [
  block('::', 128, 128, 'unspecified: a constant (RFC 6303 zone)'),
  block('::1', 128, 128, 'loopback: a constant (RFC 6303 zone)'),
  block('::ffff:0:0', 96, 96, 'IPv4-mapped: the IPv4 part is mapped as IPv4 is'),
  block('64:ff9b::', 96, 96, 'NAT64 well-known prefix: the IPv4 part is mapped as IPv4 is'),
  block('2001:db8::', 32, 32, 'documentation (RFC 3849, RFC 6303 zone)'),
  block('fc00::', 7, 8, 'unique local; fd00::/8 kept whole-prefix, as its RFC 6303 zone d.f.ip6.arpa is'),
  block('fe80::', 10, 64, 'link-local: bits 10–63 are zero (RFC 4291 §2.5.6), only the interface id is mapped'),
  block('ff02::1:ff00:0', 104, 104, 'solicited-node multicast: the low 24 bits come from a unicast address and are mapped'),
  block('ff00::', 8, 16, 'multicast: flags and scope kept'),
];

/** IPv4-in-IPv6 blocks whose low 32 bits go through the IPv4 mapping (so v4 and v6 views agree). */
const EMBEDDED_IPV4 = IPV6_BLOCKS.filter((b) => b.keep === 96);

/** Length of the common prefix of `a` and `b`, at most `limit` bits. */
function commonPrefix(a: Buffer, b: Buffer, limit: number): number {
  for (let i = 0; i < limit; i += 8) {
    const x = a[i >> 3]! ^ b[i >> 3]!;
    if (x !== 0) return Math.min(limit, i + Math.clz32(x) - 24);
  }
  return limit;
}

const bit = (b: Buffer, i: number): number => (b[i >> 3]! >> (7 - (i & 7))) & 1;

/** The bits of `x` kept as they are (see the file comment), and the block that decided it, if inside one. */
export function keptBits(x: Buffer): { keep: number; inside: Block | undefined } {
  const blocks = x.length === 4 ? IPV4_BLOCKS : IPV6_BLOCKS;
  let keep = 0;
  let inside: Block | undefined;
  const consider = (b: Block): void => {
    const cp = commonPrefix(x, b.prefix, b.length);
    const k = cp === b.length ? b.keep : cp + 1;
    if (cp === b.length && (inside === undefined || b.length > inside.length)) inside = b;
    if (k > keep) keep = k;
  };
  for (const b of blocks) consider(b);
  // IANA's permanent multicast groups (ffXX::/96 with a group id in the low 32 bits: ff02::1,
  // ff02::fb, ff02::1:2 …) are protocol constants, one block per flags/scope byte.
  if (x.length === 16 && x[0] === 0xff) {
    const group = Buffer.alloc(16);
    group[0] = 0xff;
    group[1] = x[1]!;
    consider({ prefix: group, length: 96, keep: 128, why: 'well-known multicast group' });
  }
  return { keep, inside };
}

/**
 * The mapping for one key. Results are cached (captures hold few distinct addresses); the cache is
 * dropped when it grows past a bound, so memory stays constant on any capture.
 */
export class PrefixMap {
  readonly #cipher: Cipher;
  readonly #pad: Buffer;
  readonly #block = Buffer.alloc(16);
  readonly #cache = new Map<string, Buffer>();
  static readonly CACHE_LIMIT = 1 << 16;

  /** `key`: 32 bytes, the AES-128 key then the pad seed, as Crypto-PAn takes them. */
  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('PrefixMap needs 32 bytes of key');
    this.#cipher = createCipheriv('aes-128-ecb', key.subarray(0, 16), null);
    this.#cipher.setAutoPadding(false);
    this.#pad = this.#aes(key.subarray(16, 32));
  }

  #aes(input: Buffer): Buffer {
    return this.#cipher.update(input);
  }

  /** The mapped address (a new 4- or 16-byte Buffer; callers must not modify it). */
  map(x: Buffer): Buffer {
    const key = x.toString('latin1');
    let y = this.#cache.get(key);
    if (y === undefined) {
      y = this.#compute(x);
      if (this.#cache.size >= PrefixMap.CACHE_LIMIT) this.#cache.clear();
      this.#cache.set(key, y);
    }
    return y;
  }

  /** Maps the address at `b[off, off+len)` in place. */
  mapInPlace(b: Buffer, off: number, len: 4 | 16): void {
    if (off + len > b.length) return;
    this.map(b.subarray(off, off + len)).copy(b, off);
  }

  #compute(x: Buffer): Buffer {
    const n = x.length * 8;
    if (x.length === 16) {
      for (const e of EMBEDDED_IPV4) {
        if (commonPrefix(x, e.prefix, 96) === 96) {
          const y = Buffer.from(x);
          this.map(x.subarray(12, 16)).copy(y, 12);
          return y;
        }
      }
    }
    const { keep } = keptBits(x);
    const y = Buffer.from(x);
    if (keep >= n) return y;
    // Bit `keep` is flipped (see the file comment); every later bit comes from AES.
    y[keep >> 3]! ^= 0x80 >> (keep & 7);
    const blockIn = this.#block;
    for (let i = keep + 1; i < n; i++) {
      // x[0,i) ‖ pad[i,128)
      const whole = i >> 3;
      x.copy(blockIn, 0, 0, whole);
      this.#pad.copy(blockIn, whole, whole, 16);
      const rest = i & 7;
      if (rest !== 0) {
        const mask = (0xff00 >> rest) & 0xff;
        blockIn[whole] = (x[whole]! & mask) | (this.#pad[whole]! & ~mask & 0xff);
      }
      const out = this.#aes(blockIn);
      if ((out[0]! & 0x80) !== 0) y[i >> 3]! ^= 0x80 >> (i & 7);
    }
    return y;
  }

  /**
   * A prefix of `bits` bits (the rest of `x` ignored), mapped: the first `bits` bits of the mapping
   * of any address under it, which by prefix preservation is the same for all of them.
   */
  mapPrefix(x: Buffer, bits: number): Buffer {
    const z = Buffer.alloc(x.length);
    x.copy(z, 0, 0, Math.ceil(bits / 8));
    if (bits % 8 !== 0) z[bits >> 3]! &= (0xff00 >> (bits % 8)) & 0xff;
    return this.map(z);
  }
}

export const testing = { bit, commonPrefix };
