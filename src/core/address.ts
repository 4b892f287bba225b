// Address text (RFC 5952 for IPv6, as Wireshark prints it) and prefix tests. Formatting an IPv6
// address costs far more than decoding a packet, so text is cached per address: captures hold few
// distinct addresses, and the cache is cleared when it grows past a bound.

const CACHE_LIMIT = 1 << 16;
const v4Cache = new Map<number, string>();
const v6Cache = new Map<string, string>();

/** Dotted quad of the 4 bytes at `off`. */
export function ipv4Text(b: Buffer, off: number): string {
  const n = b.readInt32BE(off); // signed: a small integer as the Map key, not a heap number above 2^31
  let s = v4Cache.get(n);
  if (s === undefined) {
    s = `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
    if (v4Cache.size >= CACHE_LIMIT) v4Cache.clear();
    v4Cache.set(n, s);
  }
  return s;
}

/** RFC 5952 text of the 16 bytes at `off`: lower case, longest run of ≥2 zero groups as `::`. */
export function ipv6Text(b: Buffer, off: number): string {
  // The latin1 view of 16 bytes is a cheap, exact cache key.
  const key = b.toString('latin1', off, off + 16);
  let s = v6Cache.get(key);
  if (s === undefined) {
    s = formatIpv6(b, off);
    if (v6Cache.size >= CACHE_LIMIT) v6Cache.clear();
    v6Cache.set(key, s);
  }
  return s;
}

function formatIpv6(b: Buffer, off: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(b.readUInt16BE(off + i * 2));
  // RFC 4291 §2.5.5.2 / RFC 5952 §5: IPv4-mapped addresses keep the dotted quad.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
  }
  let bestStart = -1;
  let bestLen = 1; // RFC 5952 §4.2.2: a single zero group is not shortened
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}

/** Parses IPv4 or IPv6 text to bytes; undefined if it is not an address. Off the hot path. */
export function parseAddress(text: string): Buffer | undefined {
  if (text.includes(':')) return parseIpv6(text);
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

function parseIpv6(text: string): Buffer | undefined {
  let s = text;
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  let tailV4: Buffer | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    tailV4 = parseAddress(s.slice(lastColon + 1));
    if (!tailV4 || tailV4.length !== 4) return undefined;
    s = `${s.slice(0, lastColon + 1)}${tailV4.readUInt16BE(0).toString(16)}:${tailV4.readUInt16BE(2).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const part of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
      out.push(parseInt(part, 16));
    }
    return out;
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const out = Buffer.alloc(16);
  groups.forEach((v, i) => out.writeUInt16BE(v, i * 2));
  return out;
}

/** Canonical text of any address text (so `2001:DB8:0::1` and `2001:db8::1` compare equal). */
export function canonicalAddress(text: string): string | undefined {
  const b = parseAddress(text);
  if (!b) return undefined;
  return b.length === 4 ? ipv4Text(b, 0) : ipv6Text(b, 0);
}

export const isIpv6Text = (text: string): boolean => text.includes(':');

/** True when `address` (text) lies inside `prefix` given as `addr/len`. */
export function inPrefix(address: string, prefix: string): boolean {
  const slash = prefix.indexOf('/');
  const net = parseAddress(prefix.slice(0, slash));
  const len = Number(prefix.slice(slash + 1));
  const a = parseAddress(address);
  return net !== undefined && a !== undefined && matches(a, net, len);
}

/**
 * A fixed list of prefixes, parsed once. `has()` parses an address once per call instead of once
 * per prefix, and remembers its last answers (bounded): detectors ask about the same few servers
 * for every record, and parsing the text was 5 % of the incident-rich bench file.
 */
export class PrefixList {
  readonly #nets: readonly { readonly net: Buffer; readonly len: number }[];
  readonly #memo = new Map<string, boolean>();
  static readonly MEMO_LIMIT = 4096;

  constructor(prefixes: readonly string[]) {
    this.#nets = prefixes.map((p) => {
      const slash = p.indexOf('/');
      const net = parseAddress(p.slice(0, slash));
      if (!net) throw new Error(`not a prefix: ${p}`);
      return { net, len: Number(p.slice(slash + 1)) };
    });
  }

  has(address: string): boolean {
    let known = this.#memo.get(address);
    if (known === undefined) {
      const a = parseAddress(address);
      known = a !== undefined && this.#nets.some((n) => matches(a, n.net, n.len));
      if (this.#memo.size >= PrefixList.MEMO_LIMIT) this.#memo.clear();
      this.#memo.set(address, known);
    }
    return known;
  }
}

/** The first `len` bits of `a` and `net` agree (both of one family). */
function matches(a: Buffer, net: Buffer, len: number): boolean {
  if (net.length !== a.length) return false;
  const full = Math.floor(len / 8);
  for (let i = 0; i < full; i++) if (a[i] !== net[i]) return false;
  const rest = len % 8;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (a[full]! & mask) === (net[full]! & mask);
}

/** Addresses that never leave a site: RFC 1918, loopback, link-local, ULA, CGNAT. */
const LOCAL_PREFIXES = new PrefixList([
  '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', '169.254.0.0/16', '100.64.0.0/10',
  '::1/128', 'fe80::/10', 'fc00::/7',
]);
export const isLocalAddress = (address: string): boolean => LOCAL_PREFIXES.has(address);
