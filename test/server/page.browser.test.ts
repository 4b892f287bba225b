// The upload page in a real browser (Debian's headless Chromium via playwright-core): two captures
// uploaded through the file input are listed with the finding counts analyze gives, one report
// opens and a finding is clicked; an oversized file, a non-capture and a hostile file name each get
// a clear message or stay text; nothing logs an error, nothing breaks the page's CSP (its one inline
// script, src/server/client/upload-client.ts, is allowed by hash only) and nothing leaves the
// server's origin.
// Screenshots go to reports/screenshots/ (git-ignored); with UPDATE_DOCS=1 the upload page also to
// docs/serve.png (the README's picture), so a test run never changes a committed file by itself.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.js';
import type { Report } from '../../src/report/index.js';
import { haveChromium } from '../support/browser.js';
import { writeHostileCapture } from '../support/hostile-capture.js';
import { request, sample, startTestServer } from './support/client.js';
import { openUploadPage } from './support/upload-page.js';

const HAVE_CHROMIUM = haveChromium('page.browser.test');

const SHOTS = resolve('reports/screenshots');
const DOCS_SHOT = resolve('docs/serve.png');
const MAX_UPLOAD = 100 * 1024;
const FIRST = sample('same-port-drop-aaaa-client.pcap');
const SECOND = sample('pmtud-v6-blackhole-server.pcap');
const OVERSIZED = sample('pmtud-mss-clamp-client.pcap'); // ~230 KB > 100 KiB

describe.skipIf(!HAVE_CHROMIUM)('upload page in Chromium', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let page: Page;
  let problems: string[] = [];
  let files: string;
  const expected = new Map<string, Report>();

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    files = mkdtempSync(join(tmpdir(), 'dualscope-page-'));
    server = await startTestServer({ maxUpload: MAX_UPLOAD, workers: 2 });
    for (const f of [FIRST, SECOND]) expected.set(f.split('/').pop()!, await analyzeFile(f));
    ({ browser, page, problems } = await openUploadPage(server.url, { width: 1280, height: 860 }));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const row = (name: string) => page.locator('#analyses tbody tr', { has: page.locator('td.name', { hasText: name }) });

  it('uploads two captures through the file input and lists both with their finding counts', async () => {
    await page.setInputFiles('#file', [FIRST, SECOND]);
    await page.waitForFunction(() => document.querySelectorAll('#analyses tbody tr[data-status="done"]').length === 2, undefined, { timeout: 30_000 });
    for (const [name, report] of expected) {
      const r = row(name);
      expect(await r.count()).toBe(1);
      for (const sev of ['error', 'warning', 'info'] as const) {
        expect(await r.locator(`.count[data-severity="${sev}"]`).textContent(), `${name} ${sev}`).toBe(String(report.counts[sev]));
      }
      expect(await r.locator('td.packets').textContent()).toBe(String(report.capture.packets));
      const item = page.locator(`#uploads li[data-file="${name}"]`);
      const total = report.counts.error + report.counts.warning + report.counts.info;
      await expect.poll(() => item.locator('.msg').textContent()).toMatch(new RegExp(`^done: ${total} finding`));
    }
    expect(await page.locator('#empty').isHidden()).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'serve-upload.png'), fullPage: true });
    mkdirSync(resolve('docs'), { recursive: true });
    if (process.env.UPDATE_DOCS) await page.screenshot({ path: DOCS_SHOT });
  });

  it('takes a capture dropped on the drop zone', async () => {
    const bytes = readFileSync(sample('aaaa-unanswered-client.pcapng')).toString('base64');
    await page.evaluate((b64) => {
      const raw = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([raw], 'dropped.pcapng'));
      const zone = document.getElementById('drop')!;
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, bytes);
    await page.waitForFunction(() => document.querySelector('#uploads li[data-file="dropped.pcapng"]')?.getAttribute('data-state') === 'done', undefined, { timeout: 30_000 });
    const r = row('dropped.pcapng');
    expect(await r.getAttribute('data-status')).toBe('done');
    // Delete it again from the page (two clicks: delete, then "really delete?").
    await r.locator('button.delete').click();
    expect(await r.locator('button.delete').textContent()).toBe('really delete?');
    await r.locator('button.delete').click();
    await expect.poll(() => row('dropped.pcapng').count()).toBe(0);
    expect((await request(`${server.url}/api/analyses`)).json.analyses).toHaveLength(2);
  });

  it('says why an oversized file and a non-capture are refused', async () => {
    const notCapture = join(files, 'notes.txt');
    writeFileSync(notCapture, 'These are my notes about the outage, not a capture.\n');
    const big = join(files, 'huge.pcap');
    copyFileSync(OVERSIZED, big);
    await page.setInputFiles('#file', [big, notCapture]);
    const bigMsg = page.locator('#uploads li[data-file="huge.pcap"] .msg');
    await expect.poll(() => bigMsg.textContent()).toMatch(/^too large: .* over this server's limit of 100 KiB/);
    expect(await bigMsg.getAttribute('class')).toContain('error');
    const txtMsg = page.locator('#uploads li[data-file="notes.txt"] .msg');
    await expect.poll(() => txtMsg.textContent(), { timeout: 10_000 }).toMatch(/^not a capture: .*unknown magic/);
    expect(await txtMsg.getAttribute('class')).toContain('error');
    // Neither is listed, and the server kept nothing.
    expect(await page.locator('#analyses tbody tr').count()).toBe(2);
    expect((await request(`${server.url}/api/analyses`)).json.analyses).toHaveLength(2);
    await page.screenshot({ path: join(SHOTS, 'serve-refused.png'), fullPage: true });
  });

  it('an oversized upload that reaches the server (no size known up front) gets the server\'s 413 message', async () => {
    // Bypass the page's own size check to see the server's answer come through the same code path.
    const msg = await page.evaluate(async (max) => {
      const body = new Uint8Array(max + 4096);
      body.set([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]); // a pcap header start, so only the size is wrong
      const r = await fetch('/api/analyses?name=big.pcap', { method: 'POST', body });
      return `${r.status} ${(await r.json()).error}`;
    }, MAX_UPLOAD);
    expect(msg).toMatch(/^413 the upload is .* over this server's limit of 100 KiB/);
  });

  it('keeps a hostile file name and hostile capture strings as text', async () => {
    const hostile = join(files, '<img src=x onerror=window.__pwned=9>.pcap');
    writeHostileCapture(hostile);
    await page.setInputFiles('#file', [hostile]);
    await page.waitForFunction(() => document.querySelectorAll('#analyses tbody tr[data-status="done"]').length === 3, undefined, { timeout: 30_000 });
    expect(await page.locator('#analyses img').count()).toBe(0);
    expect(await page.locator('#uploads img').count()).toBe(0);
    expect(await row('<img src=x onerror=window.__pwned=9>.pcap').count()).toBe(1);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    // Its report, too: the capture's hostile DNS names run nothing under the report's CSP.
    await row('<img src=x').locator('a.report-link').click();
    await page.waitForSelector('html[data-ready="1"]');
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.goBack();
    await page.waitForSelector('#live[data-state="open"]');
  });

  it('opens a report from the list and clicks a finding', async () => {
    const name = FIRST.split('/').pop()!;
    const report = expected.get(name)!;
    await row(name).locator('a.report-link').click();
    await page.waitForSelector('html[data-ready="1"]', { timeout: 10_000 });
    expect(page.url()).toMatch(/\/api\/analyses\/[A-Za-z0-9_-]{22}\/report\.html$/);
    const ids = await page.$$eval('.finding[data-id]', (els) => els.map((e) => e.getAttribute('data-id')));
    expect(ids.sort()).toEqual(report.findings.map((f) => f.id).sort());
    const f = report.findings[0]!;
    await page.click(`.finding[data-id="${f.id}"] .summary`);
    expect(await page.$eval(`.finding[data-id="${f.id}"]`, (e) => e.classList.contains('sel'))).toBe(true);
    expect(await page.$$eval('#plot .m.hl', (els) => els.length)).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'serve-report.png'), fullPage: true });
  });

  it('logged no errors and made no requests elsewhere', () => {
    // The browser's own message for the refused uploads' HTTP status is expected; nothing else is.
    const unexpected = problems.filter((p) => !/Failed to load resource: the server responded with a status of (413|415)/.test(p));
    expect(unexpected).toEqual([]);
  });
});
