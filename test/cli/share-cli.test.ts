// The sharing commands as users run them (dist/): analyze --annotate, extract from a report or a
// capture, and their one-line errors.
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tsharkFields, tsharkPresent } from '../support/tshark.js';
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
