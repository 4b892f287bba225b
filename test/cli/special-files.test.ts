// Issue 18 items 3–5 as users meet them through the built CLI: a pcapng flood within the gzip
// limits stays within a small heap; --json/--html never replace a device, a FIFO or a symlink;
// a named pipe as input is opened once and read to its end.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_INTERFACES } from '../../src/readers/formats.js';
import { gzippedFlood } from '../support/floods.js';
import { CLI, ROOT, requireBuiltCli, runCli, type CliResult } from '../support/cli.js';

const SAMPLE = join(ROOT, 'samples/same-port-drop-aaaa-client.pcap');
const isRoot = process.getuid?.() === 0;
let tmp: string;

const run = (args: string[], nodeArgs: string[] = []): CliResult => runCli(args, { cwd: tmp, nodeArgs, timeout: 120_000 });

beforeAll(() => {
  requireBuiltCli();
  tmp = mkdtempSync(join(tmpdir(), 'dualscope-special-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('a pcapng flood does not exhaust memory (item 3)', () => {
  it('two million Interface Description Blocks (40 MB inflated) analyse within a 64 MB heap, the excess noted', () => {
    const file = join(tmp, 'idb-flood.pcapng.gz');
    writeFileSync(file, gzippedFlood('interfaces', 2_000_000));
    const r = run(['analyze', file, '--json', join(tmp, 'idb-flood.json'), '--no-write', '--quiet'], ['--max-old-space-size=64']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(tmp, 'idb-flood.json'), 'utf8'));
    expect(report.capture.interfaces).toBe(MAX_INTERFACES);
    expect(report.anomalies['pcapng.table_limit']).toBe(2_000_001 - MAX_INTERFACES);
    expect(report.capture.packets).toBe(2);
  });
});

describe('--json/--html never replace what is not a regular file (item 4)', () => {
  it('/dev/null stays a character device (--force, as any user)', () => {
    const before = statSync('/dev/null');
    const r = run(['analyze', SAMPLE, '--json', '/dev/null', '--force', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const after = statSync('/dev/null');
    expect(after.isCharacterDevice()).toBe(true);
    expect(after.ino).toBe(before.ino);
  });

  it('a FIFO is written through (a reader gets the report) and stays a FIFO', async () => {
    const fifo = join(tmp, 'report.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const reader = spawn('cat', [fifo]);
    let got = '';
    reader.stdout.on('data', (d: Buffer) => (got += d.toString()));
    const closed = new Promise((r) => reader.on('close', r));
    const r = run(['analyze', SAMPLE, '--json', fifo, '--force', '--quiet']);
    await closed;
    expect(r.status, r.stderr).toBe(0);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(JSON.parse(got).capture.packets).toBeGreaterThan(0);
  });

  it('a symlink to a file stays a symlink: the file it names gets the report', () => {
    const real = join(tmp, 'real.json');
    const link = join(tmp, 'link.json');
    writeFileSync(real, 'old');
    symlinkSync(real, link);
    const r = run(['analyze', SAMPLE, '--json', link, '--force', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(real);
    expect(JSON.parse(readFileSync(real, 'utf8')).capture.packets).toBeGreaterThan(0);
  });

  it('a symlink to /dev/stdout (as /dev/stdout itself is) writes through; `-` is standard output', () => {
    const link = join(tmp, 'stdout-link.json');
    symlinkSync('/dev/stdout', link);
    const viaLink = run(['analyze', SAMPLE, '--json', link, '--force', '--quiet']);
    expect(viaLink.status, viaLink.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(JSON.parse(viaLink.stdout).capture.packets).toBeGreaterThan(0);
    const dash = run(['analyze', SAMPLE, '--json', '-']);
    expect(dash.status, dash.stderr).toBe(0);
    expect(JSON.parse(dash.stdout).capture.packets).toBeGreaterThan(0); // the summary went to stderr
    expect(dash.stderr).toContain('dns.same_port_reply_drop');
    expect(existsSync(join(tmp, '-'))).toBe(false);
  });

  it('a dangling symlink is refused in one line and left as it was', () => {
    const link = join(tmp, 'dangling.json');
    symlinkSync(join(tmp, 'missing/nowhere.json'), link);
    const r = run(['analyze', SAMPLE, '--json', link, '--force', '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')[0]).toMatch(/cannot write .*dangling\.json: it is a symlink to nothing usable/);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it.skipIf(!isRoot)('as root, --force on /dev/null leaves /dev with no temporary file', () => {
    const r = run(['analyze', SAMPLE, '--json', '/dev/null', '--force', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(spawnSync('sh', ['-c', 'ls /dev | grep -c "null.tmp-" || true'], { encoding: 'utf8' }).stdout.trim()).toBe('0');
  });
});

describe('a named pipe as input (item 5)', () => {
  it('is opened once and read to its end: the writer is not hung up on, the analysis ends', async () => {
    const fifo = join(tmp, 'input.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const writer = spawn('sh', ['-c', `cat "${SAMPLE}" > "${fifo}"`]);
    const writerDone = new Promise<number | null>((r) => writer.on('close', r));
    const cli = spawn(process.execPath, [CLI, 'analyze', fifo, '--json', join(tmp, 'fifo.json'), '--no-write', '--quiet'], { cwd: tmp });
    let stderr = '';
    cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // A hang is the failure: give up after 60 s rather than waiting for vitest's own timeout.
    const killer = setTimeout(() => { cli.kill('SIGKILL'); writer.kill('SIGKILL'); }, 60_000);
    const status = await new Promise<number | null>((r) => cli.on('close', r));
    clearTimeout(killer);
    expect(status, stderr).toBe(0);
    expect(await writerDone).toBe(0); // no EPIPE
    const expected = JSON.parse(run(['analyze', SAMPLE, '--json', '-', '--quiet']).stdout);
    expect(JSON.parse(readFileSync(join(tmp, 'fifo.json'), 'utf8')).capture.packets).toBe(expected.capture.packets);
  }, 90_000);
});
