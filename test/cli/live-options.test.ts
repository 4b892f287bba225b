// `dualscope live` without a network: option validation, the one-line messages for a missing capture
// tool, privilege, interface or filter (from the tools' real stderr), drop counts, the argv given to
// the backend, and the exit status of the built CLI when no backend is on PATH.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/index.js';
import { finalRecords, LiveCliOptions, runLive, type LiveIo } from '../../src/cli/live-command.js';
import { parseOptions } from '../../src/cli/options.js';
import type { Report } from '../../src/report/index.js';
import { backendArgs, classifyFailure, findBackend, LiveCaptureError, parseDrops, type LiveBackend } from '../../src/readers/live.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = join(ROOT, 'dist/src/cli/main.js');
const tmp = mkdtempSync(join(tmpdir(), 'dualscope-live-opts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const parse = (raw: Record<string, unknown>) => parseOptions(LiveCliOptions, raw);
const usage = (raw: Record<string, unknown>): string => {
  try {
    parse(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(raw)}`);
};

describe('live options', () => {
  it('accepts a full command line and fills defaults', () => {
    const o = parse({ interface: 'eth0', filter: 'udp port 53', duration: '90', write: 'x.pcapng', json: 'x.json', failOn: 'warning', ndjson: true, dnsTimeout: '2' });
    expect(o).toMatchObject({ interface: 'eth0', filter: 'udp port 53', duration: 90, dnsTimeout: 2, backend: 'auto', list: false, force: false, color: true });
  });

  it('needs -i unless --list', () => {
    expect(usage({})).toBe('--interface is required: dualscope live -i IFACE (dualscope live --list shows the interfaces)');
    expect(parse({ list: true }).list).toBe(true);
  });

  it.each([
    [{ interface: 'eth0', duration: '0' }, '--duration must be above 0'],
    [{ interface: 'eth0', duration: '-5' }, '--duration must be above 0'],
    [{ interface: 'eth0', duration: 'soon' }, '--duration must be a number of seconds'],
    [{ interface: 'eth0', duration: String(8 * 24 * 3600) }, '--duration must be at most 604800 s'],
    [{ interface: 'eth0', dnsTimeout: '0' }, '--dns-timeout must be above 0'],
    [{ interface: '-w' }, '--interface must not start with "-"'],
    [{ interface: 'eth 0' }, '--interface must not contain spaces'],
    [{ interface: '' }, '--interface must name an interface'],
    [{ interface: 'eth0', filter: '' }, '--filter must not be empty'],
    [{ interface: 'eth0', failOn: 'fatal' }, '--fail-on must be one of info, warning, error'],
    [{ interface: 'eth0', backend: 'cap' }, '--backend must be one of auto, dumpcap, tcpdump'],
    [{ interface: 'eth0', write: 'same', json: 'same' }, '--write, --json and --html must name different files'],
  ])('rejects %j with one line', (raw, message) => {
    const m = usage(raw);
    expect(m).toBe(message);
    expect(m).not.toContain('\n');
  });

  it('refuses to overwrite an output file without --force', async () => {
    const existing = join(tmp, 'exists.pcapng');
    writeFileSync(existing, '');
    await expect(runLive(parse({ interface: 'lo', write: existing }), silentIo(''))).rejects.toThrow(`${existing} exists; use --force to overwrite it`);
  });
});

function silentIo(searchPath: string): LiveIo & { err: string[]; out: string[] } {
  const err: string[] = [];
  const out: string[] = [];
  return {
    err,
    out,
    stdout: { write: (s: string) => (out.push(s), true) } as unknown as LiveIo['stdout'],
    stderr: { write: (s: string) => (err.push(s), true) } as unknown as LiveIo['stderr'],
    onStopSignal: () => () => {},
    searchPath,
  };
}

describe('missing capture tool', () => {
  it('findBackend names what to install, in one line', () => {
    let e: unknown;
    try {
      findBackend('auto', tmp);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(LiveCaptureError);
    expect((e as LiveCaptureError).code).toBe('no_backend');
    expect((e as Error).message).toMatch(/neither dumpcap nor tcpdump.*apt-get install wireshark-common.*tcpdump/);
    expect((e as Error).message).not.toContain('\n');
    expect(() => findBackend('tcpdump', tmp)).toThrow('install tcpdump');
  });

  it('finds an executable on the search path, preferring dumpcap', () => {
    const bin = mkdtempSync(join(tmp, 'bin-'));
    for (const n of ['tcpdump', 'dumpcap']) writeFileSync(join(bin, n), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(bin, 'not-exec'), '', { mode: 0o644 });
    expect(findBackend('auto', bin)).toEqual({ name: 'dumpcap', path: join(bin, 'dumpcap'), format: 'pcapng' });
    expect(findBackend('tcpdump', bin)).toEqual({ name: 'tcpdump', path: join(bin, 'tcpdump'), format: 'pcap' });
    rmSync(join(bin, 'dumpcap'));
    expect(findBackend('auto', bin).name).toBe('tcpdump');
  });

  it('runLive prints one line and returns 2', async () => {
    const io = silentIo(tmp);
    expect(await runLive(parse({ interface: 'lo' }), io)).toBe(2);
    expect(io.err.join('')).toMatch(/^dualscope: live capture needs a capture tool and neither dumpcap nor tcpdump is on PATH: [^\n]*\n$/);
    expect(io.out).toEqual([]);
  });

  it.skipIf(!existsSync(MAIN))('the built CLI: one line on stderr, exit 2, no stack trace', () => {
    const r = spawnSync(process.execPath, [MAIN, 'live', '-i', 'lo'], { encoding: 'utf8', env: { ...process.env, PATH: tmp } });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('neither dumpcap nor tcpdump is on PATH');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('backend messages and statistics', () => {
  const dumpcap: LiveBackend = { name: 'dumpcap', path: '/usr/bin/dumpcap', format: 'pcapng' };
  const tcpdump: LiveBackend = { name: 'tcpdump', path: '/usr/bin/tcpdump', format: 'pcap' };

  // stderr of dumpcap 4.0.17 and tcpdump 4.99.3 (libpcap 1.10.3), as captured on Debian 12.
  it.each([
    [dumpcap, 'Capturing on \'nosuch0\'\ndumpcap: There is no device named "nosuch0".\n(No such device exists)\n', 'no_interface'],
    [tcpdump, 'tcpdump: nosuch0: No such device exists\n(No such device exists)\n', 'no_interface'],
    [dumpcap, 'Capturing on \'Loopback: lo\'\ndumpcap: You do not have permission to capture on device "lo".\n(socket: Operation not permitted)\nPlease check to make sure you have sufficient permissions.\n', 'no_permission'],
    [tcpdump, "tcpdump: lo: You don't have permission to perform this capture on that device\n(socket: Operation not permitted)\n", 'no_permission'],
    [dumpcap, 'Capturing on \'Loopback: lo\'\ndumpcap: Invalid capture filter "port 53 and" for interface \'lo\'.\n\nThat string isn\'t a valid capture filter (can\'t parse filter expression: syntax error).\n', 'bad_filter'],
    [tcpdump, 'tcpdump: can\'t parse filter expression: syntax error\n', 'bad_filter'],
    [dumpcap, 'Capturing on \'eth0\'\ndumpcap: something new went wrong\n', 'backend_failed'],
  ] as const)('%s: classifies %j as %s', (backend, stderr, code) => {
    const e = classifyFailure(backend, backend === dumpcap ? 'nosuch0' : 'lo', 'port 53 and', stderr, 'exited with status 1');
    expect(e.code).toBe(code);
    expect(e.message).not.toContain('\n');
    if (code === 'no_permission') expect(e.message).toContain(`run as root, or give ${backend.path} the capabilities: setcap cap_net_raw,cap_net_admin=eip`);
    if (code === 'backend_failed') expect(e.message).toBe('dumpcap exited with status 1: dumpcap: something new went wrong');
  });

  it('reads drops from the summaries on stderr', () => {
    expect(parseDrops('dumpcap', "Capturing on 'exva'\nFile: -\nPackets captured: 15\nPackets received/dropped on interface 'exva': 15/3 (pcap:3/dumpcap:0/flushed:0/ps_ifdrop:0) (100.0%)\n")).toBe(3);
    expect(parseDrops('tcpdump', '120 packets captured\n130 packets received by filter\n10 packets dropped by kernel\n2 packets dropped by interface\n')).toBe(12);
    expect(parseDrops('tcpdump', '5 packets captured\n5 packets received by filter\n0 packets dropped by kernel\n')).toBe(0);
    expect(parseDrops('dumpcap', "Capturing on 'eth0'\n")).toBeUndefined();
  });

  it('passes interface and filter as single argv elements, never as options', () => {
    expect(backendArgs('dumpcap', 'eth0', '-w /etc/passwd')).toEqual(['-i', 'eth0', '-n', '-q', '-w', '-', '-f', '-w /etc/passwd']);
    const t = backendArgs('tcpdump', 'eth0', '-w /etc/passwd');
    expect(t.slice(-2)).toEqual(['--', '-w /etc/passwd']);
    expect(t).toContain('--immediate-mode');
    expect(backendArgs('tcpdump', 'eth0', undefined)).not.toContain('--');
  });
});

// A fake capture tool: a `dumpcap` that writes a sample to stdout and exits, first on PATH. The
// built CLI then runs exactly as on a real interface, with the sample as what arrived.
const DEMO = join(ROOT, 'samples/demo.pcapng');
function fakeDumpcap(sample: string): string {
  const bin = mkdtempSync(join(tmp, 'fakebin-'));
  writeFileSync(join(bin, 'dumpcap'), `#!/bin/sh\necho "Capturing on '$2'" >&2\ncat '${sample}'\n`, { mode: 0o755 });
  return bin;
}
const runCli = (args: string[], bin: string) =>
  spawnSync(process.execPath, [MAIN, ...args], { cwd: tmp, encoding: 'utf8', timeout: 30_000, env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, NO_COLOR: '1' } });
/** The incident ids `analyze` finds in the same capture: what live must show too. */
const analyzedIds = (): string[] => analyzed().findings.map((f) => f.id);
const analyzed = (): { findings: { id: string; occurrences: { id: string }[] }[] } => {
  const r = spawnSync(process.execPath, [MAIN, 'analyze', DEMO, '--json', join(tmp, 'demo-analyze.json'), '--force', '-q'], { cwd: tmp, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(readFileSync(join(tmp, 'demo-analyze.json'), 'utf8')) as { findings: { id: string; occurrences: { id: string }[] }[] };
};
// demo.pcapng: 9 occurrences (two RFC 6303 leaks and two same-port drops on one pair) in 7 incidents.

describe.skipIf(!existsSync(MAIN))('live with a fake capture tool (built CLI)', () => {
  it('-q prints every incident analyze reports once, and each further occurrence as a one-line update', () => {
    const expected = analyzedIds();
    expect(expected.length).toBe(7);
    const r = runCli(['live', '-i', 'lo', '-q', '--fail-on', 'info'], fakeDumpcap(DEMO));
    expect(r.status, r.stderr).toBe(1);
    const printed = [...r.stdout.matchAll(/^ {2}\[([^\]]+)\]$/gm)].map((m) => m[1]);
    expect(printed.sort()).toEqual([...expected].sort());
    const updates = [...r.stdout.matchAll(/ ×(\d+) \((\d+) clients?\): .* \[([^\]]+)\]$/gm)].map((m) => `${m[3]} ×${m[1]}`);
    expect(updates.sort()).toEqual(['dns.local_zone_leak@fd00:1::53/d.f.ip6.arpa. ×2', 'dns.same_port_reply_drop@2001:db8:2::53 ×2']);
    expect(r.stdout).not.toMatch(/\d+ incidents? \(/); // no summary with -q
  });

  it('without -q, findings only known at the end are left to the summary (printed once)', () => {
    const r = runCli(['live', '-i', 'lo'], fakeDumpcap(DEMO));
    expect(r.status, r.stderr).toBe(0);
    const [before, summary] = r.stdout.split(/^dualscope \S+: /m);
    expect(summary).toMatch(/7 incidents \(9 occurrences\):/);
    for (const id of analyzedIds()) expect(`${before}${summary}`).toContain(id);
    expect([...before!.matchAll(/^ {2}\[([^\]]+)\]$/gm)].length).toBeLessThan(7);
  });

  it('--ndjson: every occurrence as it comes with its incident\'s update, then each incident with "final": true; only JSON on stdout', () => {
    const analysis = analyzed();
    const expected = analysis.findings.map((f) => f.id);
    const r = runCli(['live', '-i', 'lo', '--ndjson', '-q'], fakeDumpcap(DEMO));
    expect(r.status, r.stderr).toBe(0);
    type Line = { id?: string; final?: boolean; withdrawn?: string; incident?: { id: string; count: number; fresh: boolean; clients: number; lastSeen: number } };
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
    const occurrenceLines = lines.filter((l) => l.final === undefined && l.withdrawn === undefined);
    const announced = occurrenceLines.map((l) => l.id);
    const finals = lines.filter((l) => l.final === true);
    expect([...announced].sort()).toEqual(analysis.findings.flatMap((f) => f.occurrences.map((o) => o.id)).sort());
    // The update of a known incident: same incident id, its count one higher, not fresh.
    const seen = new Map<string, number>();
    for (const l of occurrenceLines) {
      const before = seen.get(l.incident!.id) ?? 0;
      expect(l.incident!.fresh).toBe(before === 0);
      expect(l.incident!.count).toBe(before + 1);
      seen.set(l.incident!.id, before + 1);
    }
    expect([...seen.keys()].sort()).toEqual([...expected].sort());
    expect(finals.map((f) => f.id)).toEqual(expected); // the report's order
    expect(lines.indexOf(finals[0]!)).toBe(announced.length); // the final state comes last
    expect(lines.filter((l) => l.withdrawn !== undefined)).toEqual([]);
    const report = JSON.parse(readFileSync(join(tmp, 'demo-analyze.json'), 'utf8')) as { findings: object[] };
    expect(finals.map(({ final: _, ...f }) => f)).toEqual(report.findings);
  });

  it('--ndjson with the summary: the summary goes to stderr, stdout stays JSON', () => {
    const r = runCli(['live', '-i', 'lo', '--ndjson'], fakeDumpcap(DEMO));
    expect(r.status, r.stderr).toBe(0);
    for (const l of r.stdout.trim().split('\n')) expect(() => JSON.parse(l)).not.toThrow();
    expect(r.stderr).toMatch(/7 incidents \(9 occurrences\):/);
  });

  it('report paths are checked before the capture starts: a folder, /proc: one line, exit 2', () => {
    const bin = fakeDumpcap(DEMO);
    const dir = join(tmp, 'json-folder');
    mkdirSync(dir, { recursive: true });
    for (const [args, pattern] of [
      [['--json', dir, '--force'], /json-folder: it is a folder/],
      [['--html', '/proc/dualscope-nope/x.html'], /\/proc is a kernel file system/],
      [['--write', dir, '--force'], /json-folder: it is a folder/],
    ] as const) {
      const r = runCli(['live', '-i', 'lo', ...args], bin);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).not.toContain('capturing on');
      expect(r.stdout).toBe('');
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('writes --json at the end, creating its folder', () => {
    const json = join(tmp, 'live-out', 'sub', 'r.json');
    const r = runCli(['live', '-i', 'lo', '-q', '--json', json], fakeDumpcap(DEMO));
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(json, 'utf8')).findings.length).toBe(7);
    expect(readdirSync(dirname(json))).toEqual(['r.json']);
  });
});

describe('--ndjson final records', () => {
  const incident = (id: string, occurrences: string[]) => ({ id, kind: id.split('@')[0], count: occurrences.length, occurrences: occurrences.map((o) => ({ id: o })) }) as unknown as Report['findings'][number];

  it('restates every incident of the report with "final": true, then withdraws the occurrences it no longer holds', () => {
    const report = { findings: [incident('dns.aaaa_unanswered@2001:db8:2::53/unanswered', ['dns.aaaa_unanswered:1']), incident('dns.resolver_profile@x', ['dns.resolver_profile:1'])] };
    const lines = finalRecords(report, new Set(['dns.aaaa_unanswered:1', 'dns.slow_lookup:7'])).map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { id: 'dns.aaaa_unanswered@2001:db8:2::53/unanswered', kind: 'dns.aaaa_unanswered', count: 1, occurrences: [{ id: 'dns.aaaa_unanswered:1' }], final: true },
      { id: 'dns.resolver_profile@x', kind: 'dns.resolver_profile', count: 1, occurrences: [{ id: 'dns.resolver_profile:1' }], final: true },
      { withdrawn: 'dns.slow_lookup:7' },
    ]);
  });
});
