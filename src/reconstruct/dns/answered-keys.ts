// The transaction keys answered in the last `unansweredAfterMicros`, kept so that a late duplicate
// reply or a re-ask under an answered key is told from an orphan or a new question. On an
// incident-rich edge capture ~66 k keys are answered at any time, and as key objects (with their
// lower-case names) they were ~12 MB of a 77 MB live heap, all of it promoted. Here a key is a
// fingerprint in typed arrays: its full 32-bit hash (transport, both addresses and ports, id,
// class, type, name) plus the ports, id and type themselves, compared exactly. Two different keys
// are taken for one only when all of those numbers agree and the hash collides (a false answer on
// about one probe in 2^32 of those that share ports, id and type with an answered key); then a reply
// counts as a duplicate instead of an orphan, or a question as asked after an answer.
//
// Entries form a queue by (first) answer time in a ring; an entry answered again keeps its place,
// flagged, and goes to the back when it reaches the front (so a key answered every few seconds
// does not hold up the keys behind it). Entries leave only from the front: a slot index stays
// valid until its entry leaves, is re-queued or the ring grows (which tells the keys their new slot).
import type { TxKey } from './reconstructor.js';

const NONE = -1;

export class AnsweredKeys {
  #hash = new Uint32Array(0);
  /** clientPort << 16 | serverPort */
  #ports = new Uint32Array(0);
  /** id << 16 | qtype */
  #idType = new Uint32Array(0);
  /** When the entry was last answered (an offset, see state.ts). */
  #at = new Float64Array(0);
  /** Answered again since it joined the queue: fresher than its place. */
  #again = new Uint8Array(0);
  /** Next slot in the same hash bucket, or NONE. */
  #next = new Int32Array(0);
  /** The key object while the key is also live (pending, or its answer's lookup open). */
  #live: (TxKey | undefined)[] = [];
  /** Bucket (hash & mask) → first slot, or NONE. */
  #heads = new Int32Array(0);
  #mask = -1;
  #front = 0;
  #size = 0;

  constructor(initialBits = 10) {
    this.#allocate(1 << initialBits);
  }

  get size(): number {
    return this.#size;
  }

  /** The slot of the key with this fingerprint, or -1. */
  find(hash: number, ports: number, idType: number): number {
    hash >>>= 0;
    for (let s = this.#heads[hash & this.#mask]!; s !== NONE; s = this.#next[s]!) {
      if (this.#hash[s] === hash && this.#ports[s] === ports && this.#idType[s] === idType) return s;
    }
    return NONE;
  }

  /** Queues a key (not in the queue) answered at `at`; `key` learns its slot. */
  add(hash: number, ports: number, idType: number, at: number, key: TxKey): void {
    if (this.#size === this.#hash.length) this.#grow();
    const s = (this.#front + this.#size) & this.#mask;
    this.#size++;
    this.#put(s, hash >>> 0, ports, idType, at, 0, key);
  }

  /** The key in `slot` was answered again at `at` (it keeps its place until it reaches the front). */
  answeredAgain(slot: number, at: number, key: TxKey): void {
    this.#at[slot] = at;
    this.#again[slot] = 1;
    const before = this.#live[slot];
    // Only a fingerprint collision puts another key object here: that one is tracked no more.
    if (before !== undefined && before !== key) before.answeredSlot = NONE;
    this.#live[slot] = key;
    key.answeredSlot = slot;
  }

  /** A key object made for the fingerprint in `slot` (found for its query) is live: it learns its slot. */
  attach(slot: number, key: TxKey): void {
    const before = this.#live[slot];
    if (before !== undefined && before !== key) before.answeredSlot = NONE;
    this.#live[slot] = key;
    key.answeredSlot = slot;
  }

  /** The key object in `slot` is no longer live: the fingerprint stays until it expires. */
  detach(slot: number): void {
    this.#live[slot] = undefined;
  }

  /**
   * Removes the entries last answered at or before `limit` from the front (an entry answered again
   * goes to the back instead), handing each one's live key, if any, to `expired`.
   */
  expire(limit: number, expired: (key: TxKey) => void): void {
    while (this.#size > 0) {
      const s = this.#front;
      if (this.#at[s]! > limit) {
        if (this.#again[s] === 0) return;
        const key = this.#live[s];
        const hash = this.#hash[s]!;
        const ports = this.#ports[s]!;
        const idType = this.#idType[s]!;
        const at = this.#at[s]!;
        this.#pop(s);
        // Not full now: the back slot is free (and the front one, just left, may be it).
        const back = (this.#front + this.#size) & this.#mask;
        this.#size++;
        this.#put(back, hash, ports, idType, at, 0, key);
        continue;
      }
      const key = this.#live[s];
      this.#pop(s);
      if (key !== undefined) {
        key.answeredSlot = NONE;
        expired(key);
      }
    }
  }

  clear(): void {
    for (let i = 0; i < this.#size; i++) {
      const key = this.#live[(this.#front + i) & this.#mask];
      if (key !== undefined) key.answeredSlot = NONE;
    }
    this.#allocate(1024);
  }

  #put(s: number, hash: number, ports: number, idType: number, at: number, again: number, key: TxKey | undefined): void {
    this.#hash[s] = hash;
    this.#ports[s] = ports;
    this.#idType[s] = idType;
    this.#at[s] = at;
    this.#again[s] = again;
    this.#live[s] = key;
    if (key !== undefined) key.answeredSlot = s;
    const b = hash & this.#mask;
    this.#next[s] = this.#heads[b]!;
    this.#heads[b] = s;
  }

  /** Takes the front entry `s` out of its bucket and the queue. */
  #pop(s: number): void {
    const b = this.#hash[s]! & this.#mask;
    let x = this.#heads[b]!;
    if (x === s) {
      this.#heads[b] = this.#next[s]!;
    } else {
      while (x !== NONE && this.#next[x] !== s) x = this.#next[x]!;
      if (x !== NONE) this.#next[x] = this.#next[s]!;
    }
    this.#live[s] = undefined;
    this.#front = (s + 1) & this.#mask;
    this.#size--;
  }

  #allocate(capacity: number): void {
    this.#hash = new Uint32Array(capacity);
    this.#ports = new Uint32Array(capacity);
    this.#idType = new Uint32Array(capacity);
    this.#at = new Float64Array(capacity);
    this.#again = new Uint8Array(capacity);
    this.#next = new Int32Array(capacity);
    this.#live = new Array<TxKey | undefined>(capacity).fill(undefined);
    this.#heads = new Int32Array(capacity).fill(NONE);
    this.#mask = capacity - 1;
    this.#front = 0;
    this.#size = 0;
  }

  /** Twice the room; the entries keep their queue order, from slot 0. */
  #grow(): void {
    const hash = this.#hash, ports = this.#ports, idType = this.#idType, at = this.#at, again = this.#again, live = this.#live;
    const mask = this.#mask, front = this.#front, size = this.#size;
    this.#allocate(hash.length * 2);
    for (let i = 0; i < size; i++) {
      const s = (front + i) & mask;
      this.#put(i, hash[s]!, ports[s]!, idType[s]!, at[s]!, again[s]!, live[s]);
    }
    this.#size = size;
  }
}
