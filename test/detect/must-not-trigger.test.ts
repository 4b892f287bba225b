// INCIDENTS.md's "must not trigger" cases that had only hand-built frames, on real lab captures cut
// short with editcap where the lab's incident has not yet shown itself (issue 15): a capture that
// simply ends before the reply (§1) and one that ends mid-transfer (§3). The cut points come from the
// lab's own expected JSON (the frames it listed for the incident), never from dualscope's output;
// each test also runs the capture a few frames further, where the lab's incident must appear, so a
// cut at the wrong place fails instead of passing vacuously.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.js';

const SAMPLES = join(import.meta.dirname, '../../samples');
const dir = mkdtempSync(join(tmpdir(), 'dualscope-cut-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Lab { capture: string; mustFind: { kind: string; frames: number[] }[] }
const lab = (name: string): Lab => JSON.parse(readFileSync(join(SAMPLES, 'expected', `${name}.json`), 'utf8')) as Lab;

/** The capture's first `last` frames, written by editcap (a capture that ended there). */
function cut(capture: string, last: number): string {
  const out = join(dir, `${capture.replace(/\.(pcapng|pcap)$/, '')}-1-${last}.pcap`);
  execFileSync('editcap', ['-F', 'pcap', '-r', join(SAMPLES, capture), out, `1-${last}`]);
  return out;
}
const kindsIn = async (file: string): Promise<string[]> => (await analyzeFile(file)).findings.map((f) => f.kind).filter((k) => k !== 'dns.resolver_profile').sort();

describe('§1 same-port reply drop: not a capture that simply ends before the reply', () => {
  // Frames the lab lists: A query, A reply, AAAA query, then the client's re-asks after its timeout.
  const l = lab('same-port-drop-aaaa-client');
  const first = l.mustFind[0]!;
  const frames = [...first.frames].sort((a, b) => a - b);
  const aaaaQuery = frames[2]!;

  it('is silent when the capture ends after the AAAA query, before the client could ask again', async () => {
    expect(await kindsIn(cut(l.capture, aaaaQuery))).toEqual([]);
  });

  it('finds it once the re-asked round is in the capture (the cut above is where the lab says)', async () => {
    expect(await kindsIn(cut(l.capture, frames[frames.length - 1]!))).toContain('dns.same_port_reply_drop');
  });
});

describe('§3 PMTUD blackhole: not a capture that ends mid-transfer', () => {
  // Frames the lab lists: SYN, last small delivery, the first large segment and its retransmissions.
  for (const name of ['pmtud-v6-blackhole-server', 'pmtud-v4-blackhole-server']) {
    const l = lab(name);
    const sends = [...l.mustFind[0]!.frames].sort((a, b) => a - b).slice(2); // the large segment's transmissions

    it(`${name}: silent after the first retransmission`, async () => {
      expect(await kindsIn(cut(l.capture, sends[1]!))).not.toContain('path.pmtud_blackhole');
    });

    it(`${name}: found once the retransmissions back off (the cut above is where the lab says)`, async () => {
      expect(await kindsIn(cut(l.capture, sends[sends.length - 1]! + 1))).toContain('path.pmtud_blackhole');
    });
  }
});
