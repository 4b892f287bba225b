// DNS reconstruction: pairs queries with responses and groups them into lookups.
//
// A transaction key is (transport, client ip, client port, server ip, server port, id); a response
// pairs with the query under its key when the question matches (RFC 5452 §9.1 asks resolvers to
// check the same). A repeat of the question under the same key is a retransmission (glibc re-sends
// on the same socket with the same id), so time to answer runs from the FIRST transmission. A lookup
// is what one client asked about one name: A and AAAA together (getaddrinfo), or one other qtype;
// retries under new ids, ports, servers or over TCP belong to it, until the stub gives up (see
// stubGaveUp: a question from a new socket after same-socket retries that got nothing is the
// application's next call). State is bounded and expires on
// capture time; every record is emitted as soon as it is final, so a live capture can reuse this.
import { AgeList, FNV_OFFSET, HashChains, mixNumber, mixString, smallHash, type Micros } from '../../core/index.js';
import type { DnsMessage, Packet } from '../../decode/index.js';
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
/**
 * expire() runs on its own when capture time has moved this far since the last run. Often enough
 * that a lookup closes within a tenth of a second of its linger time: at once a second, lookups
 * lived 0.6–1.5 s of capture time, about one scavenge interval on a busy capture, and most of
 * their state was promoted to the old generation (bench, 5 M packets: ~0.4 s of the analysis).
 * Records and counts are the same; they come out sooner.
 */
const SELF_EXPIRE_MICROS = 100_000;

type Pending = TransactionOutcome | 'pending';

/**
 * One transmission key's question while it is pending or its lookup open. The socket and question
 * fields are read from `key` rather than copied: every field is a word of what a lookup keeps alive.
 */
interface Attempt {
  readonly key: TxKey;
  /**
   * While pending, the attempt is in #sockets under the hash of its socket (the 5-tuple, transport
   * and id: what the client's socket matches a reply on), chained on `next`, to tell a reply to
   * another question (RFC 5452 §9.1) from an orphan. A socket object of its own per query cost
   * one more allocation per query for what the key already holds.
   */
  readonly hash: number;
  next: Attempt | undefined;
  /** The name as sent (the key holds it in lower case). */
  readonly qname: string;
  queries: DnsQuerySent[];
  replies: DnsReply[];
  readonly afterAnswer: boolean;
  readonly lookup: Lookup;
  readonly question: Question;
  lastSent: Micros;
  /** Size of the last transmission and of the last reply: to tell a second copy of one packet. */
  lastSize: number;
  lastReplyAt: Micros;
  lastReplySize: number;
  outcome: Pending;
  /** Neighbours in #pending while pending. */
  older: Attempt | undefined;
  newer: Attempt | undefined;
}

/**
 * A transaction key: the socket and the question. The question is part of the key because
 * pipelined DNS over TCP may reuse one id for many questions. Lives while an attempt under it is
 * pending or was answered less than `unansweredAfterMicros` ago.
 */
interface TxKey {
  readonly hash: number;
  readonly transport: Transport;
  readonly client: string;
  readonly clientPort: number;
  readonly server: string;
  readonly serverPort: number;
  readonly id: number;
  readonly qclass: number;
  readonly qtype: number;
  readonly qnameLower: string;
  next: TxKey | undefined;
  pending: Attempt | undefined;
  /** In #answered: an attempt under this key was (first) answered at `answeredAt`. */
  answered: boolean;
  answeredAt: Micros;
  /** That answered attempt while its lookup is open (duplicates are added to it). */
  answer: Attempt | undefined;
}

interface Question {
  readonly qtype: number;
  attempts: Attempt[];
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
  replyTime: Micros | undefined;
}

interface Lookup {
  readonly hash: number;
  readonly client: string;
  readonly name: string;
  readonly nameLower: string;
  readonly family: 'address' | number;
  questions: Question[];
  servers: string[];
  fallbacks: Fallback[];
  readonly start: Micros;
  lastActivity: Micros;
  pending: number;
  closed: boolean;
  next: Lookup | undefined;
  /** Neighbours in #lookups while open. */
  older: Lookup | undefined;
  newer: Lookup | undefined;
}

// Keys are found by a numeric hash (FNV-1a over the fields, cut to a small integer) in HashChains;
// entries chain on `next` and every field is compared. Template-string
// keys cost about 280 ns per key and Map operation and two to three allocations per packet. On
// bench/generate's 300 k packets (25% DNS), stage alone, process.cpuUsage: 0.45 → 0.36 s together
// with answered keys that no longer hold their lookup; the whole series 0.51 → 0.28 s.
/**
 * The stub resolver has given up on this lookup and a question from `clientPort` is the
 * application's next call: the stub had re-sent a query on its own socket (so it retries there),
 * nothing was answered, and this question comes from a socket the lookup never used. A stub that
 * retries on its socket moves to a new one within a call only after half an answer (glibc's
 * reopen after one reply of the pair) or for another server (a socket per server, already in the
 * lookup by then). Stubs that take a new socket for every retry never show a same-socket retry,
 * so their retries stay one lookup (bounded by maxLookupMicros).
 */
function stubGaveUp(l: Lookup, clientPort: number): boolean {
  let retriedOnSocket = false;
  for (const q of l.questions) {
    for (const a of q.attempts) {
      if (a.replies.length > 0 || a.key.clientPort === clientPort) return false;
      if (a.queries.length >= 2) retriedOnSocket = true;
    }
  }
  return retriedOnSocket;
}

function socketHash(t: Transport, client: string, cport: number, server: string, sport: number, id: number): number {
  let h = mixNumber(FNV_OFFSET, t === 'udp' ? 17 : 6);
  h = mixString(h, client);
  h = mixNumber(h, cport);
  h = mixString(h, server);
  h = mixNumber(h, sport);
  return mixNumber(h, id);
}

/** The key's hash: the socket's, the question's class and type, and the name (lower case). */
const keyHash = (sh: number, qclass: number, qtype: number, qnameLower: string): number =>
  smallHash(mixString(mixNumber(mixNumber(sh, qclass), qtype), qnameLower));

export class DnsReconstructor {
  readonly options: DnsOptions;
  readonly #emit: (r: DnsRecord) => void;
  /** Pending attempts by the hash of their socket. */
  readonly #sockets = new HashChains<Attempt>();
  /** Transaction keys with a pending or recently answered attempt, by hash. */
  readonly #keys = new HashChains<TxKey>();
  /** Waiting for a reply, ordered by last transmission (re-inserted on retransmission). */
  readonly #pending = new AgeList<Attempt>();
  /**
   * Answered recently: to tell duplicates and re-asks from orphans. Ordered by first answer time,
   * a queue from #answeredHead (a key answered again keeps its place).
   */
  #answered: TxKey[] = [];
  #answeredHead = 0;
  /** Open lookups by hash of (client, name, family), and ordered by last activity (re-inserted on activity). */
  readonly #lookupIndex = new HashChains<Lookup>();
  readonly #lookups = new AgeList<Lookup>();
  /** Lookups that saw a TC=1 reply, by `${client}|${server}`: their TCP/53 attempt is watched. */
  readonly #tcpWatch = new Map<string, Lookup>();
  readonly #ignoredPorts: ReadonlySet<number>;
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
    copies: 0,
    unusable: 0,
    evictedTransactions: 0,
    evictedLookups: 0,
  };

  constructor(options: Partial<DnsOptions>, emit: (r: DnsRecord) => void) {
    this.options = { ...DEFAULT_DNS_OPTIONS, ...options };
    this.#emit = emit;
    this.#ignoredPorts = new Set(this.options.ignoredPorts);
  }

  /** Feed every packet (non-DNS ones advance the clock and show TCP/53 fallbacks). */
  packet(p: Packet): void {
    if (p.time > this.#now) this.#now = p.time;
    if (this.#now - this.#lastExpire >= SELF_EXPIRE_MICROS) this.expire(this.#now);
    // Most packets are not DNS: one length check (of the shared empty array) and out.
    const n = p.dns.length;
    if (n === 0) {
      if (this.#tcpWatch.size > 0 && p.tcp !== undefined && p.ip !== undefined) this.#tcpSegment(p);
      return;
    }
    const ip = p.ip;
    if (ip === undefined) return;
    if (p.tcp !== undefined && this.#tcpWatch.size > 0) this.#tcpSegment(p);
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
    for (let a = this.#pending.oldest; a !== undefined && a.lastSent + o.unansweredAfterMicros <= now;) {
      const newer = a.newer;
      this.#finalize(a, 'unanswered');
      a = newer;
    }
    const answered = this.#answered;
    while (this.#answeredHead < answered.length) {
      const k = answered[this.#answeredHead]!;
      if (k.answeredAt + o.unansweredAfterMicros > now) break;
      this.#answeredHead++;
      k.answered = false;
      k.answer = undefined;
      this.#releaseKey(k);
    }
    if (this.#answeredHead > 1024 && this.#answeredHead * 2 > answered.length) {
      this.#answered = answered.slice(this.#answeredHead);
      this.#answeredHead = 0;
    }
    for (let l = this.#lookups.oldest; l !== undefined && l.lastActivity + o.lookupLingerMicros <= now;) {
      const newer = l.newer;
      if (l.pending === 0) this.#close(l, false);
      l = newer;
    }
  }

  /**
   * End of input. A query still waiting is `unanswered` only when the client itself proved its
   * timeout expired (it asked the question again after this key's LAST transmission) or the capture
   * ran on for the full unanswered timeout; otherwise the capture ended too early to say: `unknown`.
   * A key re-sent just before the end is `unknown`: its first transmission timed out, but the
   * re-send may still be answered (the second round of a same-port drop looks like this).
   */
  finish(): void {
    this.expire(this.#now);
    for (const a of this.#pending.toArray()) {
      // A later transmission of the question (another key) shows the client timed out on this one.
      const retried = a.question.lastSent > a.lastSent;
      const waited = this.#now - a.lastSent >= this.options.unansweredAfterMicros;
      this.#finalize(a, retried || waited ? 'unanswered' : 'unknown');
    }
    for (const l of this.#lookups.toArray()) this.#close(l, false);
    this.#answered = [];
    this.#answeredHead = 0;
    this.#keys.clear();
    this.#sockets.clear();
    this.#tcpWatch.clear();
  }

  stats(): DnsStats {
    const s = this.#stats;
    return { ...s, transactions: { ...s.transactions }, lookups: { ...s.lookups } };
  }

  #query(p: Packet, m: DnsMessage, client: string, cport: number, server: string, sport: number): void {
    const s = this.#stats;
    const q = m.question!;
    if (m.transport === 'udp' && this.#ignoredPorts.has(sport)) {
      s.ignored++;
      return;
    }
    s.queries++;
    const sent: DnsQuerySent = { frame: p.frame, time: p.time, size: m.size, ednsUdpSize: m.edns?.udpPayloadSize };
    const sh = socketHash(m.transport, client, cport, server, sport, m.id);
    const qnameLower = q.name.toLowerCase();
    const kh = keyHash(sh, q.class, q.type, qnameLower);
    let key = this.#findKey(kh, m.transport, client, cport, server, sport, m.id, q.class, q.type, qnameLower);
    const existing = key?.pending;
    if (existing !== undefined) {
      if (p.time - existing.lastSent <= this.options.copyWindowMicros && m.size === existing.lastSize) {
        // The same packet written twice (router `-i any`, mirrored span): not a retransmission.
        s.queries--;
        s.copies++;
        return;
      }
      // Same key, same question: a retransmission.
      s.retransmissions++;
      existing.question.retransmissions++;
      if (existing.queries.length < this.options.maxAttemptsPerQuestion) existing.queries = append(existing.queries, sent);
      existing.lastSent = p.time;
      existing.lastSize = m.size;
      existing.question.lastSent = p.time;
      this.#pending.touch(existing);
      this.#touch(existing.lookup, p.time);
      return;
    }
    const afterAnswer = key !== undefined && key.answered;
    const lookup = this.#lookupFor(client, cport, q.name, qnameLower, q.type, p.time, afterAnswer);
    let question: Question | undefined;
    for (const x of lookup.questions) if (x.qtype === q.type) { question = x; break; }
    if (question === undefined) {
      question = { qtype: q.type, attempts: [], retransmissions: 0, firstSent: p.time, lastSent: p.time, answer: undefined, sawTc: false };
      lookup.questions = append(lookup.questions, question);
    } else {
      question.retransmissions++;
      question.lastSent = p.time;
    }
    if (!lookup.servers.includes(server) && lookup.servers.length < MAX_DATA) lookup.servers = append(lookup.servers, server);
    key ??= this.#addKey(kh, m.transport, client, cport, server, sport, m.id, q.class, q.type, qnameLower);
    const socketHashed = smallHash(sh);
    const attempt: Attempt = {
      key,
      hash: socketHashed,
      next: undefined,
      qname: q.name,
      queries: [sent],
      replies: [],
      afterAnswer,
      lookup,
      question,
      lastSent: p.time,
      lastSize: m.size,
      lastReplyAt: Number.NEGATIVE_INFINITY,
      lastReplySize: -1,
      outcome: 'pending',
      older: undefined,
      newer: undefined,
    };
    // Past the cap the attempt is still paired (so its reply is no orphan) but not listed.
    if (question.attempts.length < this.options.maxAttemptsPerQuestion) question.attempts = append(question.attempts, attempt);
    lookup.pending++;
    this.#touch(lookup, p.time);
    key.pending = attempt;
    this.#sockets.add(attempt);
    this.#pending.add(attempt);
    if (this.#pending.size > this.options.maxPendingTransactions) {
      const oldest = this.#pending.oldest!;
      s.evictedTransactions++;
      this.#finalize(oldest, 'unknown');
    }
  }

  #response(p: Packet, m: DnsMessage, server: string, sport: number, client: string, cport: number): void {
    const s = this.#stats;
    if (m.transport === 'udp' && this.#ignoredPorts.has(sport)) {
      s.ignored++;
      return;
    }
    s.responses++;
    const sh = socketHash(m.transport, client, cport, server, sport, m.id);
    const q = m.question!;
    const qnameLower = q.name.toLowerCase();
    const key = this.#findKey(keyHash(sh, q.class, q.type, qnameLower), m.transport, client, cport, server, sport, m.id, q.class, q.type, qnameLower);
    if (key !== undefined && key.pending === undefined && key.answer === undefined) {
      // A duplicate of an answer whose lookup is closed: nothing left to add it to.
      s.duplicateResponses++;
      return;
    }
    const attempt = key?.pending ?? key?.answer;
    if (attempt === undefined) {
      // RFC 5452 §9.1: a reply must match the question as well as the id and ports.
      const mismatch = this.#findSocket(sh, m.transport, client, cport, server, sport, m.id) !== undefined;
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
    const lookup = attempt.lookup;
    if (p.time - attempt.lastReplyAt <= this.options.copyWindowMicros && m.size === attempt.lastReplySize) {
      // The same reply written twice (router `-i any`, mirrored span): not a duplicate response.
      s.responses--;
      s.copies++;
      return;
    }
    attempt.lastReplyAt = p.time;
    attempt.lastReplySize = m.size;
    if (attempt.outcome !== 'pending') {
      s.duplicateResponses++;
      if (attempt.replies.length < this.options.maxRepliesPerAttempt) attempt.replies = append(attempt.replies, this.#reply(p, m, attempt.key.qtype));
      this.#touch(lookup, p.time);
      return;
    }
    const reply = this.#reply(p, m, attempt.key.qtype);
    if (attempt.replies.length < this.options.maxRepliesPerAttempt) attempt.replies = append(attempt.replies, reply);
    attempt.outcome = 'answered';
    s.transactions.answered++;
    this.#unpend(attempt);
    // The key keeps its place among the answered (first answer time) when answered again.
    const k = attempt.key;
    if (!k.answered) this.#answered.push(k);
    k.answered = true;
    k.answeredAt = p.time;
    k.answer = attempt;
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

  /** A pending attempt on this socket (any question), if there is one. */
  #findSocket(h: number, t: Transport, client: string, cport: number, server: string, sport: number, id: number): Attempt | undefined {
    for (let a = this.#sockets.chain(smallHash(h)); a !== undefined; a = a.next) {
      const x = a.key;
      if (x.id === id && x.clientPort === cport && x.serverPort === sport && x.transport === t && x.client === client && x.server === server) return a;
    }
    return undefined;
  }

  #findKey(kh: number, t: Transport, client: string, cport: number, server: string, sport: number, id: number, qclass: number, qtype: number, qnameLower: string): TxKey | undefined {
    for (let k = this.#keys.chain(kh); k !== undefined; k = k.next) {
      if (k.qtype === qtype && k.id === id && k.clientPort === cport && k.serverPort === sport && k.qclass === qclass &&
        k.transport === t && k.qnameLower === qnameLower && k.client === client && k.server === server) return k;
    }
    return undefined;
  }

  #addKey(kh: number, t: Transport, client: string, cport: number, server: string, sport: number, id: number, qclass: number, qtype: number, qnameLower: string): TxKey {
    const key: TxKey = {
      hash: kh, transport: t, client, clientPort: cport, server, serverPort: sport, id, qclass, qtype, qnameLower,
      next: undefined, pending: undefined, answered: false, answeredAt: 0, answer: undefined,
    };
    this.#keys.add(key);
    return key;
  }

  /** Forgets a key once nothing is pending or answered under it. */
  #releaseKey(k: TxKey): void {
    if (k.pending !== undefined || k.answered) return;
    this.#keys.delete(k);
  }

  #reply(p: Packet, m: DnsMessage, qtype: number): DnsReply {
    let answersOfType = 0;
    let data: string[] = [];
    for (const a of m.answers) {
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
        l.fallbacks = append(l.fallbacks, { clientPort: t.srcPort, server: ip.dst, synFrame: p.frame, synTime: p.time, synRetries: 0, result: 'no-reply', replyFrame: undefined, replyTime: undefined });
      }
      this.#touch(l, p.time);
    } else if (t.srcPort === DNS_PORT && (t.flags & (TCP_SYN | TCP_RST)) !== 0) {
      const l = this.#tcpWatch.get(`${ip.dst}|${ip.src}`);
      if (l === undefined || l.closed) return;
      const f = l.fallbacks.find((x) => x.clientPort === t.dstPort && x.server === ip.src && x.result === 'no-reply');
      if (f === undefined) return;
      f.result = (t.flags & TCP_RST) !== 0 ? 'reset' : 'connected';
      f.replyFrame = p.frame;
      f.replyTime = p.time;
      this.#touch(l, p.time);
    }
  }

  #lookupFor(client: string, clientPort: number, name: string, nameLower: string, qtype: number, now: Micros, afterAnswer: boolean): Lookup {
    const family: 'address' | number = qtype === QTYPE_A || qtype === QTYPE_AAAA ? 'address' : qtype;
    const hash = smallHash(mixNumber(mixString(mixString(FNV_OFFSET, client), nameLower), family === 'address' ? -1 : family));
    let open: Lookup | undefined;
    for (let x = this.#lookupIndex.chain(hash); x !== undefined; x = x.next) {
      if (x.family === family && x.nameLower === nameLower && x.client === client) {
        open = x;
        break;
      }
    }
    if (open !== undefined && open.pending === 0 && now - open.lastActivity >= this.options.lookupLingerMicros) {
      // Quiet for the linger time: closed now, whatever the expire() cadence.
      this.#close(open, false);
    } else if (open !== undefined) {
      // Asking an answered question again under a new id/port once every question of the lookup
      // is answered is a new getaddrinfo() call; while something is still missing it is a retry.
      let q: Question | undefined;
      let allAnswered = true;
      for (const x of open.questions) {
        if (x.qtype === qtype && q === undefined) q = x;
        if (x.answer === undefined) allAnswered = false;
      }
      const complete = open.pending === 0 && allAnswered;
      const reask = q !== undefined && q.answer !== undefined && complete && !afterAnswer;
      const gaveUp = !reask && stubGaveUp(open, clientPort);
      if (!reask && !gaveUp && now - open.start < this.options.maxLookupMicros) return open;
      // The stub moved on: what it still waited for went unanswered as far as it is concerned.
      if (gaveUp) for (const x of open.questions) for (const a of x.attempts) if (a.outcome === 'pending') this.#finalize(a, 'unanswered');
      this.#close(open, !reask && !gaveUp);
    }
    const l: Lookup = {
      hash, client, name, nameLower, family, questions: [], servers: [], fallbacks: [], start: now, lastActivity: now, pending: 0, closed: false,
      next: undefined, older: undefined, newer: undefined,
    };
    this.#lookupIndex.add(l);
    this.#lookups.add(l);
    if (this.#lookups.size > this.options.maxOpenLookups) {
      const oldest = this.#lookups.oldest!;
      this.#stats.evictedLookups++;
      this.#close(oldest, true);
    }
    return l;
  }

  #touch(l: Lookup, t: Micros): void {
    if (l.closed) return;
    if (t > l.lastActivity) l.lastActivity = t;
    this.#lookups.touch(l);
  }

  #finalize(a: Attempt, outcome: 'unanswered' | 'unknown'): void {
    if (a.outcome !== 'pending') return;
    a.outcome = outcome;
    this.#unpend(a);
    this.#releaseKey(a.key);
    this.#stats.transactions[outcome]++;
    a.lookup.pending--;
    this.#emitTransaction(a);
  }

  #unpend(a: Attempt): void {
    this.#pending.delete(a);
    a.key.pending = undefined;
    this.#sockets.delete(a);
  }

  #emitTransaction(a: Attempt): void {
    const response = a.replies[0];
    const k = a.key;
    this.#emit({
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
    this.#lookups.delete(l);
    this.#lookupIndex.delete(l);
    for (const f of l.fallbacks) {
      const k = `${l.client}|${f.server}`;
      if (this.#tcpWatch.get(k) === l) this.#tcpWatch.delete(k);
    }
    for (const q of l.questions) {
      for (const a of q.attempts) {
        // Its records are final: duplicates from now on are only counted (and the lookup is freed).
        if (a.key.answer === a) a.key.answer = undefined;
        if (q.sawTc) {
          const k = `${l.client}|${a.key.server}`;
          if (this.#tcpWatch.get(k) === l) this.#tcpWatch.delete(k);
        }
      }
    }
    const record = lookupRecord(l, forced, this.options.parallelWindowMicros);
    this.#stats.lookups[record.outcome]++;
    this.#emit(record);
  }
}

/**
 * `xs` with `x` added: a new exact-size array while it holds one or two, then push. Most lists here
 * (questions, servers, attempts, transmissions, replies, reply data) hold one or two items, and push
 * grows a small array to 17 slots: by object sizes, about a third of what a lookup keeps alive until
 * it closes, which is long enough to be copied by a scavenge or promoted. Bench capture, DNS stage
 * (dns minus decode only, CPU): 1.05 → 0.90 s. Callers store the result;
 * nothing else holds these lists before the record that lists them is final.
 */
function append<T>(xs: T[], x: T): T[] {
  if (xs.length === 0) return [x];
  if (xs.length === 1) return [xs[0]!, x];
  xs.push(x);
  return xs;
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
  let answered = 0;
  let failed = 0;
  for (const q of questions) {
    if (q.outcome === 'answered') answered++;
    else if (q.outcome === 'unanswered' || q.outcome === 'truncated') failed++;
  }
  let outcome: LookupOutcome;
  if (answered === questions.length) outcome = 'answered';
  else if (answered > 0) outcome = 'partial';
  else if (failed > 0) outcome = 'unanswered';
  else outcome = 'unknown';
  const fallbacks: DnsTcpFallback[] = l.fallbacks.length === 0 ? [] : l.fallbacks.map((f) => ({
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
    family: l.family,
    questions,
    start: l.start,
    end,
    totalMicros: end - l.start,
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
  for (const a of questions[0]!.attempts) for (const r of a.replies) if (r.time < firstReply) firstReply = r.time;
  const parallel = t2 - t1 <= parallelWindow && t2 <= firstReply;
  const samePort = first.clientPort === second.clientPort && first.transport === second.transport && first.server === second.server;
  if (parallel) return samePort ? 'parallel-same-port' : 'parallel-separate-ports';
  return samePort ? 'sequential-same-port' : 'sequential-separate-ports';
}
