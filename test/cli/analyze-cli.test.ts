// The built `dualscope` executable as users run it: exit statuses, one-line errors without stack
// traces, the output folder, stdin, strictness on damaged files, and hostile names kept harmless.
// Runs dist/ (npm test builds it first).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { formatDuration, formatIso, UsageError } from '../../src/core/index.js';
import { analyzeFile } from '../../src/analyze.js';
import { renderLiveFinding } from '../../src/cli/live-command.js';
import { describeFsError, writeAtomically } from '../../src/cli/output.js';
import { firstLine } from '../../src/cli/error-line.js';
import { ProgressLine } from '../../src/cli/progress.js';
import { writeHostileCapture } from '../support/hostile-capture.js';
import { CLI, type CliResult, expectOneLineError, requireBuiltCli, ROOT, runCli } from '../support/cli.js';

const SAMPLE = join(ROOT, 'samples/same-port-drop-aaaa-client.pcap');
const CONTROL = join(ROOT, 'samples/same-port-drop-reopen-client.pcapng');
let tmp: string;

const run = (args: string[], input?: Buffer): CliResult => runCli(args, { cwd: tmp, input });

beforeAll(() => {
  requireBuiltCli();
  tmp = mkdtempSync(join(tmpdir(), 'dualscope-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('dualscope analyze', () => {
  it('writes JSON and HTML into reports/ by default and refuses to overwrite without --force', () => {
    const first = run(['analyze', SAMPLE]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('dns.same_port_reply_drop');
    const json = join(tmp, 'reports/same-port-drop-aaaa-client.json');
    expect(existsSync(json)).toBe(true);
    expect(existsSync(join(tmp, 'reports/same-port-drop-aaaa-client.html'))).toBe(true);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.findings.some((f: { kind: string }) => f.kind === 'dns.same_port_reply_drop')).toBe(true);

    expectOneLineError(run(['analyze', SAMPLE]), /exists; use --force/);
    expect(run(['analyze', SAMPLE, '--force']).status).toBe(0);
  });

  it('the terminal summary fits 80 columns', () => {
    const r = run(['analyze', SAMPLE, '--no-write']);
    for (const line of r.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    // also from a deep folder: the path is shortened in the middle, the file name kept whole
    const deep = join(tmp, 'a-folder-with-a-rather-long-name', 'and-another-one-below-it-that-is-long-too');
    mkdirSync(deep, { recursive: true });
    copyFileSync(SAMPLE, join(deep, 'copy.pcap'));
    const d = run(['analyze', join(deep, 'copy.pcap'), '--no-write']);
    for (const line of d.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(d.stdout.split('\n')[0]).toMatch(/…[^/]*\/copy\.pcap$/);
  });

  it('--fail-on sets exit status 1 only when a finding reaches that severity', () => {
    const withDrop = run(['analyze', SAMPLE, '--no-write', '--quiet', '--fail-on', 'warning']);
    expect(withDrop.status).toBe(1);
    expect(withDrop.stdout).toBe('');
    expect(run(['analyze', CONTROL, '--no-write', '--quiet', '--fail-on', 'warning']).status).toBe(0);
    expect(run(['analyze', SAMPLE, '--no-write', '--quiet']).status).toBe(0);
    // Several inputs: each one's verdict is kept (not its report), whichever input has the finding.
    expect(run(['analyze', CONTROL, SAMPLE, '--no-write', '--quiet', '--fail-on', 'warning']).status).toBe(1);
    expect(run(['analyze', SAMPLE, CONTROL, '--no-write', '--quiet', '--fail-on', 'warning']).status).toBe(1);
    expect(run(['analyze', CONTROL, CONTROL, '--no-write', '--quiet', '--fail-on', 'warning']).status).toBe(0);
  });

  it('bad option values get one clear line and exit 2', () => {
    expectOneLineError(run(['analyze', SAMPLE, '--fail-on', 'sometimes']), /fail-on/);
    expectOneLineError(run(['analyze', SAMPLE, '--dns-timeout', 'soon']), /--dns-timeout/);
    expectOneLineError(run(['analyze', SAMPLE, '--dns-timeout', '-3']), /--dns-timeout/);
    expectOneLineError(run(['analyze', SAMPLE, SAMPLE, '--json', 'x.json']), /one file/);
    expectOneLineError(run(['analyze']), /missing required argument/);
  });

  it('unusable inputs name the file and the problem, exit 2, never a stack', () => {
    const png = join(tmp, 'picture.pcap');
    writeFileSync(png, Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
    const empty = join(tmp, 'empty.pcap');
    writeFileSync(empty, '');
    mkdirSync(join(tmp, 'adir'), { recursive: true });
    for (const [file, pattern] of [
      [join(tmp, 'missing.pcap'), /missing\.pcap/],
      [png, /picture\.pcap: .*PNG/i],
      [empty, /empty\.pcap: .*empty/i],
      [join(tmp, 'adir'), /adir/],
    ] as const) {
      expectOneLineError(run(['analyze', file, '--no-write']), pattern);
    }
  });

  it('a capture cut mid-record is analysed up to the cut; --strict turns that into exit 2', () => {
    const whole = readFileSync(SAMPLE);
    const cut = join(tmp, 'cut.pcap');
    writeFileSync(cut, whole.subarray(0, whole.length - 30));
    const r = run(['analyze', cut, '--json', join(tmp, 'cut.json'), '--force']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/truncated/);
    const report = JSON.parse(readFileSync(join(tmp, 'cut.json'), 'utf8'));
    expect(report.capture.truncated).toBe(true);
    expect(report.capture.packets).toBeGreaterThan(10);
    expect(report.anomalies['pcap.truncated_record']).toBe(1);
    expect(run(['analyze', cut, '--no-write', '--strict']).status).toBe(2);
    expect(run(['analyze', CONTROL, cut, '--no-write', '--quiet', '--strict']).status).toBe(2);
    expect(run(['analyze', CONTROL, SAMPLE, '--no-write', '--quiet', '--strict']).status).toBe(0);
  });

  it('reads stdin with -', () => {
    const r = run(['analyze', '-', '--no-write'], readFileSync(SAMPLE));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('dns.same_port_reply_drop');
  });

  it('reads gzip by its magic, whatever the name', () => {
    const gz = join(tmp, 'sample-compressed.pcap');
    writeFileSync(gz, gzipSync(readFileSync(SAMPLE)));
    const r = run(['analyze', gz, '--no-write']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('dns.same_port_reply_drop');
  });

  it('names from the capture cannot drive the terminal or inject markup', () => {
    const file = join(tmp, 'hostile.pcap');
    writeHostileCapture(file);
    const r = run(['analyze', file, '--json', join(tmp, 'hostile.json'), '--html', join(tmp, 'hostile.html'), '--force']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stdout).toMatch(/\\027\[31mred/i); // the DNS decoder writes the ESC byte as \027
    const html = readFileSync(join(tmp, 'hostile.html'), 'utf8');
    expect(html).not.toContain('<script>window.__pwned');
    expect(html).not.toContain('<img src=x');
    const report = JSON.parse(readFileSync(join(tmp, 'hostile.json'), 'utf8'));
    expect(report.findings.length).toBeGreaterThan(0);
  });

  it('analyses several files on their own, and one unusable input makes the status 2', () => {
    copyFileSync(SAMPLE, join(tmp, 'a.pcap'));
    const r = run(['analyze', join(tmp, 'a.pcap'), join(tmp, 'missing.pcap'), CONTROL, '--no-write']);
    expect(r.status).toBe(2);
    expect(r.stdout).toContain('a.pcap');
    expect(r.stdout).toContain('same-port-drop-reopen-client.pcapng');
  });

  it('loads none of the other commands\' layers (batch, server, correlate, share, SQLite) nor the correlation report: start-up is paid per file', () => {
    // A module loader hook (node --import) writes the URL of every module loaded to a file.
    const loaded = join(tmp, 'loaded-modules.txt');
    writeFileSync(join(tmp, 'log-loads.mjs'), `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(loaded)}, url + '\\n'); return next(url, context); }\n`);
    writeFileSync(join(tmp, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(tmp, 'log-loads.mjs')).href)});\n`);
    const modules = (args: string[]): string[] => {
      rmSync(loaded, { force: true });
      const r = runCli(args, { cwd: tmp, nodeArgs: ['--import', pathToFileURL(join(tmp, 'register.mjs')).href] });
      expect(r.status, r.stderr).toBe(0);
      return readFileSync(loaded, 'utf8').trim().split('\n');
    };
    const otherLayers = /\/dist\/src\/(batch|server|correlate|share|report\/correlation)\/|\/node_modules\/better-sqlite3\//;
    const analysed = modules(['analyze', SAMPLE, '--no-write', '-q']);
    expect(analysed.some((u) => u.endsWith('/dist/src/analyze.js'))).toBe(true);
    expect(analysed.filter((u) => otherLayers.test(u))).toEqual([]);
    // They are still there for the commands that need them, and for the help.
    expect(modules(['batch', '--help']).some((u) => otherLayers.test(u))).toBe(true);
    const help = run(['--help']);
    for (const command of ['analyze', 'correlate', 'extract', 'anonymize', 'batch', 'query', 'worker', 'live', 'serve']) expect(help.stdout).toContain(`\n  ${command} `);
  });
});

describe('dualscope analyze: report files that cannot be written', () => {
  const leftovers = (dir: string): string[] => readdirSync(dir).filter((n) => n.includes('.tmp-'));

  it('an output path that is a folder: one line, exit 2, before any work, no temporary file', () => {
    const dir = join(tmp, 'out-is-a-folder');
    mkdirSync(dir, { recursive: true });
    const started = Date.now();
    const r = run(['analyze', SAMPLE, '--json', dir, '--force']);
    expectOneLineError(r, /cannot write .*out-is-a-folder: it is a folder/);
    expect(r.stdout).toBe('');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(leftovers(tmp)).toEqual([]);
    expectOneLineError(run(['analyze', SAMPLE, '--html', dir, '--force', '-q']), /it is a folder/);
  });

  it('--out below a file, or a --json whose folder is a file: one line, exit 2', () => {
    const file = join(tmp, 'plain-file');
    writeFileSync(file, 'x');
    expectOneLineError(run(['analyze', SAMPLE, '--out', join(file, 'sub')]), /plain-file is not a folder/);
    expectOneLineError(run(['analyze', SAMPLE, '--json', join(file, 'r.json')]), /plain-file is not a folder/);
  });

  it.each(['/proc/dualscope-nope', '/sys/dualscope-nope', '/proc'])('--out %s is refused at once (mkdir would spin on /proc)', (out) => {
    // A spinning mkdir never returns: the child's time limit is the check (generous, as a loaded CI machine
    // starts node slowly; a 5 s wall-clock assertion here failed under load on unchanged code).
    const r = spawnSync(process.execPath, [CLI, 'analyze', SAMPLE, '--out', out], { cwd: tmp, encoding: 'utf8', timeout: 30_000 });
    expect(r.error, 'dualscope hung').toBeUndefined();
    expectOneLineError({ status: r.status, stderr: r.stderr }, /kernel file system/);
  });

  it('a symlink into /proc is seen through', () => {
    const link = join(tmp, 'to-proc');
    if (!existsSync(link)) symlinkSync('/proc', link);
    expectOneLineError(run(['analyze', SAMPLE, '--out', join(link, 'nope')]), /\/proc is a kernel file system/);
  });

  it.skipIf(process.getuid?.() === 0)('a folder without write permission: one line, exit 2 (not as root, who may write anywhere)', () => {
    const ro = join(tmp, 'read-only');
    mkdirSync(ro, { recursive: true });
    chmodSync(ro, 0o555);
    try {
      expectOneLineError(run(['analyze', SAMPLE, '--out', join(ro, 'sub')]), /read-only: permission denied \(EACCES\)/);
    } finally {
      chmodSync(ro, 0o755);
    }
  });

  it('creates a missing --out folder, nested', () => {
    const out = join(tmp, 'new', 'deeper');
    const r = run(['analyze', SAMPLE, '--out', out, '-q']);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['same-port-drop-aaaa-client.html', 'same-port-drop-aaaa-client.json']);
  });
});

describe('write helper (src/cli/output.ts)', () => {
  it('a failed write is one UsageError line and leaves no temporary file', () => {
    const dir = join(tmp, 'helper');
    mkdirSync(join(dir, 'target'), { recursive: true });
    let e: unknown;
    try {
      writeAtomically(join(dir, 'target'), '{}'); // rename of a file onto a folder: EISDIR
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toMatch(/^cannot write .*target: .*\((EISDIR|ENOTEMPTY|EEXIST)\)$/);
    expect(readdirSync(dir)).toEqual(['target']);
  });

  it('never mkdirs under /proc or /sys, even when called without the check', () => {
    expect(() => writeAtomically('/proc/dualscope-nope/x.json', '{}')).toThrow(UsageError);
    expect(() => writeAtomically('/sys/dualscope-nope/x.json', '{}')).toThrow(/kernel file system/);
  });

  it('describes errno codes in words', () => {
    expect(describeFsError(Object.assign(new Error('x'), { code: 'ENOSPC' }))).toBe('no space left on the device (ENOSPC)');
    expect(describeFsError(Object.assign(new Error('x'), { code: 'EROFS' }))).toBe('read-only file system (EROFS)');
    expect(describeFsError(Object.assign(new Error('x'), { code: 'EWHATEVER' }))).toBe('EWHATEVER');
  });
});

describe('internal errors and progress', () => {
  it('an internal error is one line, even when the message is a zod dump', () => {
    const r = z.object({ a: z.string(), b: z.number(), c: z.boolean() }).safeParse({});
    expect(r.success).toBe(false);
    const dump = r.error!;
    expect(dump.message.split('\n').length).toBeGreaterThan(10);
    const line = firstLine(dump);
    expect(line).not.toContain('\n');
    expect(line).toMatch(/^a: .* \(\+2 more\)$/);
    expect(firstLine(new Error('\n\nfirst real line\nsecond'))).toBe('first real line');
    expect(firstLine(new TypeError('x is undefined'))).toBe('TypeError: x is undefined');
    expect(firstLine('a string\nthrown')).toBe('a string');
    expect(firstLine(new Error('y'.repeat(1000))).length).toBeLessThanOrEqual(200);
  });

  it('analyzeFile passes the packets analysed so far to onProgress', async () => {
    const seen: number[] = [];
    const report = await analyzeFile(SAMPLE, { onProgress: (_read, _total, packets) => seen.push(packets) });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.at(-1)).toBe(report.capture.packets);
  });

  it('the progress line shows a packet rate from the count it is given', () => {
    const writes: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (writes.push(String(s)), true));
    const now = vi.spyOn(Date, 'now');
    try {
      now.mockReturnValue(1_000_000);
      const line = new ProgressLine('big.pcap');
      now.mockReturnValue(1_002_000); // 2 s later
      line.update(50e6, 100e6, 40_000);
      expect(writes.join('')).toMatch(/big\.pcap: \[#{10}\.{10}\] 50\.0\/100\.0 MB, 20000 pkt\/s, ETA 2 s/);
    } finally {
      write.mockRestore();
      now.mockRestore();
    }
  });
});

describe('time text is total (defence in depth for damaged timestamps)', () => {
  it.each([Number.MAX_SAFE_INTEGER * 4, -1e20, 8.64e18 + 1e9, Number.NaN, Number.POSITIVE_INFINITY])('formatIso(%d) does not throw', (t) => {
    expect(() => formatIso(t)).not.toThrow();
    expect(formatIso(t)).not.toBe('');
  });

  it('falls back to epoch seconds outside the Date range, and keeps ISO inside it', () => {
    expect(formatIso(1_591_780_863_847_323)).toBe('2020-06-10T09:21:03.847323Z');
    expect(formatIso(1e20)).toBe('100000000000000.000000');
    expect(formatIso(Number.NaN)).toBe('NaN');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('Infinity µs');
    expect(formatDuration(1e30)).toMatch(/ s$/);
  });

  it('a live finding with an absurd time still renders', () => {
    const f = JSON.parse(readFileSync(join(ROOT, 'test/golden/same-port-drop-aaaa-client.json'), 'utf8')).findings[0];
    expect(() => renderLiveFinding({ ...f, start: 1e20, impact: { ...f.impact, delayMicros: 1e30 } }, false)).not.toThrow();
  });
});

describe('dualscope dump and schema', () => {
  it('dump prints one line per packet, and --ndjson one object per packet', () => {
    const text = run(['dump', SAMPLE]);
    expect(text.status).toBe(0);
    const lines = text.stdout.trim().split('\n');
    const nd = run(['dump', SAMPLE, '--ndjson']);
    const objects = nd.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(objects).toHaveLength(lines.length);
    expect(objects[0].frame).toBe(1);
    expect(lines[0]).toMatch(/^1 \d+\.\d{6} IP6? /);
    expect(lines.some((l) => / dns \d+ AAAA\? www\.example\.test/.test(l))).toBe(true);
    expect(run(['dump', SAMPLE, '-c', '3']).stdout.trim().split('\n')).toHaveLength(3);
  });

  it('schema prints the JSON Schema of the report', () => {
    const r = run(['schema']);
    const schema = JSON.parse(r.stdout);
    expect(schema.properties.schemaVersion).toBeDefined();
    expect(schema.properties.findings.type).toBe('array');
  });
});
