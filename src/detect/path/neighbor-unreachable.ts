// path.neighbor_unreachable: a host (usually the router of the link) asks for an address on its
// link — IPv6 neighbour solicitations (RFC 4861 §7.2), IPv4 ARP requests — and nobody answers; it
// then tells the senders that wait for that address "address unreachable" (ICMPv6 type 1 code 3,
// RFC 4443 §3.1) or "host unreachable" (ICMP type 3 code 1). The address is not on the link: the
// router's view of a stale AAAA (or A) record, which costs each client the ~3 s of resolution
// before it falls back to the other family (path.fallback_delay shows that from the client side).
//
// Silent for: a solicitation answered, however late (the host is there); duplicate address
// detection and ARP probes (filtered by the reconstructor: silence is their success); unanswered
// solicitations with no unreachable (the answers are unicast to the asker and may be out of this
// capture point's sight; a NUD probe; a capture that ended); unreachables for other reasons (no
// route, administratively prohibited: other codes).
import { canonicalAddress } from '../../core/index.js';
import type { NeighborRecord, PathRecord } from '../../reconstruct/path/index.js';
import { defineDetector, NO_FINDINGS, type Detector } from '../detector.js';
import type { Evidence, Finding } from '../finding.js';
import { REMEDY, addrFilter, anyOf, ev, formatDuration, sortEvidence } from './common.js';

export interface NeighborUnreachableOptions {
  /**
   * Unanswered solicitations that count as a failure when no unreachable was seen. Off by default
   * (Infinity): an NA or ARP reply goes unicast to the asker, so a capture taken elsewhere on the
   * link sees the broadcast questions but never the answers (pcapplusplus/PcapTest/sll.pcap: a
   * host capture with three unanswered-looking ARP requests of a neighbour). Only the asker's own
   * unreachable proves the resolution failed.
   */
  readonly minSolicitationsWithoutError: number;
}

export const DEFAULT_NEIGHBOR_UNREACHABLE_OPTIONS: NeighborUnreachableOptions = { minSolicitationsWithoutError: Number.POSITIVE_INFINITY };

export function createNeighborUnreachable(options: Partial<NeighborUnreachableOptions> = {}): Detector<PathRecord> {
  const o = { ...DEFAULT_NEIGHBOR_UNREACHABLE_OPTIONS, ...options };
  return {
    name: 'neighbor-unreachable',
    observe(r: PathRecord): readonly Finding[] {
      if (r.type !== 'neighbor' || r.answered !== undefined) return NO_FINDINGS;
      // Failed resolution: the asker said so (an unreachable after at least one solicitation), or,
      // when enabled, kept asking long enough that it would have (Linux: 3 solicitations, 1 s apart).
      if (r.unreachableCount === 0 && r.solicitationCount < o.minSolicitationsWithoutError) return NO_FINDINGS;
      if (r.solicitationCount === 0) return NO_FINDINGS;
      return [finding(r)];
    },
    finish(): readonly Finding[] {
      return NO_FINDINGS;
    },
  };
}

function finding(r: NeighborRecord): Finding {
  const v6 = r.family === 6;
  const what = v6 ? 'neighbour solicitation' : 'ARP request';
  const errName = v6 ? 'ICMPv6 address unreachable (type 1 code 3)' : 'ICMP host unreachable (type 3 code 1)';
  const evidence: Evidence[] = [];
  r.solicitations.forEach((m, i) => evidence.push(ev(m, 'evidence', i === 0 ? `${what} (unanswered)` : `${what} ${i + 1} (unanswered)`, r.asker, undefined, `who has ${r.address}?`)));
  for (const u of r.unreachables) {
    evidence.push(ev(u, 'icmp-unreach', errName, r.asker, u.to, u.quotedDstPort !== undefined ? `for a packet to ${r.address} port ${u.quotedDstPort}` : `for a packet to ${r.address}`));
  }
  if (r.lookup !== undefined) evidence.push(ev(r.lookup, 'dns-answer', `DNS answer (${v6 ? 'AAAA' : 'A'})`, undefined, r.lookup.asker, `${r.names[0] ?? ''} → ${r.address}`));
  const sorted = sortEvidence(evidence);
  const first = sorted[0]!;
  const firstSol = r.solicitations[0]!;
  const lastSol = r.solicitations[r.solicitations.length - 1]!;
  const firstErr = r.unreachables[0];
  const to = [...new Set(r.unreachables.map((u) => u.to))];
  const spanEnd = firstErr?.time ?? lastSol.time;
  const names = r.names;
  const tcpPorts = [...new Set(r.unreachables.filter((u) => u.quotedProtocol === 6 && u.quotedDstPort !== undefined).map((u) => u.quotedDstPort!))];
  const told = r.unreachableCount > 0
    ? `; ${r.unreachableCount} × ${errName} sent to ${to.join(', ')} ${formatDuration(firstErr!.time - firstSol.time)} after the first`
    : '; no unreachable seen (senders wait until their own timeout)';
  const filters = [addrFilter(r.address), addrFilter(r.asker)].filter((x): x is string => x !== undefined);
  // Display filters only from addresses that parse (capture text is hostile).
  const canon = canonicalAddress(r.address);
  const ndFilter = canon === undefined ? undefined : v6 ? `icmpv6.nd.ns.target_address == ${canon}` : `arp.dst.proto_ipv4 == ${canon}`;
  return {
    id: `path.neighbor_unreachable:${first.frame}`,
    kind: 'path.neighbor_unreachable',
    severity: 'warning',
    summary: `${r.address}${names.length > 0 ? ` (${names[0]})` : ''} is not on its link: ${r.solicitationCount} ${what}${r.solicitationCount === 1 ? '' : 's'} from ${r.asker} unanswered${told}` +
      (names.length > 0 ? `; DNS still gives ${names[0]} this address (stale ${v6 ? 'AAAA' : 'A'})` : ''),
    start: first.time,
    end: Math.max(...sorted.map((e) => e.time)),
    server: r.address,
    ...(to.length > 0 ? { client: to[0] } : {}),
    names: [...names],
    evidence: sorted,
    impact: {
      description: `every connection to ${r.address} waits ${formatDuration(spanEnd - firstSol.time)} for address resolution to fail` +
        (tcpPorts.length > 0 ? ` (TCP port ${tcpPorts.join(', ')}), then falls back to ${v6 ? 'IPv4' : 'IPv6'} if it can: see path.fallback_delay` : ''),
      delayMicros: Math.max(0, spanEnd - firstSol.time),
      occurrences: Math.max(1, r.unreachableCount),
    },
    confidence: r.unreachableCount > 0
      ? { level: 'high', reason: `${r.solicitationCount} ${what}s went unanswered and ${r.asker} then reported the address unreachable itself` }
      : { level: 'medium', reason: `${r.solicitationCount} ${what}s went unanswered; no unreachable was seen (the sender may not send one, or the capture missed it)` },
    remedy: REMEDY.neighbor,
    displayFilter: anyOf([ndFilter, ...filters.slice(0, 1).map((f) => `${f} && ${v6 ? 'icmpv6.type == 1' : 'icmp.type == 3'}`)]),
    details: {
      address: r.address,
      family: r.family,
      router: r.asker,
      solicitations: r.solicitationCount,
      solicitationFrames: r.solicitations.map((m) => m.frame),
      solicitationSpacingMicros: r.solicitations.slice(1).map((m, i) => m.time - r.solicitations[i]!.time),
      unreachables: r.unreachableCount,
      unreachablesTo: to,
      unreachableFrames: r.unreachables.map((u) => u.frame),
      affectedTcpPorts: tcpPorts,
      names: [...names],
      dnsAnswerFrame: r.lookup?.frame ?? null,
      seeAlso: tcpPorts.length > 0 ? 'path.fallback_delay' : null,
    },
  };
}

/** The registry's entry (src/detect/registry.ts). */
export const neighborUnreachableDetector = defineDetector({
  kind: 'path.neighbor_unreachable', records: 'path', lane: 'icmp', defaults: DEFAULT_NEIGHBOR_UNREACHABLE_OPTIONS, create: createNeighborUnreachable,
  readme: {
    what: "a router's (or host's) neighbour solicitations / ARP requests for an address go unanswered and it sends ICMPv6 address unreachable / ICMP host unreachable: the address is not on its link (the router's view of a stale AAAA or A); names the router, the solicitations, who was told, and the names DNS gave the address",
    remedy: 'restore the address or remove the stale record',
  },
});
