// The one small interface every detector implements. A detector sees records as they become final
// (so live capture can print findings at once) and may hold back findings it aggregates (counts
// per client/server) until finish(). It keeps only bounded state: never a list of all records.
import type { Micros } from '../core/index.js';
import type { Finding } from './finding.js';

export interface Detector<R> {
  /** The file's name, for messages. */
  readonly name: string;
  /** A reconstructed record is final. Returns findings that are final now. */
  observe(record: R): Finding[];
  /**
   * The input ended at this capture time (the last packet's), told before the reconstructors flush
   * what is still open: a detector that judges silence at the end of a capture needs to know how
   * long the capture ran on. Optional.
   */
  captureEnd?(time: Micros): void;
  /** End of input: findings held back for aggregation. */
  finish(): Finding[];
  /**
   * When true, what observe() returned was provisional (shown at once by live capture) and
   * finish() restates every finding the detector stands by: updated counts replace earlier
   * versions with the same id, and an earlier finding it does not restate is withdrawn.
   */
  readonly restatesAtFinish?: boolean;
}
