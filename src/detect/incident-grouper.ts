// The grouping stage after the detectors: occurrences in, incidents out. One pass, one map lookup
// per occurrence, no comparison between occurrences. Per incident it keeps the occurrences
// themselves (the report lists them all, so they are held anyway), bounded tallies of clients,
// servers and names, and one number per occurrence for the median delay: memory linear in
// occurrences, never in pairs of them.
import { severityRank, type Finding, type Severity } from './finding.js';
import { causeOf, incidentId, type Cause, type Incident, type Ranked, type Tally } from './incident.js';

export interface IncidentGrouperOptions {
  /** Distinct values a tally counts exactly; beyond, further new values are only counted. */
  readonly maxTracked: number;
  /** Entries of a tally shown in the report. */
  readonly topN: number;
  /** Names copied into an incident's `names`. */
  readonly maxNames: number;
}

export const DEFAULT_INCIDENT_GROUPER_OPTIONS: IncidentGrouperOptions = { maxTracked: 4096, topN: 10, maxNames: 20 };

/**
 * How an incident stands after one more occurrence: what live capture prints. O(1) to make (no
 * sorting of tallies), so a capture with thousands of occurrences pays nothing per update.
 */
export interface IncidentUpdate {
  readonly id: string;
  readonly kind: Finding['kind'];
  readonly severity: Severity;
  readonly party: string;
  readonly count: number;
  /** Distinct clients so far. */
  readonly clients: number;
  /** Distinct names so far. */
  readonly names: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** True for the incident's first occurrence. */
  readonly fresh: boolean;
  readonly occurrence: Finding;
}

class BoundedTally {
  readonly #counts = new Map<string, number>();
  #untracked = 0;
  constructor(private readonly max: number) {}

  add(value: string): void {
    const n = this.#counts.get(value);
    if (n !== undefined) this.#counts.set(value, n + 1);
    else if (this.#counts.size < this.max) this.#counts.set(value, 1);
    else this.#untracked++;
  }

  get size(): number {
    return this.#counts.size + this.#untracked;
  }

  only(): string | undefined {
    return this.#counts.size === 1 && this.#untracked === 0 ? this.#counts.keys().next().value : undefined;
  }

  /** Most frequent first, then by value: stable output. A partial selection would be faster; N is small and so is the map. */
  top(n: number): Ranked[] {
    return [...this.#counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, n)
      .map(([value, occurrences]) => ({ value, occurrences }));
  }

  toTally(n: number): Tally {
    return { count: this.size, top: this.top(n) };
  }
}

const CONFIDENCE = ['low', 'medium', 'high'] as const;

/**
 * The occurrence that hurt most: longest delay, else most stalled bytes, else the highest
 * severity, else the earliest. A total order, so the choice does not depend on arrival order.
 */
function worse(a: Finding, b: Finding): boolean {
  const da = a.impact.delayMicros ?? -1;
  const db = b.impact.delayMicros ?? -1;
  if (da !== db) return da > db;
  const sa = a.impact.stalledBytes ?? -1;
  const sb = b.impact.stalledBytes ?? -1;
  if (sa !== sb) return sa > sb;
  if (a.severity !== b.severity) return severityRank(a.severity) > severityRank(b.severity);
  return earlier(a, b);
}

/** Start time, then id: a total order over one run's occurrences. */
const earlier = (a: Finding, b: Finding): boolean => a.start < b.start || (a.start === b.start && a.id < b.id);

class IncidentAccumulator {
  readonly occurrences: Finding[] = [];
  readonly clients: BoundedTally;
  readonly servers: BoundedTally;
  readonly names: BoundedTally;
  readonly delays: number[] = [];
  first!: Finding;
  worst!: Finding;
  last!: Finding;
  severity: Severity = 'info';
  start = Number.POSITIVE_INFINITY;
  end = Number.NEGATIVE_INFINITY;
  stalledBytes = 0;
  hasStalled = false;
  /** Path MTU bracket (pmtud_blackhole), intersected as occurrences arrive. */
  readonly mtu = { min: null as number | null, max: null as number | null, measured: 0, minFrom: null as Finding | null, maxFrom: null as Finding | null };

  constructor(readonly id: string, readonly kind: Finding['kind'], readonly cause: Cause, max: number) {
    this.clients = new BoundedTally(max);
    this.servers = new BoundedTally(max);
    this.names = new BoundedTally(max);
  }

  add(f: Finding): void {
    const n = this.occurrences.push(f);
    if (n === 1 || earlier(f, this.first)) this.first = f;
    if (n === 1 || earlier(this.last, f)) this.last = f;
    if (n === 1 || worse(f, this.worst)) this.worst = f;
    if (severityRank(f.severity) > severityRank(this.severity)) this.severity = f.severity;
    if (f.start < this.start) this.start = f.start;
    if (f.end > this.end) this.end = f.end;
    if (f.client !== undefined) this.clients.add(f.client);
    if (f.server !== undefined) this.servers.add(f.server);
    for (const name of f.names) this.names.add(name);
    if (f.impact.delayMicros !== undefined) this.delays.push(f.impact.delayMicros);
    const lo = f.details['pathMtuMin'];
    const hi = f.details['pathMtuMax'];
    if (typeof lo === 'number' || typeof hi === 'number') {
      // Each occurrence says the path MTU lies in [lo, hi]; one path MTU behind the whole incident
      // lies in every bracket. Ties go to the earlier occurrence, so the result ignores arrival order.
      this.mtu.measured++;
      if (typeof lo === 'number' && (this.mtu.min === null || lo > this.mtu.min || (lo === this.mtu.min && earlier(f, this.mtu.minFrom!)))) {
        this.mtu.min = lo;
        this.mtu.minFrom = f;
      }
      if (typeof hi === 'number' && (this.mtu.max === null || hi < this.mtu.max || (hi === this.mtu.max && earlier(f, this.mtu.maxFrom!)))) {
        this.mtu.max = hi;
        this.mtu.maxFrom = f;
      }
    }
    if (f.impact.stalledBytes !== undefined) {
      this.stalledBytes += f.impact.stalledBytes;
      this.hasStalled = true;
    }
  }
}

/** Groups occurrences into incidents; feed it every occurrence once, then read incidents(). */
export class IncidentGrouper {
  readonly #byId = new Map<string, IncidentAccumulator>();
  readonly #options: IncidentGrouperOptions;

  constructor(options: Partial<IncidentGrouperOptions> = {}) {
    this.#options = { ...DEFAULT_INCIDENT_GROUPER_OPTIONS, ...options };
  }

  add(f: Finding): IncidentUpdate {
    const cause = causeOf(f);
    const id = incidentId(f.kind, cause.key);
    let acc = this.#byId.get(id);
    const fresh = acc === undefined;
    if (acc === undefined) this.#byId.set(id, (acc = new IncidentAccumulator(id, f.kind, cause, this.#options.maxTracked)));
    acc.add(f);
    return {
      id,
      kind: acc.kind,
      severity: acc.severity,
      party: cause.party,
      count: acc.occurrences.length,
      clients: acc.clients.size,
      names: acc.names.size,
      firstSeen: acc.start,
      lastSeen: acc.end,
      fresh,
      occurrence: f,
    };
  }

  get size(): number {
    return this.#byId.size;
  }

  /** Every incident, most severe and widest first. */
  incidents(): Incident[] {
    return [...this.#byId.values()].map((acc) => this.#build(acc)).sort(compareIncidents);
  }

  #build(acc: IncidentAccumulator): Incident {
    const { topN, maxNames } = this.#options;
    const occurrences = acc.occurrences.slice().sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const { first, worst, last } = acc;
    const single = occurrences.length === 1;
    const clients = acc.clients.toTally(topN);
    const delays = acc.delays.slice().sort((a, b) => a - b);
    const total = delays.reduce((s, d) => s + d, 0);
    const median = delays.length === 0 ? null : delays.length % 2 === 1 ? delays[(delays.length - 1) / 2]! : Math.round((delays[delays.length / 2 - 1]! + delays[delays.length / 2]!) / 2);
    const representatives = dedupe([first, worst, last]);
    const mtu = acc.mtu;
    const pathMtu =
      mtu.measured === 0
        ? undefined
        : { min: mtu.min, max: mtu.max, empty: mtu.min !== null && mtu.max !== null && mtu.min > mtu.max, measured: mtu.measured, minFrom: mtu.minFrom?.id ?? null, maxFrom: mtu.maxFrom?.id ?? null };
    const mtuText = pathMtu === undefined || single ? '' : pathMtu.empty ? `, path MTU brackets disagree (≥${pathMtu.min} in one, ≤${pathMtu.max} in another)` : `, path MTU ${pathMtu.min ?? '?'}–${pathMtu.max ?? '?'} in all ${pathMtu.measured}`;
    return {
      id: acc.id,
      kind: acc.kind,
      severity: acc.severity,
      summary: single ? first.summary : `${acc.cause.party}: ${occurrences.length} occurrences, ${plural(clients.count, 'client')}${acc.names.size > 0 ? `, ${plural(acc.names.size, 'name')}` : ''}${mtuText}`,
      start: acc.start,
      end: acc.end,
      ...(acc.clients.only() !== undefined ? { client: acc.clients.only() } : {}),
      ...(acc.servers.only() !== undefined ? { server: acc.servers.only() } : {}),
      names: acc.names.top(maxNames).map((r) => r.value),
      evidence: single ? first.evidence : mergeEvidence(representatives),
      impact: {
        description: single ? first.impact.description : `${occurrences.length} occurrences${total > 0 ? `, ${formatSeconds(total)} of delay in all` : ''}; worst: ${worst.impact.description}`,
        ...(delays.length > 0 ? { delayMicros: delays[delays.length - 1]! } : {}),
        ...(acc.hasStalled ? { stalledBytes: acc.stalledBytes } : {}),
        // One occurrence keeps its detector's count (lookups, PTBs …); a group counts its occurrences
        // (detectors count differently — per pair, per name — so their counts do not add up).
        ...(single ? (first.impact.occurrences === undefined ? {} : { occurrences: first.impact.occurrences }) : { occurrences: occurrences.length }),
      },
      confidence: groupConfidence(occurrences, clients.count),
      remedy: worst.remedy,
      displayFilter: single ? first.displayFilter : representatives.map((f) => `(${f.displayFilter})`).join(' || '),
      details: worst.details,
      cause: { party: acc.cause.party, key: [...acc.cause.key] },
      count: occurrences.length,
      clients,
      servers: acc.servers.toTally(topN),
      nameTally: acc.names.toTally(topN),
      ...(pathMtu !== undefined ? { pathMtu } : {}),
      delay: { measured: delays.length, totalMicros: total, medianMicros: median, maxMicros: delays.length > 0 ? delays[delays.length - 1]! : null },
      representatives: { first: first.id, worst: worst.id, last: last.id },
      occurrences,
    };
  }
}

/**
 * The best level any occurrence reached, one step higher when at least three occurrences from at
 * least two clients agree: independent hosts hit the same way rule out one host's quirk.
 */
function groupConfidence(occurrences: readonly Finding[], clients: number): Incident['confidence'] {
  let best = occurrences[0]!;
  for (const f of occurrences) if (CONFIDENCE.indexOf(f.confidence.level) > CONFIDENCE.indexOf(best.confidence.level)) best = f;
  if (occurrences.length === 1) return best.confidence;
  const corroborated = occurrences.length >= 3 && clients >= 2;
  const level = corroborated ? CONFIDENCE[Math.min(2, CONFIDENCE.indexOf(best.confidence.level) + 1)]! : best.confidence.level;
  return { level, reason: `${best.confidence.reason}; ${occurrences.length} occurrences from ${plural(clients, 'client')}${corroborated ? ' agree' : ''}` };
}

function dedupe(fs: readonly Finding[]): Finding[] {
  return fs.filter((f, i) => fs.indexOf(f) === i);
}

function mergeEvidence(fs: readonly Finding[]): Finding['evidence'] {
  const byFrame = new Map<number, Finding['evidence'][number]>();
  for (const f of fs) for (const e of f.evidence) if (!byFrame.has(e.frame)) byFrame.set(e.frame, e);
  return [...byFrame.values()].sort((a, b) => a.frame - b.frame);
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const formatSeconds = (micros: number): string => `${(micros / 1e6).toFixed(2)} s`;

type IncidentOrder = Pick<Incident, 'severity' | 'start' | 'id' | 'count'> & { readonly clients: { readonly count: number }; readonly delay: { readonly totalMicros: number } };

/** Severity, then impact (clients hit, occurrences, delay), then time and id: stable, so two runs diff cleanly. */
export function compareIncidents(a: IncidentOrder, b: IncidentOrder): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    b.clients.count - a.clients.count ||
    b.count - a.count ||
    b.delay.totalMicros - a.delay.totalMicros ||
    a.start - b.start ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}
