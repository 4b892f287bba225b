// The one small interface every detector implements. A detector sees records as they become final
// (so live capture can print findings at once) and may hold back findings it aggregates (counts
// per client/server) until finish(). It keeps only bounded state: never a list of all records.
import type { Micros } from '../core/index.js';
import type { DnsRecord, PathRecord } from '../reconstruct/index.js';
import type { CaptureView } from './capture-view.js';
import type { Finding } from './finding.js';

export interface Detector<R> {
  /** The file's name, for messages. */
  readonly name: string;
  /** A reconstructed record is final. Returns findings that are final now. */
  observe(record: R): readonly Finding[];
  /**
   * The input ended at this capture time (the last packet's), told before the reconstructors flush
   * what is still open: a detector that judges silence at the end of a capture needs to know how
   * long the capture ran on. Optional.
   */
  captureEnd?(time: Micros): void;
  /** End of input: findings held back for aggregation. */
  finish(): readonly Finding[];
  /**
   * When true, what observe() returned was provisional (shown at once by live capture) and
   * finish() restates every finding the detector stands by: updated counts replace earlier
   * versions with the same id, and an earlier finding it does not restate is withdrawn.
   */
  readonly restatesAtFinish?: boolean;
}

/**
 * What a detector returns from observe() when it has nothing: one shared frozen list instead of a
 * new `[]` per record (every detector sees every record, and most records show nothing). Typed
 * readonly, as observe() and finish() return, so a caller's `push` onto it fails the build.
 */
export const NO_FINDINGS: readonly Finding[] = Object.freeze([]);

/**
 * The records a detector reads: DNS transactions and lookups, or TCP connections and ICMP errors.
 * Picks the reconstructor that feeds it.
 */
export type RecordFamily = 'dns' | 'path';

/**
 * Lookups a more specific detector accounts for, published by the detector whose rule matched so
 * that a catch-all (dns.slow_lookup) stays silent on them without running another detector's rule.
 * Every detector sees a record, in registry order, before the next record arrives; so the board
 * holds only the record being observed, and a reader must come after the publishers in the
 * registry (the registry's test checks it).
 */
export class Explanations {
  #record: object | undefined;
  #kinds: string[] = [];

  /** `kind`'s detector accounts for this record (its rule matched, reported or not). */
  explain(record: object, kind: string): void {
    if (this.#record !== record) {
      this.#record = record;
      this.#kinds = [];
    }
    if (!this.#kinds.includes(kind)) this.#kinds.push(kind);
  }

  /** The kinds that account for the record, if it is the one being observed. */
  explainedBy(record: object): readonly string[] {
    return this.#record === record ? this.#kinds : NONE;
  }
}

const NONE: readonly string[] = Object.freeze([]);

/** What a detector file exports: everything the registry, the CLI, the schema and the README need. */
interface DetectorEntryBase<K extends string, O extends object> {
  /** The incident kind its findings carry (`layer.snake_case`, never renamed). */
  readonly kind: K;
  /** The timeline lane that draws a finding's evidence when no flow lane holds it. */
  readonly lane: 'dns' | 'tcp' | 'icmp';
  /** Every option with its default (shown by `dualscope detectors`). */
  readonly defaults: O;
  /** The README table's row: what it finds and the typical remedy ('—' for none). */
  readonly readme: { readonly what: string; readonly remedy: string; readonly note?: string };
  /** Kinds of findings it publishes as explanations (see Explanations), or reads. */
  readonly explains?: 'publishes' | 'reads';
}

export interface DnsDetectorEntry<K extends string = string, O extends object = object> extends DetectorEntryBase<K, O> {
  readonly records: 'dns';
  /** `view`: which hosts' inbound traffic the capture lacks (for verdicts that rest on silence). */
  create(options: Partial<O>, explanations: Explanations, view: CaptureView): Detector<DnsRecord>;
}

export interface PathDetectorEntry<K extends string = string, O extends object = object> extends DetectorEntryBase<K, O> {
  readonly records: 'path';
  create(options: Partial<O>, explanations: Explanations, view: CaptureView): Detector<PathRecord>;
}

export type DetectorEntry<K extends string = string, O extends object = object> = DnsDetectorEntry<K, O> | PathDetectorEntry<K, O>;

/** Declares a detector for the registry, keeping its kind a literal type. */
export function defineDetector<const K extends string, O extends object>(entry: DnsDetectorEntry<K, O>): DnsDetectorEntry<K, O>;
export function defineDetector<const K extends string, O extends object>(entry: PathDetectorEntry<K, O>): PathDetectorEntry<K, O>;
export function defineDetector(entry: DetectorEntry): DetectorEntry {
  return entry;
}
