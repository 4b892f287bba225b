// A list of entries in the order they were added or last touched (oldest first), linked through the
// entries' own `older`/`newer` fields: for state that expires by age (DNS attempts waiting for a
// reply, open lookups) and is touched on every packet of its own.

/**
 * Entries in the order they were added or last touched, linked through their own `older`/`newer`
 * fields. A Set does the same with delete() and add() on every query and reply, but its table
 * fills with deleted slots and is copied every few hundred moves; this allocates nothing.
 */
export class AgeList<T extends { older: T | undefined; newer: T | undefined }> {
  oldest: T | undefined = undefined;
  newest: T | undefined = undefined;
  size = 0;

  add(e: T): void {
    e.older = this.newest;
    e.newer = undefined;
    if (this.newest === undefined) this.oldest = e;
    else this.newest.newer = e;
    this.newest = e;
    this.size++;
  }

  /** `e` must be in the list. */
  delete(e: T): void {
    if (e.older === undefined) this.oldest = e.newer;
    else e.older.newer = e.newer;
    if (e.newer === undefined) this.newest = e.older;
    else e.newer.older = e.older;
    e.older = undefined;
    e.newer = undefined;
    this.size--;
  }

  /** Moves `e` (in the list) to the newest end. */
  touch(e: T): void {
    if (this.newest === e) return;
    this.delete(e);
    this.add(e);
  }

  toArray(): T[] {
    const out: T[] = [];
    for (let e = this.oldest; e !== undefined; e = e.newer) out.push(e);
    return out;
  }
}
