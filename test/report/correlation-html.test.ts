// The correlation ladder's page frame with hostile strings in every place a capture string or a
// label reaches: a correlation of two real lab captures (the client and the resolver of one
// same-port reply drop), its labels, file names, notes, rewrites and evidence carrying markup, a
// quote that breaks out of an attribute, an entity, U+2028/2029 and U+00A0. Read back with jsdom
// (as a browser parses, no script run): the same text where it is shown, nothing that runs, and the
// JSON block the page's script draws from parses back to the report's strings.
import { join, resolve } from 'node:path';
import { JSDOM } from 'jsdom';
import { beforeAll, describe, expect, it } from 'vitest';
import { correlateFiles } from '../../src/correlate/index.js';
import { clip } from '../../src/report/html/escape.js';
import { renderCorrelationHtml, type CorrelatedReport } from '../../src/report/correlation/index.js';

const SAMPLES = resolve('samples');
const HOSTILE = `<script>window.__pwned=1</script>"><img src=x onerror=alert(1)>' &amp; \u2028\u2029\u00a0<!--end`;
const DNS_NAME = `${HOSTILE}.example.`;

describe('correlation page with hostile strings', () => {
  let report: CorrelatedReport;
  let doc: Document;
  let html: string;
  beforeAll(async () => {
    report = await correlateFiles(
      [
        { file: join(SAMPLES, 'same-port-drop-a-client.pcap'), label: `client ${HOSTILE}` },
        { file: join(SAMPLES, 'same-port-drop-a-resolver.pcap'), label: `resolver ${HOSTILE}` },
      ],
      { generatedAt: '2026-01-01T00:00:00.000Z' },
    );
    expect(report.findings.length).toBeGreaterThan(0);
    // What a capture could put in the strings the page shows: the renderer must escape whatever it gets.
    report.points[0]!.capture.file = `/captures/${HOSTILE}.pcap`;
    report.overlap.note = HOSTILE;
    report.stretches.push({ ...(report.stretches[0] ?? { packets: 1, lost: 0, delayMicros: null }), from: HOSTILE, to: `to ${HOSTILE}`, rewrites: [{ example: DNS_NAME }] } as CorrelatedReport['stretches'][number]);
    report.findings[0]!.evidence[0]!.detail = `AAAA ${DNS_NAME}`;
    html = renderCorrelationHtml(report);
    doc = new JSDOM(html).window.document;
  });

  it('shows each string as the same text, in the title and the tables', () => {
    expect(doc.title).toBe(`dualscope correlation: ${clip(`client ${HOSTILE} + resolver ${HOSTILE}`, 120)}`);
    const points = [...doc.querySelectorAll('#points tr')].slice(1).map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent));
    expect(points.map((r) => r[0])).toEqual([`client ${HOSTILE}`, `resolver ${HOSTILE}`].map((l) => clip(l, 80)));
    expect(points[0]![1]).toBe(clip(`/captures/${HOSTILE}.pcap`, 120));
    expect(doc.querySelector('header p')!.textContent).toBe(`${HOSTILE}. Times on ${clip(report.reference, 80)}'s clock.`);
    const last = [...doc.querySelectorAll('#stretches tr')].pop()!.querySelectorAll('td');
    expect(last[0]!.textContent).toBe(`${clip(HOSTILE, 60)} → ${clip(`to ${HOSTILE}`, 60)}`);
    expect(last[3]!.textContent).toBe(DNS_NAME);
  });

  it('has nothing that runs but its own two script elements, and no element from the strings', () => {
    expect(doc.querySelectorAll('img').length).toBe(0);
    const scripts = [...doc.querySelectorAll('script')];
    expect(scripts.map((s) => s.getAttribute('type'))).toEqual(['application/json', null]);
    expect(scripts[0]!.id).toBe('dualscope-correlation');
    expect(html).not.toContain('<img');
    expect(html.split('<script').length - 1).toBe(2);
  });

  it('carries the strings in the JSON block, escaped, parsing back to them', () => {
    const embedded = doc.getElementById('dualscope-correlation')!.textContent!;
    expect(embedded).not.toMatch(/[<>&\u2028\u2029]/);
    const back = JSON.parse(embedded) as { report: CorrelatedReport; columns: string[] };
    expect(back.columns.sort()).toEqual([`client ${HOSTILE}`, `resolver ${HOSTILE}`].sort());
    expect(back.report.findings[0]!.evidence[0]!.detail).toBe(`AAAA ${DNS_NAME}`);
    expect(back.report.overlap.note).toBe(HOSTILE);
  });
});
