// Cases on the upload page, in a real browser (Debian's headless Chromium via playwright-core):
// two captures of one incident (the lab's same-port drop seen at the client and at the resolver)
// uploaded together as one case, and two listed analyses ticked and correlated as another; each
// case's correlated report opens from the page and names where the reply vanished, with the labels
// the user gave. Hostile file names and labels stay text on the page and in the report. Deleting an
// analysis from the page says how many cases go with it, and they leave the list. Nothing logs an
// error, nothing breaks the page's or the report's CSP, nothing leaves the server's origin.
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium } from '../support/browser.js';
import { request, sample, startTestServer } from './support/client.js';
import { openUploadPage } from './support/upload-page.js';

const HAVE_CHROMIUM = haveChromium('cases.browser.test');

const SHOTS = resolve('reports/screenshots');
const CLIENT = sample('same-port-drop-a-client.pcap');
const RESOLVER = sample('same-port-drop-a-resolver.pcap');
const HOSTILE_CLIENT = '<img src=x onerror=window.__pwned=1>client.pcap';
const HOSTILE_RESOLVER = '"><svg onload=window.__pwned=2>resolver.pcap';

describe.skipIf(!HAVE_CHROMIUM)('cases on the upload page in Chromium', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let page: Page;
  let problems: string[] = [];
  let files: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    files = mkdtempSync(join(tmpdir(), 'dualscope-cases-page-'));
    copyFileSync(CLIENT, join(files, HOSTILE_CLIENT));
    copyFileSync(RESOLVER, join(files, HOSTILE_RESOLVER));
    server = await startTestServer({ workers: 2 });
    ({ browser, page, problems } = await openUploadPage(server.url, { width: 1280, height: 900 }));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const caseRows = () => page.locator('#cases tbody tr');
  const pwned = () => page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned);

  /** Opens a correlated report from the page; returns its findings' status lines. */
  async function openReport(link: ReturnType<Page['locator']>): Promise<string[]> {
    await link.click();
    await page.waitForSelector('html[data-ready="1"]', { timeout: 15_000 });
    expect(page.url()).toMatch(/\/api\/cases\/[A-Za-z0-9_-]{22}\/report\.html$/);
    return page.$$eval('#findings .finding .status', (els) => els.map((e) => e.textContent ?? ''));
  }

  it('uploads two captures as one case and opens its correlated report', async () => {
    await page.setInputFiles('#case-files', [join(files, HOSTILE_CLIENT), join(files, HOSTILE_RESOLVER)]);
    await page.waitForSelector('#case-msg[data-state="done"]', { timeout: 60_000 });
    expect(await page.locator('#case-msg').textContent()).toMatch(/^case created: \d+ findings? — open the correlated report$/);
    await expect.poll(() => caseRows().count()).toBe(1);
    const row = caseRows().first();
    // The points are named by the file names, as text.
    expect(await row.locator('td.points .label').allTextContents()).toEqual([HOSTILE_CLIENT, HOSTILE_RESOLVER]);
    expect(Number(await row.locator('td.matched').textContent())).toBeGreaterThan(0);
    expect(await page.locator('#cases img, #cases svg, #analyses img, #analyses svg, #case-msg img').count()).toBe(0);
    expect(await pwned()).toBeUndefined();
    // Both uploads are listed as analyses too (each is also analysed alone).
    await page.waitForFunction(() => document.querySelectorAll('#analyses tbody tr[data-status="done"]').length === 2, undefined, { timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, 'serve-cases.png'), fullPage: true });

    const statuses = await openReport(page.locator('#case-msg a.case-report'));
    expect(statuses).toContain(`proved — between ${HOSTILE_RESOLVER} and ${HOSTILE_CLIENT}`);
    expect(await page.locator('img').count()).toBe(0);
    expect(await pwned()).toBeUndefined();
    await page.goBack();
    await page.waitForSelector('#live[data-state="open"]');
  });

  it('ticks two listed analyses, names the points, and correlates them as a case', async () => {
    await expect.poll(() => caseRows().count()).toBe(1);
    expect(await page.locator('#case-form').isHidden()).toBe(true);
    const tick = (name: string) => page.locator('#analyses tbody tr', { has: page.locator('td.name', { hasText: name }) }).locator('input.pick');
    // The order ticked is the order of the points (the first is the clock reference).
    await tick('client.pcap').check();
    expect(await page.locator('#case-create').isDisabled()).toBe(true); // one capture is not a case
    await tick('resolver.pcap').check();
    expect(await page.locator('#case-count').textContent()).toBe('2 captures');
    const labels = page.locator('#case-points input.label');
    expect(await labels.evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))).toEqual([HOSTILE_CLIENT, HOSTILE_RESOLVER]);
    await labels.nth(0).fill('client');
    await labels.nth(1).fill('resolver');
    await page.click('#case-create');
    await page.waitForFunction(() => document.querySelectorAll('#cases tbody tr').length === 2, undefined, { timeout: 60_000 });
    expect(await page.locator('#case-msg').getAttribute('data-state')).toBe('done');
    expect(await page.locator('#case-form').isHidden()).toBe(true); // the selection is cleared once the case exists
    const newest = caseRows().first();
    expect(await newest.locator('td.points .label').allTextContents()).toEqual(['client', 'resolver']);
    expect(await newest.locator('td.points .clock').first().textContent()).toMatch(/^reference · \d+\/\d+ matched$/);

    // The page shows what the API has.
    const listed = (await request(`${server.url}/api/cases`)).json.cases as { id: string; counts: Record<string, number> }[];
    expect(listed).toHaveLength(2);
    expect(await newest.getAttribute('data-id')).toBe(listed[0]!.id);
    for (const sev of ['error', 'warning', 'info'] as const) {
      expect(await newest.locator(`.count[data-severity="${sev}"]`).textContent()).toBe(String(listed[0]!.counts[sev]));
    }
    const statuses = await openReport(newest.locator('a.case-report'));
    expect(statuses).toContain('proved — between resolver and client');
    await page.screenshot({ path: join(SHOTS, 'serve-case-report.png'), fullPage: true });
    await page.goBack();
    await page.waitForSelector('#live[data-state="open"]');
  });

  it('deleting an analysis says its cases go with it, and they leave the list', async () => {
    await expect.poll(() => caseRows().count()).toBe(2);
    const row = page.locator('#analyses tbody tr', { has: page.locator('td.name', { hasText: 'resolver.pcap' }) });
    const button = row.locator('button.delete');
    await button.click();
    expect(await button.textContent()).toBe('really delete? (and its 2 cases)');
    await button.click();
    await expect.poll(() => caseRows().count()).toBe(0);
    expect(await page.locator('#no-cases').isVisible()).toBe(true);
    expect((await request(`${server.url}/api/cases`)).json.cases).toEqual([]);
    expect(await page.locator('#analyses tbody tr').count()).toBe(1);
  });

  it('a case of one capture is refused on the page before anything is sent', async () => {
    await page.setInputFiles('#case-files', [CLIENT]);
    await page.waitForSelector('#case-msg[data-state="error"]');
    expect(await page.locator('#case-msg').textContent()).toBe('a case takes 2 to 8 captures, not 1; nothing was sent');
    expect(await page.locator('#analyses tbody tr').count()).toBe(1);
  });

  it('logged no errors, broke no CSP and made no requests elsewhere', () => {
    expect(problems).toEqual([]);
  });
});
