// The HTML report in a real browser (Debian's headless Chromium, driven by playwright-core):
// findings match the report, clicking one zooms and highlights its evidence, hovering a mark shows
// its frame, nothing is requested, nothing logs an error, and hostile capture strings run nothing.
// Screenshots land in reports/screenshots/ (git-ignored) for people to look at.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html.js';
import type { Report } from '../../src/report/schema.js';
import { haveChromium, launchChromium, openWatched } from '../support/browser.js';
import { bigReport, scenarioReport } from '../support/report-builder.js';

const HAVE_CHROMIUM = haveChromium('html.browser.test');

const OUT = resolve('reports/screenshots');
/** Real captures (samples/README.md), opened once the analyzer exists in this tree. */
const SAMPLES = ['same-port-drop-aaaa-client.pcap', 'pmtud-v6-ptb-large-dropped-server.pcap', 'aaaa-unanswered-client.pcapng', 'same-port-drop-many-clients-lan.pcap'];
const HAVE_ANALYZE = existsSync(resolve('src/analyze.ts')) && SAMPLES.every((s) => existsSync(resolve('samples', s)));
if (HAVE_CHROMIUM && !HAVE_ANALYZE) console.warn('html.browser.test: real-sample cases skipped, src/analyze.ts or samples/ missing');
const PAGES = resolve('reports/browser-test');

interface Opened {
  page: Page;
  html: string;
  /** Console errors, page errors, dialogs, and requests other than the page itself. */
  problems: string[];
}

/** Marks of the report whose frame or frames include an evidence frame of one of the incident's occurrences. */
function evidenceMarks(report: Report, id: string): number {
  const f = report.findings.find((x) => x.id === id)!;
  const frames = new Set(f.occurrences.flatMap((o) => o.evidence.map((e) => e.frame)));
  return report.timeline.lanes.flatMap((l) => l.marks).filter((m) => frames.has(m.frame) || m.frames.some((x) => frames.has(x))).length;
}

describe.skipIf(!HAVE_CHROMIUM)('HTML report in Chromium', () => {
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    mkdirSync(PAGES, { recursive: true });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(name: string, report: Report): Promise<Opened> {
    const html = renderHtml(report);
    const path = join(PAGES, `${name}.html`);
    writeFileSync(path, html);
    const url = pathToFileURL(path).href;
    const { page, problems } = await openWatched(context, url, { allowed: (u) => u === url, block: true, ready: 'html[data-ready="1"]', timeout: 5000 });
    return { page, html, problems };
  }

  const domain = (page: Page): Promise<[number, number]> =>
    page.$eval('#axis', (a) => [Number(a.getAttribute('data-d0')), Number(a.getAttribute('data-d1'))] as [number, number]);

  describe('a hand-built incident', () => {
    const report = scenarioReport();
    let o: Opened;
    beforeAll(async () => {
      o = await open('scenario', report);
    });
    afterAll(async () => {
      await o?.page.close();
    });

    it('lists the report findings, error first', async () => {
      const cards = await o.page.$$eval('.finding', (els) => els.map((e) => [e.getAttribute('data-id'), e.getAttribute('data-kind'), e.getAttribute('data-severity')]));
      expect(cards).toEqual([
        ['path.pmtud_blackhole#13', 'path.pmtud_blackhole', 'error'],
        ['dns.same_port_reply_drop#1', 'dns.same_port_reply_drop', 'warning'],
        ['dns.local_zone_leak#20', 'dns.local_zone_leak', 'info'],
      ]);
      await o.page.screenshot({ path: join(OUT, 'scenario.png'), fullPage: true });
    });

    it('zooms to a finding and highlights its evidence marks when clicked', async () => {
      const before = await domain(o.page);
      for (const f of report.findings) {
        await o.page.click(`.finding[data-id="${f.id}"] .summary`);
        const highlighted = await o.page.$$eval('#plot .m.hl', (els) => els.map((e) => Number(e.getAttribute('data-frame'))));
        expect(highlighted.length).toBe(evidenceMarks(report, f.id));
        expect(await o.page.getAttribute('#lanes', 'data-highlighted')).toBe(String(highlighted.length));
        expect(await o.page.$eval(`.finding[data-id="${f.id}"]`, (e) => e.classList.contains('sel'))).toBe(true);
        const [d0, d1] = await domain(o.page);
        const base = report.timeline.start!;
        expect(d1 - d0).toBeLessThan(before[1] - before[0]);
        expect(d0).toBeLessThanOrEqual(f.start - base);
        expect(d1).toBeGreaterThanOrEqual(f.end - base);
        if (f.id === 'path.pmtud_blackhole#13') await o.page.screenshot({ path: join(OUT, 'scenario-selected.png'), fullPage: true });
      }
      // clicking the selected finding again clears the selection
      const last = report.findings.at(-1)!;
      await o.page.click(`.finding[data-id="${last.id}"] .summary`);
      expect(await o.page.$$eval('#plot .m.hl', (els) => els.length)).toBe(0);
    });

    it('shows frame, time and label when hovering a mark', async () => {
      await o.page.click('#zoom-reset');
      await o.page.hover('#plot .m[data-frame="12"]');
      const tip = await o.page.$eval('#tip', (t) => ({ hidden: (t as HTMLElement).hidden, text: t.textContent ?? '' }));
      expect(tip.hidden).toBe(false);
      expect(tip.text).toContain('Frame12');
      expect(tip.text).toContain('PTB mtu 1280');
      expect(tip.text).toContain('2024-05-29T16:26:45.056000Z');
      await o.page.mouse.move(2, 2);
    });

    it('zooms and pans with the buttons and the wheel', async () => {
      await o.page.click('#zoom-reset');
      const [a0, a1] = await domain(o.page);
      await o.page.click('#zoom-in');
      const [b0, b1] = await domain(o.page);
      expect(b1 - b0).toBeCloseTo((a1 - a0) / 2, -1);
      await o.page.click('#pan-right');
      const [c0] = await domain(o.page);
      expect(c0).toBeGreaterThan(b0);
      const box = (await o.page.locator('#axis').boundingBox())!;
      await o.page.mouse.move(box.x + box.width / 2, box.y + 10);
      await o.page.mouse.wheel(0, 400);
      await o.page.waitForTimeout(50);
      const [d0, d1] = await domain(o.page);
      expect(d1 - d0).toBeGreaterThan(b1 - b0);
      await o.page.click('#zoom-reset');
    });

    it('filters findings by kind', async () => {
      await o.page.uncheck('input[data-kind="dns.same_port_reply_drop"]');
      expect(await o.page.$$eval('.finding:not([hidden])', (els) => els.length)).toBe(2);
      expect(await o.page.isVisible('.finding[data-id="dns.same_port_reply_drop#1"]')).toBe(false);
      await o.page.check('input[data-kind="dns.same_port_reply_drop"]');
      expect(await o.page.$$eval('.finding:not([hidden])', (els) => els.length)).toBe(3);
    });

    it('copies a finding display filter', async () => {
      await o.page.click('.finding[data-id="path.pmtud_blackhole#13"] button.copy');
      await expect.poll(() => o.page.textContent('.finding[data-id="path.pmtud_blackhole#13"] button.copy')).toMatch(/Copied|Ctrl\+C/);
    });

    it('made no requests and logged no errors', () => {
      expect(o.problems).toEqual([]);
    });
  });

  it('opens an empty report without errors', async () => {
    const base = scenarioReport();
    const o = await open('empty', {
      ...base,
      capture: { ...base.capture, packets: 0, firstTime: null, lastTime: null, durationMicros: 0 },
      findings: [],
      timeline: { start: null, end: null, overview: { bucketMicros: 1_000_000, packets: [] }, lanes: [], omittedLanes: 0, packetsWithoutLane: 0 },
    });
    await o.page.click('#zoom-in');
    await o.page.click('#zoom-reset');
    expect(await o.page.$$eval('.finding', (els) => els.length)).toBe(0);
    expect(o.problems).toEqual([]);
    await o.page.close();
  });

  describe('hostile capture strings', () => {
    const hostile = [
      '<script>window.__pwned=1;alert(1)</script>.example',
      '"><img src=x onerror="window.__pwned=2;alert(2)">',
      "'><svg onload=\"window.__pwned=3\">",
      '</script><script>window.__pwned=4</script>',
      '\u2028</title><script>window.__pwned=5</script>\u2029',
    ];
    for (const [i, bad] of hostile.entries()) {
      it(`runs nothing from ${JSON.stringify(bad)}`, async () => {
        const o = await open(`hostile-${i}`, scenarioReport({ name: bad, hostile: bad, file: bad }));
        // exercise the script paths that show capture strings: hover, click, evidence rows
        await o.page.hover('#plot .m[data-frame="2"]');
        expect(await o.page.textContent('#tip')).toContain(bad.replace(/[\u2028\u2029]/g, '').slice(0, 20));
        await o.page.click('.finding[data-id="path.pmtud_blackhole#13"] .summary');
        expect(await o.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
        expect(await o.page.textContent('h1 .file')).toBe(bad);
        expect(await o.page.$$eval('img, iframe, object, embed', (els) => els.length)).toBe(0);
        if (i === 0) await o.page.screenshot({ path: join(OUT, 'hostile.png'), fullPage: true });
        expect(o.problems).toEqual([]);
        await o.page.close();
      });
    }
  });

  describe.skipIf(!HAVE_ANALYZE)('real samples', () => {
    for (const sample of SAMPLES) {
      it(`shows the findings of ${sample} and their evidence`, async () => {
        const { analyzeFile } = (await import('../../src/analyze.js')) as { analyzeFile: (path: string, options?: object) => Promise<Report> };
        const report = await analyzeFile(`samples/${sample}`); // relative, as a user would type it
        const o = await open(sample, report);
        const cards = await o.page.$$eval('.finding', (els) => els.map((e) => [e.getAttribute('data-id'), e.getAttribute('data-kind')]));
        const sorted = report.findings; // the report's order: severity, then impact
        expect(cards).toEqual(sorted.map((f) => [f.id, f.kind]));
        // An incident of several occurrences lists them; each row zooms the timeline to itself.
        const base = report.timeline.start!;
        for (const f of sorted.filter((x) => x.count > 1)) {
          const card = `.finding[data-id="${f.id}"]`;
          expect(await o.page.$$eval(`${card} tr[data-occ]`, (els) => els.map((e) => e.getAttribute('data-occ')))).toEqual(f.occurrences.map((x) => x.id));
          await o.page.click(`${card} details.occurrences > summary`);
          for (const occ of f.occurrences) {
            await o.page.click(`${card} tr[data-occ="${occ.id}"] td:nth-child(2)`);
            const [d0, d1] = await domain(o.page);
            expect(d0).toBeLessThanOrEqual(occ.start - base);
            expect(d1).toBeGreaterThanOrEqual(occ.end - base);
            // zoomed to this occurrence, not to the whole incident
            expect(d1 - d0).toBeLessThanOrEqual(Math.max((occ.end - occ.start) * 1.2, occ.end - occ.start + 4000) + 1);
            expect(await o.page.$eval(`${card} tr[data-occ="${occ.id}"]`, (e) => e.classList.contains('occ-sel'))).toBe(true);
            expect(await o.page.$eval(card, (e) => e.classList.contains('sel'))).toBe(true);
          }
          await o.page.click(`${card} .summary`); // deselect
        }
        // what the sample was recorded to show is on the page
        const expected = JSON.parse(readFileSync(resolve('samples/expected', sample.replace(/\.pcap(ng)?$/, '.json')), 'utf8')) as { mustFind?: { kind: string }[] };
        for (const m of expected.mustFind ?? []) expect(cards.map(([, kind]) => kind)).toContain(m.kind);
        for (const f of sorted) {
          await o.page.click(`.finding[data-id="${f.id}"] .summary`);
          expect(Number(await o.page.getAttribute('#lanes', 'data-highlighted'))).toBe(evidenceMarks(report, f.id));
          await o.page.click(`.finding[data-id="${f.id}"] .summary`); // deselect
        }
        if (sorted.length) await o.page.click(`.finding[data-id="${sorted[0].id}"] .summary`);
        // hover a highlighted mark that is inside the zoomed view (a data bar can start far before it)
        const target = await o.page.$$eval('#plot .m.hl', (els) => {
          const plot = document.getElementById('plot')!.getBoundingClientRect();
          for (const e of els) {
            const r = e.getBoundingClientRect();
            const x = r.left + r.width / 2;
            const y = r.top + r.height / 2;
            if (r.width > 0 && r.left >= plot.left && r.right <= plot.right && document.elementFromPoint(x, y) === e)
              return { frame: e.getAttribute('data-frame'), x, y };
          }
          return null;
        });
        if (sorted.length) expect(target).not.toBeNull();
        if (target) {
          await o.page.mouse.move(target.x, target.y);
          expect(await o.page.textContent('#tip')).toContain(`Frame${target.frame}`);
        }
        await o.page.screenshot({ path: join(OUT, `${sample}.png`) });
        expect(o.problems).toEqual([]);
        await o.page.close();
      });
    }
  });

  it.skipIf(!HAVE_ANALYZE)('runs nothing from a capture whose DNS names are markup and script', async () => {
    const { analyzeFile } = (await import('../../src/analyze.js')) as { analyzeFile: (path: string, options?: object) => Promise<Report> };
    const { writeHostileCapture } = await import('../support/hostile-capture.js');
    const path = join(PAGES, 'hostile-names.pcap');
    writeHostileCapture(path);
    const report = await analyzeFile(path);
    const names = [...new Set(report.findings.flatMap((f) => f.names))];
    expect(names.some((n) => n.includes('<script>'))).toBe(true);
    const o = await open('hostile-capture', report);
    // the names (in the report's presentation format) are on the page as text
    const text = (await o.page.textContent('#findings')) ?? '';
    for (const n of names) expect(text).toContain(n);
    // and every way the script shows them runs nothing
    for (const f of report.findings) await o.page.click(`.finding[data-id="${f.id}"] .summary`);
    await o.page.click('#zoom-reset');
    const marks = await o.page.$$eval('#plot .m', (els) =>
      els.map((e) => {
        const r = e.getBoundingClientRect();
        return { x: r.left + Math.min(3, r.width / 2), y: r.top + r.height / 2 };
      }),
    );
    for (const m of marks.slice(0, 40)) await o.page.mouse.move(m.x, m.y);
    expect(await o.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await o.page.$$eval('img, iframe, object, embed', (els) => els.length)).toBe(0);
    await o.page.screenshot({ path: join(OUT, 'hostile-capture.png'), fullPage: true });
    expect(o.problems).toEqual([]);
    await o.page.close();
  });

  it('opens a report built from 100k marks, bounded in size, and its findings still work', async () => {
    const report = bigReport(100_000);
    const t = performance.now();
    const o = await open('big', report);
    const elapsed = performance.now() - t;
    const drawn = await o.page.$$eval('#plot .m', (els) => els.length);
    console.log(`big report: ${(o.html.length / 1e6).toFixed(2)} MB, ${drawn} marks, render+load ${elapsed.toFixed(0)} ms`);
    expect(o.html.length).toBeLessThan(5_000_000);
    const readyMs = Number(await o.page.getAttribute('html', 'data-ready-ms'));
    console.log(`big report: script ready ${readyMs} ms after navigation start`);
    // How fast the page gets ready is logged, not asserted: speed belongs in a benchmark, and this
    // shared machine's load made a 2 s limit fail on unchanged code.
    expect(readyMs).toBeGreaterThan(0);
    await o.page.click('#zoom-in');
    await o.page.click('.finding[data-id="path.pmtud_blackhole#13"] .summary');
    expect(Number(await o.page.getAttribute('#lanes', 'data-highlighted'))).toBe(evidenceMarks(report, 'path.pmtud_blackhole#13'));
    await o.page.screenshot({ path: join(OUT, 'big.png') });
    expect(o.problems).toEqual([]);
    await o.page.close();
  });
});
