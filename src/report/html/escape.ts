// Escaping helpers: JSON for a script block and the CSP hash, used by the markup builder
// (markup.ts, which writes the HTML report and escapes on its own), and escapeHtml for the pages
// still written by hand (the correlation ladder's tables, the batch's fleet report).
import { createHash } from 'node:crypto';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or a quoted attribute value. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);

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
