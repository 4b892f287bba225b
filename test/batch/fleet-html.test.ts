// The fleet page with hostile strings: a real batch (a lab capture, and a capture whose DNS names are
// markup and script, under a file name that breaks out of an attribute) read back with jsdom (as a
// browser parses, no script run): each capture string and path is the same text where it is shown,
// the ids the same attribute values, the links relative; nothing runs. Then the same report with
// every string it shows made hostile (quotes, an entity, U+2028/2029, U+00A0) rendered again.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderFleetHtml, type FleetReport } from '../../src/batch/index.js';
import { relativeLink } from '../../src/report/index.js';
import { requireBuiltCli, ROOT, runCli } from '../support/cli.js';
import { writeHostileCapture } from '../support/hostile-capture.js';

const HOSTILE = `<script>window.__pwned=1</script>"><img src=x onerror=alert(1)>' &amp; \u2028\u2029\u00a0<!--end`;
const HOSTILE_FILE = `"><img src=x onerror=window.__pwned=9>'&amp;.pcap`;

const parse = (html: string): Document => new JSDOM(html).window.document;
const texts = (doc: Document, selector: string): string[] => [...doc.querySelectorAll(selector)].map((e) => e.textContent ?? '');

function expectNothingRuns(doc: Document, html: string): void {
  expect(doc.querySelectorAll('script, img, iframe, svg svg').length).toBe(0);
  expect(html).not.toMatch(/<img|<script/i);
  for (const a of doc.querySelectorAll('a')) expect(a.getAttribute('href')).not.toMatch(/^[a-z][a-z0-9+.-]*:|^\/\//i);
}

describe('fleet page with hostile strings', () => {
  let tmp: string;
  let fleet: FleetReport;
  let htmlPath: string;

  beforeAll(() => {
    requireBuiltCli();
    tmp = mkdtempSync(join(tmpdir(), 'dualscope-fleet-html-'));
    const dir = join(tmp, 'captures');
    mkdirSync(dir);
    copyFileSync(join(ROOT, 'samples', 'same-port-drop-aaaa-client.pcap'), join(dir, 'client.pcap'));
    writeHostileCapture(join(dir, HOSTILE_FILE));
    htmlPath = join(tmp, 'fleet', 'fleet.html');
    const r = runCli(['batch', dir, '--index', join(tmp, 'i.sqlite'), '--out', join(tmp, 'reports'), '--html', htmlPath, '--json', join(tmp, 'fleet', 'fleet.json'), '-q'], { cwd: tmp });
    expect(r.status, r.stderr).toBe(0);
    fleet = JSON.parse(readFileSync(join(tmp, 'fleet', 'fleet.json'), 'utf8')) as FleetReport;
  }, 120_000);
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("shows a batch's hostile DNS names and file name as text, and runs nothing", () => {
    const html = readFileSync(htmlPath, 'utf8');
    const doc = parse(html);
    expectNothingRuns(doc, html);
    // The names as the report writes them (presentation format: a space is \032), markup and all.
    const shown = texts(doc, '.tops td.mono');
    const tops = [...fleet.top.clients, ...fleet.top.servers, ...fleet.top.names].map((t) => t.value);
    expect(shown).toEqual(tops);
    expect(tops.filter((n) => n.endsWith('.evil.test') && /<script>|"><img/.test(n)).length).toBeGreaterThanOrEqual(2);
    const rows = [...doc.querySelectorAll('tr.incident-row')];
    expect(rows.map((r) => r.getAttribute('data-id')).sort()).toEqual(fleet.incidents.map((i) => i.id).sort());
    expect(texts(doc, 'tr.incident-row td:nth-child(5) a.finding').sort()).toEqual(fleet.incidents.map((i) => i.summary).sort());
    const hostileFile = fleet.incidents.flatMap((i) => i.files).find((f) => f.file.endsWith(HOSTILE_FILE))!;
    expect(texts(doc, 'a.file')).toContain(hostileFile.file);
    // Its link, resolved against the page, is that file's report at the finding.
    const link = [...doc.querySelectorAll<HTMLAnchorElement>('a.file')].find((a) => a.textContent === hostileFile.file)!;
    const url = new URL(link.getAttribute('href')!, `file://${htmlPath}`);
    expect(decodeURIComponent(url.pathname)).toBe(hostileFile.report);
  });

  it('keeps every string of the report as the same text or attribute value when all of them are hostile', () => {
    const h = (s: string): string => `${s}${HOSTILE}`;
    const hostile: FleetReport = {
      ...fleet,
      index: h('/index/'),
      generatedAt: h('2026'),
      kinds: fleet.kinds.map((k) => ({ ...k, kind: h(k.kind), severity: h('sev') })),
      top: { clients: [{ value: h('client'), count: 1 }], servers: [{ value: h('server'), count: 2 }], names: [{ value: h('name'), count: 3 }] },
      filesWithErrors: [{ path: h('/captures/'), error: h('bad magic ') }],
      incidents: fleet.incidents.map((i) => ({ ...i, id: h(i.id), kind: h(i.kind), party: h('party'), summary: h(i.summary), client: h('c'), server: h('s'), files: i.files.map((f) => ({ ...f, file: h(f.file) })) })),
    };
    const html = renderFleetHtml(hostile, htmlPath);
    const doc = parse(html);
    expectNothingRuns(doc, html);
    expect(texts(doc, 'dl.facts dd')).toContain(h('/index/'));
    expect(texts(doc, 'tr[data-kind] > td.mono').slice(0, hostile.kinds.length)).toEqual(hostile.kinds.map((k) => k.kind));
    expect([...doc.querySelectorAll('tr[data-kind]')].slice(0, hostile.kinds.length).map((r) => r.getAttribute('data-kind'))).toEqual(hostile.kinds.map((k) => k.kind));
    expect(texts(doc, 'span.sev')[0]).toBe(h('sev'));
    expect(doc.querySelector('span.sev')!.className).toBe('sev info'); // an unknown severity gets a known class
    expect(texts(doc, '.tops td.mono')).toEqual([h('client'), h('server'), h('name')]);
    expect(texts(doc, 'tr.failed td')).toEqual([h('/captures/'), h('bad magic ')]);
    const rows = [...doc.querySelectorAll('tr.incident-row')];
    expect(rows.map((r) => r.getAttribute('data-id')).sort()).toEqual(hostile.incidents.map((i) => i.id).sort());
    expect(texts(doc, 'tr.incident-row td:nth-child(4)')).toEqual(rows.map(() => `${h('c')} → ${h('s')}`));
    expect(texts(doc, 'tr.incident-row div.note')).toEqual(rows.map(() => h('party')));
    expect(texts(doc, 'a.finding').sort()).toEqual(hostile.incidents.map((i) => i.summary).sort());
    expect(texts(doc, 'a.file').sort()).toEqual(hostile.incidents.flatMap((i) => i.files.map((f) => f.file)).sort());
    // The links' fragments carry the hostile ids, percent-encoded.
    for (const a of doc.querySelectorAll('a.finding')) expect(decodeURIComponent(a.getAttribute('href')!.split('#finding=')[1]!)).toMatch(new RegExp(`${HOSTILE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  });

  it('writes only relative links: a scheme or a host is refused', () => {
    expect(relativeLink('../reports/a%3Ab.html#finding=x%40y', { class: 'file' }, 'a').html).toBe('<a href="../reports/a%3Ab.html#finding=x%40y" class="file">a</a>');
    expect(relativeLink("x'&y.html", null, '<b>').html).toBe('<a href="x&#39;&amp;y.html">&lt;b&gt;</a>');
    for (const href of ['javascript:alert(1)', 'data:text/html,x', '//evil.example/', 'https://evil.example/', 'a\\b', 'a"b', 'a b']) expect(() => relativeLink(href, null, 'x')).toThrow(/refused/);
  });
});
