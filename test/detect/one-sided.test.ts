// Issue 15: one-sidedness is decided per host, not per file. A merge of a complete trace of host A
// with a trace of host B that holds only what B sent (samples/lab/scenarios/onesided-merge.sh,
// what the lab set up in samples/expected/onesided-merge-lan.json): B gets no "unanswered" verdict,
// A's real incident is still reported. Before this, B's answered reverse lookups were two
// dns.local_zone_leak errors and B's IPv6 page a path.fallback_delay paired with A's IPv4 one.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.js';
import { analyzeInPieces, runJob, type JobRunner } from '../../src/batch/index.js';
import { renderHtml, renderText } from '../../src/report/index.js';
import { CaptureView, createDetectors, FindingSet, type Finding } from '../../src/detect/index.js';
import type { Packet } from '../../src/decode/index.js';
import { PathReconstructor, type ConnectionRecord, type HostViewRecord, type PathRecord } from '../../src/reconstruct/path/index.js';
import { resetFrames, tcp4, tcp6 } from '../support/tcp-packets.js';
import { conversation, PTR, T0 } from '../support/dns-packets.js';
import { DnsReconstructor } from '../../src/reconstruct/dns/index.js';
import { runPath } from '../reconstruct/path/pipeline.js';
import { rewritePcapRecords } from '../support/pcap-clock.js';

const SAMPLES = join(import.meta.dirname, '../../samples');
const lab = JSON.parse(readFileSync(join(SAMPLES, 'expected/onesided-merge-lan.json'), 'utf8')) as {
  capture: string;
  oneSidedHosts: string[];
  mustFind: { kind: string; client: string }[];
};
const capture = join(SAMPLES, lab.capture);
const names = (f: { client?: string; server?: string }, hosts: readonly string[]): boolean =>
  hosts.includes(f.client ?? '') || hosts.includes(f.server ?? '');

describe('one-sided hosts in a merged capture (real lab capture)', () => {
  it('gives the one-sided host no verdict, and still reports the complete host\'s incident', async () => {
    const report = await analyzeFile(capture);
    const about = report.findings.flatMap((i) => i.occurrences).filter((f) => names(f, lab.oneSidedHosts));
    // Only the description of what it sent (its resolver's profile) may name it.
    expect(about.map((f) => f.kind).filter((k) => k !== 'dns.resolver_profile')).toEqual([]);
    for (const want of lab.mustFind) {
      expect(report.findings.flatMap((i) => i.occurrences).some((f) => f.kind === want.kind && f.client === want.client), want.kind).toBe(true);
    }
  });

  it('judges each of the host\'s addresses one-sided from its own ACKs of SYN-ACKs the capture lacks, and nobody else', async () => {
    const { records } = await runPath(capture);
    const views = records.filter((r): r is HostViewRecord => r.type === 'host-view');
    expect(views.map((v) => v.host).sort()).toEqual([...lab.oneSidedHosts].sort());
    expect(views.every((v) => v.oneSided)).toBe(true);
    // Its connections completed (the lab's curl fetched every page): none is "unanswered".
    const theirs = records.filter((r): r is ConnectionRecord => r.type === 'connection' && lab.oneSidedHosts.includes(r.client));
    expect(theirs.length).toBeGreaterThanOrEqual(3);
    for (const c of theirs) {
      expect(c.handshake).toBe('established');
      expect(c.synAck).toBeUndefined();
    }
  });

  it('names the one-sided host in the capture facts (JSON, terminal, HTML), and nobody in a two-sided capture', async () => {
    const report = await analyzeFile(capture);
    expect(report.capture.oneSided?.hosts).toBe(lab.oneSidedHosts.length);
    expect(report.capture.oneSided?.examples.map((h) => h.host).sort()).toEqual([...lab.oneSidedHosts].sort());
    const text = renderText(report, { width: 200 });
    for (const host of lab.oneSidedHosts) expect(text).toContain(host);
    expect(text).toMatch(/one-sided: the capture lacks the inbound packets of/);
    expect(renderHtml(report)).toMatch(/<dt>One-sided<\/dt><dd>the capture lacks the inbound packets of 2 hosts/);
    const complete = await analyzeFile(join(SAMPLES, 'demo.pcapng'));
    expect(complete.capture.oneSided).toBeUndefined();
    expect(renderText(complete)).not.toMatch(/one-sided/);
  });

  it('would accuse the host without the per-host view (the test can fail)', async () => {
    // A table of no hosts judges nobody one-sided: the analysis as it was before.
    const report = await analyzeFile(capture, { path: { maxInboundHosts: 0 } });
    const leaks = report.findings.flatMap((i) => i.occurrences).filter((f) => f.kind === 'dns.local_zone_leak' && names(f, lab.oneSidedHosts));
    expect(leaks.length).toBeGreaterThan(0);
  });
});

// Hand-built packets for the rules' edges (the real capture above is the proof of the whole).
const B6 = '2001:db8:1::20';
const S6 = '2001:db8:2::80';
const B4 = '192.0.2.20';
const S4 = '198.51.100.80';
const MS = 1000;

function pathRun(packets: readonly Packet[], maxInboundHosts?: number): { records: PathRecord[]; findings: Finding[]; view: CaptureView } {
  const set = createDetectors();
  const merged = new FindingSet();
  const records: PathRecord[] = [];
  const recon = new PathReconstructor(maxInboundHosts === undefined ? {} : { maxInboundHosts }, (r) => {
    records.push(r);
    for (const d of set.path) merged.add(d, d.observe(r));
  });
  for (const p of packets) recon.packet(p);
  recon.finish();
  for (const d of set.path) merged.finish(d);
  return { records, findings: merged.values(), view: set.view };
}

/** A connection seen from the client's outbound packets only: SYN, then its ACK and request. */
function outboundOnly(v: 4 | 6, client: string, server: string, sport: number, t: number): Packet[] {
  const mk = v === 6 ? tcp6 : tcp4;
  return [
    mk({ src: client, dst: server, sport, dport: 80, flags: 'S', seq: 100, mss: 1460, time: t }),
    mk({ src: client, dst: server, sport, dport: 80, flags: 'A', seq: 101, ack: 5001, time: t + 1 * MS }),
    mk({ src: client, dst: server, sport, dport: 80, flags: 'PA', seq: 101, ack: 5001, len: 80, time: t + 2 * MS }),
  ];
}

describe('InboundView rules', () => {
  it('ends the judgement when a packet addressed to the host turns up', () => {
    resetFrames();
    const { records, view } = pathRun([
      ...outboundOnly(6, B6, S6, 40001, 0),
      tcp6({ src: S6, dst: B6, sport: 80, dport: 40001, flags: 'A', seq: 5001, ack: 181, time: 50 * MS }),
    ]);
    const views = records.filter((r): r is HostViewRecord => r.type === 'host-view');
    expect(views.map((v) => [v.host, v.oneSided])).toEqual([[B6, true], [B6, false]]);
    expect(view.oneSided(B6)).toBe(false);
  });

  it('never judges a host that only sent SYNs nobody answered (a silent server is the incident)', () => {
    resetFrames();
    const { records, findings } = pathRun([
      tcp6({ src: B6, dst: S6, sport: 40002, flags: 'S', seq: 1, time: 0 }),
      tcp6({ src: B6, dst: S6, sport: 40002, flags: 'S', seq: 1, time: 1000 * MS }),
      tcp6({ src: B6, dst: S6, sport: 40002, flags: 'S', seq: 1, time: 3000 * MS }),
    ]);
    expect(records.some((r) => r.type === 'host-view')).toBe(false);
    expect(records.find((r): r is ConnectionRecord => r.type === 'connection')!.handshake).toBe('unanswered');
    expect(findings).toEqual([]);
  });

  it('keeps a one-sided host\'s retried SYNs as a failure (its own retries show it got no SYN-ACK), not a lone SYN', () => {
    resetFrames();
    // B is one-sided (an earlier IPv4 connection acknowledged an unseen SYN-ACK). It tries IPv6 with
    // one SYN only, then IPv4 by port: that lone SYN proves nothing.
    const lone = pathRun([
      ...outboundOnly(4, B4, S4, 40010, 0),
      tcp6({ src: B6, dst: S6, sport: 40011, dport: 80, flags: 'S', seq: 7, time: 100 * MS }),
      ...outboundOnly(6, B6, '2001:db8:2::81', 40012, 150 * MS), // B6 shown one-sided too
      ...outboundOnly(4, B4, S4, 40013, 400 * MS),
    ]);
    expect(lone.view.oneSided(B6)).toBe(true);
    expect(lone.findings.filter((f) => f.kind === 'path.fallback_delay')).toEqual([]);
    // The same with the IPv6 SYN retried twice: the host's own behaviour shows the failure.
    resetFrames();
    const retried = pathRun([
      ...outboundOnly(6, B6, '2001:db8:2::81', 40020, 0),
      tcp6({ src: B6, dst: S6, sport: 40021, dport: 80, flags: 'S', seq: 7, time: 100 * MS }),
      tcp6({ src: B6, dst: S6, sport: 40021, dport: 80, flags: 'S', seq: 7, time: 1100 * MS }),
      tcp6({ src: B6, dst: S6, sport: 40021, dport: 80, flags: 'S', seq: 7, time: 3100 * MS }),
      ...outboundOnly(4, B4, S4, 40022, 3400 * MS),
    ]);
    expect(retried.view.oneSided(B6)).toBe(true);
    expect(retried.findings.filter((f) => f.kind === 'path.fallback_delay')).toHaveLength(1);
  });

  it('judges nobody once its table is full (bounded; behaves as for a complete capture)', () => {
    resetFrames();
    const packets: Packet[] = [];
    for (let i = 0; i < 4; i++) packets.push(tcp6({ src: S6, dst: `2001:db8:9::${i + 1}`, sport: 80, dport: 40000 + i, flags: 'A', seq: 1, ack: 1, time: i * MS }));
    packets.push(...outboundOnly(6, B6, S6, 40030, 10 * MS));
    const { records } = pathRun(packets, 4);
    expect(records.some((r) => r.type === 'host-view')).toBe(false);
    expect(pathRun(packets.slice(2), 4).records.some((r) => r.type === 'host-view')).toBe(true);
  });
});

describe('a verdict made before the host was shown one-sided', () => {
  /** Both reconstructors and every detector, as the analysis wires them. */
  function both(packets: readonly Packet[]): Finding[] {
    const set = createDetectors();
    const merged = new FindingSet();
    const dns = new DnsReconstructor({}, (r) => { for (const d of set.dns) merged.add(d, d.observe(r)); });
    const path = new PathReconstructor({}, (r) => { for (const d of set.path) merged.add(d, d.observe(r)); });
    for (const p of packets) {
      dns.packet(p);
      path.packet(p);
      dns.expire(p.time);
    }
    dns.finish();
    path.finish();
    for (const d of [...set.dns, ...set.path]) merged.finish(d);
    return merged.values();
  }
  const leaks = (fs: readonly Finding[]) => fs.filter((f) => f.kind === 'dns.local_zone_leak');

  it('withdraws a local-zone "unanswered" at the end when the evidence came later', () => {
    resetFrames();
    const c = conversation(B4, '192.0.2.53');
    const reverse = [c.query(0, 40100, 7, '80.2.0.192.in-addr.arpa', PTR), c.tick(12_000)];
    // Without later evidence: the silence stands (a resolver that never answered).
    expect(leaks(both(reverse))).toHaveLength(1);
    // B's connection 13 s later shows its inbound traffic is not in the capture.
    const later = outboundOnly(4, B4, S4, 40101, T0 + 13_000 * MS);
    expect(leaks(both([...reverse, ...later]))).toEqual([]);
  });

  it('keeps it when the client itself asked again (its own timeout, whatever the capture holds)', () => {
    resetFrames();
    const c = conversation(B4, '192.0.2.53');
    const packets = [
      c.query(0, 40100, 7, '80.2.0.192.in-addr.arpa', PTR), c.query(2000, 40100, 7, '80.2.0.192.in-addr.arpa', PTR),
      c.tick(14_000), ...outboundOnly(4, B4, S4, 40101, T0 + 15_000 * MS),
    ];
    expect(leaks(both(packets))).toHaveLength(1);
  });

  describe('a lone IPv6 SYN judged before its client proved one-sided (the lab merge, cut)', () => {
    // The lab's merge as a capture with a gap holds it: B's first IPv6 connection keeps only its
    // SYN (frames 8–12 left out), and everything from B's next lookup on (frame 29) comes 100 s
    // later. The lone SYN's connection goes idle (75 s) and is judged in the gap, unanswered,
    // before B's next IPv6 connection — its ACK of a SYN-ACK the capture lacks — shows B one-sided.
    // A's IPv4 fetch 115 ms after that SYN (B's own DNS answers are not in the capture) pairs with
    // it by port and timing: a Happy Eyeballs fallback of B's that nothing in the capture shows.
    const dir = mkdtempSync(join(tmpdir(), 'dualscope-onesided-cut-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const GAP_FROM = 29;
    const cut = join(dir, 'onesided-merge-cut.pcap');
    rewritePcapRecords(capture, cut, (frame, t, perSecond) => (frame >= 8 && frame <= 12 ? undefined : frame >= GAP_FROM ? t + 100n * perSecond : t));
    const B6_ = lab.oneSidedHosts.find((h) => h.includes(':'))!;
    const fallbacks = (r: Awaited<ReturnType<typeof analyzeFile>>) => r.findings.flatMap((i) => i.occurrences).filter((f) => f.kind === 'path.fallback_delay');

    it('reports no fallback for it, as when the client was known one-sided first', async () => {
      const report = await analyzeFile(cut);
      expect(report.capture.oneSided?.examples.map((h) => h.host)).toContain(B6_);
      expect(fallbacks(report)).toEqual([]);
      // The pairing itself is real: judging nobody one-sided, the lone SYN makes the fallback.
      const blind = fallbacks(await analyzeFile(cut, { path: { maxInboundHosts: 0 } }));
      expect(blind.map((f) => [f.client, f.details.classification, f.details.failedSyns])).toEqual([[B6_, 'happy-eyeballs', 1]]);
    });

    it('reports none either when the capture is split across threads before the host is shown one-sided', async () => {
      // Two pieces, cut at the gap, with a 10 s lead-in and run-out: the first piece pairs the
      // lone SYN and never sees B one-sided; only the merge of both pieces' views knows.
      const firstPart = join(dir, 'first-part.pcap');
      rewritePcapRecords(cut, firstPart, (frame, t) => (frame < GAP_FROM - 5 ? t : undefined));
      let pieces = 0;
      const runner: JobRunner = {
        concurrency: 1,
        run: async (job) => {
          pieces++;
          return structuredClone(await runJob(structuredClone(job)));
        },
        close: async () => undefined,
      };
      const split = await analyzeInPieces(cut, { jobs: 2, runner, pieceBytes: statSync(firstPart).size - 24, contextSeconds: 10 });
      expect(pieces).toBeGreaterThanOrEqual(2);
      expect(split.capture.oneSided?.examples.map((h) => h.host)).toContain(B6_);
      expect(fallbacks(split)).toEqual([]);
    });
  });
});
