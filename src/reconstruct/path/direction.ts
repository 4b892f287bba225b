// One direction of a TCP connection: the sequence space one side sends in, and what the other side
// acknowledged of it. Tracks each unacknowledged segment's size and send times (bounded), so a
// range sent again and again at one size while smaller ones get through can be told from plain loss.
import type { Micros } from '../../core/index.js';
import type { Ip, Tcp } from '../../decode/index.js';
import type { DirectionSummary, IcmpRef, Mark, RetransmittedRange, SequenceGap, Stall } from './records.js';
import { CopyFilter } from './copy-filter.js';
import { Segment } from './segment.js';

const TWO32 = 4294967296;
const MAX_KEPT_RANGES = 8;
const MAX_GAPS = 8;
const MAX_RETX_FRAMES = 64;
const DELIVERED_LOG = 64;
const TCP_BASE_HEADER = 20;

/**
 * Arrays of segments given back when all of a direction's segments were delivered, for its next
 * burst or another direction's: an array made per burst and grown by push was ~15 B a packet on
 * the easy bench file. V8 frees an array's storage when its length drops to 0, so a direction
 * counts its segments itself (`tail`), and the slots from `tail` on hold nothing. Bounded: a longer
 * array, or one past the spare count, is let go.
 */
const spareLists: Segment[][] = [];
const MAX_SPARE_LISTS = 256;
const MAX_SPARE_LIST_SLOTS = 64;

/** The Mark a frame number and a time offset from `epoch` stand for; a frame of -1 is none. */
export const markAt = (frame: number, epoch: Micros, offset: number): Mark | undefined =>
  frame === -1 ? undefined : { frame, time: epoch + offset };

/**
 * `markAt(frame, epoch, offset)`, or `known` itself when it names the same frame (one frame, one
 * packet, one time). A record's fields often name one packet: a direction's FIN is its last packet,
 * a connection starts with the SYN that is its client's first packet, and so on. Marks are readonly,
 * so records share them (JSON shows each field in full): ~56 B (object and boxed time) per Mark
 * not made, ~15 B a packet on the easy bench file.
 */
export const markOr = (known: Mark | undefined, frame: number, epoch: Micros, offset: number): Mark | undefined =>
  known !== undefined && known.frame === frame ? known : markAt(frame, epoch, offset);

/**
 * The records of segments whose times count from `epoch`. A function of its own: a closure over
 * `this` in summary() made a context object for every direction summarised.
 */
const ranges = (segments: readonly Segment[], epoch: Micros): RetransmittedRange[] => segments.map((s) => s.toRange(epoch));

/** The 32-bit sequence number `seq` as an offset from `base`, unwrapped to lie nearest `ref`. */
export function unwrapSeq(seq: number, base: number, ref: number): number {
  const d = (seq - base) >>> 0;
  return d + Math.round((ref - d) / TWO32) * TWO32;
}

/**
 * Shared by every direction until it has something to keep (most never retransmit, see a gap or
 * a PTB): `list === NONE ? (list = [x]) : list.push(x)`; and by every record with nothing to
 * list. Frozen, so a stray push throws. bench: one array fewer per list and connection cut the
 * path stage's garbage by ~5 %, and as much again in the records.
 */
export const NONE: never[] = Object.freeze([]) as unknown as never[];

interface Gap {
  start: number;
  end: number;
  since: Micros;
  after: Mark;
  filled: Mark | undefined;
  fillWireLength: number | undefined;
  ackedPast: boolean;
  segmentSizeBefore: number | undefined;
  largestBefore: number;
}

/** PTB (or frag-needed) quoting this direction, with what the sender did afterwards. */
export interface PtbWatch {
  readonly ref: { largerAfter: number; smallerAfter: number; firstLargerAfter: Mark | undefined } & Omit<IcmpRef, 'largerAfter' | 'smallerAfter' | 'firstLargerAfter'>;
  readonly mtu: number;
  readonly from: Micros;
}

/**
 * `x` as a small integer when it is one. The difference of two capture times is an integral double,
 * and storing a double generalises the field to a heap number for every object of the class;
 * `x | 0` is a small integer as far as V8 is concerned. Offsets beyond ±2^31 µs (35 min) stay
 * doubles: exact, only boxed.
 */
export const small = (x: number): number => ((x | 0) === x ? x | 0 : x);

/**
 * How the state below is kept, once for all of it. Capture times are offsets from the connection's
 * start (`epoch`, behind Direction's accessors), and so are the times Direction's methods take
 * (`at`: Connection.packet works out one per packet): an absolute capture time passed to a function
 * V8 does not inline is a heap number allocated for the call. Raw sequence numbers are signed 32-bit values:
 * small integers live in the object, while a field holding µs since 1970 or a sequence number
 * ≥ 2^31 is a heap number of its own (half of the ~43 objects a finished connection kept until its
 * record, each copied twice by the young generation's collector: bench/generate capture, heap
 * snapshot). Every number starts as a number, not `undefined`, where it can. The records are made
 * once per Direction, and Directions are reused with their connections (see Connection.init):
 * each record's reset() is the one place that sets it as new.
 */

/** The packets sent this way: how many, their payload, the first and the last. */
export class Traffic {
  packets = 0;
  payloadPackets = 0;
  payloadBytes = 0;
  /** First and last packet (frame, time offset) when `packets > 0`: numbers, as a Mark per packet was most of the garbage. */
  firstFrame = 0;
  firstAt = 0;
  lastFrame = 0;
  lastAt = 0;
  firstHopLimit: number | undefined = undefined;

  reset(): void {
    this.packets = 0;
    this.payloadPackets = 0;
    this.payloadBytes = 0;
    this.firstFrame = 0;
    this.firstAt = 0;
    this.lastFrame = 0;
    this.lastAt = 0;
    this.firstHopLimit = undefined;
  }
}

/** The sender's place in its sequence space, and what the peer acknowledged of it. */
export class SequenceSpace {
  /** The SYN's sequence number as `seq | 0`. */
  isn: number | undefined = undefined;
  /**
   * Raw sequence number everything is relative to (the ISN when the SYN was seen), as `seq | 0`:
   * unwrapSeq works modulo 2^32, so the sign does not matter.
   */
  base: number | undefined = undefined;
  /** Highest sequence end sent (relative), and when (offset). */
  highestEnd = 0;
  highestEndAt = 0;
  /** Highest cumulative ACK from the peer (relative); undefined before the first. */
  highestAcked: number | undefined = undefined;
  /** Since when (offset) sent bytes wait for an ACK; undefined when none wait. */
  waitAt: number | undefined = undefined;

  reset(): void {
    this.isn = undefined;
    this.base = undefined;
    this.highestEnd = 0;
    this.highestEndAt = 0;
    this.highestAcked = undefined;
    this.waitAt = undefined;
  }
}

/** The sizes sent: the largest segment, the largest delivered, the cap in force, offload artefacts. */
export class Sizes {
  /** The largest segment captured (DirectionSummary.maxSegment) when `maxPayload > 0`. */
  maxPayload = 0;
  maxPayloadFrame = 0;
  maxPayloadAt = 0;
  maxPayloadIpLength = 0;
  maxPayloadWire = 0;
  /** The largest delivered segment (DirectionSummary.maxDelivered) when `maxDeliveredWire >= 0`. */
  maxDeliveredWire = -1;
  maxDeliveredFrame = 0;
  maxDeliveredAt = 0;
  /** Payload cap in force: the smaller MSS of the two sides (undefined until a SYN shows one). */
  mssCap: number | undefined = undefined;
  offloaded = 0;
  maxOffloadedIpLength = 0;
  /** Wire length of the last new-data segment, and the largest seen twice back to back (SequenceGap.segmentSizeBefore). */
  lastNewWire = 0;
  runWire = 0;
  /** Wire length of the largest new-data segment so far (SequenceGap.largestBefore). */
  maxNewWire = 0;

  reset(): void {
    this.maxPayload = 0;
    this.maxPayloadFrame = 0;
    this.maxPayloadAt = 0;
    this.maxPayloadIpLength = 0;
    this.maxPayloadWire = 0;
    this.maxDeliveredWire = -1;
    this.maxDeliveredFrame = 0;
    this.maxDeliveredAt = 0;
    this.mssCap = undefined;
    this.offloaded = 0;
    this.maxOffloadedIpLength = 0;
    this.lastNewWire = 0;
    this.runWire = 0;
    this.maxNewWire = 0;
  }
}

/** What went missing or came again: retransmissions, gaps, duplicate ACKs, SACKs, ACKs of unseen bytes. */
export class Losses {
  retransmissions = 0;
  retransmittedBytes = 0;
  gapCount = 0;
  maxWireAfterGap: number | undefined = undefined;
  dupAcks = 0;
  sackAcks = 0;
  ackedUnseen = 0;

  reset(): void {
    this.retransmissions = 0;
    this.retransmittedBytes = 0;
    this.gapCount = 0;
    this.maxWireAfterGap = undefined;
    this.dupAcks = 0;
    this.sackAcks = 0;
    this.ackedUnseen = 0;
  }
}

/** The first FIN and RST sent this way: frame (-1: none) and time offset, not a Mark (see Connection). */
export class Ends {
  finFrame = -1;
  finAt = 0;
  rstFrame = -1;
  rstAt = 0;

  reset(): void {
    this.finFrame = -1;
    this.finAt = 0;
    this.rstFrame = -1;
    this.rstAt = 0;
  }
}

/**
 * One direction: the records above, the segments and lists (set as new by park()), and the copy
 * filter. Connection drives it with the decoded packet's records (Ip, Tcp), read in place.
 */
export class Direction {
  readonly traffic = new Traffic();
  readonly seq = new SequenceSpace();
  readonly sizes = new Sizes();
  readonly losses = new Losses();
  readonly ends = new Ends();
  /** Tells a second sighting of a packet from a second sending. */
  readonly copies = new CopyFilter();

  /**
   * Segments not yet delivered: `segs[head]` to `segs[tail - 1]`, by start; slots from `tail` on
   * hold nothing (see spareLists). NONE when there are none: the array goes back to spareLists.
   */
  segs!: Segment[];
  head!: number;
  tail!: number;
  untracked!: number;
  /**
   * The last DELIVERED_LOG deliveries (a ring once full) as pairs: send time, wire length, in the
   * first `deliveryLength` numbers of `deliveryLog`. One array of pairs, since these arrays were a
   * quarter of what a finished connection keeps. The array outlives its connection (see park()):
   * `length = 0` would give its storage up, and growing it again from two numbers for every
   * connection was a tenth of what the easy bench file allocated.
   */
  deliveryLog!: number[];
  deliveryLength!: number;
  deliveredAt!: number;
  retxFrames!: number[];
  recovered!: Segment[];
  gaps!: Gap[];
  longestStall!: Stall | undefined;
  ptbs!: PtbWatch[];

  from!: string;
  fromPort!: number;
  to!: string;
  toPort!: number;
  private maxSegments!: number;
  /** Capture time of the connection's first packet: times here are kept as offsets from it. */
  epoch!: Micros;

  constructor(from: string, fromPort: number, to: string, toPort: number, maxSegments: number, epoch: Micros) {
    this.init(from, fromPort, to, toPort, maxSegments, epoch);
  }

  /**
   * Sets everything as for a new direction: the reconstructor reuses the directions of finished
   * connections (see Connection.init). Each record's reset() and park() set the rest.
   */
  init(from: string, fromPort: number, to: string, toPort: number, maxSegments: number, epoch: Micros): void {
    this.from = from;
    this.fromPort = fromPort;
    this.to = to;
    this.toPort = toPort;
    this.maxSegments = maxSegments;
    this.epoch = epoch;
    this.park(); // the segments and lists
    this.untracked = 0;
    this.deliveredAt = 0;
    this.traffic.reset();
    this.seq.reset();
    this.sizes.reset();
    this.losses.reset();
    this.ends.reset();
    this.copies.reset();
  }

  /**
   * Sets the segments and lists as for a new direction, letting go of what they referred to: also
   * while the object waits to be reused, when it must hold no more than a new one. init() calls it.
   */
  park(): void {
    this.segs = NONE;
    this.head = 0;
    this.tail = 0;
    // Internal (the record gets what summary() computes from it): its array is kept with its
    // storage, at most 2 × DELIVERED_LOG small integers, and counts as empty. Undefined only while
    // the constructor runs init().
    this.deliveryLog ??= NONE;
    this.deliveryLength = 0;
    this.retxFrames = NONE;
    this.recovered = NONE;
    this.gaps = NONE;
    this.longestStall = undefined;
    this.ptbs = NONE;
  }

  get fin(): Mark | undefined { return markAt(this.ends.finFrame, this.epoch, this.ends.finAt); }
  get rst(): Mark | undefined { return markAt(this.ends.rstFrame, this.epoch, this.ends.rstAt); }
  get hasFin(): boolean { return this.ends.finFrame !== -1; }
  get hasRst(): boolean { return this.ends.rstFrame !== -1; }
  setFin(frame: number, at: number): void { this.ends.finFrame = frame; this.ends.finAt = at; }
  setRst(frame: number, at: number): void { this.ends.rstFrame = frame; this.ends.rstAt = at; }

  get firstTime(): Micros { return this.epoch + this.traffic.firstAt; }
  get lastTime(): Micros { return this.epoch + this.traffic.lastAt; }
  get highestEndTime(): Micros { return this.epoch + this.seq.highestEndAt; }
  get maxPayloadTime(): Micros { return this.epoch + this.sizes.maxPayloadAt; }
  get maxDeliveredTime(): Micros { return this.epoch + this.sizes.maxDeliveredAt; }
  get waitSince(): Micros | undefined { return this.seq.waitAt === undefined ? undefined : this.epoch + this.seq.waitAt; }
  /** The capture time of offset `at`. */
  timeAt(at: number): Micros { return this.epoch + at; }

  /** The highest sequence end sent is now `end` (relative), at offset `at`. */
  setHighestEnd(end: number, at: number): void {
    this.seq.highestEnd = end;
    this.seq.highestEndAt = at;
  }

  /** `seq` (raw) relative to the base, unwrapped near the highest end sent. */
  relative(seq: number): number {
    return unwrapSeq(seq, this.seq.base!, this.seq.highestEnd);
  }

  /**
   * A SYN with sequence number `seq` (raw): a retransmission when it repeats the one seen; else the
   * sequence space starts over from it.
   */
  syn(seq: number, frame: number, at: number): void {
    if (this.seq.isn === (seq | 0)) {
      this.noteRetransmission(frame, 0);
      return;
    }
    this.seq.isn = seq | 0;
    this.seq.base = seq | 0;
    this.setHighestEnd(1, at);
  }

  /** Without the SYN, the first segment's sequence number becomes the base. */
  startWithout(seq: number, at: number): void {
    if (this.seq.base !== undefined) return;
    this.seq.base = seq | 0;
    this.setHighestEnd(0, at);
  }

  /** Watches what this direction sends after a PTB quoting it. */
  watchPtb(w: PtbWatch): void {
    if (this.ptbs === NONE) this.ptbs = [];
    this.ptbs.push(w);
  }

  /** True when this packet is a second sighting of the previous one (see CopyFilter.isCopy). */
  isCopy(ip: Ip, tcp: Tcp, at: number, trigger: number, peerSeen: boolean, sackNegotiated: boolean): boolean {
    return this.copies.isCopy(ip, tcp, at, trigger, peerSeen, sackNegotiated);
  }

  /** Counts a packet sent in this direction. */
  seen(frame: number, at: number, hopLimit: number): void {
    const t = this.traffic;
    if (t.packets++ === 0) {
      t.firstFrame = frame;
      t.firstAt = at;
      t.firstHopLimit = hopLimit;
    }
    t.lastFrame = frame;
    t.lastAt = at;
  }

  /**
   * A segment with `payload` bytes (> 0): counts it and keeps the largest, and returns its IP length
   * on the wire (an offload artefact, a segment larger than the cap in force, counts as what the
   * sender's NIC cut it into).
   */
  payloadSent(ip: Ip, tcp: Tcp, frame: number, at: number, payload: number, fragmentable: boolean, linkMtu: number): number {
    const t = this.traffic;
    const z = this.sizes;
    t.payloadPackets++;
    t.payloadBytes += payload;
    const wire = this.wireLength(ip.length, ip.headerLength + tcp.headerLength, payload, tcp.headerLength - TCP_BASE_HEADER, linkMtu);
    if (wire < ip.length) {
      z.offloaded++;
      if (ip.length > z.maxOffloadedIpLength) z.maxOffloadedIpLength = ip.length;
    } else if (this.ptbs.length > 0 && !fragmentable) this.watchSize(frame, at, wire); // without DF a router may fragment it: no PTB to obey
    if (payload > z.maxPayload) {
      z.maxPayload = payload;
      z.maxPayloadFrame = frame;
      z.maxPayloadAt = at;
      z.maxPayloadIpLength = ip.length;
      z.maxPayloadWire = wire;
    }
    return wire;
  }

  /** Bytes sent and not acknowledged. */
  outstanding(): number {
    const q = this.seq;
    return q.highestAcked === undefined ? 0 : Math.max(0, q.highestEnd - q.highestAcked);
  }

  /** Wire IP length of a captured segment, and whether the capture holds an offload artefact. */
  private wireLength(ipLength: number, headers: number, payload: number, optionBytes: number, linkMtu: number): number {
    const cap = this.sizes.mssCap;
    if (cap !== undefined) {
      if (payload <= cap) return ipLength;
      return headers + Math.max(0, cap - optionBytes);
    }
    return ipLength <= linkMtu ? ipLength : linkMtu;
  }

  /** A segment carrying new data (at or beyond the highest end seen). */
  newData(rel: number, end: number, frame: number, at: number, wire: number, fragmentable: boolean): void {
    const q = this.seq;
    const z = this.sizes;
    if (rel > q.highestEnd && this.traffic.packets > 1) this.openGap(rel, frame, at);
    else if (rel === q.highestEnd && wire === z.lastNewWire && wire > z.runWire) z.runWire = wire;
    z.lastNewWire = wire;
    if (wire > z.maxNewWire) z.maxNewWire = wire;
    this.noteWireAfterGap(wire);
    if (q.highestAcked === undefined || q.highestAcked >= q.highestEnd) q.waitAt = at;
    if (this.tail - this.head < this.maxSegments) this.append(Segment.make(rel, end, frame, at, wire, fragmentable));
    else this.untracked++;
    this.setHighestEnd(end, at);
    if (this.head > 256 && this.head * 2 > this.tail) {
      this.segs.splice(0, this.head);
      this.tail -= this.head;
      this.head = 0;
    }
  }

  /** A segment starting below the highest end: a retransmission, or a first arrival into a gap. */
  oldData(rel: number, end: number, frame: number, at: number, wire: number, fragmentable: boolean): void {
    const intoGap = this.fill(rel, end, frame, at, wire);
    this.noteWireAfterGap(wire);
    const s = this.find(rel);
    if (s !== undefined && !intoGap) {
      s.resend(frame, at, wire, fragmentable);
      if (end > s.end) s.end = end;
    } else if (this.tail - this.head < this.maxSegments) {
      const seg = Segment.make(rel, end, frame, at, wire, fragmentable);
      if (!intoGap) seg.sends = 2; // its bytes went out before, in other segment boundaries
      this.insert(seg);
    }
    if (end > this.seq.highestEnd) this.setHighestEnd(end, at);
  }

  private noteWireAfterGap(wire: number): void {
    const l = this.losses;
    if (l.gapCount > 0 && (l.maxWireAfterGap === undefined || wire > l.maxWireAfterGap)) l.maxWireAfterGap = wire;
  }

  noteRetransmission(frame: number, payload: number): void {
    this.losses.retransmissions++;
    this.losses.retransmittedBytes += payload;
    if (this.retxFrames === NONE) this.retxFrames = [frame];
    else if (this.retxFrames.length < MAX_RETX_FRAMES) this.retxFrames.push(frame);
  }

  /** The peer acknowledged up to `a` (relative). */
  ack(a: number, frame: number, at: number, isPureAck: boolean, stallMicros: Micros): void {
    const q = this.seq;
    if (a > q.highestEnd) {
      this.losses.ackedUnseen++;
      this.ackedPast(a);
      a = q.highestEnd;
    }
    const prev = q.highestAcked;
    if (prev === undefined || a > prev) {
      if (prev !== undefined && prev < q.highestEnd && q.waitAt !== undefined) {
        const d = at - q.waitAt;
        if (d >= stallMicros && (this.longestStall === undefined || d > this.longestStall.to - this.longestStall.from)) {
          this.longestStall = { from: this.timeAt(q.waitAt), to: this.timeAt(at), outstanding: q.highestEnd - prev, resolved: true };
        }
      }
      q.highestAcked = a;
      q.waitAt = a < q.highestEnd ? at : undefined;
      this.ackedPast(a);
      while (this.head < this.tail) {
        const s = this.segs[this.head]!;
        if (s.end > a) break;
        if (!s.sacked) this.delivered(s, frame, at);
        this.head++;
        // Sent once, it is in no list but `segs`, whose slots before `head` are never read again.
        if (s.sends === 1) Segment.release(s);
      }
      // All delivered: let the segments go now rather than when the connection ends.
      if (this.head === this.tail && this.segs !== NONE) this.giveBackSegs();
    } else if (a === prev && isPureAck && a < q.highestEnd) {
      this.losses.dupAcks++;
    }
  }

  /** SACK blocks [left, right, …] (raw) from the peer. */
  sack(blocks: readonly number[], frame: number, at: number): void {
    const base = this.seq.base;
    if (base === undefined) return;
    this.losses.sackAcks++;
    for (let i = 0; i + 1 < blocks.length; i += 2) {
      const l = unwrapSeq(blocks[i]!, base, this.seq.highestEnd);
      const r = unwrapSeq(blocks[i + 1]!, base, this.seq.highestEnd);
      for (let j = this.head; j < this.tail; j++) {
        const s = this.segs[j]!;
        if (s.start >= r) break;
        if (!s.sacked && s.start >= l && s.end <= r) {
          s.sacked = true;
          this.delivered(s, frame, at);
        }
      }
    }
  }

  /** Gaps starting below `a`, never filled here, were received past the capture point. */
  private ackedPast(a: number): void {
    // Indexed: for-of over the frozen NONE takes no fast path and made an iterator per ACK.
    for (let i = 0; i < this.gaps.length; i++) {
      const g = this.gaps[i]!;
      if (g.filled === undefined && a > g.start) g.ackedPast = true;
    }
  }

  /** Watches the sizes sent after a PTB quoting this direction. */
  private watchSize(frame: number, at: number, wire: number): void {
    const time = this.timeAt(at);
    for (const w of this.ptbs) {
      if (time < w.from) continue;
      if (wire > w.mtu) {
        w.ref.largerAfter++;
        if (w.ref.firstLargerAfter === undefined) w.ref.firstLargerAfter = { frame, time };
      } else w.ref.smallerAfter++;
    }
  }

  summary(endTime: Micros): DirectionSummary {
    // Most connections end with nothing sent twice and unacknowledged: no list then.
    let unacked: Segment[] | undefined;
    let firstLoss = Number.POSITIVE_INFINITY;
    let unackedBytes = 0;
    for (let j = this.head; j < this.tail; j++) {
      const s = this.segs[j]!;
      if (s.sacked) continue; // (from `head` on, only SACK has delivered a segment)
      unackedBytes += s.end - s.start;
      if (s.sends < 2) continue;
      (unacked ??= []).push(s);
      if (s.firstAt < firstLoss) firstLoss = s.firstAt;
    }
    unacked?.sort((x, y) => y.sends - x.sends || x.start - y.start);
    let deliveredAfterFirstLoss: number | undefined;
    if (unacked !== undefined) {
      for (let i = 0; i + 1 < this.deliveryLength; i += 2) {
        const wire = this.deliveryLog[i + 1]!;
        if (this.deliveryLog[i]! > firstLoss && (deliveredAfterFirstLoss === undefined || wire > deliveredAfterFirstLoss)) deliveredAfterFirstLoss = wire;
      }
    }
    let longestStall = this.longestStall;
    const out = this.outstanding();
    if (out > 0 && this.waitSince !== undefined) {
      const d = endTime - this.waitSince;
      if (longestStall === undefined || d > longestStall.to - longestStall.from) {
        longestStall = { from: this.waitSince, to: endTime, outstanding: out, resolved: false };
      }
    }
    const gaps: readonly SequenceGap[] = this.gaps === NONE ? NONE : this.gaps.map((g) => ({ ...g }));
    const t = this.traffic;
    const z = this.sizes;
    const l = this.losses;
    const first = t.packets > 0 ? markAt(t.firstFrame, this.epoch, t.firstAt) : undefined;
    const last = t.packets > 0 ? markOr(first, t.lastFrame, this.epoch, t.lastAt) : undefined;
    return {
      from: this.from,
      fromPort: this.fromPort,
      to: this.to,
      toPort: this.toPort,
      packets: t.packets,
      payloadPackets: t.payloadPackets,
      payloadBytes: t.payloadBytes,
      first,
      last,
      firstHopLimit: t.firstHopLimit,
      maxSegment:
        z.maxPayload > 0
          ? { frame: z.maxPayloadFrame, time: this.maxPayloadTime, payload: z.maxPayload, ipLength: z.maxPayloadIpLength, wireLength: z.maxPayloadWire }
          : undefined,
      maxDelivered: z.maxDeliveredWire >= 0 ? { frame: z.maxDeliveredFrame, time: this.maxDeliveredTime, wireLength: z.maxDeliveredWire } : undefined,
      segmentCap: z.mssCap,
      offloadedSegments: z.offloaded,
      maxOffloadedIpLength: z.maxOffloadedIpLength,
      retransmissions: l.retransmissions,
      retransmittedBytes: l.retransmittedBytes,
      retransmissionFrames: this.retxFrames,
      unacked: unacked === undefined ? NONE : ranges(unacked.slice(0, MAX_KEPT_RANGES), this.epoch),
      recovered: this.recovered === NONE ? NONE : ranges(this.recovered, this.epoch),
      deliveredAfterFirstLoss,
      unackedBytes,
      ackedBytes: this.seq.highestAcked ?? 0,
      gaps,
      gapCount: l.gapCount,
      maxWireAfterGap: l.maxWireAfterGap,
      dupAcks: l.dupAcks,
      sackAcks: l.sackAcks,
      ackedUnseen: l.ackedUnseen,
      longestStall,
      fin: markOr(last, this.ends.finFrame, this.epoch, this.ends.finAt),
      rst: markOr(last, this.ends.rstFrame, this.epoch, this.ends.rstAt),
    };
  }

  /** Segment `s` reached the peer: the ACK (or SACK) in `ackFrame` says so. */
  private delivered(s: Segment, ackFrame: number, ackAt: number): void {
    if (s.sends > 1) s.acked = { frame: ackFrame, time: this.timeAt(ackAt) };
    const wire = s.lastWire;
    const sentAt = s.sends === 1 ? s.firstAt : s.lastAt;
    const n = this.deliveryLength;
    if (n < 2 * DELIVERED_LOG) {
      if (this.deliveryLog === NONE) this.deliveryLog = [sentAt, wire];
      else if (n < this.deliveryLog.length) {
        this.deliveryLog[n] = sentAt;
        this.deliveryLog[n + 1] = wire;
      } else this.deliveryLog.push(sentAt, wire);
      this.deliveryLength = n + 2;
    } else {
      const i = 2 * (this.deliveredAt++ % DELIVERED_LOG);
      this.deliveryLog[i] = sentAt;
      this.deliveryLog[i + 1] = wire;
    }
    const z = this.sizes;
    if (wire > z.maxDeliveredWire) {
      z.maxDeliveredWire = wire;
      z.maxDeliveredFrame = s.sends === 1 ? s.firstFrame : s.lastKeptFrame();
      z.maxDeliveredAt = sentAt;
    }
    if (s.sends > 1) {
      if (this.recovered === NONE) this.recovered = [s];
      else if (this.recovered.length < MAX_KEPT_RANGES) this.recovered.push(s);
      else {
        let min = 0;
        for (let i = 1; i < this.recovered.length; i++) if (this.recovered[i]!.sends < this.recovered[min]!.sends) min = i;
        if (this.recovered[min]!.sends < s.sends) this.recovered[min] = s;
      }
    }
  }

  private openGap(rel: number, frame: number, at: number): void {
    this.losses.gapCount++;
    if (this.gaps.length < MAX_GAPS) {
      if (this.gaps === NONE) this.gaps = [];
      const runWire = this.sizes.runWire;
      this.gaps.push({ start: this.seq.highestEnd, end: rel, since: this.highestEndTime, after: { frame, time: this.timeAt(at) }, filled: undefined, fillWireLength: undefined, ackedPast: false, segmentSizeBefore: runWire > 0 ? runWire : undefined, largestBefore: this.sizes.maxNewWire });
    }
  }

  /** The sender's sequence number moved to `rel` without the bytes in between passing here. */
  gapTo(rel: number, frame: number, at: number): void {
    this.openGap(rel, frame, at);
    this.setHighestEnd(rel, at);
  }

  /** Marks gaps this segment fills; true when it lies inside one (first seen here, not sent again). */
  private fill(rel: number, end: number, frame: number, at: number, wire: number): boolean {
    if (this.gaps.length === 0) return false;
    let inside = false;
    for (const g of this.gaps) {
      if (rel < g.end && end > g.start) {
        if (g.filled === undefined) {
          g.filled = { frame, time: this.timeAt(at) };
          g.fillWireLength = wire;
        } else if (wire > (g.fillWireLength ?? 0)) g.fillWireLength = wire;
        inside = true;
      }
    }
    return inside;
  }

  private find(start: number): Segment | undefined {
    let lo = this.head;
    let hi = this.tail - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.segs[mid]!;
      if (s.start === start) return s;
      if (s.start < start) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  private insert(seg: Segment): void {
    let i = this.tail;
    while (i > this.head && this.segs[i - 1]!.start > seg.start) i--;
    if (i === this.tail) this.append(seg);
    else {
      this.segs.splice(i, 0, seg); // the empty slots after `tail` move up one with the rest
      this.tail++;
    }
  }

  /** `seg` after the last segment, in a spare array (or a new one) when there is none. */
  private append(seg: Segment): void {
    if (this.segs === NONE) this.segs = spareLists.pop() ?? [];
    if (this.tail < this.segs.length) this.segs[this.tail] = seg;
    else this.segs.push(seg);
    this.tail++;
  }

  /** Every segment was delivered: the array, emptied, goes back to spareLists (or is let go). */
  private giveBackSegs(): void {
    const list = this.segs;
    this.segs = NONE;
    this.head = 0;
    this.tail = 0;
    if (list.length > MAX_SPARE_LIST_SLOTS || spareLists.length >= MAX_SPARE_LISTS) return;
    list.fill(undefined as unknown as Segment);
    spareLists.push(list);
  }
}
