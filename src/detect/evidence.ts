// Evidence lists and Wireshark display filters, for every detector (DNS and path alike): one order
// for evidence, and filters built from validated values only (frame numbers, parsed addresses),
// never from capture strings.
import { canonicalAddress } from '../core/index.js';
import type { Evidence } from './finding.js';

/**
 * `s` made one flat string, returned. V8 keeps a string built with `+` or a template as a tree of
 * its pieces (~32 B a piece, and each number's own string) until something reads its characters;
 * reading one flattens it in place, and the next young-generation collection drops the tree. Texts
 * kept until the report (evidence, findings) are flattened while still young: left as trees they
 * held ~2.5 MB of the edge file's live heap (resolver_profile's candidate lookups alone ~2 MB).
 */
export function flatText(s: string): string {
  s.charCodeAt(0);
  return s;
}

/**
 * Evidence in the order of the story: by capture time, then frame; a packet cited twice in the same
 * role (two lookups of one group sharing a reply, a mark reached two ways) is kept once.
 *
 * Called for every finding and many a record's evidence, on lists of a few entries that mostly come
 * in order already: a short list is checked for repeats by a scan instead of a Set of `frame|role`
 * keys, and one in order is not sorted (Array.prototype.sort copies the list into a work array
 * even then). Together they were ~28 B of garbage per packet on the edge file (sampling heap
 * profile, edge 100 k), about 2.5 % of what the analysis allocates.
 */
export function sortEvidence(list: readonly Evidence[]): Evidence[] {
  const out: Evidence[] = [];
  const seen = list.length > SCAN_FOR_REPEATS ? new Set<string>() : undefined;
  let ordered = true;
  for (const e of list) {
    if (seen === undefined ? citedAlready(out, e) : !addedKey(seen, `${e.frame}|${e.role}`)) continue;
    const last = out.length > 0 ? out[out.length - 1]! : undefined;
    if (last !== undefined && (last.time > e.time || (last.time === e.time && last.frame > e.frame))) ordered = false;
    out.push(e);
  }
  return ordered ? out : out.sort((a, b) => a.time - b.time || a.frame - b.frame);
}

/** Up to this many entries, repeats are found by scanning what is kept. */
const SCAN_FOR_REPEATS = 16;

const citedAlready = (kept: readonly Evidence[], e: Evidence): boolean => {
  for (const k of kept) if (k.frame === e.frame && k.role === e.role) return true;
  return false;
};

/** Adds `key`; false when it was there already. */
const addedKey = (seen: Set<string>, key: string): boolean => {
  if (seen.has(key)) return false;
  seen.add(key);
  return true;
};

/** `ip.addr == a` / `ipv6.addr == a` from an address that parses, else undefined. */
export function addrFilter(addr: string): string | undefined {
  const c = canonicalAddress(addr);
  if (c === undefined) return undefined;
  return c.includes(':') ? `ipv6.addr == ${c}` : `ip.addr == ${c}`;
}

/** `frame.number in {…}` of the positive integers among `frames` (at most 64), or undefined if none. */
export function framesFilter(frames: readonly number[]): string | undefined {
  const ok = [...new Set(frames.filter((f) => Number.isSafeInteger(f) && f > 0))].sort((a, b) => a - b).slice(0, 64);
  return ok.length === 0 ? undefined : `frame.number in {${ok.join(' ')}}`;
}

/** `a || b`, each part parenthesised; `fallback` when no part is left. */
export function anyOf(parts: readonly (string | undefined)[], fallback = 'frame'): string {
  const ok = parts.filter((p): p is string => p !== undefined && p !== '');
  if (ok.length === 0) return fallback;
  return ok.length === 1 ? ok[0]! : ok.map((p) => `(${p})`).join(' || ');
}

/** The evidence frames (or `fallback` when none is valid), narrowed by the addresses that parse. */
export function framesAndAddresses(frames: readonly number[], addrs: readonly string[], fallback: string): string {
  const parts = [framesFilter(frames) ?? fallback];
  for (const a of addrs) {
    const f = addrFilter(a);
    if (f !== undefined) parts.push(f);
  }
  return parts.join(' && ');
}
