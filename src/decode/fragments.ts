// decode/fragments.ts: bounded IPv4 (RFC 791) and IPv6 (RFC 8200 §4.5) fragment reassembly, so a
// fragmented DNS answer decodes as one message. State is kept in capture time and capped:
//  - a datagram expires `timeoutMicros` after its first fragment (capture time, never wall clock);
//  - at most `maxDatagrams` in flight and `maxBytes` buffered: past either, the oldest is dropped;
//  - overlapping fragments drop the whole datagram (RFC 5722 for IPv6; for IPv4 too, because
//    which copy wins is exactly the ambiguity evasion attacks use). Exact duplicates are ignored.
// Fragment payloads are copied: the frame's buffer is reused by the reader.
import type { Anomalies, Micros } from '../core/index.js';

export interface FragmentOptions {
  /** Datagrams being reassembled at once (default 1024). */
  readonly maxDatagrams?: number;
  /** Payload octets buffered across all datagrams (default 16 MiB). */
  readonly maxBytes?: number;
  /** Capture time after the first fragment at which an incomplete datagram is dropped (default 30 s, RFC 8200's 60 s halved as Linux's ipfrag_time does). */
  readonly timeoutMicros?: Micros;
}

export const FRAGMENT_DEFAULTS = { maxDatagrams: 1024, maxBytes: 16 << 20, timeoutMicros: 30_000_000 } as const;
/** RFC 791 / RFC 8200: a reassembled payload never exceeds 65535 octets (jumbograms are not fragmented). */
const MAX_DATAGRAM = 65535;

export interface Reassembled {
  /** The reassembled payload (IPv4: after the header; IPv6: the fragmentable part). */
  readonly payload: Buffer;
  /** IPv6: Next Header of the first fragment's fragment header; IPv4: the protocol. */
  readonly nextHeader: number;
  /** Frame numbers of the fragments, in arrival order. */
  readonly frames: readonly number[];
}

interface Piece { readonly offset: number; readonly data: Buffer }
interface Datagram {
  readonly firstTime: Micros;
  readonly pieces: Piece[];
  readonly frames: number[];
  received: number;
  /** Total payload length, known once the last fragment (M clear) arrives; -1 until then. */
  total: number;
  nextHeader: number;
}

export class FragmentReassembler {
  readonly #datagrams = new Map<string, Datagram>(); // insertion order = oldest first
  readonly #maxDatagrams: number;
  readonly #maxBytes: number;
  readonly #timeout: Micros;
  #bytes = 0;

  constructor(private readonly anomalies: Anomalies, options: FragmentOptions = {}) {
    this.#maxDatagrams = options.maxDatagrams ?? FRAGMENT_DEFAULTS.maxDatagrams;
    this.#maxBytes = options.maxBytes ?? FRAGMENT_DEFAULTS.maxBytes;
    this.#timeout = options.timeoutMicros ?? FRAGMENT_DEFAULTS.timeoutMicros;
  }

  get inFlight(): number { return this.#datagrams.size; }
  get bufferedBytes(): number { return this.#bytes; }

  /**
   * Adds the fragment payload b[start…end) at `offset` octets. `nextHeader` is the IPv4 protocol
   * or the IPv6 fragment header's Next Header (meaningful on the offset-0 fragment). Returns the
   * datagram when this fragment completes it.
   */
  fragment(key: string, offset: number, more: boolean, b: Buffer, start: number, end: number, nextHeader: number, frame: number, time: Micros): Reassembled | undefined {
    this.expire(time);
    const len = end - start;
    if (offset + len > MAX_DATAGRAM) return this.anomalies.note('ip.fragment_too_big');
    let d = this.#datagrams.get(key);
    if (d === undefined) {
      while (this.#datagrams.size >= this.#maxDatagrams || (this.#bytes + len > this.#maxBytes && this.#datagrams.size > 0)) this.#dropOldest();
      d = { firstTime: time, pieces: [], frames: [], received: 0, total: -1, nextHeader: -1 };
      this.#datagrams.set(key, d);
    }
    for (const p of d.pieces) {
      if (offset < p.offset + p.data.length && p.offset < offset + len) {
        if (p.offset === offset && p.data.length === len) { d.frames.push(frame); return undefined; } // duplicate
        this.anomalies.note('ip.fragment_overlap');
        this.#drop(key, d);
        return undefined;
      }
    }
    if (!more) {
      if (d.total >= 0 && d.total !== offset + len) { this.anomalies.note('ip.fragment_overlap'); this.#drop(key, d); return undefined; }
      d.total = offset + len;
      // A fragment that came earlier and lies past the end this one states is as bad as one that
      // comes after it: counted in `received`, it would let the datagram complete with a hole.
      for (const p of d.pieces) {
        if (p.offset + p.data.length > d.total) { this.anomalies.note('ip.fragment_overlap'); this.#drop(key, d); return undefined; }
      }
    }
    if (d.total >= 0 && offset + len > d.total) { this.anomalies.note('ip.fragment_overlap'); this.#drop(key, d); return undefined; }
    if (offset === 0) d.nextHeader = nextHeader;
    while (this.#bytes + len > this.#maxBytes && this.#datagrams.size > 1) {
      const oldest = this.#datagrams.keys().next().value as string;
      if (oldest === key) break;
      this.#dropOldest();
    }
    d.pieces.push({ offset, data: Buffer.from(b.subarray(start, end)) });
    d.frames.push(frame);
    d.received += len;
    this.#bytes += len;
    if (d.total < 0 || d.received !== d.total) return undefined;
    // No overlaps were admitted and nothing lies past the end, so received === total means every
    // octet is present. Zero-filled all the same: a hole must never show another buffer's memory.
    const payload = Buffer.alloc(d.total);
    for (const p of d.pieces) p.data.copy(payload, p.offset);
    this.#datagrams.delete(key);
    this.#bytes -= d.received;
    return { payload, nextHeader: d.nextHeader, frames: d.frames };
  }

  /** Drops datagrams whose first fragment is older than `now - timeout` (capture time). */
  expire(now: Micros): void {
    const limit = now - this.#timeout;
    for (const [key, d] of this.#datagrams) {
      if (d.firstTime >= limit) break; // insertion order is arrival order (capture time rarely goes back)
      this.anomalies.note('ip.fragment_timeout');
      this.#drop(key, d);
    }
  }

  /** Forgets everything still incomplete (end of capture), counting it as timed out. */
  finish(): void { this.expire(Number.POSITIVE_INFINITY); }

  #dropOldest(): void {
    const first = this.#datagrams.entries().next().value as [string, Datagram];
    this.anomalies.note('ip.fragment_limit');
    this.#drop(first[0], first[1]);
  }

  #drop(key: string, d: Datagram): void {
    this.#datagrams.delete(key);
    this.#bytes -= d.received;
  }
}
