// The project's one HTML escaping (src/report/html/escape.ts), used by the markup builder and the
// upload service's pages: its contract character by character, and that a hostile string, escaped,
// parses back (jsdom, as a browser parses) to itself as text and as a double-quoted attribute value.
import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import { escapeAttribute, escapeText } from '../../../src/report/html/escape.js';

const HOSTILE = `<script>window.__pwned=1</script>"><img src=x onerror=alert(1)>' &amp; \u2028\u2029\u00a0<!--end`;

describe('escapeText and escapeAttribute', () => {
  it('escape text as & < > and U+00A0, quotes left as they are; attributes also " and \'', () => {
    expect(escapeText(`a&b<c>d"e'f\u00a0g\u2028`)).toBe(`a&amp;b&lt;c&gt;d"e'f&nbsp;g\u2028`);
    expect(escapeAttribute(`a&b<c>d"e'f\u00a0g\u2028`)).toBe('a&amp;b&lt;c&gt;d&quot;e&#39;f&nbsp;g\u2028');
    expect(escapeText('&amp;')).toBe('&amp;amp;');
    // Nothing else changes, and a string with nothing to escape comes back as it is.
    const plain = 'dns.example. 2001:db8::1 → 192.0.2.1 µs ✕ \u{1f600}';
    expect(escapeText(plain)).toBe(plain);
    expect(escapeAttribute(plain)).toBe(plain);
  });

  it('write what a browser serializes, and parse back to the same string', () => {
    const doc = new JSDOM(`<!DOCTYPE html><p id="t">${escapeText(HOSTILE)}</p><p id="a" title="${escapeAttribute(HOSTILE)}"></p>`).window.document;
    const t = doc.getElementById('t')!;
    expect(t.textContent).toBe(HOSTILE);
    expect(t.innerHTML).toBe(escapeText(HOSTILE));
    expect(doc.getElementById('a')!.getAttribute('title')).toBe(HOSTILE);
    expect(doc.querySelectorAll('script, img').length).toBe(0);
  });
});
