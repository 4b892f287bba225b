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
import { QTYPE_A, QTYPE_AAAA, type DnsAttempt, type DnsLookup, type DnsReply } from '../../reconstruct/dns/index.js';
import { usable } from './common.js';

export interface DownstreamLossOptions {
  /** A question asked again sooner than this after its first transmission is not a timeout retry. */
  minRetryMicros: Micros;
  /** Nor later than this (glibc caps its timeout at 30 s; the reconstructor forgets answers at 10 s). */
  maxRetryMicros: Micros;
  /** Answered pairs remembered per client socket until the client asks again: the oldest go first. */
  maxRemembered: number;
}

/** One first round on one client socket: A and AAAA, both answered at this capture point. */
interface Round {
  readonly lookup: DnsLookup;
  readonly a: DnsAttempt;
  readonly aaaa: DnsAttempt;
  readonly aReply: DnsReply;
  readonly aaaaReply: DnsReply;
}

export interface DownstreamLoss {
  readonly client: string;
  readonly name: string;
  /** The lookup that held the first round. */
  readonly lookup: DnsLookup;
  readonly first: { readonly a: DnsAttempt; readonly aaaa: DnsAttempt; readonly aReply: DnsReply; readonly aaaaReply: DnsReply };
  /** The re-asks on the same 5-tuple and id, with their replies (if any). */
  readonly reasks: readonly DnsAttempt[];
  /** Which reply was lost, when the re-ask shows it (only the second-asked question re-asked), else unknown. */
  readonly lostReply: 'A' | 'AAAA' | 'unknown';
  /** First re-ask − first transmission of that question: about the client's timeout. */
  readonly reaskAfterMicros: number;
  /** From the later of the two replies leaving here to the first re-ask: the least the lookup lost. */
  readonly delayMicros: number;
}

const socketKey = (client: string, a: DnsAttempt): string => `${client}|${a.clientPort}|${a.server}|${a.serverPort}`;

/**
 * Remembers answered A/AAAA rounds per client socket (bounded) and reports each round whose
 * questions the client asked again under the same key after a timeout. Feed every lookup in order.
 */
export class DownstreamLossTracker {
  readonly #rounds = new Map<string, Round>();
  constructor(private readonly o: DownstreamLossOptions) {}

  observe(l: DnsLookup): DownstreamLoss[] {
    if (l.family !== 'address') return [];
    let out: DownstreamLoss[] | undefined;
    // Re-asks first: they may belong to a round of this lookup or of an earlier one.
    let reasks: DnsAttempt[] | undefined;
    for (const q of l.questions) for (const a of q.attempts) if (a.afterAnswer && a.transport === 'udp') (reasks ??= []).push(a);
    const rounds = this.#roundsOf(l);
    if (reasks !== undefined) {
      const bySocket = new Map<string, DnsAttempt[]>();
      for (const a of reasks) {
        const k = socketKey(l.client, a);
        const list = bySocket.get(k);
        if (list === undefined) bySocket.set(k, [a]);
        else list.push(a);
      }
      for (const [k, list] of bySocket) {
        const round = rounds.get(k) ?? this.#rounds.get(k);
        if (round === undefined) continue;
        const loss = this.#judge(l.client, round, list);
        if (loss !== undefined) {
          (out ??= []).push(loss);
          this.#rounds.delete(k); // one finding per round
          rounds.delete(k);
        }
      }
    }
    for (const [k, r] of rounds) {
      this.#rounds.delete(k);
      this.#rounds.set(k, r);
      if (this.#rounds.size > this.o.maxRemembered) this.#rounds.delete(this.#rounds.keys().next().value!);
    }
    return out ?? [];
  }

  /** Each socket's first A and AAAA attempts (not re-asks), when both were answered here. */
  #roundsOf(l: DnsLookup): Map<string, Round> {
    const out = new Map<string, Round>();
    const qa = l.questions.find((q) => q.qtype === QTYPE_A);
    const q6 = l.questions.find((q) => q.qtype === QTYPE_AAAA);
    if (qa === undefined || q6 === undefined) return out;
    for (const a of qa.attempts) {
      if (a.afterAnswer || a.transport !== 'udp') continue;
      const k = socketKey(l.client, a);
      if (out.has(k)) continue;
      const b = q6.attempts.find((x) => !x.afterAnswer && x.transport === 'udp' && socketKey(l.client, x) === k);
      if (b === undefined) continue;
      const ra = a.replies.find(usable);
      const r6 = b.replies.find(usable);
      if (ra === undefined || r6 === undefined) continue;
      out.set(k, { lookup: l, a, aaaa: b, aReply: ra, aaaaReply: r6 });
    }
    return out;
  }

  #judge(client: string, r: Round, reasks: DnsAttempt[]): DownstreamLoss | undefined {
    const mine = reasks.filter((x) => (x.qtype === QTYPE_A && x.id === r.a.id) || (x.qtype === QTYPE_AAAA && x.id === r.aaaa.id));
    if (mine.length === 0) return undefined;
    mine.sort((x, y) => x.queries[0]!.time - y.queries[0]!.time);
    const firstReask = mine[0]!;
    const orig = firstReask.qtype === QTYPE_A ? r.a : r.aaaa;
    const origReply = firstReask.qtype === QTYPE_A ? r.aReply : r.aaaaReply;
    const sent = orig.queries[0]!.time;
    const gap = firstReask.queries[0]!.time - sent;
    if (gap < this.o.minRetryMicros || gap > this.o.maxRetryMicros) return undefined;
    // Both replies left here well before the client gave up: in the first half of its wait.
    const lastReply = Math.max(r.aReply.time, r.aaaaReply.time);
    if (lastReply - Math.min(r.a.queries[0]!.time, r.aaaa.queries[0]!.time) > gap / 2) return undefined;
    if (origReply.time > firstReask.queries[0]!.time) return undefined;
    const types = new Set(mine.map((x) => x.qtype));
    const firstAsked = r.a.queries[0]!.time <= r.aaaa.queries[0]!.time ? QTYPE_A : QTYPE_AAAA;
    // A stub that re-asks only the second question of the pair shows which reply it lacked; glibc
    // starts again with the first question whichever reply was lost, so that shows nothing.
    const lostReply = types.size === 1 && !types.has(firstAsked) ? (firstAsked === QTYPE_A ? 'AAAA' : 'A') : 'unknown';
    return {
      client,
      name: r.lookup.name,
      lookup: r.lookup,
      first: { a: r.a, aaaa: r.aaaa, aReply: r.aReply, aaaaReply: r.aaaaReply },
      reasks: mine,
      lostReply,
      reaskAfterMicros: gap,
      delayMicros: Math.max(0, firstReask.queries[0]!.time - lastReply),
    };
  }
}
