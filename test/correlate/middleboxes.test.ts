// What a middlebox changes is evidence, and must not break the match: a NAT between two capture
// points (lab captures of one run, the far one rewritten as the NAT's outside would show it) and a
// capture point with a short snaplen (editcap -s).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { correlateFiles } from '../../src/correlate/index.js';
import { CorrelatedReport } from '../../src/report/correlation/index.js';
import { natIpv4 } from '../support/pcap-nat.js';

const SAMPLES = join(import.meta.dirname, '../../samples');
const TMP = mkdtempSync(join(tmpdir(), 'h14-middlebox-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
const GENERATED_AT = '2026-01-01T00:00:00.000Z';

describe('correlate across middleboxes', () => {
  it('NAT: matches through the rewrite, reports it, and still places the dropped A reply', async () => {
    // the client's first lookup socket (expected JSON: clientPort 40192) as a NAT's outside shows it
    const natted = join(TMP, 'resolver-behind-nat.pcap');
    const n = natIpv4(join(SAMPLES, 'same-port-drop-a-resolver.pcap'), natted, ['192.0.2.10', 40192], ['203.0.113.7', 61000]);
    expect(n).toBeGreaterThan(4);
    const r = await correlateFiles(
      [
        { file: join(SAMPLES, 'same-port-drop-a-client.pcap'), label: 'client' },
        { file: natted, label: 'resolver' },
      ],
      { generatedAt: GENERATED_AT },
    );
    CorrelatedReport.parse(r);
    expect(r.overlap.matchedPackets).toBe(14);
    const c2r = r.stretches.find((s) => s.from === 'client' && s.to === 'resolver')!;
    const nat = c2r.rewrites.filter((w) => w.kind === 'nat');
    expect(nat.map((w) => w.example)).toEqual([expect.stringMatching(/^source 192\.0\.2\.10 port 40192 → 203\.0\.113\.7 port 61000, /)]);
    const r2c = r.stretches.find((s) => s.from === 'resolver' && s.to === 'client')!;
    expect(r2c.rewrites.find((w) => w.kind === 'nat')!.example).toMatch(/^destination 203\.0\.113\.7 port 61000 → 192\.0\.2\.10 port 40192, /);
    const drops = r.findings.filter((f) => f.kind === 'dns.same_port_reply_drop');
    expect(drops.map((f) => [f.status, f.location])).toEqual([
      ['proved', 'between resolver and client'],
      ['proved', 'between resolver and client'],
    ]);
  });

  it('snaplen: a point that kept 96 bytes per frame still matches every packet, and says it cut them', async () => {
    const cut = join(TMP, 'server-96.pcapng');
    execFileSync('editcap', ['-s', '96', join(SAMPLES, 'pmtud-mss-clamp-server.pcapng'), cut]);
    const r = await correlateFiles(
      [
        { file: join(SAMPLES, 'pmtud-mss-clamp-client.pcap'), label: 'client' },
        { file: cut, label: 'server' },
      ],
      { generatedAt: GENERATED_AT },
    );
    expect(r.overlap.matchedPackets).toBe(205);
    const s2c = r.stretches.find((s) => s.from === 'server' && s.to === 'client')!;
    expect(s2c.rewrites.find((w) => w.kind === 'snaplen')!.example).toMatch(/^server kept 96 of \d+ bytes \(snaplen\)/);
    expect(s2c.rewrites.find((w) => w.kind === 'mss')!.example).toMatch(/^MSS 1440 → 1220/);
    expect(r.findings.flatMap((f) => f.losses)).toEqual([]);
  });
});
