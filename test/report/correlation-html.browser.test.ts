// The correlation ladder in a real browser (Debian's headless Chromium via playwright-core): one
// axis per capture point, one row per evidence packet with a ✕ where it vanished, hover and click
// work, nothing is requested, nothing logs an error, and hostile point names and capture strings run
// nothing. Built from lab captures of one run at two points.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { correlateFiles } from '../../src/correlate/index.js';
import { haveChromium, launchChromium, openWatched } from '../support/browser.js';
import { ladderColumns, ladderRows, renderCorrelationHtml, type CorrelatedReport } from '../../src/report/correlation/index.js';

const HAVE_CHROMIUM = haveChromium('correlation-html.browser.test');
const SAMPLES = resolve('samples');
const PAGES = resolve('reports/browser-test');
const OUT = resolve('reports/screenshots');

const correlate = (labels: [string, string]): Promise<CorrelatedReport> =>
  correlateFiles(
    [
      { file: join(SAMPLES, 'same-port-drop-a-client.pcap'), label: labels[0] },
      { file: join(SAMPLES, 'same-port-drop-a-resolver.pcap'), label: labels[1] },
    ],
    { generatedAt: '2026-01-01T00:00:00.000Z' },
  );

describe.skipIf(!HAVE_CHROMIUM)('correlation ladder in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(PAGES, { recursive: true });
    mkdirSync(OUT, { recursive: true });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(name: string, report: CorrelatedReport): Promise<{ page: Page; problems: string[] }> {
    const path = join(PAGES, `${name}.html`);
    writeFileSync(path, renderCorrelationHtml(report));
    const url = pathToFileURL(path).href;
    return openWatched(browser, url, { viewport: { width: 1440, height: 900 }, allowed: (u) => u === url, block: true, ready: 'html[data-ready="1"]', timeout: 5000 });
  }

  it('draws one axis per point, a row per evidence packet and a ✕ where the A replies vanished', async () => {
    const report = await correlate(['client', 'resolver']);
    const { page, problems } = await open('correlation-same-port-drop-a', report);
    expect(await page.$$eval('#ladder line.axis', (l) => l.length)).toBe(2);
    expect(await page.$$eval('#ladder text.col', (t) => t.map((x) => x.textContent))).toEqual(['client', 'resolver']);
    // every evidence packet, plus each lost packet of a finding that is not already one of them
    const { rows: planned } = ladderRows(report, ladderColumns(report));
    const rows = planned.length;
    const evidenceRows = report.findings.reduce((n, f) => n + f.evidence.length, 0);
    const lossRows = report.findings.reduce((n, f) => n + f.losses.length, 0) + report.unexplainedLosses.length;
    expect(rows).toBeGreaterThanOrEqual(evidenceRows);
    expect(rows).toBeLessThanOrEqual(evidenceRows + lossRows);
    expect(await page.$$eval('#ladder g.row', (g) => g.length)).toBe(rows);
    // the lost A reply is evidence of the resolver profile and a loss of each same-port finding
    expect(await page.$$eval('#ladder path.x', (x) => x.length)).toBeGreaterThanOrEqual(2);
    const lostRow = await page.$$eval('#ladder g.row', (gs) => gs.findIndex((g) => g.querySelector('path.x') !== null));
    await page.hover(`#ladder g.row[data-row="${lostRow}"] rect`);
    expect(await page.textContent('#tip')).toContain('lost between resolver and client');
    await page.click('.finding[data-finding="0"]');
    const first = planned.filter((r) => r.finding === 0).length;
    // its evidence, and its lost A reply unless that is one of its evidence packets already
    expect(first).toBeGreaterThanOrEqual(report.findings[0]!.evidence.length);
    expect(first).toBeLessThanOrEqual(report.findings[0]!.evidence.length + report.findings[0]!.losses.length);
    expect(await page.$$eval('#ladder g.row.sel', (g) => g.length)).toBe(first);
    expect(await page.$$eval('#ladder g.row.dim', (g) => g.length)).toBe(rows - first);
    await page.screenshot({ path: join(OUT, 'correlation-ladder.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  const hostile = ['<script>window.__pwned=1</script>', '"><img src=x onerror="window.__pwned=2">', '</script><script>window.__pwned=3</script>\u2028'];
  for (const [i, bad] of hostile.entries()) {
    it(`runs nothing from point names and capture strings like ${JSON.stringify(bad)}`, async () => {
      const report = await correlate([bad, `${bad}#2`]);
      report.findings[0]!.summary = bad;
      report.findings[0]!.evidence[0]!.role = bad;
      report.findings[0]!.evidence[0]!.detail = bad;
      const { page, problems } = await open(`correlation-hostile-${i}`, report);
      await page.hover('#ladder g.row[data-row="0"] rect');
      await page.click('.finding[data-finding="0"]');
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(await page.$$eval('img, iframe, object, embed', (e) => e.length)).toBe(0);
      expect(await page.$eval('#ladder text.col', (t) => t.textContent)).toBe(bad.length > 28 ? `${bad.slice(0, 27)}…` : bad);
      expect(await page.$eval('#points td', (t) => t.textContent)).toBe(bad);
      expect(problems).toEqual([]);
      await page.close();
    });
  }
});
