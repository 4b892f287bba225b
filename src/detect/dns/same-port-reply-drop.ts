// dns.same_port_reply_drop (INCIDENTS §1): A and AAAA from one client socket, one reply missing at
// this capture point, the lost question asked again after the resolver's timeout. One finding per
// lookup it cost (up to a cap per client/server pair), each with how often the pair showed it, so a
// repeat is visible and each occurrence keeps its own frames. Held until finish() for the counts.
import type { DnsLookup, DnsRecord } from '../../reconstruct/dns/index.js';
import type { Detector } from '../detector.js';
import type { Evidence, Finding } from '../finding.js';
import {
  CappedGroups,
  DEFAULT_SAME_PORT_OPTIONS,
  displayFilter,
  durationText,
  median,
  NO_FINDINGS,
  printableName,
  qtypeName,
  queryEvidence,
  replyEvidence,
  samePortDrops,
  sortEvidence,
  transmissions,
  type SamePortDrop,
  type SamePortOptions,
} from './common.js';

export interface SamePortReplyDropOptions extends SamePortOptions {
  /** Client/server pairs tracked, and occurrences kept as findings per pair (the rest counted). */
  maxPairs: number;
  maxFindingsPerPair: number;
}

export const DEFAULT_SAME_PORT_REPLY_DROP_OPTIONS: SamePortReplyDropOptions = {
  ...DEFAULT_SAME_PORT_OPTIONS,
  maxPairs: 256,
  maxFindingsPerPair: 20,
};

const REMEDY =
  'Add `options single-request-reopen` to /etc/resolv.conf on the client (a new socket per query), ' +
  'and fix the firewall or NAT that keeps one UDP session per 5-tuple and drops the second reply.';

interface Pair {
  occurrences: number;
  kept: SamePortDrop[];
}

export function createSamePortReplyDrop(options: Partial<SamePortReplyDropOptions> = {}): Detector<DnsRecord> {
  const o = { ...DEFAULT_SAME_PORT_REPLY_DROP_OPTIONS, ...options };
  const pairs = new CappedGroups<Pair>(o.maxPairs);
  return {
    name: 'same-port-reply-drop',
    restatesAtFinish: true,
    observe(r: DnsRecord): Finding[] {
      if (r.type !== 'lookup') return NO_FINDINGS;
      const drops = samePortDrops(r, o);
      if (drops.length === 0) return NO_FINDINGS;
      const out: Finding[] = [];
      for (const d of drops) {
        const pair = pairs.get(`${r.client}|${d.keptAttempt.server}`, () => ({ occurrences: 0, kept: [] }));
        if (pair === undefined) continue;
        pair.occurrences++;
        if (pair.kept.length >= o.maxFindingsPerPair) continue;
        pair.kept.push(d);
        // Reported at once (live capture); finish() restates it with the pair's count and median timeout.
        out.push(finding(d, pair.occurrences, d.inferredTimeoutMicros));
      }
      return out;
    },
    finish(): Finding[] {
      const out: Finding[] = [];
      for (const pair of pairs.groups.values()) {
        const timeouts = pair.kept.map((d) => d.inferredTimeoutMicros);
        for (const d of pair.kept) out.push(finding(d, pair.occurrences, median(timeouts)));
      }
      return out;
    },
  };
}

function finding(d: SamePortDrop, occurrences: number, pairTimeout: number): Finding {
  const l: DnsLookup = d.lookup;
  const lost = qtypeName(d.lost.qtype);
  const kept = qtypeName(d.kept.qtype);
  const port = d.keptAttempt.clientPort;
  const server = d.keptAttempt.server;
  // Every query and reply of both questions, with roles that tell the story.
  const evidence: Evidence[] = [];
  for (const q of [d.kept, d.lost]) {
    const name = qtypeName(q.qtype);
    for (const x of transmissions(q)) {
      if (!d.attempts.includes(x.attempt)) continue;
      const role = x.sent === d.keptAttempt.queries[0] ? `${name} query (first round)`
        : x.sent === d.lostAttempt.queries[0] ? `${name} query (reply lost)`
        : `${name} asked again`;
      evidence.push(queryEvidence(x.sent, x.attempt, l.client, role));
    }
    for (const a of q.attempts) {
      if (!d.attempts.includes(a)) continue;
      for (const rep of a.replies) {
        const role = rep === d.keptReply ? `${name} reply (arrived)` : rep === d.finalAnswer ? `${name} reply (to the re-sent query)` : `${name} reply`;
        evidence.push(replyEvidence(rep, a, l.client, role));
      }
    }
  }
  sortEvidence(evidence);
  evidence.splice(32);
  const first = evidence[0]!;
  const last = evidence[evidence.length - 1]!;
  const name = printableName(l.name);
  const outcome = d.finalAnswer !== undefined
    ? `answered ${durationText(d.finalAnswer.time - d.lostAttempt.queries[0]!.time)} after it was first asked`
    : 'never answered: every later reply on this socket is missing too';
  // glibc in single-request mode (set on itself after an earlier drop) sends the second query on
  // the same socket only once the first is answered: the firewall drops its reply all the same.
  const sent = d.lostAttempt.queries[0]!.time > d.keptReply.time
    ? `${lost} left ${l.client} port ${port} after the ${kept} reply, on the same socket,`
    : `A and AAAA left ${l.client} port ${port} together`;
  const repeat = occurrences > 1 ? `; ${occurrences} lookups from this client to this server hit it` : '';
  const confident = occurrences > 1 && d.finalAnswer !== undefined;
  const confidence = confident
    ? { level: 'high' as const, reason: `the ${lost} reply went missing on ${occurrences} lookups from one socket each, and was answered promptly when asked again` }
    : d.finalAnswer !== undefined
      ? { level: 'medium' as const, reason: `one occurrence: the ${lost} question is answered promptly when asked again, so its first reply was lost, but a single lost packet looks the same` }
      : { level: 'medium' as const, reason: 'the reply of the first round is missing and every later query on the same socket went unanswered; a server that stopped answering would look the same' };
  return {
    id: `dns.same_port_reply_drop:${first.frame}`,
    kind: 'dns.same_port_reply_drop',
    severity: d.finalAnswer === undefined ? 'error' : 'warning',
    summary: `${lost} reply lost for ${name}: ${sent} for ${server}; ${lost} ${outcome}${repeat}`,
    start: first.time,
    end: last.time,
    client: l.client,
    server,
    names: [l.name],
    evidence,
    impact: {
      description: `the lookup ended ${durationText(d.delayMicros)} after the ${kept} reply instead of with it (the client waited for its ${durationText(d.inferredTimeoutMicros)} timeout)`,
      delayMicros: d.delayMicros,
      occurrences,
    },
    confidence,
    remedy: REMEDY,
    displayFilter: displayFilter(evidence.map((e) => e.frame), [l.client, server]),
    details: {
      lostReply: lost,
      arrivedReply: kept,
      clientPort: port,
      serverPort: d.keptAttempt.serverPort,
      lostQueryId: d.lostAttempt.id,
      lostQueryFrame: d.lostAttempt.queries[0]!.frame,
      resendFrame: d.resend.frame,
      finalAnswerFrame: d.finalAnswer?.frame ?? null,
      firstRoundGapMicros: Math.abs(d.lostAttempt.queries[0]!.time - d.keptAttempt.queries[0]!.time),
      lostWasSecond: d.lostWasSecond,
      inferredTimeoutMicros: d.inferredTimeoutMicros,
      pairMedianTimeoutMicros: pairTimeout,
      occurrencesOnPair: occurrences,
      laterRepliesAlsoMissing: d.socketDead,
      pattern: l.pattern,
    },
  };
}
