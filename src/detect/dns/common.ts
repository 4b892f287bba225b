// Shared by the DNS detectors: safe text from capture strings, display filters from validated
// values only, evidence from records, and small walks over a lookup's questions. Each incident's
// rule lives in its own detector file.
import { formatDuration, type Micros } from '../../core/index.js';
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
import { CappedGroups, NO_FINDINGS } from '../detector.js';
import { flatText, framesAndAddresses, sortEvidence } from '../evidence.js';
import type { Evidence } from '../finding.js';

export { formatDuration, qtypeName, rcodeName, sortEvidence };

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

/** Display filter: the evidence frames (or all DNS), narrowed by validated addresses (never by names). */
export const displayFilter = (frames: readonly number[], addrs: readonly string[] = []): string => framesAndAddresses(frames, addrs, 'dns');

export { CappedGroups, NO_FINDINGS };

// INDEXED: the loops the DNS detectors run for every lookup record (observe() and what it calls on
// every lookup) are indexed. A for-of there made an iterator and a result object per step wherever
// V8 ran the function unoptimised or deoptimised (sampled allocation on the edge file's first 400 k
// packets: ~12 B per packet of `values`/`next` from resolver_profile, reply-lost-downstream and
// local_zone_leak); an indexed loop allocates nothing in any tier.

export const isAddressQtype = (t: number): boolean => t === QTYPE_A || t === QTYPE_AAAA;

/** A loop: find() with a closure over `qtype` made a context and a closure per call (several per lookup). */
export function question(l: DnsLookup, qtype: number): DnsQuestionRecord | undefined {
  for (let i = 0; i < l.questions.length; i++) if (l.questions[i]!.qtype === qtype) return l.questions[i];
  return undefined;
}

/** A reply a stub can use: NOERROR or NXDOMAIN, not truncated. */
export const usable = (r: DnsReply): boolean => !r.tc && (r.rcode === 0 || r.rcode === 3);

/** Two attempts from one client UDP socket to one server socket (the client is the lookup's). */
export const sameUdpSocket = (x: DnsAttempt, y: DnsAttempt): boolean =>
  x.transport === 'udp' && y.transport === 'udp' && x.clientPort === y.clientPort && x.server === y.server && x.serverPort === y.serverPort;

/** What evidence shows of a reply (a record kept without the rest, see reply-lost-downstream.ts). */
export type ReplyShown = Pick<DnsReply, 'frame' | 'time' | 'rcode' | 'answersOfType' | 'tc' | 'aa' | 'size' | 'fragmented'>;
/** What evidence shows of an attempt: its socket and question type. */
export type AttemptShown = Pick<DnsAttempt, 'clientPort' | 'server' | 'serverPort' | 'qtype' | 'transport' | 'id'>;
/** What evidence shows of a lookup (questionEvidence): its questions' attempts, queries and replies. */
export interface LookupShown {
  readonly client: string;
  readonly questions: readonly {
    readonly qtype: number;
    readonly attempts: readonly (AttemptShown & { readonly queries: readonly DnsQuerySent[]; readonly replies: readonly ReplyShown[] })[];
  }[];
}

/**
 * A copy of what evidence shows of a lookup, for a detector that keeps lookups in case a finding
 * cites them: without the replies' answer data and the rest of the record, a kept lookup is about
 * half its size (local_zone_leak's 4,096 remembered legs: ~5.8 MB → ~3.6 MB, edge file 2 M).
 */
export function shownLookup(l: DnsLookup): LookupShown {
  return {
    client: l.client,
    questions: l.questions.map((q) => ({
      qtype: q.qtype,
      attempts: q.attempts.map((a) => ({
        transport: a.transport,
        clientPort: a.clientPort,
        server: a.server,
        serverPort: a.serverPort,
        id: a.id,
        qtype: a.qtype,
        queries: a.queries,
        replies: a.replies.map((r): ReplyShown => ({ frame: r.frame, time: r.time, rcode: r.rcode, answersOfType: r.answersOfType, tc: r.tc, aa: r.aa, size: r.size, fragmented: r.fragmented })),
      })),
    })),
  };
}

export function queryEvidence(q: DnsQuerySent, a: AttemptShown, client: string, role: string): Evidence {
  return {
    frame: q.frame,
    time: q.time,
    role: flatText(role),
    mark: 'dns-query',
    src: flatText(`${client}:${a.clientPort}`),
    dst: flatText(`${a.server}:${a.serverPort}`),
    detail: flatText(`${qtypeName(a.qtype)} ${a.transport} id 0x${a.id.toString(16).padStart(4, '0')}, ${q.size} B`),
  };
}

export function replyEvidence(r: ReplyShown, a: AttemptShown, client: string, role: string): Evidence {
  return {
    frame: r.frame,
    time: r.time,
    role: flatText(role),
    mark: 'dns-answer',
    src: flatText(`${a.server}:${a.serverPort}`),
    dst: flatText(`${client}:${a.clientPort}`),
    detail: flatText(`${qtypeName(a.qtype)} ${rcodeName(r.rcode)}, ${r.answersOfType} answer(s)${r.tc ? ', TC' : ''}${r.aa ? ', AA' : ''}, ${r.size} B${r.fragmented ? ', fragmented' : ''}`),
  };
}

/**
 * Every query and reply of a question as evidence, in time order. A later copy to the first
 * query's server is a retransmission; one to another server is not (musl asks every nameserver at
 * once, glibc moves on to the next after its timeout): it is labelled as a query to another server.
 */
export function questionEvidence(l: LookupShown, q: LookupShown['questions'][number], limit = 24): Evidence[] {
  const out: Evidence[] = [];
  const name = qtypeName(q.qtype);
  let first: DnsQuerySent | undefined;
  let firstServer = '';
  for (const a of q.attempts) {
    for (const s of a.queries) {
      if (first === undefined || s.time < first.time || (s.time === first.time && s.frame < first.frame)) {
        first = s;
        firstServer = a.server;
      }
    }
  }
  for (const a of q.attempts) {
    for (const s of a.queries) {
      const role = s === first ? `${name} query` : a.server === firstServer ? `${name} retransmission` : `${name} query to another server`;
      out.push(queryEvidence(s, a, l.client, role));
    }
    for (const r of a.replies) out.push(replyEvidence(r, a, l.client, `${name} reply`));
  }
  return sortEvidence(out).slice(0, limit);
}

export function allLookupEvidence(l: LookupShown, limitPerQuestion = 24): Evidence[] {
  const out: Evidence[] = [];
  for (const q of l.questions) out.push(...questionEvidence(l, q, limitPerQuestion));
  return sortEvidence(out);
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
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
  for (let i = 0; i < q.attempts.length; i++) {
    const a = q.attempts[i]!;
    if (!a.replies.includes(r)) continue;
    for (let j = 0; j < a.queries.length; j++) if (a.queries[j]!.time <= r.time && a.queries[j]!.time > last) last = a.queries[j]!.time;
  }
  return r.time - last;
}

/** The first reply to any attempt of the question at or after `t`. */
export function firstReplyAfter(q: DnsQuestionRecord, t: Micros): DnsReply | undefined {
  let best: DnsReply | undefined;
  for (const a of q.attempts) for (const r of a.replies) if (r.time >= t && (best === undefined || r.time < best.time)) best = r;
  return best;
}

export const durationText = (d: Micros): string => formatDuration(d);
