// DNS reconstruction: pairs queries with responses and groups them into lookups.
//
// A transaction key is (transport, client ip, client port, server ip, server port, id); a response
// pairs with the query under its key when the question matches (RFC 5452 §9.1 asks resolvers to
// check the same). A repeat of the question under the same key is a retransmission (glibc re-sends
// on the same socket with the same id), so time to answer runs from the FIRST transmission. A lookup
// is what one client asked about one name: A and AAAA together (getaddrinfo), or one other qtype;
// retries under new ids, ports, servers or over TCP belong to it. State is bounded and expires on
// capture time; every record is emitted as soon as it is final, so a live capture can reuse this.
import type { Micros } from '../../core/index.js';
import type { DnsMessage, Packet } from '../../decode/types.js';
import {
  DEFAULT_DNS_OPTIONS,
  QTYPE_A,
  QTYPE_AAAA,
  type DnsAttempt,
  type DnsLookup,
  type DnsOptions,
  type DnsQuerySent,
  type DnsQuestionRecord,
  type DnsRecord,
  type DnsReply,
  type DnsStats,
  type DnsTcpFallback,
  type LookupOutcome,
  type LookupPattern,
  type QuestionOutcome,
  type TransactionOutcome,
  type Transport,
} from './types.js';

const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;
const DNS_PORT = 53;
const MAX_DATA = 8;
/** expire() runs on its own when capture time has moved this far since the last run. */
const SELF_EXPIRE_MICROS = 1_000_000;

type Pending = TransactionOutcome | 'pending';

interface Attempt {
  readonly key: string;
  readonly base: string;
  readonly transport: Transport;
  readonly client: string;
  readonly clientPort: number;
  readonly server: string;
  readonly serverPort: number;
  readonly id: number;
  readonly qname: string;
  readonly qnameLower: string;
  readonly qtype: number;
  readonly qclass: number;
  readonly queries: DnsQuerySent[];
  readonly replies: DnsReply[];
  readonly afterAnswer: boolean;
  readonly lookup: Lookup;
  readonly question: Question;
  lastSent: Micros;
  answeredAt: Micros;
  outcome: Pending;
}

interface Question {
  readonly qtype: number;
  readonly attempts: Attempt[];
  retransmissions: number;
  readonly firstSent: Micros;
  lastSent: Micros;
  answer: DnsReply | undefined;
  sawTc: boolean;
}

interface Fallback {
  clientPort: number;
  server: string;
  synFrame: number;
  synTime: Micros;
  synRetries: number;
  result: DnsTcpFallback['result'];
  replyFrame: number | undefined;
}

interface Lookup {
  readonly key: string;
  readonly client: string;
  readonly name: string;
  readonly family: 'address' | number;
  readonly questions: Question[];
  readonly servers: string[];
  readonly fallbacks: Fallback[];
  readonly start: Micros;
  lastActivity: Micros;
  pending: number;
  closed: boolean;
}

/** The 5-tuple, transport and id: what the client's socket matches a reply on. */
const baseKey = (t: Transport, client: string, cport: number, server: string, sport: number, id: number): string =>
  `${t}|${client}|${cport}|${server}|${sport}|${id}`;

export class DnsReconstructor {
  readonly options: DnsOptions;
  readonly #emit: (r: DnsRecord) => void;
  /** Waiting for a reply, ordered by last transmission (re-inserted on retransmission). */
  readonly #pending = new Map<string, Attempt>();
  /** Pending attempts per base key (without the question): tells a question mismatch from an orphan. */
  readonly #pendingBase = new Map<string, number>();
  /** Answered recently: to tell duplicates and re-asks from orphans. Ordered by answer time. */
  readonly #answered = new Map<string, Attempt>();
  /** Open lookups, ordered by last activity (re-inserted on activity). */
  readonly #lookups = new Map<string, Lookup>();
  /** Lookups that saw a TC=1 reply, by `${client}|${server}`: their TCP/53 attempt is watched. */
  readonly #tcpWatch = new Map<string, Lookup>();
  #now: Micros = Number.NEGATIVE_INFINITY;
  #lastExpire: Micros = Number.NEGATIVE_INFINITY;
  readonly #stats: DnsStats = {
    messages: 0,
    queries: 0,
    responses: 0,
    retransmissions: 0,
    transactions: { answered: 0, unanswered: 0, unknown: 0 },
    duplicateResponses: 0,
    unmatchedResponses: 0,
    questionMismatches: 0,
    lookups: { answered: 0, partial: 0, unanswered: 0, unknown: 0 },
    ignored: 0,
    unusable: 0,
    evictedTransactions: 0,
    evictedLookups: 0,
  };

  constructor(options: Partial<DnsOptions>, emit: (r: DnsRecord) => void) {
    this.options = { ...DEFAULT_DNS_OPTIONS, ...options };
    this.#emit = emit;
  }

  /** Feed every packet (non-DNS ones advance the clock and show TCP/53 fallbacks). */
  packet(p: Packet): void {
    if (p.time > this.#now) this.#now = p.time;
    if (this.#now - this.#lastExpire >= SELF_EXPIRE_MICROS) this.expire(this.#now);
    const ip = p.ip;
    if (ip === undefined) return;
    if (p.tcp !== undefined && this.#tcpWatch.size > 0) this.#tcpSegment(p);
    const n = p.dns.length;
    if (n === 0) return;
    const srcPort = p.udp?.srcPort ?? p.tcp?.srcPort;
    const dstPort = p.udp?.dstPort ?? p.tcp?.dstPort;
    for (let i = 0; i < n; i++) {
      const m = p.dns[i]!;
      this.#stats.messages++;
      if (srcPort === undefined || dstPort === undefined || m.question === undefined) {
        this.#stats.unusable++;
        continue;
      }
      if (m.qr) this.#response(p, m, ip.src, srcPort, ip.dst, dstPort);
      else this.#query(p, m, ip.src, srcPort, ip.dst, dstPort);
    }
  }

  /** Times out queries and closes quiet lookups, on capture time. */
  expire(now: Micros): void {
    if (now > this.#now) this.#now = now;
    this.#lastExpire = now;
    const o = this.options;
    for (const a of this.#pending.values()) {
      if (a.lastSent + o.unansweredAfterMicros > now) break;
      this.#finalize(a, 'unanswered');
    }
    for (const [key, a] of this.#answered) {
      if (a.answeredAt + o.unansweredAfterMicros > now) break;
      this.#answered.delete(key);
    }
    for (const l of this.#lookups.values()) {
      if (l.lastActivity + o.lookupLingerMicros > now) break;
      if (l.pending === 0) this.#close(l, false);
    }
  }

  /**
   * End of input. A query still waiting is `unanswered` only when the client itself proved its
   * timeout expired (it asked the question again after the first transmission) or the capture ran on for the full
   * unanswered timeout; otherwise the capture ended too early to say: `unknown`.
   */
  finish(): void {
    this.expire(this.#now);
    for (const a of [...this.#pending.values()]) {
      // Any later transmission of the question (same key or not) shows the client timed out on this one.
      const retried = a.question.lastSent > a.queries[0]!.time;
      const waited = this.#now - a.lastSent >= this.options.unansweredAfterMicros;
      this.#finalize(a, retried || waited ? 'unanswered' : 'unknown');
    }
    for (const l of [...this.#lookups.values()]) this.#close(l, false);
    this.#answered.clear();
    this.#tcpWatch.clear();
  }

  stats(): DnsStats {
    const s = this.#stats;
    return { ...s, transactions: { ...s.transactions }, lookups: { ...s.lookups } };
  }

  #query(p: Packet, m: DnsMessage, client: string, cport: number, server: string, sport: number): void {
    const s = this.#stats;
    const q = m.question!;
    if (m.transport === 'udp' && this.options.ignoredPorts.includes(sport)) {
      s.ignored++;
      return;
    }
    s.queries++;
    const sent: DnsQuerySent = { frame: p.frame, time: p.time, size: m.size, ednsUdpSize: m.edns?.udpPayloadSize };
    const base = baseKey(m.transport, client, cport, server, sport, m.id);
    const qnameLower = q.name.toLowerCase();
    // The question is part of the key: pipelined DNS over TCP may reuse one id for many questions.
    const key = `${base}|${q.class}|${q.type}|${qnameLower}`;
    const existing = this.#pending.get(key);
    if (existing !== undefined) {
      // Same key, same question: a retransmission.
      s.retransmissions++;
      existing.question.retransmissions++;
      if (existing.queries.length < this.options.maxAttemptsPerQuestion) existing.queries.push(sent);
      existing.lastSent = p.time;
      existing.question.lastSent = p.time;
      this.#pending.delete(key);
      this.#pending.set(key, existing);
      this.#touch(existing.lookup, p.time);
      return;
    }
    const afterAnswer = this.#answered.has(key);
    const lookup = this.#lookupFor(client, q.name, qnameLower, q.type, p.time, afterAnswer);
    let question = lookup.questions.find((x) => x.qtype === q.type);
    if (question === undefined) {
      question = { qtype: q.type, attempts: [], retransmissions: 0, firstSent: p.time, lastSent: p.time, answer: undefined, sawTc: false };
      lookup.questions.push(question);
    } else {
      question.retransmissions++;
      question.lastSent = p.time;
    }
    if (!lookup.servers.includes(server) && lookup.servers.length < MAX_DATA) lookup.servers.push(server);
    const attempt: Attempt = {
      key,
      base,
      transport: m.transport,
      client,
      clientPort: cport,
      server,
      serverPort: sport,
      id: m.id,
      qname: q.name,
      qnameLower,
      qtype: q.type,
      qclass: q.class,
      queries: [sent],
      replies: [],
      afterAnswer,
      lookup,
      question,
      lastSent: p.time,
      answeredAt: 0,
      outcome: 'pending',
    };
    // Past the cap the attempt is still paired (so its reply is no orphan) but not listed.
    if (question.attempts.length < this.options.maxAttemptsPerQuestion) question.attempts.push(attempt);
    lookup.pending++;
    this.#touch(lookup, p.time);
    this.#pending.set(key, attempt);
    this.#pendingBase.set(base, (this.#pendingBase.get(base) ?? 0) + 1);
    if (this.#pending.size > this.options.maxPendingTransactions) {
      const oldest = this.#pending.values().next().value!;
      s.evictedTransactions++;
      this.#finalize(oldest, 'unknown');
    }
  }

  #response(p: Packet, m: DnsMessage, server: string, sport: number, client: string, cport: number): void {
    const s = this.#stats;
    if (m.transport === 'udp' && this.options.ignoredPorts.includes(sport)) {
      s.ignored++;
      return;
    }
    s.responses++;
    const base = baseKey(m.transport, client, cport, server, sport, m.id);
    const q = m.question!;
    const key = `${base}|${q.class}|${q.type}|${q.name.toLowerCase()}`;
    const attempt = this.#pending.get(key) ?? this.#answered.get(key);
    if (attempt === undefined) {
      // RFC 5452 §9.1: a reply must match the question as well as the id and ports.
      const mismatch = (this.#pendingBase.get(base) ?? 0) > 0;
      s.unmatchedResponses++;
      if (mismatch) s.questionMismatches++;
      this.#emit({
        type: 'orphan',
        transport: m.transport,
        client,
        clientPort: cport,
        server,
        serverPort: sport,
        id: m.id,
        qname: q.name,
        qtype: q.type,
        reply: this.#reply(p, m, q.type),
        questionMismatch: mismatch,
      });
      return;
    }
    const reply = this.#reply(p, m, attempt.qtype);
    if (attempt.replies.length < this.options.maxRepliesPerAttempt) attempt.replies.push(reply);
    const lookup = attempt.lookup;
    if (attempt.outcome !== 'pending') {
      s.duplicateResponses++;
      if (!lookup.closed) this.#touch(lookup, p.time);
      return;
    }
    attempt.outcome = 'answered';
    attempt.answeredAt = p.time;
    s.transactions.answered++;
    this.#unpend(attempt);
    this.#answered.set(key, attempt);
    lookup.pending--;
    const question = attempt.question;
    if (reply.tc && m.transport === 'udp') {
      question.sawTc = true;
      this.#tcpWatch.set(`${client}|${server}`, lookup);
    } else if (question.answer === undefined) {
      question.answer = reply;
    }
    this.#touch(lookup, p.time);
    this.#emitTransaction(attempt);
  }

  #reply(p: Packet, m: DnsMessage, qtype: number): DnsReply {
    let answersOfType = 0;
    const data: string[] = [];
    for (const a of m.answers) {
      if (a.type !== qtype) continue;
      answersOfType++;
      if (a.data !== undefined && data.length < MAX_DATA) data.push(a.data);
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

  /** TCP/53 after a TC=1 reply: SYN from the client, SYN-ACK or RST from the server. */
  #tcpSegment(p: Packet): void {
    const t = p.tcp!;
    const ip = p.ip!;
    if (t.dstPort === DNS_PORT && (t.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
      const l = this.#tcpWatch.get(`${ip.src}|${ip.dst}`);
      if (l === undefined || l.closed) return;
      const last = l.fallbacks.at(-1);
      if (last !== undefined && last.clientPort === t.srcPort && last.server === ip.dst) {
        last.synRetries++;
      } else if (l.fallbacks.length < MAX_DATA) {
        l.fallbacks.push({ clientPort: t.srcPort, server: ip.dst, synFrame: p.frame, synTime: p.time, synRetries: 0, result: 'no-reply', replyFrame: undefined });
      }
      this.#touch(l, p.time);
    } else if (t.srcPort === DNS_PORT && (t.flags & (TCP_SYN | TCP_RST)) !== 0) {
      const l = this.#tcpWatch.get(`${ip.dst}|${ip.src}`);
      if (l === undefined || l.closed) return;
      const f = l.fallbacks.find((x) => x.clientPort === t.dstPort && x.server === ip.src && x.result === 'no-reply');
      if (f === undefined) return;
      f.result = (t.flags & TCP_RST) !== 0 ? 'reset' : 'connected';
      f.replyFrame = p.frame;
      this.#touch(l, p.time);
    }
  }

  #lookupFor(client: string, name: string, nameLower: string, qtype: number, now: Micros, afterAnswer: boolean): Lookup {
    const family: 'address' | number = qtype === QTYPE_A || qtype === QTYPE_AAAA ? 'address' : qtype;
    const key = `${client}|${nameLower}|${family}`;
    const open = this.#lookups.get(key);
    if (open !== undefined && open.pending === 0 && now - open.lastActivity >= this.options.lookupLingerMicros) {
      // Quiet for the linger time: closed now, whatever the expire() cadence.
      this.#close(open, false);
    } else if (open !== undefined) {
      // Asking an answered question again under a new id/port once every question of the lookup
      // is answered is a new getaddrinfo() call; while something is still missing it is a retry.
      const q = open.questions.find((x) => x.qtype === qtype);
      const complete = open.pending === 0 && open.questions.every((x) => x.answer !== undefined);
      const reask = q !== undefined && q.answer !== undefined && complete && !afterAnswer;
      if (!reask && now - open.start < this.options.maxLookupMicros) return open;
      this.#close(open, !reask);
    }
    const l: Lookup = { key, client, name, family, questions: [], servers: [], fallbacks: [], start: now, lastActivity: now, pending: 0, closed: false };
    this.#lookups.set(key, l);
    if (this.#lookups.size > this.options.maxOpenLookups) {
      const oldest = this.#lookups.values().next().value!;
      this.#stats.evictedLookups++;
      this.#close(oldest, true);
    }
    return l;
  }

  #touch(l: Lookup, t: Micros): void {
    if (l.closed) return;
    if (t > l.lastActivity) l.lastActivity = t;
    this.#lookups.delete(l.key);
    this.#lookups.set(l.key, l);
  }

  #finalize(a: Attempt, outcome: 'unanswered' | 'unknown'): void {
    if (a.outcome !== 'pending') return;
    a.outcome = outcome;
    this.#unpend(a);
    this.#stats.transactions[outcome]++;
    a.lookup.pending--;
    this.#emitTransaction(a);
  }

  #unpend(a: Attempt): void {
    this.#pending.delete(a.key);
    const n = (this.#pendingBase.get(a.base) ?? 1) - 1;
    if (n <= 0) this.#pendingBase.delete(a.base);
    else this.#pendingBase.set(a.base, n);
  }

  #emitTransaction(a: Attempt): void {
    const response = a.replies[0];
    this.#emit({
      type: 'transaction',
      transport: a.transport,
      client: a.client,
      clientPort: a.clientPort,
      server: a.server,
      serverPort: a.serverPort,
      id: a.id,
      qname: a.qname,
      qtype: a.qtype,
      qclass: a.qclass,
      queries: [...a.queries],
      response,
      outcome: a.outcome === 'pending' ? 'unknown' : a.outcome,
      timeToAnswerMicros: response === undefined ? undefined : response.time - a.queries[0]!.time,
    });
  }

  /** Emits the lookup; attempts still pending (forced close) become unknown. */
  #close(l: Lookup, forced: boolean): void {
    if (l.closed) return;
    if (l.pending > 0) {
      for (const q of l.questions) for (const a of q.attempts) if (a.outcome === 'pending') this.#finalize(a, 'unknown');
      // Attempts past the listing cap are still in #pending; they finish on their own.
    }
    l.closed = true;
    this.#lookups.delete(l.key);
    for (const f of l.fallbacks) {
      const k = `${l.client}|${f.server}`;
      if (this.#tcpWatch.get(k) === l) this.#tcpWatch.delete(k);
    }
    for (const q of l.questions) {
      if (q.sawTc) {
        for (const a of q.attempts) {
          const k = `${l.client}|${a.server}`;
          if (this.#tcpWatch.get(k) === l) this.#tcpWatch.delete(k);
        }
      }
    }
    const record = lookupRecord(l, forced, this.options.parallelWindowMicros);
    this.#stats.lookups[record.outcome]++;
    this.#emit(record);
  }
}

function attemptRecord(a: Attempt): DnsAttempt {
  return {
    transport: a.transport,
    clientPort: a.clientPort,
    server: a.server,
    serverPort: a.serverPort,
    id: a.id,
    qtype: a.qtype,
    queries: [...a.queries],
    replies: [...a.replies],
    outcome: a.outcome === 'pending' ? 'unknown' : a.outcome,
    afterAnswer: a.afterAnswer,
  };
}

function questionRecord(q: Question): DnsQuestionRecord {
  const attempts = q.attempts.map(attemptRecord);
  let outcome: QuestionOutcome;
  if (q.answer !== undefined) outcome = 'answered';
  else if (q.sawTc) outcome = 'truncated';
  else if (attempts.some((a) => a.outcome === 'unanswered')) outcome = 'unanswered';
  else outcome = 'unknown';
  return {
    qtype: q.qtype,
    attempts,
    retransmissions: q.retransmissions,
    firstSent: q.firstSent,
    lastSent: q.lastSent,
    answer: q.answer,
    outcome,
    timeToAnswerMicros: q.answer === undefined ? undefined : q.answer.time - q.firstSent,
  };
}

function lookupRecord(l: Lookup, forced: boolean, parallelWindow: Micros): DnsLookup {
  const questions = l.questions.map(questionRecord);
  let end = l.start;
  for (const q of questions) {
    const t = q.answer !== undefined ? q.answer.time : q.lastSent;
    if (t > end) end = t;
  }
  const answered = questions.filter((q) => q.outcome === 'answered').length;
  const failed = questions.filter((q) => q.outcome === 'unanswered' || q.outcome === 'truncated').length;
  let outcome: LookupOutcome;
  if (answered === questions.length) outcome = 'answered';
  else if (answered > 0) outcome = 'partial';
  else if (failed > 0) outcome = 'unanswered';
  else outcome = 'unknown';
  const fallbacks: DnsTcpFallback[] = l.fallbacks.map((f) => ({
    server: f.server,
    synFrame: f.synFrame,
    synTime: f.synTime,
    synRetries: f.synRetries,
    result: f.result,
    replyFrame: f.replyFrame,
  }));
  return {
    type: 'lookup',
    client: l.client,
    name: l.name,
    family: l.family,
    questions,
    start: l.start,
    end,
    totalMicros: end - l.start,
    outcome,
    pattern: lookupPattern(questions, parallelWindow),
    firstQtype: questions[0]?.qtype ?? 0,
    servers: [...l.servers],
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
  for (const a of questions[0]!.attempts) for (const r of a.replies) if (r.time < firstReply) firstReply = r.time;
  const parallel = t2 - t1 <= parallelWindow && t2 <= firstReply;
  const samePort = first.clientPort === second.clientPort && first.transport === second.transport && first.server === second.server;
  if (parallel) return samePort ? 'parallel-same-port' : 'parallel-separate-ports';
  return samePort ? 'sequential-same-port' : 'sequential-separate-ports';
}
