// dns.same_port_reply_drop (INCIDENTS §1): A and AAAA from one client socket, one reply missing at
// this capture point, the lost question asked again after the resolver's timeout. One finding per
// lookup it cost (up to a cap per client/server pair), each with how often the pair showed it, so a
// repeat is visible and each occurrence keeps its own frames. Held until finish() for the counts.
import type { Micros } from '../../core/index.js';
import { QTYPE_A, QTYPE_AAAA, type DnsAttempt, type DnsLookup, type DnsQuerySent, type DnsQuestionRecord, type DnsRecord, type DnsReply } from '../../reconstruct/dns/index.js';
import { defineDetector, RecordScope, type Detector, type Explanations } from '../detector.js';
import type { Evidence, Finding } from '../finding.js';
import {
  CappedGroups,
  type AttemptShown,
  displayFilter,
  durationText,
  median,
  NO_FINDINGS,
  printableName,
  qtypeName,
  queryEvidence,
  replyEvidence,
  question,
  sortEvidence,
  transmissions,
  sameUdpSocket,
  usable,
} from './common.js';
import { DownstreamLossTracker, type DownstreamLoss, type DownstreamLossOptions } from './reply-lost-downstream.js';

const KIND = 'dns.same_port_reply_drop';

export interface SamePortOptions {
  /** Both questions left the socket within this window: default 100 ms. */
  pairWindowMicros: Micros;
  /** A re-send sooner than this is not a timeout retry: default 300 ms. */
  minRetryMicros: Micros;
  /**
   * The re-sent lost question counts as promptly answered (so its first reply was lost, not late)
   * when answered within max(promptFactor × the kept reply's RTT, promptFloorMicros) of the re-send.
   */
  promptFactor: number;
  promptFloorMicros: Micros;
  /**
   * Where the capture ended, when known (set by the detector at the end of input): a question
   * re-asked this long before the end without an answer counts as unanswered even though the
   * capture stopped before the client's timeout.
   */
  captureEndMicros?: Micros;
}

export const DEFAULT_SAME_PORT_OPTIONS: SamePortOptions = {
  pairWindowMicros: 100_000,
  minRetryMicros: 300_000,
  promptFactor: 10,
  promptFloorMicros: 200_000,
};

export interface SamePortReplyDropOptions extends SamePortOptions, Omit<DownstreamLossOptions, 'minRetryMicros'> {
  /** Client/server pairs tracked, and occurrences kept as findings per pair (the rest counted). */
  maxPairs: number;
  maxFindingsPerPair: number;
}

export const DEFAULT_SAME_PORT_REPLY_DROP_OPTIONS: SamePortReplyDropOptions = {
  ...DEFAULT_SAME_PORT_OPTIONS,
  maxRetryMicros: 30_000_000,
  maxRemembered: 4096,
  maxPairs: 256,
  maxFindingsPerPair: 20,
};

// The firewall is the cause, and the only fix for every client: `single-request-reopen` is glibc's
// option, and the other stubs that send the pair from one socket read no such option (musl reads
// ndots, timeout and attempts; c-ares, behind Node's dns.resolve*, keeps one UDP socket per server):
// the lab's musl and c-ares captures (samples/stub-*) show both losing the reply the same way.
const REMEDY =
  'Fix the firewall or NAT that keeps one UDP session per 5-tuple and drops the second reply. ' +
  'On glibc clients `options single-request-reopen` in /etc/resolv.conf (a new socket per query) avoids it meanwhile; ' +
  'musl and c-ares (Node\'s dns.resolve*) ignore that option.';

interface Pair {
  key: string;
  occurrences: number;
  kept: SamePortDrop[];
  /** Seen from the server's side: replies that left here, questions the client asked again. */
  downstream: DownstreamLoss[];
  /** Where each kept occurrence was observed (RecordScope.position): the first maxFindingsPerPair are kept. */
  keptAt: number[];
  downstreamAt: number[];
}

export function createSamePortReplyDrop(options: Partial<SamePortReplyDropOptions> = {}, explanations?: Explanations, _view?: unknown, scope: RecordScope = new RecordScope()): Detector<DnsRecord> {
  const o: SamePortReplyDropOptions = { ...DEFAULT_SAME_PORT_REPLY_DROP_OPTIONS, ...options };
  const pairs = new CappedGroups<Pair>(o.maxPairs);
  const downstream = new DownstreamLossTracker(o);
  const pairOf = (client: string, server: string): Pair | undefined =>
    pairs.get(`${client}|${server}`, () => ({ key: `${client}|${server}`, occurrences: 0, kept: [], downstream: [], keptAt: [], downstreamAt: [] }));
  return {
    name: 'same-port-reply-drop',
    restatesAtFinish: true,
    captureEnd(time) {
      o.captureEndMicros = time;
    },
    observe(r: DnsRecord): readonly Finding[] {
      if (r.type !== 'lookup') return NO_FINDINGS;
      const drops = samePortDrops(r, o);
      // The server-side view, for every lookup (a round may be re-asked in a later lookup); a
      // socket this capture already shows losing a reply is not reported twice.
      const seen = downstream.observe(r);
      const losses = seen.length === 0 || drops.length === 0
        ? seen
        : seen.filter((x) => !drops.some((d) => d.keptAttempt.clientPort === x.first.clientPort && d.keptAttempt.server === x.first.server));
      if (drops.length === 0 && losses.length === 0) return NO_FINDINGS;
      // The lookup's delay is this incident's, whether or not the pair's cap lets it be reported.
      explanations?.explain(r, KIND);
      // Counted by the piece of a split capture that owns the lookup (RecordScope); the rounds it
      // showed the server-side tracker above are context for every piece that reads it.
      if (!scope.owns(r)) return NO_FINDINGS;
      const at = scope.position;
      const out: Finding[] = [];
      for (const d of drops) {
        const pair = pairOf(r.client, d.keptAttempt.server);
        if (pair === undefined) continue;
        pair.occurrences++;
        if (pair.kept.length + pair.downstream.length >= o.maxFindingsPerPair) continue;
        pair.kept.push(d);
        pair.keptAt.push(at);
        // Reported at once when announced (live capture, RecordScope.announces); finish() restates it with the pair's count and median timeout.
        if (scope.announces) out.push(finding(d, pair.occurrences, d.inferredTimeoutMicros));
      }
      for (const x of losses) {
        const pair = pairOf(x.first.client, x.first.server);
        if (pair === undefined) continue;
        pair.occurrences++;
        if (pair.kept.length + pair.downstream.length >= o.maxFindingsPerPair) continue;
        pair.downstream.push(x);
        pair.downstreamAt.push(at);
        if (scope.announces) out.push(downstreamFinding(x, pair.occurrences));
      }
      return out;
    },
    finish(): readonly Finding[] {
      const out: Finding[] = [];
      for (const pair of pairs.groups.values()) {
        const timeouts = pair.kept.map((d) => d.inferredTimeoutMicros);
        for (const d of pair.kept) out.push(finding(d, pair.occurrences, median(timeouts)));
        for (const x of pair.downstream) out.push(downstreamFinding(x, pair.occurrences));
      }
      return out;
    },
    exportState: (): Pair[] => [...pairs.groups.values()],
    mergeState(state: unknown): void {
      for (const b of state as Pair[]) {
        const a = pairs.groups.get(b.key);
        if (a === undefined) {
          pairs.get(b.key, () => b);
          continue;
        }
        a.occurrences += b.occurrences;
        // The first maxFindingsPerPair occurrences of either side, in observed order (ties: file order).
        const all = [
          ...a.kept.map((d, i) => ({ at: a.keptAt[i]!, d })), ...a.downstream.map((x, i) => ({ at: a.downstreamAt[i]!, x })),
          ...b.kept.map((d, i) => ({ at: b.keptAt[i]!, d })), ...b.downstream.map((x, i) => ({ at: b.downstreamAt[i]!, x })),
        ].map((e, order) => ({ ...e, order })).sort((p, q) => p.at - q.at || p.order - q.order).slice(0, o.maxFindingsPerPair);
        a.kept = [];
        a.keptAt = [];
        a.downstream = [];
        a.downstreamAt = [];
        for (const e of all) {
          if ('d' in e) {
            a.kept.push(e.d);
            a.keptAt.push(e.at);
          } else {
            a.downstream.push(e.x);
            a.downstreamAt.push(e.at);
          }
        }
      }
    },
  };
}

/** dns.same_port_reply_drop from a capture point before the loss (server, resolver, router). */
function downstreamFinding(x: DownstreamLoss, occurrences: number): Finding {
  const { client, server, clientPort: port, serverPort, aSent, aaaaSent, aReply, aaaaReply } = x.first;
  const a: AttemptShown = { clientPort: port, server, serverPort, qtype: QTYPE_A, transport: 'udp', id: x.first.aId };
  const aaaa: AttemptShown = { ...a, qtype: QTYPE_AAAA, id: x.first.aaaaId };
  const told: Evidence[] = [
    queryEvidence(aSent, a, client, 'A query (first round)'),
    queryEvidence(aaaaSent, aaaa, client, 'AAAA query (first round)'),
    replyEvidence(aReply, a, client, 'A reply (left here)'),
    replyEvidence(aaaaReply, aaaa, client, 'AAAA reply (left here)'),
  ];
  for (const re of x.reasks) {
    const name = qtypeName(re.qtype);
    for (const s of re.queries) told.push(queryEvidence(s, re, client, `${name} asked again (same id)`));
    for (const rep of re.replies) told.push(replyEvidence(rep, re, client, `${name} reply to the re-ask`));
  }
  // sortEvidence returns a new list (it does not sort in place).
  const evidence = sortEvidence(told).slice(0, 32);
  const first = evidence[0]!;
  const last = evidence[evidence.length - 1]!;
  const name = printableName(x.first.name);
  const asked = [...new Set(x.reasks.map((re) => qtypeName(re.qtype)))].join(' and ');
  const replyAge = Math.max(aReply.time - aSent.time, aaaaReply.time - aaaaSent.time);
  const which = x.lostReply === 'unknown'
    ? 'which reply of the pair was lost does not show here (the client asked again from the first question on)'
    : `the client asked again only for ${x.lostReply}: that reply was lost`;
  const repeat = occurrences > 1 ? `; ${occurrences} lookups from this client to this server show it` : '';
  return {
    id: `dns.same_port_reply_drop:${first.frame}`,
    kind: 'dns.same_port_reply_drop',
    severity: 'warning',
    summary: `reply lost downstream for ${name}: A and AAAA from ${client} port ${port} were both answered here within ${durationText(replyAge)}, ` +
      `yet ${durationText(x.reaskAfterMicros)} later the client asked ${asked} again on the same port under the same id; ${which}${repeat}`,
    start: first.time,
    end: last.time,
    client,
    server,
    names: [x.first.name],
    evidence,
    impact: {
      description: `the client waited for its timeout (about ${durationText(x.reaskAfterMicros)}) before asking again; whether the lookup then succeeded does not show at this capture point`,
      delayMicros: x.delayMicros,
      occurrences,
    },
    confidence: occurrences > 1
      ? { level: 'high', reason: `${occurrences} lookups from one socket each: both replies left here and the client asked again after a timeout under the same id` }
      : { level: 'medium', reason: 'one lookup: both replies left here and the client asked again after a timeout under the same id, so it did not receive one; a single lost packet looks the same' },
    remedy: REMEDY,
    displayFilter: displayFilter(evidence.map((e) => e.frame), [client, server]),
    details: {
      seenFrom: 'server-side',
      capturePointShows: 'both replies left this capture point; the client did not receive at least one of them',
      capturePointCannotShow: 'where the reply was lost (somewhere between here and the client: a firewall or NAT keeping one UDP session per 5-tuple is the usual cause)' +
        (x.lostReply === 'unknown' ? ', which reply of the pair was lost' : '') + ', and whether the lookup finally succeeded',
      lostReply: x.lostReply,
      clientPort: port,
      serverPort,
      reasked: x.reasks.map((re) => qtypeName(re.qtype)),
      reaskFrames: x.reasks.map((re) => re.queries[0]!.frame),
      reaskAfterMicros: x.reaskAfterMicros,
      occurrencesOnPair: occurrences,
    },
  };
}

function finding(d: SamePortDrop, occurrences: number, pairTimeout: number): Finding {
  const l: DnsLookup = d.lookup;
  const lost = qtypeName(d.lost.qtype);
  const kept = qtypeName(d.kept.qtype);
  const port = d.keptAttempt.clientPort;
  const server = d.keptAttempt.server;
  // Every query and reply of both questions, with roles that tell the story.
  const told: Evidence[] = [];
  for (const q of [d.kept, d.lost]) {
    const name = qtypeName(q.qtype);
    for (const x of transmissions(q)) {
      if (!d.attempts.includes(x.attempt)) continue;
      const role = x.sent === d.keptAttempt.queries[0] ? `${name} query (first round)`
        : x.sent === d.lostAttempt.queries[0] ? `${name} query (reply lost)`
        : `${name} asked again`;
      told.push(queryEvidence(x.sent, x.attempt, l.client, role));
    }
    for (const a of q.attempts) {
      if (!d.attempts.includes(a)) continue;
      for (const rep of a.replies) {
        const role = rep === d.keptReply ? `${name} reply (arrived)` : rep === d.finalAnswer ? `${name} reply (to the re-sent query)` : `${name} reply`;
        told.push(replyEvidence(rep, a, l.client, role));
      }
    }
  }
  const evidence = sortEvidence(told).slice(0, 32);
  const first = evidence[0]!;
  const last = evidence[evidence.length - 1]!;
  const name = printableName(l.name);
  const outcome = d.finalAnswer !== undefined
    ? `answered ${durationText(d.finalAnswer.time - d.lostAttempt.queries[0]!.time)} after it was first asked`
    : !d.lost.attempts.some((a) => a.queries.includes(d.resend))
      ? `never answered: the client asked ${kept} again on the same socket and that got no reply either (every reply after the first on this 5-tuple is dropped)`
      : 'never answered: every later reply on this socket is missing too';
  const failed = d.lookupFailed ? '; the lookup failed (the application sees "host not found" although the server answered)' : '';
  // glibc in single-request mode (set on itself after an earlier drop) sends the second query on
  // the same socket only once the first is answered: the firewall drops its reply all the same.
  const sent = d.lostAttempt.queries[0]!.time > d.keptReply.time
    ? `${lost} left ${l.client} port ${port} after the ${kept} reply, on the same socket,`
    : `A and AAAA left ${l.client} port ${port} together`;
  const repeat = occurrences > 1 ? `; ${occurrences} lookups from this client to this server hit it` : '';
  const confident = occurrences > 1 && d.finalAnswer !== undefined;
  const confidence = confident
    ? { level: 'high' as const, reason: `the ${lost} reply went missing on ${occurrences} lookups from one socket each, and was answered promptly when asked again` }
    : d.finalAnswer !== undefined
      ? { level: 'medium' as const, reason: `one occurrence: the ${lost} question is answered promptly when asked again, so its first reply was lost, but a single lost packet looks the same` }
      : { level: 'medium' as const, reason: 'the reply of the first round is missing and every later query on the same socket went unanswered; a server that stopped answering would look the same' };
  return {
    id: `dns.same_port_reply_drop:${first.frame}`,
    kind: KIND,
    severity: d.finalAnswer === undefined ? 'error' : 'warning',
    summary: `${lost} reply lost for ${name}: ${sent} for ${server}; ${lost} ${outcome}${failed}${repeat}`,
    start: first.time,
    end: last.time,
    client: l.client,
    server,
    names: [l.name],
    evidence,
    impact: {
      description: d.lookupFailed
        ? `the lookup failed: no answer to ${lost} reached the client, and its re-asked questions went unanswered for ${durationText(d.delayMicros)} after the ${kept} reply (the server answered; replies after the first on this 5-tuple are dropped)`
        : `the lookup ended ${durationText(d.delayMicros)} after the ${kept} reply instead of with it (the client waited for its ${durationText(d.inferredTimeoutMicros)} timeout)`,
      delayMicros: d.delayMicros,
      occurrences,
    },
    confidence,
    remedy: REMEDY,
    displayFilter: displayFilter(evidence.map((e) => e.frame), [l.client, server]),
    details: {
      seenFrom: 'client-side',
      lookupFailed: d.lookupFailed,
      lostReply: lost,
      arrivedReply: kept,
      clientPort: port,
      serverPort: d.keptAttempt.serverPort,
      lostQueryId: d.lostAttempt.id,
      lostQueryFrame: d.lostAttempt.queries[0]!.frame,
      resendFrame: d.resend.frame,
      finalAnswerFrame: d.finalAnswer?.frame ?? null,
      firstRoundGapMicros: Math.abs(d.lostAttempt.queries[0]!.time - d.keptAttempt.queries[0]!.time),
      lostWasSecond: d.lostWasSecond,
      inferredTimeoutMicros: d.inferredTimeoutMicros,
      pairMedianTimeoutMicros: pairTimeout,
      occurrencesOnPair: occurrences,
      laterRepliesAlsoMissing: d.socketDead,
      pattern: l.pattern,
    },
  };
}

// ─── The rule (INCIDENTS §1) ────────────────────────────────────────────────────────────────────

interface SamePortDrop {
  readonly lookup: DnsLookup;
  /** The question whose reply arrived in the first round. */
  readonly kept: DnsQuestionRecord;
  /** The question whose reply is missing. */
  readonly lost: DnsQuestionRecord;
  readonly keptAttempt: DnsAttempt;
  readonly lostAttempt: DnsAttempt;
  readonly keptReply: DnsReply;
  /** First transmission of the lost question after the first round. */
  readonly resend: DnsQuerySent;
  /** The reply that finally answered the lost question, if any. */
  readonly finalAnswer: DnsReply | undefined;
  /** resend − first transmission of the lost question: the client's timeout. */
  readonly inferredTimeoutMicros: number;
  /** The lookup would have ended with the kept reply; it ended here instead. */
  readonly delayMicros: number;
  /** Later transmissions on the same socket also went unanswered (every later reply dropped). */
  readonly socketDead: boolean;
  /**
   * No answer to the lost question reached the client, and what it asked again on the socket went
   * unanswered too: the lookup failed (or was failing when the capture ended), although the server
   * had answered (the sticky firewall: every reply after the first on the 5-tuple dropped).
   */
  readonly lookupFailed: boolean;
  /** The lost question was the second one sent (its reply the second to arrive). */
  readonly lostWasSecond: boolean;
  /** The attempts that show it: the socket's, and those of the retry (other callers' left out). */
  readonly attempts: readonly DnsAttempt[];
}

/**
 * INCIDENTS §1 from one lookup: the A and AAAA questions left one UDP socket for one server
 * together; one reply came, the other did not before the client asked that question again (after
 * its timeout); and the lost question was answered promptly when asked again (so the server does
 * answer it: not §2), or every later reply on that socket is missing too (a firewall that drops
 * all later replies of the 5-tuple). Nothing is concluded when the capture ends before a re-send.
 *
 * Each client socket is judged on its own: a busy client resolving one name from several threads
 * at once has several sockets in one lookup, and only the socket that lost a reply shows it.
 * Returns every A/AAAA pair sent from one socket in this lookup that lost one reply (usually one).
 */
function samePortDrops(l: DnsLookup, o: SamePortOptions): readonly SamePortDrop[] {
  if (l.family !== 'address') return NO_DROPS;
  const qa = question(l, QTYPE_A);
  const q6 = question(l, QTYPE_AAAA);
  if (qa === undefined || q6 === undefined) return NO_DROPS;
  // Each question sent once (most lookups): nothing was asked again, so no drop shows.
  if (sentOnce(qa) && sentOnce(q6)) return NO_DROPS;
  let out: SamePortDrop[] | undefined;
  // AAAA attempts already paired: a list, as there are seldom more than one or two.
  let paired: DnsAttempt[] | undefined;
  for (const a1 of qa.attempts) {
    if (a1.transport !== 'udp') continue;
    const ta = a1.queries[0]!.time;
    let b1: DnsAttempt | undefined;
    for (const b of q6.attempts) {
      if (paired?.includes(b) !== true && sameUdpSocket(a1, b) && Math.abs(b.queries[0]!.time - ta) <= o.pairWindowMicros) {
        b1 = b;
        break;
      }
    }
    if (b1 === undefined) continue;
    (paired ??= []).push(b1);
    const d = pairDrop(l, qa, q6, a1, b1, o);
    if (d !== undefined) (out ??= []).push(d);
  }
  return out ?? NO_DROPS;
}

const NO_DROPS: readonly SamePortDrop[] = Object.freeze([]);

const sentOnce = (q: DnsQuestionRecord): boolean => q.attempts.length === 1 && q.attempts[0]!.queries.length === 1;

/**
 * The next transmission of `q` after `first` (sent at `t`): on the same socket if there is one
 * (glibc and musl re-send there, same id), else from another socket at least a retry interval
 * later (a stub that re-asks from a new port). Transmissions from other sockets sooner than that
 * are another caller's lookup running at the same time, not this one's retry.
 */
function nextOnSocket(q: DnsQuestionRecord, t: Micros, first: DnsQuerySent, socket: DnsAttempt, o: SamePortOptions): { sent: DnsQuerySent; attempt: DnsAttempt } | undefined {
  let same: { sent: DnsQuerySent; attempt: DnsAttempt } | undefined;
  let other: { sent: DnsQuerySent; attempt: DnsAttempt } | undefined;
  for (const a of q.attempts) {
    const mine = sameUdpSocket(a, socket);
    for (const s of a.queries) {
      if (s.time <= t || s === first) continue;
      if (mine) {
        if (same === undefined || s.time < same.sent.time) same = { sent: s, attempt: a };
      } else if (s.time - t >= o.minRetryMicros && (other === undefined || s.time < other.sent.time)) {
        other = { sent: s, attempt: a };
      }
    }
  }
  return same ?? other;
}

function pairDrop(l: DnsLookup, qa: DnsQuestionRecord, q6: DnsQuestionRecord, a1: DnsAttempt, b1: DnsAttempt, o: SamePortOptions): SamePortDrop | undefined {
  const ta = a1.queries[0]!.time;
  const t6 = b1.queries[0]!.time;
  const nextA = nextOnSocket(qa, ta, a1.queries[0]!, a1, o);
  const next6 = nextOnSocket(q6, t6, b1.queries[0]!, b1, o);
  // The round ends when either question is asked again.
  const roundEnd = Math.min(nextA?.sent.time ?? Infinity, next6?.sent.time ?? Infinity);
  const replyA = a1.replies.find((r) => r.time < roundEnd && usable(r));
  const reply6 = b1.replies.find((r) => r.time < roundEnd && usable(r));
  if ((replyA === undefined) === (reply6 === undefined)) return undefined; // both or neither
  const keptIsA = replyA !== undefined;
  const kept = keptIsA ? qa : q6;
  const lost = keptIsA ? q6 : qa;
  const keptAttempt = keptIsA ? a1 : b1;
  const lostAttempt = keptIsA ? b1 : a1;
  const keptReply = (keptIsA ? replyA : reply6)!;
  const lostFirst = lostAttempt.queries[0]!.time;
  const re = keptIsA ? next6 : nextA;
  if (re === undefined) {
    // The lost question was not asked again, but the kept one may have been (glibc, after losing a
    // reply, falls back to one question at a time and starts again with the first): if that
    // re-ask, answered within milliseconds the first time, now gets nothing, later replies on the
    // 5-tuple are being dropped too. Otherwise the capture ended before the client re-asked.
    const keptRe = keptIsA ? nextA : next6;
    return keptRe === undefined ? undefined : stickyRound(l, qa, q6, a1, kept, lost, keptAttempt, lostAttempt, keptReply, keptRe, roundEnd, o);
  }
  const resend = re.sent;
  if (resend.time - lostFirst < o.minRetryMicros) return undefined;
  // A reply to the lost question's first transmission that came late (after the re-send but
  // before a re-send could have been answered) would mean a slow server, not a lost reply: an
  // attempt with two or more replies, or any reply to the first attempt when it was re-sent under
  // another key, shows the first reply did arrive.
  if (lostAttempt.replies.length > (lostAttempt.queries.length > 1 ? 1 : 0)) return undefined;
  const keptRtt = keptReply.time - keptAttempt.queries[0]!.time;
  const prompt = Math.max(o.promptFactor * keptRtt, o.promptFloorMicros);
  // The reply to the re-sent question: to the re-sent attempt, else to a later attempt of it.
  const replyFrom = (a: DnsAttempt): DnsReply | undefined => a.replies.find((x) => !x.tc && x.time >= resend.time);
  let finalAttempt: DnsAttempt | undefined = replyFrom(re.attempt) !== undefined ? re.attempt : undefined;
  let finalAnswer = finalAttempt === undefined ? undefined : replyFrom(finalAttempt);
  if (finalAnswer === undefined) {
    for (const a of lost.attempts) {
      if (!a.queries.some((s) => s.time >= resend.time)) continue;
      const r = replyFrom(a);
      if (r !== undefined && (finalAnswer === undefined || r.time < finalAnswer.time)) {
        finalAnswer = r;
        finalAttempt = a;
      }
    }
  }
  let answeredPromptly = false;
  if (finalAnswer !== undefined) {
    // The latest transmission of that attempt before its answer.
    let lastBefore = resend.time;
    for (const s of finalAttempt!.queries) if (s.time <= finalAnswer.time && s.time > lastBefore) lastBefore = s.time;
    answeredPromptly = finalAnswer.time - lastBefore <= prompt;
  }
  // Every later transmission on the first-round socket unanswered, at least one of the kept question.
  let laterOnSocket = 0;
  let laterAnswered = 0;
  let keptResentOnSocket = false;
  for (const q of [qa, q6]) {
    for (const x of transmissions(q)) {
      if (x.sent.time < roundEnd || !sameUdpSocket(x.attempt, a1)) continue;
      laterOnSocket++;
      if (x.attempt.replies.some((r) => r.time >= x.sent.time)) laterAnswered++;
      if (q === kept) keptResentOnSocket = true;
    }
  }
  const socketDead = laterOnSocket > 0 && laterAnswered === 0 && keptResentOnSocket &&
    kept.attempts.some((a) => sameUdpSocket(a, a1) && a.outcome === 'unanswered');
  if (!answeredPromptly && !socketDead) return undefined;
  const lookupFailed = finalAnswer === undefined && socketDead && lost.answer === undefined;
  const end = finalAnswer !== undefined ? finalAnswer.time : l.end;
  // The attempts that tell this story: the socket's, and those of the retry (from the re-send on).
  const attempts: DnsAttempt[] = [];
  for (const q of [qa, q6]) {
    for (const a of q.attempts) {
      const t = a.queries[0]!.time;
      if (sameUdpSocket(a, a1) || a === re.attempt || a === finalAttempt || (t >= resend.time && t <= end)) attempts.push(a);
    }
  }
  return {
    lookup: l,
    kept,
    lost,
    keptAttempt,
    lostAttempt,
    keptReply,
    resend,
    finalAnswer,
    inferredTimeoutMicros: resend.time - lostFirst,
    delayMicros: Math.max(0, end - keptReply.time),
    socketDead,
    lookupFailed,
    lostWasSecond: lostFirst > keptAttempt.queries[0]!.time,
    attempts,
  };
}
/**
 * The sticky firewall seen at the client when the lost question was never asked again: the kept
 * question is re-asked on the same socket after the client's timeout and that re-ask, and anything
 * else later on the socket, gets no reply: proven by the reconstructor (unanswered) or by the
 * capture running on for the prompt window past the last transmission.
 */
function stickyRound(
  l: DnsLookup,
  qa: DnsQuestionRecord,
  q6: DnsQuestionRecord,
  a1: DnsAttempt,
  kept: DnsQuestionRecord,
  lost: DnsQuestionRecord,
  keptAttempt: DnsAttempt,
  lostAttempt: DnsAttempt,
  keptReply: DnsReply,
  keptRe: { sent: DnsQuerySent; attempt: DnsAttempt },
  roundEnd: Micros,
  o: SamePortOptions,
): SamePortDrop | undefined {
  if (!sameUdpSocket(keptRe.attempt, a1) || lostAttempt.replies.length > 0 || lost.answer !== undefined) return undefined;
  const lostFirst = lostAttempt.queries[0]!.time;
  if (keptRe.sent.time - keptAttempt.queries[0]!.time < o.minRetryMicros) return undefined;
  const prompt = Math.max(o.promptFactor * (keptReply.time - keptAttempt.queries[0]!.time), o.promptFloorMicros);
  let lastOnSocket = keptRe.sent.time;
  let allUnanswered = true;
  const attempts: DnsAttempt[] = [];
  for (const q of [qa, q6]) {
    for (const a of q.attempts) {
      if (!sameUdpSocket(a, a1)) continue;
      attempts.push(a);
      for (const s of a.queries) if (s.time >= roundEnd && s.time > lastOnSocket) lastOnSocket = s.time;
      for (const r of a.replies) if (r.time >= roundEnd) return undefined; // something got through
      if (a.queries.some((s) => s.time >= roundEnd) && a.outcome !== 'unanswered') allUnanswered = false;
    }
  }
  // The client itself shows the re-ask timed out when it sent it yet again; else the capture must
  // have run on past the prompt window after the last transmission.
  const resentAgain = lastOnSocket > keptRe.sent.time;
  const waited = o.captureEndMicros !== undefined && o.captureEndMicros - lastOnSocket >= prompt;
  if (!allUnanswered && !resentAgain && !waited) return undefined;
  return {
    lookup: l,
    kept,
    lost,
    keptAttempt,
    lostAttempt,
    keptReply,
    resend: keptRe.sent,
    finalAnswer: undefined,
    inferredTimeoutMicros: keptRe.sent.time - lostFirst,
    delayMicros: Math.max(0, Math.max(l.end, lastOnSocket) - keptReply.time),
    socketDead: true,
    lookupFailed: true,
    lostWasSecond: lostFirst > keptAttempt.queries[0]!.time,
    attempts,
  };
}


/** The registry's entry (src/detect/registry.ts). */
export const samePortReplyDropDetector = defineDetector({
  kind: KIND, records: 'dns', lane: 'dns', defaults: DEFAULT_SAME_PORT_REPLY_DROP_OPTIONS, create: createSamePortReplyDrop, explains: 'publishes',
  readme: { what: 'A and AAAA sent from one socket; a stateful firewall drops the second reply (or, sticky, every reply after the first: the lookup fails, an error); the stub re-asks after its timeout. From the client (reply missing) or from the server / resolver / a router before the loss (both replies left, the client re-asked under the same id), saying what that capture point cannot know', remedy: 'fix the firewall\'s UDP handling; glibc clients meanwhile: `options single-request-reopen` (musl and c-ares ignore it)' },
});
