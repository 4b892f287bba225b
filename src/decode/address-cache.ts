// Direct-mapped caches in front of core's ipv6Text and ipv4Text. core keys its IPv6 cache on a
// latin1 string of the 16 octets, which allocates a string per lookup and was ~40 % of decode time
// in bench/decode-bench.ts; here a hit costs four 32-bit reads and compares, and allocates nothing.
// A miss (or a slot taken by another address) falls through to core, so text is identical.
// The words are read as signed 32-bit values, in whatever order: they are only hashed and
// compared, and a signed word stays a small integer where an unsigned one ≥ 2^31 would be a double.
//
// The texts handed out are internalized (V8's unique copy of a string): two internalized strings
// are equal only when they are the same object, so `===` between two addresses — the flow tables,
// a connection telling its client from its server — is a pointer comparison, where two distinct
// strings of one length were compared character by character in a call (~40 instructions each;
// 57 M instructions of the path stage on the easy 300 k file). The same address always gives the
// same object, even after its slot was taken by another.
import { ipv4Text, ipv6Text } from '../core/index.js';

/** V8's internalized string of `s`'s text (property keys are internalized). Once per cache miss. */
const internalized = (s: string): string => Object.keys({ [s]: 0 })[0]!;

const SLOTS = 1 << 14;
const words = new Int32Array(SLOTS * 4);
const texts: (string | undefined)[] = new Array<string | undefined>(SLOTS).fill(undefined);

const word = (b: Buffer, o: number): number => b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);

/** RFC 5952 text of the 16 octets at `off`, as ipv6Text gives it. */
export function ipv6TextCached(b: Buffer, off: number): string {
  const w0 = word(b, off);
  const w1 = word(b, off + 4);
  const w2 = word(b, off + 8);
  const w3 = word(b, off + 12);
  let h = Math.imul(w0 ^ Math.imul(w1, 0x9e3779b1) ^ Math.imul(w2, 0x85ebca6b) ^ Math.imul(w3, 0xc2b2ae35), 0x27d4eb2f);
  h = (h ^ (h >>> 15)) & (SLOTS - 1);
  const i = h * 4;
  const cached = texts[h];
  if (cached !== undefined && words[i] === w0 && words[i + 1] === w1 && words[i + 2] === w2 && words[i + 3] === w3) return cached;
  const text = internalized(ipv6Text(b, off));
  words[i] = w0; words[i + 1] = w1; words[i + 2] = w2; words[i + 3] = w3;
  texts[h] = text;
  return text;
}

const V4_SLOTS = 1 << 12;
const v4Words = new Int32Array(V4_SLOTS);
const v4Texts: (string | undefined)[] = new Array<string | undefined>(V4_SLOTS).fill(undefined);

/** Dotted-quad text of the 4 octets at `off`, as ipv4Text gives it. */
export function ipv4TextCached(b: Buffer, off: number): string {
  const w = word(b, off);
  let h = Math.imul(w, 0x9e3779b1);
  h = (h ^ (h >>> 16)) & (V4_SLOTS - 1);
  const cached = v4Texts[h];
  if (cached !== undefined && v4Words[h] === w) return cached;
  const text = internalized(ipv4Text(b, off));
  v4Words[h] = w;
  v4Texts[h] = text;
  return text;
}
