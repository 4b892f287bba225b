// The HTML report as a string: every capture string escaped, the page self-contained, the size bounded.
import { createHash } from 'node:crypto';
import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html.js';
import { jsonForScript } from '../../src/report/html/escape.js';
import { Report } from '../../src/report/schema.js';
import { bigReport, scenarioReport } from '../support/report-builder.js';

const HOSTILE = [
  '<script>alert(1)</script>.example',
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  '</script><script>window.__pwned=1</script>',
  '<!--<script>',
  'a\u2028b\u2029c',
  '&lt;already&gt; &amp; escaped',
];

/** The page with its two JSON blocks and the script cut out: what remains is markup. */
/** Quoted attribute values removed (the serializer never leaves a `"` inside one). */
const stripAttributeValues = (html: string): string => html.replace(/="[^"]*"/g, '=""');
/** Parsed by jsdom, scripts not run. */
const parse = (html: string): Document => new JSDOM(html).window.document;

const markupOnly = (html: string): string => html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/g, '<script></script>');

describe('renderHtml', () => {
  const report = scenarioReport();
  const html = renderHtml(report);

  it('builds from a schema-valid report', () => {
    expect(() => Report.parse(report)).not.toThrow();
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
  });

  it('lists every finding, error first', () => {
    const ids = [...html.matchAll(/<article class="finding[^"]*" data-id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids).toEqual(['path.pmtud_blackhole#13', 'dns.same_port_reply_drop#1', 'dns.local_zone_leak#20']);
  });

  it('draws every mark of the small report with its frame', () => {
    const frames = [...html.matchAll(/<rect class="m [^"]*"[^>]*data-frame="(\d+)"/g)].map((m) => Number(m[1]));
    const expected = report.timeline.lanes.flatMap((l) => l.marks.map((m) => m.frame));
    expect(frames.sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b));
  });

  it('draws an unanswered query as waiting until the same question is asked again', () => {
    const aaaa = /<rect [^>]*data-frame="2"[^>]*>/.exec(html)?.[0] ?? '';
    expect(aaaa).toContain('o-unanswered');
    expect(aaaa).toContain(`data-wait="${5011500}"`);
    expect(aaaa).toContain('data-wait-frame="6"');
  });

  it('gives unknown mark types and outcomes the generic style', () => {
    expect(html).toMatch(/class="m t-other o-other"[^>]*data-frame="15"/);
  });

  it('requests nothing: no src, href, url(), @import or external origin', () => {
    const markup = markupOnly(html);
    expect(markup).not.toMatch(/\s(src|href|action|formaction|xlink:href|srcset|poster)=/i);
    expect(html).not.toMatch(/url\(|@import|https?:\/\/(?!www\.w3\.org\/2000\/svg)/i);
  });

  it('sets a CSP that allows exactly its inline script', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/connect-src|unsafe-eval/);
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    expect(scripts).toHaveLength(1);
    const hash = createHash('sha256').update(scripts[0]).digest('base64');
    expect(csp).toContain(`script-src 'sha256-${hash}'`);
  });

  it('never uses innerHTML or eval in its script', () => {
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
  });
});

describe('renderHtml of an empty capture', () => {
  it('renders without findings, lanes or times', () => {
    const base = scenarioReport();
    const empty = Report.parse({
      ...base,
      capture: { ...base.capture, packets: 0, firstTime: null, lastTime: null, durationMicros: 0 },
      counts: { info: 0, warning: 0, error: 0, occurrences: 0 },
      findings: [],
      timeline: { start: null, end: null, overview: { bucketMicros: 1_000_000, packets: [] }, lanes: [], omittedLanes: 0, packetsWithoutLane: 0 },
    });
    const html = renderHtml(empty);
    expect(html).toContain('No findings');
    expect(html).toContain('No lanes');
    expect(html).not.toContain('NaN');
  });
});

describe('renderHtml with hostile capture strings', () => {
  for (const bad of HOSTILE) {
    it(`escapes ${JSON.stringify(bad)}`, () => {
      const html = renderHtml(scenarioReport({ name: bad, hostile: bad, file: bad }));
      // As text: outside quoted attribute values (where the serializer escapes `"` and `&`, and a
      // `<` is inert) the raw string never appears.
      if (/[<>"]/.test(bad)) expect(markupOnly(stripAttributeValues(html))).not.toContain(bad);
      expect(stripAttributeValues(html).match(/<script/g)).toHaveLength(3); // the two JSON blocks and the one script
      // As a browser parses it: no element or handler came from the string, and it reads back whole.
      const doc = parse(html);
      const tags = new Set([...doc.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()));
      for (const t of ['img', 'iframe', 'object', 'embed', 'a', 'form', 'base', 'link']) expect(tags.has(t)).toBe(false);
      expect([...doc.querySelectorAll('svg')].map((e) => e.id).sort()).toEqual(['axis', 'lanes', 'overview', 'plot']);
      expect(doc.querySelectorAll('script')).toHaveLength(3);
      for (const e of doc.querySelectorAll('*')) for (const a of e.getAttributeNames()) expect(a.startsWith('on')).toBe(false);
      expect(doc.querySelector('h1 .file')?.textContent).toBe(bad);
      expect(doc.querySelector('title')?.textContent).toContain(bad.length <= 119 ? bad : bad.slice(0, 50));
      expect(doc.querySelector('[data-frame="2"].m')?.getAttribute('data-mlabel')).toBe(`AAAA ${bad}`);
      // The JSON blocks hold it escaped and parse back to it.
      const embedded = doc.getElementById('dualscope-report')?.textContent ?? '';
      expect(embedded).not.toMatch(/[<>\u2028\u2029]/);
      expect(JSON.parse(embedded).findings[0].names[0]).toBe(bad);
    });
  }

  it('escapes < > & and U+2028/2029 in script JSON', () => {
    const s = jsonForScript({ a: '</script><!--&\u2028\u2029' });
    expect(s).toBe('{"a":"\\u003c/script\\u003e\\u003c!--\\u0026\\u2028\\u2029"}');
    expect(JSON.parse(s)).toEqual({ a: '</script><!--&\u2028\u2029' });
  });
});

describe('renderHtml at scale', () => {
  it('keeps a report with 100k marks well under 5 MB and says what it left out', () => {
    const report = bigReport(100_000);
    const t = performance.now();
    const html = renderHtml(report);
    const elapsed = performance.now() - t;
    const drawn = (html.match(/<rect class="m /g) ?? []).length;
    console.log(`100k marks: ${(html.length / 1e6).toFixed(2)} MB, ${drawn} marks drawn, rendered in ${elapsed.toFixed(0)} ms`);
    expect(html.length).toBeLessThan(3_000_000);
    expect(drawn).toBeLessThanOrEqual(6000 + 200);
    // every evidence frame of the scenario still drawn
    for (const f of [1, 2, 6, 9, 12, 13, 14, 20]) expect(html).toMatch(new RegExp(`data-frame="${f}"`));
    expect(html).toMatch(/\d+ more not shown/);
    expect(html).toMatch(/\d+ more lanes not shown/);
    expect(html).toContain('12,345 packets belong to flows beyond the lane limit');
  });
});
