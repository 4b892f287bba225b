// Shared by the path detectors: display filters from validated values only, evidence from marks,
// and the remedies (INCIDENTS.md §3, §4).
import { formatDuration, type Micros } from '../../core/index.js';
import { IPV6_MIN_MTU } from '../../decode/index.js';
import type { ConnectionRecord, DirectionSummary, Mark } from '../../reconstruct/path/index.js';
import type { EvidenceMark } from '../../reconstruct/index.js';
import { addrFilter, anyOf, framesFilter, sortEvidence } from '../evidence.js';
import type { Evidence } from '../finding.js';

export { addrFilter, anyOf, formatDuration, framesFilter, IPV6_MIN_MTU, sortEvidence };

/** RFC 791 / RFC 1122: every IPv4 host accepts 576-byte datagrams; smaller never needs PMTUD. */
export const IPV4_MIN_REASSEMBLY = 576;

export const familyMinMtu = (version: 4 | 6): number => (version === 6 ? IPV6_MIN_MTU : IPV4_MIN_REASSEMBLY);

const validPort = (p: number): boolean => Number.isInteger(p) && p >= 0 && p <= 65535;

/** Both addresses and both ports of a connection (or just one port when equal). */
export function connectionFilter(c: Pick<ConnectionRecord, 'client' | 'clientPort' | 'server' | 'serverPort'>): string {
  const parts: string[] = [];
  for (const a of [c.client, c.server]) {
    const f = addrFilter(a);
    if (f !== undefined) parts.push(f);
  }
  if (validPort(c.clientPort)) parts.push(`tcp.port == ${c.clientPort}`);
  if (validPort(c.serverPort) && c.serverPort !== c.clientPort) parts.push(`tcp.port == ${c.serverPort}`);
  return parts.length > 0 ? parts.join(' && ') : 'tcp';
}

/** Evidence from a mark of a record: `mark` is how the timeline draws it, `role` what it is in the story. */
export function ev(m: Mark, mark: EvidenceMark, role: string, src?: string, dst?: string, detail?: string): Evidence {
  const e: Evidence = { frame: m.frame, time: m.time, role, mark };
  if (src !== undefined) e.src = src;
  if (dst !== undefined) e.dst = dst;
  if (detail !== undefined) e.detail = detail;
  return e;
}

export const endpoint = (addr: string, port: number): string => (addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`);

/** The direction's sender role in the connection. */
export const senderRole = (c: ConnectionRecord, d: DirectionSummary): 'client' | 'server' => (d === c.toServer ? 'client' : 'server');

export function firstLast(times: readonly Micros[]): [Micros, Micros] {
  let a = Number.POSITIVE_INFINITY;
  let b = Number.NEGATIVE_INFINITY;
  for (const t of times) {
    if (t < a) a = t;
    if (t > b) b = t;
  }
  return [a, b];
}

export const REMEDY = {
  blackhole:
    'Let ICMPv6 Packet Too Big (type 2) — and for IPv4 ICMP type 3 code 4 — through every filter, stateless ones included, with no "large ICMP" (>1024 bytes) drop; never make a backbone link MTU smaller than the server segment\'s; make load balancers / anycast deliver PTBs to the sending server; clamp the TCP MSS on the router at the small link. If PTBs cannot be delivered and no UDP service is involved, set the server MTU to 1280. Quick test: set the client MTU to 1280 — if that cures it, it is a PMTUD blackhole.',
  ptb:
    'PTBs must reach the sender intact: allow ICMPv6 type 2 (and ICMP 3/4) at every filter regardless of size (a PTB quotes up to 1280 bytes), make load balancers / anycast forward PTBs to the server that sent the packet, raise router ICMP rate limits for PTB, and make the sender honour them. Clamp the TCP MSS where PTBs cannot be relied on.',
  fallback:
    'Remove the stale AAAA record or restore the IPv6 service at that address; monitor the IPv6 service by content, not only by port; re-check DNS and both address families on every server change.',
  neighbor:
    'The address is not on its link: the host lost or changed it (or is down) while DNS still hands it out. Restore the address on the host, or remove the stale AAAA/A record (and lower its TTL before address changes); monitor each address DNS publishes, not only the name.',
  mss: 'No action needed while the clamp matches the smallest link; keep it in sync with the path (clamp to PMTU), and remember that clamping only helps TCP — UDP and ICMP still need Packet Too Big to get through.',
} as const;
