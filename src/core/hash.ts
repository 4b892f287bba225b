// FNV-1a (32-bit) over numbers and strings, for keys found by an integer hash in HashChains instead
// of a template string per packet (see src/reconstruct/dns/reconstructor.ts for what that saved).
// Not for anything an attacker could target for collisions beyond slower chains: HashChains compares
// every field of a candidate.

export const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Mixes one number (taken as a 32-bit integer) into the hash `h`. */
export const mixNumber = (h: number, n: number): number => Math.imul(h ^ n, FNV_PRIME);

/** Mixes the UTF-16 code units of `s` into the hash `h`. */
export function mixString(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

/** The hash cut to a non-negative small integer (30 bits), as HashChains takes it. */
export const smallHash = (h: number): number => h & 0x3fffffff;
