// path.ptb_problem: Packet Too Big messages (ICMP 3/4 for IPv4) that exist but cannot have helped
// (INCIDENTS.md §3 and "Beyond"):
//  - large: the PTB packet is longer than 1024 bytes, which "large ICMP" filters on UTMs drop
//    (a Linux router quotes up to 1280 bytes); one finding per router, at the end;
//  - invalid-mtu: an IPv6 PTB naming an MTU below 1280 (RFC 8200 §5 floor), one per router;
//  - wrong-host: addressed to a host other than the quoted packet's source, or quoting a TCP flow
//    this server does not have while it serves that port (a load balancer / anycast handing the PTB
//    to the wrong server);
//  - ignored: the sender kept sending segments above the PTB's MTU after it arrived;
//  - burst-then-silence: a router sent PTBs to a host, then stayed silent while a later flow from the
//    same host stalled on large segments (ICMP rate limiting);
//  - impossible-source: sent from an address no router on the path can have (unspecified,
//    IPv4-mapped, multicast / broadcast, reserved, loopback for a packet that left its node): forged
//    or mangled, one finding per source. Such a message is evidence of nothing else: it counts for
//    none of the reasons above, and path.pmtud_blackhole does not treat it as a PTB.
import type { Micros } from '../../core/index.js';
import type { ConnectionRecord, IcmpErrorRecord, PathRecord } from '../../reconstruct/path/index.js';
import { CappedGroups, defineDetector, mergeFirstByPosition, NO_FINDINGS, RecordScope, type Detector } from '../detector.js';
import type { Evidence, Finding } from '../finding.js';
import { IPV6_MIN_MTU, REMEDY, addrFilter, anyOf, connectionFilter, endpoint, ev, familyMinMtu, framesFilter, formatDuration, genuinePtb, impossiblePtbSource } from './common.js';

export interface PtbProblemOptions {
  /** PTBs longer than this (IP length) risk "large ICMP" filters. */
  readonly largeBytes: number;
  /** Segments above the PTB MTU sent after it (outside the grace period) before it counts as ignored. */
  readonly ignoredMinSegments: number;
  /** Routers remembered (bounded state). */
  readonly maxRouters: number;
  /** A later stall counts against a router's silence only within this long of its last PTB. */
  readonly silenceWindowMicros: Micros;
  /** Lost range sends for burst-then-silence. */
  readonly minSends: number;
}

export const DEFAULT_PTB_PROBLEM_OPTIONS: PtbProblemOptions = {
  largeBytes: 1024,
  ignoredMinSegments: 2,
  maxRouters: 1024,
  silenceWindowMicros: 600_000_000,
  minSends: 3,
};

const isPtb = (r: IcmpErrorRecord): boolean => r.kind === 'packet-too-big' || r.kind === 'frag-needed';
const MAX_EVIDENCE = 16;

interface ImpossibleSource {
  from: string;
  version: 4 | 6;
  why: string;
  count: number;
  evidence: IcmpErrorRecord[];
  last: IcmpErrorRecord;
  /** Hosts it was sent to, bounded. */
  to: string[];
  /** Where each evidence record and host was first observed (RecordScope.position); `last`'s. */
  evidenceAt: number[];
  toAt: number[];
  lastAt: number;
}

const MAX_TO = 64;

interface RouterState {
  from: string;
  version: 4 | 6;
  count: number;
  large: IcmpErrorRecord[];
  largeCount: number;
  invalid: IcmpErrorRecord[];
  invalidCount: number;
  /** Where each of `large` and `invalid` was observed (RecordScope.position). */
  largeAt: number[];
  invalidAt: number[];
  first: IcmpErrorRecord;
  last: IcmpErrorRecord;
  /** Hosts it sent PTBs to (the senders), bounded. */
  to: Set<string>;
  silenceReported: boolean;
}

/**
 * What a piece of a split capture hands to the merge: the PTBs it owns (RecordScope) counted per
 * router for the findings held until finish (the wrong-host, ignored and silence findings are made
 * as records arrive, and belong to the piece of their first evidence frame like any other).
 */
interface PtbProblemState {
  routers: RouterState[];
  impossible: ImpossibleSource[];
}

export function createPtbProblem(options: Partial<PtbProblemOptions> = {}, _explanations?: unknown, _view?: unknown, scope: RecordScope = new RecordScope()): Detector<PathRecord> {
  const o = { ...DEFAULT_PTB_PROBLEM_OPTIONS, ...options };
  const routers = new CappedGroups<RouterState>(o.maxRouters);
  const wrongHost = new Set<string>();
  const impossible = new CappedGroups<ImpossibleSource>(o.maxRouters);

  function noteImpossible(r: IcmpErrorRecord, why: string): void {
    const s = impossible.get(r.from, () => ({ from: r.from, version: r.version, why, count: 0, evidence: [], last: r, to: [], evidenceAt: [], toAt: [], lastAt: scope.position }));
    if (s === undefined) return;
    s.count++;
    s.last = r;
    s.lastAt = scope.position;
    if (s.evidence.length < MAX_EVIDENCE) {
      s.evidence.push(r);
      s.evidenceAt.push(scope.position);
    }
    if (s.to.length < MAX_TO && !s.to.includes(r.to)) {
      s.to.push(r.to);
      s.toAt.push(scope.position);
    }
  }

  function router(r: IcmpErrorRecord): RouterState | undefined {
    const s = routers.get(r.from, () => ({ from: r.from, version: r.version, count: 0, large: [], largeCount: 0, invalid: [], invalidCount: 0, largeAt: [], invalidAt: [], first: r, last: r, to: new Set<string>(), silenceReported: false }));
    if (s === undefined) return undefined;
    s.count++;
    s.last = r;
    if (s.to.size < 64) s.to.add(r.to);
    return s;
  }

  function onIcmp(r: IcmpErrorRecord): Finding[] {
    if (!isPtb(r)) return [];
    // What is held until finish counts the PTBs this piece of a split capture owns; the router's
    // recent PTBs (for burst-then-silence) are context, read in every piece.
    const owned = scope.owns(r);
    const why = impossiblePtbSource(r.from, r.quoted);
    if (why !== undefined) {
      if (owned) noteImpossible(r, why);
      return [];
    }
    const s = router(r);
    if (s !== undefined && owned) {
      if (r.icmpLength > o.largeBytes) {
        s.largeCount++;
        if (s.large.length < MAX_EVIDENCE) {
          s.large.push(r);
          s.largeAt.push(scope.position);
        }
      }
      if (r.version === 6 && r.mtu !== undefined && r.mtu < IPV6_MIN_MTU) {
        s.invalidCount++;
        if (s.invalid.length < MAX_EVIDENCE) {
          s.invalid.push(r);
          s.invalidAt.push(scope.position);
        }
      }
    }
    const out: Finding[] = [];
    const tcp = r.quoted.protocol === 6;
    const misdelivered = !r.toQuotedSender;
    const strayFlow = tcp && r.match === 'none' && r.quotedServiceSeen;
    if ((misdelivered || strayFlow) && !wrongHost.has(`${r.from}|${r.to}`) && wrongHost.size < o.maxRouters) {
      wrongHost.add(`${r.from}|${r.to}`);
      out.push(wrongHostFinding(r, misdelivered));
    }
    return out;
  }

  function onConnection(c: ConnectionRecord): readonly Finding[] {
    // Most connections have no ICMP and nothing unacknowledged: they are done here, without the
    // list, the pair of directions and the context object for the closures over `c` below.
    if (c.icmp.length === 0 && c.toClient.unacked.length === 0 && c.toServer.unacked.length === 0) return NO_FINDINGS;
    return connectionProblems(c);
  }

  function connectionProblems(c: ConnectionRecord): Finding[] {
    const out: Finding[] = [];
    for (const p of c.icmp) {
      if (!genuinePtb(c, p)) continue;
      if (p.mtu === undefined || p.mtu <= 0 || p.largerAfter < o.ignoredMinSegments) continue;
      // In a capture with offload artefacts (TSO/GSO at the sender) a segment of up to the MSS can
      // still be a GSO packet that leaves as several of the new size: sizes prove nothing there, so
      // the PTB must also have failed in effect (data above its MTU never acknowledged).
      const d = p.quotes === 'to-server' ? c.toServer : c.toClient;
      if (d.offloadedSegments > 0 && !d.unacked.some((x) => x.minWireLength > p.mtu!)) continue;
      out.push(ignoredFinding(c, p));
      break;
    }
    // Burst then silence: this connection lost large segments with no PTB, and a router earlier sent
    // PTBs to the same sender for packets that size.
    for (const d of [c.toClient, c.toServer]) {
      if (d.unacked.length === 0) continue; // the usual case, and a filter per record was 3 % of the path stage
      const lost = d.unacked.filter((x) => x.sends >= o.minSends && !x.fragmentable);
      if (lost.length === 0) continue;
      const quotes = d === c.toServer ? 'to-server' : 'to-client';
      if (c.icmp.some((i) => i.quotes === quotes && genuinePtb(c, i))) continue;
      const smallest = Math.min(...lost.map((x) => x.minWireLength));
      if (smallest <= familyMinMtu(c.version)) continue;
      // That size was delivered on this connection: plain loss, not a missing PTB.
      if (d.maxDelivered !== undefined && d.maxDelivered.wireLength >= smallest) continue;
      const firstLoss = Math.min(...lost.map((x) => x.times[0]!));
      for (const s of routers.groups.values()) {
        if (s.silenceReported || !s.to.has(d.from) || s.version !== c.version) continue;
        if (s.last.time >= firstLoss || firstLoss - s.last.time > o.silenceWindowMicros) continue;
        if (s.last.mtu === undefined || s.last.mtu >= smallest) continue;
        s.silenceReported = true;
        out.push(silenceFinding(s, c, lost[0]!.frames[0]!, firstLoss, smallest));
      }
    }
    return out;
  }

  return {
    name: 'ptb-problem',
    observe(r: PathRecord): readonly Finding[] {
      if (r.type === 'neighbor' || r.type === 'host-view') return NO_FINDINGS; // neither tells anything about Packet Too Big
      return r.type === 'icmp-error' ? onIcmp(r) : onConnection(r);
    },
    finish(): readonly Finding[] {
      const out: Finding[] = [];
      for (const s of routers.groups.values()) {
        if (s.invalidCount > 0) out.push(aggregateFinding(s, 'invalid-mtu'));
        if (s.largeCount > 0) out.push(aggregateFinding(s, 'large'));
      }
      for (const s of impossible.groups.values()) out.push(impossibleSourceFinding(s));
      routers.groups.clear();
      impossible.groups.clear();
      wrongHost.clear();
      return out;
    },
    exportState: (): PtbProblemState => ({
      routers: [...routers.groups.values()].filter((s) => s.largeCount + s.invalidCount > 0).map((s) => ({ ...s, to: new Set() })),
      impossible: [...impossible.groups.values()],
    }),
    mergeState(state: unknown): void {
      const b = state as PtbProblemState;
      for (const y of b.routers) {
        const x = routers.mergeTarget(y.from, y);
        if (x === undefined) continue;
        x.largeCount += y.largeCount;
        x.invalidCount += y.invalidCount;
        mergeFirstByPosition(x, y, 'large', MAX_EVIDENCE);
        mergeFirstByPosition(x, y, 'invalid', MAX_EVIDENCE);
      }
      for (const y of b.impossible) {
        const x = impossible.mergeTarget(y.from, y);
        if (x === undefined) continue;
        x.count += y.count;
        if (y.lastAt >= x.lastAt) [x.last, x.lastAt] = [y.last, y.lastAt];
        mergeFirstByPosition(x, y, 'evidence', MAX_EVIDENCE);
        mergeFirstByPosition(x, y, 'to', MAX_TO, (p, q) => p === q);
      }
    },
  };
}

function ptbName(r: { version: 4 | 6 }): string {
  return r.version === 6 ? 'Packet Too Big' : 'fragmentation-needed (ICMP 3/4)';
}

function ptbTypeFilter(version: 4 | 6): string {
  return version === 6 ? 'icmpv6.type == 2' : 'icmp.type == 3 && icmp.code == 4';
}

function icmpEvidence(r: IcmpErrorRecord, role: string): Evidence {
  return ev(r, 'icmp-ptb', role, r.from, r.to, `MTU ${r.mtu ?? '?'}, ${r.icmpLength} bytes, quotes ${r.quoted.length}-byte packet ${endpoint(r.quoted.src, r.quoted.srcPort ?? 0)} → ${endpoint(r.quoted.dst, r.quoted.dstPort ?? 0)}`);
}

function aggregateFinding(s: RouterState, reason: 'large' | 'invalid-mtu'): Finding {
  const list = reason === 'large' ? s.large : s.invalid;
  const count = reason === 'large' ? s.largeCount : s.invalidCount;
  const first = list[0]!;
  const evidence = list.map((r) => icmpEvidence(r, reason === 'large' ? 'PTB over 1024 bytes' : 'PTB with MTU below 1280'));
  const mtus = [...new Set(list.map((r) => r.mtu ?? 0))].sort((a, b) => a - b);
  const sizes = [...new Set(list.map((r) => r.icmpLength))].sort((a, b) => a - b);
  const routerFilter = addrFilter(s.from);
  return {
    id: `path.ptb_problem:${first.frame}:${reason}`,
    kind: 'path.ptb_problem',
    severity: reason === 'large' ? 'warning' : 'warning',
    summary:
      reason === 'large'
        ? `${count} ${ptbName(s)} from ${s.from} ${count === 1 ? 'is' : 'are'} ${sizes.join('/')} bytes long: filters that drop "large ICMP" (>1024 bytes) would discard ${count === 1 ? 'it' : 'them'}`
        : `${count} Packet Too Big from ${s.from} name${count === 1 ? 's' : ''} MTU ${mtus.join('/')}, below the IPv6 minimum of 1280: no IPv6 link may be that small`,
    start: first.time,
    end: list[list.length - 1]!.time,
    client: undefined,
    server: undefined,
    names: [],
    evidence,
    impact: {
      description:
        reason === 'large'
          ? 'if a UTM or firewall between this router and the sender drops ICMP over 1024 bytes, the sender never learns the path MTU and large transfers hang (PMTUD blackhole)'
          : 'the sender cannot lower its packets below 1280 for IPv6: the router is misconfigured (a link below 1280 must fragment and reassemble itself) or the message is forged',
      occurrences: count,
    },
    confidence: {
      level: 'high',
      reason: reason === 'large' ? `the IP length of each message is in the capture (${sizes.join(', ')} bytes)` : `the MTU field of each message is in the capture (${mtus.join(', ')})`,
    },
    remedy:
      reason === 'large'
        ? 'Allow ICMPv6 type 2 (and ICMP 3/4) of any size through every UTM / firewall: never filter "large ICMP". ' + REMEDY.ptb
        : 'Fix the link MTU at the router that sends these (IPv6 links must carry 1280 bytes, RFC 8200 §5); check whether the messages are forged. ' + REMEDY.ptb,
    displayFilter: [ptbTypeFilter(s.version), routerFilter].filter((x) => x !== undefined).join(' && '),
    details: {
      reason,
      router: s.from,
      count,
      mtus,
      icmpLengths: sizes,
      ipVersion: s.version,
    },
  };
}

function impossibleSourceFinding(s: ImpossibleSource): Finding {
  const first = s.evidence[0]!;
  const to = s.to;
  return {
    id: `path.ptb_problem:${first.frame}:impossible-source`,
    kind: 'path.ptb_problem',
    severity: 'warning',
    summary: `${s.count} ${ptbName(s)} from ${s.from} to ${to.slice(0, 3).join(', ')}${to.length > 3 ? ` and ${to.length - 3} more` : ''} cannot come from a router on the path: the source is ${s.why}`,
    start: first.time,
    end: s.last.time,
    client: undefined,
    server: undefined,
    names: [],
    evidence: s.evidence.map((r) => icmpEvidence(r, 'PTB from an impossible source')),
    impact: {
      description: `forged or mangled: a conforming sender discards ${s.count === 1 ? 'it' : 'them'}, and ${s.count === 1 ? 'it says' : 'they say'} nothing about the path MTU (not used as PMTUD evidence here). Whoever sends it can try to shrink the sender's packets (RFC 5927) or probe its ICMP handling`,
      occurrences: s.count,
    },
    confidence: { level: 'high', reason: `the source address (${s.from}) is in the capture and is never a router's unicast address (RFC 4443 §2.2)` },
    remedy: 'Find who emits these (a translator or NAT64 that mis-maps ICMP sources, or an attacker) from the capture point\'s neighbour / MAC address; drop ICMP errors from such sources at the edge (martian / BCP 38 ingress filtering), while still letting every PTB from a real router through (RFC 4890). ' + REMEDY.ptb,
    displayFilter: [ptbTypeFilter(s.version), addrFilter(s.from)].filter((x) => x !== undefined).join(' && '),
    details: {
      reason: 'impossible-source',
      router: s.from,
      why: s.why,
      count: s.count,
      deliveredTo: to,
      mtus: [...new Set(s.evidence.map((r) => r.mtu ?? 0))].sort((a, b) => a - b),
      ipVersion: s.version,
    },
  };
}

function wrongHostFinding(r: IcmpErrorRecord, misdelivered: boolean): Finding {
  const q = r.quoted;
  return {
    id: `path.ptb_problem:${r.frame}:wrong-host`,
    kind: 'path.ptb_problem',
    severity: 'warning',
    summary: misdelivered
      ? `${ptbName(r)} from ${r.from} delivered to ${r.to}, but it quotes a packet sent by ${q.src}: the sender never gets it`
      : `${ptbName(r)} from ${r.from} quotes a TCP flow ${endpoint(q.src, q.srcPort ?? 0)} → ${endpoint(q.dst, q.dstPort ?? 0)} this host does not have, though it serves that port: delivered to the wrong server (load balancer / anycast)`,
    start: r.time,
    end: r.time,
    client: q.dst,
    server: q.src,
    names: [],
    evidence: [icmpEvidence(r, 'PTB for another host\'s flow')],
    impact: { description: 'the server that sent the large packet never learns the path MTU; its connection stalls (PMTUD blackhole)', occurrences: 1 },
    confidence: misdelivered
      ? { level: 'high', reason: `the PTB's destination (${r.to}) differs from the quoted packet's source (${q.src})` }
      : { level: 'medium', reason: 'no connection with this 5-tuple was seen here, while other clients of the same address and port were: the capture may also have missed the flow' },
    remedy: 'Make the load balancer / anycast nodes deliver ICMP errors to the server that owns the quoted flow (hash on the quoted 5-tuple, e.g. Linux ECMP hashing of ICMP errors, or PTB relays); clamp the TCP MSS as a fallback. ' + REMEDY.ptb,
    displayFilter: anyOf([framesFilter([r.frame])]),
    details: {
      reason: 'wrong-host',
      router: r.from,
      deliveredTo: r.to,
      quotedSource: q.src,
      quotedDestination: q.dst,
      quotedSourcePort: q.srcPort ?? null,
      quotedDestinationPort: q.dstPort ?? null,
      mtu: r.mtu ?? null,
      ipVersion: r.version,
    },
  };
}

function ignoredFinding(c: ConnectionRecord, p: ConnectionRecord['icmp'][number]): Finding {
  const d = p.quotes === 'to-server' ? c.toServer : c.toClient;
  const evidence: Evidence[] = [ev(p, 'icmp-ptb', 'PTB', p.from, p.to, `MTU ${p.mtu}, quotes a ${p.quotedLength}-byte packet`)];
  if (p.firstLargerAfter !== undefined) evidence.push(ev(p.firstLargerAfter, 'evidence', 'larger segment sent anyway', d.from, d.to));
  return {
    id: `path.ptb_problem:${p.frame}:ignored`,
    kind: 'path.ptb_problem',
    severity: 'warning',
    summary: `${d.from} kept sending segments above MTU ${p.mtu} after the ${ptbName(c)} from ${p.from} (${p.largerAfter} larger, ${p.smallerAfter} within it)`,
    start: p.time,
    end: p.firstLargerAfter?.time ?? p.time,
    client: c.client,
    server: c.server,
    names: [...c.names],
    evidence,
    impact: { description: 'the sender does not act on the PTB: its large segments keep being dropped', occurrences: p.largerAfter },
    confidence: {
      level: c.capturePoint === (p.quotes === 'to-server' ? 'client' : 'server') ? 'high' : 'medium',
      reason:
        c.capturePoint === (p.quotes === 'to-server' ? 'client' : 'server')
          ? 'captured at the sender: the PTB reached it and it still sent larger segments'
          : 'the PTB passed this capture point, but it may have been lost between here and the sender',
    },
    remedy: 'Check that the sender accepts the PTB: ICMP allowed by its host firewall, the quoted packet matching a socket it has (no NAT / load balancer rewriting in between), and PMTU discovery enabled. ' + REMEDY.ptb,
    displayFilter: anyOf([connectionFilter(c), framesFilter([p.frame])]),
    details: { reason: 'ignored', router: p.from, mtu: p.mtu ?? null, largerAfter: p.largerAfter, smallerAfter: p.smallerAfter, ipVersion: c.version },
  };
}

function silenceFinding(s: RouterState, c: ConnectionRecord, lostFrame: number, firstLoss: Micros, smallest: number): Finding {
  const evidence: Evidence[] = [icmpEvidence(s.first, 'first PTB of the burst')];
  if (s.last !== s.first) evidence.push(icmpEvidence(s.last, 'last PTB of the burst'));
  evidence.push(ev({ frame: lostFrame, time: firstLoss }, 'evidence', 'later large segment (lost, no PTB)', undefined, undefined, `${smallest} bytes`));
  return {
    id: `path.ptb_problem:${s.first.frame}:burst-then-silence`,
    kind: 'path.ptb_problem',
    severity: 'warning',
    summary: `${s.count} ${ptbName(s)} from ${s.from} until ${formatDuration(firstLoss - s.last.time)} before a later flow lost ${smallest}-byte segments with no PTB: ICMP rate limiting?`,
    start: s.first.time,
    end: firstLoss,
    client: c.client,
    server: c.server,
    names: [...c.names],
    evidence,
    impact: { description: 'flows that arrive after the router stops sending PTBs hang like a PMTUD blackhole', occurrences: s.count },
    confidence: { level: 'medium', reason: 'the router did send PTBs for this size to this sender earlier; the later flow may have taken another path' },
    remedy: 'Raise the ICMPv6 / ICMP rate limit for Packet Too Big on the router (Linux: net.ipv6.icmp.ratelimit, net.ipv4.icmp_ratelimit / icmp_ratemask), or clamp the TCP MSS so PTBs are rarely needed. ' + REMEDY.ptb,
    displayFilter: anyOf([`${ptbTypeFilter(s.version)}${addrFilter(s.from) !== undefined ? ` && ${addrFilter(s.from)}` : ''}`, connectionFilter(c)]),
    details: { reason: 'burst-then-silence', router: s.from, ptbs: s.count, silenceMicros: firstLoss - s.last.time, smallestLost: smallest, ipVersion: s.version },
  };
}

/** The registry's entry (src/detect/registry.ts). */
export const ptbProblemDetector = defineDetector({
  kind: 'path.ptb_problem', records: 'path', lane: 'tcp', defaults: DEFAULT_PTB_PROBLEM_OPTIONS, create: createPtbProblem,
  readme: { what: 'PTBs that cannot help: > 1024 bytes (dropped by "large ICMP" filters), MTU < 1280, quoting another host\'s flow, ignored by the sender, bursts then silence, sent from an impossible source (forged)', remedy: '—' },
});
