// dns.large_response_risk ("Beyond the talk"): UDP answers that arrive IPv6-fragmented (fragments
// are widely dropped: RFC 8900) or larger than 1232 octets (the DNS Flag Day 2020 size that fits a
// 1280-octet IPv6 path), answers with TC=1 whose TCP/53 retry fails, and clients that re-ask after
// a large answer (it never reached them). EDNS buffer sizes above 1232 are listed with these; alone
// they are only a risk and are reported when `reportEdnsAlone` is set. One finding per pair.
import type { DnsAttempt, DnsLookup, DnsQuestionRecord, DnsRecord, DnsReply } from '../../reconstruct/dns/index.js';
import { defineDetector, mergeFirstByPosition, RecordScope, type Detector } from '../detector.js';
import type { Evidence, Finding } from '../finding.js';
import { inPrefix } from '../../core/index.js';
import { CappedGroups, displayFilter, NO_FINDINGS, printableName, qtypeName, queryEvidence, replyEvidence, transmissions } from './common.js';

export interface LargeResponseRiskOptions {
  /** Largest safe UDP DNS message: default 1232 (DNS Flag Day 2020). */
  safeSize: number;
  /**
   * The same query (client, server, id, question) sent again up to this long after a large answer
   * to it shows the answer never reached the client: default 30 s (glibc waits 5 s per try, dig 5 s).
   */
  reaskWindowMicros: number;
  /** Large answers remembered for that (the oldest are forgotten): default 1024. */
  maxRemembered: number;
  /** Report EDNS buffer sizes above safeSize even when no large answer was seen: default false. */
  reportEdnsAlone: boolean;
  maxGroups: number;
}

export const DEFAULT_LARGE_RESPONSE_RISK_OPTIONS: LargeResponseRiskOptions = { safeSize: 1232, reaskWindowMicros: 30_000_000, reportEdnsAlone: false, maxGroups: 256, maxRemembered: 1024 };

/** A large answer, remembered to tell when its query is sent again (the answer never reached the client). */
interface LargeAnswer {
  group: Group | undefined;
  /** The query's DNS id (see largeIds). */
  id: number;
  time: number;
  size: number;
  querySize: number;
  queryEdns: number | undefined;
}

type Reason = 'ipv6-fragmented' | 'ipv4-fragmented' | 'over-safe-size' | 'retried-after-large' | 'tc-tcp-failed' | 'edns-over-safe-size';

interface Group {
  client: string;
  server: string;
  reasons: Set<Reason>;
  names: string[];
  occurrences: number;
  largest: number;
  maxEdns: number;
  evidence: Evidence[];
  /** Where each name and evidence item was observed (RecordScope.position): the first ones are kept. */
  namesAt: number[];
  evidenceAt: number[];
}

const MAX_NAMES = 10;
const MAX_EVIDENCE = 32;

const REMEDY =
  'Keep UDP DNS answers within 1232 octets: set the EDNS buffer size to 1232 on resolvers and ' +
  'servers (BIND `edns-udp-size`/`max-udp-size`, unbound `edns-buffer-size`), let TCP/53 through ' +
  'every firewall, and stop filters from dropping IPv6 fragments on the DNS path.';

export function createLargeResponseRisk(options: Partial<LargeResponseRiskOptions> = {}, _explanations?: unknown, _view?: unknown, scope: RecordScope = new RecordScope()): Detector<DnsRecord> {
  const o = { ...DEFAULT_LARGE_RESPONSE_RISK_OPTIONS, ...options };
  const groups = new CappedGroups<Group>(o.maxGroups);
  /**
   * The pair's group, for a record this analysis counts; undefined for one another piece of a split
   * capture counts (RecordScope) — it is still read, for the re-asks it remembers.
   */
  const group = (client: string, server: string, owned: boolean): Group | undefined =>
    owned ? groups.get(`${client}|${server}`, () => ({ client, server, reasons: new Set(), names: [], occurrences: 0, largest: 0, maxEdns: 0, evidence: [], namesAt: [], evidenceAt: [] })) : undefined;
  const pushEvidence = (g: Group, e: Evidence): void => {
    g.evidence.push(e);
    g.evidenceAt.push(scope.position);
  };

  /** Groups that got their first occurrence (or a re-ask) from the record being observed: reported at once. */
  const fresh: Group[] = [];
  const note = (g: Group, reasons: readonly Reason[], name: string | undefined, ev: Evidence[], size: number): void => {
    g.occurrences++;
    if (g.occurrences === 1) fresh.push(g);
    for (const r of reasons) g.reasons.add(r);
    if (name !== undefined && g.names.length < MAX_NAMES && !g.names.includes(name)) {
      g.names.push(name);
      g.namesAt.push(scope.position);
    }
    g.largest = Math.max(g.largest, size);
    for (const e of ev) if (g.evidence.length < MAX_EVIDENCE && !g.evidence.some((x) => x.frame === e.frame)) pushEvidence(g, e);
  };

  // IPv4 fragments alone are not reported (routers fragment IPv4 on the way); IPv6 fragments are
  // (RFC 8900: widely dropped). Loopback never leaves the host; a cut or malformed message has no
  // trustworthy size.
  const replyReasons = (r: DnsReply, transport: string, server: string): readonly Reason[] => {
    if (transport !== 'udp' || r.truncated || r.malformed) return NO_REASONS;
    // Most replies are small and whole: decided before the (costly) address parse.
    if (!(r.fragmented && r.ipVersion === 6) && r.size <= o.safeSize) return NO_REASONS;
    const out: Reason[] = [];
    if (isLoopback(server)) return out;
    if (r.fragmented && r.ipVersion === 6) out.push('ipv6-fragmented');
    if (r.size > o.safeSize) {
      out.push('over-safe-size');
      if (r.fragmented && r.ipVersion === 4) out.push('ipv4-fragmented');
    }
    return out;
  };

  /**
   * Large answers by query (client, server, id, question). A client that times out sends the same
   * query again: glibc from the same socket, dig from a new port with the same id. When that comes
   * after the lookup was closed (its linger is shorter than resolver timeouts) it is in a new
   * lookup. A new query (a new getaddrinfo() call) has a new id.
   */
  const largeAnswers = new Map<string, LargeAnswer>();
  /**
   * How many remembered answers were sent under each DNS id: an attempt under another id (nearly
   * all of them, as ids are random) is no re-ask, and needs no key built. Building one per attempt
   * of every lookup was ~15 % of what the DNS detectors allocate on an incident-rich capture.
   */
  const largeIds = new Map<number, number>();
  /**
   * The time of the first remembered answer (in the map's order), NaN when not known: while it is
   * within the window, so is the lookup's start for all of them, and nothing is forgotten (no
   * iterator per lookup).
   */
  let firstTime = Number.NaN;
  /** `nameLower`: the lookup's name in lower case (DnsLookup.nameLower). */
  const queryKey = (client: string, a: DnsAttempt, nameLower: string): string => `${client}|${a.server}|${a.serverPort}|${a.id}|${a.qtype}|${nameLower}`;
  const forgetLarge = (key: string): void => {
    const v = largeAnswers.get(key);
    if (v === undefined) return;
    largeAnswers.delete(key);
    firstTime = Number.NaN; // it may have been the first
    const n = largeIds.get(v.id)! - 1;
    if (n > 0) largeIds.set(v.id, n);
    else largeIds.delete(v.id);
  };
  const rememberLarge = (key: string, g: Group | undefined, time: number, size: number, a: DnsAttempt): void => {
    const query = a.queries[0]!;
    forgetLarge(key);
    largeAnswers.set(key, { group: g, id: a.id, time, size, querySize: query.size, queryEdns: query.ednsUdpSize });
    largeIds.set(a.id, (largeIds.get(a.id) ?? 0) + 1);
    if (largeAnswers.size > o.maxRemembered) forgetLarge(largeAnswers.keys().next().value!);
  };
  const reasked = (l: DnsLookup): void => {
    if (largeAnswers.size === 0) return; // the usual case: no key to build per lookup
    // Oldest first (each entry is re-inserted when refreshed): forget what is past the window.
    if (!(l.start - firstTime <= o.reaskWindowMicros)) {
      for (const [k, v] of largeAnswers) {
        if (l.start - v.time <= o.reaskWindowMicros) {
          firstTime = v.time;
          break;
        }
        forgetLarge(k);
      }
    }
    for (let i = 0; i < l.questions.length; i++) for (let j = 0; j < l.questions[i]!.attempts.length; j++) {
      const q = l.questions[i]!;
      const a = q.attempts[j]!;
      if (a.transport !== 'udp' || !largeIds.has(a.id)) continue;
      const key = queryKey(l.client, a, l.nameLower);
      const large = largeAnswers.get(key);
      const sent = a.queries[0];
      if (large === undefined || sent === undefined) continue;
      // A re-send after a timeout: not sooner than MIN_REASK_MICROS, not later than the window, and
      // the same message (size and EDNS buffer), so a client that numbers its queries 1, 2, 3 …
      // (Windows nslookup) asking something else under a reused id is not taken for one.
      const gap = sent.time - large.time;
      if (gap < MIN_REASK_MICROS || gap > o.reaskWindowMicros || sent.size !== large.querySize || sent.ednsUdpSize !== large.queryEdns) continue;
      forgetLarge(key);
      // Counted by the piece that counted the large answer.
      const g = large.group;
      if (g === undefined) continue;
      if (!g.reasons.has('retried-after-large') && !fresh.includes(g)) fresh.push(g); // restated with the new reason
      g.reasons.add('retried-after-large');
      if (g.evidence.length < MAX_EVIDENCE) pushEvidence(g, queryEvidence(sent, a, l.client, `${qtypeName(q.qtype)} asked again ${((sent.time - large.time) / 1e6).toFixed(1)} s after a ${large.size} B answer (not received)`));
    }
  };

  /** A large reply `r` to attempt `a` of question `q`: noted, and remembered to see a re-ask. `tx`: transmissions(q). */
  const largeReply = (l: DnsLookup, q: DnsQuestionRecord, a: DnsAttempt, r: DnsReply, reasons: readonly Reason[], tx: ReturnType<typeof transmissions>): void => {
    const ev: Evidence[] = [replyEvidence(r, a, l.client, `${qtypeName(q.qtype)} reply, ${r.size} B${r.fragmented ? ` in ${r.fragmentFrames?.length ?? '?'} fragments` : ''}`)];
    // The client asking the same question again after this reply: it never got it.
    const again = tx.find((x) => x.sent.time > r.time && x.attempt.transport === 'udp');
    // glibc re-sends every question of a round when one is missing: only a re-ask while
    // every other question was already answered shows this reply was not received.
    const othersDone = again !== undefined && l.questions.every((o2) => o2 === q || (o2.answer !== undefined && o2.answer.time <= again.sent.time));
    if (again !== undefined && othersDone && q.answer?.frame === r.frame) {
      reasons = [...reasons, 'retried-after-large'];
      ev.push(queryEvidence(again.sent, again.attempt, l.client, `${qtypeName(q.qtype)} asked again (large reply not received)`));
    }
    const first = a.queries[0]!;
    ev.unshift(queryEvidence(first, a, l.client, `${qtypeName(q.qtype)} query${first.ednsUdpSize !== undefined ? `, EDNS ${first.ednsUdpSize}` : ''}`));
    const g = group(l.client, a.server, scope.owns(l));
    if (g !== undefined) {
      note(g, reasons, l.name, ev, r.size);
      g.maxEdns = Math.max(g.maxEdns, maxEdns(a));
      if (g.maxEdns > o.safeSize) g.reasons.add('edns-over-safe-size');
    }
    if (!reasons.includes('retried-after-large') && (g !== undefined || !scope.owns(l))) rememberLarge(queryKey(l.client, a, l.nameLower), g, r.time, r.size, a);
  };

  const lookup = (l: DnsLookup): void => {
    reasked(l);
    // Indexed loops, and the closures a large reply needs in largeReply(): a closure over a loop's
    // variables makes a context object per pass, and for-of an iterator where V8 has not optimised.
    // scope.owns(l) is asked only once a reply is large: most lookups have none.
    for (let i = 0; i < l.questions.length; i++) {
      const q = l.questions[i]!;
      let tx: ReturnType<typeof transmissions> | undefined;
      for (let j = 0; j < q.attempts.length; j++) {
        const a = q.attempts[j]!;
        for (let k = 0; k < a.replies.length; k++) {
          const r = a.replies[k]!;
          const reasons = replyReasons(r, a.transport, a.server);
          if (reasons.length > 0) largeReply(l, q, a, r, reasons, (tx ??= transmissions(q)));
        }
      }
      if (sawUdpTc(q)) {
        const tcAttempt = q.attempts.find((a) => a.replies.some((r) => r.tc))!;
        const tcReply = tcAttempt.replies.find((r) => r.tc)!;
        const failed = l.tcpFallbacks.filter((f) => f.result !== 'connected');
        const tcpAnswered = q.attempts.some((a) => a.transport === 'tcp' && a.replies.length > 0);
        if (tcpAnswered) continue;
        // Without a TCP/53 SYN in the capture nothing is proven: a resolver may take the TC=1 as a
        // cue to ask another server, or its TCP may leave by another path.
        if (failed.length === 0) continue;
        const reason: Reason = 'tc-tcp-failed';
        const ev: Evidence[] = [replyEvidence(tcReply, tcAttempt, l.client, `${qtypeName(q.qtype)} reply with TC=1`)];
        for (const f of failed) {
          ev.push({ frame: f.synFrame, time: f.synTime, mark: 'tcp-syn', role: `TCP/53 SYN (${f.result}${f.synRetries > 0 ? `, ${f.synRetries} retries` : ''})`, src: l.client, dst: `${f.server}:53` });
          if (f.replyFrame !== undefined) ev.push({ frame: f.replyFrame, time: f.replyTime ?? f.synTime, role: 'TCP/53 RST', mark: 'tcp-rst', src: `${f.server}:53`, dst: l.client });
        }
        const g = group(l.client, tcAttempt.server, scope.owns(l));
        if (g !== undefined) note(g, [reason], l.name, ev, tcReply.size);
      }
    }
    if (o.reportEdnsAlone) {
      for (const q of l.questions) for (const a of q.attempts) {
        const e = maxEdns(a);
        if (e > o.safeSize) {
          const g = group(l.client, a.server, scope.owns(l));
          if (g !== undefined && g.occurrences === 0) note(g, ['edns-over-safe-size'], l.name, [queryEvidence(a.queries[0]!, a, l.client, `query advertising EDNS ${e}`)], 0);
          if (g !== undefined) g.maxEdns = Math.max(g.maxEdns, e);
        }
      }
    }
  };

  return {
    name: 'large-response-risk',
    observe(r: DnsRecord): readonly Finding[] {
      if (r.type === 'lookup') lookup(r);
      else if (r.type === 'orphan') {
        const reasons = replyReasons(r.reply, r.transport, r.server);
        if (reasons.length > 0) {
          const g = group(r.client, r.server, scope.owns(r));
          const fake: DnsAttempt = { transport: r.transport, clientPort: r.clientPort, server: r.server, serverPort: r.serverPort, id: r.id, qtype: r.qtype ?? 0, queries: [], replies: [r.reply], outcome: 'answered', afterAnswer: false };
          if (g !== undefined) note(g, reasons, r.qname, [replyEvidence(r.reply, fake, r.client, 'reply (its query is not in the capture)')], r.reply.size);
        }
      }
      // Reported at once when announced (live capture, RecordScope.announces); finish() restates them with every occurrence.
      if (fresh.length === 0) return NO_FINDINGS;
      const out = scope.announces ? fresh.map((g) => finding(g, o)) : NO_FINDINGS;
      fresh.length = 0;
      return out;
    },
    restatesAtFinish: true,
    finish(): readonly Finding[] {
      return [...groups.groups.values()].map((g) => finding(g, o));
    },
    exportState: (): Group[] => [...groups.groups.values()],
    mergeState(state: unknown): void {
      for (const b of state as Group[]) {
        const a = groups.mergeTarget(`${b.client}|${b.server}`, b);
        if (a === undefined) continue;
        for (const r of b.reasons) a.reasons.add(r);
        mergeFirstByPosition(a, b, 'names', MAX_NAMES, (x, y) => x === y);
        a.occurrences += b.occurrences;
        a.largest = Math.max(a.largest, b.largest);
        a.maxEdns = Math.max(a.maxEdns, b.maxEdns);
        mergeFirstByPosition(a, b, 'evidence', MAX_EVIDENCE, (x, y) => x.frame === y.frame);
      }
    },
  };
}

/** Resolver timeouts are a second or more (glibc, dig, Windows): a quicker repeat is not a re-ask after a lost answer. */
const MIN_REASK_MICROS = 500_000;

/** replyReasons() for the usual small, whole reply: shared, as the caller skips an empty list. */
const NO_REASONS: readonly Reason[] = Object.freeze([]);

const isLoopback = (a: string): boolean => a === '::1' || inPrefix(a, '127.0.0.0/8');

/** A UDP attempt of the question got a TC=1 reply (a loop: this runs for every question of every lookup). */
function sawUdpTc(q: DnsQuestionRecord): boolean {
  for (let i = 0; i < q.attempts.length; i++) {
    const a = q.attempts[i]!;
    if (a.transport !== 'udp') continue;
    for (let j = 0; j < a.replies.length; j++) if (a.replies[j]!.tc) return true;
  }
  return false;
}

function maxEdns(a: DnsAttempt): number {
  let m = 0;
  for (const q of a.queries) if (q.ednsUdpSize !== undefined && q.ednsUdpSize > m) m = q.ednsUdpSize;
  return m;
}

const REASON_TEXT: Record<Reason, string> = {
  'ipv6-fragmented': 'answers in IPv6 fragments',
  'ipv4-fragmented': 'large answers in IPv4 fragments',
  'over-safe-size': 'UDP answers above the safe size',
  'retried-after-large': 'the client asked again after a large answer',
  'tc-tcp-failed': 'TC=1 answers whose TCP/53 retry failed',
  'edns-over-safe-size': 'EDNS buffer above the safe size',
};

function finding(g: Group, o: LargeResponseRiskOptions): Finding {
  const evidence = [...g.evidence].sort((a, b) => a.time - b.time || a.frame - b.frame);
  const first = evidence[0]!;
  const last = evidence[evidence.length - 1]!;
  const r = g.reasons;
  const harmed = r.has('retried-after-large') || r.has('tc-tcp-failed');
  const severity = harmed ? 'error' : r.has('ipv6-fragmented') ? 'warning' : 'info';
  const reasons = [...r].sort();
  return {
    id: `dns.large_response_risk:${first.frame}`,
    kind: 'dns.large_response_risk',
    severity,
    summary: `${g.client} ↔ ${g.server}: ${reasons.map((x) => REASON_TEXT[x]).join(', ')} (largest ${g.largest} B${g.maxEdns > 0 ? `, EDNS ${g.maxEdns}` : ''})${g.names.length > 0 ? `: ${g.names.slice(0, 3).map(printableName).join(', ')}` : ''}`,
    start: first.time,
    end: last.time,
    client: g.client,
    server: g.server,
    names: g.names,
    evidence,
    impact: {
      description: harmed
        ? 'answers did not reach the client: the lookup waited for a timeout or failed'
        : 'these answers work on this path today but break where fragments or large UDP datagrams are dropped',
      occurrences: g.occurrences,
    },
    confidence: harmed
      ? { level: 'high', reason: r.has('tc-tcp-failed') ? 'the TCP/53 connection after TC=1 got no SYN-ACK or a reset' : 'the client asked the same question again after the large answer was seen here' }
      : { level: 'medium', reason: `measured sizes above ${o.safeSize} B or fragments in the capture; no failure seen here` },
    remedy: REMEDY,
    displayFilter: displayFilter(evidence.map((e) => e.frame), [g.client, g.server]),
    details: { reasons, largestSize: g.largest, maxEdnsUdpSize: g.maxEdns, safeSize: o.safeSize, occurrences: g.occurrences },
  };
}

/** The registry's entry (src/detect/registry.ts). */
export const largeResponseRiskDetector = defineDetector({
  kind: 'dns.large_response_risk', records: 'dns', lane: 'dns', defaults: DEFAULT_LARGE_RESPONSE_RISK_OPTIONS, create: createLargeResponseRisk,
  readme: { what: 'answers above 1232 bytes or in IPv6 fragments, TC=1 followed by a failing TCP/53 retry', remedy: 'EDNS buffer ≤ 1232, allow TCP/53' },
});
