import { FindingSet } from '../../../src/detect/index.js';
import { describe, expect, it } from 'vitest';
import { DnsReconstructor, type DnsRecord } from '../../../src/reconstruct/dns/index.js';
import { locallyServedZone, LOCALLY_SERVED_ZONES, printableName } from '../../../src/detect/dns/index.js';
import { createDnsDetectors } from '../../../src/detect/index.js';
import { Finding } from '../../../src/detect/finding.js';
import { A, AAAA, PTR, conversation } from '../../support/dns-packets.js';
import type { Packet } from '../../../src/decode/index.js';

function findings(packets: Packet[]): Finding[] {
  const detectors = createDnsDetectors();
  const merged = new FindingSet(); // the analysis' merge rule: latest version per id, restated at finish
  const out: Finding[] = [];
  const recon = new DnsReconstructor({}, (r: DnsRecord) => { for (const d of detectors) merged.add(d, d.observe(r)); });
  for (const p of packets) recon.packet(p);
  recon.finish();
  for (const d of detectors) merged.finish(d);
  out.push(...merged.values());
  for (const f of out) Finding.parse(f);
  return out;
}
const kinds = (fs: Finding[]): string[] => fs.map((f) => f.kind).filter((k) => k !== 'dns.resolver_profile').sort();

const CLIENT = '192.0.2.10';
const SERVER = '198.51.100.53';
const ADDR_A = { answers: ['192.0.2.80'], aa: true };
const ADDR_AAAA = { answers: ['2001:db8::80'], aa: true };

/** glibc-style round: A and AAAA from one port, `lost` reply missing, both re-sent after `timeout`. */
function samePort(c: ReturnType<typeof conversation>, t0: number, port: number, name: string, lost: number, timeout: number, answerLost = true): Packet[] {
  const other = lost === A ? AAAA : A;
  const data = (q: number) => (q === A ? ADDR_A : ADDR_AAAA);
  const ids = { [A]: port + 1, [AAAA]: port + 2 } as Record<number, number>;
  return [
    c.query(t0, port, ids[A]!, name, A),
    c.query(t0 + 0.1, port, ids[AAAA]!, name, AAAA),
    c.reply(t0 + 0.4, port, ids[other]!, name, other, data(other)),
    c.query(t0 + timeout, port, ids[A]!, name, A),
    ...(answerLost ? [c.reply(t0 + timeout + 0.3, port, ids[A]!, name, A, ADDR_A)] : []),
    c.query(t0 + timeout + 0.5, port, ids[AAAA]!, name, AAAA),
    ...(answerLost ? [c.reply(t0 + timeout + 0.7, port, ids[AAAA]!, name, AAAA, ADDR_AAAA)] : []),
  ];
}

describe('dns.same_port_reply_drop', () => {
  it.each([[AAAA, 1000], [AAAA, 2000], [A, 5000]])('finds the lost %i reply with a %i ms timeout', (lost, timeout) => {
    const c = conversation(CLIENT, SERVER);
    const fs = findings([...samePort(c, 0, 40000, 'www.example.test', lost, timeout), ...samePort(c, 20_000, 41000, 'api.example.test', lost, timeout)]);
    const drops = fs.filter((f) => f.kind === 'dns.same_port_reply_drop');
    expect(drops).toHaveLength(2);
    const f = drops[0]!;
    expect(f.details.lostReply).toBe(lost === A ? 'A' : 'AAAA');
    expect(f.details.inferredTimeoutMicros).toBeGreaterThanOrEqual(timeout * 1000 - 200);
    expect(f.impact.occurrences).toBe(2);
    expect(f.impact.delayMicros).toBeGreaterThan(timeout * 1000 - 1000);
    expect(f.confidence.level).toBe('high');
    expect(f.displayFilter).toMatch(/^frame\.number in \{[\d ]+\} && ip\.addr == 192\.0\.2\.10 && ip\.addr == 198\.51\.100\.53$/);
    expect(kinds(fs)).not.toContain('dns.aaaa_unanswered');
    expect(kinds(fs)).not.toContain('dns.slow_lookup');
  });

  it('stays silent when the capture ends before the client asks again', () => {
    const c = conversation(CLIENT, SERVER);
    const fs = findings(samePort(c, 0, 40000, 'www.example.test', AAAA, 2000).slice(0, 3));
    expect(kinds(fs)).toEqual([]);
  });

  it('stays silent when AAAA is never answered on any port (that is dns.aaaa_unanswered)', () => {
    const c = conversation(CLIENT, SERVER);
    const p = samePort(c, 0, 40000, 'gslb.example.test', AAAA, 2000, false);
    // A re-sent on the same socket is answered; AAAA never is, then a new socket, still nothing.
    const fs = findings([
      ...p.slice(0, 4), c.reply(2000.3, 40000, 40001, 'gslb.example.test', A, ADDR_A), p[4]!,
      c.query(4500, 40500, 9, 'gslb.example.test', AAAA), c.tick(16_000),
    ]);
    expect(kinds(fs)).toEqual(['dns.aaaa_unanswered']);
  });

  it('stays silent when the first reply was only late (slow server), not lost', () => {
    const c = conversation(CLIENT, SERVER);
    const fs = findings([
      c.query(0, 40000, 1, 'slow.example.test', A),
      c.query(0.1, 40000, 2, 'slow.example.test', AAAA),
      c.reply(0.4, 40000, 1, 'slow.example.test', A, ADDR_A),
      c.query(2000, 40000, 2, 'slow.example.test', AAAA),
      c.reply(2900, 40000, 2, 'slow.example.test', AAAA, ADDR_AAAA), // 900 ms after the re-send
    ]);
    expect(kinds(fs)).not.toContain('dns.same_port_reply_drop');
    expect(kinds(fs)).toContain('dns.slow_lookup');
  });
});

describe('dns.aaaa_unanswered', () => {
  it('reports RFC 4074 NXDOMAIN for AAAA while A exists, not NODATA', () => {
    const c = conversation(CLIENT, SERVER);
    const bad = findings([c.query(0, 1, 1, 'lb.example.test', A), c.reply(1, 1, 1, 'lb.example.test', A, ADDR_A), c.query(2, 1, 2, 'lb.example.test', AAAA), c.reply(3, 1, 2, 'lb.example.test', AAAA, { rcode: 3, aa: true })]);
    expect(bad.find((f) => f.kind === 'dns.aaaa_unanswered')?.details.response).toBe('NXDOMAIN');
    const good = findings([c.query(0, 1, 1, 'ok.example.test', A), c.reply(1, 1, 1, 'ok.example.test', A, ADDR_A), c.query(2, 1, 2, 'ok.example.test', AAAA), c.reply(3, 1, 2, 'ok.example.test', AAAA, { aa: true })]);
    expect(kinds(good)).toEqual([]);
  });
});

describe('dns.local_zone_leak', () => {
  it('knows the RFC 6303 zones', () => {
    expect(locallyServedZone('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa')).toBe('d.f.ip6.arpa');
    expect(locallyServedZone('5.1.168.192.IN-ADDR.ARPA.')).toBe('168.192.in-addr.arpa');
    expect(locallyServedZone('1.0.31.172.in-addr.arpa')).toBe('31.172.in-addr.arpa');
    expect(locallyServedZone('1.0.32.172.in-addr.arpa')).toBeUndefined();
    expect(locallyServedZone('1.0.0.2.ip6.arpa')).toBeUndefined();
    expect(locallyServedZone('x.8.e.f.ip6.arpa')).toBe('8.e.f.ip6.arpa');
    expect(locallyServedZone('c.e.f.ip6.arpa')).toBeUndefined();
    expect(LOCALLY_SERVED_ZONES).toContain('8.b.d.0.1.0.0.2.ip6.arpa');
    expect(LOCALLY_SERVED_ZONES).toContain('255.255.255.255.in-addr.arpa');
  });

  it('reports an unanswered reverse lookup under 10.in-addr.arpa and not a fast local NXDOMAIN', () => {
    const c = conversation('10.0.0.5', '10.0.0.53');
    const leak = findings([c.query(0, 1, 1, '4.3.2.10.in-addr.arpa', PTR), c.query(2000, 1, 1, '4.3.2.10.in-addr.arpa', PTR), c.tick(13_000)]);
    const f = leak.find((x) => x.kind === 'dns.local_zone_leak');
    expect(f?.details.outcome).toBe('timeout');
    expect(f?.details.zone).toBe('10.in-addr.arpa.');
    expect(f?.severity).toBe('error');
    const ok = findings([c.query(0, 1, 1, '4.3.2.10.in-addr.arpa', PTR), c.reply(0.3, 1, 1, '4.3.2.10.in-addr.arpa', PTR, { rcode: 3, aa: true })]);
    expect(kinds(ok)).toEqual([]);
  });
});

describe('hostile names', () => {
  it('never reach the display filter and are escaped in summaries', () => {
    const c = conversation(CLIENT, SERVER);
    const evil = '<script>alert(1)</script>\u0007.example';
    const fs = findings([c.query(0, 1, 1, evil, A), c.reply(1500, 1, 1, evil, A, ADDR_A)]);
    const f = fs.find((x) => x.kind === 'dns.slow_lookup')!;
    expect(f.displayFilter).not.toContain('script');
    expect(f.summary).not.toContain('\u0007');
    expect(f.summary).toContain('\\007');
    expect(f.names).toEqual([evil]); // kept verbatim for the renderer, which escapes
  });

  it('keep the decoder\'s presentation-form escapes as they are in summaries', () => {
    expect(printableName('window\\.__pwned.example')).toBe('window\\.__pwned.example');
    expect(printableName('a\\\\b\\255c.example')).toBe('a\\\\b\\255c.example');
    expect(printableName('bell\u0007\u00e9.example')).toBe('bell\\007\\233.example');
    const c = conversation(CLIENT, SERVER);
    const name = 'window\\.__pwned.example';
    const f = findings([c.query(0, 1, 1, name, A), c.reply(1500, 1, 1, name, A, ADDR_A)]).find((x) => x.kind === 'dns.slow_lookup')!;
    expect(f.summary).toContain('window\\.__pwned.example');
    expect(f.summary).not.toContain('\\092');
  });
});
