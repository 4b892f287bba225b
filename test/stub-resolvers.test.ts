// Stub resolvers and clients other than glibc and curl, on real lab captures
// (samples/lab/scenarios/stub-*.sh; samples/README.md "Other stub resolvers"). samples.test.ts
// already checks each capture against the lab's expected findings; this file pins what differs
// from glibc in each stub and must still come out right: musl re-sends only the lost question on
// the same socket after timeout/attempts, c-ares re-sends it from a new socket, Go asks from a
// socket per question, musl asks every nameserver at once, Node's Happy Eyeballs waits 250 ms.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../src/analyze.js';
import { renderJson, Report } from '../src/report/index.js';

const SAMPLES = join(import.meta.dirname, '../samples');
const analyse = async (capture: string): Promise<Report> =>
  Report.parse(JSON.parse(renderJson(await analyzeFile(join(SAMPLES, capture), { generatedAt: '2026-01-01T00:00:00.000Z' }))));
const kinds = (r: Report): string[] => [...new Set(r.findings.map((f) => f.kind))].sort();
const occurrences = (r: Report, kind: string) => r.findings.filter((f) => f.kind === kind).flatMap((f) => f.occurrences);

interface ExpectedSamePort {
  mustFind: { kind: string; clientPort: number; names: string[] }[];
}
const expectedPorts = (capture: string): Map<string, number> => {
  const exp = JSON.parse(readFileSync(join(SAMPLES, 'expected', capture.replace(/\.pcap(ng)?$/, '.json')), 'utf8')) as ExpectedSamePort;
  return new Map(exp.mustFind.map((m) => [m.names[0]!, m.clientPort]));
};

/** The client port the lost question was asked again from (the "asked again" evidence). */
function resendPort(o: Report['findings'][number]['occurrences'][number]): number {
  const resend = o.evidence.find((e) => e.frame === o.details['resendFrame']);
  expect(resend, 'the re-send is in the evidence').toBeDefined();
  return Number(resend!.src!.slice(resend!.src!.lastIndexOf(':') + 1));
}

describe('musl 1.2 stub resolver behind the second-reply-dropping firewall', () => {
  it('client side: one finding per lookup; the lost AAAA re-sent on the same socket after timeout/attempts (2 s / 2)', async () => {
    const capture = 'stub-musl-same-port-drop-client.pcap';
    const report = await analyse(capture);
    expect(kinds(report)).toEqual(['dns.resolver_profile', 'dns.same_port_reply_drop']);
    const found = occurrences(report, 'dns.same_port_reply_drop');
    const ports = expectedPorts(capture);
    expect(found.map((o) => o.names[0]).sort()).toEqual([...ports.keys()].sort());
    for (const o of found) {
      expect(o.details).toMatchObject({ seenFrom: 'client-side', lostReply: 'AAAA', arrivedReply: 'A', lookupFailed: false, clientPort: ports.get(o.names[0]!) });
      expect(resendPort(o)).toBe(o.details['clientPort']);
      // musl retries after timeout/attempts, not after the full timeout as glibc does
      expect(o.details['inferredTimeoutMicros']).toBeGreaterThan(900_000);
      expect(o.details['inferredTimeoutMicros']).toBeLessThan(1_100_000);
      // the remedy does not send a musl user to a glibc option
      expect(o.remedy).toMatch(/^Fix the firewall/);
      expect(o.remedy).toContain('musl');
    }
  });

  it('server side: both replies left, and the client asked again for the AAAA only', async () => {
    const report = await analyse('stub-musl-same-port-drop-server.pcap');
    const found = occurrences(report, 'dns.same_port_reply_drop');
    expect(found).toHaveLength(2);
    for (const o of found) expect(o.details).toMatchObject({ seenFrom: 'server-side', lostReply: 'AAAA', reasked: ['AAAA'] });
  });

  it('healthy, two nameservers asked at once: nothing but the profile, nothing counted as retransmitted', async () => {
    const report = await analyse('stub-musl-healthy-client.pcap');
    expect(kinds(report)).toEqual(['dns.resolver_profile']);
    expect(report.statistics['dns']?.['retransmissions']).toBe(0);
    for (const o of occurrences(report, 'dns.resolver_profile')) expect(o.details['maxTransmissionsPerQuestion']).toBe(1);
  });

  it('a dead first nameserver costs musl nothing: no slow lookup, and the copy to the other server is no retransmission', async () => {
    const report = await analyse('stub-musl-dead-nameserver-client.pcap');
    expect(kinds(report)).toEqual(['dns.resolver_profile']);
    expect(report.statistics['dns']?.['retransmissions']).toBe(0);
    const [profile] = occurrences(report, 'dns.resolver_profile');
    const roles = profile!.evidence.map((e) => e.role);
    expect(roles).toContain('A query to another server');
    expect(roles).toContain('AAAA query to another server');
    expect(roles.filter((r) => r.includes('retransmission'))).toEqual([]);
    expect(profile!.details['retriesObserved']).toBe(0);
  });
});

describe('c-ares (Node 20 dns.promises.Resolver) behind the same firewall', () => {
  it('one finding per name; the lost AAAA re-asked under the same id from a new socket after the 2 s timeout', async () => {
    const capture = 'stub-cares-same-port-drop-client.pcap';
    const report = await analyse(capture);
    expect(kinds(report)).toEqual(['dns.resolver_profile', 'dns.same_port_reply_drop']);
    const found = occurrences(report, 'dns.same_port_reply_drop');
    const ports = expectedPorts(capture);
    expect(found.map((o) => o.names[0]).sort()).toEqual([...ports.keys()].sort());
    for (const o of found) {
      expect(o.details).toMatchObject({ seenFrom: 'client-side', lostReply: 'AAAA', lookupFailed: false, clientPort: ports.get(o.names[0]!) });
      expect(resendPort(o)).not.toBe(o.details['clientPort']);
      expect(o.details['inferredTimeoutMicros']).toBeGreaterThan(1_800_000);
      expect(o.details['inferredTimeoutMicros']).toBeLessThan(2_400_000);
      expect(o.remedy).toContain('c-ares');
    }
  });
});

describe("Go's pure resolver behind the same firewall (control)", () => {
  it('a socket per question: no same-port finding, and the profile says separate sockets', async () => {
    const report = await analyse('stub-go-same-port-control-client.pcapng');
    expect(kinds(report)).toEqual(['dns.resolver_profile']);
    const [profile] = occurrences(report, 'dns.resolver_profile');
    expect(profile!.details['pattern']).toMatch(/-separate-ports$/);
    for (const p of profile!.details['patterns'] as string[]) expect(p).toMatch(/-separate-ports:\d+$/);
  });
});

describe("Node 20's Happy Eyeballs (net.connect autoSelectFamily) to a stale AAAA", () => {
  it('fallback_delay, happy-eyeballs: one IPv6 SYN, IPv4 after the 250 ms attempt timeout', async () => {
    const report = await analyse('stub-node-happy-eyeballs-client.pcap');
    expect(kinds(report)).toEqual(['dns.resolver_profile', 'path.fallback_delay']);
    const [o] = occurrences(report, 'path.fallback_delay');
    expect(o!.details).toMatchObject({ classification: 'happy-eyeballs', ipv6Syns: 1, ipv6Outcome: 'unanswered', ipv4Server: '198.51.100.80' });
    expect(o!.details['delayToIpv4SynMicros']).toBeGreaterThanOrEqual(250_000);
    expect(o!.details['delayToIpv4SynMicros']).toBeLessThan(350_000);
  });
});
