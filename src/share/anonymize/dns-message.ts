// A DNS message (RFC 1035 §4) anonymised in place: names mapped label by label (same lengths, so
// compression pointers and sizes stay valid), A/AAAA/SVCB-hint addresses and EDNS Client Subnet
// prefixes mapped, and every rdata that is not a name or an address (TXT, keys, signatures,
// cookies …) zeroed with its length kept. A message cut short (snaplen, a first fragment, an ICMP
// quote) is mapped as far as it goes; the bytes after the last whole field are zeroed, since what
// they hold cannot be known.
import type { NameMap } from './names.js';
import type { PrefixMap } from './prefix-map.js';

const HEADER = 12;
const MAX_POINTER_HOPS = 128;

const Type = {
  A: 1, NS: 2, MD: 3, MF: 4, CNAME: 5, SOA: 6, MB: 7, MG: 8, MR: 9, PTR: 12, MX: 15, RP: 17, AFSDB: 18, RT: 21,
  AAAA: 28, SRV: 33, KX: 36, DNAME: 39, OPT: 41, RRSIG: 46, NSEC: 47, SVCB: 64, HTTPS: 65,
} as const;
/** rdata that is one domain name. */
const NAME_RDATA: ReadonlySet<number> = new Set([Type.NS, Type.MD, Type.MF, Type.CNAME, Type.MB, Type.MG, Type.MR, Type.PTR, Type.DNAME]);
/** rdata that is a 16-bit number, then a name. */
const PREF_NAME_RDATA: ReadonlySet<number> = new Set([Type.MX, Type.AFSDB, Type.RT, Type.KX]);
const EDNS_CLIENT_SUBNET = 8;
const SVC_IPV4HINT = 4;
const SVC_IPV6HINT = 6;
/** SvcParams that name protocols or ports, not anyone: mandatory, alpn, no-default-alpn, port. */
const SVC_KEPT: ReadonlySet<number> = new Set([0, 1, 2, 3]);

export class DnsMessageMapper {
  constructor(
    private readonly names: NameMap,
    private readonly addresses: PrefixMap,
  ) {}

  /** Anonymises `b[start, end)` in place; returns false if the message was cut short or damaged. */
  map(b: Buffer, start: number, end: number): boolean {
    const w = new Walk(b, start, end, this.names, this.addresses);
    const ok = w.message();
    if (w.safeEnd < end) b.fill(0, w.safeEnd, end);
    return ok;
  }
}

class Walk {
  /** Everything before this offset is mapped or known to hold nothing to hide. */
  safeEnd: number;

  constructor(
    readonly b: Buffer,
    readonly start: number,
    readonly end: number,
    readonly names: NameMap,
    readonly addresses: PrefixMap,
  ) {
    this.safeEnd = start;
  }

  message(): boolean {
    const { b, start, end } = this;
    if (end - start < HEADER) return false;
    const counts = [b.readUInt16BE(start + 4), b.readUInt16BE(start + 6), b.readUInt16BE(start + 8), b.readUInt16BE(start + 10)];
    let p = start + HEADER;
    this.safeEnd = p;
    for (let q = 0; q < counts[0]!; q++) {
      const after = this.name(p);
      if (after === undefined || after + 4 > end) return false;
      p = after + 4;
      this.safeEnd = p;
    }
    for (let section = 1; section < 4; section++) {
      for (let r = 0; r < counts[section]!; r++) {
        const after = this.name(p);
        if (after === undefined || after + 10 > end) return false;
        const type = b.readUInt16BE(after);
        const rdlength = b.readUInt16BE(after + 8);
        const rdata = after + 10;
        if (rdata + rdlength > end) return false;
        this.rdata(type, rdata, rdata + rdlength);
        p = rdata + rdlength;
        this.safeEnd = p;
      }
    }
    // Bytes after the last record (padding, garbage) hide nothing we can name: zeroed by the caller.
    return true;
  }

  /**
   * Maps the labels written at `p` (up to the end or a pointer), using the whole name (pointers
   * followed) for context; returns the offset after the name as written at `p`.
   */
  name(p: number): number | undefined {
    const { b, start, end } = this;
    const labels: string[] = [];
    const inline: number[] = []; // offsets of the labels written here (not behind a pointer)
    let q = p;
    let after: number | undefined;
    for (let hops = 0; ; ) {
      if (q >= end) return undefined;
      const len = b[q]!;
      if (len === 0) {
        if (after === undefined) after = q + 1;
        break;
      }
      if ((len & 0xc0) === 0xc0) {
        if (q + 1 >= end) return undefined;
        if (after === undefined) after = q + 2;
        if (++hops > MAX_POINTER_HOPS) return undefined;
        const target = start + (((len & 0x3f) << 8) | b[q + 1]!);
        if (target >= q) return undefined; // a pointer points back (RFC 1035 §4.1.4): anything else loops or lies
        q = target;
        continue;
      }
      if ((len & 0xc0) !== 0) return undefined; // extended label types (RFC 6891 §5): not names we can map
      if (q + 1 + len > end) return undefined;
      if (after === undefined) inline.push(q);
      labels.push(b.toString('latin1', q + 1, q + 1 + len));
      q += 1 + len;
    }
    if (inline.length > 0) {
      const mapped = this.names.mapName(labels);
      for (let i = 0; i < inline.length; i++) b.write(mapped[i]!, inline[i]! + 1, 'latin1');
    }
    return after;
  }

  rdata(type: number, p: number, e: number): void {
    const { b } = this;
    const len = e - p;
    if (type === Type.A && len === 4) return this.addresses.mapInPlace(b, p, 4);
    if (type === Type.AAAA && len === 16) return this.addresses.mapInPlace(b, p, 16);
    if (NAME_RDATA.has(type)) return this.nameThenZero(p, e);
    if (PREF_NAME_RDATA.has(type) && len >= 2) return this.nameThenZero(p + 2, e);
    if (type === Type.SRV && len >= 6) return this.nameThenZero(p + 6, e);
    if (type === Type.SOA) {
      const second = this.name(p);
      const rest = second === undefined || second > e ? undefined : this.name(second);
      if (rest === undefined || rest + 20 > e) b.fill(0, p, e); // the 20 bytes after the names are serials and timers: kept
      return;
    }
    if (type === Type.RP) {
      const second = this.name(p);
      if (second === undefined || second > e || this.name(second) === undefined) b.fill(0, p, e);
      return;
    }
    if (type === Type.NSEC) return void this.nameThenZero(p, e, false);
    if (type === Type.RRSIG && len >= 18) {
      const after = this.name(p + 18);
      b.fill(0, after === undefined || after > e ? p : after, e); // the signature itself
      return;
    }
    if (type === Type.OPT) return this.ednsOptions(p, e);
    if ((type === Type.SVCB || type === Type.HTTPS) && len >= 3) return this.svcb(p, e);
    b.fill(0, p, e);
  }

  /** A name at `p`; bytes after it up to `e` zeroed (or kept, for NSEC's type bitmap). */
  nameThenZero(p: number, e: number, zeroRest = true): void {
    const after = this.name(p);
    if (after === undefined || after > e) return void this.b.fill(0, p, e);
    if (zeroRest) this.b.fill(0, after, e);
  }

  /** EDNS(0) options (RFC 6891 §6.1.2): Client Subnet mapped, every other option's data zeroed. */
  ednsOptions(p: number, e: number): void {
    const { b } = this;
    while (p + 4 <= e) {
      const code = b.readUInt16BE(p);
      const len = b.readUInt16BE(p + 2);
      const data = p + 4;
      if (data + len > e) break;
      if (code === EDNS_CLIENT_SUBNET && len >= 4) this.clientSubnet(data, data + len);
      else b.fill(0, data, data + len);
      p = data + len;
    }
    b.fill(0, p, e);
  }

  /** RFC 7871 §6: family, source prefix length, scope prefix length, the prefix's significant bytes. */
  clientSubnet(p: number, e: number): void {
    const { b } = this;
    const family = b.readUInt16BE(p);
    const bits = b[p + 2]!;
    const size = family === 1 ? 4 : family === 2 ? 16 : 0;
    const bytes = e - (p + 4);
    if (size === 0 || bits > size * 8 || bytes > size) return void b.fill(0, p + 4, e);
    const full = Buffer.alloc(size);
    b.copy(full, 0, p + 4, e);
    this.addresses.mapPrefix(full, bits).copy(b, p + 4, 0, bytes);
  }

  /** SVCB/HTTPS (RFC 9460): priority, target name, then key/length/value parameters. */
  svcb(p: number, e: number): void {
    const { b } = this;
    const target = this.name(p + 2);
    if (target === undefined || target > e) return void b.fill(0, p + 2, e);
    let q = target;
    while (q + 4 <= e) {
      const key = b.readUInt16BE(q);
      const len = b.readUInt16BE(q + 2);
      const v = q + 4;
      if (v + len > e) break;
      if (key === SVC_IPV4HINT && len % 4 === 0) for (let a = v; a < v + len; a += 4) this.addresses.mapInPlace(b, a, 4);
      else if (key === SVC_IPV6HINT && len % 16 === 0) for (let a = v; a < v + len; a += 16) this.addresses.mapInPlace(b, a, 16);
      else if (!SVC_KEPT.has(key)) b.fill(0, v, v + len);
      q = v + len;
    }
    b.fill(0, q, e);
  }
}
