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
   * A DNS detector that reads transaction records (DnsRecord 'transaction') says so: the analysis
   * has the DNS reconstructor make them only then (DnsOptions.transactionRecords). Lookups and
   * orphan responses always come.
   */
  readonly readsTransactions?: boolean;
  /**
   * When true, what observe() returned was provisional (shown at once by live capture) and
   * finish() restates every finding the detector stands by: updated counts replace earlier
   * versions with the same id, and an earlier finding it does not restate is withdrawn.
   */
  readonly restatesAtFinish?: boolean;
  /**
   * A detector whose findings sum up the capture at finish (every one that restates at finish, and
   * one that holds findings back until then), run on one piece of a capture split across threads
   * (analyze --jobs): what it has counted of the records its piece owns (see RecordScope), as plain
   * structured-cloneable data — per-group counts, capped evidence, the positions that decide which
   * examples are kept — instead of finish()'s findings. Called instead of finish().
   */
  exportState?(): unknown;
  /**
   * Adds a piece's exportState() to this (fresh) detector's state. The pieces' states are merged in
   * file order, then finish() is called once: its findings are the ones the detector makes reading
   * the whole capture on one thread.
   */
  mergeState?(state: unknown): void;
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
  /**
   * The record's kinds are the first `#count` of `#kinds`: written over for each record explained,
   * never a new list (a list per explained lookup was most of what the board allocated; it is read
   * only for the rare slow lookup).
   */
  readonly #kinds: string[] = [];
  #count = 0;

  /** `kind`'s detector accounts for this record (its rule matched, reported or not). */
  explain(record: object, kind: string): void {
    if (this.#record !== record) {
      this.#record = record;
      this.#count = 0;
    }
    for (let i = 0; i < this.#count; i++) if (this.#kinds[i] === kind) return;
    this.#kinds[this.#count++] = kind;
  }

  /** The kinds that account for the record, if it is the one being observed. */
  explainedBy(record: object): readonly string[] {
    return this.#record === record && this.#count > 0 ? this.#kinds.slice(0, this.#count) : NONE;
  }
}

const NONE: readonly string[] = Object.freeze([]);

/**
 * Which records a detector counts, and in what order it saw them. A piece of a capture split
 * across threads reads a lead-in and a run-out around its own frames: a detector sees those
 * records too (a retry needs its earlier query, a lookup its earlier leg), but counts only the
 * records the piece owns — those whose first frame is its own — so that every record is counted by
 * exactly one piece. Without an owned range (one thread, live capture) every record is owned.
 *
 * `position` is where the record being observed was made final, in frames of the whole file (the
 * frame being read when the reconstructor gave it out; past the last frame at the end): the same
 * number in a piece as on one thread, so a detector that keeps "the first N" keeps the N smallest
 * positions, and pieces merged in file order keep what one thread keeps.
 *
 * `announces` says whether anyone reads the findings observe() returns before finish.
 */
export class RecordScope {
  #range: { readonly firstFrame: number; readonly lastFrame: number } | undefined;
  /** See above; set by the analysis before each record goes to the detectors. */
  position = 0;
  /**
   * Whether the provisional findings of a detector that restates at finish are read (live capture
   * and onFinding/onIncident listeners announce them as they come): when not, the detector builds
   * none, as the analysis would drop them, and each is a summary, evidence texts and a display
   * filter made for nobody (a DNS detector's first occurrence of every group: on the edge bench
   * file's first 400 k packets ~300 slow_lookup findings alone). Set by the analysis; true unless
   * it says otherwise.
   */
  announces = true;

  /**
   * Only records whose first frame is in [firstFrame, lastFrame] are owned. The range is read at
   * each record (a piece learns its last frame when its run-out begins).
   */
  own(range: { readonly firstFrame: number; readonly lastFrame: number }): void {
    this.#range = range;
  }

  /** Whether the record is counted here. */
  owns(r: DnsRecord | PathRecord): boolean {
    return this.#range === undefined || this.#ownsFrame(firstFrame(r));
  }

  /**
   * Whether a finding is reported here: its earliest evidence frame is owned (ties: the one listed
   * first). The analysis keeps a piece's findings by this rule, and a detector that hands findings
   * to the merge picks them by it.
   */
  ownsFinding(f: Finding): boolean {
    if (this.#range === undefined || f.evidence.length === 0) return true;
    let earliest = f.evidence[0]!;
    for (const e of f.evidence) if (e.time < earliest.time) earliest = e;
    return this.#ownsFrame(earliest.frame);
  }

  #ownsFrame(frame: number): boolean {
    const range = this.#range;
    return range === undefined || (frame >= range.firstFrame && frame <= range.lastFrame);
  }
}

/** The first frame of a record: the one whose piece counts it. */
export function firstFrame(r: DnsRecord | PathRecord): number {
  switch (r.type) {
    case 'lookup': {
      let min = Number.POSITIVE_INFINITY;
      for (const q of r.questions) for (const a of q.attempts) for (const s of a.queries) if (s.frame < min) min = s.frame;
      return min;
    }
    case 'transaction':
      return r.queries[0]?.frame ?? r.response?.frame ?? 0;
    case 'orphan':
      return r.reply.frame;
    case 'connection':
      return r.start.frame;
    case 'icmp-error':
      return r.frame;
    case 'host-view':
      return r.evidence.frame;
    case 'neighbor': {
      const a = r.solicitations[0]?.frame ?? Number.POSITIVE_INFINITY;
      const b = r.unreachables[0]?.frame ?? Number.POSITIVE_INFINITY;
      return Math.min(a, b, r.answered?.frame ?? Number.POSITIVE_INFINITY);
    }
  }
}

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
  create(options: Partial<O>, explanations: Explanations, view: CaptureView, scope: RecordScope): Detector<DnsRecord>;
}

export interface PathDetectorEntry<K extends string = string, O extends object = object> extends DetectorEntryBase<K, O> {
  readonly records: 'path';
  create(options: Partial<O>, explanations: Explanations, view: CaptureView, scope: RecordScope): Detector<PathRecord>;
}

export type DetectorEntry<K extends string = string, O extends object = object> = DnsDetectorEntry<K, O> | PathDetectorEntry<K, O>;

/** Declares a detector for the registry, keeping its kind a literal type. */
export function defineDetector<const K extends string, O extends object>(entry: DnsDetectorEntry<K, O>): DnsDetectorEntry<K, O>;
export function defineDetector<const K extends string, O extends object>(entry: PathDetectorEntry<K, O>): PathDetectorEntry<K, O>;
export function defineDetector(entry: DetectorEntry): DetectorEntry {
  return entry;
}

/**
 * Two lists of examples kept with the position they were observed at (RecordScope), each in
 * position order and each the first of its piece: the first `cap` of both, as one thread reading
 * both pieces keeps them. `same` drops a later duplicate (a list that keeps distinct items).
 */
export function firstByPosition<T>(a: readonly T[], aAt: readonly number[], b: readonly T[], bAt: readonly number[], cap: number, same?: (x: T, y: T) => boolean): { items: T[]; at: number[] } {
  const items: T[] = [];
  const at: number[] = [];
  let i = 0;
  let j = 0;
  while (items.length < cap && (i < a.length || j < b.length)) {
    // Ties: the earlier piece first (file order).
    const fromA = j >= b.length || (i < a.length && aAt[i]! <= bAt[j]!);
    const item = fromA ? a[i]! : b[j]!;
    const pos = fromA ? aAt[i++]! : bAt[j++]!;
    if (same !== undefined && items.some((x) => same(x, item))) continue;
    items.push(item);
    at.push(pos);
  }
  return { items, at };
}

/**
 * A holder's capped list `list` and its positions `${list}At` (the convention every detector's
 * mergeable state follows), merged with another holder's by firstByPosition and kept in `into`:
 * one merged list a line in a detector's mergeState.
 */
export function mergeFirstByPosition<K extends string, H extends PositionedList<K>>(into: H, from: H, list: K, cap: number, same?: (x: H[K][number], y: H[K][number]) => boolean): void {
  const at: `${K}At` = `${list}At`;
  // (TypeScript does not resolve a template-literal key of a generic holder to number[] by itself.)
  const merged = firstByPosition(into[list], into[at] as number[], from[list], from[at] as number[], cap, same);
  into[list] = merged.items as H[K];
  into[at] = merged.at as H[`${K}At`];
}

/** A holder of a list `K` of examples and their positions `${K}At` (see mergeFirstByPosition). */
type PositionedList<K extends string> = { [P in K]: unknown[] } & { [P in `${K}At`]: number[] };

/**
 * A detector's bounded table of groups (per client, per router, ...): past `cap` keys new keys are
 * refused (and counted), existing ones still update. Its mergeTarget is the one rule by which the
 * pieces' groups of a split capture join (see mergeState).
 */
export class CappedGroups<V> {
  readonly groups = new Map<string, V>();
  refused = 0;
  constructor(private readonly cap: number) {}
  get(key: string, make: () => V): V | undefined {
    let v = this.groups.get(key);
    if (v === undefined) {
      if (this.groups.size >= this.cap) {
        this.refused++;
        return undefined;
      }
      v = make();
      this.groups.set(key, v);
    }
    return v;
  }

  /**
   * A piece's group, when the pieces of a split capture are merged: taken as it is when this table
   * has none under `key` (room permitting), and then undefined; otherwise this table's group, for
   * the caller to add the piece's counts to.
   */
  mergeTarget(key: string, piece: V): V | undefined {
    const mine = this.groups.get(key);
    if (mine === undefined) this.get(key, () => piece);
    return mine;
  }
}
