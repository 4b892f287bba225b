// The grouping stage: occurrences of one cause become one incident with bounded tallies, whatever
// the order they arrive in; ids come from kind + responsible party, never from frame numbers.
import { describe, expect, it } from 'vitest';
import { causeOf, Incident, IncidentGrouper, incidentId, type Finding } from '../../src/detect/index.js';

const T0 = 1_795_000_000_000_000;

/** One same-port reply drop as its detector reports it: client, server, name, delay, frames. */
function drop(i: number, client: string, server: string, delayMicros: number, name = `host${i % 7}.example.test`): Finding {
  const frame = 10 * i + 1;
  return {
    id: `dns.same_port_reply_drop:${frame}`,
    kind: 'dns.same_port_reply_drop',
    severity: 'warning',
    summary: `AAAA reply lost for ${name}`,
    start: T0 + i * 1_000_000,
    end: T0 + i * 1_000_000 + delayMicros,
    client,
    server,
    names: [name],
    evidence: [
      { frame, time: T0 + i * 1_000_000, role: 'A query', mark: 'dns-query' },
      { frame: frame + 1, time: T0 + i * 1_000_000 + 100, role: 'AAAA query (no reply)', mark: 'dns-query' },
    ],
    impact: { description: 'waited for the timeout', delayMicros, occurrences: 1 },
    confidence: { level: 'medium', reason: 'one lookup' },
    remedy: 'options single-request-reopen',
    displayFilter: `frame.number in {${frame} ${frame + 1}}`,
    details: { lostReply: 'AAAA' },
  };
}

/** A deterministic shuffle (no Math.random: a failing order must be reproducible). */
function shuffled<T>(xs: readonly T[], seed = 7): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('IncidentGrouper', () => {
  // 3000 drops from 300 clients behind one firewall to one resolver; 5 to another resolver.
  const occurrences: Finding[] = [];
  for (let i = 0; i < 3000; i++) occurrences.push(drop(i, `2001:db8:1::${(i % 300).toString(16)}`, '2001:db8:2::53', 1_000_000 + (i % 5) * 1000));
  for (let i = 3000; i < 3005; i++) occurrences.push(drop(i, '192.0.2.10', '198.51.100.53', 2_000_000));

  const group = (fs: readonly Finding[]): Incident[] => {
    const g = new IncidentGrouper();
    for (const f of fs) g.add(f);
    return g.incidents();
  };

  it('makes one incident per cause, with every occurrence behind it', () => {
    const incidents = group(occurrences);
    expect(incidents.map((i) => [i.id, i.count])).toEqual([
      ['dns.same_port_reply_drop@2001:db8:2::53', 3000],
      ['dns.same_port_reply_drop@198.51.100.53', 5],
    ]);
    const big = Incident.parse(incidents[0]);
    expect(big.occurrences).toHaveLength(3000);
    expect(big.occurrences.map((o) => o.id).sort()).toEqual(occurrences.slice(0, 3000).map((o) => o.id).sort());
    expect(big.clients.count).toBe(300);
    expect(big.clients.top).toHaveLength(10);
    expect(big.clients.top[0]!.occurrences).toBe(10);
    expect(big.client).toBeUndefined(); // many clients: no single one to name
    expect(big.server).toBe('2001:db8:2::53');
    expect(big.nameTally.count).toBe(7);
    expect(big.start).toBe(occurrences[0]!.start);
    expect(big.end).toBe(occurrences[2999]!.end);
    expect(big.delay).toEqual({ measured: 3000, totalMicros: 3000 * 1_000_000 + 600 * (0 + 1000 + 2000 + 3000 + 4000), medianMicros: 1_002_000, maxMicros: 1_004_000 });
    expect(big.representatives.first).toBe(occurrences[0]!.id);
    expect(big.representatives.last).toBe(occurrences[2999]!.id);
    expect(big.representatives.worst).toBe(occurrences[4]!.id); // the first with the longest delay
    // many clients hit the same way: more confident than any one lookup
    expect(big.confidence.level).toBe('high');
    expect(big.confidence.reason).toContain('3000 occurrences from 300 clients agree');
    // the evidence shown is the first, worst and last occurrence's
    expect(big.evidence.map((e) => e.frame)).toEqual([1, 2, 41, 42, 29991, 29992]);
  });

  it('gives the same incidents whatever the order the occurrences arrive in', () => {
    expect(group(shuffled(occurrences))).toEqual(group(occurrences));
  });

  it('keeps one occurrence as it was (summary, evidence, filter, confidence)', () => {
    const one = drop(1, '192.0.2.10', '198.51.100.53', 2_000_000);
    const [i] = group([one]);
    expect(i!.summary).toBe(one.summary);
    expect(i!.evidence).toEqual(one.evidence);
    expect(i!.displayFilter).toBe(one.displayFilter);
    expect(i!.confidence).toEqual(one.confidence);
    expect(i!.client).toBe('192.0.2.10');
    expect(i!.occurrences).toEqual([one]);
  });

  it('bounds its tallies: beyond maxTracked distinct values only the count grows', () => {
    const g = new IncidentGrouper({ maxTracked: 50, topN: 3 });
    for (let i = 0; i < 400; i++) g.add(drop(i, `2001:db8:1::${i.toString(16)}`, '2001:db8:2::53', 1000));
    const [i] = g.incidents();
    expect(i!.clients.count).toBe(400);
    expect(i!.clients.top).toHaveLength(3);
  });

  it('reports each further occurrence as an update of its incident', () => {
    const g = new IncidentGrouper();
    const u1 = g.add(drop(1, '192.0.2.10', '198.51.100.53', 1000));
    const u2 = g.add(drop(2, '192.0.2.11', '198.51.100.53', 1000));
    expect([u1.fresh, u1.count, u1.clients]).toEqual([true, 1, 1]);
    expect([u2.fresh, u2.count, u2.clients, u2.id]).toEqual([false, 2, 2, u1.id]);
    expect(u2.lastSeen).toBeGreaterThan(u1.lastSeen);
  });
});

describe('incident ids', () => {
  it('come from the kind and the responsible party, not from frames', () => {
    const a = drop(1, '192.0.2.10', '198.51.100.53', 1000);
    const b = drop(99, '192.0.2.77', '198.51.100.53', 5000);
    expect(incidentId(a.kind, causeOf(a).key)).toBe(incidentId(b.kind, causeOf(b).key));
  });

  it('never hold spaces, markup or the separator, and distinct keys stay distinct', () => {
    const id = incidentId('dns.local_zone_leak', ['fd00::53', 'a b/<script>%']);
    expect(id).toBe('dns.local_zone_leak@fd00::53/a%20b%2F%3Cscript%3E%25');
    expect(incidentId('dns.local_zone_leak', ['a/b'])).not.toBe(incidentId('dns.local_zone_leak', ['a', 'b']));
  });

  it('group RFC 6303 leaks by resolver and zone, PMTUD blackholes by sender', () => {
    const leak = { ...drop(1, 'fd00:1::10', 'fd00:1::53', 0), kind: 'dns.local_zone_leak', details: { zone: 'd.f.ip6.arpa.' } } as Finding;
    expect(incidentId(leak.kind, causeOf(leak).key)).toBe('dns.local_zone_leak@fd00:1::53/d.f.ip6.arpa.');
    const hole = { ...drop(1, '2001:db8:10::10', '2001:db8:12::80', 0), kind: 'path.pmtud_blackhole', details: { sender: '2001:db8:12::80', ipVersion: 6 } } as Finding;
    expect(incidentId(hole.kind, causeOf(hole).key)).toBe('path.pmtud_blackhole@2001:db8:12::80/v6');
  });
});
