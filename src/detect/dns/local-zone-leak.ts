// dns.local_zone_leak (INCIDENTS §5): queries under the RFC 6303 locally served zones that go
// unanswered, are slow, come back SERVFAIL, are forwarded upstream by the resolver that received
// them, or go straight to a globally routed server. A resolver that serves these zones answers at
// once, from memory; any of these shows the query left the site. One finding per (client, server,
// name); a resolver's upstream leg for the same name is folded into its client's finding.
// Not this: a query of a host whose inbound traffic the capture lacks (CaptureView: a merged or
// one-sided trace) that got no reply here — it may well have been answered; only the client asking
// again after its timeout still shows it was not.
import { isLocalAddress, PrefixList, type Micros } from '../../core/index.js';
import type { DnsAttempt, DnsLookup, DnsRecord } from '../../reconstruct/dns/index.js';
import type { CaptureView } from '../capture-view.js';
import { defineDetector, mergeFirstByPosition, RecordScope, type Detector, type Explanations } from '../detector.js';
import type { Evidence, Finding } from '../finding.js';
import { allLookupEvidence, answerRtt, CappedGroups, displayFilter, durationText, NO_FINDINGS, printableName, qtypeName, shownLookup, type LookupShown, type ReplyShown } from './common.js';
import { locallyServedZone } from './local-zones.js';

const KIND = 'dns.local_zone_leak';

export interface LocalZoneLeakOptions {
  /** A lookup of the same name by another host starting this long after the client's last query is still its forwarded leg: default 1 s. */
  forwardWindowMicros: Micros;
  /** Slower than this, the answer did not come from the resolver's memory: default 500 ms. */
  slowMicros: Micros;
  /**
   * An answer to a re-sent query this long after the re-send was not served from memory either
   * (a re-sent query answered sooner only shows its first transmission was lost): default 100 ms.
   */
  retriedSlowMicros: Micros;
  maxGroups: number;
  /**
   * Lookups remembered in all (the newest; at most 8 per name) to see a resolver forward what it
   * was asked. A bound on the total, not per name: 4,096 names of 8 legs each held ~30 MB of
   * evidence on an incident-rich capture; 4,096 legs hold ~2 MB (RememberedLegs).
   */
  maxRememberedLegs: number;
}

export const DEFAULT_LOCAL_ZONE_LEAK_OPTIONS: LocalZoneLeakOptions = { forwardWindowMicros: 1_000_000, slowMicros: 500_000, retriedSlowMicros: 100_000, maxGroups: 256, maxRememberedLegs: 4096 };

const REMEDY =
  'Serve the RFC 6303 locally served zones on the resolver (unbound does by default; BIND: ' +
  '`empty-zones-enable yes`), including d.f.ip6.arpa for ULA; never `nodefault` or forward them ' +
  'without a local replacement zone.';

/** Never routed on the Internet, but not "local" either: a lab, so the address alone proves nothing. */
const NON_GLOBAL = new PrefixList(['2001:db8::/32', '192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '198.18.0.0/15', '0.0.0.0/8', '::/128', '64:ff9b:1::/48']);
const isGlobal = (a: string): boolean => !isLocalAddress(a) && !NON_GLOBAL.has(a);

/** Two transmissions of a question closer than this were sent together (musl asks every server at once), not after a timeout. */
const MIN_RETRY_MICROS = 300_000;

type Reason = 'unanswered' | 'servfail' | 'slow' | 'forwarded-upstream' | 'global-server' | 'zone-already-failing';

/** One name asked by one client of one server (every lookup of it), under a locally served zone. */
interface Group {
  key: string;
  client: string;
  server: string;
  name: string;
  nameLower: string;
  zone: string;
  qtypes: Set<number>;
  reasons: Set<Reason>;
  outcome: 'timeout' | 'servfail' | 'slow' | 'answered' | 'unknown';
  clientQueries: number;
  occurrences: number;
  maxDelay: number;
  evidence: Evidence[];
  /** Where each evidence item was observed (RecordScope.position): the first MAX_EVIDENCE are kept. */
  evidenceAt: number[];
  servers: Set<string>;
  start: number;
  end: number;
  /** Every 'unanswered' of the group rests on the capture's silence alone (no re-sent question). */
  unansweredBySilenceOnly: boolean;
}

/** Legs kept per name: the first ones since the name was (again) remembered. */
const LEGS_PER_NAME = 8;

/**
 * A lookup for a zone name, kept only to tie a resolver's upstream leg to its client's query. Its
 * evidence is built only for the legs a finding takes, at finish (built for every lookup in a
 * locally served zone — reverse lookups of private addresses: many on a busy network — it was most
 * of what this detector allocated), from what evidence shows of the lookup: for the usual lookup,
 * one question sent once with at most one reply, the fields below; for any other, `shown`.
 */
export interface Leg {
  /** The name in lower case. */
  name: string;
  client: string;
  start: number;
  servers: readonly string[];
  transmissions: number;
  unanswered: boolean;
  /** Where it was observed (RecordScope.position): the merge of a split capture takes each leg once. */
  at: number;
  /** What evidence shows of a lookup of another shape (shownLookup); undefined: the fields below. */
  shown: LookupShown | undefined;
  qtype: number;
  transport: DnsAttempt['transport'];
  clientPort: number;
  server: string;
  serverPort: number;
  id: number;
  queryFrame: number;
  queryTime: number;
  querySize: number;
  queryEdnsUdpSize: number | undefined;
  replied: boolean;
  replyFrame: number;
  replyTime: number;
  rcode: number;
  answersOfType: number;
  tc: boolean;
  aa: boolean;
  replySize: number;
  fragmented: boolean;
}

/** An empty slot (exported for tests, as writeLeg and legShown). */
export const newLeg = (): Leg => ({
  name: '', client: '', start: 0, servers: [], transmissions: 0, unanswered: false, at: 0, shown: undefined,
  qtype: 0, transport: 'udp', clientPort: 0, server: '', serverPort: 0, id: 0, queryFrame: 0, queryTime: 0, querySize: 0, queryEdnsUdpSize: undefined,
  replied: false, replyFrame: 0, replyTime: 0, rcode: 0, answersOfType: 0, tc: false, aa: false, replySize: 0, fragmented: false,
});

/** Writes lookup `l` into `leg` (a slot of RememberedLegs, possibly holding an older leg). */
export function writeLeg(leg: Leg, l: DnsLookup, name: string, transmissions: number, unanswered: boolean, at: number): void {
  leg.name = name;
  leg.client = l.client;
  leg.start = l.start;
  leg.servers = l.servers;
  leg.transmissions = transmissions;
  leg.unanswered = unanswered;
  leg.at = at;
  const q = l.questions.length === 1 ? l.questions[0]! : undefined;
  const a = q !== undefined && q.attempts.length === 1 ? q.attempts[0]! : undefined;
  if (q === undefined || a === undefined || a.qtype !== q.qtype || a.queries.length !== 1 || a.replies.length > 1) {
    leg.shown = shownLookup(l);
    return;
  }
  leg.shown = undefined;
  leg.qtype = q.qtype;
  leg.transport = a.transport;
  leg.clientPort = a.clientPort;
  leg.server = a.server;
  leg.serverPort = a.serverPort;
  leg.id = a.id;
  const sent = a.queries[0]!;
  leg.queryFrame = sent.frame;
  leg.queryTime = sent.time;
  leg.querySize = sent.size;
  leg.queryEdnsUdpSize = sent.ednsUdpSize;
  const reply = a.replies[0];
  leg.replied = reply !== undefined;
  if (reply === undefined) return;
  leg.replyFrame = reply.frame;
  leg.replyTime = reply.time;
  leg.rcode = reply.rcode;
  leg.answersOfType = reply.answersOfType;
  leg.tc = reply.tc;
  leg.aa = reply.aa;
  leg.replySize = reply.size;
  leg.fragmented = reply.fragmented;
}

/** What evidence shows of the leg's lookup. */
export function legShown(leg: Leg): LookupShown {
  if (leg.shown !== undefined) return leg.shown;
  const replies: ReplyShown[] = leg.replied
    ? [{ frame: leg.replyFrame, time: leg.replyTime, rcode: leg.rcode, answersOfType: leg.answersOfType, tc: leg.tc, aa: leg.aa, size: leg.replySize, fragmented: leg.fragmented }]
    : [];
  const attempt = {
    transport: leg.transport, clientPort: leg.clientPort, server: leg.server, serverPort: leg.serverPort, id: leg.id, qtype: leg.qtype,
    queries: [{ frame: leg.queryFrame, time: leg.queryTime, size: leg.querySize, ednsUdpSize: leg.queryEdnsUdpSize }], replies,
  };
  return { client: leg.client, questions: [{ qtype: leg.qtype, attempts: [attempt] }] };
}

/** What a leg shows in the finding it joins. */
const legEvidence = (leg: Leg): Evidence[] => allLookupEvidence(legShown(leg), 8).slice(0, 12);

/**
 * The newest `max` legs, at most LEGS_PER_NAME per name, oldest first. Every leg lives until `max`
 * newer ones came (on the edge bench file, seconds of capture: each was promoted to the old
 * generation, and with shownLookup's copy and the lists by name ~940 B a leg, ~40 MB of the 2 M
 * packets' promoted bytes); so a leg is a slot of a ring, written over by the leg that drops it,
 * with plain fields for the usual lookup.
 */
class RememberedLegs {
  readonly #slots: Leg[] = [];
  /** The oldest slot once the ring is full. */
  #oldest = 0;
  readonly #perName = new Map<string, number>();
  constructor(private readonly max: number) {}

  get size(): number {
    return this.#slots.length;
  }

  /** The slot to write a new leg of `name` into (the oldest leg's, once full), or undefined when the name has its LEGS_PER_NAME. */
  slotFor(name: string): Leg | undefined {
    const known = this.#perName.get(name) ?? 0;
    if (known >= LEGS_PER_NAME || this.max <= 0) return undefined;
    this.#perName.set(name, known + 1);
    if (this.#slots.length < this.max) {
      const leg = newLeg();
      this.#slots.push(leg);
      return leg;
    }
    const leg = this.#slots[this.#oldest]!;
    this.#oldest = (this.#oldest + 1) % this.max;
    const left = this.#perName.get(leg.name)! - 1;
    if (left === 0) this.#perName.delete(leg.name);
    else this.#perName.set(leg.name, left);
    return leg;
  }

  /** Every leg, oldest first. */
  oldestFirst(): Leg[] {
    return [...this.#slots.slice(this.#oldest), ...this.#slots.slice(0, this.#oldest)];
  }
}

const MAX_EVIDENCE = 24;

/** What a piece of a split capture hands to the merge. */
interface LocalZoneLeakState {
  groups: Group[];
  /** Every remembered leg, oldest first. */
  legs: Leg[];
}

const OUTCOME_RANK = { unknown: 0, answered: 1, slow: 2, servfail: 3, timeout: 4 } as const;

/** The detector, and (for tests of its bound) how many legs it holds. */
export type LocalZoneLeakDetector = Detector<DnsRecord> & { rememberedLegs(): number };

export function createLocalZoneLeak(options: Partial<LocalZoneLeakOptions> = {}, explanations?: Explanations, view?: CaptureView, scope: RecordScope = new RecordScope()): LocalZoneLeakDetector {
  const o = { ...DEFAULT_LOCAL_ZONE_LEAK_OPTIONS, ...options };
  const groups = new CappedGroups<Group>(o.maxGroups);
  /** Lookups of zone names (bounded): the legs of one query through a resolver. */
  const legs = new RememberedLegs(o.maxRememberedLegs);
  /** mergeState: the position of the last leg taken from a piece. */
  let mergedLegsUpTo = Number.NEGATIVE_INFINITY;
  /** (client, server, zone) already shown to fail: later queries in the zone with no outcome join. */
  const failing = new Set<string>();
  /**
   * The group of (client, server, name), made from lookup `l` when new. A function of its own: a
   * closure in observe() over its record would make a context object for every record observed.
   */
  const groupOf = (l: DnsLookup, server: string, nameKey: string, zone: string, outcome: Group['outcome']): Group | undefined => {
    const key = `${l.client}|${server}|${nameKey}`;
    return groups.get(key, () => ({
      key, client: l.client, server, name: nameKey, nameLower: nameKey, zone, qtypes: new Set<number>(), reasons: new Set<Reason>(),
      outcome, clientQueries: 0, occurrences: 0, maxDelay: 0, evidence: [], evidenceAt: [], servers: new Set<string>(), start: l.start, end: l.end,
      unansweredBySilenceOnly: true,
    }));
  };

  return {
    name: 'local-zone-leak',
    rememberedLegs: () => legs.size,
    observe(r: DnsRecord): readonly Finding[] {
      if (r.type !== 'lookup') return NO_FINDINGS;
      const zone = locallyServedZone(r.nameLower);
      if (zone === undefined) return NO_FINDINGS;
      // A slow lookup in a locally served zone is this incident's (or nobody's: a local zone answers at once).
      explanations?.explain(r, KIND);
      const reasons: Reason[] = [];
      let outcome: Group['outcome'] = 'answered';
      let delay = 0;
      let transmissions = 0;
      let bySilence = true;
      // A one-sided client's replies could not have been seen: only its own re-sent question speaks.
      const blind = view?.oneSided(r.client) === true;
      // Indexed, as every loop on this per-lookup path (src/detect/dns/common.ts, INDEXED).
      for (let i = 0; i < r.questions.length; i++) {
        const q = r.questions[i]!;
        for (let j = 0; j < q.attempts.length; j++) transmissions += q.attempts[j]!.queries.length;
        // The client asking again with no reply in between proves it timed out at least once, even
        // when the capture ends before its last transmission could (a local zone answers in ms).
        const askedAgain = q.answer === undefined && q.lastSent - q.firstSent >= MIN_RETRY_MICROS && q.attempts.every((a) => a.replies.length === 0);
        const silent = q.outcome === 'unanswered' || q.outcome === 'truncated';
        const timedOut = askedAgain || (silent && !blind);
        if (timedOut) {
          if (askedAgain || q.outcome === 'truncated') bySilence = false;
          reasons.push('unanswered');
          outcome = 'timeout';
          delay = Math.max(delay, q.lastSent - q.firstSent);
        } else if (q.answer !== undefined) {
          if (q.answer.rcode === 2) {
            reasons.push('servfail');
            if (OUTCOME_RANK[outcome] < OUTCOME_RANK.servfail) outcome = 'servfail';
          }
          // Slow means the resolver took long to answer the transmission it answered. A first query
          // lost on the way and re-sent (plain loss) is answered at once when re-sent: the time from
          // the first transmission is the client's timeout, not the resolver's work. An answer that
          // still takes more than retriedSlowMicros after a re-send was waiting for something.
          const rtt = answerRtt(q);
          const resent = rtt < q.timeToAnswerMicros!;
          if (resent ? rtt > o.retriedSlowMicros : q.timeToAnswerMicros! > o.slowMicros) {
            reasons.push('slow');
            if (OUTCOME_RANK[outcome] < OUTCOME_RANK.slow) outcome = 'slow';
          }
          delay = Math.max(delay, q.timeToAnswerMicros!);
        } else {
          outcome = 'unknown';
        }
      }
      const server = r.servers[0]!;
      // The (client, server, zone) key is made only where the zone's state is written or read: most lookups do neither.
      if (reasons.includes('unanswered') || reasons.includes('servfail')) failing.add(`${r.client}|${server}|${zone}`);
      else if (outcome === 'unknown' && failing.has(`${r.client}|${server}|${zone}`)) reasons.push('zone-already-failing');
      if (r.servers.some(isGlobal)) reasons.push('global-server');
      const at = scope.position;
      const nameKey = r.nameLower;
      // Remember every leg: a resolver forwarding shows up as a lookup of the same name by the server.
      // The legs are context, like the zone shown failing: remembered from every record read, so that
      // a piece of a split capture holds (and drops, by the bounds) the legs one thread does.
      const leg = legs.slotFor(nameKey);
      if (leg !== undefined) writeLeg(leg, r, nameKey, transmissions, reasons.includes('unanswered'), at);
      // What follows is counted by the piece of a split capture that owns the lookup (RecordScope).
      if (!scope.owns(r)) return NO_FINDINGS;
      if (reasons.length === 0) return NO_FINDINGS;
      const g = groupOf(r, server, nameKey, zone, outcome);
      if (g === undefined) return NO_FINDINGS;
      g.occurrences++;
      if (reasons.includes('unanswered') && !bySilence) g.unansweredBySilenceOnly = false;
      g.clientQueries += transmissions;
      for (const q of r.questions) g.qtypes.add(q.qtype);
      for (const x of reasons) g.reasons.add(x);
      if (OUTCOME_RANK[outcome] > OUTCOME_RANK[g.outcome]) g.outcome = outcome;
      g.maxDelay = Math.max(g.maxDelay, delay);
      g.start = Math.min(g.start, r.start);
      g.end = Math.max(g.end, r.end);
      for (const s of r.servers) g.servers.add(s);
      for (const e of allLookupEvidence(r, 8)) {
        if (g.evidence.length >= MAX_EVIDENCE) break;
        g.evidence.push(e);
        g.evidenceAt.push(at);
      }
      // Reported at once when announced (live capture, RecordScope.announces); finish() restates it with the resolver's upstream leg, or
      // withdraws it when it was itself the upstream leg of a client's lookup.
      return g.occurrences === 1 && scope.announces ? [finding(g, undefined, o)] : NO_FINDINGS;
    },
    restatesAtFinish: true,
    finish(): readonly Finding[] {
      const out: Finding[] = [];
      // Upstream legs that belong to a client's query found here are reported inside its finding.
      const merged = new Set<string>();
      const upstream = new Map<string, { to: Set<string>; queries: number; evidence: Evidence[]; unanswered: boolean }>();
      const legsByName = new Map<string, Leg[]>();
      for (const g of groups.groups.values()) legsByName.set(g.nameLower, []);
      for (const leg of legs.oldestFirst()) legsByName.get(leg.name)?.push(leg);
      for (const g of groups.groups.values()) {
        const up = { to: new Set<string>(), queries: 0, evidence: [] as Evidence[], unanswered: false };
        for (const leg of legsByName.get(g.nameLower)!) {
          // The resolver's own query for the same name while the client waits: it was forwarded.
          // Resolvers often use another address upstream, so the leg is matched on the name and
          // time, from another host to another server.
          const byAddress = g.servers.has(leg.client);
          const byTime = leg.client !== g.client && !leg.servers.some((x) => g.servers.has(x)) &&
            leg.start >= g.start && leg.start <= g.end + o.forwardWindowMicros;
          if (!byAddress && !byTime) continue;
          for (const s of leg.servers) up.to.add(s);
          up.queries += leg.transmissions;
          up.unanswered ||= leg.unanswered;
          if (up.evidence.length < 16) for (const e of legEvidence(leg)) if (up.evidence.length < 16) up.evidence.push(e);
          for (const s of leg.servers) merged.add(`${leg.client}|${s}|${g.nameLower}`);
        }
        if (up.to.size > 0) {
          g.reasons.add('forwarded-upstream');
          upstream.set(g.key, up);
        }
      }
      for (const g of groups.groups.values()) {
        if (merged.has(g.key) && !upstream.has(g.key)) continue;
        // The client was shown one-sided after its lookup was judged: a silence the capture could
        // not have broken is withdrawn, and so is the finding when nothing else was wrong.
        if (g.unansweredBySilenceOnly && g.reasons.has('unanswered') && view?.oneSided(g.client) === true) {
          g.reasons.delete('unanswered');
          g.reasons.delete('zone-already-failing');
          if (g.reasons.size === 0) continue;
          if (g.outcome === 'timeout') g.outcome = 'unknown';
        }
        out.push(finding(g, upstream.get(g.key), o));
      }
      return out;
    },
    // The legs go in the order they were remembered, and the merge remembers them again in that
    // order, piece after piece, each leg once (a piece's lead-in holds legs an earlier piece already
    // gave): the bounds then drop the legs one thread would have dropped.
    exportState: (): LocalZoneLeakState => ({ groups: [...groups.groups.values()], legs: legs.oldestFirst() }),
    mergeState(state: unknown): void {
      const b = state as LocalZoneLeakState;
      const upTo = mergedLegsUpTo;
      for (const leg of b.legs) {
        if (leg.at <= upTo) continue;
        const slot = legs.slotFor(leg.name);
        if (slot !== undefined) Object.assign(slot, leg);
        mergedLegsUpTo = Math.max(mergedLegsUpTo, leg.at);
      }
      for (const y of b.groups) {
        const x = groups.mergeTarget(y.key, y);
        if (x === undefined) continue;
        x.occurrences += y.occurrences;
        x.unansweredBySilenceOnly &&= y.unansweredBySilenceOnly;
        x.clientQueries += y.clientQueries;
        for (const q of y.qtypes) x.qtypes.add(q);
        for (const r of y.reasons) x.reasons.add(r);
        if (OUTCOME_RANK[y.outcome] > OUTCOME_RANK[x.outcome]) x.outcome = y.outcome;
        x.maxDelay = Math.max(x.maxDelay, y.maxDelay);
        x.start = Math.min(x.start, y.start);
        x.end = Math.max(x.end, y.end);
        for (const s of y.servers) x.servers.add(s);
        mergeFirstByPosition(x, y, 'evidence', MAX_EVIDENCE);
      }
    },
  };
}

const REASON_TEXT: Record<Reason, string> = {
  unanswered: 'went unanswered',
  servfail: 'came back SERVFAIL',
  slow: 'was slow',
  'forwarded-upstream': 'was forwarded upstream by the resolver',
  'global-server': 'went to a globally routed server',
  'zone-already-failing': 'got no answer before the capture ended, in a zone that already timed out',
};

function finding(g: Group, up: { to: Set<string>; queries: number; evidence: Evidence[]; unanswered: boolean } | undefined, o: LocalZoneLeakOptions): Finding {
  const evidence = [...g.evidence, ...(up?.evidence ?? [])].sort((a, b) => a.time - b.time || a.frame - b.frame).slice(0, 32);
  const first = evidence[0]!;
  const last = evidence[evidence.length - 1]!;
  const reasons = [...g.reasons].sort();
  const severity = g.outcome === 'timeout' || g.reasons.has('zone-already-failing') ? 'error'
    : g.outcome === 'servfail' || g.outcome === 'slow' || g.reasons.has('forwarded-upstream') ? 'warning' : 'info';
  const qtypes = [...g.qtypes].map(qtypeName).join('/');
  const more = g.occurrences > 1 ? ` (${g.occurrences} lookups)` : '';
  const upText = up !== undefined ? `; the resolver asked ${[...up.to].join(', ')} ${up.queries} time(s)${up.unanswered ? ', unanswered' : ''}` : '';
  return {
    id: `dns.local_zone_leak:${first.frame}`,
    kind: KIND,
    severity,
    summary: `${qtypes} ${printableName(g.name)} (locally served ${g.zone}) from ${g.client} to ${g.server} ${reasons.map((r) => REASON_TEXT[r]).join(', ')}${more}${upText}`,
    start: first.time,
    end: last.time,
    client: g.client,
    server: g.server,
    names: [g.name],
    evidence,
    impact: {
      description: g.outcome === 'timeout' || g.reasons.has('zone-already-failing')
        ? 'reverse lookups under this zone wait for the client\'s timeout: log lines, ssh logins and ACL checks stall'
        : `a lookup that should be answered locally at once took ${durationText(g.maxDelay)} and left the site`,
      delayMicros: g.maxDelay,
      occurrences: g.occurrences,
    },
    confidence: g.reasons.has('forwarded-upstream') || g.reasons.has('global-server')
      ? { level: 'high', reason: 'the query was seen leaving for another server instead of being answered locally' }
      : g.outcome === 'timeout' || g.outcome === 'servfail'
        ? { level: 'high', reason: `a resolver serving ${g.zone} locally answers at once; this ${g.outcome === 'timeout' ? 'got no answer' : 'got SERVFAIL'}` }
        : g.reasons.has('zone-already-failing')
          ? { level: 'medium', reason: 'no answer before the capture ended; another name in the same zone from this client to this server timed out' }
          : { level: 'medium', reason: `the answer took longer than ${durationText(o.slowMicros)}, more than a resolver answering from a local zone needs` },
    remedy: REMEDY,
    displayFilter: displayFilter(evidence.map((e) => e.frame), [g.client, g.server]),
    details: {
      zone: `${g.zone}.`,
      qtype: qtypes,
      /** timeout | servfail | slow | answered | unknown (the capture ended first). */
      outcome: g.outcome,
      reasons,
      clientQueries: g.clientQueries,
      leakedTo: up !== undefined ? [...up.to].sort() : [],
      upstreamQueries: up?.queries ?? 0,
      upstreamOutcome: up === undefined ? null : up.unanswered ? 'timeout' : 'answered-or-unknown',
      maxDelayMicros: g.maxDelay,
    },
  };
}

/** The registry's entry (src/detect/registry.ts). */
export const localZoneLeakDetector = defineDetector({
  kind: KIND, records: 'dns', lane: 'dns', defaults: DEFAULT_LOCAL_ZONE_LEAK_OPTIONS, create: createLocalZoneLeak, explains: 'publishes',
  readme: { what: 'reverse lookups under the RFC 6303 locally served zones that time out, fail, are slow, or leave for non-local servers', remedy: 'serve the zones locally' },
});
