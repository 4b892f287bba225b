// The fleet report counts incidents across the files of a batch, not per file: the same firewall
// dropping second DNS replies, captured on five different days (five files of one client,
// shifted by editcap so they are five independent captures), is one incident with five per-file
// occurrence counts. Its count per file comes from each file's own analysis, so the test compares
// against a single-file run rather than against a hard-coded number.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.js';
import type { FleetReport } from '../../src/batch/index.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'dist/src/cli/main.js');
const SAMPLE = join(ROOT, 'samples/same-port-drop-aaaa-client.pcap');
const OTHER = join(ROOT, 'samples/pmtud-v6-blackhole-server.pcap');
/** Letters, not digits, so the capture-set rule does not take them for a ring buffer. */
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri'];
const SLOW = 300_000;

describe('fleet report: one incident across the files of a batch', () => {
  let tmp: string;
  let fleet: FleetReport;
  let html: string;
  let stdout: string;

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'dualscope-fleet-incidents-'));
    DAYS.forEach((d, i) => {
      const r = spawnSync('editcap', ['-t', String(i * 86_400), SAMPLE, join(tmp, `drop-${d}.pcap`)], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    });
    spawnSync('cp', [OTHER, join(tmp, 'blackhole.pcap')]);
    writeFileSync(join(tmp, 'damaged.pcap'), 'not a capture');
    const r = spawnSync(
      process.execPath,
      [BIN, 'batch', tmp, '--index', join(tmp, 'i.sqlite'), '--out', join(tmp, 'reports'), '--json', join(tmp, 'fleet.json'), '--html', join(tmp, 'fleet.html')],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
    );
    expect(r.status, r.stderr).toBe(2); // the damaged file
    stdout = r.stdout;
    fleet = JSON.parse(readFileSync(join(tmp, 'fleet.json'), 'utf8')) as FleetReport;
    html = readFileSync(join(tmp, 'fleet.html'), 'utf8');
  }, SLOW);
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('lists each incident once, with each file it was seen in and its occurrences there', async () => {
    const alone = await analyzeFile(SAMPLE);
    const expected = alone.findings.filter((f) => f.kind === 'dns.same_port_reply_drop');
    expect(expected).toHaveLength(1);
    const perFile = expected[0]!.count;
    const drop = fleet.incidents.filter((i) => i.kind === 'dns.same_port_reply_drop');
    expect(drop).toHaveLength(1);
    expect(drop[0]!.id).toBe(expected[0]!.id);
    expect(drop[0]!.files.map((f) => f.file.split('/').pop())).toEqual(DAYS.map((d) => `drop-${d}.pcap`)); // earliest first
    expect(drop[0]!.files.map((f) => f.occurrences)).toEqual(DAYS.map(() => perFile));
    expect(drop[0]!.occurrences).toBe(DAYS.length * perFile);
    expect(drop[0]!.lastSeen - drop[0]!.firstSeen).toBeGreaterThanOrEqual(4 * 86_400_000_000);
    // Every incident id is listed once, and every stored finding is behind one of them.
    expect(new Set(fleet.incidents.map((i) => i.id)).size).toBe(fleet.incidents.length);
    const perFileFindings = DAYS.length * alone.findings.length + (await analyzeFile(OTHER)).findings.length;
    expect(fleet.incidents.reduce((n, i) => n + i.files.length, 0)).toBe(perFileFindings);
  });

  it('counts incidents per kind once and occurrences over all files, per day', () => {
    const k = fleet.kinds.find((x) => x.kind === 'dns.same_port_reply_drop')!;
    const drop = fleet.incidents.find((i) => i.kind === 'dns.same_port_reply_drop')!;
    expect(k.incidents).toBe(1);
    expect(k.occurrences).toBe(drop.occurrences);
    expect(fleet.span.bucket).toBe('day');
    expect(k.perBucket.reduce((a, b) => a + b, 0)).toBe(drop.occurrences);
    expect(k.perBucket.filter((n) => n > 0)).toHaveLength(DAYS.length);
    for (const x of fleet.kinds) expect(x.incidents).toBe(fleet.incidents.filter((i) => i.kind === x.kind).length);
  });

  it('the HTML shows the incident in one row with a link per file, and the terminal counts incidents', () => {
    const rows = html.split('\n').filter((l) => l.includes('class="incident-row"') && l.includes('data-kind="dns.same_port_reply_drop"'));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.match(/class="incident-file"/g)).toHaveLength(DAYS.length);
    expect(html.split('\n').filter((l) => l.includes('class="incident-row"'))).toHaveLength(fleet.incidents.length);
    expect(stdout).toMatch(new RegExp(`; ${fleet.incidents.length} incidents \\(\\d+ in files\\)`));
  });
});
