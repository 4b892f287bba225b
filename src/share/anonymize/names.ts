// DNS names, mapped label by label and in place: every label keeps its length (so messages,
// compression pointers and UDP lengths stay as they were), and the same label under the same
// suffix maps the same way in every message and every file with the same key (so the A, AAAA and
// PTR lookups of one name still match, and so do the client's and the resolver's captures).
//
// Kept as they are: the root; the top-level labels that name no one (RFC 6761 special-use names,
// arpa, and the generic com/net/org/…); labels starting with `_` (service and protocol labels
// such as _tcp, _dns-sd); `*`. Everything under in-addr.arpa and ip6.arpa that spells an address
// is re-encoded from the MAPPED address, so a reverse lookup still names the mapped forward
// address; the locally served zones (RFC 6303, RFC 7793) are address prefixes that the address
// mapping keeps, so the local-zone verdicts survive. Other arpa names keep their second label
// (ipv4only.arpa, home.arpa, resolver.arpa are protocol names).
import { createHmac } from 'node:crypto';
import type { PrefixMap } from './prefix-map.js';

/** Top-level labels kept: they say what kind of name it is, not whose. */
export const KEPT_TOP_LABELS: ReadonlySet<string> = new Set([
  'arpa', 'test', 'example', 'invalid', 'localhost', 'local', 'onion', 'alt', 'internal', 'lan', 'home',
  'com', 'net', 'org', 'edu', 'gov', 'mil', 'int', 'info',
]);

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const LABEL_CACHE_LIMIT = 1 << 16;

/** One label's bytes as a JS string, byte for byte (latin1), and lower-cased for ASCII only. */
const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

export interface NameStats {
  /** Names under in-addr.arpa whose mapped octet needed a different number of digits (see below). */
  reverseApproximated: number;
}

export class NameMap {
  readonly #key: Buffer;
  readonly #addresses: PrefixMap;
  readonly #cache = new Map<string, string>();
  readonly stats: NameStats = { reverseApproximated: 0 };

  constructor(key: Buffer, addresses: PrefixMap) {
    this.#key = key;
    this.#addresses = addresses;
  }

  /** Is this label (at this position) kept as it is? `fromTop`: 0 for the last label. */
  static keeps(label: string, fromTop: number, labels: readonly string[]): boolean {
    const l = asciiLower(label);
    if (l.startsWith('_') || l === '*') return true;
    if (fromTop === 0) return KEPT_TOP_LABELS.has(l);
    // ipv4only.arpa, home.arpa, in-addr.arpa, ip6.arpa …: the second label under arpa names a protocol.
    return fromTop === 1 && asciiLower(labels[labels.length - 1]!) === 'arpa';
  }

  /** A non-kept label: same length, letters and digits, case pattern of the original kept. */
  mapLabel(label: string): string {
    const lower = asciiLower(label);
    let m = this.#cache.get(lower);
    if (m === undefined) {
      let out = '';
      for (let counter = 0; out.length < lower.length; counter++) {
        const d = createHmac('sha256', this.#key).update(Buffer.from(lower, 'latin1')).update(Buffer.from([counter])).digest();
        for (const byte of d) {
          if (out.length === lower.length) break;
          out += ALPHABET[byte % ALPHABET.length];
        }
      }
      m = out;
      if (this.#cache.size >= LABEL_CACHE_LIMIT) this.#cache.clear();
      this.#cache.set(lower, m);
    }
    return withCaseOf(label, m);
  }

  /**
   * The mapped labels of a whole name (labels as latin1 strings, leftmost first), each the same
   * length as the original.
   */
  mapName(labels: readonly string[]): string[] {
    const n = labels.length;
    const out = labels.slice();
    const top = n > 0 ? asciiLower(labels[n - 1]!) : '';
    const second = n > 1 ? asciiLower(labels[n - 2]!) : '';
    let reverseStart = n; // labels from here on are handled by the reverse mapping (or kept)
    if (top === 'arpa' && (second === 'in-addr' || second === 'ip6')) {
      const v6 = second === 'ip6';
      const spells = v6 ? (l: string): boolean => /^[0-9a-fA-F]$/.test(l) : (l: string): boolean => /^(0|[1-9][0-9]{0,2})$/.test(l) && Number(l) <= 255;
      const max = v6 ? 32 : 4;
      let first = n - 2;
      while (first > 0 && n - 2 - first < max && spells(labels[first - 1]!)) first--;
      this.#reverse(labels, out, first, n - 2, v6);
      reverseStart = first;
    }
    for (let i = 0; i < Math.min(reverseStart, n); i++) {
      if (!NameMap.keeps(labels[i]!, n - 1 - i, labels)) out[i] = this.mapLabel(labels[i]!);
    }
    return out;
  }

  /** Re-encodes labels[first, end) (an address prefix, least significant first) from the mapped address. */
  #reverse(labels: readonly string[], out: string[], first: number, end: number, v6: boolean): void {
    const count = end - first;
    if (count === 0) return;
    const addr = Buffer.alloc(v6 ? 16 : 4);
    for (let j = 0; j < count; j++) {
      const label = labels[end - 1 - j]!; // most significant first
      if (v6) addr[j >> 1]! |= parseInt(label, 16) << (j % 2 === 0 ? 4 : 0);
      else addr[j] = Number(label);
    }
    const mapped = this.#addresses.mapPrefix(addr, count * (v6 ? 4 : 8));
    for (let j = 0; j < count; j++) {
      const i = end - 1 - j;
      const orig = labels[i]!;
      if (v6) {
        const nibble = (mapped[j >> 1]! >> (j % 2 === 0 ? 4 : 0)) & 0xf;
        out[i] = withCaseOf(orig, nibble.toString(16));
      } else {
        // Labels keep their length; a mapped octet with more digits than the original cannot, and
        // one with fewer is written with leading zeros (still read as the same number).
        let text = String(mapped[j]);
        if (text.length < orig.length) text = text.padStart(orig.length, '0');
        else if (text.length > orig.length) {
          text = text.slice(text.length - orig.length);
          this.stats.reverseApproximated++;
        }
        out[i] = text;
      }
    }
  }
}

/** `mapped` with upper case where `original` has an upper-case letter (DNS 0x20 survives). */
function withCaseOf(original: string, mapped: string): string {
  if (!/[A-Z]/.test(original)) return mapped;
  let s = '';
  for (let i = 0; i < mapped.length; i++) {
    const o = original.charCodeAt(i);
    s += o >= 65 && o <= 90 ? mapped[i]!.toUpperCase() : mapped[i]!;
  }
  return s;
}
