// The built `dualscope` executable as users run it: exit statuses, one-line errors without stack
// traces, the output folder, stdin, strictness on damaged files, and hostile names kept harmless.
// Runs dist/ (npm test builds it first).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeHostileCapture } from '../support/hostile-capture.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'dist/src/cli/main.js');
const SAMPLE = join(ROOT, 'samples/same-port-drop-aaaa-client.pcap');
const CONTROL = join(ROOT, 'samples/same-port-drop-reopen-client.pcapng');
let tmp: string;

function run(args: string[], input?: Buffer): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: tmp, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A user error: exit 2, exactly one line on stderr, no stack trace. */
function expectOneLineError(r: { status: number | null; stderr: string }, pattern: RegExp): void {
  expect(r.status).toBe(2);
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('(run with --help'));
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error('dist/ is missing: run `npm test` (it builds) or `npm run build`');
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
  });

  it('--fail-on sets exit status 1 only when a finding reaches that severity', () => {
    const withDrop = run(['analyze', SAMPLE, '--no-write', '--quiet', '--fail-on', 'warning']);
    expect(withDrop.status).toBe(1);
    expect(withDrop.stdout).toBe('');
    expect(run(['analyze', CONTROL, '--no-write', '--quiet', '--fail-on', 'warning']).status).toBe(0);
    expect(run(['analyze', SAMPLE, '--no-write', '--quiet']).status).toBe(0);
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
