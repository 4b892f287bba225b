// decode/dns-tcp.ts: DNS over TCP (RFC 1035 §4.2.2, RFC 7766 §8): each message is preceded by
// a two-octet length, and TCP may split a message across segments or carry several in one.
// One stream per direction, keyed by the caller (`key`: anything that names the 4-tuple and the
// direction). Imports core and the DNS decoder only.
//
// Per stream it keeps the bytes of the message being assembled (a copy: the payload handed in
// is a view into a reused read buffer), the next expected sequence number and a few segments
// that arrived early. Sequence numbers compare modulo 2^32.
//   * SYN: the data starts at seq + 1. Without a SYN, the first data segment starts the stream.
//   * A segment wholly before the next expected byte is a retransmission and is ignored; one
//     that overlaps contributes only its new bytes.
//   * A segment after a hole waits (at most MAX_EARLY_SEGMENTS / earlyWindow bytes). When the
//     hole is not filled by then, or at FIN/RST/expiry, the stream has a gap: the partial message
//     is dropped (`dns.tcp_stream_gap`) and framing resumes at the next segment whose first
//     bytes plausibly start a message (a length ≥ 12 followed by a sane header).
//   * Memory is bounded: at most `maxStreams` streams and `maxBufferedBytes` bytes held across
//     all of them; past either limit the least recently used stream is dropped
//     (`dns.tcp_state_limit`). Streams idle for `idleTimeoutMicros` of capture time are dropped
//     by `expire(now)`.
import type { Anomalies, Micros } from '../core/index.js';
import { decodeDns } from './dns.js';
import { type DnsMessage, NO_DNS, TcpFlag } from './types.js';

export interface DnsTcpOptions {
  /** Streams (directions) tracked at once. Default 10 000. */
  readonly maxStreams?: number;
  /** Bytes held across all streams (partial messages + early segments). Default 32 MiB. */
  readonly maxBufferedBytes?: number;
  /** A stream with no segment for this long (capture time) is dropped. Default 120 s. */
  readonly idleTimeoutMicros?: number;
}

const DEFAULTS = { maxStreams: 10_000, maxBufferedBytes: 32 << 20, idleTimeoutMicros: 120_000_000 } as const;
/** Segments held while waiting for a hole to fill. */
const MAX_EARLY_SEGMENTS = 8;
/** How far past the next expected byte a segment may start and still wait, in octets. */
const EARLY_WINDOW = 65_536;
const LENGTH_PREFIX = 2;
const DNS_HEADER = 12;

interface Early {
  readonly seq: number;
  readonly data: Buffer; // owned copy
}

interface Stream {
  /** Sequence number of the next byte expected; undefined until the first SYN or data. */
  next: number | undefined;
  /** Framing is known: `buf` starts at a length prefix. False after a gap or a mid-stream start. */
  synced: boolean;
  /** Bytes of the message(s) being assembled, `buf[0..len)`. */
  buf: Buffer;
  len: number;
  early: Early[];
  earlyBytes: number;
  /** The last gap skipped [holeFrom, holeTo); a late segment starting at holeFrom may still decode. */
  holeFrom: number;
  holeTo: number;
  lastSeen: Micros;
}

const EMPTY = Buffer.alloc(0);
/** Room to judge a possible message start: the length prefix and a header. */
const SCRATCH = Buffer.alloc(LENGTH_PREFIX + DNS_HEADER);

export class DnsTcpReassembler {
  readonly #streams = new Map<string, Stream>(); // least recently used first
  readonly #maxStreams: number;
  readonly #maxBytes: number;
  readonly #idle: Micros;
  #buffered = 0;
  #lastSweep: Micros = Number.NEGATIVE_INFINITY;
  #out: DnsMessage[] | undefined;

  constructor(private readonly anomalies: Anomalies, options: DnsTcpOptions = {}) {
    this.#maxStreams = Math.max(1, options.maxStreams ?? DEFAULTS.maxStreams);
    this.#maxBytes = Math.max(1, options.maxBufferedBytes ?? DEFAULTS.maxBufferedBytes);
    this.#idle = options.idleTimeoutMicros ?? DEFAULTS.idleTimeoutMicros;
  }

  /** Streams currently tracked. */
  get streams(): number { return this.#streams.size; }
  /** Bytes currently held across all streams. */
  get bufferedBytes(): number { return this.#buffered; }

  /**
   * One TCP segment of direction `key`. Returns the DNS messages it completed, in stream order
   * (the shared frozen NO_DNS when none).
   */
  segment(key: string, seq: number, flags: number, payload: Buffer, time: Micros): readonly DnsMessage[] {
    let s = this.#streams.get(key);
    if (s === undefined) {
      if ((flags & TcpFlag.RST) !== 0 || (payload.length === 0 && (flags & TcpFlag.SYN) === 0)) return NO_DNS;
      if (this.#streams.size >= this.#maxStreams) this.#dropOldest();
      s = { next: undefined, synced: false, buf: EMPTY, len: 0, early: [], earlyBytes: 0, holeFrom: 0, holeTo: 0, lastSeen: time };
      this.#streams.set(key, s);
    } else {
      // Keep the map in least-recently-used order.
      this.#streams.delete(key);
      this.#streams.set(key, s);
    }
    s.lastSeen = time;
    this.#out = undefined;

    if ((flags & TcpFlag.SYN) !== 0) {
      const start = (seq + 1) >>> 0; // a SYN carrying data (TCP Fast Open): the data follows the SYN
      if (s.next !== start) {
        this.#reset(s); // a new connection on the same ports, or the first SYN
        s.next = start;
        s.synced = true;
      }
      seq = start;
    }
    if (payload.length > 0) {
      if (s.next === undefined) {
        s.next = seq; // picked up mid-stream: framing unknown until a plausible start
        s.synced = false;
      }
      this.#accept(s, seq, payload);
    }
    if ((flags & (TcpFlag.FIN | TcpFlag.RST)) !== 0) this.#close(key, s);
    const out = this.#out;
    this.#out = undefined;
    if (this.#buffered > this.#maxBytes) this.#shed(key);
    return out ?? NO_DNS;
  }

  /** Drops streams idle since before `now - idleTimeoutMicros` (capture time). Cheap to call often. */
  expire(now: Micros): void {
    if (now - this.#lastSweep < this.#idle / 4 && now !== Number.POSITIVE_INFINITY) return;
    this.#lastSweep = now;
    const limit = now - this.#idle;
    for (const [key, s] of this.#streams) {
      if (s.lastSeen >= limit) break; // LRU order: everything after is newer
      this.#drop(key, s);
    }
  }

  /** End of input: every stream still open is dropped (partial messages counted). */
  finish(): void {
    for (const [key, s] of this.#streams) this.#drop(key, s);
  }

  // -------------------------------------------------------------------------------------------

  #accept(s: Stream, seq: number, payload: Buffer): void {
    const next = s.next!;
    const d = (seq - next) | 0;
    if (d < 0) {
      if (d + payload.length > 0) this.#append(s, payload.subarray(-d)); // overlap: the new bytes only
      else if (seq === s.holeFrom && s.holeFrom !== s.holeTo) this.#fillHole(s, payload);
      return; // otherwise a retransmission of bytes already taken
    }
    if (d === 0) {
      this.#append(s, payload);
      this.#drainEarly(s);
      return;
    }
    // A hole before this segment. Hold it, then decide whether to wait for the hole to fill or
    // to resume now (as tshark does) at a plausible message start: the earliest held bytes (a
    // lone length prefix followed by the rest, say), else this segment. A start that falls
    // inside the message being assembled is a reordering, not a new message: wait.
    this.#hold(s, seq, payload);
    if (d > EARLY_WINDOW || s.early.length > MAX_EARLY_SEGMENTS) { this.#gap(s); return; }
    const start = this.#earlyStart(s);
    if (start !== undefined && !this.#insideCurrent(s, start)) {
      this.#gapAt(s, start);
      this.#drainEarly(s);
    }
  }

  /**
   * The earliest held segment at which a message plausibly starts, judged on its first 14 bytes
   * gathered across the held segments that follow it; undefined when none does.
   */
  #earlyStart(s: Stream): number | undefined {
    let best: number | undefined;
    for (const candidate of s.early) {
      if (best !== undefined && ((candidate.seq - best) | 0) >= 0) continue;
      let have = 0;
      let at = candidate.seq;
      for (let progressed = true; progressed && have < SCRATCH.length; ) {
        progressed = false;
        for (const e of s.early) {
          const d = (at - e.seq) | 0;
          if (d < 0 || d >= e.data.length) continue;
          const n = e.data.copy(SCRATCH, have, d, Math.min(e.data.length, d + SCRATCH.length - have));
          have += n;
          at = (at + n) >>> 0;
          progressed = n > 0;
          break;
        }
      }
      if (have === SCRATCH.length && plausibleStart(SCRATCH, 0, have)) best = candidate.seq;
    }
    return best;
  }

  /** Does `seq` fall before the end of the message whose start is held (framing known)? */
  #insideCurrent(s: Stream, seq: number): boolean {
    if (!s.synced || s.len < LENGTH_PREFIX) return false;
    const start = (s.next! - s.len) >>> 0;
    return ((seq - start) | 0) < LENGTH_PREFIX + s.buf.readUInt16BE(0);
  }

  /**
   * A late segment that starts exactly where the last gap began (it was reordered, not lost):
   * its complete messages are decoded on their own; a message it leaves unfinished is lost.
   */
  #fillHole(s: Stream, payload: Buffer): void {
    let off = 0;
    while (payload.length - off >= LENGTH_PREFIX + DNS_HEADER && plausibleStart(payload, off, payload.length)) {
      const n = payload.readUInt16BE(off);
      if (payload.length - off < LENGTH_PREFIX + n) break;
      const m = decodeDns(payload.subarray(off + LENGTH_PREFIX, off + LENGTH_PREFIX + n), 'tcp', this.anomalies);
      if (m !== undefined) (this.#out ??= []).push(m);
      off += LENGTH_PREFIX + n;
    }
    s.holeFrom = off === payload.length ? (s.holeFrom + off) >>> 0 : s.holeTo;
  }

  /** Gives up on the bytes before `seq`: the partial message and earlier held segments go. */
  #gapAt(s: Stream, seq: number): void {
    this.anomalies.note('dns.tcp_stream_gap');
    // A late segment can refill the hole only if the hole began at a message boundary.
    s.holeFrom = s.len > 0 ? seq : s.next!;
    s.holeTo = seq;
    s.len = 0;
    s.synced = true;
    s.next = seq;
    for (let i = s.early.length - 1; i >= 0; i--) {
      const e = s.early[i]!;
      if (((e.seq + e.data.length - seq) | 0) <= 0) {
        s.early.splice(i, 1);
        s.earlyBytes -= e.data.length;
        this.#buffered -= e.data.length;
      }
    }
  }

  #hold(s: Stream, seq: number, payload: Buffer): void {
    for (const e of s.early) if (e.seq === seq && e.data.length >= payload.length) return; // duplicate
    const data = Buffer.from(payload); // copy: the payload is a view into a reused buffer
    s.early.push({ seq, data });
    s.earlyBytes += data.length;
    this.#buffered += data.length;
  }

  /** Appends early segments that the stream has now reached. */
  #drainEarly(s: Stream): void {
    for (let progressed = true; progressed && s.early.length > 0; ) {
      progressed = false;
      for (let i = 0; i < s.early.length; i++) {
        const e = s.early[i]!;
        const d = (e.seq - s.next!) | 0;
        if (d > 0) continue;
        s.early.splice(i, 1);
        s.earlyBytes -= e.data.length;
        this.#buffered -= e.data.length;
        if (d + e.data.length > 0) this.#append(s, e.data.subarray(-d));
        progressed = true;
        break;
      }
    }
  }

  /** A hole that will not fill: drop the partial message and resume at the earliest held segment. */
  #gap(s: Stream): void {
    if (s.early.length === 0) return;
    let first = s.early[0]!;
    for (const e of s.early) if (((e.seq - first.seq) | 0) < 0) first = e;
    this.#gapAt(s, first.seq);
    s.synced = false;
    this.#drainEarly(s);
  }

  #reset(s: Stream): void {
    if (s.len > 0 && s.synced) this.anomalies.note('dns.tcp_incomplete_message');
    s.len = 0;
    this.#buffered -= s.earlyBytes;
    s.early.length = 0;
    s.earlyBytes = 0;
    s.holeFrom = s.holeTo = 0;
  }

  #append(s: Stream, bytes: Buffer): void {
    s.next = (s.next! + bytes.length) >>> 0;
    if (!s.synced) {
      // Out of framing: a new segment either plausibly starts a message or is skipped whole.
      // What is already held is a candidate start too short to judge; the bytes join it.
      if (s.len === 0 && !plausibleStart(bytes, 0, bytes.length) && bytes.length >= LENGTH_PREFIX + DNS_HEADER) return;
    }
    const need = s.len + bytes.length;
    if (need > s.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, Math.min(2 * s.buf.length, LENGTH_PREFIX + 0xffff), 512));
      s.buf.copy(grown, 0, 0, s.len);
      this.#buffered += grown.length - s.buf.length;
      s.buf = grown;
    }
    bytes.copy(s.buf, s.len);
    s.len = need;
    this.#frame(s);
  }

  /** Decodes every complete message at the front of the buffer. */
  #frame(s: Stream): void {
    let off = 0;
    while (s.len - off >= LENGTH_PREFIX) {
      if (!s.synced) {
        if (s.len - off < LENGTH_PREFIX + DNS_HEADER) break; // too short to judge yet
        if (!plausibleStart(s.buf, off, s.len)) { off = s.len; break; } // not a start: skip it all
        s.synced = true;
      }
      const n = s.buf.readUInt16BE(off);
      if (s.len - off < LENGTH_PREFIX + n) break;
      const m = decodeDns(s.buf.subarray(off + LENGTH_PREFIX, off + LENGTH_PREFIX + n), 'tcp', this.anomalies);
      if (m !== undefined) (this.#out ??= []).push(m);
      off += LENGTH_PREFIX + n;
    }
    if (off === 0) return;
    s.buf.copy(s.buf, 0, off, s.len);
    s.len -= off;
    if (s.len === 0 && s.buf.length > 4096) {
      // Give back a large buffer once its message is done.
      this.#buffered -= s.buf.length;
      s.buf = EMPTY;
    }
  }

  #close(key: string, s: Stream): void {
    if (s.early.length > 0) this.#gap(s);
    this.#drop(key, s);
  }

  #drop(key: string, s: Stream): void {
    if (s.len > 0 && s.synced) this.anomalies.note('dns.tcp_incomplete_message');
    if (s.early.length > 0) this.anomalies.note('dns.tcp_stream_gap');
    this.#buffered -= s.buf.length + s.earlyBytes;
    this.#streams.delete(key);
  }

  #dropOldest(): void {
    for (const [key, s] of this.#streams) {
      this.anomalies.note('dns.tcp_state_limit');
      this.#drop(key, s);
      return;
    }
  }

  /** Over the byte budget: drop least recently used streams, sparing `keep` while others remain. */
  #shed(keep: string): void {
    for (const [key, s] of this.#streams) {
      if (this.#buffered <= this.#maxBytes) return;
      if (key === keep) continue;
      this.anomalies.note('dns.tcp_state_limit');
      this.#drop(key, s);
    }
    const s = this.#streams.get(keep);
    if (s !== undefined && this.#buffered > this.#maxBytes) {
      this.anomalies.note('dns.tcp_state_limit');
      this.#drop(keep, s);
    }
  }
}

/**
 * Could a DNS message start at `off`: a length prefix that fits a header, then a header whose
 * opcode is assigned, with one question and counts the length could hold.
 */
function plausibleStart(b: Buffer, off: number, end: number): boolean {
  if (end - off < LENGTH_PREFIX + DNS_HEADER) return false;
  const n = b.readUInt16BE(off);
  if (n < DNS_HEADER) return false;
  const h = off + LENGTH_PREFIX;
  const opcode = (b[h + 2]! >>> 3) & 0xf;
  if (opcode === 3 || opcode > 6) return false; // RFC 6895 §2.2: 0-2, 4-6 assigned
  if (b.readUInt16BE(h + 4) !== 1) return false; // one question (so AXFR continuations wait for the next)
  if ((b[h + 2]! & 0x80) === 0 && (b[h + 3]! & 0x0f) !== 0) return false; // a query has no rcode
  const rrs = b.readUInt16BE(h + 6) + b.readUInt16BE(h + 8) + b.readUInt16BE(h + 10);
  return DNS_HEADER + rrs * 11 <= n;
}
