// dns.resolver_profile (info): per client, how its stub resolver asks for addresses — A-first or
// AAAA-first, parallel from one socket, parallel from separate sockets, or one after the other —
// and the timeout and attempts inferred from its retry spacing. Reported for clients that asked both
// A and AAAA or retried at least once. The pattern alone names no implementation (glibc, musl and
// the Windows stub all send a parallel pair from one socket): a stub is named only when the retry
// spacing, EDNS use and pattern together fit its documented defaults, "unknown" otherwise.
import { append } from '../../core/index.js';
import { QTYPE_A, type DnsLookup, type DnsRecord, type LookupPattern } from '../../reconstruct/dns/index.js';
import { defineDetector, mergeFirstByPosition, RecordScope, type Detector } from '../detector.js';
import type { Evidence, Finding } from '../finding.js';
import { CappedGroups, displayFilter, durationText, median, NO_FINDINGS, questionEvidence, shownLookup, sortEvidence, transmissions, type LookupShown } from './common.js';

export interface ResolverProfileOptions {
  maxClients: number;
  /** Findings emitted at most (the clients with the most lookups). */
  maxFindings: number;
  /** A gap shorter than this between two transmissions of one question is not a timeout retry: default 300 ms. */
  minRetryMicros: number;
}

export const DEFAULT_RESOLVER_PROFILE_OPTIONS: ResolverProfileOptions = { maxClients: 1024, maxFindings: 32, minRetryMicros: 300_000 };

interface Profile {
  client: string;
  lookups: number;
  patterns: Map<LookupPattern, number>;
  aFirst: number;
  aaaaFirst: number;
  retryGaps: number[];
  /** Where each gap was observed (RecordScope.position): the first MAX_GAPS are kept. */
  retryGapsAt: number[];
  maxTransmissions: number;
  /** The first MAX_SERVERS servers and EDNS sizes, with where each was first observed. */
  servers: string[];
  serversAt: number[];
  transports: Set<string>;
  edns: number[];
  ednsAt: number[];
  /** The lookups whose evidence the finding may show, in observed order (see evidenceOf). */
  candidates: EvidenceCandidate[];
}

/**
 * A lookup whose evidence may still be shown: the client's first lookup, then lookups with a
 * re-sent question until one shows a retransmission (or 16 items are gathered), as the finding
 * shows the first lookup and the first re-sent one.
 *
 * It keeps what evidence shows of the lookup (`shown`), not the evidence itself: nothing reads that
 * evidence before finish(), which reports only the maxFindings busiest clients, and building it
 * (texts for every query and reply) for each of up to maxClients clients was most of this
 * detector's time on an incident-rich capture. Whether more candidates are wanted reads only how
 * many items a re-sent lookup's evidence has and whether one shows a retransmission: counted once,
 * those are kept instead of its evidence (edge 2 M: 4,251 items for 684 re-sent lookups, kept to
 * the end).
 */
export interface EvidenceCandidate {
  at: number;
  retried: boolean;
  shown: LookupShown;
  /** When `retried`: the number of items of its evidence, and whether one shows a retransmission. */
  items: number;
  showsRetry: boolean;
}

/** The evidence of a lookup: each question's first six items. */
function lookupEvidence(l: LookupShown): Evidence[] {
  const evidence: Evidence[] = [];
  for (const q of l.questions) evidence.push(...questionEvidence(l, q, 6));
  return evidence;
}

/** Lookup `l` as a candidate (exported for tests, as candidateEvidence). */
export function candidateOf(l: DnsLookup, retried: boolean, at: number): EvidenceCandidate {
  const shown = shownLookup(l);
  const evidence = retried ? lookupEvidence(shown) : undefined;
  return { at, retried, shown, items: evidence?.length ?? 0, showsRetry: evidence?.some(showsRetry) ?? false };
}

export const candidateEvidence = (c: EvidenceCandidate): Evidence[] => lookupEvidence(c.shown);

const MAX_GAPS = 256;
const MAX_SERVERS = 8;
const MAX_EVIDENCE = 16;
const showsRetry = (e: Evidence): boolean => e.role.includes('retransmission');

/** Whether more candidates can change the evidence: none shows a retry yet and there is room. */
function wantsCandidates(cs: readonly EvidenceCandidate[]): boolean {
  let items = 0;
  for (const c of cs) {
    if (!c.retried) continue;
    if (c.showsRetry) return false;
    items += c.items;
  }
  return items < MAX_EVIDENCE;
}

/** The evidence: the first lookup's, and a re-sent lookup's while none shows a retry yet and there is room. */
function evidenceOf(cs: readonly EvidenceCandidate[]): Evidence[] {
  let ev: Evidence[] = [];
  for (const c of cs) {
    if (ev.length === 0 || (ev.length < MAX_EVIDENCE && c.retried && !ev.some(showsRetry))) ev = sortEvidence([...ev, ...candidateEvidence(c)]).slice(0, MAX_EVIDENCE);
  }
  return ev;
}

export function createResolverProfile(options: Partial<ResolverProfileOptions> = {}, _explanations?: unknown, _view?: unknown, scope: RecordScope = new RecordScope()): Detector<DnsRecord> {
  const o = { ...DEFAULT_RESOLVER_PROFILE_OPTIONS, ...options };
  const clients = new CappedGroups<Profile>(o.maxClients);
  /**
   * The client's new profile (undefined past the bound). Apart from observe(): a closure there over
   * its record would make a context object (and the closure itself) for every record observed.
   */
  const newProfile = (client: string): Profile | undefined => clients.get(client, () => ({
    client, lookups: 0, patterns: new Map(), aFirst: 0, aaaaFirst: 0, retryGaps: [], retryGapsAt: [], maxTransmissions: 0,
    servers: [], serversAt: [], transports: new Set(), edns: [], ednsAt: [], candidates: [],
  }));
  return {
    name: 'resolver-profile',
    observe(r: DnsRecord): readonly Finding[] {
      if (r.type !== 'lookup' || r.family !== 'address') return NO_FINDINGS;
      // Which clients have a profile (the first maxClients seen) is decided by every record read,
      // context included, as on one thread: a piece whose own clients alone filled the table would
      // drop the lookups of a client one thread profiles. Another piece of a split capture counts
      // the lookup itself (RecordScope); a profile with nothing counted is left out at finish.
      const p = clients.groups.get(r.client) ?? newProfile(r.client);
      if (p === undefined || !scope.owns(r)) return NO_FINDINGS;
      observeLookup(p, r, o, scope.position);
      return NO_FINDINGS;
    },
    restatesAtFinish: true, // a profile is only complete at the end; nothing is reported before
    finish(): readonly Finding[] {
      return [...clients.groups.values()]
        .filter((p) => p.aFirst + p.aaaaFirst > 0 || p.retryGaps.length > 0)
        .sort((a, b) => b.lookups - a.lookups || (a.client < b.client ? -1 : 1))
        .slice(0, o.maxFindings)
        .map(finding);
    },
    exportState: (): Profile[] => [...clients.groups.values()],
    mergeState(state: unknown): void {
      for (const b of state as Profile[]) {
        const a = clients.mergeTarget(b.client, b);
        if (a === undefined) continue;
        a.lookups += b.lookups;
        for (const [k, n] of b.patterns) a.patterns.set(k, (a.patterns.get(k) ?? 0) + n);
        a.aFirst += b.aFirst;
        a.aaaaFirst += b.aaaaFirst;
        mergeFirstByPosition(a, b, 'retryGaps', MAX_GAPS);
        a.maxTransmissions = Math.max(a.maxTransmissions, b.maxTransmissions);
        mergeFirstByPosition(a, b, 'servers', MAX_SERVERS, (x, y) => x === y);
        for (const t of b.transports) a.transports.add(t);
        mergeFirstByPosition(a, b, 'edns', MAX_SERVERS, (x, y) => x === y);
        // Both lists in observed order; the merge keeps what one thread would have kept.
        const all = [...a.candidates, ...b.candidates].sort((x, y) => x.at - y.at);
        const kept: EvidenceCandidate[] = [];
        for (const c of all) if (kept.length === 0 || (c.retried && wantsCandidates(kept))) kept.push(c);
        a.candidates = kept;
      }
    },
  };
}

/** Adds `server` to the first MAX_SERVERS distinct servers (lists by append(): a profile lives to the end, most of its lists holding one item). */
function addServer(p: Profile, server: string, at: number): void {
  if (p.servers.length < MAX_SERVERS && !p.servers.includes(server)) {
    p.servers = append(p.servers, server);
    p.serversAt = append(p.serversAt, at);
  }
}

/** Adds `size` to the first MAX_SERVERS distinct EDNS sizes. */
function addEdns(p: Profile, size: number, at: number): void {
  if (p.edns.length < MAX_SERVERS && !p.edns.includes(size)) {
    p.edns = append(p.edns, size);
    p.ednsAt = append(p.ednsAt, at);
  }
}

function observeLookup(p: Profile, l: DnsLookup, o: ResolverProfileOptions, at: number): void {
  p.lookups++;
  if (l.questions.length >= 2) {
    p.patterns.set(l.pattern, (p.patterns.get(l.pattern) ?? 0) + 1);
    if (l.firstQtype === QTYPE_A) p.aFirst++;
    else p.aaaaFirst++;
  } else {
    p.patterns.set('single', (p.patterns.get('single') ?? 0) + 1);
  }
  // Indexed, as every loop on this per-lookup path (src/detect/dns/common.ts, INDEXED).
  for (let i = 0; i < l.servers.length; i++) addServer(p, l.servers[i]!, at);
  for (let k = 0; k < l.questions.length; k++) {
    const q = l.questions[k]!;
    // One transmission (most questions): nothing to sort and no retry gap.
    if (q.attempts.length === 1 && q.attempts[0]!.queries.length === 1) {
      const a = q.attempts[0]!;
      const sent = a.queries[0]!;
      if (p.maxTransmissions < 1) p.maxTransmissions = 1;
      p.transports.add(a.transport);
      if (sent.ednsUdpSize !== undefined) addEdns(p, sent.ednsUdpSize, at);
      continue;
    }
    const tx = transmissions(q);
    p.maxTransmissions = Math.max(p.maxTransmissions, tx.length);
    for (let i = 0; i < tx.length; i++) {
      const x = tx[i]!;
      p.transports.add(x.attempt.transport);
      if (x.sent.ednsUdpSize !== undefined) addEdns(p, x.sent.ednsUdpSize, at);
      if (i === 0) continue;
      // A timeout retry: the previous transmission had no reply before this one.
      const prev = tx[i - 1]!;
      const gap = x.sent.time - prev.sent.time;
      const answeredBefore = prev.attempt.replies.some((r) => r.time >= prev.sent.time && r.time <= x.sent.time);
      if (!answeredBefore && gap >= o.minRetryMicros && i === 1 && p.retryGaps.length < MAX_GAPS) {
        p.retryGaps.push(gap);
        p.retryGapsAt.push(at);
      }
    }
  }
  let retried = false;
  for (let k = 0; k < l.questions.length; k++) if (l.questions[k]!.retransmissions > 0) retried = true;
  if (p.candidates.length === 0 || (retried && wantsCandidates(p.candidates))) {
    const candidate = candidateOf(l, retried, at);
    p.candidates = append(p.candidates, candidate);
  }
}

const PATTERN_TEXT: Record<LookupPattern, string> = {
  single: 'one question only',
  'parallel-same-port': 'A and AAAA in parallel from one socket',
  'parallel-separate-ports': 'A and AAAA in parallel from separate sockets',
  'sequential-same-port': 'A and AAAA one after the other on one socket',
  'sequential-separate-ports': 'A and AAAA one after the other from separate sockets',
};

/** glibc's default timeout (RES_TIMEOUT, resolv.conf(5)); the window allows for capture jitter. */
const GLIBC_TIMEOUT_MICROS = 5_000_000;
const TIMEOUT_SLACK_MICROS = 300_000;

/**
 * The stub resolver, named only when the evidence fits one implementation's defaults: glibc sends
 * the pair A-first from one socket without EDNS (unless `options edns0`) and re-sends after 5 s.
 * The Windows stub and musl also send a parallel pair from one socket, but retry after 1 s or
 * after timeout/attempts, so the pattern without the retry spacing names nothing.
 */
function stubOf(main: LookupPattern, order: string, timeout: number | undefined, edns: ReadonlySet<number>): { stub: string; why: string } {
  if (timeout === undefined) return { stub: 'unknown', why: 'no timeout retry seen: the pattern alone does not tell glibc, musl and the Windows stub apart' };
  const glibcTimeout = Math.abs(timeout - GLIBC_TIMEOUT_MICROS) <= TIMEOUT_SLACK_MICROS;
  if (main === 'parallel-same-port' && order === 'A-first' && edns.size === 0 && glibcTimeout) {
    return { stub: 'glibc-default', why: 'parallel A-first pair from one socket, no EDNS, re-sent after 5 s: glibc\'s defaults' };
  }
  return { stub: 'unknown', why: 'the retry spacing, socket use and EDNS fit no one implementation\'s defaults' };
}

function finding(p: Profile): Finding {
  const evidence = evidenceOf(p.candidates);
  const first = evidence[0]!;
  const last = evidence[evidence.length - 1]!;
  const ranked = [...p.patterns.entries()].filter(([k]) => k !== 'single').sort((a, b) => b[1] - a[1]);
  const main = ranked[0]?.[0] ?? 'single';
  const order = p.aFirst + p.aaaaFirst === 0 ? 'n/a' : p.aFirst >= p.aaaaFirst ? 'A-first' : 'AAAA-first';
  const timeout = p.retryGaps.length > 0 ? median(p.retryGaps) : undefined;
  const patterns: Record<string, number> = {};
  for (const [k, v] of [...p.patterns.entries()].sort()) patterns[k] = v;
  const { stub, why } = stubOf(main, order, timeout, new Set(p.edns));
  return {
    id: `dns.resolver_profile:${first.frame}`,
    kind: 'dns.resolver_profile',
    severity: 'info',
    summary: `${p.client}: ${PATTERN_TEXT[main]}, ${order}${timeout !== undefined ? `, timeout ≈ ${durationText(timeout)}` : ''}${stub === 'glibc-default' ? ' (glibc defaults)' : ''} (${p.lookups} address lookup(s))`,
    start: first.time,
    end: last.time,
    client: p.client,
    server: p.servers.length === 1 ? p.servers[0] : undefined,
    names: [],
    evidence,
    impact: { description: 'how this client resolves names; parallel queries from one socket are exposed to same-port reply drops', occurrences: p.lookups },
    confidence: {
      level: p.lookups >= 3 ? 'high' : 'medium',
      reason: `from ${p.lookups} lookup(s)${timeout !== undefined ? ` and ${p.retryGaps.length} timeout retr${p.retryGaps.length === 1 ? 'y' : 'ies'}` : ''}; stub resolver ${stub === 'unknown' ? 'unknown' : stub}: ${why}`,
    },
    remedy: main === 'parallel-same-port'
      ? 'Nothing to fix by itself; if replies go missing behind a stateful firewall, fix its UDP handling (glibc clients can use `options single-request-reopen` meanwhile; musl and c-ares ignore it).'
      : 'Nothing to fix: this describes the client.',
    displayFilter: displayFilter(evidence.map((e) => e.frame), [p.client]),
    details: {
      pattern: main,
      order,
      stub,
      patterns: Object.entries(patterns).map(([k, v]) => `${k}:${v}`),
      aFirst: p.aFirst,
      aaaaFirst: p.aaaaFirst,
      inferredTimeoutMicros: timeout ?? null,
      retriesObserved: p.retryGaps.length,
      maxTransmissionsPerQuestion: p.maxTransmissions,
      servers: [...p.servers],
      transports: [...p.transports].sort(),
      ednsUdpSizes: [...p.edns].sort((a, b) => a - b),
    },
  };
}

/** The registry's entry (src/detect/registry.ts). */
export const resolverProfileDetector = defineDetector({
  kind: 'dns.resolver_profile', records: 'dns', lane: 'dns', defaults: DEFAULT_RESOLVER_PROFILE_OPTIONS, create: createResolverProfile,
  readme: { what: 'per client: parallel same-port / single-request(-reopen), A- or AAAA-first, inferred timeout and attempts', remedy: '—', note: 'info' },
});
