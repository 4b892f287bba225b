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
//
// Here: the pairing, the keys and their lookup, expiry. Beside it: the working state (state.ts),
// the records built from it (records.ts) and the TCP/53 retry after TC=1 (tcp-fallback.ts).
import { addressHash, AgeList, append, FNV_OFFSET, HashChains, mixNumber, mixString, smallHash, type Micros } from '../../core/index.js';
import type { DnsMessage, Packet } from '../../decode/index.js';
import { lookupRecord, replyRecord, transactionRecord } from './records.js';
import { AnsweredKeys } from './answered-keys.js';
import { EMPTY, MAX_DATA, NONE_YET, offsetFrom, type Attempt, type Lookup, type Question } from './state.js';
import { TcpFallbackWatch } from './tcp-fallback.js';
import { DEFAULT_DNS_OPTIONS, QTYPE_A, QTYPE_AAAA, type DnsOptions, type DnsQuerySent, type DnsRecord, type DnsStats, type Transport } from './types.js';

/**
 * expire() runs on its own when capture time has moved this far since the last run. Often enough
 * that a lookup closes within a tenth of a second of its linger time: at once a second, lookups
 * lived 0.6–1.5 s of capture time, about one scavenge interval on a busy capture, and most of
 * their state was promoted to the old generation (bench, 5 M packets: ~0.4 s of the analysis).
 * Records and counts are the same; they come out sooner.
 */
const SELF_EXPIRE_MICROS = 100_000;

/** What identifies a transaction: the socket (transport, both ends, id) and the question. */
interface KeyFields {
  readonly transport: Transport;
  readonly client: string;
  readonly clientPort: number;
  readonly server: string;
  readonly serverPort: number;
  readonly id: number;
  readonly qclass: number;
  readonly qtype: number;
  readonly qnameLower: string;
}

/**
 * A transaction key: the socket and the question. The question is part of the key because
 * pipelined DNS over TCP may reuse one id for many questions. Lives while an attempt under it is
 * pending or its answered attempt's lookup is open; that it was answered in the last
 * `unansweredAfterMicros` is kept apart, as a fingerprint (answered-keys.ts).
 *
 * Keys are indexed by the hash of their SOCKET alone (transport, both ends, id), not of the whole
 * key: the one chain that holds a message's key also holds every pending attempt on its socket,
 * which is what tells a reply to another question (RFC 5452 §9.1) from an orphan. A second index
 * of pending attempts by socket cost an insertion and a removal per query, and two fields per
 * attempt, for a question asked only of orphans.
 */
export interface TxKey extends KeyFields {
  /** smallHash of the socket's hash (socketHash). */
  readonly hash: number;
  next: TxKey | undefined;
  pending: Attempt | undefined;
  /** The answered attempt while its lookup is open (duplicates are added to it). */
  answer: Attempt | undefined;
  /**
   * Its slot among the answered keys, or -1: set when the key is made (from the fingerprint looked
   * up for the query) and kept by AnsweredKeys while the key lives, so a key in hand answers
   * "answered lately?" without a look-up in that table.
   */
  answeredSlot: number;
}

/**
 * The key a message asks about, with its hashes: ONE record the reconstructor refills for every
 * message (#probe) and hands to the lookups, instead of a key object or a ten-argument list per
 * message. It is scratch: valid until the next message, never stored (#addKey copies it).
 */
interface KeyProbe extends KeyFields {
  transport: Transport;
  client: string;
  clientPort: number;
  server: string;
  serverPort: number;
  id: number;
  qclass: number;
  qtype: number;
  qnameLower: string;
  /** socketHash of the socket fields (before smallHash), and the key's hash (keyHash, 32 bits). */
  socketHash: number;
  keyHash: number;
  /** nameHash of qnameLower: the key's hash and the lookup's take it from here. */
  nameHash: number;
  /** addressHash of the client: the socket's hash and the lookup's take it from here. */
  clientHash: number;
}

/** The probe's fingerprint fields beside its hash (see AnsweredKeys). */
const portsOf = (k: KeyFields): number => ((k.clientPort << 16) | k.serverPort) >>> 0;
const idTypeOf = (k: KeyFields): number => ((k.id << 16) | k.qtype) >>> 0;

const sameSocket = (a: KeyFields, b: KeyFields): boolean =>
  a.id === b.id && a.clientPort === b.clientPort && a.serverPort === b.serverPort && a.transport === b.transport &&
  a.client === b.client && a.server === b.server;

const sameKey = (a: KeyFields, b: KeyFields): boolean =>
  a.qtype === b.qtype && a.qclass === b.qclass && sameSocket(a, b) && a.qnameLower === b.qnameLower;

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
  for (let q = l.firstQuestion; q !== undefined; q = q.next) {
    for (let a = q.firstAttempt; a !== undefined; a = a.nextInQuestion) {
      if (a.replies.length > 0 || a.key.clientPort === clientPort) return false;
      if (a.queries.length >= 2) retriedOnSocket = true;
    }
  }
  return retriedOnSocket;
}

function socketHash(k: KeyProbe): number {
  let h = mixNumber(FNV_OFFSET, k.transport === 'udp' ? 17 : 6);
  h = mixNumber(h, k.clientHash);
  h = mixNumber(h, k.clientPort);
  h = mixNumber(h, addressHash(k.server));
  h = mixNumber(h, k.serverPort);
  return mixNumber(h, k.id);
}

/**
 * Set by lowerNameHash: whether the name had an upper-case letter (and so a lower-case copy of its
 * own). Module state, as the decoder's name reading: the reconstructor is synchronous.
 */
let nameHadUpper = false;

/**
 * The hash of `name` in lower case (FNV-1a over its code units, ASCII letters folded), in the same
 * pass that looks for upper case: toLowerCase() makes a new string even of a name it leaves as it
 * is (V8's one-byte fast path copies first and returns the original only after), and nearly every
 * name on the wire is lower case already: one string of garbage per DNS message (~43 B, edge
 * bench's first 400 k packets, DNS stage alone). Names from the decoder are ASCII (it writes every
 * byte above 0x7e as a `\DDD` escape); any other is lowered by toLowerCase() and hashed after.
 */
function lowerNameHash(name: string): number {
  let h = FNV_OFFSET;
  let upper = false;
  for (let i = 0; i < name.length; i++) {
    let c = name.charCodeAt(i);
    if (c >= 0x80) {
      nameHadUpper = true; // as far as we know: toLowerCase() decides
      return mixString(FNV_OFFSET, name.toLowerCase());
    }
    if (c >= 0x41 && c <= 0x5a) {
      c += 0x20;
      upper = true;
    }
    h = mixNumber(h, c);
  }
  nameHadUpper = upper;
  return h;
}

/** The key's hash: the socket's, the question's class and type, and the name (lower case); 32 bits, unsigned. */
const keyHash = (socket: number, k: KeyProbe): number =>
  mixNumber(mixNumber(mixNumber(socket, k.qclass), k.qtype), k.nameHash) >>> 0;

export class DnsReconstructor {
  readonly options: DnsOptions;
  readonly #emit: (r: DnsRecord) => void;
  /** Transaction keys with a pending or recently answered attempt, by the hash of their socket. */
  readonly #keys = new HashChains<TxKey>();
  /** Waiting for a reply, ordered by last transmission (re-inserted on retransmission). */
  readonly #pending = new AgeList<Attempt>();
  /** Answered recently: to tell duplicates and re-asks from orphans. */
  readonly #answered = new AnsweredKeys();
  /** An answered key's time is up: its answer is no longer added to, and the key goes unless pending. */
  readonly #answerExpired = (k: TxKey): void => {
    k.answer = undefined;
    this.#releaseKey(k);
  };
  /** Open lookups by hash of (client, name, family), and ordered by last activity (re-inserted on activity). */
  readonly #lookupIndex = new HashChains<Lookup>();
  readonly #lookups = new AgeList<Lookup>();
  /** Lookups that saw a TC=1 reply: their TCP/53 attempt is watched. */
  readonly #tcpWatch = new TcpFallbackWatch();
  readonly #ignoredPorts: ReadonlySet<number>;
  readonly #probe: KeyProbe = {
    transport: 'udp', client: '', clientPort: 0, server: '', serverPort: 0, id: 0, qclass: 0, qtype: 0, qnameLower: '', socketHash: 0, keyHash: 0, nameHash: 0, clientHash: 0,
  };
  #now: Micros = Number.NEGATIVE_INFINITY;
  #lastExpire: Micros = Number.NEGATIVE_INFINITY;
  /** The first packet's capture time: the working state's times are offsets from it (state.ts). */
  #epoch: Micros = Number.NaN;
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
    if (Number.isNaN(this.#epoch)) this.#epoch = p.time;
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
    const nowAt = this.#offset(now); // NaN before the first packet: nothing to expire then
    for (let a = this.#pending.oldest; a !== undefined && a.lastSentAt + o.unansweredAfterMicros <= nowAt;) {
      const newer = a.newer;
      this.#finalize(a, 'unanswered');
      a = newer;
    }
    this.#answered.expire(nowAt - o.unansweredAfterMicros, this.#answerExpired);
    for (let l = this.#lookups.oldest; l !== undefined && l.lastActivityAt + o.lookupLingerMicros <= nowAt;) {
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
      const retried = a.question.lastSentAt > a.lastSentAt;
      const waited = this.#offset(this.#now) - a.lastSentAt >= this.options.unansweredAfterMicros;
      this.#finalize(a, retried || waited ? 'unanswered' : 'unknown');
    }
    for (const l of this.#lookups.toArray()) this.#close(l, false);
    this.#answered.clear();
    this.#keys.clear();
    this.#tcpWatch.clear();
  }

  /** Keys kept as answered in the last `unansweredAfterMicros` (for tests of that bound). */
  get answeredKeys(): number {
    return this.#answered.size;
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
    const at = this.#offset(p.time);
    const sent: DnsQuerySent = { frame: p.frame, time: p.time, size: m.size, ednsUdpSize: m.edns?.udpPayloadSize };
    const probe = this.#probeFor(m, client, cport, server, sport);
    let key = this.#findKey(probe);
    const existing = key?.pending;
    if (existing !== undefined) {
      if (at - existing.lastSentAt <= this.options.copyWindowMicros && m.size === existing.lastSize) {
        // The same packet written twice (router `-i any`, mirrored span): not a retransmission.
        s.queries--;
        s.copies++;
        return;
      }
      // Same key, same question: a retransmission.
      s.retransmissions++;
      existing.question.retransmissions++;
      if (existing.queries.length < this.options.maxAttemptsPerQuestion) existing.queries = append(existing.queries, sent);
      existing.lastSentAt = at;
      existing.lastSize = m.size;
      existing.question.lastSentAt = at;
      this.#pending.touch(existing);
      this.#touch(existing.lookup, at);
      return;
    }
    // A key in hand knows its fingerprint's slot (TxKey.answeredSlot).
    const answeredSlot = key !== undefined ? key.answeredSlot : this.#answeredSlot(probe);
    const afterAnswer = answeredSlot >= 0;
    const lookup = this.#lookupFor(client, probe.clientHash, cport, q.name, probe.qnameLower, probe.nameHash, q.type, at, afterAnswer);
    let question: Question | undefined;
    let lastQuestion: Question | undefined;
    for (let x = lookup.firstQuestion; x !== undefined; x = x.next) {
      if (x.qtype === q.type) { question = x; break; }
      lastQuestion = x;
    }
    if (question === undefined) {
      question = { qtype: q.type, firstAttempt: undefined, next: undefined, retransmissions: 0, firstSentAt: at, lastSentAt: at, answer: undefined, sawTc: false };
      if (lastQuestion === undefined) lookup.firstQuestion = question;
      else lastQuestion.next = question;
    } else {
      question.retransmissions++;
      question.lastSentAt = at;
    }
    if (!lookup.servers.includes(server) && lookup.servers.length < MAX_DATA) lookup.servers = append(lookup.servers, server);
    // A key in #keys has an attempt pending or an answer in an open lookup: with neither, the lookup
    // #lookupFor just closed held its answer, and the key object was released with it.
    if (key !== undefined && key.pending === undefined && key.answer === undefined) key = undefined;
    key ??= this.#addKey(probe, answeredSlot);
    const attempt: Attempt = {
      key,
      qname: q.name,
      nextInQuestion: undefined,
      queries: [sent],
      replies: NONE_YET,
      afterAnswer,
      lookup,
      question,
      lastSentAt: at,
      lastSize: m.size,
      lastReplyAt: 0, // unread while lastReplySize is -1
      lastReplySize: -1,
      outcome: 'pending',
      older: undefined,
      newer: undefined,
    };
    // Past the cap the attempt is still paired (so its reply is no orphan) but not listed.
    let listed = question.firstAttempt;
    if (listed === undefined) question.firstAttempt = attempt;
    else {
      let n = 1;
      while (listed.nextInQuestion !== undefined) { listed = listed.nextInQuestion; n++; }
      if (n < this.options.maxAttemptsPerQuestion) listed.nextInQuestion = attempt;
    }
    lookup.pending++;
    this.#touch(lookup, at);
    key.pending = attempt;
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
    const q = m.question!;
    const probe = this.#probeFor(m, client, cport, server, sport);
    const key = this.#findKey(probe);
    const attempt = key?.pending ?? key?.answer;
    if (attempt === undefined && this.#answeredSlot(probe) >= 0) {
      // A duplicate of an answer whose lookup is closed: nothing left to add it to.
      s.duplicateResponses++;
      return;
    }
    if (attempt === undefined) {
      // RFC 5452 §9.1: a reply must match the question as well as the id and ports.
      const mismatch = this.#findSocket(probe) !== undefined;
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
        reply: replyRecord(p, m, q.type),
        questionMismatch: mismatch,
      });
      return;
    }
    const lookup = attempt.lookup;
    const at = this.#offset(p.time);
    if (at - attempt.lastReplyAt <= this.options.copyWindowMicros && m.size === attempt.lastReplySize) {
      // The same reply written twice (router `-i any`, mirrored span): not a duplicate response.
      s.responses--;
      s.copies++;
      return;
    }
    attempt.lastReplyAt = at;
    attempt.lastReplySize = m.size;
    if (attempt.outcome !== 'pending') {
      s.duplicateResponses++;
      if (attempt.replies.length < this.options.maxRepliesPerAttempt) attempt.replies = append(attempt.replies, replyRecord(p, m, attempt.key.qtype));
      this.#touch(lookup, at);
      return;
    }
    const reply = replyRecord(p, m, attempt.key.qtype);
    if (attempt.replies.length < this.options.maxRepliesPerAttempt) attempt.replies = append(attempt.replies, reply);
    attempt.outcome = 'answered';
    s.transactions.answered++;
    this.#unpend(attempt);
    // The key keeps its place among the answered (first answer time) when answered again.
    const k = attempt.key;
    const slot = k.answeredSlot;
    if (slot < 0) this.#answered.add(probe.keyHash, portsOf(probe), idTypeOf(probe), at, k);
    else this.#answered.answeredAgain(slot, at, k);
    k.answer = attempt;
    lookup.pending--;
    const question = attempt.question;
    if (reply.tc && m.transport === 'udp') {
      question.sawTc = true;
      this.#tcpWatch.watch(client, server, lookup);
    } else if (question.answer === undefined) {
      question.answer = reply;
    }
    this.#touch(lookup, at);
    this.#emitTransaction(attempt);
  }

  /** #probe refilled for message `m` (question present) between the client's and the server's end. */
  #probeFor(m: DnsMessage, client: string, cport: number, server: string, sport: number): KeyProbe {
    const q = m.question!;
    const k = this.#probe;
    k.transport = m.transport;
    k.client = client;
    k.clientPort = cport;
    k.server = server;
    k.serverPort = sport;
    k.id = m.id;
    k.qclass = q.class;
    k.qtype = q.type;
    k.nameHash = lowerNameHash(q.name);
    k.qnameLower = nameHadUpper ? q.name.toLowerCase() : q.name;
    k.clientHash = addressHash(client);
    k.socketHash = socketHash(k);
    k.keyHash = keyHash(k.socketHash, k);
    return k;
  }

  /** A pending attempt on the probe's socket (any question), if there is one. */
  #findSocket(probe: KeyProbe): Attempt | undefined {
    for (let k = this.#keys.chain(smallHash(probe.socketHash)); k !== undefined; k = k.next) if (k.pending !== undefined && sameSocket(k, probe)) return k.pending;
    return undefined;
  }

  #findKey(probe: KeyProbe): TxKey | undefined {
    for (let k = this.#keys.chain(smallHash(probe.socketHash)); k !== undefined; k = k.next) if (sameKey(k, probe)) return k;
    return undefined;
  }

  /** The probe's key among those answered in the last `unansweredAfterMicros` (its slot), or -1. */
  #answeredSlot(probe: KeyProbe): number {
    return this.#answered.find(probe.keyHash, portsOf(probe), idTypeOf(probe));
  }

  /** A stored key with the probe's fields (the probe itself is reused); `answeredSlot` its fingerprint's slot or -1. */
  #addKey(probe: KeyProbe, answeredSlot: number): TxKey {
    const key: TxKey = {
      hash: smallHash(probe.socketHash), transport: probe.transport, client: probe.client, clientPort: probe.clientPort, server: probe.server,
      serverPort: probe.serverPort, id: probe.id, qclass: probe.qclass, qtype: probe.qtype, qnameLower: probe.qnameLower,
      next: undefined, pending: undefined, answer: undefined, answeredSlot: -1,
    };
    if (answeredSlot >= 0) this.#answered.attach(answeredSlot, key);
    this.#keys.add(key);
    return key;
  }

  /**
   * Forgets a key object once nothing is pending under it and its answer's lookup is closed (or the
   * answer's time is up); that it was answered stays in #answered.
   */
  #releaseKey(k: TxKey): void {
    if (k.pending !== undefined || k.answer !== undefined) return;
    this.#keys.delete(k);
    if (k.answeredSlot >= 0) this.#answered.detach(k.answeredSlot);
    k.answeredSlot = -1;
  }

  /** TCP/53 after a TC=1 reply (tcp-fallback.ts): a lookup it counted for has activity. */
  #tcpSegment(p: Packet): void {
    const l = this.#tcpWatch.segment(p);
    if (l !== undefined) this.#touch(l, this.#offset(p.time));
  }

  /** Capture time `t` as an offset from the epoch (see state.ts). */
  #offset(t: Micros): number {
    return offsetFrom(this.#epoch, t);
  }

  /** `clientHash`, `nameHash`: of `client` and `nameLower`, once per message for the key's hash and the lookup's. */
  #lookupFor(client: string, clientHash: number, clientPort: number, name: string, nameLower: string, nameHash: number, qtype: number, at: number, afterAnswer: boolean): Lookup {
    const family: 'address' | number = qtype === QTYPE_A || qtype === QTYPE_AAAA ? 'address' : qtype;
    const hash = smallHash(mixNumber(mixNumber(clientHash, nameHash), family === 'address' ? -1 : family));
    let open: Lookup | undefined;
    for (let x = this.#lookupIndex.chain(hash); x !== undefined; x = x.next) {
      if (x.family === family && x.nameLower === nameLower && x.client === client) {
        open = x;
        break;
      }
    }
    if (open !== undefined && open.pending === 0 && at - open.lastActivityAt >= this.options.lookupLingerMicros) {
      // Quiet for the linger time: closed now, whatever the expire() cadence.
      this.#close(open, false);
    } else if (open !== undefined) {
      // Asking an answered question again under a new id/port once every question of the lookup
      // is answered is a new getaddrinfo() call; while something is still missing it is a retry.
      let q: Question | undefined;
      let allAnswered = true;
      for (let x = open.firstQuestion; x !== undefined; x = x.next) {
        if (x.qtype === qtype && q === undefined) q = x;
        if (x.answer === undefined) allAnswered = false;
      }
      const complete = open.pending === 0 && allAnswered;
      const reask = q !== undefined && q.answer !== undefined && complete && !afterAnswer;
      const gaveUp = !reask && stubGaveUp(open, clientPort);
      if (!reask && !gaveUp && at - open.startAt < this.options.maxLookupMicros) return open;
      // The stub moved on: what it still waited for went unanswered as far as it is concerned.
      if (gaveUp) {
        for (let x = open.firstQuestion; x !== undefined; x = x.next) {
          for (let a = x.firstAttempt; a !== undefined; a = a.nextInQuestion) if (a.outcome === 'pending') this.#finalize(a, 'unanswered');
        }
      }
      this.#close(open, !reask && !gaveUp);
    }
    const l: Lookup = {
      hash, client, name, nameLower, family, firstQuestion: undefined, servers: EMPTY, fallbacks: EMPTY, startAt: at, lastActivityAt: at, pending: 0, closed: false,
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

  #touch(l: Lookup, at: number): void {
    if (l.closed) return;
    if (at > l.lastActivityAt) l.lastActivityAt = at;
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
  }

  #emitTransaction(a: Attempt): void {
    if (this.options.transactionRecords) this.#emit(transactionRecord(a));
  }

  /** Emits the lookup; attempts still pending (forced close) become unknown. */
  #close(l: Lookup, forced: boolean): void {
    if (l.closed) return;
    if (l.pending > 0) {
      for (let q = l.firstQuestion; q !== undefined; q = q.next) {
        for (let a = q.firstAttempt; a !== undefined; a = a.nextInQuestion) if (a.outcome === 'pending') this.#finalize(a, 'unknown');
      }
      // Attempts past the listing cap are still in #pending; they finish on their own.
    }
    l.closed = true;
    this.#lookups.delete(l);
    this.#lookupIndex.delete(l);
    this.#tcpWatch.release(l);
    for (let q = l.firstQuestion; q !== undefined; q = q.next) {
      for (let a = q.firstAttempt; a !== undefined; a = a.nextInQuestion) {
        // Its records are final: duplicates from now on are only counted (and the lookup is freed).
        if (a.key.answer === a) {
          a.key.answer = undefined;
          this.#releaseKey(a.key);
        }
      }
    }
    const record = lookupRecord(l, forced, this.options.parallelWindowMicros, this.#epoch);
    this.#stats.lookups[record.outcome]++;
    this.#emit(record);
  }
}

