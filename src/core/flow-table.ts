// Per-flow state found from a packet's addresses and ports without building a string key (used by the
// path reconstructor and the timeline): the decoder hands out address text from a cache, so the same
// string objects repeat and a Map keyed on them hashes once per address, not per packet. One entry per flow, the same for both
// directions, kept in insertion order (oldest first) for expiry and eviction.
//
// bench (300 k generated packets, path stage alone, CPU time): the three template strings per
// packet of `flowKey` cost ~25 % of the stage, mostly as garbage collection.

/** Both ports in one small integer: `srcPort` in the high half. */
const portPair = (srcPort: number, dstPort: number): number => (srcPort << 16) | dstPort;

/** One value in insertion order: `for (let n = table.first; n !== undefined; n = n.next)`. */
export interface FlowNode<V> {
  readonly value: V;
  readonly next: FlowNode<V> | undefined;
}

interface Node<V> extends FlowNode<V> {
  /** Neighbours in insertion order. A removed node keeps `next`, so an iteration standing on it goes on. */
  prev: Node<V> | undefined;
  next: Node<V> | undefined;
}

export class FlowTable<V> {
  /** lower address → higher address → port pair (the lower address's port high) → node. */
  readonly #index = new Map<string, Map<string, Map<number, Node<V>>>>();
  // A linked list rather than a Set for the order: evicting the oldest of a full Set walks over the
  // holes its earlier deletions left at the front (~6 µs per new UDP flow on knot-live.raw.pcap).
  #first: Node<V> | undefined = undefined;
  #last: Node<V> | undefined = undefined;
  #size = 0;
  /**
   * The answer get() or add() gave last, by the endpoints it was asked with: packets come in runs of
   * one flow (a handshake, a burst of segments, a query and its reply), and a run then costs four
   * comparisons instead of three Map lookups each. The answer may be "none" (`#hit` undefined with
   * `#hitValid`): only add() can make a flow appear, and it replaces the answer.
   */
  #hitSrc = '';
  #hitSrcPort = -1;
  #hitDst = '';
  #hitDstPort = -1;
  #hit: Node<V> | undefined = undefined;
  #hitValid = false;

  get size(): number {
    return this.#size;
  }

  /**
   * The oldest node: walk `next` for the values in insertion order (a loop, not an iterator: a
   * generator made expiry scans ~3× slower). Deleting the current value while walking is safe.
   */
  get first(): FlowNode<V> | undefined {
    return this.#first;
  }

  /** The oldest value still present. */
  oldest(): V | undefined {
    return this.#first?.value;
  }

  get(src: string, srcPort: number, dst: string, dstPort: number): V | undefined {
    if (this.#hitValid) {
      if (srcPort === this.#hitSrcPort && dstPort === this.#hitDstPort && src === this.#hitSrc && dst === this.#hitDst) return this.#hit?.value;
      if (srcPort === this.#hitDstPort && dstPort === this.#hitSrcPort && src === this.#hitDst && dst === this.#hitSrc) return this.#hit?.value;
    }
    const node = src < dst || (src === dst && srcPort <= dstPort)
      ? this.#index.get(src)?.get(dst)?.get(portPair(srcPort, dstPort))
      : this.#index.get(dst)?.get(src)?.get(portPair(dstPort, srcPort));
    this.#remember(src, srcPort, dst, dstPort, node);
    return node?.value;
  }

  #remember(src: string, srcPort: number, dst: string, dstPort: number, node: Node<V> | undefined): void {
    this.#hitSrc = src;
    this.#hitSrcPort = srcPort;
    this.#hitDst = dst;
    this.#hitDstPort = dstPort;
    this.#hit = node;
    this.#hitValid = true;
  }

  /** Adds a value for a flow not present (it becomes the newest). */
  add(src: string, srcPort: number, dst: string, dstPort: number, value: V): void {
    const forward = src < dst || (src === dst && srcPort <= dstPort);
    const lo = forward ? src : dst;
    const hi = forward ? dst : src;
    let byHi = this.#index.get(lo);
    if (byHi === undefined) this.#index.set(lo, (byHi = new Map()));
    let byPorts = byHi.get(hi);
    if (byPorts === undefined) byHi.set(hi, (byPorts = new Map()));
    const node: Node<V> = { value, prev: this.#last, next: undefined };
    if (this.#last === undefined) this.#first = node;
    else this.#last.next = node;
    this.#last = node;
    this.#size++;
    byPorts.set(forward ? portPair(srcPort, dstPort) : portPair(dstPort, srcPort), node);
    this.#remember(src, srcPort, dst, dstPort, node);
  }

  /** Removes the flow's value `value` (either direction's endpoints may be given). */
  delete(src: string, srcPort: number, dst: string, dstPort: number, value: V): void {
    const forward = src < dst || (src === dst && srcPort <= dstPort);
    const lo = forward ? src : dst;
    const hi = forward ? dst : src;
    const byHi = this.#index.get(lo);
    const byPorts = byHi?.get(hi);
    if (byHi === undefined || byPorts === undefined) return;
    const ports = forward ? portPair(srcPort, dstPort) : portPair(dstPort, srcPort);
    const node = byPorts.get(ports);
    if (node === undefined || node.value !== value) return;
    if (node === this.#hit) this.#hitValid = false;
    byPorts.delete(ports);
    if (byPorts.size === 0) {
      byHi.delete(hi);
      if (byHi.size === 0) this.#index.delete(lo);
    }
    if (node.prev === undefined) this.#first = node.next;
    else node.prev.next = node.next;
    if (node.next === undefined) this.#last = node.prev;
    else node.next.prev = node.prev;
    this.#size--;
  }

  clear(): void {
    this.#hitValid = false;
    this.#index.clear();
    this.#first = undefined;
    this.#last = undefined;
    this.#size = 0;
  }
}

/**
 * Endpoints (address, port) without a string per lookup, bounded: when full, the first one added
 * is forgotten.
 */
export class EndpointSet {
  readonly #ports = new Map<string, Set<number>>();
  /** What was added, oldest first, as a ring of `limit` slots. */
  readonly #addrs: string[] = [];
  readonly #portOf: number[] = [];
  #head = 0;
  #size = 0;

  constructor(private readonly limit: number) {}

  has(addr: string, port: number): boolean {
    return this.#ports.get(addr)?.has(port) === true;
  }

  add(addr: string, port: number): void {
    if (this.has(addr, port) || this.limit <= 0) return;
    if (this.#size >= this.limit) {
      const a = this.#addrs[this.#head]!;
      const set = this.#ports.get(a)!;
      set.delete(this.#portOf[this.#head]!);
      if (set.size === 0) this.#ports.delete(a);
      this.#head = (this.#head + 1) % this.limit;
      this.#size--;
    }
    const slot = (this.#head + this.#size) % this.limit;
    this.#addrs[slot] = addr;
    this.#portOf[slot] = port;
    this.#size++;
    let set = this.#ports.get(addr);
    if (set === undefined) this.#ports.set(addr, (set = new Set()));
    set.add(port);
  }
}
