// Shared by the path detectors: display filters from validated values only, evidence from marks,
// and the remedies (INCIDENTS.md §3, §4).
import { PrefixList, formatDuration, type Micros } from '../../core/index.js';
import { IPV6_MIN_MTU } from '../../decode/index.js';
import type { ConnectionRecord, DirectionSummary, Mark } from '../../reconstruct/path/index.js';
import type { EvidenceMark } from '../../reconstruct/index.js';
import { addrFilter, anyOf, flatText, framesFilter, sortEvidence } from '../evidence.js';
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
  const e: Evidence = { frame: m.frame, time: m.time, role: flatText(role), mark };
  if (src !== undefined) e.src = flatText(src);
  if (dst !== undefined) e.dst = flatText(dst);
  if (detail !== undefined) e.detail = flatText(detail);
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

// Sources a Packet Too Big / frag-needed cannot genuinely come from. RFC 4443 §2.2 (and RFC 1812
// §4.3.2.4 for IPv4) make an ICMP error's source a unicast address of the node that sent it, and
// RFC 4443 §3.2 makes that node a router on the path (or, for a VIP, tunnel or IPVS address, the
// quoted destination itself: Linux answers from the packet's destination when it is local, so a
// PTB from the quoted destination is genuine and not listed here). Link-local sources are not
// listed either: a first-hop router may have only link-local addresses (RFC 7404) and its PTB
// reaches the on-link sender. Loopback is impossible only off the node: a PTB about loopback
// traffic (a local tunnel) may come from the loopback address.
const IMPOSSIBLE_SOURCES: readonly { list: PrefixList; why: string }[] = [
  { list: new PrefixList(['::/128', '0.0.0.0/8']), why: 'unspecified ("this host / network"): no router sends from it (RFC 4291 §2.5.2, RFC 1122 §3.2.1.3)' },
  { list: new PrefixList(['::ffff:0:0/96']), why: 'IPv4-mapped: it names an IPv4 host inside an IPv6 socket and never appears on the wire (RFC 4291 §2.5.5.2)' },
  { list: new PrefixList(['ff00::/8', '224.0.0.0/4', '255.255.255.255/32']), why: 'multicast / broadcast: never a source address (RFC 4291 §2.7, RFC 1122 §3.2.1.3)' },
  { list: new PrefixList(['240.0.0.0/4']), why: 'reserved (240.0.0.0/4): routers discard it as a martian source (RFC 1812 §5.3.7)' },
];
const LOOPBACK = new PrefixList(['::1/128', '127.0.0.0/8']);
const LOOPBACK_WHY = 'loopback: it never leaves its node, and the quoted packet did (RFC 4291 §2.5.3, RFC 1122 §3.2.1.3)';

/**
 * Why the sender of a PTB (or ICMP 3/4) about `quoted` cannot be a router on that packet's path,
 * or undefined when it can. Such a message is forged or mangled (a broken NAT64 / translator):
 * it says nothing about the path MTU.
 */
export function impossiblePtbSource(from: string, quoted: { readonly src: string; readonly dst: string }): string | undefined {
  for (const s of IMPOSSIBLE_SOURCES) if (s.list.has(from)) return s.why;
  if (LOOPBACK.has(from) && !(LOOPBACK.has(quoted.src) || LOOPBACK.has(quoted.dst))) return LOOPBACK_WHY;
  return undefined;
}

/** A PTB (or ICMP 3/4) quoting this connection whose source can be a router on its path. */
export function genuinePtb(c: Pick<ConnectionRecord, 'client' | 'server'>, i: ConnectionRecord['icmp'][number]): boolean {
  if (i.kind !== 'packet-too-big' && i.kind !== 'frag-needed') return false;
  return impossiblePtbSource(i.from, i.quotes === 'to-server' ? { src: c.client, dst: c.server } : { src: c.server, dst: c.client }) === undefined;
}
