// The markup builder's contract (src/report/html/markup.ts): every value escaped for where it
// lands unless it is the builder's own Markup; names from closed lists; constants that cannot
// leave their element. And the whole page: one hostile string in every place a capture string
// reaches comes out escaped and parses back (jsdom, as a browser parses) to the same text.
import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import { renderHtml, renderHtmlChunks } from '../../../src/report/html.js';
import { jsonForScript } from '../../../src/report/html/escape.js';
import { cspMeta, el, end, fragment, inlineScript, inlineStyle, jsonScript, Markup, start, type Tag } from '../../../src/report/html/markup.js';
import { Report, type Finding } from '../../../src/report/schema.js';
import { incidentOf, scenarioReport } from '../../support/report-builder.js';

/** Markup, a tag breaking out of an attribute, an entity that must stay text, and the characters serializers treat specially. */
const HOSTILE = `<script>window.__pwned=1</script>"><img src=x onerror=alert(1)>' &amp; \u2028\u2029\u00a0<!--end`;

const parse = (html: string): Document => new JSDOM(html).window.document;

describe('el', () => {
  it('escapes text: & < > and U+00A0, quotes left as they are', () => {
    expect(el('span', null, `a&b<c>d"e'f\u00a0g`).html).toBe(`<span>a&amp;b&lt;c&gt;d"e'f&nbsp;g</span>`);
  });

  it("escapes attribute values: & \" ' < > and U+00A0", () => {
    expect(el('span', { title: `a&b<c>d"e'f\u00a0g` }).html).toBe('<span title="a&amp;b&lt;c&gt;d&quot;e&#39;f&nbsp;g"></span>');
  });

  it('writes numbers as String() does, true as an empty value, and leaves out false, null and undefined', () => {
    expect(el('rect', { x: 1.5, y: -0, width: 1e21, hidden: true, open: false, a: null, b: undefined }).html).toBe('<rect x="1.5" y="0" width="1e+21" hidden=""></rect>');
  });

  it('keeps Markup as it is, flattens arrays, and writes void elements without an end tag', () => {
    const inner = el('code', null, '<x>');
    expect(el('p', null, inner, ['a', ['<', 2]], false, null, el('input', { type: 'checkbox' })).html).toBe('<p><code>&lt;x&gt;</code>a&lt;2<input type="checkbox"></p>');
    expect(() => el('input', null, 'child')).toThrow(/no children/);
  });

  it('refuses element names outside its list and attribute names that run, fetch or do not look like names', () => {
    expect(() => el('script' as Tag, null)).toThrow(/refused/);
    expect(() => el('img' as Tag, null)).toThrow(/refused/);
    for (const name of ['onclick', 'onerror', 'href', 'src', 'style', 'a b', 'x"', '"><img', 'Title', '']) expect(() => el('span', { [name]: 'v' })).toThrow(/refused/);
    expect(() => start('iframe' as Tag)).toThrow(/refused/);
    expect(() => end('script' as Tag)).toThrow(/refused/);
  });

  it('has no way to turn a string into Markup from outside', () => {
    expect(() => new Markup(Symbol('dualscope markup') as never, '<img src=x>')).toThrow(/only by/);
    expect(fragment('<img src=x>').html).toBe('&lt;img src=x&gt;');
  });
});

describe('the page constants', () => {
  it('refuse content that could leave their element', () => {
    expect(() => inlineScript('a</script><img>')).toThrow();
    expect(() => inlineScript('a</SCRIPT >')).toThrow();
    expect(() => inlineScript('<!--')).toThrow();
    expect(() => inlineStyle('a{}</style><img>')).toThrow();
    expect(() => cspMeta(`default-src 'none'"><img src=x>`)).toThrow();
    expect(cspMeta("default-src 'none'; script-src 'sha256-AbC+/9='").html).toBe(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-AbC+/9='">`);
  });

  it('write a JSON block in pieces that join to exactly jsonForScript of the whole', () => {
    const values = [
      { a: 1, list: [1, { b: HOSTILE }, undefined, null], gone: undefined, f: () => 1, s: HOSTILE, empty: [], nested: { x: [1, 2] } },
      {},
      { only: [] },
      [HOSTILE, 2],
    ];
    for (const v of values) {
      const pieces = [...jsonScript('x', v)].map((m) => m.html);
      expect(pieces.join('')).toBe(`<script type="application/json" id="x">${jsonForScript(v)}</script>`);
    }
    expect([...jsonScript('x', { list: [1, 2, 3] })].length).toBeGreaterThan(3); // an array's elements are pieces of their own
  });

  it('open deeper levels when asked, still joining to exactly jsonForScript of the whole', () => {
    const occurrence = (k: number) => ({ id: `o${k}`, name: HOSTILE, at: new Date(Date.UTC(2026, 0, 1, 0, 0, k)), gone: undefined, list: [k, undefined, () => 1] });
    const value = {
      findings: [
        { id: 'a', occurrences: Array.from({ length: 50 }, (_, k) => occurrence(k)), f: () => 1, empty: [], none: {} },
        { id: 'b', occurrences: [] },
        undefined,
      ],
      when: new Date(0),
      count: 2,
    };
    for (const levels of [0, 1, 2, 3, 4, 6]) {
      const pieces = [...jsonScript('x', value, levels)].map((m) => m.html);
      expect(pieces.join('')).toBe(`<script type="application/json" id="x">${jsonForScript(value)}</script>`);
    }
    // At 4 levels each occurrence is a piece of its own: none holds two.
    const longest = Math.max(...[...jsonScript('x', value, 4)].map((m) => m.html.length));
    expect(longest).toBeLessThan(jsonForScript(occurrence(10)).length + 20);
    expect(Math.max(...[...jsonScript('x', value, 2)].map((m) => m.html.length))).toBeGreaterThan(longest * 40);
  });
});

/** The scenario with the hostile string in every field a capture fills, and an incident of two occurrences (the occurrence table). */
function hostileReport(): Report {
  const base = scenarioReport({ name: HOSTILE, hostile: HOSTILE, file: HOSTILE });
  const drop = base.findings.find((f) => f.kind === 'dns.same_port_reply_drop')!;
  const { cause: _c, count: _n, clients: _cl, servers: _s, nameTally: _t, delay: _d, representatives: _r, occurrences: _o, ...first } = drop;
  const again: Finding = { ...first, id: 'dns.same_port_reply_drop#9', client: HOSTILE, server: HOSTILE, names: [HOSTILE, 'b', 'c', 'd'], summary: `again ${HOSTILE}` };
  const grouped = incidentOf({ ...first, displayFilter: HOSTILE, remedy: HOSTILE, details: { note: HOSTILE, list: [HOSTILE, 'x'] } }, [again]);
  return Report.parse({
    ...base,
    findings: base.findings.map((f) => (f === drop ? grouped : f)),
    timeline: { ...base.timeline, lanes: base.timeline.lanes.map((l) => ({ ...l, id: `${l.id}${HOSTILE}` })) },
  });
}

describe('the page with a hostile string in every capture field', () => {
  const report = hostileReport();
  const html = renderHtml(report);
  const doc = parse(html);
  const card = (id: string): Element => doc.querySelector(`.finding[data-id="${id}"]`)!;
  const dd = (c: Element, term: string): string | null | undefined =>
    [...c.querySelectorAll('dt')].find((d) => d.textContent === term)?.nextElementSibling?.textContent;

  it('makes no element, attribute or script of it', () => {
    expect(doc.querySelectorAll('script')).toHaveLength(3);
    expect(doc.querySelectorAll('img, iframe, object, embed, a, form, base, link')).toHaveLength(0);
    for (const e of doc.querySelectorAll('*')) for (const a of e.getAttributeNames()) expect(a.startsWith('on')).toBe(false);
    // outside the JSON blocks the raw string is nowhere in the file
    expect(html.replace(/<script type="application\/json"[^>]*>[^<]*<\/script>/g, '')).not.toContain('<script>window');
    expect(html).not.toContain('<img');
  });

  it('reads it back whole as text: file name, summaries, names, evidence, impact, remedy, filter, details', () => {
    expect(doc.querySelector('h1 .file')?.textContent).toBe(HOSTILE);
    expect(doc.querySelector('title')?.textContent).toBe(`dualscope: ${HOSTILE}`);
    const pmtud = card('path.pmtud_blackhole#13');
    expect(pmtud.querySelector('.summary')?.textContent).toBe(`Full-size segments to 2001:db8::10 never arrive after the handshake${HOSTILE}`);
    expect(dd(pmtud, 'Names')).toBe(HOSTILE);
    expect(dd(pmtud, 'Impact')).toBe(`connection stalls, reset after 2 s${HOSTILE}; delay 1.96 s; 1428 bytes stalled`);
    const row = pmtud.querySelector('tr[data-frame="12"]')!;
    expect([...row.querySelectorAll('td')].map((td) => td.textContent)).toEqual(['12', '+5.056000 s', `PTB mtu 1280${HOSTILE}`, '2001:db8:ff::1 → 2001:db8:1::443', HOSTILE]);
    expect(dd(pmtud, 'note')).toBe(HOSTILE);
    const drop = card('dns.same_port_reply_drop#1');
    expect(dd(drop, 'Remedy')).toBe(HOSTILE);
    expect(dd(drop, 'Confidence')).toBe(`medium: one lookup only${HOSTILE}`);
    expect(dd(drop, 'list')).toBe(`${HOSTILE}, x`);
    expect(drop.querySelector('.filter code')?.textContent).toBe(HOSTILE);
    expect(dd(drop, 'Clients (2)')).toBe(`2001:db8::10, ${HOSTILE}`);
  });

  it('reads it back whole from attributes: occurrence rows, lane labels and ids, mark tooltips', () => {
    const occ = [...card('dns.same_port_reply_drop#1').querySelectorAll('tr.occ')];
    expect(occ.map((r) => r.getAttribute('data-occ'))).toEqual(['dns.same_port_reply_drop#1', 'dns.same_port_reply_drop#9']);
    expect(occ[1].getAttribute('title')).toMatch(new RegExp(`; again ${HOSTILE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    expect(occ[1].querySelector('td span')?.textContent).toBe(`${HOSTILE} → ${HOSTILE}`);
    expect(occ[1].querySelector('.occ-names')?.textContent).toBe(` ${HOSTILE}, b, c …`);
    const dnsLane = report.timeline.lanes[0];
    expect(doc.querySelector('g.lane')?.getAttribute('data-lane')).toBe(dnsLane.id);
    expect(doc.querySelector('g.lane .lane-label title')?.textContent).toBe(dnsLane.label);
    expect(doc.querySelector('g.marks')?.getAttribute('data-label')).toBe(dnsLane.label);
    const aaaa = doc.querySelector('#plot .m[data-frame="2"]')!;
    expect(aaaa.getAttribute('data-mlabel')).toBe(`AAAA ${HOSTILE}`);
    expect(aaaa.getAttribute('data-detail')).toBe(`id 0x1a2c port 40000 udp${HOSTILE}`);
    const odd = doc.querySelector('#plot .m[data-frame="15"]')!;
    expect(odd.getAttribute('data-detail')).toBe(HOSTILE);
    expect(odd.getAttribute('data-outcome')).toBe(`strange${HOSTILE}`.slice(0, 39) + '…');
  });

  it('carries it in the JSON blocks, escaped, parsing back to it', () => {
    const embedded = doc.getElementById('dualscope-report')?.textContent ?? '';
    expect(embedded).not.toMatch(/[<>&\u2028\u2029]/);
    const back = JSON.parse(embedded) as Report;
    expect(back.capture.file).toBe(HOSTILE);
    expect(back.findings.find((f) => f.id === 'dns.same_port_reply_drop#1')?.occurrences[1].summary).toBe(`again ${HOSTILE}`);
  });

  it('is the same page in pieces as in one string', () => {
    const pieces = [...renderHtmlChunks(report)];
    expect(pieces.join('')).toBe(html);
    expect(pieces.length).toBeGreaterThan(10);
  });
});
