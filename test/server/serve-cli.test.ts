// `dualscope serve` options: sizes, ports, and the refusal to listen beyond loopback without a token.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseOptions } from '../../src/cli/options.js';
import { parseByteSize, runServe, ServeCliOptions } from '../../src/cli/serve-command.js';
import { main } from '../../src/cli/program.js';
import { UsageError } from '../../src/core/index.js';
import { isLoopbackHost } from '../../src/server/index.js';

const parse = (raw: Record<string, unknown>) => parseOptions(ServeCliOptions, raw);

describe('serve options', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reads sizes with binary units', () => {
    expect(parseByteSize('2GB')).toBe(2 * 1024 ** 3);
    expect(parseByteSize('500MB')).toBe(500 * 1024 ** 2);
    expect(parseByteSize('64KiB')).toBe(65536);
    expect(parseByteSize('1.5m')).toBe(1.5 * 1024 ** 2);
    expect(parseByteSize('1048576')).toBe(1048576);
    for (const bad of ['', 'GB', '-1MB', '0', '2 TB', '1e9', '5 parsecs']) expect(parseByteSize(bad), bad).toBeUndefined();
  });

  it('has the documented defaults', () => {
    expect(parse({})).toEqual({ port: 8080, host: '127.0.0.1', data: 'dualscope-data', maxUpload: 2 * 1024 ** 3, workers: 2 });
  });

  it('refuses a non-loopback --host without --token-file, in one line', () => {
    expect(() => parse({ host: '0.0.0.0' })).toThrow(UsageError);
    expect(() => parse({ host: '0.0.0.0' })).toThrow(/needs --token-file/);
    expect(() => parse({ host: '192.0.2.7' })).toThrow(/needs --token-file/);
    expect(parse({ host: '0.0.0.0', tokenFile: 't' }).host).toBe('0.0.0.0');
    for (const h of ['127.0.0.1', '127.0.0.2', '::1', '[::1]', 'localhost']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.org', '127.example.org']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('names the option in errors', () => {
    expect(() => parse({ port: '70000' })).toThrow(/--port must be 0\.\.65535/);
    expect(() => parse({ maxUpload: 'lots' })).toThrow(/--max-upload must be a size/);
    expect(() => parse({ workers: '0' })).toThrow(/--workers must be at least 1/);
  });

  it('refuses a missing or short token file before listening', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dualscope-token-'));
    writeFileSync(join(dir, 'short'), 'abc\n');
    await expect(runServe(parse({ tokenFile: join(dir, 'short'), port: '0', data: join(dir, 'data') }))).rejects.toThrow(/at least 16 characters/);
    await expect(runServe(parse({ tokenFile: join(dir, 'missing'), port: '0', data: join(dir, 'data') }))).rejects.toThrow(/cannot read it \(ENOENT\)/);
  });

  it('is a dualscope command: a usage error exits 2 with one line', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await main(['serve', '--host', '0.0.0.0'])).toBe(2);
    const text = err.mock.calls.map((c) => String(c[0])).join('');
    expect(text).toMatch(/^dualscope: .*--token-file/);
    expect(text.trim().split('\n')).toHaveLength(1);
  });
});
