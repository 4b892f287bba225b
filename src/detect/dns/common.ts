// Shared by the DNS detectors: safe text from capture strings, display filters from validated
// values only, evidence from records, and the signatures that more than one detector must agree on
// (slow_lookup stays silent where a more specific detector explains the delay).
import { canonicalAddress, formatDuration, type Micros } from '../../core/index.js';
import {
  QTYPE_A,
  QTYPE_AAAA,
  qtypeName,
  rcodeName,
  type DnsAttempt,
  type DnsLookup,
  type DnsQuerySent,
  type DnsQuestionRecord,
  type DnsReply,
} from '../../reconstruct/dns/index.js';
import type { Evidence, Finding } from '../finding.js';

export { formatDuration, qtypeName, rcodeName };

const MAX_NAME_TEXT = 255;

/**
 * A DNS name for a summary line, cut to 255 characters. Names from the decoder are already in
 * RFC 1035 §5.1 presentation form (printable ASCII with `\.`, `\\` and `\DDD` escapes), so a
 * backslash is kept as it is (escaping it again would turn `\.` into `\092.`); control and
 * non-ASCII characters, which the decoder never produces, are still escaped as `\DDD` in case a
 * name comes from elsewhere. Still hostile for HTML: the renderer escapes; this only keeps a
 * terminal and a log line sane.
 */
export function printableName(name: string): string {
  let out = '';
  for (let i = 0; i < name.length && out.length < MAX_NAME_TEXT; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) out += `\\${String(c & 0xff).padStart(3, '0')}`;
    else out += name[i];
  }
  return name.length > out.length && out.length >= MAX_NAME_TEXT ? `${out}…` : out;
}

/** `ip.addr == a` / `ipv6.addr == a` from an address that parses, else undefined. */
export function addrFilter(addr: string): string | undefined {
  const c = canonicalAddress(addr);
  if (c === undefined) return undefined;
  return c.includes(':') ? `ipv6.addr == ${c}` : `ip.addr == ${c}`;
}

/** `frame.number in {…}` of positive integers (at most 64, the rest are in the evidence list). */
export function framesFilter(frames: readonly number[]): string {
  const ok = [...new Set(frames.filter((f) => Number.isSafeInteger(f) && f > 0))].sort((a, b) => a - b).slice(0, 64);
  return ok.length === 0 ? 'dns' : `frame.number in {${ok.join(' ')}}`;
}

/** Display filter: the evidence frames, narrowed by validated addresses (never by names). */
export function displayFilter(frames: readonly number[], addrs: readonly string[] = []): string {
  const parts = [framesFilter(frames)];
  for (const a of addrs) {
    const f = addrFilter(a);
    if (f !== undefined) parts.push(f);
  }
  return parts.join(' && ');
}

/**
 * What a detector returns from observe() when it has nothing: one shared frozen list instead of a
 * new `[]` per record (six detectors see every record, and most records show nothing). Callers only
 * read what observe() returns.
 */
export const NO_FINDINGS = Object.freeze([]) as unknown as Finding[];

export const isAddressQtype = (t: number): boolean => t === QTYPE_A || t === QTYPE_AAAA;

export function question(l: DnsLookup, qtype: number): DnsQuestionRecord | undefined {
  return l.questions.find((q) => q.qtype === qtype);
}

/** A reply a stub can use: NOERROR or NXDOMAIN, not truncated. */
export const usable = (r: DnsReply): boolean => !r.tc && (r.rcode === 0 || r.rcode === 3);

export function queryEvidence(q: DnsQuerySent, a: DnsAttempt, client: string, role: string): Evidence {
  return {
    frame: q.frame,
    time: q.time,
    role,
    src: `${client}:${a.clientPort}`,
    dst: `${a.server}:${a.serverPort}`,
    detail: `${qtypeName(a.qtype)} ${a.transport} id 0x${a.id.toString(16).padStart(4, '0')}, ${q.size} B`,
  };
}

export function replyEvidence(r: DnsReply, a: DnsAttempt, client: string, role: string): Evidence {
  return {
    frame: r.frame,
    time: r.time,
    role,
    src: `${a.server}:${a.serverPort}`,
    dst: `${client}:${a.clientPort}`,
    detail: `${qtypeName(a.qtype)} ${rcodeName(r.rcode)}, ${r.answersOfType} answer(s)${r.tc ? ', TC' : ''}${r.aa ? ', AA' : ''}, ${r.size} B${r.fragmented ? ', fragmented' : ''}`,
  };
}

/** Every query and reply of a question as evidence, in time order. */
export function questionEvidence(l: DnsLookup, q: DnsQuestionRecord, limit = 24): Evidence[] {
  const out: Evidence[] = [];
  const name = qtypeName(q.qtype);
  let first = true;
  for (const a of q.attempts) {
    for (const s of a.queries) {
      out.push(queryEvidence(s, a, l.client, first ? `${name} query` : `${name} retransmission`));
      first = false;
    }
    for (const r of a.replies) out.push(replyEvidence(r, a, l.client, `${name} reply`));
  }
  return sortEvidence(out).slice(0, limit);
}

export function sortEvidence(e: Evidence[]): Evidence[] {
  return e.sort((x, y) => x.time - y.time || x.frame - y.frame);
}

export function allLookupEvidence(l: DnsLookup, limitPerQuestion = 24): Evidence[] {
  const out: Evidence[] = [];
  for (const q of l.questions) out.push(...questionEvidence(l, q, limitPerQuestion));
  return sortEvidence(out);
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

/** A bounded map: past `cap` keys new keys are refused (and counted), existing ones still update. */
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
}

/** All transmissions of a question with the attempt each belongs to, oldest first. */
export function transmissions(q: DnsQuestionRecord): { sent: DnsQuerySent; attempt: DnsAttempt }[] {
  const out: { sent: DnsQuerySent; attempt: DnsAttempt }[] = [];
  for (const a of q.attempts) for (const s of a.queries) out.push({ sent: s, attempt: a });
  return out.sort((x, y) => x.sent.time - y.sent.time || x.sent.frame - y.sent.frame);
}

/**
 * The first transmission of the question after `t` other than `skip`, in the order of
 * transmissions() (time, then frame, then attempt order), without building that list.
 */
export function nextTransmission(q: DnsQuestionRecord, t: Micros, skip: DnsQuerySent): DnsQuerySent | undefined {
  let best: DnsQuerySent | undefined;
  for (const a of q.attempts) {
    for (const s of a.queries) {
      if (s.time <= t || s === skip) continue;
      if (best === undefined || s.time < best.time || (s.time === best.time && s.frame < best.frame)) best = s;
    }
  }
  return best;
}

/**
 * The answer's round trip from the latest transmission of its attempt before it (the one it most
 * likely answers): equal to timeToAnswerMicros unless the question was re-sent before the answer.
 */
export function answerRtt(q: DnsQuestionRecord): number {
  const r = q.answer;
  if (r === undefined) return 0;
  let last = q.firstSent;
  for (const a of q.attempts) {
    if (!a.replies.includes(r)) continue;
    for (const s of a.queries) if (s.time <= r.time && s.time > last) last = s.time;
  }
  return r.time - last;
}

/** The first reply to any attempt of the question at or after `t`. */
export function firstReplyAfter(q: DnsQuestionRecord, t: Micros): DnsReply | undefined {
  let best: DnsReply | undefined;
  for (const a of q.attempts) for (const r of a.replies) if (r.time >= t && (best === undefined || r.time < best.time)) best = r;
  return best;
}

// ─── Signatures shared between detectors ────────────────────────────────────────────────────────

export interface SamePortDrop {
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

/**
 * INCIDENTS §1 from one lookup: the A and AAAA questions left one UDP socket for one server
 * together; one reply came, the other did not before the client asked that question again (after
 * its timeout); and the lost question was answered promptly when asked again (so the server does
 * answer it: not §2), or every later reply on that socket is missing too (a firewall that drops
 * all later replies of the 5-tuple). Nothing is concluded when the capture ends before a re-send.
 *
 * Each client socket is judged on its own: a busy client resolving one name from several threads
 * at once has several sockets in one lookup, and only the socket that lost a reply shows it. The
 * first that does is returned (see samePortDrops for all of them).
 */
export function samePortDrop(l: DnsLookup, o: SamePortOptions): SamePortDrop | undefined {
  return samePortDrops(l, o)[0];
}

const sameSocket = (x: DnsAttempt, y: DnsAttempt): boolean =>
  x.transport === 'udp' && y.transport === 'udp' && x.clientPort === y.clientPort && x.server === y.server && x.serverPort === y.serverPort;

/** Every A/AAAA pair sent from one socket in this lookup that lost one reply (usually one). */
export function samePortDrops(l: DnsLookup, o: SamePortOptions): readonly SamePortDrop[] {
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
      if (x.sent.time < roundEnd || !sameSocket(x.attempt, a1)) continue;
      laterOnSocket++;
      if (x.attempt.replies.some((r) => r.time >= x.sent.time)) laterAnswered++;
      if (q === kept) keptResentOnSocket = true;
    }
  }
  const socketDead = laterOnSocket > 0 && laterAnswered === 0 && keptResentOnSocket &&
    kept.attempts.some((a) => sameSocket(a, a1) && a.outcome === 'unanswered');
  if (!answeredPromptly && !socketDead) return undefined;
  const lookupFailed = finalAnswer === undefined && socketDead && lost.answer === undefined;
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
  if (!sameSocket(keptRe.attempt, a1) || lostAttempt.replies.length > 0 || lost.answer !== undefined) return undefined;
  const lostFirst = lostAttempt.queries[0]!.time;
  if (keptRe.sent.time - keptAttempt.queries[0]!.time < o.minRetryMicros) return undefined;
  const prompt = Math.max(o.promptFactor * (keptReply.time - keptAttempt.queries[0]!.time), o.promptFloorMicros);
  let lastOnSocket = keptRe.sent.time;
  let allUnanswered = true;
  const attempts: DnsAttempt[] = [];
  for (const q of [qa, q6]) {
    for (const a of q.attempts) {
      if (!sameSocket(a, a1)) continue;
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

/** RFC 4074 §4: wrong answers to AAAA when an A record exists. */
export const RFC4074_RCODES = new Set([1, 2, 3, 4, 5]); // FORMERR SERVFAIL NXDOMAIN NOTIMP REFUSED

export interface AaaaProblem {
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
}

/**
 * INCIDENTS §2 from one lookup (or an AAAA-only lookup and `separateA`, the same client's A question
 * for the same name in another lookup): A answered with addresses; AAAA never answered on any attempt
 * (ports, servers, retries; at least one attempt proven unanswered, none merely cut by the capture
 * end), or answered with an RFC 4074 error rcode. A socket whose later A replies are missing too is
 * not an AAAA problem (see samePortDrop).
 */
export function aaaaProblem(l: DnsLookup, separateA?: DnsQuestionRecord): AaaaProblem | undefined {
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
    return { lookup: l, aaaa, a, problem: 'wrong-rcode', rcode: r.rcode, serverRole: role(r), delayMicros: Math.max(0, r.time - aaaa.firstSent) };
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
  return { lookup: l, aaaa, a, problem: 'unanswered', rcode: undefined, serverRole: role(aReply), delayMicros: aaaa.lastSent - aaaa.firstSent };
}

function role(r: DnsReply): AaaaProblem['serverRole'] {
  if (r.aa) return 'authoritative';
  if (r.ra) return 'recursive';
  return 'unknown';
}

export const durationText = (d: Micros): string => formatDuration(d);
