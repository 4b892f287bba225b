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
import { DownstreamLossTracker, type DownstreamLoss, type DownstreamLossOptions } from './reply-lost-downstream.js';

export interface SamePortReplyDropOptions extends SamePortOptions, Omit<DownstreamLossOptions, 'minRetryMicros'> {
  /** Client/server pairs tracked, and occurrences kept as findings per pair (the rest counted). */
  maxPairs: number;
  maxFindingsPerPair: number;
}

export const DEFAULT_SAME_PORT_REPLY_DROP_OPTIONS: SamePortReplyDropOptions = {
  ...DEFAULT_SAME_PORT_OPTIONS,
  maxRetryMicros: 30_000_000,
  maxRemembered: 4096,
  maxPairs: 256,
  maxFindingsPerPair: 20,
};

const REMEDY =
  'Add `options single-request-reopen` to /etc/resolv.conf on the client (a new socket per query), ' +
  'and fix the firewall or NAT that keeps one UDP session per 5-tuple and drops the second reply.';

interface Pair {
  occurrences: number;
  kept: SamePortDrop[];
  /** Seen from the server's side: replies that left here, questions the client asked again. */
  downstream: DownstreamLoss[];
}

export function createSamePortReplyDrop(options: Partial<SamePortReplyDropOptions> = {}): Detector<DnsRecord> {
  const o: SamePortReplyDropOptions = { ...DEFAULT_SAME_PORT_REPLY_DROP_OPTIONS, ...options };
  const pairs = new CappedGroups<Pair>(o.maxPairs);
  const downstream = new DownstreamLossTracker(o);
  const pairOf = (client: string, server: string): Pair | undefined =>
    pairs.get(`${client}|${server}`, () => ({ occurrences: 0, kept: [], downstream: [] }));
  return {
    name: 'same-port-reply-drop',
    restatesAtFinish: true,
    captureEnd(time) {
      o.captureEndMicros = time;
    },
    observe(r: DnsRecord): Finding[] {
      if (r.type !== 'lookup') return NO_FINDINGS;
      const drops = samePortDrops(r, o);
      // The server-side view, for every lookup (a round may be re-asked in a later lookup); a
      // socket this capture already shows losing a reply is not reported twice.
      const losses = downstream.observe(r).filter((x) => !drops.some((d) => d.keptAttempt.clientPort === x.first.a.clientPort && d.keptAttempt.server === x.first.a.server));
      if (drops.length === 0 && losses.length === 0) return NO_FINDINGS;
      const out: Finding[] = [];
      for (const d of drops) {
        const pair = pairOf(r.client, d.keptAttempt.server);
        if (pair === undefined) continue;
        pair.occurrences++;
        if (pair.kept.length + pair.downstream.length >= o.maxFindingsPerPair) continue;
        pair.kept.push(d);
        // Reported at once (live capture); finish() restates it with the pair's count and median timeout.
        out.push(finding(d, pair.occurrences, d.inferredTimeoutMicros));
      }
      for (const x of losses) {
        const pair = pairOf(x.client, x.first.a.server);
        if (pair === undefined) continue;
        pair.occurrences++;
        if (pair.kept.length + pair.downstream.length >= o.maxFindingsPerPair) continue;
        pair.downstream.push(x);
        out.push(downstreamFinding(x, pair.occurrences));
      }
      return out;
    },
    finish(): Finding[] {
      const out: Finding[] = [];
      for (const pair of pairs.groups.values()) {
        const timeouts = pair.kept.map((d) => d.inferredTimeoutMicros);
        for (const d of pair.kept) out.push(finding(d, pair.occurrences, median(timeouts)));
        for (const x of pair.downstream) out.push(downstreamFinding(x, pair.occurrences));
      }
      return out;
    },
  };
}

/** dns.same_port_reply_drop from a capture point before the loss (server, resolver, router). */
function downstreamFinding(x: DownstreamLoss, occurrences: number): Finding {
  const { a, aaaa, aReply, aaaaReply } = x.first;
  const client = x.client;
  const server = a.server;
  const port = a.clientPort;
  const evidence: Evidence[] = [
    queryEvidence(a.queries[0]!, a, client, 'A query (first round)'),
    queryEvidence(aaaa.queries[0]!, aaaa, client, 'AAAA query (first round)'),
    replyEvidence(aReply, a, client, 'A reply (left here)'),
    replyEvidence(aaaaReply, aaaa, client, 'AAAA reply (left here)'),
  ];
  for (const re of x.reasks) {
    const name = qtypeName(re.qtype);
    for (const s of re.queries) evidence.push(queryEvidence(s, re, client, `${name} asked again (same id)`));
    for (const rep of re.replies) evidence.push(replyEvidence(rep, re, client, `${name} reply to the re-ask`));
  }
  sortEvidence(evidence);
  evidence.splice(32);
  const first = evidence[0]!;
  const last = evidence[evidence.length - 1]!;
  const name = printableName(x.name);
  const asked = [...new Set(x.reasks.map((re) => qtypeName(re.qtype)))].join(' and ');
  const replyAge = Math.max(aReply.time - a.queries[0]!.time, aaaaReply.time - aaaa.queries[0]!.time);
  const which = x.lostReply === 'unknown'
    ? 'which reply of the pair was lost does not show here (the client asked again from the first question on)'
    : `the client asked again only for ${x.lostReply}: that reply was lost`;
  const repeat = occurrences > 1 ? `; ${occurrences} lookups from this client to this server show it` : '';
  return {
    id: `dns.same_port_reply_drop:${first.frame}`,
    kind: 'dns.same_port_reply_drop',
    severity: 'warning',
    summary: `reply lost downstream for ${name}: A and AAAA from ${client} port ${port} were both answered here within ${durationText(replyAge)}, ` +
      `yet ${durationText(x.reaskAfterMicros)} later the client asked ${asked} again on the same port under the same id; ${which}${repeat}`,
    start: first.time,
    end: last.time,
    client,
    server,
    names: [x.name],
    evidence,
    impact: {
      description: `the client waited for its timeout (about ${durationText(x.reaskAfterMicros)}) before asking again; whether the lookup then succeeded does not show at this capture point`,
      delayMicros: x.delayMicros,
      occurrences,
    },
    confidence: occurrences > 1
      ? { level: 'high', reason: `${occurrences} lookups from one socket each: both replies left here and the client asked again after a timeout under the same id` }
      : { level: 'medium', reason: 'one lookup: both replies left here and the client asked again after a timeout under the same id, so it did not receive one; a single lost packet looks the same' },
    remedy: REMEDY,
    displayFilter: displayFilter(evidence.map((e) => e.frame), [client, server]),
    details: {
      seenFrom: 'server-side',
      capturePointShows: 'both replies left this capture point; the client did not receive at least one of them',
      capturePointCannotShow: 'where the reply was lost (somewhere between here and the client: a firewall or NAT keeping one UDP session per 5-tuple is the usual cause)' +
        (x.lostReply === 'unknown' ? ', which reply of the pair was lost' : '') + ', and whether the lookup finally succeeded',
      lostReply: x.lostReply,
      clientPort: port,
      serverPort: a.serverPort,
      reasked: x.reasks.map((re) => qtypeName(re.qtype)),
      reaskFrames: x.reasks.map((re) => re.queries[0]!.frame),
      reaskAfterMicros: x.reaskAfterMicros,
      occurrencesOnPair: occurrences,
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
    : !d.lost.attempts.some((a) => a.queries.includes(d.resend))
      ? `never answered: the client asked ${kept} again on the same socket and that got no reply either (every reply after the first on this 5-tuple is dropped)`
      : 'never answered: every later reply on this socket is missing too';
  const failed = d.lookupFailed ? '; the lookup failed (the application sees "host not found" although the server answered)' : '';
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
    summary: `${lost} reply lost for ${name}: ${sent} for ${server}; ${lost} ${outcome}${failed}${repeat}`,
    start: first.time,
    end: last.time,
    client: l.client,
    server,
    names: [l.name],
    evidence,
    impact: {
      description: d.lookupFailed
        ? `the lookup failed: no answer to ${lost} reached the client, and its re-asked questions went unanswered for ${durationText(d.delayMicros)} after the ${kept} reply (the server answered; replies after the first on this 5-tuple are dropped)`
        : `the lookup ended ${durationText(d.delayMicros)} after the ${kept} reply instead of with it (the client waited for its ${durationText(d.inferredTimeoutMicros)} timeout)`,
      delayMicros: d.delayMicros,
      occurrences,
    },
    confidence,
    remedy: REMEDY,
    displayFilter: displayFilter(evidence.map((e) => e.frame), [l.client, server]),
    details: {
      seenFrom: 'client-side',
      lookupFailed: d.lookupFailed,
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
