// One direction of a TCP connection: the sequence space one side sends in, and what the other side
// acknowledged of it. Tracks each unacknowledged segment's size and send times (bounded), so a
// range sent again and again at one size while smaller ones get through can be told from plain loss.
import type { Micros } from '../../core/index.js';
import type { Ip, Tcp } from '../../decode/index.js';
import type { DirectionSummary, IcmpRef, Mark, SequenceGap, Stall } from './records.js';
import { CopyFilter } from './copy-filter.js';
import { Segment } from './segment.js';

const TWO32 = 4294967296;
const MAX_KEPT_RANGES = 8;
const MAX_GAPS = 8;
const MAX_RETX_FRAMES = 64;
const DELIVERED_LOG = 64;

/** The Mark a frame number and a time offset from `epoch` stand for; a frame of -1 is none. */
export const markAt = (frame: number, epoch: Micros, offset: number): Mark | undefined =>
  frame === -1 ? undefined : { frame, time: epoch + offset };

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
 * Capture times are kept as offsets from the connection's start (`epoch`) behind accessors, and raw
 * sequence numbers as signed 32-bit values: small integers live in the object, while a field
 * holding µs since 1970 or a sequence number ≥ 2^31 is a heap number of its own. Those were half
 * of the ~43 objects a finished connection kept until its record, each copied twice by the young
 * generation's collector (bench/generate capture, heap snapshot).
 */
export class Direction {
  packets!: number;
  payloadPackets!: number;
  payloadBytes!: number;
  /** First and last packet (frame, capture time) when `packets > 0`: numbers, as a Mark per packet was most of the garbage. */
  firstFrame!: number;
  private _firstAt!: number;
  lastFrame!: number;
  private _lastAt!: number;
  firstHopLimit!: number | undefined;

  /**
   * Raw sequence number everything is relative to (the ISN when the SYN was seen), as `seq | 0`:
   * unwrapSeq works modulo 2^32, so the sign does not matter.
   */
  base!: number | undefined;
  /** Highest sequence end sent (relative), and when. */
  highestEnd!: number;
  private _highestEndAt!: number;
  /** Highest cumulative ACK from the peer (relative); undefined before the first. */
  highestAcked!: number | undefined;
  /** The SYN's sequence number as `seq | 0`. */
  isn!: number | undefined;

  /** Segments not yet delivered from `head` on, by start; NONE when there are none (then even the array goes). */
  segs!: Segment[];
  head!: number;
  untracked!: number;

  /** The largest segment captured (DirectionSummary.maxSegment) when `maxPayload > 0`. */
  maxPayload!: number;
  maxPayloadFrame!: number;
  private _maxPayloadAt!: number;
  maxPayloadIpLength!: number;
  maxPayloadWire!: number;
  /** The largest delivered segment (DirectionSummary.maxDelivered) when `maxDeliveredWire >= 0`. */
  maxDeliveredWire!: number;
  maxDeliveredFrame!: number;
  private _maxDeliveredAt!: number;
  /**
   * The last DELIVERED_LOG deliveries (a ring once full) as pairs: send time, wire length. One
   * array of pairs, since these arrays were a quarter of what a finished connection keeps.
   */
  deliveryLog!: number[];
  deliveredAt!: number;
  /** Payload cap in force: the smaller MSS of the two sides (undefined until a SYN shows one). */
  mssCap!: number | undefined;
  offloaded!: number;
  maxOffloadedIpLength!: number;
  retransmissions!: number;
  retransmittedBytes!: number;
  retxFrames!: number[];
  recovered!: Segment[];
  gaps!: Gap[];
  gapCount!: number;
  maxWireAfterGap!: number | undefined;
  dupAcks!: number;
  sackAcks!: number;
  ackedUnseen!: number;
  private _waitAt!: number | undefined;
  longestStall!: Stall | undefined;
  /** The first FIN and RST sent this way: frame (-1: none) and time offset, not a Mark (see Connection). */
  private _finFrame!: number;
  private _finAt!: number;
  private _rstFrame!: number;
  private _rstAt!: number;
  ptbs!: PtbWatch[];
  /** Tells a second sighting of a packet from a second sending (its own reset in init()). */
  readonly copies = new CopyFilter();
  /** Wire length of the last new-data segment, and the largest seen twice back to back (SequenceGap.segmentSizeBefore). */
  lastNewWire!: number;
  runWire!: number;
  /** Wire length of the largest new-data segment so far (SequenceGap.largestBefore). */
  maxNewWire!: number;

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
   * Sets every field as for a new direction: the reconstructor reuses the directions of finished
   * connections (see Connection.init). Every number is assigned here, every segment and list in
   * park(), and nowhere else.
   */
  init(from: string, fromPort: number, to: string, toPort: number, maxSegments: number, epoch: Micros): void {
    this.from = from;
    this.fromPort = fromPort;
    this.to = to;
    this.toPort = toPort;
    this.maxSegments = maxSegments;
    this.epoch = epoch;
    this.park(); // the segments and lists
    this.packets = 0;
    this.payloadPackets = 0;
    this.payloadBytes = 0;
    this.firstFrame = 0;
    this._firstAt = 0;
    this.lastFrame = 0;
    this._lastAt = 0;
    this.firstHopLimit = undefined;
    this.base = undefined;
    this.highestEnd = 0;
    this._highestEndAt = 0;
    this.highestAcked = undefined;
    this.isn = undefined;
    this.untracked = 0;
    this.maxPayload = 0;
    this.maxPayloadFrame = 0;
    this._maxPayloadAt = 0;
    this.maxPayloadIpLength = 0;
    this.maxPayloadWire = 0;
    this.maxDeliveredWire = -1;
    this.maxDeliveredFrame = 0;
    this._maxDeliveredAt = 0;
    this.deliveredAt = 0;
    this.mssCap = undefined;
    this.offloaded = 0;
    this.maxOffloadedIpLength = 0;
    this.retransmissions = 0;
    this.retransmittedBytes = 0;
    this.gapCount = 0;
    this.maxWireAfterGap = undefined;
    this.dupAcks = 0;
    this.sackAcks = 0;
    this.ackedUnseen = 0;
    this._waitAt = undefined;
    this._finFrame = -1;
    this._finAt = 0;
    this._rstFrame = -1;
    this._rstAt = 0;
    this.copies.reset();
    this.lastNewWire = 0;
    this.maxNewWire = 0;
    this.runWire = 0;
  }

  /**
   * Sets the segments and lists as for a new direction, letting go of what they referred to: also
   * while the object waits to be reused, when it must hold no more than a new one. init() calls it.
   */
  park(): void {
    this.segs = NONE;
    this.head = 0;
    // Internal (the record gets what summary() computes from it): its array is kept, emptied; at
    // most 2 × DELIVERED_LOG numbers. Undefined only while the constructor runs init().
    if (this.deliveryLog !== undefined && this.deliveryLog !== NONE) this.deliveryLog.length = 0;
    else this.deliveryLog = NONE;
    this.retxFrames = NONE;
    this.recovered = NONE;
    this.gaps = NONE;
    this.longestStall = undefined;
    this.ptbs = NONE;
  }

  get fin(): Mark | undefined { return markAt(this._finFrame, this.epoch, this._finAt); }
  get rst(): Mark | undefined { return markAt(this._rstFrame, this.epoch, this._rstAt); }
  get hasFin(): boolean { return this._finFrame !== -1; }
  get hasRst(): boolean { return this._rstFrame !== -1; }
  setFin(frame: number, time: Micros): void { this._finFrame = frame; this._finAt = small(time - this.epoch); }
  setRst(frame: number, time: Micros): void { this._rstFrame = frame; this._rstAt = small(time - this.epoch); }

  get firstTime(): Micros { return this.epoch + this._firstAt; }
  set firstTime(t: Micros) { this._firstAt = small(t - this.epoch); }
  get lastTime(): Micros { return this.epoch + this._lastAt; }
  set lastTime(t: Micros) { this._lastAt = small(t - this.epoch); }
  get highestEndTime(): Micros { return this.epoch + this._highestEndAt; }
  set highestEndTime(t: Micros) { this._highestEndAt = small(t - this.epoch); }
  get maxPayloadTime(): Micros { return this.epoch + this._maxPayloadAt; }
  set maxPayloadTime(t: Micros) { this._maxPayloadAt = small(t - this.epoch); }
  get maxDeliveredTime(): Micros { return this.epoch + this._maxDeliveredAt; }
  set maxDeliveredTime(t: Micros) { this._maxDeliveredAt = small(t - this.epoch); }
  get waitSince(): Micros | undefined { return this._waitAt === undefined ? undefined : this.epoch + this._waitAt; }
  set waitSince(t: Micros | undefined) { this._waitAt = t === undefined ? undefined : small(t - this.epoch); }

  /** Watches what this direction sends after a PTB quoting it. */
  watchPtb(w: PtbWatch): void {
    if (this.ptbs === NONE) this.ptbs = [];
    this.ptbs.push(w);
  }

  /** True when this packet is a second sighting of the previous one (see CopyFilter.isCopy). */
  isCopy(ip: Ip, tcp: Tcp, time: Micros, trigger: number, peerSeen: boolean, sackNegotiated: boolean): boolean {
    return this.copies.isCopy(ip, tcp, small(time - this.epoch), trigger, peerSeen, sackNegotiated);
  }

  /** Counts a packet sent in this direction. */
  seen(frame: number, time: Micros, hopLimit: number): void {
    if (this.packets++ === 0) {
      this.firstFrame = frame;
      this.firstTime = time;
      this.firstHopLimit = hopLimit;
    }
    this.lastFrame = frame;
    this.lastTime = time;
  }

  /** A segment with payload: the largest is kept. */
  sized(frame: number, time: Micros, payload: number, ipLength: number, wire: number): void {
    if (payload <= this.maxPayload) return;
    this.maxPayload = payload;
    this.maxPayloadFrame = frame;
    this.maxPayloadTime = time;
    this.maxPayloadIpLength = ipLength;
    this.maxPayloadWire = wire;
  }

  /** Bytes sent and not acknowledged. */
  outstanding(): number {
    return this.highestAcked === undefined ? 0 : Math.max(0, this.highestEnd - this.highestAcked);
  }

  /** Wire IP length of a captured segment, and whether the capture holds an offload artefact. */
  wireLength(ipLength: number, headers: number, payload: number, optionBytes: number, linkMtu: number): number {
    if (this.mssCap !== undefined) {
      if (payload <= this.mssCap) return ipLength;
      return headers + Math.max(0, this.mssCap - optionBytes);
    }
    return ipLength <= linkMtu ? ipLength : linkMtu;
  }

  /** A segment carrying new data (at or beyond the highest end seen). */
  newData(rel: number, end: number, frame: number, time: Micros, wire: number, fragmentable: boolean): void {
    if (rel > this.highestEnd && this.packets > 1) this.openGap(rel, frame, time);
    else if (rel === this.highestEnd && wire === this.lastNewWire && wire > this.runWire) this.runWire = wire;
    this.lastNewWire = wire;
    if (wire > this.maxNewWire) this.maxNewWire = wire;
    if (this.gapCount > 0 && (this.maxWireAfterGap === undefined || wire > this.maxWireAfterGap)) this.maxWireAfterGap = wire;
    if (this.highestAcked === undefined || this.highestAcked >= this.highestEnd) this.waitSince = time;
    if (this.segs.length - this.head < this.maxSegments) {
      const seg = new Segment(rel, end, frame, time, wire, fragmentable);
      if (this.segs === NONE) this.segs = [seg];
      else this.segs.push(seg);
    } else this.untracked++;
    this.highestEnd = end;
    this.highestEndTime = time;
    if (this.head > 256 && this.head * 2 > this.segs.length) {
      this.segs.splice(0, this.head);
      this.head = 0;
    }
  }

  /** A segment starting below the highest end: a retransmission, or a first arrival into a gap. */
  oldData(rel: number, end: number, frame: number, time: Micros, wire: number, fragmentable: boolean): void {
    const intoGap = this.fill(rel, end, frame, time, wire);
    if (this.gapCount > 0 && (this.maxWireAfterGap === undefined || wire > this.maxWireAfterGap)) this.maxWireAfterGap = wire;
    const s = this.find(rel);
    if (s !== undefined && !intoGap) {
      s.resend(frame, time, wire, fragmentable);
      if (end > s.end) s.end = end;
    } else if (this.segs.length - this.head < this.maxSegments) {
      const seg = new Segment(rel, end, frame, time, wire, fragmentable);
      if (!intoGap) seg.sends = 2; // its bytes went out before, in other segment boundaries
      this.insert(seg);
    }
    if (end > this.highestEnd) {
      this.highestEnd = end;
      this.highestEndTime = time;
    }
  }

  noteRetransmission(frame: number, payload: number): void {
    this.retransmissions++;
    this.retransmittedBytes += payload;
    if (this.retxFrames === NONE) this.retxFrames = [frame];
    else if (this.retxFrames.length < MAX_RETX_FRAMES) this.retxFrames.push(frame);
  }

  /** The peer acknowledged up to `a` (relative). */
  ack(a: number, frame: number, time: Micros, isPureAck: boolean, stallMicros: Micros): void {
    if (a > this.highestEnd) {
      this.ackedUnseen++;
      this.ackedPast(a);
      a = this.highestEnd;
    }
    const prev = this.highestAcked;
    if (prev === undefined || a > prev) {
      if (prev !== undefined && prev < this.highestEnd && this.waitSince !== undefined) {
        const d = time - this.waitSince;
        if (d >= stallMicros && (this.longestStall === undefined || d > this.longestStall.to - this.longestStall.from)) {
          this.longestStall = { from: this.waitSince, to: time, outstanding: this.highestEnd - prev, resolved: true };
        }
      }
      this.highestAcked = a;
      this.waitSince = a < this.highestEnd ? time : undefined;
      this.ackedPast(a);
      while (this.head < this.segs.length) {
        const s = this.segs[this.head]!;
        if (s.end > a) break;
        if (!s.sacked) this.delivered(s, frame, time);
        this.head++;
      }
      if (this.head === this.segs.length) {
        // All delivered: let the segments (and the array) go now rather than when the connection ends.
        this.segs = NONE;
        this.head = 0;
      }
    } else if (a === prev && isPureAck && a < this.highestEnd) {
      this.dupAcks++;
    }
  }

  /** SACK blocks [left, right, …] (raw) from the peer. */
  sack(blocks: readonly number[], frame: number, time: Micros): void {
    if (this.base === undefined) return;
    this.sackAcks++;
    for (let i = 0; i + 1 < blocks.length; i += 2) {
      const l = unwrapSeq(blocks[i]!, this.base, this.highestEnd);
      const r = unwrapSeq(blocks[i + 1]!, this.base, this.highestEnd);
      for (let j = this.head; j < this.segs.length; j++) {
        const s = this.segs[j]!;
        if (s.start >= r) break;
        if (!s.sacked && s.start >= l && s.end <= r) {
          s.sacked = true;
          this.delivered(s, frame, time);
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
  watchSize(frame: number, time: Micros, wire: number): void {
    for (const w of this.ptbs) {
      if (time < w.from) continue;
      if (wire > w.mtu) {
        w.ref.largerAfter++;
        if (w.ref.firstLargerAfter === undefined) w.ref.firstLargerAfter = { frame, time };
      } else w.ref.smallerAfter++;
    }
  }

  summary(endTime: Micros): DirectionSummary {
    const unacked: Segment[] = [];
    let firstLoss = Number.POSITIVE_INFINITY;
    let unackedBytes = 0;
    for (let j = this.head; j < this.segs.length; j++) {
      const s = this.segs[j]!;
      if (s.sacked) continue; // (from `head` on, only SACK has delivered a segment)
      unackedBytes += s.end - s.start;
      if (s.sends < 2) continue;
      unacked.push(s);
      if (s.firstTime < firstLoss) firstLoss = s.firstTime;
    }
    unacked.sort((x, y) => y.sends - x.sends || x.start - y.start);
    let deliveredAfterFirstLoss: number | undefined;
    if (unacked.length > 0) {
      for (let i = 0; i + 1 < this.deliveryLog.length; i += 2) {
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
    return {
      from: this.from,
      fromPort: this.fromPort,
      to: this.to,
      toPort: this.toPort,
      packets: this.packets,
      payloadPackets: this.payloadPackets,
      payloadBytes: this.payloadBytes,
      first: this.packets > 0 ? { frame: this.firstFrame, time: this.firstTime } : undefined,
      last: this.packets > 0 ? { frame: this.lastFrame, time: this.lastTime } : undefined,
      firstHopLimit: this.firstHopLimit,
      maxSegment:
        this.maxPayload > 0
          ? { frame: this.maxPayloadFrame, time: this.maxPayloadTime, payload: this.maxPayload, ipLength: this.maxPayloadIpLength, wireLength: this.maxPayloadWire }
          : undefined,
      maxDelivered: this.maxDeliveredWire >= 0 ? { frame: this.maxDeliveredFrame, time: this.maxDeliveredTime, wireLength: this.maxDeliveredWire } : undefined,
      segmentCap: this.mssCap,
      offloadedSegments: this.offloaded,
      maxOffloadedIpLength: this.maxOffloadedIpLength,
      retransmissions: this.retransmissions,
      retransmittedBytes: this.retransmittedBytes,
      retransmissionFrames: this.retxFrames,
      unacked: unacked.length === 0 ? NONE : unacked.slice(0, MAX_KEPT_RANGES).map((s) => s.toRange()),
      recovered: this.recovered === NONE ? NONE : this.recovered.map((s) => s.toRange()),
      deliveredAfterFirstLoss,
      unackedBytes,
      ackedBytes: this.highestAcked ?? 0,
      gaps,
      gapCount: this.gapCount,
      maxWireAfterGap: this.maxWireAfterGap,
      dupAcks: this.dupAcks,
      sackAcks: this.sackAcks,
      ackedUnseen: this.ackedUnseen,
      longestStall,
      fin: this.fin,
      rst: this.rst,
    };
  }

  /** Segment `s` reached the peer: the ACK (or SACK) in `ackFrame` says so. */
  private delivered(s: Segment, ackFrame: number, ackTime: Micros): void {
    if (s.sends > 1) s.acked = { frame: ackFrame, time: ackTime };
    const wire = s.lastWire;
    const time = s.sends === 1 ? s.firstTime : s.lastTime;
    if (this.deliveryLog === NONE) this.deliveryLog = [time, wire];
    else if (this.deliveryLog.length < 2 * DELIVERED_LOG) this.deliveryLog.push(time, wire);
    else {
      const i = 2 * (this.deliveredAt++ % DELIVERED_LOG);
      this.deliveryLog[i] = time;
      this.deliveryLog[i + 1] = wire;
    }
    if (wire > this.maxDeliveredWire) {
      this.maxDeliveredWire = wire;
      this.maxDeliveredFrame = s.sends === 1 ? s.firstFrame : s.lastKeptFrame();
      this.maxDeliveredTime = time;
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

  private openGap(rel: number, frame: number, time: Micros): void {
    this.gapCount++;
    if (this.gaps.length < MAX_GAPS) {
      if (this.gaps === NONE) this.gaps = [];
      this.gaps.push({ start: this.highestEnd, end: rel, since: this.highestEndTime, after: { frame, time }, filled: undefined, fillWireLength: undefined, ackedPast: false, segmentSizeBefore: this.runWire > 0 ? this.runWire : undefined, largestBefore: this.maxNewWire });
    }
  }

  /** The sender's sequence number moved to `rel` without the bytes in between passing here. */
  gapTo(rel: number, frame: number, time: Micros): void {
    this.openGap(rel, frame, time);
    this.highestEnd = rel;
    this.highestEndTime = time;
  }

  /** Marks gaps this segment fills; true when it lies inside one (first seen here, not sent again). */
  private fill(rel: number, end: number, frame: number, time: Micros, wire: number): boolean {
    if (this.gaps.length === 0) return false;
    let inside = false;
    for (const g of this.gaps) {
      if (rel < g.end && end > g.start) {
        if (g.filled === undefined) {
          g.filled = { frame, time };
          g.fillWireLength = wire;
        } else if (wire > (g.fillWireLength ?? 0)) g.fillWireLength = wire;
        inside = true;
      }
    }
    return inside;
  }

  private find(start: number): Segment | undefined {
    let lo = this.head;
    let hi = this.segs.length - 1;
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
    if (this.segs === NONE) this.segs = [];
    let i = this.segs.length;
    while (i > this.head && this.segs[i - 1]!.start > seg.start) i--;
    this.segs.splice(i, 0, seg);
  }
}
