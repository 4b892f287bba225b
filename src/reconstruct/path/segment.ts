// A segment sent and not yet acknowledged, as a Direction tracks it (bounded): its size and send
// times, so a range sent again and again at one size while smaller ones get through can be told
// from plain loss.
import type { Micros } from '../../core/index.js';
import type { Mark, RetransmittedRange } from './records.js';

const MAX_SEND_TIMES = 12;

/** What transmissions after the first add to a segment: most segments are sent once. */
interface Resends {
  /** Frames and times (offsets) of the transmissions, the first included (the first MAX_SEND_TIMES). */
  readonly frames: number[];
  readonly times: number[];
  minWire: number;
  maxWire: number;
  lastWire: number;
  lastAt: number;
}

/** Segments given back by release(), for make() to hand out again. */
const spare: Segment[] = [];
const MAX_SPARE = 1024;

/**
 * A segment sent and not yet acknowledged (mutable while tracked). Sent once it is ten fields;
 * the rest is made on the first resend (bench: segments were 15 % of the path stage's garbage).
 * Times are offsets from its direction's epoch, as everywhere in a Direction (see direction.ts):
 * toRange() turns them into capture times.
 *
 * Made with make() and, once nothing refers to it, given back with release() for the next make():
 * a segment per data packet was the largest single allocation of the TCP reconstruction. A Direction
 * releases a segment sent once when the cumulative ACK passes it (only segments sent more than once
 * are kept beyond that, in `recovered`); every field is set in init() and nowhere else
 * (test/reconstruct/path/connection-reuse.test.ts compares a remade segment with a new one).
 */
export class Segment {
  sends!: number;
  /** When it was acknowledged (ACK or SACK): kept for a segment sent more than once, the only kind a record shows. */
  acked!: Mark | undefined;
  /** Acknowledged by SACK (a cumulative ACK moves the direction's `head` past it instead). */
  sacked!: boolean;
  resends!: Resends | undefined;
  start!: number;
  end!: number;
  firstFrame!: number;
  /** Offset from the direction's epoch. */
  firstAt!: number;
  firstWire!: number;
  fragmentable!: boolean;

  /** Use make(). */
  private constructor(start: number, end: number, firstFrame: number, firstAt: number, firstWire: number, fragmentable: boolean) {
    this.init(start, end, firstFrame, firstAt, firstWire, fragmentable);
  }

  /** A segment as sent once: a released one set as new, or a new one. */
  static make(start: number, end: number, firstFrame: number, firstAt: number, firstWire: number, fragmentable: boolean): Segment {
    const s = spare.pop();
    return s === undefined ? new Segment(start, end, firstFrame, firstAt, firstWire, fragmentable) : s.init(start, end, firstFrame, firstAt, firstWire, fragmentable);
  }

  /** Gives `s` back for make(): the caller and everything else hold no reference to it any more. */
  static release(s: Segment): void {
    if (spare.length < MAX_SPARE) spare.push(s);
  }

  private init(start: number, end: number, firstFrame: number, firstAt: number, firstWire: number, fragmentable: boolean): this {
    this.sends = 1;
    this.acked = undefined;
    this.sacked = false;
    this.resends = undefined;
    this.start = start;
    this.end = end;
    this.firstFrame = firstFrame;
    this.firstAt = firstAt;
    this.firstWire = firstWire;
    this.fragmentable = fragmentable;
    return this;
  }

  get minWire(): number {
    return this.resends?.minWire ?? this.firstWire;
  }
  get maxWire(): number {
    return this.resends?.maxWire ?? this.firstWire;
  }
  get lastWire(): number {
    return this.resends?.lastWire ?? this.firstWire;
  }
  /** Offset from the direction's epoch. */
  get lastAt(): number {
    return this.resends?.lastAt ?? this.firstAt;
  }

  /** Sent again in `frame` at offset `at`. */
  resend(frame: number, at: number, wire: number, fragmentable: boolean): void {
    this.sends++;
    const r = this.resends;
    if (r === undefined) {
      const w = this.firstWire;
      this.resends = { frames: [this.firstFrame, frame], times: [this.firstAt, at], minWire: wire < w ? wire : w, maxWire: wire > w ? wire : w, lastWire: wire, lastAt: at };
    } else {
      if (r.frames.length < MAX_SEND_TIMES) {
        r.frames.push(frame);
        r.times.push(at);
      }
      if (wire < r.minWire) r.minWire = wire;
      if (wire > r.maxWire) r.maxWire = wire;
      r.lastWire = wire;
      r.lastAt = at;
    }
    if (fragmentable) this.fragmentable = true;
  }

  /** The last transmission whose frame is kept. */
  lastKeptFrame(): number {
    const frames = this.resends?.frames;
    return frames === undefined ? this.firstFrame : frames[frames.length - 1]!;
  }

  /** The record of it; `epoch` is its direction's. */
  toRange(epoch: Micros): RetransmittedRange {
    return {
      start: this.start,
      end: this.end,
      sends: this.sends,
      frames: this.resends?.frames ?? [this.firstFrame],
      times: this.resends === undefined ? [epoch + this.firstAt] : this.resends.times.map((t) => epoch + t),
      minWireLength: this.minWire,
      maxWireLength: this.maxWire,
      lastWireLength: this.lastWire,
      acked: this.acked,
      fragmentable: this.fragmentable,
    };
  }
}
