// The DNS reconstructor's records, built from its working state (state.ts) once they are final: a
// reply as the records show it, a transaction, and a lookup with its questions, attempts, pattern
// and TCP/53 fallbacks. Pure functions: the reconstructor decides when a record is final.
import { append, type Micros } from '../../core/index.js';
import type { DnsMessage, Packet } from '../../decode/index.js';
import { MAX_DATA, NONE_YET, type Attempt, type Lookup, type Question } from './state.js';
import type {
  DnsAttempt,
  DnsLookup,
  DnsQuestionRecord,
  DnsReply,
  DnsTcpFallback,
  DnsTransaction,
  LookupOutcome,
  LookupPattern,
  QuestionOutcome,
} from './types.js';

/** A reply as the records keep it: the answers of the asked type (their data capped), flags, size, IP facts. */
export function replyRecord(p: Packet, m: DnsMessage, qtype: number): DnsReply {
  let answersOfType = 0;
  let data: string[] = NONE_YET;
  // Indexed: a message without answers lists the decoder's frozen empty array (for-of makes an iterator).
  for (let i = 0; i < m.answers.length; i++) {
    const a = m.answers[i]!;
    if (a.type !== qtype) continue;
    answersOfType++;
    if (a.data !== undefined && data.length < MAX_DATA) data = append(data, a.data);
  }
  const ip = p.ip!;
  return {
    frame: p.frame,
    time: p.time,
    rcode: m.rcode,
    ancount: m.ancount,
    answersOfType,
    data,
    aa: m.aa,
    ra: m.ra,
    tc: m.tc,
    size: m.size,
    ednsUdpSize: m.edns?.udpPayloadSize,
    ipVersion: ip.version,
    fragmented: ip.reassembled,
    fragmentFrames: ip.fragmentFrames === undefined ? undefined : [...ip.fragmentFrames],
    truncated: m.truncated,
    malformed: m.malformed,
  };
}

/** The attempt's transaction record, once it is answered, unanswered or unknown. */
export function transactionRecord(a: Attempt): DnsTransaction {
  const response = a.replies[0];
  const k = a.key;
  return {
    type: 'transaction',
    transport: k.transport,
    client: k.client,
    clientPort: k.clientPort,
    server: k.server,
    serverPort: k.serverPort,
    id: k.id,
    qname: a.qname,
    qtype: k.qtype,
    qclass: k.qclass,
    // Final: a transmission under this key from now on starts a new attempt.
    queries: a.queries,
    response,
    outcome: a.outcome === 'pending' ? 'unknown' : a.outcome,
    timeToAnswerMicros: response === undefined ? undefined : response.time - a.queries[0]!.time,
  };
}

function attemptRecord(a: Attempt): DnsAttempt {
  const k = a.key;
  return {
    transport: k.transport,
    clientPort: k.clientPort,
    server: k.server,
    serverPort: k.serverPort,
    id: k.id,
    qtype: k.qtype,
    // Final once the lookup closes (later duplicates are only counted).
    queries: a.queries,
    replies: a.replies,
    outcome: a.outcome === 'pending' ? 'unknown' : a.outcome,
    afterAnswer: a.afterAnswer,
  };
}

/** `epoch`: what the state's offsets count from (state.ts). */
function questionRecord(q: Question, epoch: Micros): DnsQuestionRecord {
  let n = 0;
  for (let a = q.firstAttempt; a !== undefined; a = a.nextInQuestion) n++;
  const attempts = new Array<DnsAttempt>(n);
  n = 0;
  for (let a = q.firstAttempt; a !== undefined; a = a.nextInQuestion) attempts[n++] = attemptRecord(a);
  let outcome: QuestionOutcome;
  if (q.answer !== undefined) outcome = 'answered';
  else if (q.sawTc) outcome = 'truncated';
  else if (attempts.some((a) => a.outcome === 'unanswered')) outcome = 'unanswered';
  else outcome = 'unknown';
  const firstSent = epoch + q.firstSentAt;
  return {
    qtype: q.qtype,
    attempts,
    retransmissions: q.retransmissions,
    firstSent,
    lastSent: epoch + q.lastSentAt,
    answer: q.answer,
    outcome,
    timeToAnswerMicros: q.answer === undefined ? undefined : q.answer.time - firstSent,
  };
}

/** `epoch`: what the state's offsets count from (state.ts). */
export function lookupRecord(l: Lookup, forced: boolean, parallelWindow: Micros, epoch: Micros): DnsLookup {
  // A loop, not map() with a closure over `epoch`: that made a context object and a closure per
  // lookup. Made at its size: push() grows an empty array to 17 slots at once.
  let n = 0;
  for (let q = l.firstQuestion; q !== undefined; q = q.next) n++;
  const questions = new Array<DnsQuestionRecord>(n);
  n = 0;
  for (let q = l.firstQuestion; q !== undefined; q = q.next) questions[n++] = questionRecord(q, epoch);
  const start = epoch + l.startAt;
  let end = start;
  let answered = 0;
  let failed = 0;
  // Indexed (as in the reconstructor's close): for-of makes an iterator where V8 has not optimised.
  for (let i = 0; i < questions.length; i++) {
    const q = questions[i]!;
    const t = q.answer !== undefined ? q.answer.time : q.lastSent;
    if (t > end) end = t;
    if (q.outcome === 'answered') answered++;
    else if (q.outcome === 'unanswered' || q.outcome === 'truncated') failed++;
  }
  let outcome: LookupOutcome;
  if (answered === questions.length) outcome = 'answered';
  else if (answered > 0) outcome = 'partial';
  else if (failed > 0) outcome = 'unanswered';
  else outcome = 'unknown';
  const fallbacks: DnsTcpFallback[] = l.fallbacks.length === 0 ? NONE_YET : l.fallbacks.map((f) => ({
    server: f.server,
    synFrame: f.synFrame,
    synTime: f.synTime,
    synRetries: f.synRetries,
    result: f.result,
    replyFrame: f.replyFrame,
    replyTime: f.replyTime,
  }));
  return {
    type: 'lookup',
    client: l.client,
    name: l.name,
    nameLower: l.nameLower,
    family: l.family,
    questions,
    start,
    end,
    totalMicros: end - start,
    outcome,
    pattern: lookupPattern(questions, parallelWindow),
    firstQtype: questions[0]?.qtype ?? 0,
    servers: l.servers,
    tcpFallbacks: fallbacks,
    forcedClose: forced,
  };
}

/** From the first transmission of the first two questions: same socket or not, before a reply or not. */
export function lookupPattern(questions: readonly DnsQuestionRecord[], parallelWindow: Micros): LookupPattern {
  if (questions.length < 2) return 'single';
  const first = questions[0]!.attempts[0];
  const second = questions[1]!.attempts[0];
  if (first === undefined || second === undefined) return 'single';
  const t1 = first.queries[0]!.time;
  const t2 = second.queries[0]!.time;
  let firstReply = Number.POSITIVE_INFINITY;
  const attempts = questions[0]!.attempts;
  for (let i = 0; i < attempts.length; i++) for (let j = 0; j < attempts[i]!.replies.length; j++) firstReply = Math.min(firstReply, attempts[i]!.replies[j]!.time);
  const parallel = t2 - t1 <= parallelWindow && t2 <= firstReply;
  const samePort = first.clientPort === second.clientPort && first.transport === second.transport && first.server === second.server;
  if (parallel) return samePort ? 'parallel-same-port' : 'parallel-separate-ports';
  return samePort ? 'sequential-same-port' : 'sequential-separate-ports';
}
