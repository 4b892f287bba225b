// IP fragments: a transport header and its DNS message are cut across packets, and the UDP/TCP
// checksum covers the whole datagram, so a fragment cannot be anonymised on its own. The fragments
// of a datagram are held (their packets, and every packet after the first of them, wait in the
// writer's queue so the output keeps the capture's order) until all of its bytes are there; the
// datagram is then anonymised whole, with its checksum recomputed, and written back into each
// fragment. A datagram that does not complete (a fragment lost or cut by the snaplen) within the
// limits below is given up: its first fragment is anonymised as far as it goes (checksum adjusted
// for what changed) and the later fragments' bytes are zeroed.
import type { Micros } from '../../core/index.js';

/** How long capture time a datagram may stay incomplete (Linux's ipfrag_time is 30 s). */
export const FRAGMENT_HOLD_MICROS: Micros = 30_000_000;
/** Datagrams held at once, and packets waiting behind them: memory stays bounded. */
export const MAX_HELD_DATAGRAMS = 256;
export const MAX_HELD_PACKETS = 20_000;

export interface HeldFragment {
  /** The fragment's upper-layer bytes: a view into its packet's output block. */
  readonly bytes: Buffer;
  /** Its place in the datagram (octets). */
  readonly offset: number;
  /** The datagram's upper-layer length, when this is the last fragment. */
  readonly total: number | undefined;
}

export interface HeldDatagram {
  readonly started: Micros;
  readonly fragments: HeldFragment[];
  /** Given for the first fragment only: how to anonymise the datagram once whole, or give it up. */
  complete?: (datagram: Buffer) => void;
  giveUp?: (first: HeldFragment) => void;
}

export class FragmentHold {
  readonly #open = new Map<string, HeldDatagram>();
  /** Datagrams given up (incomplete), for the summary. */
  givenUp = 0;

  get holding(): boolean {
    return this.#open.size > 0;
  }

  /** Adds a fragment; returns the datagram (to attach `complete`/`giveUp` to) and finishes it if whole. */
  add(key: string, time: Micros, fragment: HeldFragment, onFirst?: Pick<HeldDatagram, 'complete' | 'giveUp'>): void {
    let d = this.#open.get(key);
    if (d === undefined) {
      if (this.#open.size >= MAX_HELD_DATAGRAMS) this.giveUpAll();
      d = { started: time, fragments: [] };
      this.#open.set(key, d);
    }
    d.fragments.push(fragment);
    if (onFirst !== undefined) Object.assign(d, onFirst);
    const whole = assemble(d);
    if (whole !== undefined && d.complete !== undefined) {
      this.#open.delete(key);
      d.complete(whole);
      // Written back into every fragment (a duplicate gets the same bytes as its twin).
      for (const f of d.fragments) whole.copy(f.bytes, 0, f.offset, Math.min(whole.length, f.offset + f.bytes.length));
    }
  }

  /** Gives up the datagrams older than the hold time (call once per packet, with its time). */
  expire(now: Micros): void {
    for (const [key, d] of this.#open) {
      if (now - d.started <= FRAGMENT_HOLD_MICROS) continue;
      this.#open.delete(key);
      this.#abandon(d);
    }
  }

  giveUpAll(): void {
    for (const d of this.#open.values()) this.#abandon(d);
    this.#open.clear();
  }

  #abandon(d: HeldDatagram): void {
    this.givenUp++;
    for (const f of d.fragments) {
      if (f.offset === 0 && d.giveUp !== undefined) d.giveUp(f);
      else f.bytes.fill(0);
    }
  }
}

/** The datagram's upper-layer bytes when every one of them is held, else undefined. */
function assemble(d: HeldDatagram): Buffer | undefined {
  const last = d.fragments.find((f) => f.total !== undefined);
  if (last === undefined) return undefined;
  const total = last.total!;
  const sorted = [...d.fragments].sort((a, b) => a.offset - b.offset);
  let covered = 0;
  for (const f of sorted) {
    if (f.offset > covered) return undefined;
    covered = Math.max(covered, f.offset + f.bytes.length);
  }
  if (covered < total) return undefined;
  const whole = Buffer.alloc(total);
  for (const f of sorted) f.bytes.copy(whole, f.offset, 0, Math.min(f.bytes.length, total - f.offset));
  return whole;
}
