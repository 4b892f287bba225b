// What the capture can show of each host, as the path reconstructor judged it (HostViewRecord,
// reconstruct/path/inbound-view.ts): the hosts whose inbound traffic is not in the capture. A
// detector whose verdict rests on a packet that never appeared (an unanswered query, a SYN nobody
// answered) asks here first: for a one-sided host that absence proves nothing (INCIDENTS.md,
// "Merged or one-sided traces"). Only the host's own behaviour still speaks for it — a query it
// sent again after its timeout, a SYN it retried: it did not get the reply, whatever the capture holds.
import type { HostViewRecord, Mark, PathRecord } from '../reconstruct/index.js';
import { NO_FINDINGS, type Detector } from './detector.js';
import type { Finding } from './finding.js';

/** What a piece's view hands to the merge (plain data). */
export interface CaptureViewState {
  readonly oneSided: readonly (readonly [string, Mark])[];
  readonly receiving: readonly string[];
}

export class CaptureView {
  /** One-sided hosts, with the packet that showed it (bounded by the reconstructor's table). */
  readonly #oneSided = new Map<string, Mark>();

  /** A host-view record from the path reconstructor. */
  note(r: HostViewRecord): void {
    if (r.oneSided) this.#oneSided.set(r.host, r.evidence);
    else this.#oneSided.delete(r.host);
  }

  /** True when the capture holds none of `host`'s inbound packets although it received some. */
  oneSided(host: string): boolean {
    return this.#oneSided.size !== 0 && this.#oneSided.has(host);
  }

  /**
   * A piece of a capture split across threads (analyze --jobs): its one-sided hosts and the hosts
   * it saw receiving (InboundView's, passed in by the analysis), for mergeState.
   */
  exportState(receiving: readonly string[]): CaptureViewState {
    return { oneSided: [...this.#oneSided], receiving };
  }

  /**
   * Adds a piece's view. A host is one-sided on one thread when it showed it had received unseen
   * packets and no packet addressed to it is anywhere in the capture: so it is one-sided in the
   * merge when some piece judged it so and no piece saw it receive (the earliest piece's evidence).
   */
  mergeState(state: CaptureViewState): void {
    for (const h of state.receiving) {
      this.#receiving.add(h);
      this.#oneSided.delete(h);
    }
    for (const [h, mark] of state.oneSided) {
      if (this.#receiving.has(h)) continue;
      const known = this.#oneSided.get(h);
      if (known === undefined || mark.frame < known.frame) this.#oneSided.set(h, mark);
    }
  }

  /** Hosts some merged piece saw receiving (only filled by mergeState). */
  readonly #receiving = new Set<string>();

  /** Every one-sided host with the packet that showed it, earliest first (for the report's capture facts). */
  hosts(): { host: string; frame: number; time: number }[] {
    return [...this.#oneSided].map(([host, m]) => ({ host, frame: m.frame, time: m.time })).sort((a, b) => a.frame - b.frame);
  }

  /** The packet that showed `host` one-sided. */
  evidence(host: string): Mark | undefined {
    return this.#oneSided.get(host);
  }

  /**
   * The path records' reader that keeps this view: it runs before the detectors (createDetectors
   * puts it first), so a detector sees the view as of the record it is given. Reports nothing.
   */
  readonly reader: Detector<PathRecord> = {
    name: 'capture-view',
    observe: (r: PathRecord): readonly Finding[] => {
      if (r.type === 'host-view') this.note(r);
      return NO_FINDINGS;
    },
    finish: () => NO_FINDINGS,
  };
}
