// The locally served zones of BCP 163: RFC 6303 §4 (its IANA registries) plus RFC 7793
// (100.64.0.0/10, added to the IPv4 registry). Queries under these names should never leave the
// site: a recursive resolver answers them itself (unbound does by default; BIND with
// `empty-zones-enable yes`).
import { normalName } from '../../core/index.js';

const ZONES_6303: readonly string[] = [
  // §4.1 RFC 1918 zones
  '10.in-addr.arpa',
  ...Array.from({ length: 16 }, (_, i) => `${16 + i}.172.in-addr.arpa`),
  '168.192.in-addr.arpa',
  // §4.2 RFC 5735 and RFC 5737 zones
  '0.in-addr.arpa', // "this" network
  '127.in-addr.arpa', // loopback
  '254.169.in-addr.arpa', // link local
  '2.0.192.in-addr.arpa', // TEST-NET-1
  '100.51.198.in-addr.arpa', // TEST-NET-2
  '113.0.203.in-addr.arpa', // TEST-NET-3
  '255.255.255.255.in-addr.arpa', // broadcast
  // §4.3 Local IPv6 unicast addresses
  `${'0.'.repeat(32)}ip6.arpa`, // :: unspecified
  `1.${'0.'.repeat(31)}ip6.arpa`, // ::1 loopback
  // §4.4 IPv6 locally assigned local addresses (ULA, fd00::/8)
  'd.f.ip6.arpa',
  // §4.5 IPv6 link-local addresses (fe80::/10)
  '8.e.f.ip6.arpa',
  '9.e.f.ip6.arpa',
  'a.e.f.ip6.arpa',
  'b.e.f.ip6.arpa',
  // §4.6 IPv6 example prefix (2001:db8::/32)
  '8.b.d.0.1.0.0.2.ip6.arpa',
];

/** RFC 7793: 64.100.in-addr.arpa … 127.100.in-addr.arpa. */
const ZONES_7793: readonly string[] = Array.from({ length: 64 }, (_, i) => `${64 + i}.100.in-addr.arpa`);

export const LOCALLY_SERVED_ZONES: readonly string[] = Object.freeze([...ZONES_6303, ...ZONES_7793]);

const zoneSet = new Set(LOCALLY_SERVED_ZONES);
/** Their lengths: only a suffix of one of these lengths can be a zone, so only those are cut out. */
const zoneLengths = new Set(LOCALLY_SERVED_ZONES.map((z) => z.length));

/**
 * `name` ends in `.arpa` (any case, a trailing dot ignored), told without lower-casing it: that makes
 * a new string, and this runs for every lookup, nearly all of them for other names.
 */
function endsInArpa(name: string): boolean {
  const end = name.endsWith('.') ? name.length - 1 : name.length;
  if (end < 5) return false;
  const i = end - 5;
  return name.charCodeAt(i) === 0x2e && lowerAt(name, i + 1) === 0x61 && lowerAt(name, i + 2) === 0x72 && lowerAt(name, i + 3) === 0x70 && lowerAt(name, i + 4) === 0x61; // .arpa
}

/** The character code at `i`, an ASCII letter's in lower case. */
const lowerAt = (s: string, i: number): number => s.charCodeAt(i) | 0x20;

/**
 * The locally served zone a name lies in (case-insensitive, trailing dot ignored), or undefined.
 * A name already in lower case (as DnsLookup.nameLower) is not copied.
 */
export function locallyServedZone(name: string): string | undefined {
  if (!endsInArpa(name)) return undefined;
  const n = normalName(name);
  if (!n.endsWith('.arpa')) return undefined;
  // Walk the suffixes from the longest: at most 34 labels for ip6.arpa.
  let i = 0;
  for (let guard = 0; guard < 130; guard++) {
    if (zoneLengths.has(n.length - i)) {
      const suffix = n.slice(i);
      if (zoneSet.has(suffix)) return suffix;
    }
    const dot = n.indexOf('.', i);
    if (dot < 0) return undefined;
    i = dot + 1;
  }
  return undefined;
}
