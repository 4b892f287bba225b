// The reports' Content-Security-Policy, defined once: the HTML file carries it in a <meta> (a
// report opened from disk), and `serve` sends the same policy as a header with what only a
// header can say. The correlation ladder's file carries the same policy for its own script. The
// server imports this; nothing here knows about the server.
import { CLIENT_JS, CORRELATION_CLIENT_JS } from './assets.js';
import { cspScriptHash } from './escape.js';

/**
 * A report file's one client script by its hash (the script the renderer writes — never hashes
 * read from a stored page, so markup that got into a report could not allow itself), inline
 * styles, data: images, and no requests at all. The JSON blocks carry a type attribute and never run.
 */
const reportPolicy = (script: string): readonly string[] => [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  `script-src ${cspScriptHash(script)}`,
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
];
const REPORT_POLICY = reportPolicy(CLIENT_JS);

/** For the correlation ladder's <meta http-equiv>. */
export const CORRELATION_META_CSP = reportPolicy(CORRELATION_CLIENT_JS).join('; ');

/** For the file's <meta http-equiv>: browsers ignore frame-ancestors and sandbox there. */
export const REPORT_META_CSP = REPORT_POLICY.join('; ');

/**
 * For the HTTP header: the same policy, no requests said twice (default-src already forbids them),
 * never framed, and sandboxed, so even the allowed script runs without the server's origin (its
 * cookies, its API).
 */
export const REPORT_HEADER_CSP = [...REPORT_POLICY, "connect-src 'none'", "frame-ancestors 'none'", 'sandbox allow-scripts'].join('; ');
