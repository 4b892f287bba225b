// Direct-mapped caches in front of core's ipv6Text and ipv4Text. core keys its IPv6 cache on a
// latin1 string of the 16 octets, which allocates a string per lookup and was ~40 % of decode time
// in bench/decode-bench.ts; here a hit costs four 32-bit reads and compares, and allocates nothing.
// A miss (or a slot taken by another address) falls through to core, so text is identical.
// The words are read as signed 32-bit values, in whatever order: they are only hashed and
// compared, and a signed word stays a small integer where an unsigned one ≥ 2^31 would be a double.
//
// The texts are not internalized (V8's unique copy, which would make `===` between two equal
// addresses a pointer comparison even after a slot was taken by another): doing it once per miss,
// through an object's property key, doubled the edge bench file's read + decode time (2 M packets,
// 1.06 → 2.0 s), whose many addresses miss often. A hit hands out the slot's same object, which
// `===` finds equal at once.
import { ipv4Text, ipv6Text } from '../core/index.js';

const SLOTS = 1 << 14;
const words = new Int32Array(SLOTS * 4);
const texts: (string | undefined)[] = new Array<string | undefined>(SLOTS).fill(undefined);

const word = (b: Buffer, o: number): number => b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);

/**
 * Every bit of `h` moved into the low bits the slot index keeps (murmur3's finalizer). The octets
 * that tell a site's addresses apart are the last ones, the words' high bits here: a multiplication
 * only carries bits upwards, so the slot index used to keep 4–5 bits of them, and the edge bench
 * file's ~5,000 addresses shared a few dozen slots (1 lookup in 4 missed).
 */
function spread(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The slot of the IPv6 address whose words are w0…w3 (exported for tests). */
export const ipv6Slot = (w0: number, w1: number, w2: number, w3: number): number =>
  spread(w0 ^ Math.imul(w1, 0x9e3779b1) ^ Math.imul(w2, 0x85ebca6b) ^ Math.imul(w3, 0xc2b2ae35)) & (SLOTS - 1);

/** RFC 5952 text of the 16 octets at `off`, as ipv6Text gives it. */
export function ipv6TextCached(b: Buffer, off: number): string {
  const w0 = word(b, off);
  const w1 = word(b, off + 4);
  const w2 = word(b, off + 8);
  const w3 = word(b, off + 12);
  const h = ipv6Slot(w0, w1, w2, w3);
  const i = h * 4;
  const cached = texts[h];
  if (cached !== undefined && words[i] === w0 && words[i + 1] === w1 && words[i + 2] === w2 && words[i + 3] === w3) return cached;
  const text = ipv6Text(b, off);
  words[i] = w0; words[i + 1] = w1; words[i + 2] = w2; words[i + 3] = w3;
  texts[h] = text;
  return text;
}

const V4_SLOTS = 1 << 14;
const v4Words = new Int32Array(V4_SLOTS);
const v4Texts: (string | undefined)[] = new Array<string | undefined>(V4_SLOTS).fill(undefined);

/** The slot of the IPv4 address whose word is `w` (exported for tests). */
export const ipv4Slot = (w: number): number => spread(w) & (V4_SLOTS - 1);

/** Dotted-quad text of the 4 octets at `off`, as ipv4Text gives it. */
export function ipv4TextCached(b: Buffer, off: number): string {
  const w = word(b, off);
  const h = ipv4Slot(w);
  const cached = v4Texts[h];
  if (cached !== undefined && v4Words[h] === w) return cached;
  const text = ipv4Text(b, off);
  v4Words[h] = w;
  v4Texts[h] = text;
  return text;
}
