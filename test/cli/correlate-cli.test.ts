// `dualscope correlate` as users run it (dist/): reports written, labels, exit statuses, one-line
// errors, and the version-2 schema next to the unchanged version-1 one.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorrelatedReport } from '../../src/report/correlation/index.js';
import { Report } from '../../src/report/index.js';
import { type CliResult, expectOneLineError, requireBuiltCli, ROOT, runCli } from '../support/cli.js';

const CLIENT = join(ROOT, 'samples/same-port-drop-a-client.pcap');
const RESOLVER = join(ROOT, 'samples/same-port-drop-a-resolver.pcap');
let tmp: string;

const run = (args: string[]): CliResult => runCli(args, { cwd: tmp });

beforeAll(() => {
  requireBuiltCli();
  tmp = mkdtempSync(join(tmpdir(), 'dualscope-correlate-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('dualscope correlate', () => {
  it('prints one line per point and each finding’s location, and writes JSON v2 and the ladder', () => {
    const r = run(['correlate', CLIENT, RESOLVER, '--label', `${CLIENT}=client`, '--label', `${RESOLVER}=resolver`, '--generated-at', '2026-01-01T00:00:00Z']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {2}client: reference clock; 14 of 18 IP packets matched$/m);
    expect(r.stdout).toMatch(/^ {2}resolver: offset [−+][\d.]+ µs ± [\d.]+ µs; 14 of 24 IP packets matched$/m);
    expect(r.stdout).toMatch(/dns\.same_port_reply_drop \[proved\] between resolver and client/);
    const json = JSON.parse(readFileSync(join(tmp, 'reports/same-port-drop-a-client-correlated.json'), 'utf8'));
    expect(json.schemaVersion).toBe(2);
    expect(() => CorrelatedReport.parse(json)).not.toThrow();
    expect(Report.safeParse(json).success).toBe(false); // a v2 file is not a v1 report
    expect(readFileSync(join(tmp, 'reports/same-port-drop-a-client-correlated.html'), 'utf8')).toContain('Content-Security-Policy');
    // refuses to overwrite
    expectOneLineError(run(['correlate', CLIENT, RESOLVER]), /exists; use --force/);
  });

  it('exits 1 with --fail-on warning, 0 with --fail-on error', () => {
    expect(run(['correlate', CLIENT, RESOLVER, '--no-write', '-q', '--fail-on', 'warning']).status).toBe(1);
    const r = run(['correlate', CLIENT, RESOLVER, '--no-write', '-q', '--fail-on', 'error']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
  });

  it('gives one line for usage errors and unusable inputs', () => {
    expectOneLineError(run(['correlate', CLIENT, '--no-write']), /two or more captures/);
    expectOneLineError(run(['correlate', CLIENT, CLIENT, '--no-write']), /given twice/);
    expectOneLineError(run(['correlate', CLIENT, RESOLVER, '--no-write', '--label', 'nope.pcap=x']), /not one of the inputs/);
    expectOneLineError(run(['correlate', CLIENT, RESOLVER, '--no-write', '--label', `${CLIENT}=a`, '--label', `${RESOLVER}=a`]), /two points are named a/);
    const junk = join(tmp, 'junk.pcap');
    writeFileSync(junk, 'not a capture at all');
    expectOneLineError(run(['correlate', CLIENT, junk, '--no-write']), /junk\.pcap/);
    expectOneLineError(run(['correlate', CLIENT, join(tmp, 'missing.pcap'), '--no-write']), /no such file/);
  });

  it('schema --correlate prints the version-2 schema; plain schema is version 3 (incidents)', () => {
    const v2 = JSON.parse(run(['schema', '--correlate']).stdout);
    expect(v2.properties.schemaVersion.const).toBe(2);
    expect(v2.properties.points.type).toBe('array');
    const v1 = JSON.parse(run(['schema']).stdout);
    expect(v1.properties.schemaVersion.const).toBe(3);
    // The help names the versions the schemas hold (it said 1 for the report's after version 3 came).
    const help = run(['schema', '--help']).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('(schemaVersion 3; --correlate: of the correlate report, schemaVersion 2)');
  });
});
