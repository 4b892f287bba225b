// dns.same_port_reply_drop (INCIDENTS §1): A and AAAA from one client socket, one reply missing at
// this capture point, the lost question asked again after the resolver's timeout. One finding per
// lookup it cost (up to a cap per client/server pair), each with how often the pair showed it, so a
// repeat is visible and each occurrence keeps its own frames. Held until finish() for the counts.
import type { Micros } from '../../core/index.js';
import { QTYPE_A, QTYPE_AAAA, type DnsAttempt, type DnsLookup, type DnsQuerySent, type DnsQuestionRecord, type DnsRecord, type DnsReply } from '../../reconstruct/dns/index.js';
import { defineDetector, type Detector, type Explanations } from '../detector.js';
import type { Evidence, Finding } from '../finding.js';
import {
  CappedGroups,
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
  usable,
} from './common.js';

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
}

export const DEFAULT_SAME_PORT_OPTIONS: SamePortOptions = {
  pairWindowMicros: 100_000,
  minRetryMicros: 300_000,
  promptFactor: 10,
  promptFloorMicros: 200_000,
};

export interface SamePortReplyDropOptions extends SamePortOptions {
  /** Client/server pairs tracked, and occurrences kept as findings per pair (the rest counted). */
  maxPairs: number;
  maxFindingsPerPair: number;
}

export const DEFAULT_SAME_PORT_REPLY_DROP_OPTIONS: SamePortReplyDropOptions = {
  ...DEFAULT_SAME_PORT_OPTIONS,
  maxPairs: 256,
  maxFindingsPerPair: 20,
};

const REMEDY =
  'Add `options single-request-reopen` to /etc/resolv.conf on the client (a new socket per query), ' +
  'and fix the firewall or NAT that keeps one UDP session per 5-tuple and drops the second reply.';

interface Pair {
  occurrences: number;
  kept: SamePortDrop[];
}

export function createSamePortReplyDrop(options: Partial<SamePortReplyDropOptions> = {}, explanations?: Explanations): Detector<DnsRecord> {
  const o = { ...DEFAULT_SAME_PORT_REPLY_DROP_OPTIONS, ...options };
  const pairs = new CappedGroups<Pair>(o.maxPairs);
  return {
    name: 'same-port-reply-drop',
    restatesAtFinish: true,
    observe(r: DnsRecord): Finding[] {
      if (r.type !== 'lookup') return NO_FINDINGS;
      const drops = samePortDrops(r, o);
      if (drops.length === 0) return NO_FINDINGS;
      // The lookup's delay is this incident's, whether or not the pair's cap lets it be reported.
      explanations?.explain(r, KIND);
      const out: Finding[] = [];
      for (const d of drops) {
        const pair = pairs.get(`${r.client}|${d.keptAttempt.server}`, () => ({ occurrences: 0, kept: [] }));
        if (pair === undefined) continue;
        pair.occurrences++;
        if (pair.kept.length >= o.maxFindingsPerPair) continue;
        pair.kept.push(d);
        // Reported at once (live capture); finish() restates it with the pair's count and median timeout.
        out.push(finding(d, pair.occurrences, d.inferredTimeoutMicros));
      }
      return out;
    },
    finish(): Finding[] {
      const out: Finding[] = [];
      for (const pair of pairs.groups.values()) {
        const timeouts = pair.kept.map((d) => d.inferredTimeoutMicros);
        for (const d of pair.kept) out.push(finding(d, pair.occurrences, median(timeouts)));
      }
      return out;
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
  const evidence: Evidence[] = [];
  for (const q of [d.kept, d.lost]) {
    const name = qtypeName(q.qtype);
    for (const x of transmissions(q)) {
      if (!d.attempts.includes(x.attempt)) continue;
      const role = x.sent === d.keptAttempt.queries[0] ? `${name} query (first round)`
        : x.sent === d.lostAttempt.queries[0] ? `${name} query (reply lost)`
        : `${name} asked again`;
      evidence.push(queryEvidence(x.sent, x.attempt, l.client, role));
    }
    for (const a of q.attempts) {
      if (!d.attempts.includes(a)) continue;
      for (const rep of a.replies) {
        const role = rep === d.keptReply ? `${name} reply (arrived)` : rep === d.finalAnswer ? `${name} reply (to the re-sent query)` : `${name} reply`;
        evidence.push(replyEvidence(rep, a, l.client, role));
      }
    }
  }
  sortEvidence(evidence);
  evidence.splice(32);
  const first = evidence[0]!;
  const last = evidence[evidence.length - 1]!;
  const name = printableName(l.name);
  const outcome = d.finalAnswer !== undefined
    ? `answered ${durationText(d.finalAnswer.time - d.lostAttempt.queries[0]!.time)} after it was first asked`
    : 'never answered: every later reply on this socket is missing too';
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
    summary: `${lost} reply lost for ${name}: ${sent} for ${server}; ${lost} ${outcome}${repeat}`,
    start: first.time,
    end: last.time,
    client: l.client,
    server,
    names: [l.name],
    evidence,
    impact: {
      description: `the lookup ended ${durationText(d.delayMicros)} after the ${kept} reply instead of with it (the client waited for its ${durationText(d.inferredTimeoutMicros)} timeout)`,
      delayMicros: d.delayMicros,
      occurrences,
    },
    confidence,
    remedy: REMEDY,
    displayFilter: displayFilter(evidence.map((e) => e.frame), [l.client, server]),
    details: {
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
  /** The lost question was the second one sent (its reply the second to arrive). */
  readonly lostWasSecond: boolean;
  /** The attempts that show it: the socket's, and those of the retry (other callers' left out). */
  readonly attempts: readonly DnsAttempt[];
}

const sameSocket = (x: DnsAttempt, y: DnsAttempt): boolean =>
  x.transport === 'udp' && y.transport === 'udp' && x.clientPort === y.clientPort && x.server === y.server && x.serverPort === y.serverPort;

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
  let out: SamePortDrop[] | undefined;
  // AAAA attempts already paired: a list, as there are seldom more than one or two.
  let paired: DnsAttempt[] | undefined;
  for (const a1 of qa.attempts) {
    if (a1.transport !== 'udp') continue;
    const ta = a1.queries[0]!.time;
    let b1: DnsAttempt | undefined;
    for (const b of q6.attempts) {
      if (paired?.includes(b) !== true && sameSocket(a1, b) && Math.abs(b.queries[0]!.time - ta) <= o.pairWindowMicros) {
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
    const mine = sameSocket(a, socket);
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
  if (re === undefined) return undefined; // the capture ended before the client re-asked
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
      if (x.sent.time < roundEnd || !sameSocket(x.attempt, a1)) continue;
      laterOnSocket++;
      if (x.attempt.replies.some((r) => r.time >= x.sent.time)) laterAnswered++;
      if (q === kept) keptResentOnSocket = true;
    }
  }
  const socketDead = laterOnSocket > 0 && laterAnswered === 0 && keptResentOnSocket &&
    kept.attempts.some((a) => sameSocket(a, a1) && a.outcome === 'unanswered');
  if (!answeredPromptly && !socketDead) return undefined;
  const end = finalAnswer !== undefined ? finalAnswer.time : l.end;
  // The attempts that tell this story: the socket's, and those of the retry (from the re-send on).
  const attempts: DnsAttempt[] = [];
  for (const q of [qa, q6]) {
    for (const a of q.attempts) {
      const t = a.queries[0]!.time;
      if (sameSocket(a, a1) || a === re.attempt || a === finalAttempt || (t >= resend.time && t <= end)) attempts.push(a);
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
    lostWasSecond: lostFirst > keptAttempt.queries[0]!.time,
    attempts,
  };
}

/** The registry's entry (src/detect/registry.ts). */
export const samePortReplyDropDetector = defineDetector({
  kind: KIND, records: 'dns', lane: 'dns', defaults: DEFAULT_SAME_PORT_REPLY_DROP_OPTIONS, create: createSamePortReplyDrop, explains: 'publishes',
  readme: { what: 'A and AAAA sent from one socket; a stateful firewall drops the second reply; the stub re-asks after its timeout', remedy: '`options single-request-reopen`; fix the firewall\'s UDP handling' },
});
