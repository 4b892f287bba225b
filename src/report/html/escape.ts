// The project's one HTML escaping, JSON for a script block, and the CSP hash. The markup builder
// (markup.ts) escapes every value it writes with escapeText and escapeAttribute; the upload
// service's static pages (src/server/page.ts), the one page still written as strings, use them too.
import { createHash } from 'node:crypto';

// The contract, as a browser's serializer writes it (HTML "escaping a string"):
//   - text: & < > become &amp; &lt; &gt;, and U+00A0 &nbsp;; quotes stay as they are;
//   - an attribute value, always written double-quoted: & " ' < > become &amp; &quot; &#39; &lt; &gt;,
//     U+00A0 &nbsp; (' too, so a value stays inert even in a single-quoted context by mistake).
const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\u00a0': '&nbsp;' };
const ATTRIBUTE_ESCAPES: Record<string, string> = { ...TEXT_ESCAPES, '"': '&quot;', "'": '&#39;' };
const TEXT_SPECIAL = /[&<>\u00a0]/;
const ATTRIBUTE_SPECIAL = /[&<>"'\u00a0]/;

// Most values need no escaping: a test first, so they are not copied.
/** A string as the text of an element (not inside <script> or <style>). */
export const escapeText = (s: string): string => (TEXT_SPECIAL.test(s) ? s.replace(/[&<>\u00a0]/g, (c) => TEXT_ESCAPES[c]!) : s);
/** A string as an attribute value written between double quotes. */
export const escapeAttribute = (s: string): string =>
  ATTRIBUTE_SPECIAL.test(s) ? s.replace(/[&<>"'\u00a0]/g, (c) => ATTRIBUTE_ESCAPES[c]!) : s;

/**
 * JSON for a `<script type="application/json">` block: `<`, `>` and `&` become \u escapes so no
 * `</script>` or `<!--` can appear, and U+2028/U+2029 too (line terminators to older JS parsers).
 */
export const jsonForScript = (value: unknown): string =>
  JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** The CSP source expression allowing exactly this inline script. */
export const cspScriptHash = (script: string): string =>
  `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`;

/** Cuts a capture string for display; the full text stays available elsewhere (tooltip, JSON). */
export const clip = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);
