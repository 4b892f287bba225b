// An incident: one cause with every occurrence behind it. Detectors report occurrences (one
// lookup, one connection, one PTB series); people act on causes: one resolver leaking RFC 6303
// zones for two hundred hosts is one thing to fix, not two hundred. The grouping stage
// (incident-grouper.ts) keys occurrences by kind + the party responsible, defined here per kind.
import { z } from 'zod';
import { Finding } from './finding.js';

const Micros = z.number().int();

export const Ranked = z.object({ value: z.string(), occurrences: z.number().int() });
export type Ranked = z.infer<typeof Ranked>;

/** A bounded tally: how many distinct values, and the most frequent ones with their counts. */
export const Tally = z.object({
  count: z.number().int().describe('distinct values seen'),
  top: z.array(Ranked).describe('the most frequent values, most frequent first (bounded)'),
});
export type Tally = z.infer<typeof Tally>;

/** What an incident adds to the fields of a finding: its cause and the summary of its occurrences. */
export const INCIDENT_GROUP = {
  id: z.string().describe('kind@responsible party: stable across runs and across the files of one batch'),
  cause: z.object({
    party: z.string().describe('who or what is responsible, for people: "DNS server 2001:db8:2::53", "zone d.f.ip6.arpa. at resolver fd00:1::53" …'),
    key: z.array(z.string()).describe('the grouping key after the kind (addresses, zone, MTU …)'),
  }),
  count: z.number().int().positive().describe('occurrences (detector findings) grouped here'),
  clients: Tally.describe('affected clients'),
  servers: Tally,
  nameTally: Tally.describe('names involved, with how many occurrences each'),
  delay: z.object({
    measured: z.number().int().describe('occurrences that carry a delay'),
    totalMicros: Micros,
    medianMicros: Micros.nullable().describe('typical delay (median over the measured occurrences)'),
    maxMicros: Micros.nullable(),
  }),
  pathMtu: z
    .object({
      min: z.number().int().nullable().describe('largest lower bound over the occurrences (null: none gave one)'),
      max: z.number().int().nullable().describe('smallest upper bound over the occurrences'),
      empty: z.boolean().describe('the brackets do not overlap: no one path MTU explains every occurrence (several paths behind this sender, or the MTU changed)'),
      measured: z.number().int().describe('occurrences that bracket the path MTU'),
      minFrom: z.string().nullable().describe('occurrence id that gave `min`'),
      maxFrom: z.string().nullable().describe('occurrence id that gave `max`'),
    })
    .optional()
    .describe('path.pmtud_blackhole: the path MTU bracket of every occurrence intersected'),
  representatives: z.object({
    first: z.string().describe('occurrence id'),
    worst: z.string().describe('occurrence id: the longest delay (else the most stalled bytes, else the first)'),
    last: z.string().describe('occurrence id'),
  }),
};

/**
 * The report's unit. It carries every field a finding has (so a reader of one finding reads an
 * incident the same way: for one occurrence they are that occurrence's values), plus the group.
 */
export const Incident = Finding.extend({
  ...INCIDENT_GROUP,
  occurrences: z.array(Finding).describe('every occurrence, oldest first, each exactly as its detector reported it'),
});
export type Incident = z.infer<typeof Incident>;

export interface Cause {
  /** Grouping key parts after the kind: addresses, enums and numbers, never free capture text. */
  readonly key: readonly string[];
  readonly party: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

/**
 * The party responsible for an occurrence. Chosen so that one fix ends the whole incident: the
 * firewall in front of one DNS server, one server's AAAA handling, one zone at one resolver, one
 * sender's path, one router's PTBs, one stale IPv6 address.
 */
export function causeOf(f: Finding): Cause {
  const d = f.details;
  const server = f.server ?? '';
  switch (f.kind) {
    case 'dns.same_port_reply_drop':
      // The firewall (or NAT) between the clients and this server treats a UDP 5-tuple as one
      // session; which reply it drops varies with arrival order, so that is not part of the cause.
      // Seen from the server's side (both replies left, the client asked again) or the client's,
      // and sticky or not, it is the same firewall in front of the same server: one incident.
      return { key: [server], party: `the stateful firewall/NAT in front of DNS server ${server}` };
    case 'dns.aaaa_unanswered': {
      const problem = str(d['problem']) ?? 'unanswered';
      return { key: [server, problem], party: `DNS server ${server} (AAAA ${problem})` };
    }
    case 'dns.local_zone_leak': {
      const zone = str(d['zone']) ?? '';
      return { key: [server, zone], party: `resolver ${server} leaking ${zone || 'a locally served zone'}` };
    }
    case 'dns.slow_lookup':
      return { key: [server], party: `DNS server ${server}` };
    case 'dns.large_response_risk':
      return { key: [server], party: `DNS server ${server}` };
    case 'dns.resolver_profile': {
      const pattern = str(d['pattern']) ?? 'unknown';
      const order = str(d['order']) ?? 'unknown';
      return { key: [server, pattern, order], party: `clients of ${server} resolving ${pattern}, ${order}` };
    }
    case 'path.pmtud_blackhole': {
      const sender = str(d['sender']) ?? server;
      const v = str(d['ipVersion']) ?? '';
      return { key: [sender, `v${v}`], party: `the path from ${sender} (IPv${v}): large packets lost, no working PTB` };
    }
    case 'path.ptb_problem': {
      const reason = str(d['reason']) ?? 'unknown';
      const router = str(d['router']) ?? server;
      return { key: [reason, router], party: `Packet Too Big from ${router} (${reason})` };
    }
    case 'path.fallback_delay': {
      const v6 = str(d['ipv6Server']) ?? server;
      const port = str(d['serverPort']) ?? '';
      return { key: [v6, port], party: `IPv6 service [${v6}]:${port}` };
    }
    case 'path.neighbor_unreachable': {
      // One stale address on one router's link: restoring the address (or removing the stale
      // record) ends it for every client that router told "unreachable".
      const address = str(d['address']) ?? server;
      const router = str(d['router']) ?? '';
      return { key: [address, router], party: `${address}, not on the link of router ${router || 'unknown'} (a stale record)` };
    }
    case 'path.mss_clamped': {
      const mss = Math.min(Number(d['mssClient'] ?? 0), Number(d['mssServer'] ?? 0));
      return { key: [server, String(mss)], party: `the path to ${server} clamping MSS to ${mss}` };
    }
    default:
      // A kind without a rule here (a new detector): its server, else its client, is the party.
      return f.server !== undefined ? { key: [f.server], party: `server ${f.server}` } : { key: [f.client ?? ''], party: f.client !== undefined ? `client ${f.client}` : f.kind };
  }
}

/**
 * `kind@part/part`. Parts are addresses, enums and numbers, but a detector could one day put a
 * capture string there: anything outside a safe set is percent-encoded, so an id never holds a
 * space (lane attributes list ids separated by spaces) or markup, and two keys never collide.
 */
export function incidentId(kind: string, key: readonly string[]): string {
  return `${kind}@${key.map(safePart).join('/')}`;
}

function safePart(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || ch === '.' || ch === ':' || ch === '-' || ch === '_';
    out += ok ? ch : encodeURIComponent(ch).replace(/[!'()*]/g, (x) => `%${x.charCodeAt(0).toString(16).toUpperCase()}`);
  }
  return out === '' ? '-' : out;
}
