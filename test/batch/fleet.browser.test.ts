// The fleet report of a real batch, opened in headless Chromium (playwright-core, Debian's
// chromium): no console errors, no requests, hostile capture strings and file names run nothing,
// and a finding's link opens its file's own report at that finding.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 }); // several CLI runs, on a shared machine
import { haveChromium, launchChromium, openWatched } from '../support/browser.js';
import { CLI, requireBuiltCli, ROOT } from '../support/cli.js';
import { writeHostileCapture } from '../support/hostile-capture.js';

const HAVE_CHROMIUM = haveChromium('fleet.browser.test');

/** A file name that is itself an attack on the page listing it. */
const HOSTILE_FILE = `"><img src=x onerror=window.__pwned=9>.pcap`;

describe.skipIf(!HAVE_CHROMIUM)('fleet report in Chromium', () => {
  let tmp: string;
  let browser: Browser;
  let fleetJson: { incidents: { kind: string; id: string; files: { file: string; report: string | null }[] }[]; filesWithErrors: { path: string }[]; kinds: { kind: string; incidents: number }[] };
  let fleetHtml: string;

  beforeAll(async () => {
    requireBuiltCli();
    tmp = mkdtempSync(join(tmpdir(), 'dualscope-fleet-'));
    const dir = join(tmp, 'captures');
    mkdirSync(dir);
    for (const s of ['same-port-drop-aaaa-client.pcap', 'pmtud-v6-blackhole-server.pcap']) copyFileSync(join(ROOT, 'samples', s), join(dir, s));
    writeHostileCapture(join(dir, HOSTILE_FILE));
    writeFileSync(join(dir, 'damaged.pcap'), Buffer.from('<script>window.__pwned=7</script> not a capture'));
    fleetHtml = join(tmp, 'fleet', 'fleet.html');
    const r = spawnSync(process.execPath, [CLI, 'batch', dir, '--index', join(tmp, 'i.sqlite'), '--out', join(tmp, 'reports'), '--html', fleetHtml, '--json', join(tmp, 'fleet', 'fleet.json'), '-q'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(2); // the damaged file
    fleetJson = JSON.parse(readFileSync(join(tmp, 'fleet', 'fleet.json'), 'utf8')) as typeof fleetJson;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const open = (url: string, allowed: (u: string) => boolean): Promise<{ page: Page; problems: string[] }> => openWatched(browser, url, { allowed, block: true, timeout: 5000 });

  it('the JSON holds every incident, the kinds, and the damaged file', () => {
    expect(fleetJson.incidents.length).toBeGreaterThanOrEqual(3);
    expect(fleetJson.incidents.some((i) => i.files.some((f) => f.file.endsWith(HOSTILE_FILE)))).toBe(true);
    expect(fleetJson.filesWithErrors.map((f) => f.path.split('/').pop())).toEqual(['damaged.pcap']);
    expect(fleetJson.kinds.reduce((n, k) => n + k.incidents, 0)).toBe(fleetJson.incidents.length);
  });

  it('opens with no console error and no request, runs nothing from the captures, and shows kinds, tops and errors', async () => {
    const url = pathToFileURL(fleetHtml).href;
    const { page, problems } = await open(url, (u) => u === url);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.$$eval('img', (els) => els.length)).toBe(0);
    expect(await page.$$eval('script', (els) => els.length)).toBe(0);
    const kinds = await page.$$eval('tr[data-kind] td.mono', (els) => els.map((e) => e.textContent));
    for (const k of fleetJson.kinds) expect(kinds).toContain(k.kind);
    expect(await page.$$eval('tr.incident-row', (els) => els.length)).toBe(fleetJson.incidents.length);
    expect(await page.textContent('body')).toContain(HOSTILE_FILE);
    expect(await page.textContent('body')).toContain('damaged.pcap');
    expect(await page.$$eval('svg.spark', (els) => els.length)).toBe(fleetJson.kinds.length);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("a finding's link opens its file's report at that finding, for the hostile file name too", async () => {
    const flat = fleetJson.incidents.flatMap((i) => i.files.map((f) => ({ id: i.id, kind: i.kind, file: f.file, report: f.report })));
    for (const target of [flat.find((f) => f.kind === 'dns.same_port_reply_drop')!, flat.find((f) => f.file.endsWith(HOSTILE_FILE))!]) {
      const url = pathToFileURL(fleetHtml).href;
      const { page, problems } = await open(url, (u) => u.startsWith('file://'));
      const links = page.locator('a.finding, a.file');
      const hrefs = await links.evaluateAll((els) => els.map((e) => (e as HTMLAnchorElement).href));
      const i = hrefs.findIndex((h) => h.endsWith(`#finding=${encodeURIComponent(target.id)}`) && decodeURIComponent(h).includes(target.report!.split('/').pop()!));
      expect(i, hrefs.join('\n')).toBeGreaterThanOrEqual(0);
      await links.nth(i).click();
      await page.waitForSelector('html[data-ready="1"]');
      expect(decodeURIComponent(new URL(page.url()).pathname)).toBe(target.report);
      const selected = await page.$eval('.finding.sel', (e) => e.getAttribute('data-id'));
      expect(selected).toBe(target.id);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(problems).toEqual([]);
      await page.close();
    }
  });
});
