// Issue 15: a pcap record claiming a 3.9 GB length stops reading; the report must say plainly how
// much of the file was not analysed (bytes and share) in JSON, terminal and HTML, not only count an
// anomaly. The capture is a real lab capture with one record header overwritten, as in the file
// seen in the field.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.js';
import { Report, renderHtml, renderText } from '../../src/report/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dualscope-na-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** samples/same-port-drop-aaaa-client.pcap with record `n` (1-based) claiming `len` bytes. */
function damaged(n: number, len: number): { path: string; size: number; offset: number } {
  const b = Buffer.from(readFileSync('samples/same-port-drop-aaaa-client.pcap'));
  let off = 24;
  for (let i = 1; i < n; i++) off += 16 + b.readUInt32LE(off + 8);
  b.writeUInt32LE(len, off + 8);
  b.writeUInt32LE(len, off + 12);
  const path = join(dir, `damaged-${n}.pcap`);
  writeFileSync(path, b);
  return { path, size: b.length, offset: off };
}

describe('a record claiming an impossible length', () => {
  it('says how much of the file was not analysed, in JSON, terminal and HTML', async () => {
    const d = damaged(3, 3_900_000_000);
    const report = await analyzeFile(d.path, { generatedAt: '2026-01-01T00:00:00.000Z' });
    Report.parse(report);
    expect(report.anomalies['pcap.caplen_too_large']).toBe(1);
    expect(report.capture.packets).toBe(2);
    const na = report.capture.notAnalysed!;
    expect(na).toBeDefined();
    expect(na.bytes).toBe(d.size - d.offset);
    expect(na.share).toBeCloseTo((d.size - d.offset) / d.size, 3);
    expect(na.share).toBeGreaterThan(0.8);
    expect(na.afterFrame).toBe(2);
    expect(na.reason).toContain('pcap.caplen_too_large');
    const text = renderText(report, { width: 200 });
    expect(text).toContain(`NOT ANALYSED: ${na.bytes} bytes, ${(na.share * 100).toFixed(1)} % of the file, after frame 2`);
    const html = renderHtml(report);
    expect(html).toContain('Not analysed');
    expect(html).toContain(`${(na.share * 100).toFixed(1)} % of the file`);
  });

  it('an intact capture has no notAnalysed key (reports unchanged)', async () => {
    const report = await analyzeFile('samples/same-port-drop-aaaa-client.pcap');
    expect('notAnalysed' in report.capture).toBe(false);
    expect(renderText(report)).not.toContain('NOT ANALYSED');
  });
});
