// Issue 15: path.neighbor_unreachable (failed neighbour discovery seen at the router) and the
// fallback in either direction, on real captures: the lab's (samples/) and a public one.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CORPUS } from '../../support/corpus.js';
import { runPath } from '../../reconstruct/path/pipeline.js';

const kinds = async (file: string, kind: string) => (await runPath(file)).findings.filter((f) => f.kind === kind);

describe('path.neighbor_unreachable', () => {
  it('a stale AAAA at the router: 3 unanswered NS, address unreachable to the client, the name from DNS', async () => {
    const [f, ...rest] = await kinds('samples/neighbor-stale-aaaa-router.pcap', 'path.neighbor_unreachable');
    expect(rest).toEqual([]);
    expect(f!.server).toBe('2001:db8:21::80');
    expect(f!.details).toMatchObject({ family: 6, solicitations: 3, unreachablesTo: ['2001:db8:20::10'], names: ['www.example.test'], affectedTcpPorts: [80], seeAlso: 'path.fallback_delay' });
    expect(String(f!.details.router)).toMatch(/^fe80:/);
    expect(f!.confidence.level).toBe('high');
    expect(f!.impact.delayMicros).toBeGreaterThan(2_500_000);
  });

  it('IPv4: unanswered ARP requests and ICMP host unreachable', async () => {
    const [f] = await kinds('samples/neighbor-arp-failure-router.pcap', 'path.neighbor_unreachable');
    expect(f!.details).toMatchObject({ family: 4, address: '198.51.100.80', router: '198.51.100.1', solicitations: 3, unreachablesTo: ['192.0.2.10'], names: ['www.example.test'] });
  });

  it('silent for answered solicitations (at once and late), DAD from ::, and no-route unreachables', async () => {
    const run = await runPath('samples/neighbor-control-router.pcap');
    expect(run.findings.filter((f) => f.kind === 'path.neighbor_unreachable').map((f) => f.summary)).toEqual([]);
    const nb = run.records.filter((r) => r.type === 'neighbor');
    // the late answer is an episode with several solicitations that was answered
    expect(nb.some((r) => r.type === 'neighbor' && r.address === '2001:db8:21::81' && r.solicitationCount >= 2 && r.answered !== undefined)).toBe(true);
    // duplicate address detection is not an episode at all
    expect(nb.some((r) => r.type === 'neighbor' && r.address === '2001:db8:21::99')).toBe(false);
  });

  it.skipIf(!existsSync(`${CORPUS}/pcapplusplus/PcapTest/sll.pcap`))('silent for ARP requests whose unicast answers this capture point cannot see', async () => {
    // a host capture: 10.0.0.138 asks three times for 10.0.0.1 (frames 12, 15, 21); any reply goes to 10.0.0.138 only
    const run = await runPath(`${CORPUS}/pcapplusplus/PcapTest/sll.pcap`);
    expect(run.records.some((r) => r.type === 'neighbor' && r.address === '10.0.0.1' && r.solicitationCount === 3 && r.answered === undefined)).toBe(true);
    expect(run.findings.filter((f) => f.kind === 'path.neighbor_unreachable')).toEqual([]);
  });

  it.skipIf(!existsSync(`${CORPUS}/arkime/v6.pcap`))('silent on a public capture whose solicitations are all answered at once', async () => {
    const run = await runPath(`${CORPUS}/arkime/v6.pcap`);
    expect(run.records.filter((r) => r.type === 'neighbor').length).toBeGreaterThan(3);
    expect(run.findings.filter((f) => f.kind === 'path.neighbor_unreachable')).toEqual([]);
  });
});

describe('path.fallback_delay in both directions', () => {
  it('IPv4 → IPv6 when the client prefers IPv4 and ARP for the A address fails', async () => {
    for (const file of ['samples/neighbor-arp-failure-client.pcap', 'samples/neighbor-arp-failure-router.pcap']) {
      const [f] = await kinds(file, 'path.fallback_delay');
      expect(f, file).toBeDefined();
      expect(f!.details).toMatchObject({ from: 'IPv4', to: 'IPv6', classification: 'fast-unreachable', ipv4Server: '198.51.100.80', ipv6Server: '2001:db8:21::80' });
      expect(f!.summary).toContain('see path.neighbor_unreachable');
    }
  });
});
