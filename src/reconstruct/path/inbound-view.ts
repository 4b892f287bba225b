// Which hosts' inbound traffic the capture holds, decided per host (INCIDENTS.md, "Merged or
// one-sided traces"). A merge of several traces can hold one host's packets both ways and only
// another's outbound ones (its trace was filtered on `src host`, or taken from one direction of a
// mirror): deciding per file would either silence the complete host or accuse the one-sided one.
//
// A host is one-sided when it evidently received packets the capture does not hold — it
// acknowledged a SYN-ACK that is not in the capture, or sent a SYN-ACK answering a SYN that is not —
// while no packet addressed to it has been seen at all. A packet addressed to it later ends that.
// Only this positive evidence counts: a host that asks a silent server and gets nothing back (no
// TCP, or only unanswered SYNs) is not one-sided, its silence is the incident.
//
// Per packet this is one Set lookup of the destination (a known address string, whose hash V8 keeps);
// the evidence comes from the connection that already holds the packet, once per connection at most.
// Bounded: past `maxHosts` destinations nothing more is remembered, and a host not remembered is
// never judged one-sided (a host that received before the table filled could not be told apart):
// the analysis then behaves as if the capture were complete, as it did before this view existed.
import type { Micros } from '../../core/index.js';
import type { Packet } from '../../decode/index.js';
import type { HostViewRecord } from './records.js';

export class InboundView {
  /** Destinations seen: hosts whose inbound traffic the capture holds (some of it). */
  readonly #received = new Set<string>();
  /** Hosts judged one-sided and not (yet) seen receiving. */
  readonly #oneSided = new Set<string>();
  readonly #maxHosts: number;
  readonly #emit: (r: HostViewRecord) => void;
  #full = false;

  constructor(maxHosts: number, emit: (r: HostViewRecord) => void) {
    this.#maxHosts = maxHosts;
    this.#emit = emit;
  }

  /**
   * Every IP packet (`p.ip` set): its destination receives, as far as this capture shows. Takes the
   * packet, not its time: V8 does not always inline this call (see Direction on times passed along).
   */
  addressed(p: Packet): void {
    const ip = p.ip!;
    if (this.#received.has(ip.dst)) return;
    this.#firstAddressed(ip.dst, ip.src, p.frame, p.time);
  }

  #firstAddressed(dst: string, src: string, frame: number, time: Micros): void {
    if (this.#received.size >= this.#maxHosts) {
      this.#full = true;
      return;
    }
    this.#received.add(dst);
    if (this.#oneSided.delete(dst)) this.#emit({ type: 'host-view', host: dst, oneSided: false, evidence: { frame, time }, peer: src });
  }

  /**
   * `host` sent a packet that only a host that received something sends (its ACK of a SYN-ACK, or
   * its SYN-ACK, neither of which the capture holds); `peer` is the other end.
   */
  receivedUnseen(host: string, peer: string, frame: number, time: Micros): void {
    if (this.#full || this.#received.has(host) || this.#oneSided.has(host) || this.#oneSided.size >= this.#maxHosts) return;
    this.#oneSided.add(host);
    this.#emit({ type: 'host-view', host, oneSided: true, evidence: { frame, time }, peer });
  }

  /** Hosts seen receiving (a piece of a split capture hands them to the merge: see CaptureView). */
  get receivingHosts(): readonly string[] {
    return [...this.#received];
  }

  /** Hosts judged one-sided now (tests, statistics). */
  get oneSidedHosts(): readonly string[] {
    return [...this.#oneSided];
  }
}
