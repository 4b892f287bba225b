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

/**
 * Mixed into every address hash, so a capture cannot be made to put its flows or DNS keys into one
 * chain (only speed depends on it: the order of everything is insertion order).
 */
const SEED = (Math.random() * 0x100000000) | 0;

/**
 * Address text → its hash, shared by every flow table and the DNS reconstructor: a Map lookup finds
 * it by the hash V8 keeps in the string, ~4× cheaper than hashing the text again (the decoder hands
 * out one string per address, and its IPv4 and IPv6 texts are concatenations, slow to read character
 * by character; the DNS reconstructor hashes two or three per message). Addresses only: a table
 * holding DNS names kept every name string alive past the scavenges it would have died in
 * (callgrind, edge 100 k: GC +153 M instructions). Cleared when full: a value depends on the text
 * (and the process's seed) alone.
 */
const addressHashes = new Map<string, number>();
const MAX_ADDRESS_HASHES = 1 << 16;

export function addressHash(address: string): number {
  let h = addressHashes.get(address);
  if (h === undefined) {
    h = mixString(FNV_OFFSET ^ SEED, address);
    if (addressHashes.size >= MAX_ADDRESS_HASHES) addressHashes.clear();
    addressHashes.set(address, h);
  }
  return h;
}

/** Empties the address-hash table, as when it is full (for tests). */
export const clearAddressHashes = (): void => addressHashes.clear();
