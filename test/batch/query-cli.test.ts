// `dualscope query` over an index that `dualscope batch` wrote from real lab captures: each filter
// against what the captures hold, the three formats, and bad input as one line.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROOT, requireBuiltCli, runCli, type CliResult } from '../support/cli.js';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 }); // several CLI runs each, on a shared machine

let tmp: string;
let index: string;

const run = (args: string[]): CliResult => runCli(args, { cwd: tmp });
const query = (...args: string[]): { kind: string; client: string; server: string; names: string[]; file: string; severity: string; time: string }[] => {
  const r = run(['query', index, '--format', 'json', ...args]);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as never;
};

beforeAll(() => {
  requireBuiltCli();
  tmp = mkdtempSync(join(tmpdir(), 'dualscope-query-'));
  const dir = join(tmp, 'captures');
  mkdirSync(dir);
  // same-port drop (2001:db8:1::10 → 2001:db8:2::53), an RFC 6303 leak (fd00:…), a v4 blackhole (192.0.2.x / 198.51.100.x)
  for (const s of ['same-port-drop-aaaa-client.pcap', 'rfc6303-leak-client.pcap', 'pmtud-v4-blackhole-server.pcap']) copyFileSync(join(ROOT, 'samples', s), join(dir, s));
  index = join(tmp, 'index.sqlite');
  const r = run(['batch', dir, '--index', index, '--no-write', '-q']);
  expect(r.status, r.stderr).toBe(0);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('dualscope query', () => {
  it('lists every finding by time, and filters by kind (exact or layer) and severity', () => {
    const all = query();
    expect(all.length).toBeGreaterThanOrEqual(4);
    expect(all.map((f) => f.time)).toEqual([...all.map((f) => f.time)].sort());
    expect(query('--kind', 'path').every((f) => f.kind.startsWith('path.'))).toBe(true);
    expect(query('--kind', 'path').length).toBeGreaterThan(0);
    expect(query('--kind', 'dns.same_port_reply_drop,dns.local_zone_leak').map((f) => f.kind).sort()).toEqual(
      all.filter((f) => f.kind === 'dns.same_port_reply_drop' || f.kind === 'dns.local_zone_leak').map((f) => f.kind).sort(),
    );
    expect(query('--severity', 'error').every((f) => f.severity === 'error')).toBe(true);
    expect(query('--severity', 'warning').every((f) => f.severity !== 'info')).toBe(true);
  });

  it('filters by host (address in any spelling, or prefix), by name (and names below it) and by time', () => {
    const all = query();
    const client = all.find((f) => f.kind === 'dns.same_port_reply_drop')!.client;
    expect(client).toMatch(/:/);
    const byAddr = query('--host', client.toUpperCase().replace('::', ':0::'));
    expect(byAddr.length).toBeGreaterThan(0);
    expect(byAddr.every((f) => f.client === client || f.server === client)).toBe(true);
    const ula = query('--host', 'fc00::/7');
    expect(ula.length).toBeGreaterThan(0);
    expect(ula.every((f) => f.client.startsWith('fd') || f.server.startsWith('fd'))).toBe(true);
    expect(query('--host', '10.0.0.0/8')).toEqual([]);
    const named = all.find((f) => f.names.length > 0)!;
    const parent = named.names[0]!.split('.').slice(1).join('.');
    expect(query('--name', parent).some((f) => f.names.includes(named.names[0]!))).toBe(true);
    expect(query('--name', `x${named.names[0]!}`)).toEqual([]);
    const t = all[1]!.time;
    expect(query('--since', t).every((f) => f.time >= t)).toBe(true);
    expect(query('--until', t).every((f) => f.time < t)).toBe(true);
    expect(query('--since', t).length + query('--until', t).length).toBe(all.length);
  });

  it('prints a table and CSV, and lists files', () => {
    const table = run(['query', index]);
    expect(table.stdout.split('\n')[0]).toMatch(/^time\s+severity\s+kind/);
    expect(table.stdout).toMatch(/\n\d+ findings\n$/);
    const csv = run(['query', index, '--format', 'csv', '--kind', 'dns']);
    const lines = csv.stdout.trim().split('\r\n');
    expect(lines[0]).toBe('time,severity,kind,client,server,names,file,frames,summary');
    expect(lines.length).toBe(query('--kind', 'dns').length + 1);
    const files = run(['query', index, '--files', '--format', 'json']);
    expect((JSON.parse(files.stdout) as { status: string }[]).map((f) => f.status)).toEqual(['done', 'done', 'done']);
  });

  it('refuses a bad filter or a missing index in one line (exit 2)', () => {
    for (const args of [['--host', 'example.com'], ['--host', '2001:db8::/129'], ['--since', 'yesterday'], ['--severity', 'fatal'], ['--format', 'xml']]) {
      const r = run(['query', index, ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('(run with'))).toHaveLength(1);
    }
    const missing = run(['query', join(tmp, 'nope.sqlite')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no such index/);
  });
});
