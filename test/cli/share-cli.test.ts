// The sharing commands as users run them (dist/): analyze --annotate, extract from a report or a
// capture, correlate --annotate DIR, and their one-line errors.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureInfo, tsharkFields, tsharkPresent } from '../support/tshark.js';
import { type CliResult, expectOneLineError, requireBuiltCli, ROOT, runCli } from '../support/cli.js';

const BLACKHOLE = join(ROOT, 'samples/pmtud-v6-blackhole-server.pcap');
const AAAA = join(ROOT, 'samples/aaaa-unanswered-client.pcapng');
let tmp: string;

const run = (args: string[], input?: Buffer): CliResult => runCli(args, { cwd: tmp, input });

beforeAll(() => {
  requireBuiltCli();
  tmp = mkdtempSync(join(tmpdir(), 'h19-share-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('analyze --annotate', () => {
  it('writes the annotated capture beside the reports and says so', () => {
    const r = run(['analyze', AAAA, '--no-write', '--annotate', 'a.pcapng']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/annotated capture: a\.pcapng \(9 evidence packet\(s\) commented\)/);
    if (tsharkPresent) {
      const frames = tsharkFields(join(tmp, 'a.pcapng'), ['frame.number'], 'frame.comment contains "dualscope: dns.aaaa_unanswered"');
      expect(frames.map((row) => Number(row[0]![0]))).toEqual([1, 2, 3, 4, 5, 6, 11, 12, 13]);
    }
  });

  it('refuses stdin, several inputs, an existing file and the input itself, in one line each', () => {
    expectOneLineError(run(['analyze', '-', '--no-write', '--annotate', 'b.pcapng'], readFileSync(AAAA)), /needs a file, not standard input/);
    expectOneLineError(run(['analyze', AAAA, BLACKHOLE, '--no-write', '--annotate', 'b.pcapng']), /--annotate names one file/);
    writeFileSync(join(tmp, 'exists.pcapng'), 'x');
    expectOneLineError(run(['analyze', AAAA, '--no-write', '--annotate', 'exists.pcapng']), /exists; use --force/);
    copyFileSync(AAAA, join(tmp, 'in.pcapng'));
    expectOneLineError(run(['analyze', 'in.pcapng', '--no-write', '--annotate', 'in.pcapng', '-f']), /must name a new file/);
    expectOneLineError(run(['analyze', AAAA, '--no-write', '--annotate', 'no/such/dir/../../../proc/x.pcapng']), /cannot write|kernel file system/);
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

describe('extract', () => {
  it('from a capture: the warning and error findings, each packet naming its origin', () => {
    const r = run(['extract', BLACKHOLE, '-o', 'x.pcapng']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^extract: x\.pcapng: 11 packet\(s\) for 1 finding\(s\) from /);
  });

  it('from a JSON report: finds the capture it names, or the one given with --capture', () => {
    expect(run(['analyze', AAAA, '--json', 'r.json', '--html', 'r.html', '-q']).status).toBe(0);
    const r = run(['extract', 'r.json', '--finding', 'dns.resolver_profile:1', '-o', 'y.pcapng']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/9 packet\(s\) for 1 finding\(s\)/);
    // The same report against another capture: the evidence is not there at those times.
    const wrong = run(['extract', 'r.json', '--capture', BLACKHOLE, '-o', 'z.pcapng']);
    expectOneLineError(wrong, /does not describe .*pmtud-v6-blackhole-server\.pcap: evidence frame 1/);
    expect(existsSync(join(tmp, 'z.pcapng'))).toBe(false);
  });

  it('gives one line for what cannot be done', () => {
    expectOneLineError(run(['extract', BLACKHOLE]), /required option.*--output/);
    expectOneLineError(run(['extract', 'nothing.pcap', '-o', 'n.pcapng']), /nothing\.pcap: no such file/);
    expectOneLineError(run(['extract', BLACKHOLE, '--finding', 'dns.nope:1', '-o', 'n.pcapng']), /has no finding dns\.nope:1 \(ids: path\.pmtud_blackhole@[^ ,)]+\)/);
    expectOneLineError(run(['extract', join(ROOT, 'samples/healthy-dualstack-client.pcapng'), '-o', 'n.pcapng']), /no warning or error findings/);
    expectOneLineError(run(['extract', BLACKHOLE, '--context', '-1', '-o', 'n.pcapng']), /--context must be 0 or more/);
    writeFileSync(join(tmp, 'bad.json'), '{"schemaVersion": 1}');
    expectOneLineError(run(['extract', 'bad.json', '-o', 'n.pcapng']), /bad\.json is not a dualscope JSON report/);
    writeFileSync(join(tmp, 'not.pcap'), 'hello, not a capture');
    expectOneLineError(run(['extract', 'not.pcap', '-o', 'n.pcapng']), /not a pcap or pcapng capture/);
    expect(existsSync(join(tmp, 'n.pcapng'))).toBe(false);
  });

  it('escapes finding ids from a doctored report', () => {
    expect(run(['analyze', BLACKHOLE, '--json', 'h.json', '--html', 'h.html', '-q']).status).toBe(0);
    const report = JSON.parse(readFileSync(join(tmp, 'h.json'), 'utf8')) as { findings: { id: string; severity: string }[] };
    report.findings[0]!.id = 'evil\x1b]0;owned\x07:1';
    writeFileSync(join(tmp, 'h.json'), JSON.stringify(report));
    const r = run(['extract', 'h.json', '--finding', 'x', '-o', 'n.pcapng']);
    expectOneLineError(r, /has no finding x/);
    expect(r.stderr).not.toContain('\x1b');
  });
});

/** What a correlate JSON report says each point saw of its findings: frame numbers by point label. */
function reportedFramesByPoint(reportPath: string): Map<string, number[]> {
  type Seen = { point: string; frame: number }[];
  const r = JSON.parse(readFileSync(reportPath, 'utf8')) as {
    points: { label: string }[];
    findings: { evidence: { seenAt: Seen }[]; losses: { seenAt: Seen }[] }[];
  };
  const byPoint = new Map<string, Set<number>>(r.points.map((p) => [p.label, new Set<number>()]));
  for (const f of r.findings) for (const e of [...f.evidence, ...f.losses]) for (const s of e.seenAt) byPoint.get(s.point)!.add(s.frame);
  return new Map([...byPoint].map(([label, frames]) => [label, [...frames].sort((a, b) => a - b)]));
}

describe('correlate --annotate DIR', () => {
  // Correlate sample sets of test/correlate/correlate.test.ts: DNS reply drops between client and
  // resolver, and a PMTUD black hole seen from both ends.
  const SETS = [
    ['same-port-drop-a-client.pcap', 'same-port-drop-a-resolver.pcap'],
    ['pmtud-v6-blackhole-client.pcapng', 'pmtud-v6-blackhole-server.pcap'],
  ] as const;

  it.each(SETS)('%s + %s: each point\'s file carries comments on exactly the frames that point saw of the findings', (a, b) => {
    const dir = `ann-${a}`;
    const r = run(['correlate', join(ROOT, 'samples', a), join(ROOT, 'samples', b), '--json', `${a}.json`, '--html', `${a}.html`, '--annotate', dir]);
    expect(r.status, r.stderr).toBe(0);
    const expected = reportedFramesByPoint(join(tmp, `${a}.json`));
    expect([...expected.values()].every((frames) => frames.length > 0)).toBe(true);
    for (const file of [a, b]) {
      const label = file.replace(/\.(pcapng|pcap)$/, '');
      const out = join(tmp, dir, `${label}.annotated.pcapng`);
      expect(r.stdout).toContain(`annotated capture (${label}): ${join(dir, `${label}.annotated.pcapng`)} (${expected.get(label)!.length} evidence packet(s) commented)`);
      if (!tsharkPresent) continue;
      const commented = tsharkFields(out, ['frame.number'], 'frame.comment contains "dualscope"').map((row) => Number(row[0]![0]));
      expect(commented, file).toEqual(expected.get(label));
      // The whole capture, frame numbers unchanged.
      expect(captureInfo(out).frames).toBe(captureInfo(join(ROOT, 'samples', file)).frames);
    }
  });

  it('names each file after its input, two inputs of one name apart, and never over an input', () => {
    mkdirSync(join(tmp, 'x'));
    mkdirSync(join(tmp, 'y'));
    copyFileSync(join(ROOT, 'samples/same-port-drop-a-client.pcap'), join(tmp, 'x', 'cap.pcap'));
    copyFileSync(join(ROOT, 'samples/same-port-drop-a-resolver.pcap'), join(tmp, 'y', 'cap.pcap'));
    // An input already named like the annotated copy of the other: it is skipped, not overwritten.
    copyFileSync(join(ROOT, 'samples/same-port-drop-a-resolver.pcap'), join(tmp, 'x', 'cap.annotated.pcapng'));
    const before = readFileSync(join(tmp, 'x', 'cap.annotated.pcapng'));
    const r = run(['correlate', 'x/cap.pcap', 'x/cap.annotated.pcapng', 'y/cap.pcap', '--no-write', '--annotate', 'x', '-f']);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(tmp, 'x', 'cap.annotated.pcapng')).equals(before)).toBe(true);
    expect(readdirSync(join(tmp, 'x')).sort()).toEqual(['cap-2.annotated.pcapng', 'cap-3.annotated.pcapng', 'cap.annotated.annotated.pcapng', 'cap.annotated.pcapng', 'cap.pcap']);
  });

  it('a folder that cannot be used, or a copy already there, is one line before any work', () => {
    const [a, b] = SETS[0].map((f) => join(ROOT, 'samples', f));
    writeFileSync(join(tmp, 'plain-file'), 'x');
    expectOneLineError(run(['correlate', a, b, '--no-write', '--annotate', 'plain-file']), /--annotate plain-file: it is not a folder/);
    expectOneLineError(run(['correlate', a, b, '--no-write', '--annotate', 'plain-file/sub']), /plain-file is not a folder/);
    expectOneLineError(run(['correlate', a, b, '--no-write', '--annotate', '/proc/dualscope']), /kernel file system/);
    expect(run(['correlate', a, b, '--no-write', '--annotate', 'again']).status).toBe(0);
    expectOneLineError(run(['correlate', a, b, '--no-write', '--annotate', 'again']), /again\/same-port-drop-a-client\.annotated\.pcapng exists; use --force/);
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

describe('batch --annotate DIR', () => {
  /** Frame numbers of every finding's evidence in the per-file reports, by the capture they lie in. */
  function reportedFramesByCapture(reportDir: string): { byCapture: Map<string, number[]>; crossFile: number } {
    type Evidence = { frame: number; file?: string };
    type Incident = { evidence: Evidence[]; occurrences?: { evidence: Evidence[] }[] };
    const byCapture = new Map<string, Set<number>>();
    let crossFile = 0;
    for (const name of readdirSync(reportDir).filter((f) => f.endsWith('.json'))) {
      const r = JSON.parse(readFileSync(join(reportDir, name), 'utf8')) as { capture: { file: string }; findings: Incident[] };
      for (const f of r.findings) {
        for (const o of f.occurrences?.length ? f.occurrences : [f]) {
          for (const e of o.evidence) {
            if (e.file !== undefined) crossFile++;
            const capture = basename(e.file ?? r.capture.file);
            if (!byCapture.has(capture)) byCapture.set(capture, new Set());
            byCapture.get(capture)!.add(e.frame);
          }
        }
      }
    }
    return { byCapture: new Map([...byCapture].map(([c, s]) => [c, [...s].sort((a, b) => a - b)])), crossFile };
  }

  it('one copy per analysed file, commented on exactly its findings\' evidence, a capture set\'s neighbours included', () => {
    mkdirSync(join(tmp, 'fleet'));
    // A capture set: a black hole split across two files, so a finding of one names packets of the other.
    const split = spawnSync('editcap', ['-c', '20', BLACKHOLE, join(tmp, 'fleet', 'split.pcap')]);
    expect(split.status, String(split.stderr)).toBe(0);
    copyFileSync(AAAA, join(tmp, 'fleet', 'aaaa.pcapng'));
    const r = run(['batch', 'fleet', '--index', 'fleet.sqlite', '-o', 'fleet-reports', '-j', '1', '--annotate', 'fleet-ann']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('annotated captures: 3 in fleet-ann');
    const { byCapture, crossFile } = reportedFramesByCapture(join(tmp, 'fleet-reports'));
    expect(crossFile).toBeGreaterThan(0);
    const inputs = readdirSync(join(tmp, 'fleet')).sort();
    expect(readdirSync(join(tmp, 'fleet-ann')).sort()).toEqual(inputs.map((f) => f.replace(/\.(pcapng|pcap)$/, '.annotated.pcapng')));
    if (!tsharkPresent) return;
    for (const input of inputs) {
      const out = join(tmp, 'fleet-ann', input.replace(/\.(pcapng|pcap)$/, '.annotated.pcapng'));
      const commented = tsharkFields(out, ['frame.number'], 'frame.comment contains "dualscope"').map((row) => Number(row[0]![0]));
      expect(commented, input).toEqual(byCapture.get(input) ?? []);
      expect(captureInfo(out).frames).toBe(captureInfo(join(tmp, 'fleet', input)).frames);
    }
    // A second run refreshes the copies (nothing to re-analyse, the findings come from the index).
    const again = run(['batch', 'fleet', '--index', 'fleet.sqlite', '--no-write', '--annotate', 'fleet-ann']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('annotated captures: 3 in fleet-ann');
  });

  it('a folder that cannot be used, or one holding inputs, is one line before any work', () => {
    writeFileSync(join(tmp, 'not-a-folder'), 'x');
    expectOneLineError(run(['batch', AAAA, '--index', 'bad.sqlite', '--no-write', '--annotate', 'not-a-folder']), /--annotate not-a-folder: it is not a folder/);
    expectOneLineError(run(['batch', AAAA, '--index', 'bad.sqlite', '--no-write', '--annotate', '/proc/dualscope']), /kernel file system/);
    mkdirSync(join(tmp, 'mixed'));
    copyFileSync(AAAA, join(tmp, 'mixed', 'a.pcapng'));
    expectOneLineError(run(['batch', 'mixed', '--index', 'bad.sqlite', '--no-write', '--annotate', 'mixed']), /--annotate mixed holds the input .*a\.pcapng; choose a folder outside the inputs/);
    expectOneLineError(run(['batch', AAAA, '--index', 'bad.sqlite', '--no-write', '--watch', '--annotate', 'w']), /--annotate is not for --watch/);
    expect(existsSync(join(tmp, 'bad.sqlite'))).toBe(false);
  });
});
