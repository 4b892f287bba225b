// `dualscope anonymize` as users run it (dist/): the key file, the same mapping across files,
// damaged input, and one-line errors.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tsharkFields, tsharkPresent } from '../support/tshark.js';
import { expectOneLineError } from '../support/cli.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'dist/src/cli/main.js');
const CLIENT = join(ROOT, 'samples/aaaa-unanswered-recursive-client.pcap');
const RESOLVER = join(ROOT, 'samples/aaaa-unanswered-recursive-resolver.pcapng');
let tmp: string;

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error('dist/ is missing: run `npm test` (it builds) or `npm run build`');
  tmp = mkdtempSync(join(tmpdir(), 'i19-anonymize-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const addressesIn = (file: string): Set<string> => new Set(tsharkFields(file, ['ip.addr', 'ipv6.addr']).flat(2));

describe('anonymize', () => {
  it('creates the key file (0600) once, and the same key gives the same bytes', () => {
    const r = run(['anonymize', CLIENT, '-o', 'a.pcap', '--key-file', 'k']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^anonymize: a\.pcap: 14 packet\(s\) from .*, key k \(created\)\n$/);
    expect(statSync(join(tmp, 'k')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(tmp, 'k'), 'utf8')).toMatch(/^(#.*\n)+[0-9a-f]{64}\n$/);
    expect(run(['anonymize', CLIENT, '-o', 'b.pcap', '--key-file', 'k']).stdout).toMatch(/key k\n$/);
    expect(readFileSync(join(tmp, 'a.pcap')).equals(readFileSync(join(tmp, 'b.pcap')))).toBe(true);
    // pcap stays pcap: the same header, the same length (payloads are zeroed, never cut).
    expect(readFileSync(join(tmp, 'a.pcap')).length).toBe(readFileSync(CLIENT).length);
    expect(readFileSync(join(tmp, 'a.pcap')).subarray(0, 24).equals(readFileSync(CLIENT).subarray(0, 24))).toBe(true);
  });

  it('another key gives another mapping; no key gives a one-time one', () => {
    writeFileSync(join(tmp, 'k2'), `# another\n${'ab'.repeat(32)}\n`);
    expect(run(['anonymize', CLIENT, '-o', 'c.pcap', '--key-file', 'k2']).status).toBe(0);
    expect(readFileSync(join(tmp, 'a.pcap')).equals(readFileSync(join(tmp, 'c.pcap')))).toBe(false);
    const r = run(['anonymize', CLIENT, '-o', 'd.pcap']);
    expect(r.stdout).toMatch(/one-time key/);
  });

  it.runIf(tsharkPresent)('maps the addresses two capture points share the same way in both', () => {
    expect(run(['anonymize', RESOLVER, '-o', 'r.pcapng', '--key-file', 'k']).status).toBe(0);
    const resolver = addressesIn(RESOLVER);
    const resolverCopy = addressesIn(join(tmp, 'r.pcapng'));
    const before = [...addressesIn(CLIENT)].filter((a) => resolver.has(a));
    const after = [...addressesIn(join(tmp, 'a.pcap'))].filter((a) => resolverCopy.has(a));
    expect(before.length).toBeGreaterThan(0);
    expect(after.length).toBe(before.length);
    for (const a of before) expect(after).not.toContain(a);
  }, 180_000);

  it('copies everything before the damage of a truncated capture and says so in one line', () => {
    const whole = readFileSync(CLIENT);
    writeFileSync(join(tmp, 'cut.pcap'), whole.subarray(0, whole.length - 30));
    const r = run(['anonymize', 'cut.pcap', '-o', 'cut-anon.pcap']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^dualscope: warning: cut\.pcap ends inside a record: \d+ byte\(s\) after the last good record skipped; the 13 packet\(s\) before are in the copy\n$/);
    expect(r.stdout).toMatch(/13 packet\(s\)/);
    const strict = run(['anonymize', 'cut.pcap', '-o', 'cut-anon.pcap', '--force', '--strict']);
    expect(strict.status).toBe(2);
    expect(existsSync(join(tmp, 'cut-anon.pcap'))).toBe(true);
  });

  it('refuses bad input and options in one line each, leaving no file behind', () => {
    writeFileSync(join(tmp, 'not.pcap'), 'hello, this is not a capture at all');
    expectOneLineError(run(['anonymize', 'not.pcap', '-o', 'x.pcap']), /not a pcap or pcapng capture/);
    expect(existsSync(join(tmp, 'x.pcap'))).toBe(false);
    expectOneLineError(run(['anonymize', 'missing.pcap', '-o', 'x.pcap']), /missing\.pcap: no such file/);
    expectOneLineError(run(['anonymize', CLIENT, '-o', 'a.pcap']), /a\.pcap exists; use --force/);
    expectOneLineError(run(['anonymize', CLIENT, '-o', CLIENT, '--force']), /not the capture/);
    writeFileSync(join(tmp, 'badkey'), 'not hex\n');
    expectOneLineError(run(['anonymize', CLIENT, '-o', 'y.pcap', '--key-file', 'badkey']), /badkey is not a dualscope key file/);
    expectOneLineError(run(['anonymize', CLIENT]), /-o\/--output|required option/);
    expect(existsSync(join(tmp, 'y.pcap'))).toBe(false);
  });
});
