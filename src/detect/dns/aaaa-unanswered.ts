// dns.aaaa_unanswered (INCIDENTS §2): AAAA never answered on any attempt (retries, ports,
// servers) while A for the same name is; or AAAA answered with an RFC 4074 error rcode while A
// exists. One finding per (client, server, name, problem), over every lookup that paid for it.
import { QTYPE_A, QTYPE_AAAA, type DnsLookup, type DnsQuestionRecord, type DnsRecord, type DnsReply } from '../../reconstruct/dns/index.js';
import { defineDetector, mergeFirstByPosition, RecordScope, type Detector, type Explanations } from '../detector.js';
import type { Evidence, Finding } from '../finding.js';
import {
  CappedGroups,
  displayFilter,
  durationText,
  NO_FINDINGS,
  printableName,
  question,
  questionEvidence,
  rcodeName,
  sortEvidence,
} from './common.js';

const KIND = 'dns.aaaa_unanswered';

export interface AaaaUnansweredOptions {
  maxGroups: number;
  /**
   * A and AAAA asked in separate lookups (dig A, then dig AAAA; a client that caches A; a
   * resolver's upstream legs) still pair when the A answer and the first AAAA transmission are
   * this close: default 60 s.
   */
  separateLookupWindowMicros: number;
  /** Answered A questions and AAAA-only lookups remembered for that pairing (each, FIFO). */
  maxRemembered: number;
}

export const DEFAULT_AAAA_UNANSWERED_OPTIONS: AaaaUnansweredOptions = { maxGroups: 256, separateLookupWindowMicros: 60_000_000, maxRemembered: 4096 };

const REMEDY =
  'The server must answer AAAA queries: NOERROR with an empty answer (NODATA) when the name has no ' +
  'IPv6 address (RFC 4074). Test AAAA on every GSLB / load-balancer name before it goes live.';

const STICKY_REMEDY =
  'But first rule out a stateful firewall or NAT between client and server that drops every reply after the first ' +
  'of a UDP 5-tuple (INCIDENTS §1): capture at the server too; if the AAAA replies leave it, the firewall is the cause.';

const MAX_EVIDENCE = 32;

interface Group {
  key: string;
  first: AaaaProblem;
  /** Where `first` was observed (RecordScope.position); the lists below keep where each item was first observed. */
  firstAt: number;
  occurrences: number;
  /** The longest first-to-last AAAA transmission (or to the wrong answer) of one lookup. */
  maxDelay: number;
  totalDelay: number;
  /** AAAA transmissions, client ports and servers over every lookup of the group. */
  transmissions: number;
  ports: number[];
  portsAt: number[];
  servers: string[];
  serversAt: number[];
  rcodes: Set<number>;
  evidence: Evidence[];
  evidenceAt: number[];
  /** Every lookup of the group also fits the sticky firewall (see stickyFirewallFits). */
  stickyFits: boolean;
}

const MAX_PORTS = 64;
const MAX_SERVERS = 8;

export function createAaaaUnanswered(options: Partial<AaaaUnansweredOptions> = {}, explanations?: Explanations, _view?: unknown, scope: RecordScope = new RecordScope()): Detector<DnsRecord> {
  const o = { ...DEFAULT_AAAA_UNANSWERED_OPTIONS, ...options };
  const groups = new CappedGroups<Group>(o.maxGroups);
  /** The latest answered A question per client|server|name, and AAAA-only lookups waiting for one. */
  const answeredA = new Map<string, DnsQuestionRecord>();
  const aaaaOnly = new Map<string, DnsLookup[]>();
  const remember = <V>(m: Map<string, V>, k: string, v: V): void => {
    m.delete(k);
    m.set(k, v);
    if (m.size > o.maxRemembered) m.delete(m.keys().next().value!);
  };
  const near = (a: DnsQuestionRecord, aaaa: DnsQuestionRecord): boolean =>
    a.answer !== undefined && Math.abs(aaaa.firstSent - a.answer.time) <= o.separateLookupWindowMicros;
  /**
   * Counted by the piece of a split capture that owns the lookup with the problem (RecordScope).
   * Most lookups have none: told here, before problemFound() and its closure (a context object on
   * every call).
   */
  const observeProblem = (r: DnsLookup, p: AaaaProblem | undefined): readonly Finding[] =>
    p === undefined || !scope.owns(r) ? NO_FINDINGS : problemFound(r, p);
  const problemFound = (r: DnsLookup, p: AaaaProblem): readonly Finding[] => {
    const at = scope.position;
    const server = p.aaaa.attempts[0]!.server;
    const key = `${r.client}|${server}|${r.nameLower}|${p.problem}`;
    const g = groups.get(key, () => ({
      key,
      first: p,
      firstAt: at,
      occurrences: 0,
      maxDelay: 0,
      totalDelay: 0,
      transmissions: 0,
      ports: [],
      portsAt: [],
      servers: [],
      serversAt: [],
      rcodes: new Set<number>(),
      evidence: [],
      evidenceAt: [],
      stickyFits: true,
    }));
    if (g === undefined) return NO_FINDINGS;
    g.occurrences++;
    g.stickyFits &&= p.stickyFits;
    g.maxDelay = Math.max(g.maxDelay, p.delayMicros);
    g.totalDelay += p.delayMicros;
    for (const a of p.aaaa.attempts) {
      g.transmissions += a.queries.length;
      if (g.ports.length < MAX_PORTS && !g.ports.includes(a.clientPort)) {
        g.ports.push(a.clientPort);
        g.portsAt.push(at);
      }
      if (g.servers.length < MAX_SERVERS && !g.servers.includes(a.server)) {
        g.servers.push(a.server);
        g.serversAt.push(at);
      }
    }
    if (p.rcode !== undefined) g.rcodes.add(p.rcode);
    const ev = sortEvidence([...questionEvidence(r, p.a, 6), ...questionEvidence(r, p.aaaa, 24)]);
    for (const e of ev) {
      if (g.evidence.length >= MAX_EVIDENCE) break;
      g.evidence.push(p.problem === 'unanswered' && e.role.startsWith('AAAA') ? { ...e, role: `${e.role} (no reply)` } : e);
      g.evidenceAt.push(at);
    }
    // The first lookup of a group is reported at once when announced (live capture, RecordScope.announces); finish() restates it with the counts.
    return g.occurrences === 1 && scope.announces ? [finding(g)] : NO_FINDINGS;
  };
  /**
   * An A-only lookup answered with addresses: remembered, and paired with the AAAA-only lookups
   * waiting for it. Apart from observe(): its closures over `qa` made a context object per record.
   */
  const answeredAOnly = (r: DnsLookup, qa: DnsQuestionRecord, nameKey: string): readonly Finding[] => {
    const server = qa.attempts.find((x) => x.replies.includes(qa.answer!))?.server ?? qa.attempts[0]!.server;
    const key = `${r.client}|${server}|${nameKey}`;
    remember(answeredA, key, qa);
    const waiting = aaaaOnly.get(key);
    if (waiting === undefined) return NO_FINDINGS;
    aaaaOnly.delete(key);
    return waiting.flatMap((w) => (near(qa, question(w, QTYPE_AAAA)!) ? observeProblem(w, aaaaProblem(w, qa)) : []));
  };
  return {
    name: 'aaaa-unanswered',
    restatesAtFinish: true,
    observe(r: DnsRecord): readonly Finding[] {
      if (r.type !== 'lookup' || r.family !== 'address') return NO_FINDINGS;
      const qa = question(r, QTYPE_A);
      const q6 = question(r, QTYPE_AAAA);
      if (qa !== undefined && q6 !== undefined) {
        const p = aaaaProblem(r);
        // The lookup's delay is this incident's. (A pairing with a separate A lookup, below, may come
        // after the AAAA lookup has gone by, so only a lookup that shows both questions is published.)
        if (p !== undefined) explanations?.explain(r, KIND);
        return observeProblem(r, p);
      }
      const nameKey = r.nameLower;
      if (qa !== undefined) {
        // An A-only lookup: remember its answer, and pair it with AAAA-only lookups waiting for it.
        if (qa.answer === undefined || qa.answer.rcode !== 0 || qa.answer.answersOfType === 0) return NO_FINDINGS;
        return answeredAOnly(r, qa, nameKey);
      }
      if (q6 === undefined) return NO_FINDINGS;
      // An AAAA-only lookup that failed: the A of the same name may have been asked before or after.
      if (q6.outcome !== 'unanswered' && !(q6.answer !== undefined && RFC4074_RCODES.has(q6.answer.rcode))) return NO_FINDINGS;
      const key = `${r.client}|${q6.attempts[0]!.server}|${nameKey}`;
      const known = answeredA.get(key);
      if (known !== undefined && near(known, q6)) return observeProblem(r, aaaaProblem(r, known));
      const list = aaaaOnly.get(key) ?? [];
      if (list.length < 8) list.push(r);
      remember(aaaaOnly, key, list);
      return NO_FINDINGS;
    },
    finish(): readonly Finding[] {
      return [...groups.groups.values()].map(finding);
    },
    exportState: (): Group[] => [...groups.groups.values()],
    mergeState(state: unknown): void {
      for (const b of state as Group[]) {
        const a = groups.mergeTarget(b.key, b);
        if (a === undefined) continue;
        if (b.firstAt < a.firstAt) {
          a.first = b.first;
          a.firstAt = b.firstAt;
        }
        a.occurrences += b.occurrences;
        a.stickyFits &&= b.stickyFits;
        a.maxDelay = Math.max(a.maxDelay, b.maxDelay);
        a.totalDelay += b.totalDelay;
        a.transmissions += b.transmissions;
        mergeFirstByPosition(a, b, 'ports', MAX_PORTS, (x, y) => x === y);
        mergeFirstByPosition(a, b, 'servers', MAX_SERVERS, (x, y) => x === y);
        for (const x of b.rcodes) a.rcodes.add(x);
        mergeFirstByPosition(a, b, 'evidence', MAX_EVIDENCE);
      }
    },
  };
}

function finding(g: Group): Finding {
  const p = g.first;
  const l = p.lookup;
  const server = p.aaaa.attempts[0]!.server;
  const servers = [...g.servers];
  const n = g.transmissions;
  const ports = [...g.ports].sort((a, b) => a - b);
  const evidence = sortEvidence(g.evidence);
  const first = evidence[0]!;
  const last = evidence[evidence.length - 1]!;
  // RFC 4343: names compare without case; a resolver's 0x20 upstream queries spell them at random.
  const name = printableName(l.name.toLowerCase());
  const rcodes = [...g.rcodes].sort((a, b) => a - b).map(rcodeName).join(',');
  const role = p.serverRole === 'recursive'
    ? 'a recursive resolver (RA set, AA clear): the authoritative server behind it is the likely culprit'
    : p.serverRole === 'authoritative' ? 'the authoritative server itself (AA set)' : 'a server of unknown role (neither AA nor RA set)';
  const what = p.problem === 'unanswered'
    ? `AAAA ${name} never answered (${n} transmission(s), ${ports.length} port(s), ${servers.length} server(s)) while A was`
    : `AAAA ${name} answered ${rcodes} while A has addresses (RFC 4074: should be NOERROR/NODATA)`;
  const repeat = g.occurrences > 1 ? `; ${g.occurrences} lookups` : '';
  const sticky = p.problem === 'unanswered' && g.stickyFits;
  const confidence = sticky
    ? { level: 'medium' as const, reason: `AAAA went unanswered ${n} time(s) while A was answered, but always on the socket that had its A answered, and no second reply ever arrived there: a firewall dropping every reply after the first on a UDP 5-tuple looks the same from this capture point` }
    : p.problem === 'unanswered'
    ? n > 1
      ? { level: 'high' as const, reason: `AAAA went unanswered ${n} times while the A query for the same name was answered` }
      : { level: 'medium' as const, reason: 'AAAA unanswered once while A was answered; with no retry in the capture one lost packet cannot be ruled out' }
    : { level: 'high' as const, reason: `the server said ${rcodes} to AAAA but gave A records for the same name` };
  return {
    id: `dns.aaaa_unanswered:${first.frame}`,
    kind: KIND,
    severity: 'warning',
    summary: `${what}; ${server} is ${role.split(':')[0]}${repeat}${sticky ? '; or a stateful firewall drops every reply after the first on the socket (the client never re-asked A to show otherwise)' : ''}`,
    start: first.time,
    end: last.time,
    client: l.client,
    server,
    names: [l.name.toLowerCase()],
    evidence,
    impact: {
      description: p.problem === 'unanswered'
        ? `each lookup waited at least ${durationText(g.maxDelay)} on AAAA (first to last AAAA transmission) and then one more timeout`
        : `dual-stack clients get ${rcodes} for AAAA; some treat the whole name as missing`,
      delayMicros: g.maxDelay,
      occurrences: g.occurrences,
    },
    confidence,
    remedy: sticky ? REMEDY + ' ' + STICKY_REMEDY : REMEDY,
    displayFilter: displayFilter(evidence.map((e) => e.frame), [l.client, server]),
    details: {
      problem: p.problem,
      /** 'none' when unanswered, else the rcode names given to AAAA. */
      response: p.problem === 'unanswered' ? 'none' : rcodes,
      serverRole: p.serverRole,
      serverRoleReason: role,
      aaaaQueries: n,
      aaaaPorts: ports,
      aaaaServers: servers,
      spanMicros: g.maxDelay,
      totalDelayMicros: g.totalDelay,
      aAnswerFrame: p.a.answer!.frame,
      pattern: l.pattern,
      stickyFirewallFits: sticky,
    },
  };
}

// ─── The rule (INCIDENTS §2) ────────────────────────────────────────────────────────────────────

/** RFC 4074 §4: wrong answers to AAAA when an A record exists. */
const RFC4074_RCODES = new Set([1, 2, 3, 4, 5]); // FORMERR SERVFAIL NXDOMAIN NOTIMP REFUSED

interface AaaaProblem {
  readonly lookup: DnsLookup;
  readonly aaaa: DnsQuestionRecord;
  readonly a: DnsQuestionRecord;
  /** unanswered: no reply on any attempt; or the wrong rcode (RFC 4074). */
  readonly problem: 'unanswered' | 'wrong-rcode';
  readonly rcode: number | undefined;
  /** From the AAAA reply flags, or the A reply's when AAAA got none. */
  readonly serverRole: 'authoritative' | 'recursive' | 'unknown';
  /** First AAAA transmission to the last AAAA transmission (or to the wrong answer). */
  readonly delayMicros: number;
  /** Unanswered, and a sticky firewall explains it as well (stickyFirewallFits). */
  readonly stickyFits: boolean;
}

/**
 * INCIDENTS §2 from one lookup (or an AAAA-only lookup and `separateA`, the same client's A question
 * for the same name in another lookup): A answered with addresses; AAAA never answered on any attempt
 * (ports, servers, retries; at least one attempt proven unanswered, none merely cut by the capture
 * end), or answered with an RFC 4074 error rcode. A socket whose later A replies are missing too is
 * not an AAAA problem (see samePortDrop).
 */
function aaaaProblem(l: DnsLookup, separateA?: DnsQuestionRecord): AaaaProblem | undefined {
  if (l.family !== 'address') return undefined;
  // `separateA`: the A question of another lookup of the same name (dig A, then dig AAAA).
  const a = question(l, QTYPE_A) ?? separateA;
  const aaaa = question(l, QTYPE_AAAA);
  if (a === undefined || aaaa === undefined || a.answer === undefined) return undefined;
  if (a.answer.rcode !== 0 || a.answer.answersOfType === 0) return undefined;
  const aReply = a.answer;
  if (aaaa.outcome === 'answered') {
    const r = aaaa.answer!;
    if (!RFC4074_RCODES.has(r.rcode)) return undefined;
    return { lookup: l, aaaa, a, problem: 'wrong-rcode', rcode: r.rcode, serverRole: role(r), delayMicros: Math.max(0, r.time - aaaa.firstSent), stickyFits: false };
  }
  if (aaaa.outcome !== 'unanswered') return undefined;
  // No reply on any attempt; the last attempts may be cut by the capture end (unknown) as long as
  // one is proven unanswered (the question's outcome says so).
  if (aaaa.attempts.some((x) => x.replies.length > 0)) return undefined;
  // Unanswered A transmissions on a socket the AAAA used: the socket, not the AAAA, is the problem.
  // So is an A question answered once on that socket and then, asked again there under the same
  // id, not answered (even when the capture ends before its timeout): the sticky firewall's
  // signature (every reply after the first on the 5-tuple dropped), not the server's.
  const aaaaSockets = new Set(aaaa.attempts.map((x) => `${x.clientPort}|${x.server}`));
  if (a.attempts.some((x) => (x.outcome === 'unanswered' || (x.afterAnswer && x.replies.length === 0)) && aaaaSockets.has(`${x.clientPort}|${x.server}`))) return undefined;
  return { lookup: l, aaaa, a, problem: 'unanswered', rcode: undefined, serverRole: role(aReply), delayMicros: aaaa.lastSent - aaaa.firstSent, stickyFits: stickyFirewallFits(a, aaaa) };
}

/**
 * Whether INCIDENTS §1's sticky firewall (every reply after the first on a UDP 5-tuple dropped)
 * explains the unanswered AAAA as well as a server ignoring it does: every AAAA transmission left
 * a UDP socket whose A question was answered there, and that A reply was the only reply the socket
 * ever received. A stub that re-sends only the unanswered question on the same socket (musl) shows
 * nothing else at the client. A second reply on the 5-tuple (glibc re-asks A there and gets it
 * answered again), or an AAAA sent from a socket of its own, rules the firewall out.
 */
function stickyFirewallFits(a: DnsQuestionRecord, aaaa: DnsQuestionRecord): boolean {
  for (const x of aaaa.attempts) {
    if (x.transport !== 'udp') return false;
    let replies = 0;
    for (const y of a.attempts) {
      if (y.transport === 'udp' && y.clientPort === x.clientPort && y.server === x.server && y.serverPort === x.serverPort) replies += y.replies.length;
    }
    if (replies !== 1) return false;
  }
  return true;
}

function role(r: DnsReply): AaaaProblem['serverRole'] {
  if (r.aa) return 'authoritative';
  if (r.ra) return 'recursive';
  return 'unknown';
}

/** The registry's entry (src/detect/registry.ts). */
export const aaaaUnansweredDetector = defineDetector({
  kind: KIND, records: 'dns', lane: 'dns', defaults: DEFAULT_AAAA_UNANSWERED_OPTIONS, create: createAaaaUnanswered, explains: 'publishes',
  readme: { what: 'AAAA never answered (every retry, port, server) while A is; RFC 4074 wrong answers (NXDOMAIN, SERVFAIL, REFUSED, NOTIMP, FORMERR); tells an authoritative server from a recursive resolver', remedy: 'the server must answer AAAA (NODATA)' },
});
