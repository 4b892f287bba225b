// dns.local_zone_leak (INCIDENTS §5): queries under the RFC 6303 locally served zones that go
// unanswered, are slow, come back SERVFAIL, are forwarded upstream by the resolver that received
// them, or go straight to a globally routed server. A resolver that serves these zones answers at
// once, from memory; any of these shows the query left the site. One finding per client/server.
import { inPrefix, isLocalAddress, type Micros } from '../../core/index.js';
import type { DnsLookup, DnsRecord } from '../../reconstruct/dns/index.js';
import type { Detector } from '../detector.js';
import type { Evidence, Finding } from '../finding.js';
import { allLookupEvidence, CappedGroups, displayFilter, durationText, printableName, qtypeName } from './common.js';
import { locallyServedZone } from './local-zones.js';

export interface LocalZoneLeakOptions {
  /** Slower than this, the answer did not come from the resolver's memory: default 500 ms. */
  slowMicros: Micros;
  maxGroups: number;
  /** Names remembered to see a resolver forward what it was asked (bounded). */
  maxRememberedNames: number;
}

export const DEFAULT_LOCAL_ZONE_LEAK_OPTIONS: LocalZoneLeakOptions = { slowMicros: 500_000, maxGroups: 256, maxRememberedNames: 4096 };

const REMEDY =
  'Serve the RFC 6303 locally served zones on the resolver (unbound does by default; BIND: ' +
  '`empty-zones-enable yes`), including d.f.ip6.arpa for ULA; never `nodefault` or forward them ' +
  'without a local replacement zone.';

/** Never routed on the Internet, but not "local" either: a lab, so the address alone proves nothing. */
const NON_GLOBAL = ['2001:db8::/32', '192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '198.18.0.0/15', '0.0.0.0/8', '::/128', '64:ff9b:1::/48'];
const isGlobal = (a: string): boolean => !isLocalAddress(a) && !NON_GLOBAL.some((p) => inPrefix(a, p));

type Reason = 'unanswered' | 'servfail' | 'slow' | 'forwarded-upstream' | 'global-server';

interface Group {
  client: string;
  server: string;
  reasons: Set<Reason>;
  zones: Set<string>;
  names: string[];
  occurrences: number;
  maxDelay: number;
  evidence: Evidence[];
  firstLookup: DnsLookup;
}

interface Seen {
  client: string;
  servers: readonly string[];
  group: string | undefined;
}

export function createLocalZoneLeak(options: Partial<LocalZoneLeakOptions> = {}): Detector<DnsRecord> {
  const o = { ...DEFAULT_LOCAL_ZONE_LEAK_OPTIONS, ...options };
  const groups = new CappedGroups<Group>(o.maxGroups);
  const seen = new Map<string, Seen[]>();

  const add = (l: DnsLookup, server: string, reasons: Reason[], zone: string, delay: number): string | undefined => {
    const key = `${l.client}|${server}`;
    const g = groups.get(key, () => ({
      client: l.client, server, reasons: new Set(), zones: new Set(), names: [], occurrences: 0, maxDelay: 0, evidence: [], firstLookup: l,
    }));
    if (g === undefined) return undefined;
    g.occurrences++;
    for (const r of reasons) g.reasons.add(r);
    g.zones.add(zone);
    if (g.names.length < 10 && !g.names.includes(l.name)) g.names.push(l.name);
    g.maxDelay = Math.max(g.maxDelay, delay);
    if (g.evidence.length < 24) g.evidence.push(...allLookupEvidence(l, 8).slice(0, 24 - g.evidence.length));
    return key;
  };

  return {
    name: 'local-zone-leak',
    observe(r: DnsRecord): Finding[] {
      if (r.type !== 'lookup') return [];
      const zone = locallyServedZone(r.name);
      if (zone === undefined) return [];
      const reasons: Reason[] = [];
      let delay = 0;
      for (const q of r.questions) {
        if (q.outcome === 'unanswered') {
          reasons.push('unanswered');
          delay = Math.max(delay, q.lastSent - q.firstSent);
        } else if (q.answer !== undefined) {
          if (q.answer.rcode === 2) reasons.push('servfail');
          if (q.timeToAnswerMicros! > o.slowMicros) reasons.push('slow');
          delay = Math.max(delay, q.timeToAnswerMicros!);
        }
      }
      if (r.servers.some(isGlobal)) reasons.push('global-server');
      // A resolver forwarding what it was asked: this client was the server of an earlier lookup
      // for the same name (or the other way round, when the upstream leg closed first).
      const nameKey = r.name.toLowerCase();
      const earlier = seen.get(nameKey) ?? [];
      let forwardedFrom: Seen | undefined;
      for (const e of earlier) {
        if (e.servers.includes(r.client)) forwardedFrom = e;
        else if (r.servers.includes(e.client) && e.group !== undefined) groups.groups.get(e.group)?.reasons.add('forwarded-upstream');
      }
      if (forwardedFrom !== undefined) reasons.push('forwarded-upstream');
      const server = r.servers[0]!;
      const key = reasons.length > 0 ? add(r, server, reasons, zone, delay) : undefined;
      if (earlier.length < 4) {
        earlier.push({ client: r.client, servers: r.servers, group: key });
        if (!seen.has(nameKey)) {
          if (seen.size >= o.maxRememberedNames) seen.delete(seen.keys().next().value!);
          seen.set(nameKey, earlier);
        }
      }
      return [];
    },
    finish(): Finding[] {
      return [...groups.groups.values()].map((g) => finding(g, o));
    },
  };
}

const REASON_TEXT: Record<Reason, string> = {
  unanswered: 'went unanswered',
  servfail: 'came back SERVFAIL',
  slow: 'were slow',
  'forwarded-upstream': 'were forwarded upstream by the resolver',
  'global-server': 'went to a globally routed server',
};

function finding(g: Group, o: LocalZoneLeakOptions): Finding {
  const evidence = [...g.evidence].sort((a, b) => a.time - b.time || a.frame - b.frame);
  const first = evidence[0]!;
  const last = evidence[evidence.length - 1]!;
  const reasons = [...g.reasons].sort();
  const severity = g.reasons.has('unanswered') ? 'error' : g.reasons.has('servfail') || g.reasons.has('slow') || g.reasons.has('forwarded-upstream') ? 'warning' : 'info';
  const qtypes = [...new Set(g.firstLookup.questions.map((q) => qtypeName(q.qtype)))].join('/');
  const names = g.names.map(printableName);
  const more = g.occurrences > 1 ? ` (${g.occurrences} lookups)` : '';
  return {
    id: `dns.local_zone_leak:${first.frame}`,
    kind: 'dns.local_zone_leak',
    severity,
    summary: `${qtypes} queries under locally served ${[...g.zones].sort().join(', ')} from ${g.client} to ${g.server} ${reasons.map((r) => REASON_TEXT[r]).join(', ')}${more}: ${names.slice(0, 3).join(', ')}`,
    start: first.time,
    end: last.time,
    client: g.client,
    server: g.server,
    names: g.names,
    evidence,
    impact: {
      description: g.reasons.has('unanswered')
        ? `every reverse lookup under these zones waits for the client's timeout (at least ${durationText(g.maxDelay)} each): log lines, ssh logins and ACL checks stall`
        : `lookups that should be answered locally at once took up to ${durationText(g.maxDelay)} and leave the site`,
      delayMicros: g.maxDelay,
      occurrences: g.occurrences,
    },
    confidence: g.reasons.has('forwarded-upstream') || g.reasons.has('global-server')
      ? { level: 'high', reason: 'the query was seen leaving for another server instead of being answered locally' }
      : g.reasons.has('unanswered') || g.reasons.has('servfail')
        ? { level: 'high', reason: `a resolver serving ${[...g.zones][0]} locally answers at once; these ${reasons.includes('unanswered') ? 'got no answer' : 'got SERVFAIL'}` }
        : { level: 'medium', reason: `answers took longer than ${durationText(o.slowMicros)}, more than a resolver answering from a local zone needs` },
    remedy: REMEDY,
    displayFilter: displayFilter(evidence.map((e) => e.frame), [g.client, g.server]),
    details: {
      reasons,
      zones: [...g.zones].sort(),
      maxDelayMicros: g.maxDelay,
      occurrences: g.occurrences,
    },
  };
}
