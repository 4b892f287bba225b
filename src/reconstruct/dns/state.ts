// The DNS reconstructor's working state: what it keeps per transaction key, attempt, question and
// open lookup until the records are final. The reconstructor (reconstructor.ts) owns and mutates
// these; records.ts turns them into the final records; tcp-fallback.ts watches the TCP/53 retry
// of a lookup that saw TC=1. Nothing outside this folder sees them.
import type { Micros } from '../../core/index.js';
// The transaction key stays beside the key lookup in reconstructor.ts (a type-only import).
import type { TxKey } from './reconstructor.js';
import type { DnsQuerySent, DnsReply, DnsTcpFallback, TransactionOutcome } from './types.js';

/** At most this many servers, reply data and TCP/53 fallbacks are kept per lookup or reply. */
export const MAX_DATA = 8;

/**
 * Times in this state (the fields named `…At`) are offsets from the reconstructor's epoch, the
 * first packet's capture time, and small integers where they fit: a field holding µs since 1970 is a
 * heap number of its own, allocated with every object and copied with it by each young-generation
 * collection (lookups and their attempts can live seconds of capture time: long enough to be
 * promoted). records.ts adds the epoch back. Offsets beyond ±2^31 µs (35 min) stay doubles: exact, only boxed.
 */
export function offsetFrom(epoch: Micros, t: Micros): number {
  const d = t - epoch;
  return (d | 0) === d ? d | 0 : d;
}

export type Pending = TransactionOutcome | 'pending';

/**
 * One transmission key's question while it is pending or its lookup open. The socket and question
 * fields are read from `key` rather than copied: every field is a word of what a lookup keeps alive.
 */
export interface Attempt {
  /** While pending, `key.pending` is this attempt. */
  readonly key: TxKey;
  /** The name as sent (the key holds it in lower case). */
  readonly qname: string;
  /** The question's next attempt (see Question.firstAttempt). */
  nextInQuestion: Attempt | undefined;
  queries: DnsQuerySent[];
  replies: DnsReply[];
  readonly afterAnswer: boolean;
  readonly lookup: Lookup;
  readonly question: Question;
  lastSentAt: number;
  /** Size of the last transmission and of the last reply (-1: none yet): to tell a second copy of one packet. */
  lastSize: number;
  lastReplyAt: number;
  lastReplySize: number;
  outcome: Pending;
  /** Neighbours in #pending while pending. */
  older: Attempt | undefined;
  newer: Attempt | undefined;
}

/**
 * A lookup's questions and a question's attempts are chains through the items themselves, in the
 * order they came (Lookup.firstQuestion → Question.next, Question.firstAttempt →
 * Attempt.nextInQuestion; short: a few questions, at most maxAttemptsPerQuestion attempts): the
 * records list them in arrays of their own, made at their size when the lookup closes, so an array
 * per lookup and per question in the working state (a new one when the second item came) was
 * thrown away at every close.
 */
export interface Question {
  readonly qtype: number;
  firstAttempt: Attempt | undefined;
  next: Question | undefined;
  retransmissions: number;
  readonly firstSentAt: number;
  lastSentAt: number;
  answer: DnsReply | undefined;
  sawTc: boolean;
}

export interface Fallback {
  clientPort: number;
  server: string;
  synFrame: number;
  synTime: Micros;
  synRetries: number;
  result: DnsTcpFallback['result'];
  replyFrame: number | undefined;
  replyTime: Micros | undefined;
}

export interface Lookup {
  readonly hash: number;
  readonly client: string;
  readonly name: string;
  readonly nameLower: string;
  readonly family: 'address' | number;
  firstQuestion: Question | undefined;
  servers: string[];
  fallbacks: Fallback[];
  readonly startAt: number;
  lastActivityAt: number;
  pending: number;
  closed: boolean;
  next: Lookup | undefined;
  /** Neighbours in #lookups while open. */
  older: Lookup | undefined;
  newer: Lookup | undefined;
}

/**
 * The working lists no record shows as they are (a lookup's servers and TCP fallbacks) start as
 * this one shared, frozen array: append() makes a new array for the first item and never pushes
 * onto an empty one. Loops over them are indexed: for-of over a frozen array makes an iterator
 * (and a result object per step) where over a plain one it makes none, so lists that records hand
 * to the detectors (replies, reply data) start as plain `[]`. (for-of makes them over any array in
 * code V8 has not optimised: the loops a lookup's close runs are indexed too.)
 */
export const EMPTY: never[] = Object.freeze([]) as unknown as never[];

/**
 * The lists records hand to detectors (an attempt's replies, a reply's answer data, a lookup's TCP
 * fallbacks) start as this one shared plain array: not frozen, so for-of over it stays cheap (see
 * EMPTY), and never written, because append() makes a new array for the first item. A new `[]`
 * per attempt and per reply was 32 B each, thrown away at the first reply or datum (with lookup
 * records' question lists made at their size and the timeline's one Map lookup per DNS message, since
 * taken back: 8.41–8.43 → 8.32 G instructions, callgrind, edge bench file's first 100 k packets).
 */
export const NONE_YET: never[] = [];

