// What the capture can show of each host, as the path reconstructor judged it (HostViewRecord,
// reconstruct/path/inbound-view.ts): the hosts whose inbound traffic is not in the capture. A
// detector whose verdict rests on a packet that never appeared (an unanswered query, a SYN nobody
// answered) asks here first: for a one-sided host that absence proves nothing (INCIDENTS.md,
// "Merged or one-sided traces"). Only the host's own behaviour still speaks for it — a query it
// sent again after its timeout, a SYN it retried: it did not get the reply, whatever the capture holds.
import type { HostViewRecord, Mark, PathRecord } from '../reconstruct/index.js';
import { NO_FINDINGS, type Detector } from './detector.js';
import type { Finding } from './finding.js';

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
