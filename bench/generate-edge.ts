// Writes the incident-rich bench capture: an enterprise edge seen from a mirror port. Per million
// packets about 150 k DNS queries and 50 k TCP connections over IPv4 and IPv6 from ~1,500 Linux and
// Windows clients, lookups and connections overlapping in time, and the trouble such an edge has in
// realistic proportions: CNAME chains, NODATA, NXDOMAIN, SERVFAIL, unanswered queries and their
// retries, PTR lookups (RFC 6303 zones among them, a few leaking), a stub resolver's same-port
// reply drop, a GSLB that never answers AAAA, large TXT answers; Linux and Windows SYN option
// layouts, slow start, random loss repaired by fast or RTO retransmission, SYN retries, refused and
// unanswered SYNs, stale AAAA records (fallback to IPv4), Packet Too Big and frag-needed that some
// senders ignore and paths that drop them (PMTUD blackholes); neighbour discovery and ARP.
//
// Deterministic: one seeded generator drives every choice, so a (seed, packets) pair always gives
// the same file. Each lookup or connection is laid out in full when it starts, its frames go into a
// time-ordered queue, and frames leave the queue in time order while later sessions start — so many
// sessions are in flight at once, as on a real link. Classic pcap, Ethernet, µs; every IP, UDP, TCP
// and ICMP checksum is correct.
import { closeSync, openSync, writeSync } from 'node:fs';

/** mulberry32: small, fast, and the same sequence on every platform. */
class Rng {
  #s: number;
  constructor(seed: number) { this.#s = seed >>> 0; }
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number { return Math.floor(this.next() * n); }
  range(lo: number, hi: number): number { return lo + this.int(hi - lo + 1); }
  chance(p: number): boolean { return this.next() < p; }
  pick<T>(a: readonly T[]): T { return a[this.int(a.length)]!; }
  /** Exponentially distributed, mean `mean`. */
  exp(mean: number): number { return -Math.log(1 - this.next()) * mean; }
}

// ---------------------------------------------------------------- wire building

type Addr = Buffer; // 4 bytes (IPv4) or 16 (IPv6)
const isV6 = (a: Addr): boolean => a.length === 16;

function v4(a: number, b: number, c: number, d: number): Addr { return Buffer.from([a, b, c, d]); }
function v6(prefix: string, hi: number, lo: number): Addr {
  const b = Buffer.alloc(16);
  const words = prefix.split(':').filter(Boolean).map((w) => parseInt(w, 16));
  words.forEach((w, i) => b.writeUInt16BE(w, i * 2));
  b.writeUInt16BE(hi & 0xffff, 12);
  b.writeUInt16BE(lo & 0xffff, 14);
  return b;
}

/** RFC 1071 one's-complement sum of b[from, to), folded later. */
function sum16(b: Buffer, from: number, to: number, acc = 0): number {
  let i = from;
  for (; i + 1 < to; i += 2) acc += (b[i]! << 8) | b[i + 1]!;
  if (i < to) acc += b[i]! << 8;
  return acc;
}
const fold = (s: number): number => {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
};

const MAC_GATEWAY = Buffer.from('00005e000101', 'hex');
let ipv4Id = 1;

/** An Ethernet frame carrying `l4` over IP from src to dst; fills the L4 checksum at `ckOff`. */
function ipFrame(srcMac: Buffer, dstMac: Buffer, src: Addr, dst: Addr, proto: number, l4: Buffer, ckOff: number, hopLimit = 64): Buffer {
  const v6f = isV6(src);
  const ipLen = v6f ? 40 : 20;
  const f = Buffer.alloc(14 + ipLen + l4.length);
  dstMac.copy(f, 0);
  srcMac.copy(f, 6);
  f.writeUInt16BE(v6f ? 0x86dd : 0x0800, 12);
  const ip = 14;
  let pseudo: number;
  if (v6f) {
    f.writeUInt32BE(0x60000000, ip);
    f.writeUInt16BE(l4.length, ip + 4);
    f[ip + 6] = proto;
    f[ip + 7] = hopLimit;
    src.copy(f, ip + 8);
    dst.copy(f, ip + 24);
    pseudo = sum16(f, ip + 8, ip + 40) + l4.length + proto;
  } else {
    f[ip] = 0x45;
    f.writeUInt16BE(20 + l4.length, ip + 2);
    f.writeUInt16BE(ipv4Id = (ipv4Id + 1) & 0xffff, ip + 4);
    f.writeUInt16BE(proto === 17 ? 0 : 0x4000, ip + 6); // TCP and ICMP with DF, as Linux sends them
    f[ip + 8] = hopLimit;
    f[ip + 9] = proto;
    src.copy(f, ip + 12);
    dst.copy(f, ip + 16);
    f.writeUInt16BE(fold(sum16(f, ip, ip + 20)), ip + 10);
    pseudo = sum16(f, ip + 12, ip + 20) + l4.length + proto;
  }
  l4.copy(f, ip + ipLen);
  const l4at = ip + ipLen;
  if (ckOff >= 0) {
    const base = proto === 1 ? 0 : pseudo; // ICMPv4 has no pseudo-header
    let c = fold(sum16(f, l4at, f.length, base));
    if (c === 0 && proto === 17) c = 0xffff;
    f.writeUInt16BE(c, l4at + ckOff);
  }
  return f;
}

function udp(sport: number, dport: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(8 + payload.length);
  b.writeUInt16BE(sport, 0);
  b.writeUInt16BE(dport, 2);
  b.writeUInt16BE(b.length, 4);
  payload.copy(b, 8);
  return b;
}

const TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08, TCP_ACK = 0x10;

function tcp(sport: number, dport: number, seq: number, ack: number, flags: number, window: number, options: Buffer, payload: Buffer | number): Buffer {
  const plen = typeof payload === 'number' ? payload : payload.length;
  const b = Buffer.alloc(20 + options.length + plen);
  b.writeUInt16BE(sport, 0);
  b.writeUInt16BE(dport, 2);
  b.writeUInt32BE(seq >>> 0, 4);
  b.writeUInt32BE(flags & TCP_ACK ? ack >>> 0 : 0, 8);
  b[12] = ((20 + options.length) / 4) << 4;
  b[13] = flags;
  b.writeUInt16BE(window, 14);
  options.copy(b, 20);
  if (typeof payload !== 'number') payload.copy(b, 20 + options.length);
  return b;
}

/** Linux SYN options: MSS, SACK permitted, timestamps, NOP, window scale (20 bytes). */
function linuxSynOptions(mss: number, tsval: number, tsecr: number, wscale: number): Buffer {
  const o = Buffer.from([2, 4, mss >> 8, mss & 0xff, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, wscale]);
  o.writeUInt32BE(tsval >>> 0, 8);
  o.writeUInt32BE(tsecr >>> 0, 12);
  return o;
}
/** Windows SYN options: MSS, NOP, window scale, NOP, NOP, SACK permitted (12 bytes). */
const windowsSynOptions = (mss: number, wscale: number): Buffer => Buffer.from([2, 4, mss >> 8, mss & 0xff, 1, 3, 3, wscale, 1, 1, 4, 2]);
function timestampOption(tsval: number, tsecr: number, sack: readonly (readonly [number, number])[] = []): Buffer {
  const o = Buffer.alloc(12 + (sack.length ? 4 + 8 * sack.length : 0));
  o[0] = 1; o[1] = 1; o[2] = 8; o[3] = 10;
  o.writeUInt32BE(tsval >>> 0, 4);
  o.writeUInt32BE(tsecr >>> 0, 8);
  if (sack.length) sackInto(o, 12, sack);
  return o;
}
function sackOption(sack: readonly (readonly [number, number])[]): Buffer {
  if (!sack.length) return Buffer.alloc(0);
  const o = Buffer.alloc(4 + 8 * sack.length);
  sackInto(o, 0, sack);
  return o;
}
function sackInto(o: Buffer, at: number, sack: readonly (readonly [number, number])[]): void {
  o[at] = 1; o[at + 1] = 1; o[at + 2] = 5; o[at + 3] = 2 + 8 * sack.length;
  sack.forEach(([l, r], i) => { o.writeUInt32BE(l >>> 0, at + 4 + 8 * i); o.writeUInt32BE(r >>> 0, at + 8 + 8 * i); });
}

// DNS (RFC 1035): names uncompressed except the answer owner that repeats the question.
const QTYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, OPT: 41 } as const;

function dnsName(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const l of name.split('.')) if (l) parts.push(Buffer.from([l.length]), Buffer.from(l, 'ascii'));
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}
interface Rr { owner: string | null; type: number; ttl: number; rdata: Buffer } // owner null = the question name
function rrBytes(rr: Rr): Buffer {
  const owner = rr.owner === null ? Buffer.from([0xc0, 0x0c]) : dnsName(rr.owner);
  const f = Buffer.alloc(10);
  f.writeUInt16BE(rr.type, 0);
  f.writeUInt16BE(1, 2);
  f.writeUInt32BE(rr.ttl, 4);
  f.writeUInt16BE(rr.rdata.length, 8);
  return Buffer.concat([owner, f, rr.rdata]);
}
function soaRdata(zone: string): Buffer {
  const nums = Buffer.alloc(20);
  [2026120601, 7200, 3600, 1209600, 300].forEach((n, i) => nums.writeUInt32BE(n, i * 4));
  return Buffer.concat([dnsName(`ns1.${zone}`), dnsName(`hostmaster.${zone}`), nums]);
}
function dnsMessage(id: number, flags: number, qname: string, qtype: number, answers: Rr[], authority: Rr[], edns: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(flags, 2);
  h.writeUInt16BE(1, 4);
  h.writeUInt16BE(answers.length, 6);
  h.writeUInt16BE(authority.length, 8);
  h.writeUInt16BE(edns ? 1 : 0, 10);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(qtype, 0);
  q.writeUInt16BE(1, 2);
  const parts = [h, dnsName(qname), q, ...answers.map(rrBytes), ...authority.map(rrBytes)];
  if (edns) {
    const opt = Buffer.alloc(11);
    opt.writeUInt16BE(QTYPE.OPT, 1);
    opt.writeUInt16BE(edns, 3);
    parts.push(opt);
  }
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------- the edge's population

type Os = 'linux' | 'windows';
type Stub = 'parallel' | 'reopen' | 'windows';
interface Client { mac: Buffer; v4: Addr; v6: Addr | undefined; os: Os; stub: Stub; dnsOverV6: boolean; clock: number }
type MtuTrouble = 'none' | 'blackhole' | 'ptb' | 'ptb-ignored';
interface Server { addr: Addr; rttMicros: number; loss: number; os: Os; mtu: MtuTrouble; dead: 'no' | 'silent' | 'unreachable' | 'rst'; refuses: boolean; clock: number }
interface Name { qname: string; chain: string[]; v4: Server; v6: Server | undefined; gslb: boolean }

const ZONES = ['example.com', 'example.net', 'example.org', 'corp.example', 'cdn.example.net', 'api.example.com'];
const LABELS = ['www', 'api', 'mail', 'login', 'static', 'img', 'files', 'sync', 'auth', 'git', 'wiki', 'chat', 'vpn', 'app', 'portal', 'cdn', 'metrics', 'update'];

class Edge {
  readonly clients: Client[] = [];
  readonly servers4: Server[] = [];
  readonly servers6: Server[] = [];
  readonly names: Name[] = [];
  readonly resolver4 = v4(10, 0, 0, 53);
  readonly resolver6 = v6('2001:db8:20::', 0, 0x53);
  readonly routerV6 = v6('2001:db8:20:ffff::', 0, 1); // the branch tunnel router that sends PTBs
  readonly routerV4 = v4(10, 20, 255, 1);
  readonly ulaPeers: string[] = [];

  constructor(readonly rng: Rng) {
    for (let i = 0; i < 1500; i++) {
      const os: Os = rng.chance(0.35) ? 'windows' : 'linux';
      const mac = Buffer.from([0x02, 0x00, 0x0a, 0x14, i >> 8, i & 0xff]);
      const v6addr = rng.chance(0.8) ? v6('2001:db8:20:', (i >> 8) + 1, 0x1000 + (i & 0xff)) : undefined;
      const stub: Stub = os === 'windows' ? 'windows' : rng.chance(0.12) ? 'reopen' : 'parallel';
      this.clients.push({ mac, v4: v4(10, 20, i >> 8, (i & 0xff) + 1 || 1), v6: v6addr, os, stub, dnsOverV6: v6addr !== undefined && rng.chance(0.5), clock: rng.int(1e9) });
    }
    const server = (addr: Addr, family6: boolean): Server => {
      const r = rng.next();
      const mtu: MtuTrouble = r < 0.002 ? 'blackhole' : r < 0.025 ? 'ptb' : r < 0.028 ? 'ptb-ignored' : 'none';
      const d = rng.next();
      return {
        addr, rttMicros: rng.range(8_000, 160_000), loss: rng.chance(0.12) ? 0.03 : 0.003, os: rng.chance(0.3) ? 'windows' : 'linux', mtu,
        dead: family6 && d < 0.01 ? (['silent', 'unreachable', 'rst'] as const)[rng.int(3)] : 'no', refuses: rng.chance(0.01), clock: rng.int(1e9),
      };
    };
    for (let i = 1; i < 255; i++) for (const n of [[203, 0, 113], [198, 51, 100]] as const) this.servers4.push(server(v4(n[0], n[1], n[2], i), false));
    for (let i = 0; i < 900; i++) this.servers6.push(server(v6('2001:db8:ff00:', i >> 8, 0x100 + (i & 0xff)), true));
    for (let i = 0; i < 4000; i++) {
      const zone = rng.pick(ZONES);
      const qname = `${rng.pick(LABELS)}${i}.${zone}`;
      const chain = rng.chance(0.2) ? [`${qname.split('.')[0]}.edge.${rng.pick(ZONES)}`, ...(rng.chance(0.4) ? [`e${rng.int(900)}.g.akamai-like.example`] : [])] : [];
      this.names.push({ qname, chain, v4: rng.pick(this.servers4), v6: rng.chance(0.65) ? rng.pick(this.servers6) : undefined, gslb: rng.chance(0.004) });
    }
    for (let i = 0; i < 30; i++) this.ulaPeers.push(ptrName6(v6('fd12:3456:789a:', rng.int(8), rng.range(1, 0xfff))));
  }
  /** Popular names are asked often (a rough Zipf). */
  popularName(): Name { const r = this.rng.next(); return this.names[Math.floor(r * r * r * this.names.length)]!; }
}

function ptrName4(a: Addr): string { return `${a[3]}.${a[2]}.${a[1]}.${a[0]}.in-addr.arpa`; }
function ptrName6(a: Addr): string {
  const nibbles: string[] = [];
  for (let i = 15; i >= 0; i--) nibbles.push((a[i]! & 0xf).toString(16), (a[i]! >> 4).toString(16));
  return `${nibbles.join('.')}.ip6.arpa`;
}

// ---------------------------------------------------------------- the time-ordered frame queue

/** A binary min-heap of frames by (time, order pushed): ties keep the order they were laid out in. */
class FrameQueue {
  #t: number[] = [];
  #o: number[] = [];
  #f: Buffer[] = [];
  #n = 0;
  get size(): number { return this.#t.length; }
  get firstTime(): number { return this.#t[0]!; }
  push(t: number, f: Buffer): void {
    const T = this.#t, O = this.#o, F = this.#f;
    let i = T.length;
    const o = this.#n++;
    T.push(t); O.push(o); F.push(f);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (T[p]! < t || (T[p] === t && O[p]! < o)) break;
      T[i] = T[p]!; O[i] = O[p]!; F[i] = F[p]!;
      i = p;
    }
    T[i] = t; O[i] = o; F[i] = f;
  }
  /** Removes the earliest frame and returns it; its time is read from firstTime before. */
  pop(): Buffer {
    const T = this.#t, O = this.#o, F = this.#f;
    const top = F[0]!;
    const t = T.pop()!, o = O.pop()!, f = F.pop()!;
    const n = T.length;
    if (n) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && (T[c + 1]! < T[c]! || (T[c + 1] === T[c] && O[c + 1]! < O[c]!))) c++;
        if (t < T[c]! || (t === T[c] && o < O[c]!)) break;
        T[i] = T[c]!; O[i] = O[c]!; F[i] = F[c]!;
        i = c;
      }
      T[i] = t; O[i] = o; F[i] = f;
    }
    return top;
  }
}

// ---------------------------------------------------------------- sessions

class Generator {
  readonly q = new FrameQueue();
  constructor(readonly rng: Rng, readonly edge: Edge) {}

  // ------------------------------------------------ DNS
  /** Client → resolver query at t; returns the id used. */
  query(t: number, c: Client, port: number, id: number, qname: string, qtype: number, edns: number): void {
    const src = c.dnsOverV6 ? c.v6! : c.v4;
    const dst = c.dnsOverV6 ? this.edge.resolver6 : this.edge.resolver4;
    this.q.push(t, ipFrame(c.mac, MAC_GATEWAY, src, dst, 17, udp(port, 53, dnsMessage(id, 0x0100, qname, qtype, [], [], edns)), 6));
  }
  reply(t: number, c: Client, port: number, id: number, qname: string, qtype: number, rcode: number, answers: Rr[], authority: Rr[], edns: number): void {
    const dst = c.dnsOverV6 ? c.v6! : c.v4;
    const src = c.dnsOverV6 ? this.edge.resolver6 : this.edge.resolver4;
    const msg = dnsMessage(id, 0x8180 | rcode, qname, qtype, answers, authority, edns ? 1232 : 0);
    this.q.push(t, ipFrame(MAC_GATEWAY, c.mac, src, dst, 17, udp(53, port, msg), 6));
  }
  /** The answer records for a name: its CNAME chain, then the address (or nothing: NODATA). */
  answerFor(n: Name, qtype: number): { answers: Rr[]; authority: Rr[] } {
    const answers: Rr[] = [];
    let owner: string | null = null;
    for (const target of n.chain) {
      answers.push({ owner, type: QTYPE.CNAME, ttl: 300, rdata: dnsName(target) });
      owner = target;
    }
    const server = qtype === QTYPE.AAAA ? n.v6 : n.v4;
    if (server) answers.push({ owner, type: qtype, ttl: 60, rdata: server.addr });
    const zone = n.qname.split('.').slice(1).join('.');
    return { answers, authority: server ? [] : [{ owner: zone, type: QTYPE.SOA, ttl: 300, rdata: soaRdata(zone) }] };
  }
  ephemeral(c: Client): number { return c.os === 'windows' ? this.rng.range(49152, 65535) : this.rng.range(32768, 60999); }
  resolveDelay(): number { return this.rng.chance(0.7) ? this.rng.range(250, 2_000) : this.rng.range(8_000, 180_000); }

  /**
   * One getaddrinfo(): A and AAAA as this client's stub asks them, with the incident drawn for this
   * lookup. Returns when the answer reached the client, and which families it got (undefined: failed).
   */
  lookup(t: number, c: Client, n: Name): { done: number; v4: boolean; v6: boolean } | undefined {
    const r = this.rng;
    const edns = r.chance(0.3) ? 1232 : 0;
    const draw = r.next();
    const outcome = draw < 0.03 ? 'nxdomain' : draw < 0.037 ? 'servfail' : draw < 0.047 ? 'unanswered' : draw < 0.0495 && c.stub === 'parallel' ? 'reply-drop' : 'ok';
    const qname = outcome === 'nxdomain' ? `${n.qname.split('.')[0]}x${r.int(1e6)}.${n.qname.split('.').slice(1).join('.')}` : n.qname;
    const timeout = c.os === 'windows' ? 1_000_000 : 5_000_000;
    const attempts = c.os === 'windows' ? 3 : 2;
    const portA = this.ephemeral(c);
    const portAAAA = c.stub === 'parallel' ? portA : this.ephemeral(c);
    const idA = r.int(0x10000), idAAAA = r.int(0x10000);
    const order = c.stub === 'windows' ? [QTYPE.AAAA, QTYPE.A] : [QTYPE.A, QTYPE.AAAA];
    let got4 = false, got6 = false, at = t;
    const answer = (when: number, qtype: number, port: number, id: number): number => {
      const d = when + this.resolveDelay();
      if (outcome === 'nxdomain') {
        const zone = qname.split('.').slice(1).join('.');
        this.reply(d, c, port, id, qname, qtype, 3, [], [{ owner: zone, type: QTYPE.SOA, ttl: 300, rdata: soaRdata(zone) }], edns);
      } else if (outcome === 'servfail') this.reply(d, c, port, id, qname, qtype, 2, [], [], edns);
      else {
        const a = this.answerFor(n, qtype);
        this.reply(d, c, port, id, qname, qtype, 0, a.answers, a.authority, edns);
        if (qtype === QTYPE.A) got4 = true; else if (n.v6) got6 = true;
      }
      return d;
    };
    for (let attempt = 0; attempt < attempts; attempt++) {
      const send = t + attempt * timeout;
      order.forEach((qt, i) => this.query(send + i * r.range(20, 120), c, qt === QTYPE.A ? portA : portAAAA, qt === QTYPE.A ? idA : idAAAA, qname, qt, edns));
      if (outcome === 'unanswered' && (attempt === 0 || r.chance(0.3))) { at = send + timeout; continue; }
      if (outcome === 'reply-drop' && attempt === 0) {
        // The firewall lets the A reply through and drops the AAAA reply; glibc asks again one at a time.
        answer(send, QTYPE.A, portA, idA);
        const again = send + timeout;
        this.query(again, c, portA, idA, qname, QTYPE.A, edns);
        const a = answer(again, QTYPE.A, portA, idA);
        this.query(a + 40, c, portAAAA, idAAAA, qname, QTYPE.AAAA, edns);
        at = answer(a + 40, QTYPE.AAAA, portAAAA, idAAAA);
        break;
      }
      let last = send;
      for (const [i, qt] of order.entries()) {
        const when = send + i * 60;
        if (qt === QTYPE.AAAA && n.gslb && outcome === 'ok') continue; // the GSLB never answers AAAA
        last = Math.max(last, answer(when, qt, qt === QTYPE.A ? portA : portAAAA, qt === QTYPE.A ? idA : idAAAA));
      }
      at = n.gslb && outcome === 'ok' ? send + timeout : last;
      if (!n.gslb || outcome !== 'ok' || attempt === attempts - 1) break;
    }
    if (!got4 && !got6) return undefined;
    return { done: at, v4: got4, v6: got6 };
  }

  /** A reverse lookup: of a server (answered), of a private client address (the resolver serves the
   * zone: NXDOMAIN at once), or of a ULA peer whose zone the resolver does not serve (leaks, times out). */
  ptrLookup(t: number, c: Client): void {
    const r = this.rng;
    const port = this.ephemeral(c);
    const id = r.int(0x10000);
    const kind = r.next();
    if (kind < 0.55) {
      const s = r.chance(0.5) ? r.pick(this.edge.servers4) : r.pick(this.edge.servers6);
      const qname = isV6(s.addr) ? ptrName6(s.addr) : ptrName4(s.addr);
      this.query(t, c, port, id, qname, QTYPE.PTR, 0);
      this.reply(t + this.resolveDelay(), c, port, id, qname, QTYPE.PTR, 0, [{ owner: null, type: QTYPE.PTR, ttl: 3600, rdata: dnsName(`host-${s.addr.toString('hex')}.example.net`) }], [], 0);
    } else if (kind < 0.985) {
      const peer = r.pick(this.edge.clients);
      const qname = r.chance(0.7) || !peer.v6 ? ptrName4(peer.v4) : ptrName6(peer.v6);
      this.query(t, c, port, id, qname, QTYPE.PTR, 0);
      const zone = qname.endsWith('in-addr.arpa') ? '10.in-addr.arpa' : '8.b.d.0.1.0.0.2.ip6.arpa';
      this.reply(t + r.range(150, 900), c, port, id, qname, QTYPE.PTR, 3, [], [{ owner: zone, type: QTYPE.SOA, ttl: 300, rdata: soaRdata(zone) }], 0);
    } else {
      const qname = r.pick(this.edge.ulaPeers);
      const timeout = c.os === 'windows' ? 1_000_000 : 5_000_000;
      for (let a = 0; a < 2; a++) this.query(t + a * timeout, c, port, (id + a) & 0xffff, qname, QTYPE.PTR, 0);
    }
  }

  /** A mail or SPF check asking TXT: the answer is larger than 1232 octets. */
  largeTxt(t: number, c: Client): void {
    const port = this.ephemeral(c);
    const id = this.rng.int(0x10000);
    const qname = `selector${this.rng.int(20)}._domainkey.${this.rng.pick(ZONES)}`;
    this.query(t, c, port, id, qname, QTYPE.TXT, 4096);
    const strings: Buffer[] = [];
    for (let i = 0; i < 6; i++) strings.push(Buffer.from([220]), Buffer.alloc(220, 0x61 + i));
    this.reply(t + this.resolveDelay(), c, port, id, qname, QTYPE.TXT, 0, [{ owner: null, type: QTYPE.TXT, ttl: 300, rdata: Buffer.concat(strings) }], [], 4096);
  }

  // ------------------------------------------------ TCP
  /**
   * One connection attempt from c to s at t. Returns when it was established (for a fallback that
   * waits on it) or undefined when it failed, and the time the client gave up.
   */
  connect(t: number, c: Client, s: Server, port: number): { ok: boolean; gaveUp: number } {
    const r = this.rng;
    const family6 = isV6(s.addr);
    const cAddr = family6 ? c.v6! : c.v4;
    const cport = this.ephemeral(c);
    const cLinux = c.os === 'linux', sLinux = s.os === 'linux';
    const cmss = family6 ? 1440 : 1460, smss = family6 ? 1440 : 1460;
    const half = s.rttMicros / 2, near = r.range(150, 900); // the edge → server leg and client → edge leg (each way)
    const cts = (at: number): number => (c.clock + Math.floor(at / 1000)) >>> 0;
    const sts = (at: number): number => (s.clock + Math.floor(at / 1000)) >>> 0;
    let isn = r.int(2 ** 32), sisn = r.int(2 ** 32);
    const fromClient = (at: number, seq: number, ack: number, flags: number, opts: Buffer, payload: Buffer | number): void =>
      this.q.push(Math.round(at), ipFrame(c.mac, MAC_GATEWAY, cAddr, s.addr, 6, tcp(cport, port, seq, ack, flags, cLinux ? 502 : 1026, opts, payload), 16));
    const fromServer = (at: number, seq: number, ack: number, flags: number, opts: Buffer, payload: Buffer | number): void =>
      this.q.push(Math.round(at), ipFrame(MAC_GATEWAY, c.mac, s.addr, cAddr, 6, tcp(port, cport, seq, ack, flags, sLinux ? 509 : 1026, opts, payload), 16, 52));
    const synOpts = (at: number): Buffer => (cLinux ? linuxSynOptions(cmss, cts(at), 0, 7) : windowsSynOptions(cmss, 8));
    const both = cLinux && sLinux; // timestamps only when both sides offer them
    const cOpts = (at: number, tsecr: number, sack: readonly (readonly [number, number])[] = []): Buffer => (both ? timestampOption(cts(at), tsecr, sack) : sackOption(sack));
    const sOpts = (at: number, tsecr: number): Buffer => (both ? timestampOption(sts(at), tsecr) : Buffer.alloc(0));

    // SYN, with retries: Linux 1, 2, 4 s apart; Windows 1, 2 s.
    const retries = cLinux ? [1e6, 3e6, 7e6] : [1e6, 3e6];
    const synLost = s.dead === 'silent' || (s.refuses === false && r.chance(0.01)) ? (s.dead === 'silent' ? 99 : 1) : 0;
    for (let k = 0; k <= Math.min(synLost, retries.length); k++) {
      fromClient(t + (k ? retries[k - 1]! : 0), isn, 0, TCP_SYN, synOpts(t + (k ? retries[k - 1]! : 0)), 0);
    }
    if (synLost > retries.length) return { ok: false, gaveUp: t + retries[retries.length - 1]! * 2 };
    let at = t + (synLost ? retries[synLost - 1]! : 0);
    if (s.dead === 'unreachable') {
      // The router's neighbour discovery failed: address unreachable about 3 s later.
      const ick = Buffer.alloc(8);
      ick[0] = 1; ick[1] = 3;
      const synFrame = ipFrame(c.mac, MAC_GATEWAY, cAddr, s.addr, 6, tcp(cport, port, isn, 0, TCP_SYN, 502, synOpts(at), 0), 16).subarray(14);
      const body = Buffer.concat([ick, synFrame]);
      this.q.push(at + 3_000_000 + r.int(50_000), ipFrame(MAC_GATEWAY, c.mac, v6('2001:db8:ff00:', 0xffff, 0), cAddr, 58, body, 2, 60));
      return { ok: false, gaveUp: at + 3_000_100 };
    }
    if (s.dead === 'rst' || s.refuses) {
      fromServer(at + 2 * half, 0, isn + 1, TCP_RST | TCP_ACK, Buffer.alloc(0), 0);
      return { ok: false, gaveUp: at + 2 * half + 100 };
    }
    const synAckAt = at + 2 * half;
    fromServer(synAckAt, sisn, isn + 1, TCP_SYN | TCP_ACK, sLinux ? (cLinux ? linuxSynOptions(smss, sts(synAckAt), cts(at), 7) : Buffer.from([2, 4, smss >> 8, smss & 0xff, 1, 1, 4, 2, 1, 3, 3, 7])) : windowsSynOptions(smss, 8), 0);
    at = synAckAt + 2 * near;
    fromClient(at, isn + 1, sisn + 1, TCP_ACK, cOpts(at, sts(synAckAt)), 0);
    // The request.
    const reqLen = r.range(180, 900);
    const req = Buffer.alloc(reqLen);
    req[0] = 0x17; req[1] = 3; req[2] = 3; req.writeUInt16BE(reqLen - 5, 3);
    fromClient(at + 30, isn + 1, sisn + 1, TCP_PSH | TCP_ACK, cOpts(at + 30, sts(synAckAt)), req);
    let t0 = at + 30 + 2 * half + r.range(200, 30_000); // server think time
    // The response: mostly small API answers, now and then a file.
    const sizeDraw = r.next();
    const segs = sizeDraw < 0.6 ? r.range(1, 2) : sizeDraw < 0.9 ? r.range(3, 8) : sizeDraw < 0.99 ? r.range(9, 30) : r.range(31, 120);
    const optLen = both ? 12 : 0;
    let mss = Math.min(cmss, smss) - optLen;
    const total = segs === 1 ? r.range(200, mss) : (segs - 1) * mss + r.range(100, mss);
    const payload = (off: number, len: number): Buffer => tlsBytes(off, len, total);
    const cSeq = isn + 1 + reqLen, base = sisn + 1;
    // Received ranges at the client, as offsets into the response.
    const got: [number, number][] = [];
    const addGot = (l: number, rr: number): void => {
      got.push([l, rr]);
      got.sort((a, b) => a[0] - b[0]);
      for (let i = 0; i + 1 < got.length;) {
        if (got[i]![1] >= got[i + 1]![0]) { got[i]![1] = Math.max(got[i]![1], got[i + 1]![1]); got.splice(i + 1, 1); } else i++;
      }
    };
    const cumAck = (): number => (got.length && got[0]![0] === 0 ? got[0]![1] : 0);
    const sacks = (): [number, number][] => got.filter((g) => g[0] > 0).slice(0, 3).map((g) => [base + g[0], base + g[1]]);
    let nxt = 0, cwnd = 10, pathMtuSeen = false, stalled = false, lastSent = t0;
    const pathLimit = s.mtu === 'none' ? Infinity : family6 ? 1400 - 60 - optLen : 1400 - 40 - optLen; // payload that fits the small link
    let rounds = 0;
    while (cumAck() < total && rounds++ < 60) {
      // One flight: new data up to cwnd (or retransmit the hole), back to back at ~1 Gb/s.
      const flight: { off: number; len: number; arrives: boolean }[] = [];
      const holeStart = cumAck();
      let off = nxt > holeStart ? holeStart : nxt;
      const end = Math.min(total, holeStart + cwnd * mss);
      let retransmitting = nxt > holeStart;
      while (off < end && flight.length < cwnd) {
        // Skip what the client already SACKed.
        const sacked = got.find((g) => g[0] <= off && off < g[1]);
        if (sacked) { off = sacked[1]; continue; }
        const len = Math.min(mss, total - off);
        const tooBig = len > pathLimit;
        const lost = tooBig || (!retransmitting && r.chance(s.loss));
        flight.push({ off, len, arrives: !lost });
        off += len;
        if (off >= nxt) retransmitting = false;
      }
      nxt = Math.max(nxt, off);
      let ackAt = 0;
      let inOrder = 0;
      let ptbAt = 0;
      flight.forEach((seg, i) => {
        const sendAt = t0 + i * 12;
        lastSent = sendAt;
        // Lost before the edge: never seen here. Lost after it (or too big for the branch link): seen.
        const seenHere = seg.arrives || seg.len > pathLimit || r.chance(0.5);
        if (seenHere) fromServer(sendAt, base + seg.off, cSeq, TCP_ACK | (seg.off + seg.len === total ? TCP_PSH : 0), sOpts(sendAt, cts(sendAt)), payload(seg.off, seg.len));
        if (seg.len > pathLimit && !ptbAt && (s.mtu === 'ptb' || s.mtu === 'ptb-ignored')) {
          ptbAt = sendAt + 2 * near + 40;
          this.tooBig(ptbAt, s, cAddr, ipFrame(MAC_GATEWAY, c.mac, s.addr, cAddr, 6, tcp(port, cport, base + seg.off, cSeq, TCP_ACK, 509, sOpts(sendAt, cts(sendAt)), payload(seg.off, seg.len)), 16, 52).subarray(14));
        }
        if (!seg.arrives) return;
        const before = cumAck();
        addGot(seg.off, seg.off + seg.len);
        const after = cumAck();
        const recvAt = sendAt + 2 * near;
        const outOfOrder = after === before;
        if (after > before) inOrder++;
        // Every second in-order segment is acknowledged, every out-of-order one at once (a dup ACK with SACK),
        // and the last of the flight.
        if (outOfOrder || inOrder % 2 === 0 || i === flight.length - 1 || got.length > 1) {
          fromClient(recvAt, cSeq, base + after, TCP_ACK, cOpts(recvAt, sts(sendAt), sacks()), 0);
          ackAt = Math.max(ackAt, recvAt);
        }
      });
      const holes = flight.some((f) => !f.arrives);
      if (ptbAt && s.mtu === 'ptb' && !pathMtuSeen) { pathMtuSeen = true; mss = Math.min(mss, pathLimit); nxt = Math.min(nxt, cumAck()); }
      if (holes) {
        const dupAcks = flight.filter((f, i) => f.arrives && flight.slice(0, i).some((g) => !g.arrives)).length;
        cwnd = Math.max(2, cwnd >> 1);
        // Fast retransmit after three duplicate ACKs, else the retransmission timer (≥ 200 ms, backing off).
        const rto = Math.min(60e6, (200_000 + s.rttMicros) * 2 ** Math.max(0, rounds - 1));
        t0 = dupAcks >= 3 && !(s.mtu === 'blackhole' || s.mtu === 'ptb-ignored') ? Math.max(ackAt, lastSent) + 2 * half : lastSent + (dupAcks >= 3 && pathMtuSeen ? 2 * half : rto);
        if (rounds > 6 && flight.every((f) => !f.arrives)) { stalled = true; break; }
      } else {
        cwnd = Math.min(cwnd * 2, 256);
        t0 = Math.max(ackAt, lastSent) + 2 * half;
      }
    }
    // Close: the client closes after the response (FIN), or resets a stalled transfer.
    let end = Math.max(t0, lastSent + 2 * near + 1000);
    if (stalled) {
      fromClient(end + r.range(2e6, 8e6), cSeq, base + cumAck(), TCP_RST | TCP_ACK, Buffer.alloc(0), 0);
      return { ok: true, gaveUp: end };
    }
    end += r.range(1_000, 200_000);
    if (!cLinux && r.chance(0.5)) { fromClient(end, cSeq, base + total, TCP_RST | TCP_ACK, Buffer.alloc(0), 0); return { ok: true, gaveUp: end }; }
    fromClient(end, cSeq, base + total, TCP_FIN | TCP_ACK, cOpts(end, sts(lastSent)), 0);
    const finAck = end + 2 * half;
    fromServer(finAck, base + total, cSeq + 1, TCP_FIN | TCP_ACK, sOpts(finAck, cts(end)), 0);
    fromClient(finAck + 2 * near, cSeq + 1, base + total + 1, TCP_ACK, cOpts(finAck + 2 * near, sts(finAck)), 0);
    void isn; void sisn; isn = 0; sisn = 0;
    return { ok: true, gaveUp: finAck };
  }

  /** A Packet Too Big (IPv6) or fragmentation needed (IPv4) from the branch router to the server, quoting `quoted`. */
  tooBig(at: number, s: Server, _client: Addr, quoted: Buffer): void {
    if (isV6(s.addr)) {
      const head = Buffer.alloc(8);
      head[0] = 2;
      head.writeUInt32BE(1400, 4);
      const body = Buffer.concat([head, quoted.subarray(0, 1280 - 48)]);
      this.q.push(Math.round(at), ipFrame(MAC_GATEWAY, MAC_GATEWAY, this.edge.routerV6, s.addr, 58, body, 2, 64));
    } else {
      const head = Buffer.alloc(8);
      head[0] = 3; head[1] = 4;
      head.writeUInt16BE(1400, 6);
      const body = Buffer.concat([head, quoted.subarray(0, 28)]);
      this.q.push(Math.round(at), ipFrame(MAC_GATEWAY, MAC_GATEWAY, this.edge.routerV4, s.addr, 1, body, 2, 64));
    }
  }

  /** A name looked up and connected to: IPv6 first when both ends have it, IPv4 after a failure. */
  lookupAndConnect(t: number, c: Client): void {
    const n = this.edge.popularName();
    const got = this.lookup(t, c, n);
    if (!got) return;
    const port = this.rng.chance(0.85) ? 443 : this.rng.pick([993, 8443, 465]);
    let at = got.done + this.rng.range(100, 3_000);
    if (got.v6 && c.v6 && n.v6) {
      const happyEyeballs = c.os === 'windows' || this.rng.chance(0.3);
      const first = this.connect(at, c, n.v6, port);
      if (first.ok) return;
      at = happyEyeballs && n.v6.dead === 'silent' ? at + 250_000 : first.gaveUp + this.rng.range(100, 5_000);
    }
    if (got.v4) this.connect(at, c, n.v4, port);
  }

  /** Neighbour discovery and ARP on the clients' LAN, and now and then an address that left. */
  neighbours(t: number): void {
    const c = this.rng.pick(this.edge.clients);
    const gwLinkLocal = v6('fe80::', 0, 1);
    if (c.v6 && this.rng.chance(0.5)) {
      const ll = v6('fe80::', 0x200, c.mac.readUInt16BE(4));
      const unanswered = this.rng.chance(0.05);
      const target = unanswered ? v6('2001:db8:20:', 9, this.rng.range(0x2000, 0x2fff)) : gwLinkLocal;
      const src = unanswered ? gwLinkLocal : ll;
      const srcMac = unanswered ? MAC_GATEWAY : c.mac;
      const tries = unanswered ? 3 : 1;
      for (let k = 0; k < tries; k++) {
        const ns = Buffer.alloc(32);
        ns[0] = 135;
        target.copy(ns, 8);
        ns[24] = 1; ns[25] = 1;
        srcMac.copy(ns, 26);
        const group = Buffer.alloc(16); // the solicited-node group ff02::1:ffXX:XXXX (RFC 4291 §2.7.1)
        group[0] = 0xff; group[1] = 2; group[11] = 1; group[12] = 0xff;
        target.copy(group, 13, 13, 16);
        const gmac = Buffer.from([0x33, 0x33, 0xff, target[13]!, target[14]!, target[15]!]);
        this.q.push(t + k * 1_000_000, ipFrame(srcMac, gmac, src, group, 58, ns, 2, 255));
      }
      if (!unanswered) {
        const na = Buffer.alloc(32);
        na[0] = 136;
        na[4] = 0xe0; // router, solicited, override
        gwLinkLocal.copy(na, 8);
        na[24] = 2; na[25] = 1;
        MAC_GATEWAY.copy(na, 26);
        this.q.push(t + 200, ipFrame(MAC_GATEWAY, c.mac, gwLinkLocal, ll, 58, na, 2, 255));
      }
      return;
    }
    const arp = (at: number, op: number, sha: Buffer, spa: Addr, tha: Buffer, tpa: Addr, dst: Buffer): void => {
      const f = Buffer.alloc(60);
      dst.copy(f, 0); sha.copy(f, 6);
      f.writeUInt16BE(0x0806, 12);
      Buffer.from([0, 1, 8, 0, 6, 4, 0, op]).copy(f, 14);
      sha.copy(f, 22); spa.copy(f, 28); tha.copy(f, 32); tpa.copy(f, 38);
      this.q.push(at, f);
    };
    const gw = v4(10, 20, 0, 1);
    arp(t, 1, c.mac, c.v4, Buffer.alloc(6), gw, Buffer.alloc(6, 0xff));
    arp(t + 150, 2, MAC_GATEWAY, gw, c.mac, c.v4, c.mac);
  }
}

/** Bytes `[off, off+len)` of a TLS application-data stream of `total` bytes (records of ≤ 16 KiB). */
function tlsBytes(off: number, len: number, total: number): Buffer {
  const b = Buffer.alloc(len);
  const REC = 16384 + 5;
  for (let rec = Math.floor(off / REC) * REC; rec < off + len; rec += REC) {
    const body = Math.min(16384, total - rec - 5);
    const header = [0x17, 3, 3, body >> 8, body & 0xff];
    for (let i = 0; i < 5; i++) if (rec + i >= off && rec + i < off + len) b[rec + i - off] = header[i]!;
  }
  return b;
}

export interface GenerateResult { packets: number; bytes: number }

/** Writes about `target` packets of the edge mix to `path`; the same seed gives the same bytes. */
export function generateEdgeCapture(path: string, target: number, seed = 17): GenerateResult {
  const rng = new Rng(seed);
  const edge = new Edge(rng);
  const g = new Generator(rng, edge);
  const fd = openSync(path, 'w');
  const out = Buffer.alloc(8 << 20);
  let used = 0, bytes = 0, packets = 0;
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b2c3d4, 0);
  hdr.writeUInt16LE(2, 4);
  hdr.writeUInt16LE(4, 6);
  hdr.writeUInt32LE(262144, 16);
  hdr.writeUInt32LE(1, 20);
  writeSync(fd, hdr);
  bytes += 24;
  const emit = (t: number, frame: Buffer): void => {
    if (used + 16 + frame.length > out.length) { writeSync(fd, out, 0, used); used = 0; }
    const sec = Math.floor(t / 1e6);
    out.writeUInt32LE(sec, used);
    out.writeUInt32LE(t - sec * 1e6, used + 4);
    out.writeUInt32LE(frame.length, used + 8);
    out.writeUInt32LE(frame.length, used + 12);
    frame.copy(out, used + 16);
    used += 16 + frame.length;
    bytes += 16 + frame.length;
    packets++;
  };
  let t = 1_764_979_200_000_000; // 2025-12-06 00:00 UTC
  const start = t;
  // A session starts every ~450 µs (about 25 k packets/s on the link).
  while (packets < target) {
    t += Math.max(1, Math.round(rng.exp(450)));
    while (g.q.size && g.q.firstTime <= t && packets < target) { const ft = g.q.firstTime; emit(ft, g.q.pop()); }
    const c = rng.pick(edge.clients);
    const kind = rng.next();
    if (kind < 0.5) g.lookupAndConnect(t, c);
    else if (kind < 0.9) {
      if (rng.chance(0.6)) g.ptrLookup(t, c);
      else if (rng.chance(0.01)) g.largeTxt(t, c);
      else g.lookup(t, c, edge.popularName());
    } else if (kind < 0.985) {
      const s = rng.chance(0.5) && c.v6 ? rng.pick(edge.servers6) : rng.pick(edge.servers4);
      g.connect(t, c, s, rng.chance(0.9) ? 443 : 8443);
    } else g.neighbours(t);
  }
  void start;
  writeSync(fd, out, 0, used);
  closeSync(fd);
  return { packets, bytes };
}

// `node dist/bench/generate-edge.js FILE [PACKETS] [SEED]` writes one file (for checking it with tshark).
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const [file, n, seed] = process.argv.slice(2);
  if (file) {
    const r = generateEdgeCapture(file, Number(n ?? 1_000_000), Number(seed ?? 17));
    process.stdout.write(`${r.packets} packets, ${(r.bytes / 1e6).toFixed(0)} MB\n`);
  }
}
