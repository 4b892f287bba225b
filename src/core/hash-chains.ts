// An index of entries found by a precomputed integer hash, chained through the entries' own `next`
// field: a power-of-two array of chain heads that doubles when it holds more entries than heads.
// Inserting and deleting allocate nothing. A Map<number, T> holding the chain heads did the same
// job, but every delete left a hole and the table was rebuilt every few thousand deletions; on the
// bench capture those tables were about a fifth of what the DNS stage kept long enough to promote.

export interface Chained<T> {
  readonly hash: number;
  next: T | undefined;
}

export class HashChains<T extends Chained<T>> {
  #heads: (T | undefined)[];
  #mask: number;
  #size = 0;

  constructor(initialBits = 8) {
    this.#heads = new Array<T | undefined>(1 << initialBits).fill(undefined);
    this.#mask = (1 << initialBits) - 1;
  }

  get size(): number {
    return this.#size;
  }

  /**
   * The first entry of the chain `hash` falls in: walk `next` and compare every field that matters
   * (the chain also holds entries of other hashes). The newest entry comes first.
   */
  chain(hash: number): T | undefined {
    return this.#heads[hash & this.#mask];
  }

  /** Adds `e` (not in the index) at the front of its chain. */
  add(e: T): void {
    const i = e.hash & this.#mask;
    e.next = this.#heads[i];
    this.#heads[i] = e;
    if (++this.#size > this.#heads.length) this.#grow();
  }

  /** Removes `e` if it is in the index. */
  delete(e: T): void {
    const i = e.hash & this.#mask;
    let x = this.#heads[i];
    if (x === e) {
      this.#heads[i] = e.next;
    } else {
      while (x !== undefined && x.next !== e) x = x.next;
      if (x === undefined) return;
      x.next = e.next;
    }
    e.next = undefined;
    this.#size--;
  }

  clear(): void {
    this.#heads.fill(undefined);
    this.#size = 0;
  }

  /** Twice the heads; each chain keeps its order (newest first) in its new buckets. */
  #grow(): void {
    const old = this.#heads;
    const heads = new Array<T | undefined>(old.length * 2).fill(undefined);
    const mask = heads.length - 1;
    const tails = new Array<T | undefined>(heads.length).fill(undefined);
    for (const head of old) {
      for (let e = head; e !== undefined;) {
        const next = e.next;
        const i = e.hash & mask;
        e.next = undefined;
        const tail = tails[i];
        if (tail === undefined) heads[i] = e;
        else tail.next = e;
        tails[i] = e;
        e = next;
      }
    }
    this.#heads = heads;
    this.#mask = mask;
  }
}
