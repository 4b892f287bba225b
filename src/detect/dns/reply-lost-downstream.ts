// The server-side view of a same-port reply drop (INCIDENTS §1), for dns.same_port_reply_drop.
// At a DNS server, a resolver or a router before the firewall, both replies of the client's A/AAAA
// pair are seen leaving. What gives the loss away is the client: about one timeout later it asks a
// question again on the same 5-tuple under the same id (glibc re-sends on its socket), a question
// that was answered here long before. A client that does so did not receive what left here: a
// reply was lost between this capture point and the client. This capture point cannot see where,
// nor (usually) which reply of the pair; nor whether the lookup finally succeeded.
//
// Silent for: a client asking again after its cache expired (a new id: not the same key); a
// query re-sent because it was never answered (no reply left here before the re-send); a resolver's
// own upstream questions (one question per socket, no pair); a reply that left late, close to the
// client's timeout (it may have arrived after the client gave up on it).
import type { Micros } from '../../core/index.js';
import { QTYPE_A, QTYPE_AAAA, type DnsAttempt, type DnsLookup, type DnsQuerySent, type DnsQuestionRecord, type DnsReply } from '../../reconstruct/dns/index.js';
import { sameUdpSocket, usable, type ReplyShown } from './common.js';

export interface DownstreamLossOptions {
  /** A question asked again sooner than this after its first transmission is not a timeout retry. */
  minRetryMicros: Micros;
  /** Nor later than this (glibc caps its timeout at 30 s; the reconstructor forgets answers at 10 s). */
  maxRetryMicros: Micros;
  /** Answered rounds remembered until their client asks again: the newest this many (a socket's newer round replaces its older one). */
  maxRemembered: number;
}

/** One first round on one client socket: A and AAAA, both answered at this capture point. */
export interface FirstRound {
  readonly client: string;
  readonly name: string;
  readonly clientPort: number;
  readonly server: string;
  readonly serverPort: number;
  readonly aId: number;
  readonly aaaaId: number;
  /** Each question's first transmission and the first usable reply to it that left here. */
  readonly aSent: DnsQuerySent;
  readonly aaaaSent: DnsQuerySent;
  readonly aReply: ReplyShown;
  readonly aaaaReply: ReplyShown;
}

export interface DownstreamLoss {
  readonly first: FirstRound;
  /** The re-asks on the same 5-tuple and id, with their replies (if any). */
  readonly reasks: readonly DnsAttempt[];
  /** Which reply was lost, when the re-ask shows it (only the second-asked question re-asked), else unknown. */
  readonly lostReply: 'A' | 'AAAA' | 'unknown';
  /** First re-ask − first transmission of that question: about the client's timeout. */
  readonly reaskAfterMicros: number;
  /** From the later of the two replies leaving here to the first re-ask: the least the lookup lost. */
  readonly delayMicros: number;
}

const NO_LOSSES: readonly DownstreamLoss[] = Object.freeze([]);

// Numbers kept per question of a round, in RoundRing.#numbers.
const SENT_FRAME = 0;
const SENT_TIME = 1;
const SENT_SIZE = 2;
const SENT_EDNS = 3; // -1: no EDNS
const REPLY_FRAME = 4;
const REPLY_TIME = 5;
const REPLY_RCODE = 6;
const REPLY_ANSWERS = 7;
const REPLY_SIZE = 8;
const REPLY_FLAGS = 9; // TC | AA << 1 | fragmented << 2
const PER_QUESTION = 10;
const NONE = -1;

/**
 * The newest `capacity` answered rounds, in typed arrays, findable by client socket. Every answered
 * lookup is remembered for seconds (until the client's timeout), so whatever is kept is copied into
 * the old generation by the collector: holding the lookups made the easy bench file 30 % slower, two
 * thirds of it garbage collection. Numbers in preallocated arrays cost the collector nothing; the
 * strings are shared (addresses are cached text, the name is the lookup's own). A round is found by
 * client port (a direct index, no hashing), then compared field by field.
 */
class RoundRing {
  readonly #client: (string | undefined)[];
  readonly #server: (string | undefined)[];
  readonly #name: (string | undefined)[];
  /** Per slot: client port, server port, A id, AAAA id. */
  readonly #ints: Int32Array;
  /** Per slot: PER_QUESTION numbers for A, then for AAAA. */
  readonly #numbers: Float64Array;
  readonly #live: Uint8Array;
  /** The first slot of each client port's chain, +1 (0: none); then each slot's next, +1. */
  readonly #headByPort = new Int32Array(65536);
  readonly #next: Int32Array;
  /** The slot the next round takes: the oldest one. */
  #write = 0;

  constructor(private readonly capacity: number) {
    this.#client = new Array<string | undefined>(capacity).fill(undefined);
    this.#server = new Array<string | undefined>(capacity).fill(undefined);
    this.#name = new Array<string | undefined>(capacity).fill(undefined);
    this.#ints = new Int32Array(capacity * 4);
    this.#numbers = new Float64Array(capacity * 2 * PER_QUESTION);
    this.#live = new Uint8Array(capacity);
    this.#next = new Int32Array(capacity);
  }

  /** The live slot of the round on this socket, or NONE. */
  find(client: string, clientPort: number, server: string, serverPort: number): number {
    for (let s = this.#headByPort[clientPort]! - 1; s !== NONE; s = this.#next[s]! - 1) {
      const i = s * 4;
      if (this.#ints[i + 1] === serverPort && this.#server[s] === server && this.#client[s] === client) return s;
    }
    return NONE;
  }

  /** Remembers the round of A attempt `a` and AAAA attempt `b`, replacing the socket's older one. */
  add(l: DnsLookup, a: DnsAttempt, b: DnsAttempt): void {
    if (this.capacity === 0) return;
    const old = this.find(l.client, a.clientPort, a.server, a.serverPort);
    if (old !== NONE) this.remove(old);
    const s = this.#write;
    this.#write = s + 1 === this.capacity ? 0 : s + 1;
    if (this.#live[s] === 1) this.remove(s); // the oldest round goes
    this.#client[s] = l.client;
    this.#server[s] = a.server;
    this.#name[s] = l.name;
    const i = s * 4;
    this.#ints[i] = a.clientPort;
    this.#ints[i + 1] = a.serverPort;
    this.#ints[i + 2] = a.id;
    this.#ints[i + 3] = b.id;
    this.#storeQuestion(s * 2, a.queries[0]!, firstUsable(a)!);
    this.#storeQuestion(s * 2 + 1, b.queries[0]!, firstUsable(b)!);
    this.#live[s] = 1;
    this.#next[s] = this.#headByPort[a.clientPort]!;
    this.#headByPort[a.clientPort] = s + 1;
  }

  remove(s: number): void {
    if (this.#live[s] === 0) return;
    this.#live[s] = 0;
    const port = this.#ints[s * 4]!;
    if (this.#headByPort[port] === s + 1) this.#headByPort[port] = this.#next[s]!;
    else {
      for (let p = this.#headByPort[port]! - 1; p !== NONE; p = this.#next[p]! - 1) {
        if (this.#next[p] === s + 1) {
          this.#next[p] = this.#next[s]!;
          break;
        }
      }
    }
    this.#next[s] = 0;
    this.#client[s] = this.#server[s] = this.#name[s] = undefined;
  }

  /** The round in slot `s`, as records (the rare path: a re-ask found it). */
  read(s: number): FirstRound {
    const i = s * 4;
    return {
      client: this.#client[s]!,
      name: this.#name[s]!,
      clientPort: this.#ints[i]!,
      server: this.#server[s]!,
      serverPort: this.#ints[i + 1]!,
      aId: this.#ints[i + 2]!,
      aaaaId: this.#ints[i + 3]!,
      aSent: this.#sent(s * 2),
      aaaaSent: this.#sent(s * 2 + 1),
      aReply: this.#reply(s * 2),
      aaaaReply: this.#reply(s * 2 + 1),
    };
  }

  #storeQuestion(q: number, sent: DnsQuerySent, reply: DnsReply): void {
    const n = this.#numbers;
    const o = q * PER_QUESTION;
    n[o + SENT_FRAME] = sent.frame;
    n[o + SENT_TIME] = sent.time;
    n[o + SENT_SIZE] = sent.size;
    n[o + SENT_EDNS] = sent.ednsUdpSize ?? -1;
    n[o + REPLY_FRAME] = reply.frame;
    n[o + REPLY_TIME] = reply.time;
    n[o + REPLY_RCODE] = reply.rcode;
    n[o + REPLY_ANSWERS] = reply.answersOfType;
    n[o + REPLY_SIZE] = reply.size;
    n[o + REPLY_FLAGS] = (reply.tc ? 1 : 0) | (reply.aa ? 2 : 0) | (reply.fragmented ? 4 : 0);
  }

  #sent(q: number): DnsQuerySent {
    const n = this.#numbers;
    const o = q * PER_QUESTION;
    const edns = n[o + SENT_EDNS]!;
    return { frame: n[o + SENT_FRAME]!, time: n[o + SENT_TIME]!, size: n[o + SENT_SIZE]!, ednsUdpSize: edns < 0 ? undefined : edns };
  }

  #reply(q: number): ReplyShown {
    const n = this.#numbers;
    const o = q * PER_QUESTION;
    const flags = n[o + REPLY_FLAGS]!;
    return {
      frame: n[o + REPLY_FRAME]!,
      time: n[o + REPLY_TIME]!,
      rcode: n[o + REPLY_RCODE]!,
      answersOfType: n[o + REPLY_ANSWERS]!,
      size: n[o + REPLY_SIZE]!,
      tc: (flags & 1) !== 0,
      aa: (flags & 2) !== 0,
      fragmented: (flags & 4) !== 0,
    };
  }
}

const firstUsable = (a: DnsAttempt): DnsReply | undefined => {
  for (let i = 0; i < a.replies.length; i++) if (usable(a.replies[i]!)) return a.replies[i];
  return undefined;
};

/**
 * Remembers answered A/AAAA rounds per client socket (bounded) and reports each round whose
 * questions the client asked again under the same key after a timeout. Feed every lookup in order.
 * Most lookups hold one round and no re-ask: that path allocates nothing.
 */
export class DownstreamLossTracker {
  readonly #rounds: RoundRing;
  constructor(private readonly o: DownstreamLossOptions) {
    this.#rounds = new RoundRing(o.maxRemembered);
  }

  observe(l: DnsLookup): readonly DownstreamLoss[] {
    if (l.family !== 'address') return NO_LOSSES;
    let qa: DnsQuestionRecord | undefined;
    let q6: DnsQuestionRecord | undefined;
    let reasked = false;
    // Indexed, as every loop on this per-lookup path (src/detect/dns/common.ts, INDEXED).
    for (let i = 0; i < l.questions.length; i++) {
      const q = l.questions[i]!;
      if (q.qtype === QTYPE_A) qa ??= q;
      else if (q.qtype === QTYPE_AAAA) q6 ??= q;
      for (let j = 0; j < q.attempts.length; j++) if (q.attempts[j]!.afterAnswer && q.attempts[j]!.transport === 'udp') reasked = true;
    }
    if (reasked) return this.#judgeReasks(l, qa, q6);
    if (qa !== undefined && q6 !== undefined) {
      const as = qa.attempts;
      for (let i = 0; i < as.length; i++) {
        const b = roundPartner(as, i, q6);
        if (b !== undefined) this.#rounds.add(l, as[i]!, b);
      }
    }
    return NO_LOSSES;
  }

  /** The rare path: re-asks may belong to a round of this lookup or of an earlier one. */
  #judgeReasks(l: DnsLookup, qa: DnsQuestionRecord | undefined, q6: DnsQuestionRecord | undefined): readonly DownstreamLoss[] {
    const here: { a: DnsAttempt; b: DnsAttempt }[] = [];
    if (qa !== undefined && q6 !== undefined) {
      for (let i = 0; i < qa.attempts.length; i++) {
        const b = roundPartner(qa.attempts, i, q6);
        if (b !== undefined) here.push({ a: qa.attempts[i]!, b });
      }
    }
    const bySocket = new Map<string, DnsAttempt[]>();
    for (const q of l.questions) {
      for (const a of q.attempts) {
        if (!a.afterAnswer || a.transport !== 'udp') continue;
        const k = `${a.clientPort}|${a.server}|${a.serverPort}`;
        const list = bySocket.get(k);
        if (list === undefined) bySocket.set(k, [a]);
        else list.push(a);
      }
    }
    let out: DownstreamLoss[] | undefined;
    for (const list of bySocket.values()) {
      const x = list[0]!;
      const mine = here.findIndex((r) => sameUdpSocket(r.a, x));
      const slot = mine >= 0 ? NONE : this.#rounds.find(l.client, x.clientPort, x.server, x.serverPort);
      if (mine < 0 && slot === NONE) continue;
      const round = mine >= 0 ? roundRecord(l, here[mine]!.a, here[mine]!.b) : this.#rounds.read(slot);
      const loss = this.#judge(round, list);
      if (loss !== undefined) {
        (out ??= []).push(loss);
        // One finding per round.
        if (mine >= 0) here.splice(mine, 1);
        else this.#rounds.remove(slot);
      }
    }
    for (const r of here) this.#rounds.add(l, r.a, r.b);
    return out ?? NO_LOSSES;
  }

  #judge(r: FirstRound, reasks: DnsAttempt[]): DownstreamLoss | undefined {
    const mine = reasks.filter((x) => (x.qtype === QTYPE_A && x.id === r.aId) || (x.qtype === QTYPE_AAAA && x.id === r.aaaaId));
    if (mine.length === 0) return undefined;
    mine.sort((x, y) => x.queries[0]!.time - y.queries[0]!.time);
    const firstReask = mine[0]!;
    const reaskTime = firstReask.queries[0]!.time;
    const origSent = firstReask.qtype === QTYPE_A ? r.aSent : r.aaaaSent;
    const origReply = firstReask.qtype === QTYPE_A ? r.aReply : r.aaaaReply;
    const gap = reaskTime - origSent.time;
    if (gap < this.o.minRetryMicros || gap > this.o.maxRetryMicros) return undefined;
    // Both replies left here well before the client gave up: in the first half of its wait.
    const lastReply = Math.max(r.aReply.time, r.aaaaReply.time);
    if (lastReply - Math.min(r.aSent.time, r.aaaaSent.time) > gap / 2) return undefined;
    if (origReply.time > reaskTime) return undefined;
    const types = new Set(mine.map((x) => x.qtype));
    const firstAsked = r.aSent.time <= r.aaaaSent.time ? QTYPE_A : QTYPE_AAAA;
    // A stub that re-asks only the second question of the pair shows which reply it lacked; glibc
    // starts again with the first question whichever reply was lost, so that shows nothing.
    const lostReply = types.size === 1 && !types.has(firstAsked) ? (firstAsked === QTYPE_A ? 'AAAA' : 'A') : 'unknown';
    return { first: r, reasks: mine, lostReply, reaskAfterMicros: gap, delayMicros: Math.max(0, reaskTime - lastReply) };
  }
}

const roundRecord = (l: DnsLookup, a: DnsAttempt, b: DnsAttempt): FirstRound => ({
  client: l.client,
  name: l.name,
  clientPort: a.clientPort,
  server: a.server,
  serverPort: a.serverPort,
  aId: a.id,
  aaaaId: b.id,
  aSent: a.queries[0]!,
  aaaaSent: b.queries[0]!,
  aReply: firstUsable(a)!,
  aaaaReply: firstUsable(b)!,
});

/**
 * The AAAA attempt that makes a round with A attempt `i`: the first AAAA first transmission over UDP
 * on its socket, both answered here, unless an earlier A attempt already made that socket's round.
 */
function roundPartner(as: readonly DnsAttempt[], i: number, q6: DnsQuestionRecord): DnsAttempt | undefined {
  const b = answeredPartner(as[i]!, q6);
  if (b === undefined) return undefined;
  for (let j = 0; j < i; j++) if (sameUdpSocket(as[j]!, as[i]!) && answeredPartner(as[j]!, q6) !== undefined) return undefined;
  return b;
}

/**
 * For a first-round A attempt (not a re-ask, over UDP) answered here: the first such AAAA attempt
 * on its socket, when that was answered here too; else undefined.
 */
function answeredPartner(a: DnsAttempt, q6: DnsQuestionRecord): DnsAttempt | undefined {
  if (a.afterAnswer || a.transport !== 'udp' || firstUsable(a) === undefined) return undefined;
  for (let i = 0; i < q6.attempts.length; i++) {
    const x = q6.attempts[i]!;
    if (!x.afterAnswer && x.transport === 'udp' && sameUdpSocket(x, a)) return firstUsable(x) === undefined ? undefined : x;
  }
  return undefined;
}
