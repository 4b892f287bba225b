// Per-flow state found from a packet's addresses and ports without building a string key: the
// decoder hands out address text from a cache, so the same string objects repeat and a Map keyed
// on them hashes once per address, not per packet. One entry per flow, the same for both
// directions, plus the insertion order (oldest first) that expiry and eviction walk.
//
// bench (300 k generated packets, path stage alone, CPU time): the three template strings per
// packet of `flowKey` cost ~25 % of the stage, mostly as garbage collection.

/** Both ports in one small integer: `srcPort` in the high half. */
const portPair = (srcPort: number, dstPort: number): number => (srcPort << 16) | dstPort;

export class FlowTable<V> {
  /** lower address → higher address → port pair (the lower address's port high) → value. */
  readonly #index = new Map<string, Map<string, Map<number, V>>>();
  /** Every value, oldest insertion first. */
  readonly #order = new Set<V>();

  get size(): number {
    return this.#order.size;
  }

  /** Values, oldest insertion first. Deleting the current value while iterating is safe. */
  values(): IterableIterator<V> {
    return this.#order.values();
  }

  /** The oldest value still present. */
  oldest(): V | undefined {
    return this.#order.values().next().value;
  }

  get(src: string, srcPort: number, dst: string, dstPort: number): V | undefined {
    if (src < dst || (src === dst && srcPort <= dstPort)) return this.#index.get(src)?.get(dst)?.get(portPair(srcPort, dstPort));
    return this.#index.get(dst)?.get(src)?.get(portPair(dstPort, srcPort));
  }

  /** Adds a value for a flow not present (it becomes the newest). */
  add(src: string, srcPort: number, dst: string, dstPort: number, v: V): void {
    const forward = src < dst || (src === dst && srcPort <= dstPort);
    const lo = forward ? src : dst;
    const hi = forward ? dst : src;
    let byHi = this.#index.get(lo);
    if (byHi === undefined) this.#index.set(lo, (byHi = new Map()));
    let byPorts = byHi.get(hi);
    if (byPorts === undefined) byHi.set(hi, (byPorts = new Map()));
    byPorts.set(forward ? portPair(srcPort, dstPort) : portPair(dstPort, srcPort), v);
    this.#order.add(v);
  }

  /** Removes the flow's value `v` (either direction's endpoints may be given). */
  delete(src: string, srcPort: number, dst: string, dstPort: number, v: V): void {
    const forward = src < dst || (src === dst && srcPort <= dstPort);
    const lo = forward ? src : dst;
    const hi = forward ? dst : src;
    const byHi = this.#index.get(lo);
    const byPorts = byHi?.get(hi);
    if (byHi === undefined || byPorts === undefined) return;
    const ports = forward ? portPair(srcPort, dstPort) : portPair(dstPort, srcPort);
    if (byPorts.get(ports) !== v) return;
    byPorts.delete(ports);
    this.#order.delete(v);
    if (byPorts.size === 0) {
      byHi.delete(hi);
      if (byHi.size === 0) this.#index.delete(lo);
    }
  }

  clear(): void {
    this.#index.clear();
    this.#order.clear();
  }
}
