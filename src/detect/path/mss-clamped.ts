// path.mss_clamped (info): evidence that the MSS, not PMTUD, keeps segments small on this path, or
// that an MSS allows segments the path cannot carry.
//  - asymmetric: one side's MSS implies a much smaller MTU than the other's (a router clamping
//    the SYN, or a small link at that end); one finding per (client, server, MSS pair) with the
//    count of connections that showed it (a busy client repeats it on every connection).
// A PTB naming an MTU below the MSS is ordinary PMTUD, not reported here (the lab's PTB samples
// must stay silent); blackholes report both MSS in their details.
import type { ConnectionRecord, PathRecord } from '../../reconstruct/path/index.js';
import { defineDetector, NO_FINDINGS, RecordScope, type Detector } from '../detector.js';
import type { Evidence, Finding } from '../finding.js';
import { REMEDY, connectionFilter, ev } from './common.js';

export interface MssClampedOptions {
  /** The smaller side's implied MTU must be at least this much below the other's. */
  readonly minMtuDifference: number;
  /** (client, server, MSS pair) groups remembered; connections beyond are not reported (bounded state). */
  readonly maxReported: number;
}

export const DEFAULT_MSS_CLAMPED_OPTIONS: MssClampedOptions = { minMtuDifference: 100, maxReported: 1024 };

/** RFC 879 / RFC 9293 §3.7.1: the MSS a host assumes when it knows nothing better. */
const DEFAULT_MSS = 536;

/** IP + TCP header bytes that MSS excludes (RFC 9293 §3.7.1). */
const headers = (version: 4 | 6): number => (version === 6 ? 60 : 40);

/** One (client, server, MSS pair): the finding of its first connection (observed at `at`, RecordScope.position) and the count. */
interface Group {
  finding: Finding;
  at: number;
  connections: number;
}

export function createMssClamped(options: Partial<MssClampedOptions> = {}, _explanations?: unknown, _view?: unknown, scope: RecordScope = new RecordScope()): Detector<PathRecord> {
  const o = { ...DEFAULT_MSS_CLAMPED_OPTIONS, ...options };
  const groups = new Map<string, Group>();
  return {
    name: 'mss-clamped',
    // Nothing to report is the shared NO_FINDINGS, not a new [] (every connection comes here).
    observe(r: PathRecord): readonly Finding[] {
      if (r.type !== 'connection') return NO_FINDINGS;
      const cm = r.clientOptions?.mss;
      const sm = r.serverOptions?.mss;
      if (cm === undefined || sm === undefined || r.synAck === undefined) return NO_FINDINGS;
      const small = Math.min(cm, sm);
      const large = Math.max(cm, sm);
      // Only against a side on a plain 1500-byte link: a jumbo host talking to a 1500 host, or the
      // RFC 879 default of 536 from a stack that does no PMTUD, is not a clamp.
      const ethernetMss = 1500 - headers(r.version);
      if (large !== ethernetMss || small === DEFAULT_MSS || large - small < o.minMtuDifference) return NO_FINDINGS;
      // Another piece of a split capture counts it (RecordScope).
      if (!scope.owns(r)) return NO_FINDINGS;
      const key = `${r.client}|${r.server}|${cm}|${sm}`;
      const g = groups.get(key);
      if (g !== undefined) {
        g.connections++;
        return NO_FINDINGS;
      }
      if (groups.size >= o.maxReported) return NO_FINDINGS;
      const finding = asymmetric(r, cm, sm);
      groups.set(key, { finding, at: scope.position, connections: 1 });
      return [finding]; // at once (live capture); finish() restates it with the count
    },
    restatesAtFinish: true,
    finish(): readonly Finding[] {
      const out = [...groups.values()].map(({ finding, connections }) => withConnections(finding, connections));
      groups.clear();
      return out;
    },
    exportState: (): [string, Group][] => [...groups],
    mergeState(state: unknown): void {
      for (const [key, b] of state as [string, Group][]) {
        const a = groups.get(key);
        if (a === undefined) {
          if (groups.size < o.maxReported) groups.set(key, b);
          continue;
        }
        a.connections += b.connections;
        if (b.at < a.at) {
          a.finding = b.finding;
          a.at = b.at;
        }
      }
    },
  };
}

function withConnections(f: Finding, connections: number): Finding {
  return {
    ...f,
    summary: connections === 1 ? f.summary : `${f.summary} (${connections} connections)`,
    impact: { ...f.impact, occurrences: connections },
    details: { ...f.details, connections },
  };
}

function handshake(c: ConnectionRecord): Evidence[] {
  const e: Evidence[] = [];
  if (c.syns[0] !== undefined) e.push(ev(c.syns[0], 'tcp-syn', 'SYN', c.client, c.server, `MSS ${c.clientOptions?.mss ?? 'none'}`));
  if (c.synAck !== undefined) e.push(ev(c.synAck, 'tcp-synack', 'SYN-ACK', c.server, c.client, `MSS ${c.serverOptions?.mss ?? 'none'}`));
  return e;
}

function asymmetric(c: ConnectionRecord, cm: number, sm: number): Finding {
  const h = headers(c.version);
  const smallSide = cm < sm ? 'client' : 'server';
  const small = Math.min(cm, sm);
  const evidence = handshake(c);
  // Which side of the capture point the smaller MSS came from says where a clamp could sit.
  const seenAfterRouters = (smallSide === 'client' ? c.toServer : c.toClient).firstHopLimit;
  return {
    id: `path.mss_clamped:${evidence[0]?.frame ?? c.start.frame}:asymmetric`,
    kind: 'path.mss_clamped',
    severity: 'info',
    summary: `${smallSide} MSS ${small} (IP MTU ${small + h}) against ${smallSide === 'client' ? 'server' : 'client'} MSS ${Math.max(cm, sm)} (${Math.max(cm, sm) + h}): segments on this path are kept to ${small + h} bytes by the MSS — clamped in the path or a small link at the ${smallSide}`,
    start: evidence[0]?.time ?? c.start.time,
    end: evidence[evidence.length - 1]?.time ?? c.start.time,
    client: c.client,
    server: c.server,
    names: [...c.names],
    evidence,
    impact: { description: 'none by itself: TCP avoids needing Packet Too Big on this path (UDP and ICMP still do)' },
    confidence: {
      level: 'low',
      reason: `both SYNs are in the capture; from one capture point a clamp looks the same as a small link at the ${smallSide} (its SYN arrived with hop limit ${seenAfterRouters ?? '?'})`,
    },
    remedy: REMEDY.mss,
    displayFilter: connectionFilter(c),
    details: { reason: 'asymmetric', mssClient: cm, mssServer: sm, impliedMtuClient: cm + h, impliedMtuServer: sm + h, smallerSide: smallSide, ipVersion: c.version },
  };
}

/** The registry's entry (src/detect/registry.ts). */
export const mssClampedDetector = defineDetector({
  kind: 'path.mss_clamped', records: 'path', lane: 'tcp', defaults: DEFAULT_MSS_CLAMPED_OPTIONS, create: createMssClamped,
  readme: { what: 'MSS clamping in the path, or an MSS above what the path carried', remedy: '—', note: 'info' },
});
