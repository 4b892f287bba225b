// Per-flow state found from a packet's addresses and ports without building a string key (used by the
// path reconstructor and the timeline). One entry per flow, the same for both directions, kept in
// insertion order (oldest first) for expiry and eviction.
//
// The index is one table of chains keyed on an integer hash of the two endpoints, summed so that
// either direction gives the same hash: no ordering of the endpoints (a string comparison) and one
// chain walk per lookup. Three nested Maps keyed on the address strings (lower address → higher →
// port pair) cost three lookups and a string comparison per packet, and a Map per address pair that
// came and went with its flows (edge bench, first 400 k packets: ~7 % of CPU time, ~25 B per packet
// of rehashed tables).
//
// bench (300 k generated packets, path stage alone, CPU time): the three template strings per
// packet of `flowKey` cost ~25 % of the stage, mostly as garbage collection.
import { addressHash, mixNumber } from './hash.js';

/** One value in insertion order: `for (let n = table.first; n !== undefined; n = n.next)`. */
export interface FlowNode<V> {
  readonly value: V;
  readonly next: FlowNode<V> | undefined;
}

interface Node<V> extends FlowNode<V> {
  value: V;
  /** Neighbours in insertion order. A removed node keeps `next` (until the next add()), so an iteration standing on it goes on. */
  prev: Node<V> | undefined;
  next: Node<V> | undefined;
  /** The next node in the same bucket. */
  chained: Node<V> | undefined;
  hash: number;
  /** The endpoints as added (either direction matches). */
  a: string;
  aPort: number;
  b: string;
  bPort: number;
}

const INITIAL_BUCKETS = 256;
/** Nodes of deleted flows a table keeps for add() to reuse (see `#free`). */
const MAX_FREE_NODES = 4096;

/**
 * The flow asked about last, by any table, and its hash: the path reconstructor and the timeline
 * look up each TCP segment's flow in turn.
 */
let lastSrc = '';
let lastSrcPort = -1;
let lastDst = '';
let lastDstPort = -1;
let lastHash = 0;

/** A flow's hash from its endpoints': the same for both directions, bits spread for the mask. */
function flowHash(src: string, srcPort: number, dst: string, dstPort: number): number {
  if (srcPort === lastSrcPort && dstPort === lastDstPort && src === lastSrc && dst === lastDst) return lastHash;
  let h = (mixNumber(addressHash(src), srcPort) + mixNumber(addressHash(dst), dstPort)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h ^= h >>> 13;
  lastSrc = src;
  lastSrcPort = srcPort;
  lastDst = dst;
  lastDstPort = dstPort;
  lastHash = h;
  return h;
}

export class FlowTable<V> {
  /** Chains of nodes by `hash & (buckets - 1)`; twice as many buckets when it holds more nodes than buckets. */
  #buckets: (Node<V> | undefined)[] = new Array<Node<V> | undefined>(INITIAL_BUCKETS).fill(undefined);
  // A linked list rather than a Set for the order: evicting the oldest of a full Set walks over the
  // holes its earlier deletions left at the front (~6 µs per new UDP flow on knot-live.raw.pcap).
  #first: Node<V> | undefined = undefined;
  #last: Node<V> | undefined = undefined;
  #size = 0;
  /**
   * Nodes of deleted flows, for add() to reuse: a flow's node lives as long as the flow (seconds of
   * capture time for a TCP connection), so V8's young-generation collector copied and promoted a
   * new one for each (edge 2 M: ~100 k connections, ~100 B each). A deleted node keeps `next` for a
   * walk standing on it (see `first`) until the next add(), when no walk is under way: the last
   * `#freeWithNext` nodes still refer to the nodes after them, which add() lets go of.
   */
  readonly #free: Node<V>[] = [];
  #freeWithNext = 0;
  /**
   * The answer get() or add() gave last, by the endpoints it was asked with: packets come in runs of
   * one flow (a handshake, a burst of segments, a query and its reply), and a run then costs four
   * comparisons instead of hashing both addresses. The answer may be "none" (`#hit` undefined with
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
   * generator made expiry scans ~3× slower). Deleting the current value while walking is safe;
   * adding is not (add() may reuse the node walked).
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
    const node = this.#find(flowHash(src, srcPort, dst, dstPort), src, srcPort, dst, dstPort);
    this.#remember(src, srcPort, dst, dstPort, node);
    return node?.value;
  }

  #find(hash: number, src: string, srcPort: number, dst: string, dstPort: number): Node<V> | undefined {
    for (let n = this.#buckets[hash & (this.#buckets.length - 1)]; n !== undefined; n = n.chained) {
      if (n.hash !== hash) continue;
      if (n.aPort === srcPort && n.bPort === dstPort && n.a === src && n.b === dst) return n;
      if (n.aPort === dstPort && n.bPort === srcPort && n.a === dst && n.b === src) return n;
    }
    return undefined;
  }

  #remember(src: string, srcPort: number, dst: string, dstPort: number, node: Node<V> | undefined): void {
    this.#hitSrc = src;
    this.#hitSrcPort = srcPort;
    this.#hitDst = dst;
    this.#hitDstPort = dstPort;
    this.#hit = node;
    this.#hitValid = true;
  }

  /** Adds a value for a flow not present (it becomes the newest). Not while walking the table (see `first`). */
  add(src: string, srcPort: number, dst: string, dstPort: number, value: V): void {
    const hash = flowHash(src, srcPort, dst, dstPort);
    const i = hash & (this.#buckets.length - 1);
    if (this.#freeWithNext > 0) this.#releaseNext();
    let node = this.#free.pop();
    if (node === undefined) node = { value, prev: undefined, next: undefined, chained: this.#buckets[i], hash, a: src, aPort: srcPort, b: dst, bPort: dstPort };
    else {
      node.value = value;
      node.chained = this.#buckets[i];
      node.hash = hash;
      node.a = src;
      node.aPort = srcPort;
      node.b = dst;
      node.bPort = dstPort;
    }
    this.#buckets[i] = node;
    this.#append(node);
    this.#remember(src, srcPort, dst, dstPort, node);
  }

  /** Removes the flow's value `value` (either direction's endpoints may be given). */
  delete(src: string, srcPort: number, dst: string, dstPort: number, value: V): void {
    const node = this.#find(flowHash(src, srcPort, dst, dstPort), src, srcPort, dst, dstPort);
    if (node === undefined || node.value !== value) return;
    this.#unlink(node);
    node.chained = undefined;
    node.prev = undefined;
    node.value = undefined as V; // a walk standing on the node has read it
    if (this.#free.length < MAX_FREE_NODES) {
      this.#free.push(node);
      this.#freeWithNext++;
    }
  }

  /** No walk is under way (add() is running): the free nodes let go of the nodes they were followed by. */
  #releaseNext(): void {
    for (let j = this.#free.length - this.#freeWithNext; j < this.#free.length; j++) this.#free[j]!.next = undefined;
    this.#freeWithNext = 0;
  }

  /**
   * What delete() of the oldest flow and then add() do, with the oldest's node reused for the new
   * flow: a table kept full (UDP flows of a busy resolver) otherwise made a node per new flow that
   * died old. The oldest's value is returned (undefined when the table is empty). Not while walking
   * the table: the node walked could be the one reused.
   */
  replaceOldest(src: string, srcPort: number, dst: string, dstPort: number, value: V): V | undefined {
    const node = this.#first;
    if (node === undefined) {
      this.add(src, srcPort, dst, dstPort, value);
      return undefined;
    }
    const old = node.value;
    this.#unlink(node);
    const hash = flowHash(src, srcPort, dst, dstPort);
    const i = hash & (this.#buckets.length - 1);
    node.value = value;
    node.hash = hash;
    node.a = src;
    node.aPort = srcPort;
    node.b = dst;
    node.bPort = dstPort;
    node.chained = this.#buckets[i];
    this.#buckets[i] = node;
    this.#append(node);
    this.#remember(src, srcPort, dst, dstPort, node);
    return old;
  }

  /** Takes `node` out of its chain and the order (it keeps `next`: see `first`). */
  #unlink(node: Node<V>): void {
    if (node === this.#hit) this.#hitValid = false;
    const i = node.hash & (this.#buckets.length - 1);
    let x = this.#buckets[i];
    if (x === node) this.#buckets[i] = node.chained;
    else {
      while (x!.chained !== node) x = x!.chained;
      x!.chained = node.chained;
    }
    if (node.prev === undefined) this.#first = node.next;
    else node.prev.next = node.next;
    if (node.next === undefined) this.#last = node.prev;
    else node.next.prev = node.prev;
    this.#size--;
  }

  /** Makes `node` (in its chain, not in the order) the newest. */
  #append(node: Node<V>): void {
    node.prev = this.#last;
    node.next = undefined;
    if (this.#last === undefined) this.#first = node;
    else this.#last.next = node;
    this.#last = node;
    if (++this.#size > this.#buckets.length) this.#grow();
  }

  clear(): void {
    this.#free.length = 0;
    this.#freeWithNext = 0;
    this.#hitValid = false;
    this.#hit = undefined;
    this.#buckets = new Array<Node<V> | undefined>(INITIAL_BUCKETS).fill(undefined);
    this.#first = undefined;
    this.#last = undefined;
    this.#size = 0;
  }

  /** Twice the buckets, each node moved to its new one (the order of a chain does not matter). */
  #grow(): void {
    const buckets = new Array<Node<V> | undefined>(this.#buckets.length * 2).fill(undefined);
    const mask = buckets.length - 1;
    for (let n = this.#first; n !== undefined; n = n.next) {
      const i = n.hash & mask;
      n.chained = buckets[i];
      buckets[i] = n;
    }
    this.#buckets = buckets;
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
