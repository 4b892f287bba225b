// path.fallback_delay: connection attempts to an IPv6 address fail (SYNs unanswered, RST, ICMPv6
// unreachable) and the same client then reaches the IPv4 address of the same service (INCIDENTS.md §4);
// or the mirror case: a client that prefers IPv4 (gai.conf, an application's choice) whose IPv4
// attempts fail and which then reaches the IPv6 address (its A record is the stale one).
// Paired by name (DNS answers in the capture: the IPv6 address came from an AAAA answer and the
// IPv4 one from an A answer for the same name) or, without DNS, by destination port and timing
// (low confidence). Records arrive when final, in any order, so both sides wait in bounded lists.
// Not this: a lone SYN of a client whose inbound traffic the capture lacks (CaptureView: a merged
// or one-sided trace): its SYN-ACK could not have been seen. Its SYN retries still show a failure.
// The capture may show the client one-sided only after its lone SYN was judged: a fallback that
// rests on lone SYNs alone is therefore held until finish, and dropped there when every client of
// its failed attempts proved one-sided (as dns.local_zone_leak withdraws such a silence).
import type { Micros } from '../../core/index.js';
import type { ConnectionRecord, Mark, PathRecord } from '../../reconstruct/path/index.js';
import type { CaptureView } from '../capture-view.js';
import { defineDetector, NO_FINDINGS, RecordScope, type Detector, type Explanations } from '../detector.js';
import type { Evidence, Finding } from '../finding.js';
import { REMEDY, addrFilter, anyOf, endpoint, ev, formatDuration, sortEvidence } from './common.js';

export interface FallbackDelayOptions {
  /** The IPv4 attempt must start within this long after the first IPv6 SYN (Linux gives up after ~127 s). */
  readonly windowMicros: Micros;
  /** Without DNS in the capture, a tighter window. */
  readonly noDnsWindowMicros: Micros;
  /** IPv4 starting this soon after IPv6, while IPv6 is still pending, is Happy Eyeballs (RFC 8305 suggests 250 ms). */
  readonly happyEyeballsMaxMicros: Micros;
  /** Attempts remembered on each side (bounded state). */
  readonly maxPending: number;
  /**
   * The IPv4 attempt must start within this long after the last sign of the IPv6 attempt (its last
   * SYN, RST or ICMP error), or within 2.5 times the last SYN retry gap when that is longer.
   */
  readonly giveUpSlackMicros: Micros;
}

export const DEFAULT_FALLBACK_DELAY_OPTIONS: FallbackDelayOptions = {
  windowMicros: 150_000_000,
  noDnsWindowMicros: 30_000_000,
  happyEyeballsMaxMicros: 1_000_000,
  maxPending: 512,
  giveUpSlackMicros: 3_000_000,
};

export type FallbackClass = 'happy-eyeballs' | 'timeout' | 'fast-rst' | 'fast-unreachable';

/**
 * A fallback whose failed attempts are all lone unanswered SYNs, held until finish (see the top):
 * the finding, and the clients whose one-sidedness would leave those SYNs proving nothing.
 */
interface HeldFallback {
  readonly finding: Finding;
  readonly clients: readonly string[];
}

/** What a piece of a split capture hands to the merge: the held fallbacks it reports (RecordScope.ownsFinding). */
interface FallbackDelayState {
  readonly held: readonly HeldFallback[];
}

/**
 * What the detector keeps of a failed connection while it waits (up to maxPending): the fields the
 * pairing and the finding read. Not the record itself, which holds both direction summaries
 * (~2.5 kB a connection on the incident-rich bench file, ten times this).
 */
type Attempt = Pick<ConnectionRecord, 'version' | 'client' | 'server' | 'serverPort' | 'names' | 'lookup' | 'start' | 'last' | 'syns' | 'synCount' | 'handshake' | 'handshakeFailure' | 'icmp' | 'established'> & {
  /**
   * Its first SYN's capture time (the start's without one), read once: the pairing and the pruning
   * read it for every waiting attempt they pass.
   */
  readonly firstSyn: Micros;
};

const attemptOf = (c: ConnectionRecord): Attempt => ({
  version: c.version, client: c.client, server: c.server, serverPort: c.serverPort, names: c.names, lookup: c.lookup, start: c.start, last: c.last,
  syns: c.syns, synCount: c.synCount, handshake: c.handshake, handshakeFailure: c.handshakeFailure, icmp: c.icmp, established: c.established,
  firstSyn: c.syns[0]?.time ?? c.start.time,
});

/**
 * What the detector keeps of an established connection while it waits for a failure of the other
 * family (up to maxPending): less than a failure's Attempt, as a success's SYN retries, last packet,
 * handshake failure and ICMP errors are never read. Nearly every connection is one (edge 2 M: 98 k
 * of 100 k), and each waits while maxPending newer ones come: so a success is a slot, reused once it
 * leaves the waiting list (paired, or dropped as the oldest), with plain fields in place of the
 * record's marks and lookup, which otherwise lived as long and were promoted with it (edge 2 M,
 * every detector: promoted 129 → 114 MB).
 */
export class Success {
  version: ConnectionRecord['version'] = 4;
  client = '';
  server = '';
  serverPort = 0;
  names: readonly string[] = [];
  startFrame = 0;
  /** Its first SYN's capture time (the start's without one; see Attempt.firstSyn). */
  firstSyn: Micros = 0;
  /** Its first SYN's frame; -1: none. */
  synFrame = -1;
  /** The frame where the handshake completed; -1: not seen. */
  establishedFrame = -1;
  establishedTime: Micros = 0;
  /** The DNS answer that gave the server's address (ConnectionRecord.lookup); undefined: none. */
  lookupName: string | undefined = undefined;
  lookupFrame = 0;
  lookupTime: Micros = 0;
  lookupAsker: string | undefined = undefined;

  /** Writes connection `c` into this slot (possibly holding an earlier success). */
  write(c: ConnectionRecord): this {
    this.version = c.version;
    this.client = c.client;
    this.server = c.server;
    this.serverPort = c.serverPort;
    this.names = c.names;
    this.startFrame = c.start.frame;
    const syn = c.syns[0];
    this.synFrame = syn?.frame ?? -1;
    this.firstSyn = syn?.time ?? c.start.time;
    this.establishedFrame = c.established?.frame ?? -1;
    this.establishedTime = c.established?.time ?? 0;
    const lookup = c.lookup;
    this.lookupName = lookup?.name;
    this.lookupFrame = lookup?.frame ?? 0;
    this.lookupTime = lookup?.time ?? 0;
    this.lookupAsker = lookup?.asker;
    return this;
  }

  get syn(): Mark | undefined {
    return this.synFrame === -1 ? undefined : { frame: this.synFrame, time: this.firstSyn };
  }

  get established(): Mark | undefined {
    return this.establishedFrame === -1 ? undefined : { frame: this.establishedFrame, time: this.establishedTime };
  }

  get lookup(): ConnectionRecord['lookup'] {
    return this.lookupName === undefined ? undefined : { name: this.lookupName, frame: this.lookupFrame, time: this.lookupTime, asker: this.lookupAsker! };
  }
}

/** One SYN that drew nothing the capture holds: from a client shown one-sided, it proves nothing. */
const loneSyn = (c: Pick<Attempt, 'handshake' | 'synCount'>): boolean => c.handshake === 'unanswered' && c.synCount < 2;

/** A failed attempt of either family, waiting for the other family's success. */
interface V6Failure {
  readonly c: Attempt;
  /** Its first SYN's capture time (`c.firstSyn`, here too for the waiting lists' order). */
  readonly firstSyn: Micros;
  /** Arrival order: the waiting list is in (firstSyn, seq) order (see later()). */
  readonly seq: number;
  /** `c.names` as a set: every success, and every waiting success per failure, is tested against it. */
  readonly names: ReadonlySet<string>;
  paired: boolean;
}

/** Whether `a` comes after `b` in the waiting list (its first SYN later; ties, arrived later). */
const later = (a: V6Failure, b: V6Failure): boolean => a.firstSyn > b.firstSyn || (a.firstSyn === b.firstSyn && a.seq > b.seq);

/** The failed attempt came from the host that asked for the success's name, or asked for it itself. */
const askedBySameHost = (f: V6Failure, v4: Success, asker: string | undefined): boolean =>
  f.c.client === asker || f.c.lookup?.asker === v4.client || f.c.lookup?.asker === asker;

export function createFallbackDelay(options: Partial<FallbackDelayOptions> = {}, _explanations?: Explanations, view?: CaptureView, scope: RecordScope = new RecordScope()): Detector<PathRecord> {
  const o = { ...DEFAULT_FALLBACK_DELAY_OPTIONS, ...options };
  /** In (firstSyn, seq) order. */
  const failures: V6Failure[] = [];
  /**
   * The waiting failures by each name they have, and those without one: a success tied to a failure
   * shares a name with it, or one of them has none (see tied()). A success looks up its own names
   * instead of testing every waiting failure (on the incident-rich bench file each failure had about
   * four names, and comparing name lists was the detector's largest cost).
   */
  const failuresByName = new Map<string, V6Failure[]>();
  const namelessFailures: V6Failure[] = [];
  let failureSeq = 0;
  /** Oldest first; past maxPending the oldest is reported at once, as before the hold. */
  const held: HeldFallback[] = [];
  const successes = new OldestFirst<Success>();
  /** Slots of successes that left the waiting list, for the next ones (see Success). */
  const spareSuccesses: Success[] = [];
  /** Per IPv6 address: attempts that failed / succeeded (for the stale-AAAA hint). */
  const v6Outcome = new Map<string, { failed: number; ok: number }>();
  let latest: Micros = 0;
  /**
   * Pairings made so far, and how many there were when every waiting IPv4 success was last tried
   * again. Between pairings, a waiting success can only come to match through a new IPv6 failure
   * tied to it, so a new failure tries those alone (trying every success against every failure for
   * each new failure was 12 % of the incident-rich bench file); after a pairing (it takes failures
   * out of other successes' lists) every one is tried again, as before.
   */
  let pairings = 0;
  let pairingsAtFullRetry = 0;

  function addFailure(f: V6Failure): void {
    insertInOrder(failures, f);
    if (f.names.size === 0) insertInOrder(namelessFailures, f);
    for (const n of f.names) {
      const list = failuresByName.get(n);
      if (list === undefined) failuresByName.set(n, [f]);
      else list.push(f);
    }
  }

  function forgetFailure(f: V6Failure): void {
    if (f.names.size === 0) namelessFailures.splice(namelessFailures.indexOf(f), 1);
    for (const n of f.names) {
      const list = failuresByName.get(n)!;
      if (list.length === 1) failuresByName.delete(n);
      else list.splice(list.indexOf(f), 1);
    }
  }

  function prune(): void {
    const horizon = latest - 2 * o.windowMicros;
    while (failures.length > 0 && (failures.length > o.maxPending || failures[0]!.firstSyn < horizon)) forgetFailure(failures.shift()!);
    while (successes.length > 0 && (successes.length > o.maxPending || successes.at(0).firstSyn < horizon)) spareSuccesses.push(successes.dropOldest());
    if (v6Outcome.size > 4 * o.maxPending) v6Outcome.clear();
  }

  /** How a failed attempt may lead to this success of the other family: the same port, earlier, and the same name or (without DNS) soon enough. */
  /**
   * `since`: from the failure's first SYN to the success's. A difference, not the two capture times:
   * this runs for every success against each failure it may be tied to, and a capture time passed to a call
   * V8 does not inline is a heap number made for the call, where a difference is a small integer.
   */
  function tied(f: V6Failure, v4: Success, since: Micros): 'name' | 'port' | undefined {
    const c = f.c;
    if (c.version === v4.version || c.serverPort !== v4.serverPort) return undefined;
    if (since < 0) return undefined;
    if (hasAnyOf(f.names, v4.names)) return since <= o.windowMicros ? 'name' : undefined;
    return (c.names.length === 0 || v4.names.length === 0) && since <= o.noDnsWindowMicros ? 'port' : undefined;
  }

  /** The latest failures tied to the success match() is trying: one object per detector, not one per success. */
  const last: { byName: V6Failure | undefined; own: V6Failure | undefined; byPort: V6Failure | undefined } = { byName: undefined, own: undefined, byPort: undefined };

  /**
   * Sets `last` to the latest failures tied to `v4`. A failure under one of its names can only be
   * tied by name; by port, only one without a name, or any when `v4` has none (see tied()).
   */
  function findTies(v4: Success): void {
    last.byName = last.own = undefined;
    if (v4.names.length === 0) last.byPort = latestTiedByPort(failures, v4);
    else {
      for (const n of v4.names) {
        const list = failuresByName.get(n);
        if (list !== undefined) considerNameTies(list, v4);
      }
      last.byPort = latestTiedByPort(namelessFailures, v4);
    }
  }

  /** Updates `last` with the failures among `candidates` (sharing a name with `v4`) tied to it. */
  function considerNameTies(candidates: readonly V6Failure[], v4: Success): void {
    const t4 = v4.firstSyn;
    const asker = v4.lookupAsker;
    for (let i = 0; i < candidates.length; i++) {
      const f = candidates[i]!;
      if (f.paired || tied(f, v4, t4 - f.firstSyn) !== 'name') continue;
      if (last.byName === undefined || later(f, last.byName)) last.byName = f;
      if (askedBySameHost(f, v4, asker) && (last.own === undefined || later(f, last.own))) last.own = f;
    }
  }

  /**
   * The latest failure of `candidates` (in (firstSyn, seq) order) tied to `v4` by port. Searched
   * from the latest back, it stops at the first tie, or once a failure started more than the
   * no-DNS window before `v4` (every earlier one did too): scanning every nameless failure for
   * every success was most of the detector's time on the incident-rich bench file.
   */
  function latestTiedByPort(candidates: readonly V6Failure[], v4: Success): V6Failure | undefined {
    const t4 = v4.firstSyn;
    for (let i = candidates.length - 1; i >= 0; i--) {
      const f = candidates[i]!;
      const since = t4 - f.firstSyn;
      if (since > o.noDnsWindowMicros) return undefined;
      if (!f.paired && tied(f, v4, since) === 'port') return f;
    }
    return undefined;
  }

  /**
   * Does this IPv4 success follow these IPv6 failures? Returns the failures it follows and how they
   * are tied. This runs for every success against the failures it may be tied to, and most successes follow
   * none (on a busy port many tie by port and time alone, and the give-up test refuses them): that
   * test reads only the last failure of the list (failures are kept in first-SYN order, and the
   * lists below keep it), so it is asked first and the lists are built only when it passes.
   */
  function match(v4: Success): { list: V6Failure[]; byName: boolean } | undefined {
    const t4 = v4.firstSyn;
    findTies(v4);
    const { byName: lastByName, own: lastOwn, byPort: lastByPort } = last;
    if (lastByName !== undefined) return followsGiveUp((lastOwn ?? lastByName).c, t4) ? { list: tiedList(v4, 'name', lastOwn !== undefined), byName: true } : undefined;
    if (lastByPort !== undefined) return followsGiveUp(lastByPort.c, t4) ? { list: tiedList(v4, 'port', false), byName: false } : undefined;
    return undefined;
  }

  /**
   * The failures `v4` follows, tied by `tie`: by name, those of the host that asked when `own`; by
   * port, those of the client of the latest. Apart from match(): its closures over `v4` made a
   * context object for every success tried.
   */
  function tiedList(v4: Success, tie: 'name' | 'port', own: boolean): V6Failure[] {
    const t4 = v4.firstSyn;
    let list = failures.filter((f) => !f.paired && tied(f, v4, t4 - f.firstSyn) === tie);
    // By name, the same client: prefer attempts from the host that asked, when the lookup says who asked.
    const asker = v4.lookupAsker;
    if (tie === 'name' && own) list = list.filter((f) => askedBySameHost(f, v4, asker));
    if (tie === 'port') {
      // Without DNS only the IPv6 attempts of one client, the latest burst, are taken.
      const client = list[list.length - 1]!.c.client;
      list = list.filter((f) => f.c.client === client);
    }
    return lastBurst(list);
  }

  /**
   * A fallback starts as the IPv6 attempt is given up: while it is pending (Happy Eyeballs), on its
   * RST or ICMP error, or when the client stops retrying the SYN — before the next retry would have
   * been due (the retry gaps double: Linux 1, 2, 4 … s, Windows 3, 6 s; an application timeout
   * falls between two retries). An IPv4 connection started later is another attempt, not this
   * fallback (a busy capture has IPv4 connections to the same port all the time).
   */
  function followsGiveUp(c: Attempt, t4: Micros): boolean {
    const syns = c.syns;
    const lastSyn = syns[syns.length - 1]?.time ?? c.start.time;
    const lastGap = syns.length >= 2 ? lastSyn - syns[syns.length - 2]!.time : 0;
    const heard = c.handshakeFailure?.time ?? lastSyn;
    const givenUpBy = Math.max(lastSyn, heard) + Math.max(o.giveUpSlackMicros, 2.5 * lastGap);
    return t4 <= givenUpBy;
  }

  /** The attempts of the last burst: consecutive attempts no more than the window apart. */
  function lastBurst(list: V6Failure[]): V6Failure[] {
    const sorted = [...list].sort((a, b) => a.firstSyn - b.firstSyn);
    let i = sorted.length - 1;
    while (i > 0 && sorted[i]!.firstSyn - lastActivity(sorted[i - 1]!.c) < o.noDnsWindowMicros && sorted[i]!.firstSyn - sorted[i - 1]!.firstSyn < o.windowMicros) i--;
    return sorted.slice(i);
  }

  function tryPair(v4: Success): readonly Finding[] {
    const m = match(v4);
    if (m === undefined) return NO_FINDINGS;
    pairings++;
    for (const f of m.list) f.paired = true;
    successes.remove(v4);
    const f = finding(v4, m.list.map((x) => x.c), m.byName, v6Outcome);
    spareSuccesses.push(v4);
    if (!m.list.every((x) => loneSyn(x.c))) return [f];
    held.push({ finding: f, clients: [...new Set(m.list.map((x) => x.c.client))] });
    return held.length > o.maxPending ? [held.shift()!.finding] : NO_FINDINGS;
  }

  return {
    name: 'fallback-delay',
    observe(r: PathRecord): readonly Finding[] {
      if (r.type !== 'connection') return NO_FINDINGS;
      const t = r.last.time;
      if (t > latest) latest = t;
      if (r.synCount === 0) return NO_FINDINGS;
      // Either family may fail first (IPv6 first by default, IPv4 first when the client prefers it);
      // a success pairs with failures of the other family only.
      const unprovable = loneSyn(r) && view?.oneSided(r.client) === true;
      const failed = (r.handshake === 'unanswered' && !unprovable) || r.handshake === 'refused' || r.handshake === 'unreachable';
      let s = v6Outcome.get(r.server);
      if (s === undefined) v6Outcome.set(r.server, (s = { failed: 0, ok: 0 }));
      if (failed) s.failed++;
      else if (r.handshake === 'established') s.ok++;
      if (failed) {
        const c = attemptOf(r);
        const failure: V6Failure = { c, firstSyn: c.firstSyn, seq: failureSeq++, names: new Set(r.names), paired: false };
        addFailure(failure);
        prune();
        // A success of the other family already final may follow it.
        const out: Finding[] = [];
        const before = pairings;
        const all = before !== pairingsAtFullRetry;
        // By index, without a copy per failure: a pairing takes out only the success it pairs.
        for (let i = 0; i < successes.length;) {
          const ok = successes.at(i);
          if (ok.version !== r.version && (all || pairings !== before || tied(failure, ok, ok.firstSyn - failure.firstSyn) !== undefined)) out.push(...tryPair(ok));
          if (successes.at(i) === ok) i++;
        }
        if (all && pairings === before) pairingsAtFullRetry = before;
        return out;
      }
      if (r.handshake !== 'established') return NO_FINDINGS;
      const success = (spareSuccesses.pop() ?? new Success()).write(r);
      successes.push(success);
      prune();
      return tryPair(success);
    },
    finish(): readonly Finding[] {
      failures.length = 0;
      failuresByName.clear();
      namelessFailures.length = 0;
      successes.clear();
      spareSuccesses.length = 0;
      v6Outcome.clear();
      // A lone SYN judged before its client proved one-sided proves nothing either. (The success it
      // was paired with is not offered to other failures again: one thread knowing the client
      // one-sided first might have paired it with another client's failure; that is not redone.)
      const stands = held.filter((h) => !h.clients.every((c) => view?.oneSided(c) === true)).map((h) => h.finding);
      held.length = 0;
      return stands;
    },
    exportState: (): FallbackDelayState => ({ held: held.filter((h) => scope.ownsFinding(h.finding)) }),
    mergeState(state: unknown): void {
      for (const h of (state as FallbackDelayState).held) held.push(h);
    },
  };
}

/**
 * A waiting list, oldest first, whose oldest item leaves by moving a start index. The waiting
 * successes were an array that lost its oldest by shift() once full (maxPending, 512): V8 moved
 * the other 511 elements and ran its write barrier over them, ~9 k instructions a success (edge
 * 400 k, callgrind: shift() 179–203 M instructions, 1.1 % of the analysis; with this 0.5 M).
 */
class OldestFirst<T> {
  #items: (T | undefined)[] = [];
  #start = 0;

  get length(): number {
    return this.#items.length - this.#start;
  }

  /** The `i`-th item, oldest first (`i` < length). */
  at(i: number): T {
    return this.#items[this.#start + i]!;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** Takes the oldest item out and returns it. */
  dropOldest(): T {
    const oldest = this.#items[this.#start]!;
    this.#items[this.#start++] = undefined;
    // Once the dropped slots are most of the array, the items left move to a new one (each moves
    // about once per item dropped).
    if (this.#start >= 64 && 2 * this.#start >= this.#items.length) {
      this.#items = this.#items.slice(this.#start);
      this.#start = 0;
    }
    return oldest;
  }

  /** Takes `item` out wherever it is (a success that paired). */
  remove(item: T): void {
    const i = this.#items.indexOf(item, this.#start);
    if (i >= 0) this.#items.splice(i, 1);
  }

  clear(): void {
    this.#items = [];
    this.#start = 0;
  }
}

/**
 * Adds `f` to a waiting list kept in (firstSyn, seq) order: after every failure that did not start
 * later (`f` arrived last). Attempts mostly arrive in order, so the search from the end is short;
 * the list was sorted again after each push.
 */
function insertInOrder(list: V6Failure[], f: V6Failure): void {
  let i = list.length;
  while (i > 0 && list[i - 1]!.firstSyn > f.firstSyn) i--;
  if (i === list.length) list.push(f);
  else list.splice(i, 0, f);
}

/** An index loop, not some() with a closure: this runs for every waiting success per failure. */
function hasAnyOf(set: ReadonlySet<string>, names: readonly string[]): boolean {
  for (let i = 0; i < names.length; i++) if (set.has(names[i]!)) return true;
  return false;
}

function lastActivity(c: Attempt): Micros {
  return c.last.time;
}

function classify(v6: readonly Attempt[], v4: Success, heMax: Micros): { cls: FallbackClass; signal: Attempt | undefined } {
  const t4 = v4.firstSyn;
  const t6 = v6[0]!.syns[0]?.time ?? v6[0]!.start.time;
  // A failure the client heard about before it tried IPv4.
  const heard = v6.filter((c) => c.handshakeFailure !== undefined && c.handshakeFailure.time <= t4);
  if (heard.length > 0) {
    const last = heard[heard.length - 1]!;
    return { cls: last.handshake === 'refused' ? 'fast-rst' : 'fast-unreachable', signal: last };
  }
  if (t4 - t6 <= heMax) return { cls: 'happy-eyeballs', signal: undefined };
  return { cls: 'timeout', signal: undefined };
}

function finding(v4: Success, v6: readonly Attempt[], byName: boolean, outcomes: Map<string, { failed: number; ok: number }>): Finding {
  const first6 = v6[0]!;
  const t6 = first6.syns[0]?.time ?? first6.start.time;
  const t4 = v4.firstSyn;
  const delay = t4 - t6;
  const established = v4.establishedFrame !== -1 ? v4.establishedTime - t6 : undefined;
  const lookup4 = v4.lookup;
  const { cls, signal } = classify(v6, v4, DEFAULT_FALLBACK_DELAY_OPTIONS.happyEyeballsMaxMicros);
  const synsV6 = v6.reduce((n, c) => n + c.synCount, 0);
  const addrs6 = [...new Set(v6.map((c) => c.server))];
  const stale = addrs6.filter((a) => {
    const s = outcomes.get(a);
    return s !== undefined && s.ok === 0;
  });
  const names = [...new Set([...v4.names, ...v6.flatMap((c) => c.names)])];
  // `v6` are the failed attempts and `v4` the success: IPv6 → IPv4 usually, IPv4 → IPv6 in the
  // mirror case (a client that prefers IPv4).
  const mirror = first6.version === 4;
  const from = mirror ? 'IPv4' : 'IPv6';
  const to = mirror ? 'IPv6' : 'IPv4';
  const icmpName = mirror ? 'ICMP' : 'ICMPv6';
  const evidence: Evidence[] = [];
  for (const c of v6) {
    c.syns.forEach((m, i) => evidence.push(ev(m, 'tcp-syn', i === 0 ? `${from} SYN` : `${from} SYN retry ${i}`, c.client, c.server, `port ${c.serverPort}`)));
    if (c.handshakeFailure !== undefined) {
      evidence.push(ev(c.handshakeFailure, c.handshake === 'refused' ? 'tcp-rst' : 'icmp-unreach', c.handshake === 'refused' ? `RST answering the ${from} SYN` : `${icmpName} unreachable answering the SYN`, undefined, c.client, c.icmp[0] !== undefined ? `from ${c.icmp[0].from}, type ${c.icmp[0].type} code ${c.icmp[0].code}` : undefined));
    }
  }
  if (first6.lookup !== undefined) evidence.push(ev(first6.lookup, 'dns-answer', `DNS answer (${mirror ? 'A' : 'AAAA'})`, undefined, first6.lookup.asker, `${first6.lookup.name} → ${first6.server}`));
  if (lookup4 !== undefined) evidence.push(ev(lookup4, 'dns-answer', `DNS answer (${mirror ? 'AAAA' : 'A'})`, undefined, lookup4.asker, `${lookup4.name} → ${v4.server}`));
  if (v4.syn !== undefined) evidence.push(ev(v4.syn, 'tcp-syn', `${to} SYN`, v4.client, v4.server, `port ${v4.serverPort}`));
  if (v4.established !== undefined) evidence.push(ev(v4.established, 'evidence', `${to} established`, v4.client, v4.server));
  const sorted = sortEvidence(evidence);
  const first = sorted[0]!;
  const severity = cls === 'happy-eyeballs' ? 'info' : cls === 'timeout' ? 'error' : 'warning';
  const how = cls === 'happy-eyeballs' ? `Happy Eyeballs: ${to} started while ${from} was still pending` : cls === 'timeout' ? `${to} only after ${synsV6} unanswered ${from} SYN${synsV6 === 1 ? '' : 's'}` : cls === 'fast-rst' ? 'fast fallback after an RST' : `fallback after ${icmpName} unreachable` +
    (signal?.icmp[0] !== undefined && signal.icmp[0].code === (mirror ? 1 : 3) ? ` (address resolution failed at ${signal.icmp[0].from}: the address is not on its link, see path.neighbor_unreachable)` : '');
  const filterParts = [
    ...addrs6.map((a) => addrFilter(a)).filter((x): x is string => x !== undefined).map((f) => `${f} && tcp.port == ${first6.serverPort}`),
    addrFilter(v4.server) !== undefined ? `${addrFilter(v4.server)} && tcp.port == ${v4.serverPort}` : undefined,
  ];
  return {
    // The first evidence frame (often a DNS answer) may start several fallbacks (one answer, several
    // clients or connections), so it alone does not name one; the success's first frame does, as a
    // success pairs once. Both, so the id still points at where the fallback starts.
    id: `path.fallback_delay:${first.frame}:${v4.startFrame}`,
    kind: 'path.fallback_delay',
    severity,
    summary: `${names.length > 0 ? names[0] : `port ${v4.serverPort}`}: ${from} ${addrs6.map((a) => endpoint(a, first6.serverPort)).join(', ')} failed (${first6.handshake}), ${to} ${endpoint(v4.server, v4.serverPort)} tried ${formatDuration(delay)} after the first ${from} SYN${established !== undefined ? `, connected after ${formatDuration(established)}` : ''} — ${how}`,
    start: first.time,
    end: Math.max(...sorted.map((e) => e.time)),
    client: first6.client,
    server: first6.server,
    names,
    evidence: sorted,
    impact: {
      description: `every connection from this client to ${names[0] ?? 'this service'} pays ${formatDuration(established ?? delay)} before ${to} takes over`,
      delayMicros: Math.max(0, established ?? delay),
    },
    confidence: byName
      ? { level: first6.lookup !== undefined && lookup4 !== undefined && (first6.lookup.asker === lookup4.asker || first6.client === first6.lookup.asker || v4.client === lookup4.asker) ? 'high' : 'medium', reason: `the ${from} and ${to} addresses are the ${mirror ? 'A and AAAA' : 'AAAA and A'} answers for ${names[0]} seen in the capture` }
      : { level: 'low', reason: 'no DNS answer ties the two addresses together: paired by destination port and timing only' },
    remedy: REMEDY.fallback,
    displayFilter: anyOf(filterParts),
    details: {
      classification: cls,
      // Mirror case (IPv4 failed, IPv6 took over): the ipv6*/ipv4* keys keep naming each family's
      // own addresses; the counts of the failed attempts are in failed*.
      from,
      to,
      delayToFallbackSynMicros: delay,
      delayToIpv4SynMicros: mirror ? null : delay,
      delayToIpv4EstablishedMicros: mirror ? null : established ?? null,
      ipv6Attempts: mirror ? null : v6.length,
      ipv6Syns: mirror ? null : synsV6,
      ipv6Outcome: mirror ? 'established' : first6.handshake,
      ipv6Server: mirror ? v4.server : first6.server,
      ipv4Server: mirror ? first6.server : v4.server,
      ipv6Client: mirror ? v4.client : first6.client,
      ipv4Client: mirror ? first6.client : v4.client,
      failedAttempts: v6.length,
      failedSyns: synsV6,
      failedOutcome: first6.handshake,
      serverPort: v4.serverPort,
      synRetrySeriesMicros: first6.syns.slice(1).map((m, i) => m.time - first6.syns[i]!.time),
      failureSignal: signal?.handshakeFailure?.frame ?? null,
      staleAaaaHint: stale.length > 0 && byName,
      staleAaaa: stale.length > 0 ? `every IPv6 attempt to ${stale.join(', ')} in this capture so far failed: the AAAA may be stale` : null,
      pairedBy: byName ? 'dns' : 'port-and-timing',
    },
  };
}

/** The registry's entry (src/detect/registry.ts). */
export const fallbackDelayDetector = defineDetector({
  kind: 'path.fallback_delay', records: 'path', lane: 'tcp', defaults: DEFAULT_FALLBACK_DELAY_OPTIONS, create: createFallbackDelay,
  readme: { what: 'IPv6 attempts to the AAAA address fail (unanswered SYNs, unreachable, RST), then IPv4 works — or the mirror, for a client that prefers IPv4: the delay, classified as Happy Eyeballs / timeout / fast RST / fast unreachable, with a stale-AAAA hint', remedy: 'remove the stale AAAA or restore the v6 service' },
});
