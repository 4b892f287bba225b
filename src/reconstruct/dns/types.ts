// What the DNS reconstructor produces: transactions (one query key and its reply), lookups (what one
// client asked about one name: the unit of a getaddrinfo() call) and orphan responses. These records
// are the product (as in Zeek): detectors read nothing else. Every field is copied out of packets.
import type { Micros } from '../../core/index.js';

export const QTYPE_A = 1;
export const QTYPE_AAAA = 28;
export const QTYPE_PTR = 12;

const qtypeNames = new Map<number, string>([
  [1, 'A'], [2, 'NS'], [5, 'CNAME'], [6, 'SOA'], [12, 'PTR'], [15, 'MX'], [16, 'TXT'], [28, 'AAAA'],
  [33, 'SRV'], [35, 'NAPTR'], [43, 'DS'], [46, 'RRSIG'], [48, 'DNSKEY'], [64, 'SVCB'], [65, 'HTTPS'],
  [255, 'ANY'],
]);
export const qtypeName = (t: number): string => qtypeNames.get(t) ?? `TYPE${t}`;

const rcodeNames = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];
export const rcodeName = (r: number): string => rcodeNames[r] ?? `RCODE${r}`;

/** Reconstruction limits and timeouts. All times are capture time (µs), never the wall clock. */
export interface DnsOptions {
  /**
   * A query with no reply this long after its last transmission is `unanswered`. 10 s covers the
   * stub timeouts seen in practice (glibc 5 s default, `options timeout:1/2`, Windows 1–4 s steps,
   * systemd-resolved ~5 s) with room for a late reply. Default 10 s.
   */
  unansweredAfterMicros: Micros;
  /**
   * A lookup with nothing pending closes this long after its last query or reply. It must exceed
   * the gap between the first answer and a sequential second query (micro- to milliseconds), and
   * stay well below the slow-lookup threshold so two separate calls are not merged: default 500 ms.
   */
  lookupLingerMicros: Micros;
  /** A lookup is closed this long after it started whatever is pending: default 60 s. */
  maxLookupMicros: Micros;
  /**
   * The second question of a lookup counts as parallel when it leaves before any reply to the
   * first and within this window of it (stubs send the pair back-to-back): default 100 ms.
   */
  parallelWindowMicros: Micros;
  /** Bounds: transactions waiting for a reply, open lookups, transmissions kept per question. */
  maxPendingTransactions: number;
  maxOpenLookups: number;
  maxAttemptsPerQuestion: number;
  /** Replies kept per attempt (the first and its duplicates). */
  maxRepliesPerAttempt: number;
  /** UDP server ports that are not unicast DNS (mDNS 5353, LLMNR 5355): ignored, counted. */
  ignoredPorts: readonly number[];
  /**
   * A message under the same key and of the same size within this time of the previous one is a
   * second copy of one packet, not a retransmission or a duplicate reply: `tcpdump -i any` on a
   * router writes each forwarded packet twice (µs apart), and a span port may mirror both legs.
   * Stubs re-send after a timeout of 100 ms or more (musl timeout/attempts, glibc ≥ 1 s, Windows
   * 1 s): default 10 ms.
   */
  copyWindowMicros: Micros;
  /**
   * Whether transaction records are emitted (they are counted either way). The analysis asks for
   * them only when one of its detectors reads them (Detector.readsTransactions): none of the
   * shipped ones does, and a record per query, handed to every DNS detector to be ignored, was
   * ~150 B and a call of each. Default true.
   */
  transactionRecords: boolean;
}

export const DEFAULT_DNS_OPTIONS: DnsOptions = Object.freeze({
  unansweredAfterMicros: 10_000_000,
  lookupLingerMicros: 500_000,
  maxLookupMicros: 60_000_000,
  parallelWindowMicros: 100_000,
  maxPendingTransactions: 100_000,
  maxOpenLookups: 100_000,
  maxAttemptsPerQuestion: 16,
  maxRepliesPerAttempt: 4,
  ignoredPorts: Object.freeze([5353, 5355]),
  copyWindowMicros: 10_000,
  transactionRecords: true,
});

export type Transport = 'udp' | 'tcp';

/** One query packet (the first transmission or a retransmission under the same key). */
export interface DnsQuerySent {
  readonly frame: number;
  readonly time: Micros;
  /** DNS message size in octets. */
  readonly size: number;
  /** EDNS UDP payload size the client advertised, undefined without EDNS. */
  readonly ednsUdpSize: number | undefined;
}

/** One response packet, as far as detectors need it. */
export interface DnsReply {
  readonly frame: number;
  readonly time: Micros;
  readonly rcode: number;
  readonly ancount: number;
  /** Answer records of the question's type (A records for an A question …). */
  readonly answersOfType: number;
  /** A/AAAA/PTR data of those records, at most 8. */
  readonly data: readonly string[];
  readonly aa: boolean;
  readonly ra: boolean;
  readonly tc: boolean;
  /** Message size in octets. */
  readonly size: number;
  readonly ednsUdpSize: number | undefined;
  readonly ipVersion: 4 | 6;
  /** The reply arrived in IP fragments (reassembled); their frame numbers. */
  readonly fragmented: boolean;
  readonly fragmentFrames: readonly number[] | undefined;
  /** The capture cut the message. */
  readonly truncated: boolean;
  /** Part of the message could not be parsed. */
  readonly malformed: boolean;
}

export type TransactionOutcome = 'answered' | 'unanswered' | 'unknown';

/**
 * One query key (transport, client ip/port, server ip/port, id) with its question, its
 * transmissions (the first and same-key retransmissions) and its replies.
 */
export interface DnsAttempt {
  readonly transport: Transport;
  readonly clientPort: number;
  readonly server: string;
  readonly serverPort: number;
  readonly id: number;
  readonly qtype: number;
  /** Transmissions under this key, oldest first (at most maxAttemptsPerQuestion). */
  readonly queries: readonly DnsQuerySent[];
  /** Replies under this key: the first, then duplicates (at most maxRepliesPerAttempt). */
  readonly replies: readonly DnsReply[];
  readonly outcome: TransactionOutcome;
  /**
   * The first transmission left after a usable reply to the same question had already been seen
   * at this capture point (the client did not get that reply: lost after the capture point).
   */
  readonly afterAnswer: boolean;
}

/** A transaction is final: answered (emitted at once), unanswered (on expiry) or unknown (capture end). */
export interface DnsTransaction {
  readonly type: 'transaction';
  readonly transport: Transport;
  readonly client: string;
  readonly clientPort: number;
  readonly server: string;
  readonly serverPort: number;
  readonly id: number;
  readonly qname: string;
  readonly qtype: number;
  readonly qclass: number;
  readonly queries: readonly DnsQuerySent[];
  readonly response: DnsReply | undefined;
  readonly outcome: TransactionOutcome;
  /** response.time − queries[0].time: from the FIRST transmission under this key. */
  readonly timeToAnswerMicros: number | undefined;
}

export type QuestionOutcome = 'answered' | 'truncated' | 'unanswered' | 'unknown';

/** One question (qtype) of a lookup across all its attempts: ports, ids, servers, transports. */
export interface DnsQuestionRecord {
  readonly qtype: number;
  readonly attempts: readonly DnsAttempt[];
  /** Transmissions beyond the first, across attempts (counted past the attempt cap too). */
  readonly retransmissions: number;
  readonly firstSent: Micros;
  readonly lastSent: Micros;
  /** The first reply without TC, from any attempt. */
  readonly answer: DnsReply | undefined;
  /** answered: a full reply; truncated: only TC=1 replies; unanswered/unknown as for transactions. */
  readonly outcome: QuestionOutcome;
  /** answer.time − firstSent (first transmission of this question in the lookup). */
  readonly timeToAnswerMicros: number | undefined;
}

/**
 * How the client asked A and AAAA:
 * - single: only one of them;
 * - parallel-same-port: both from one socket before a reply (glibc, musl, and Windows stubs in public captures);
 * - parallel-separate-ports: both before a reply, from two sockets (glibc single-request-reopen,
 *   systemd-resolved upstream, Windows);
 * - sequential-same-port / sequential-separate-ports: the second only after the first's reply or
 *   timeout (glibc single-request, others).
 */
export type LookupPattern =
  | 'single'
  | 'parallel-same-port'
  | 'parallel-separate-ports'
  | 'sequential-same-port'
  | 'sequential-separate-ports';

export type LookupOutcome = 'answered' | 'partial' | 'unanswered' | 'unknown';

/** A TCP/53 connection attempt the client made after a TC=1 reply. */
export interface DnsTcpFallback {
  readonly server: string;
  readonly synFrame: number;
  readonly synTime: Micros;
  readonly synRetries: number;
  /** connected: SYN-ACK seen; reset: RST from the server; no-reply: neither before the lookup closed. */
  readonly result: 'connected' | 'reset' | 'no-reply';
  readonly replyFrame: number | undefined;
  readonly replyTime: Micros | undefined;
}

/**
 * What one client asked about one name: A and AAAA together (the unit of a getaddrinfo() call), or
 * one other qtype (PTR …), with every retry. A new lookup starts when a question that was already
 * answered is asked again under a new id or port.
 */
export interface DnsLookup {
  readonly type: 'lookup';
  readonly client: string;
  /** The name as first seen (capture text: hostile). */
  readonly name: string;
  /**
   * `name` in lower case (RFC 4343: names compare without case), as the reconstructor keyed the
   * lookup: the same string as `name` when it has no capital, so detectors that key on it make no
   * copy per lookup and their maps hash it once.
   */
  readonly nameLower: string;
  /** 'address' for A/AAAA lookups, else the qtype. */
  readonly family: 'address' | number;
  /** In the order first asked. */
  readonly questions: readonly DnsQuestionRecord[];
  readonly start: Micros;
  /** The last answer, or the last transmission when something stayed unanswered. */
  readonly end: Micros;
  readonly totalMicros: number;
  readonly outcome: LookupOutcome;
  readonly pattern: LookupPattern;
  /** qtype asked first (A-first / AAAA-first for address lookups). */
  readonly firstQtype: number;
  /** Servers queried, in order of first use. */
  readonly servers: readonly string[];
  readonly tcpFallbacks: readonly DnsTcpFallback[];
  /** Closed by maxLookupMicros or the state bound rather than by going quiet. */
  readonly forcedClose: boolean;
}

/** A response that matched no query (the query was before the capture, or on another path). */
export interface DnsOrphanResponse {
  readonly type: 'orphan';
  readonly transport: Transport;
  readonly client: string;
  readonly clientPort: number;
  readonly server: string;
  readonly serverPort: number;
  readonly id: number;
  readonly qname: string | undefined;
  readonly qtype: number | undefined;
  readonly reply: DnsReply;
  /** A query under this key existed but asked another question. */
  readonly questionMismatch: boolean;
}

export type DnsRecord = DnsTransaction | DnsLookup | DnsOrphanResponse;

export interface DnsStats {
  messages: number;
  queries: number;
  responses: number;
  /** Same-key query transmissions after the first. */
  retransmissions: number;
  transactions: { answered: number; unanswered: number; unknown: number };
  /** Responses after the first under one key. */
  duplicateResponses: number;
  /** Responses with no query under their key (question mismatches included). */
  unmatchedResponses: number;
  questionMismatches: number;
  lookups: { answered: number; partial: number; unanswered: number; unknown: number };
  /** mDNS/LLMNR messages skipped (UDP 5353/5355). */
  ignored: number;
  /** Second copies of one packet (router `-i any`, mirrored span), skipped: see copyWindowMicros. */
  copies: number;
  /** Messages whose IP/port could not be read, or with no question. */
  unusable: number;
  /** State dropped because a bound was reached. */
  evictedTransactions: number;
  evictedLookups: number;
}
