// `dualscope correlate` on lab captures taken at several points of the same run (samples/README.md:
// same scenario, same lab run, overlapping capture times). What must come out is what the lab set up
// (samples/expected/*.json: which reply the firewall dropped, where the PTB filter sits, which
// router clamps the MSS), never dualscope's own earlier output.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { correlateFiles, type CorrelateInput } from '../../src/correlate/index.js';
import { CorrelatedReport } from '../../src/report/correlation/index.js';
import { Report } from '../../src/report/index.js';
import { skewPcapClock } from '../support/pcap-clock.js';

const SAMPLES = join(import.meta.dirname, '../../samples');
const GENERATED_AT = '2026-01-01T00:00:00.000Z';
const TMP = mkdtempSync(join(tmpdir(), 'h14-correlate-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const points = (...names: string[]): CorrelateInput[] => names.map((n) => ({ file: join(SAMPLES, n), label: n.replace(/^.*-(client|resolver|server|router(-r\d)?)\..*$/, '$1') }));
const expected = (name: string): { mustFind: { kind: string; names?: string[]; details?: Record<string, unknown> }[] } =>
  JSON.parse(readFileSync(join(SAMPLES, 'expected', `${name}.json`), 'utf8'));

async function correlate(...names: string[]): Promise<CorrelatedReport> {
  const r = await correlateFiles(points(...names), { generatedAt: GENERATED_AT });
  CorrelatedReport.parse(r);
  return r;
}

/** Every point's clock: the lab's namespaces share one host clock, so the true offset is 0. */
function expectSameClock(r: CorrelatedReport): void {
  for (const p of r.points.slice(1)) {
    expect(p.clock.basis, p.label).toBe('both-ways');
    expect(Math.abs(p.clock.offsetMicros!), p.label).toBeLessThanOrEqual(p.clock.uncertaintyMicros! + 1);
    expect(p.clock.uncertaintyMicros!, p.label).toBeLessThan(100);
  }
}

describe('correlate: lab captures from several points of one run', () => {
  it('same-port drop (A lost): proved, lost between resolver and client, the A reply', async () => {
    const r = await correlate('same-port-drop-a-client.pcap', 'same-port-drop-a-resolver.pcap');
    expectSameClock(r);
    const want = expected('same-port-drop-a-client').mustFind.filter((m) => m.kind === 'dns.same_port_reply_drop');
    const got = r.findings.filter((f) => f.kind === 'dns.same_port_reply_drop');
    expect(got.length).toBe(want.length);
    for (const f of got) {
      expect(f.status).toBe('proved');
      expect(f.location).toBe('between resolver and client');
      expect(f.losses.length).toBe(1);
      expect(f.losses[0]!.packet).toMatch(/^DNS reply A /); // details.lostReply: 'A'
      expect(f.losses[0]!.seenAt.map((s) => s.point)).toEqual(['resolver']);
    }
    expect(want.every((w) => w.details?.lostReply === 'A')).toBe(true);
    expect(r.unexplainedLosses).toEqual([]);
    // The firewall between them is a router: the hop limit drops by one each way.
    const c2r = r.stretches.find((s) => s.from === 'client' && s.to === 'resolver')!;
    expect(c2r.rewrites.map((w) => w.kind)).toEqual(['hop-limit']);
    expect(c2r.lost).toBe(0);
    expect(r.paths.find((p) => p.flow === 'udp 192.0.2.10 → 198.51.100.53')?.order).toEqual(['client', 'resolver']);
  });

  it('same-port drop seen at client, resolver and authoritative server at once: lost between resolver and client, nothing upstream', async () => {
    const r = await correlate('same-port-drop-three-points-client.pcap', 'same-port-drop-three-points-resolver.pcap', 'same-port-drop-three-points-server.pcapng');
    expectSameClock(r);
    const want = expected('same-port-drop-three-points-client').mustFind.filter((m) => m.kind === 'dns.same_port_reply_drop');
    expect(want.every((w) => w.details?.lostReply === 'A')).toBe(true);
    const got = r.findings.filter((f) => f.kind === 'dns.same_port_reply_drop');
    expect(got.length).toBe(want.length);
    for (const f of got) {
      expect(f.status).toBe('proved');
      expect(f.location).toBe('between resolver and client');
      expect(f.losses.map((l) => l.packet)).toEqual([expect.stringMatching(/^DNS reply A (www|api)\.example\.test /)]);
      expect(f.losses[0]!.seenAt.map((s) => s.point)).toEqual(['resolver']);
    }
    expect(r.unexplainedLosses).toEqual([]);
    // The authoritative server saw the resolver's upstream A queries and answered them: matched at
    // both ends of that stretch, nothing lost on it, the queries' path resolver → server.
    const server = r.points.find((p) => p.label === 'server')!;
    expect(server.matchedPackets).toBeGreaterThan(0);
    expect(server.matchedPackets).toBe(server.ipPackets);
    const upstream = r.stretches.filter((s) => [s.from, s.to].sort().join(' ') === 'resolver server');
    expect(upstream.length).toBeGreaterThan(0);
    for (const s of upstream) expect(s.lost, `${s.from} → ${s.to}`).toBe(0);
    expect(r.paths.find((p) => p.flow === 'udp 2001:db8:5::1 → 2001:db8:5::53')?.order).toEqual(['resolver', 'server']);
    expect(r.paths.find((p) => p.flow === 'udp 192.0.2.10 → 198.51.100.53')?.order).toEqual(['client', 'resolver']);
  });

  it('same-port drop (AAAA lost): the AAAA reply left the server and never reached the client', async () => {
    const r = await correlate('same-port-drop-aaaa-client.pcap', 'same-port-drop-aaaa-server.pcap');
    expectSameClock(r);
    const got = r.findings.filter((f) => f.kind === 'dns.same_port_reply_drop');
    expect(got.length).toBe(2);
    for (const f of got) {
      expect(f.status).toBe('proved');
      expect(f.losses.map((l) => l.packet.replace(/ id .*/, ''))).toEqual([expect.stringMatching(/^DNS reply AAAA (www|api)\.example\.test$/)]);
      expect(f.losses[0]!.lostBetween).toEqual({ from: 'server', to: 'client' });
    }
  });

  it('PMTUD blackhole (client and server): the large segments vanish between server and client', async () => {
    const r = await correlate('pmtud-v6-blackhole-client.pcapng', 'pmtud-v6-blackhole-server.pcap');
    expectSameClock(r);
    const f = r.findings.find((x) => x.kind === 'path.pmtud_blackhole')!;
    expect(f.views.map((v) => v.point)).toEqual(['client', 'server']); // one incident, two views
    expect(f.status).toBe('proved');
    expect(f.location).toBe('between server and client');
    expect(f.losses.length).toBeGreaterThanOrEqual(6); // the first lost segment and its retransmissions
    const lostSizes = f.losses.map((l) => Number(/len (\d+)/.exec(l.packet)?.[1]));
    expect(Math.min(...lostSizes)).toBeGreaterThan(1280 - 40 - 20); // larger than the 1280 link carries
    expect(r.stretches.find((s) => s.from === 'client')!.rewrites[0]!.example).toMatch(/hop limit 64 → 62 \(2 routers\)/);
  });

  it('PMTUD blackhole (r1 and r2): lost between r2 and r1; r2 -i any doubles are one packet', async () => {
    const r = await correlate('pmtud-v6-blackhole-router-r1.pcap', 'pmtud-v6-blackhole-router-r2.pcap');
    expectSameClock(r);
    expect(r.points[1]!.doubles).toBeGreaterThan(0);
    const f = r.findings.find((x) => x.kind === 'path.pmtud_blackhole')!;
    expect(f.status).toBe('proved');
    // lab: "the 1500-byte segments have no second copy: r2 never forwards them"
    expect(f.location).toBe('inside router-r2 (it came in and never left), between router-r2 and router-r1');
    expect(f.losses.every((l) => l.droppedInside === 'router-r2')).toBe(true);
    // lab: the first lost segment (r2 #15) is sent 6 times, none reaches r1
    expect(f.losses.some((l) => l.seenAt.some((s) => s.point === 'router-r2' && s.frame === 15))).toBe(true);
  });

  it('same-port drop seen by the firewall itself (-i any): the dropped reply came in and never left it', async () => {
    const r = await correlate('same-port-drop-timeout1-client.pcap', 'same-port-drop-timeout1-router.pcap');
    expectSameClock(r);
    const drops = r.findings.filter((f) => f.kind === 'dns.same_port_reply_drop');
    expect(drops.length).toBe(2); // www and api (expected JSON: 2, AAAA lost)
    for (const f of drops) {
      expect(f.status).toBe('proved');
      expect(f.losses.map((l) => [l.packet.replace(/ (www|api)\.example\.test.*/, ''), l.droppedInside])).toEqual([['DNS reply AAAA', 'router']]);
    }
    // the replies the firewall forwarded are not called dropped
    expect(r.unexplainedLosses).toEqual([]);
  });

  it('MSS clamping: the SYN-ACK left the server with MSS 1440 and reached the client with 1220', async () => {
    const r = await correlate('pmtud-mss-clamp-client.pcap', 'pmtud-mss-clamp-server.pcapng');
    expectSameClock(r);
    const s2c = r.stretches.find((s) => s.from === 'server' && s.to === 'client')!;
    const mss = s2c.rewrites.filter((w) => w.kind === 'mss');
    expect(mss.length).toBe(1);
    expect(mss[0]!.example).toMatch(/^MSS 1440 → 1220 in TCP SA /);
    expect(s2c.lost).toBe(0);
    expect(r.findings.filter((f) => f.status === 'proved')).toEqual([]);
    expect(r.overlap.matchedPackets).toBe(205); // every packet the client saw, the server saw too
  });

  it('RFC 6303 leak at client and resolver: each incident once, with both views', async () => {
    const r = await correlate('rfc6303-leak-client.pcap', 'rfc6303-leak-resolver.pcap');
    const leaks = r.findings.filter((f) => f.kind === 'dns.local_zone_leak');
    expect(leaks.length).toBe(2);
    for (const f of leaks) {
      expect(f.views.map((v) => v.point)).toEqual(['client', 'resolver']);
      expect(f.status).toBe('confirmed');
    }
    expect(new Set(leaks.map((f) => f.views[0]!.finding.names.join())).size).toBe(2);
    expect(r.unexplainedLosses).toEqual([]);
  });

  it('unanswered AAAA at client and resolver: no loss invented, the upstream leg stays single-point', async () => {
    const r = await correlate('aaaa-unanswered-recursive-client.pcap', 'aaaa-unanswered-recursive-resolver.pcapng');
    expectSameClock(r);
    const aaaa = r.findings.filter((f) => f.kind === 'dns.aaaa_unanswered');
    expect(aaaa.map((f) => f.status).sort()).toEqual(['confirmed', 'single-point']);
    expect(r.findings.flatMap((f) => f.losses)).toEqual([]);
    expect(r.unexplainedLosses).toEqual([]);
  });

  it('captures of unrelated traffic: says they do not overlap and claims no loss', async () => {
    const r = await correlate('same-port-drop-a-client.pcap', 'pmtud-v6-blackhole-server.pcap');
    expect(r.overlap.matchedPackets).toBe(0);
    expect(r.overlap.note).toMatch(/do not overlap/);
    expect(r.points[1]!.clock.basis).toBe('none');
    expect(r.findings.every((f) => f.status === 'single-point' && f.losses.length === 0)).toBe(true);
    expect(r.unexplainedLosses).toEqual([]);
    // everything each capture finds alone still comes out
    expect(r.findings.map((f) => f.kind).sort()).toEqual(['dns.resolver_profile', 'dns.same_port_reply_drop', 'dns.same_port_reply_drop', 'path.pmtud_blackhole']);
  });

  it('withdraws an "unanswered AAAA" when another point saw the answer leave', async () => {
    // The client capture cut before glibc asks again (editcap -B), and a 1 s DNS timeout: alone, the
    // client sees A answered and AAAA never; the server saw its AAAA answer leave.
    const cut = join(TMP, 'client-cut.pcap');
    execFileSync('editcap', ['-B', '2026-11-26T16:16:09.040180Z', join(SAMPLES, 'same-port-drop-aaaa-client.pcap'), cut]);
    const r = await correlateFiles([{ file: cut, label: 'client' }, points('same-port-drop-aaaa-server.pcap')[0]!], {
      generatedAt: GENERATED_AT,
      analyze: { dns: { unansweredAfterMicros: 1_000_000 } },
    });
    const f = r.findings.find((x) => x.kind === 'dns.aaaa_unanswered')!;
    expect(f.views.map((v) => v.point)).toEqual(['client']);
    expect(f.status).toBe('withdrawn');
    expect(f.statusReason).toMatch(/the AAAA answer was sent: server saw it \(frame 4\) and client did not/);
    expect(f.location).toBe('between server and client');
    expect(r.counts.warning).toBe(0); // withdrawn findings are not counted
  });

  it('three points, one unrelated: aligns the two that share packets, leaves the third out of every verdict', async () => {
    const r = await correlate('same-port-drop-a-client.pcap', 'pmtud-mss-clamp-server.pcapng', 'same-port-drop-a-resolver.pcap');
    expect(r.points.map((p) => p.clock.basis)).toEqual(['reference', 'none', 'both-ways']);
    expect(r.overlap.note).toMatch(/pmtud-mss-clamp-server|server shares no packet/);
    const drops = r.findings.filter((f) => f.kind === 'dns.same_port_reply_drop');
    expect(drops.map((f) => f.location)).toEqual(['between resolver and client', 'between resolver and client']);
    for (const f of r.findings) for (const e of f.evidence) for (const n of e.notSeenAt) if (n.point === 'server') expect(n.why).toBe('not-on-path');
  });

  it('keeps each point’s findings valid version-1 findings', async () => {
    const r = await correlate('same-port-drop-a-client.pcap', 'same-port-drop-a-resolver.pcap');
    for (const f of r.findings) for (const v of f.views) expect(() => Report.shape.findings.element.shape.occurrences.element.parse(v.finding)).not.toThrow();
  });
});

describe('correlate: clocks that are wrong', () => {
  const verdicts = (r: CorrelatedReport): string[] => r.findings.map((f) => `${f.kind} ${f.status} ${f.location ?? '-'} ${f.losses.length}`).sort();

  it('recovers an editcap -t shift within 1 ms, verdicts unchanged', async () => {
    const shifted = join(TMP, 'resolver-shifted.pcap');
    execFileSync('editcap', ['-t', '3.25', join(SAMPLES, 'same-port-drop-a-resolver.pcap'), shifted]);
    const base = await correlate('same-port-drop-a-client.pcap', 'same-port-drop-a-resolver.pcap');
    const r = await correlateFiles([points('same-port-drop-a-client.pcap')[0]!, { file: shifted, label: 'resolver' }], { generatedAt: GENERATED_AT });
    expect(Math.abs(r.points[1]!.clock.offsetMicros! - 3_250_000)).toBeLessThan(1000);
    expect(verdicts(r)).toEqual(verdicts(base));
  });

  it('recovers a shift plus 150 ppm drift within 1 ms, and the drift, verdicts unchanged', async () => {
    for (const [client, far] of [
      ['same-port-drop-a-client.pcap', 'same-port-drop-a-resolver.pcap'],
      ['pmtud-v6-blackhole-client.pcapng', 'pmtud-v6-blackhole-server.pcap'],
    ] as const) {
      const skewed = join(TMP, `${far}.skewed.pcap`);
      skewPcapClock(join(SAMPLES, far), skewed, -2_700_000, 150);
      const base = await correlate(client, far);
      const r = await correlateFiles([points(client)[0]!, { file: skewed, label: points(far)[0]!.label }], { generatedAt: GENERATED_AT });
      const c = r.points[1]!.clock;
      expect(Math.abs(c.offsetMicros! - -2_700_000), far).toBeLessThan(1000);
      expect(c.driftPpm!, far).toBeGreaterThan(100);
      expect(c.driftPpm!, far).toBeLessThan(200);
      expect(verdicts(r), far).toEqual(verdicts(base));
    }
  });
});
