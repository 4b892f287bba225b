// dns.slow_lookup (info/warning): lookups whose measured delay exceeds a threshold with no more
// specific cause (a detector that published the lookup as explained: same-port drop, unanswered
// AAAA, local zone leak; see Explanations), so nothing slow goes
// unexplained. A delay is only measured when the capture shows it: an answer, or the client asking
// again (a lone unanswered query could simply be a capture that missed the reply). One finding per
// client/server pair with the slowest lookup as evidence.
import type { Micros } from '../../core/index.js';
import type { DnsLookup, DnsRecord } from '../../reconstruct/dns/index.js';
import { defineDetector, mergeFirstByPosition, RecordScope, type Detector, type Explanations } from '../detector.js';
import type { Finding } from '../finding.js';
import { allLookupEvidence, CappedGroups, displayFilter, durationText, NO_FINDINGS, printableName } from './common.js';

export interface SlowLookupOptions {
  /** A lookup slower than this is reported: default 1 s (info). */
  slowMicros: Micros;
  /** ... and as a warning from this delay on, or when the client had to retry: default 3 s. */
  warnMicros: Micros;
  maxGroups: number;
}

export const DEFAULT_SLOW_LOOKUP_OPTIONS: SlowLookupOptions = {
  slowMicros: 1_000_000,
  warnMicros: 3_000_000,
  maxGroups: 256,
};

type Cause = 'client-retried' | 'slow-server' | 'failed' | 'tcp-fallback';

interface Group {
  client: string;
  server: string;
  occurrences: number;
  worst: DnsLookup;
  worstDelay: number;
  /** Where the worst lookup was observed (RecordScope.position): the first of equally slow ones is kept. */
  worstAt: number;
  causes: Set<Cause>;
  names: string[];
  /** Where each name was first observed. */
  namesAt: number[];
}

const MAX_NAMES = 10;

function measuredDelay(l: DnsLookup): number | undefined {
  if (l.outcome === 'answered' || l.outcome === 'partial') return l.totalMicros;
  // Unanswered: measured only as far as the client's own retries show it waited.
  const retried = l.questions.some((q) => q.retransmissions > 0);
  return retried ? l.totalMicros : undefined;
}

function addCauses(to: Set<Cause>, l: DnsLookup): void {
  to.add(l.questions.some((q) => q.retransmissions > 0) ? 'client-retried' : 'slow-server');
  if (l.outcome === 'unanswered' || l.outcome === 'partial') to.add('failed');
  if (l.tcpFallbacks.length > 0) to.add('tcp-fallback');
}

export function createSlowLookup(options: Partial<SlowLookupOptions> = {}, explanations?: Explanations, _view?: unknown, scope: RecordScope = new RecordScope()): Detector<DnsRecord> {
  const o = { ...DEFAULT_SLOW_LOOKUP_OPTIONS, ...options };
  const groups = new CappedGroups<Group>(o.maxGroups);
  /**
   * The pair's group, made with `l` as its worst lookup when new. A function of its own: a closure
   * in observe() over its record would make a context object for every record observed.
   */
  const groupOf = (l: DnsLookup, delay: number, at: number): Group | undefined => {
    const server = l.servers[0]!;
    return groups.get(`${l.client}|${server}`, () => ({ client: l.client, server, occurrences: 0, worst: l, worstDelay: delay, worstAt: at, causes: new Set(), names: [], namesAt: [] }));
  };
  return {
    name: 'slow-lookup',
    observe(r: DnsRecord): readonly Finding[] {
      if (r.type !== 'lookup') return NO_FINDINGS;
      const delay = measuredDelay(r);
      if (delay === undefined || delay < o.slowMicros) return NO_FINDINGS;
      // A more specific detector accounts for it (published before this detector sees the record).
      if (explanations !== undefined && explanations.explainedBy(r).length > 0) return NO_FINDINGS;
      // Another piece of a split capture counts it (RecordScope).
      if (!scope.owns(r)) return NO_FINDINGS;
      const at = scope.position;
      const g = groupOf(r, delay, at);
      if (g === undefined) return NO_FINDINGS;
      g.occurrences++;
      if (delay > g.worstDelay) {
        g.worst = r;
        g.worstDelay = delay;
        g.worstAt = at;
      }
      addCauses(g.causes, r);
      const lower = r.nameLower; // RFC 4343: one name whatever its case (0x20)
      if (g.names.length < MAX_NAMES && !g.names.includes(lower)) {
        g.names.push(lower);
        g.namesAt.push(at);
      }
      // Reported at once when announced (live capture, RecordScope.announces); finish() restates it with the group's worst case.
      return g.occurrences === 1 && scope.announces ? [finding(g, o)] : NO_FINDINGS;
    },
    restatesAtFinish: true,
    finish(): readonly Finding[] {
      return [...groups.groups.values()].map((g) => finding(g, o));
    },
    exportState: (): Group[] => [...groups.groups.values()],
    mergeState(state: unknown): void {
      for (const b of state as Group[]) {
        const a = groups.mergeTarget(`${b.client}|${b.server}`, b);
        if (a === undefined) continue;
        a.occurrences += b.occurrences;
        if (b.worstDelay > a.worstDelay || (b.worstDelay === a.worstDelay && b.worstAt < a.worstAt)) {
          a.worst = b.worst;
          a.worstDelay = b.worstDelay;
          a.worstAt = b.worstAt;
        }
        for (const c of b.causes) a.causes.add(c);
        mergeFirstByPosition(a, b, 'names', MAX_NAMES, (x, y) => x === y);
      }
    },
  };
}

function finding(g: Group, o: SlowLookupOptions): Finding {
  const l = g.worst;
  const evidence = allLookupEvidence(l, 12);
  const first = evidence[0]!;
  const last = evidence[evidence.length - 1]!;
  const retried = g.causes.has('client-retried');
  const severity = retried || g.worstDelay >= o.warnMicros || g.causes.has('failed') ? 'warning' : 'info';
  const why = retried
    ? 'the client had to ask again after its timeout (a query or reply was lost, or the server did not answer in time)'
    : 'the server took this long to answer (a slow or distant upstream)';
  const more = g.occurrences > 1 ? `; ${g.occurrences} slow lookups on this pair` : '';
  return {
    id: `dns.slow_lookup:${first.frame}`,
    kind: 'dns.slow_lookup',
    severity,
    summary: `lookup of ${printableName(l.name.toLowerCase())} by ${g.client} via ${g.server} took ${durationText(g.worstDelay)}${l.outcome === 'answered' ? '' : ` and ended ${l.outcome}`}${more}`,
    start: first.time,
    end: last.time,
    client: g.client,
    server: g.server,
    names: g.names,
    evidence,
    impact: {
      description: `${why}; slowest lookup ${durationText(g.worstDelay)}`,
      delayMicros: g.worstDelay,
      occurrences: g.occurrences,
    },
    confidence: { level: 'high', reason: 'measured from the first query to the last answer (or the last retry) in the capture' },
    remedy: retried
      ? 'Find where queries or replies are lost between the client and the server (capture on both sides); check the resolver\'s upstream reachability and timeouts.'
      : 'Check the resolver\'s upstream latency and cache; consider a closer or caching resolver.',
    displayFilter: displayFilter(evidence.map((e) => e.frame), [g.client, g.server]),
    details: {
      causes: [...g.causes].sort(),
      pattern: l.pattern,
      outcome: l.outcome,
      worstDelayMicros: g.worstDelay,
      thresholdMicros: o.slowMicros,
    },
  };
}

/** The registry's entry (src/detect/registry.ts). */
export const slowLookupDetector = defineDetector({
  kind: 'dns.slow_lookup', records: 'dns', lane: 'dns', defaults: DEFAULT_SLOW_LOOKUP_OPTIONS, create: createSlowLookup, explains: 'reads',
  readme: { what: 'lookups slower than a threshold with no more specific cause', remedy: '—' },
});
