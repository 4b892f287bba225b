// The upload page, its style, and the login page. The page is static: everything that came from a
// capture or a client (file names, failure reasons) is put in by its one inline script
// (src/server/client/upload-client.ts, compiled by the build) with textContent / createElement,
// never as markup, and the CSP allows exactly that script by its hash, so a hostile name cannot
// run anything here either. The few strings written here (title, size, a login message) are text,
// escaped with the project's one escaping (escapeText, src/report/html/escape.ts).
import { cspScriptHash, escapeText, readClientScript } from '../report/index.js';
import { MAX_CASE_POINTS } from './cases.js';

/** The upload page's script, as the build compiled it. */
export const UPLOAD_JS = readClientScript('upload-client.js');
// Inlined as is: a `</script` inside would end the element early (the compiled script has none).
if (/<\/script/i.test(UPLOAD_JS)) throw new Error('dualscope: upload-client.js contains "</script"');

/** The upload and login pages' policy: the one inline script by its hash, the rest from this server only. */
export const PAGE_CSP = [
  "default-src 'none'",
  `script-src ${cspScriptHash(UPLOAD_JS)}`,
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/** Both pages' <head>: their icon and style from this server, no referrer. */
const pageHead = (title: string): string => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>dualscope: ${escapeText(title)}</title>
<link rel="icon" href="/favicon.ico" type="image/svg+xml">
<link rel="stylesheet" href="/app.css">
</head>`;

export function uploadPage(maxUpload: number, authRequired: boolean): string {
  return `${pageHead('upload captures')}
<body data-max-upload="${maxUpload}" data-max-case-points="${MAX_CASE_POINTS}">
<header class="top"><h1>dualscope</h1><p>Dual-stack (IPv6 + IPv4) incident analysis of packet captures</p>
<span id="live" class="live" data-state="connecting">connecting…</span>${authRequired ? '<form method="post" action="/logout" class="logout"><button type="submit">log out</button></form>' : ''}</header>
<main>
<section id="drop" class="drop" tabindex="-1">
  <p class="big">Drop capture files here</p>
  <p>pcap, pcapng, or either gzip'd — up to ${escapeText(formatBytes(maxUpload))} each</p>
  <label class="button">choose files…<input id="file" type="file" multiple></label>
</section>
<section class="uploads-box"><h2>Uploads</h2><ul id="uploads"><li class="none">Nothing uploaded from this page yet.</li></ul></section>
<section><h2>Analyses</h2>
<div id="case-form" class="case-form" hidden>
  <p><span id="case-count"></span> selected as the points of one case. Name each point (client, resolver, server…); the first is the clock reference.</p>
  <ol id="case-points"></ol>
  <button id="case-create" type="button">correlate as one case</button> <button id="case-clear" type="button" class="plain">clear the selection</button>
</div>
<table id="analyses"><thead><tr><th title="select 2 to 8 captures of one incident to correlate them as a case"><span class="sr">select</span></th><th>Capture</th><th>Uploaded</th><th class="num">Size</th><th class="num">Packets</th><th>Findings</th><th>Status</th><th>Downloads</th><th></th></tr></thead>
<tbody></tbody></table>
<p id="empty" class="none">No analyses yet.</p>
<p><button id="older" type="button" hidden>show older analyses</button></p>
</section>
<section id="cases-box"><h2>Cases</h2>
<p class="hint">A case is captures of one incident taken at the same time at several points — the client, a firewall, the resolver, the server — correlated into one report that says where packets vanished. Tick 2 to 8 analyses above, or upload the captures together:</p>
<label class="button">upload captures as one case…<input id="case-files" type="file" multiple></label>
<p id="case-msg" class="msg" role="status"></p>
<table id="cases"><thead><tr><th>Capture points</th><th>Created</th><th class="num">Matched packets</th><th>Findings</th><th>Downloads</th><th></th></tr></thead>
<tbody></tbody></table>
<p id="no-cases" class="none">No cases yet.</p>
<p><button id="older-cases" type="button" hidden>show older cases</button></p>
</section>
</main>
<script>${UPLOAD_JS}</script>
</body></html>
`;
}

export function loginPage(message: string | undefined): string {
  return `${pageHead('log in')}
<body class="login">
<main>
<h1>dualscope</h1>
<form method="post" action="/login">
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">log in</button>
${message === undefined ? '' : `<p class="error" role="alert">${escapeText(message)}</p>`}
</form>
<p class="hint">Ask whoever runs this server for its token (the contents of its --token-file).</p>
</main>
</body></html>
`;
}

/** The tab icon (also asked for by every report page): two interleaved rings, v6 and v4. */
export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="6" cy="8" r="4.5" fill="none" stroke="#2458c6" stroke-width="2"/><circle cx="10" cy="8" r="4.5" fill="none" stroke="#a05a00" stroke-width="2"/></svg>';

export const APP_CSS = `
:root { --fg: #1d2430; --muted: #5b6678; --line: #d7dce4; --bg: #f6f7f9; --accent: #2458c6;
  --error: #b3261e; --warning: #a05a00; --info: #35618f; --ok: #1b7a3d; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header.top { display: flex; align-items: baseline; gap: 16px; padding: 14px 24px; background: #fff; border-bottom: 1px solid var(--line); }
header.top h1 { margin: 0; font-size: 20px; }
header.top p { margin: 0; color: var(--muted); flex: 1; }
.live { font-size: 12px; color: var(--muted); }
.live[data-state="open"] { color: var(--ok); }
.logout { margin: 0; }
main { max-width: 1200px; margin: 0 auto; padding: 20px 24px 40px; }
h2 { font-size: 16px; margin: 24px 0 8px; }
.drop { border: 2px dashed #9aa6b8; border-radius: 10px; background: #fff; padding: 28px; text-align: center; }
.drop.over { border-color: var(--accent); background: #eef3fd; }
.drop .big { font-size: 18px; margin: 0 0 4px; }
.drop p { margin: 4px 0; color: var(--muted); }
.button, button { display: inline-block; margin-top: 10px; padding: 6px 14px; border: 1px solid var(--accent); border-radius: 6px;
  background: var(--accent); color: #fff; font: inherit; cursor: pointer; }
.button input { display: none; }
button.delete { background: #fff; color: var(--error); border-color: var(--error); margin: 0; padding: 2px 10px; }
button.delete.confirm { background: var(--error); color: #fff; }
ul#uploads { list-style: none; padding: 0; margin: 0; }
ul#uploads li { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin-bottom: 6px;
  display: grid; grid-template-columns: minmax(160px, 1fr) 200px 2fr; gap: 12px; align-items: center; }
ul#uploads li.none, p.none { display: block; color: var(--muted); background: none; border: 0; padding: 0; }
ul#uploads .file { font-weight: 600; overflow-wrap: anywhere; }
ul#uploads progress { width: 100%; }
.msg.error, .error { color: var(--error); }
.msg.done { color: var(--ok); }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; background: #fafbfc; }
td.name { overflow-wrap: anywhere; max-width: 320px; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.count { display: inline-block; min-width: 24px; padding: 0 6px; margin-right: 4px; border-radius: 9px; font-size: 12px; text-align: center; color: #fff; }
.count[data-severity="error"] { background: var(--error); }
.count[data-severity="warning"] { background: var(--warning); }
.count[data-severity="info"] { background: var(--info); }
.count.zero { background: #e6e9ee; color: var(--muted); }
.status[data-status="failed"] { color: var(--error); }
.status[data-status="done"] { color: var(--ok); }
.status .detail { display: block; color: var(--muted); font-size: 12px; }
td.dl a { margin-right: 8px; }
a { color: var(--accent); }
body.login main { max-width: 380px; margin-top: 10vh; background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 24px; }
body.login label { display: block; margin: 12px 0 4px; }
body.login input { width: 100%; padding: 6px 8px; font: inherit; }
.hint { color: var(--muted); font-size: 12px; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
td.pick { width: 28px; }
.case-form { background: #fff; border: 1px solid var(--accent); border-radius: 6px; padding: 8px 12px; margin-bottom: 8px; }
.case-form p { margin: 0 0 6px; }
.case-form ol { margin: 0 0 6px; padding-left: 22px; }
.case-form li { margin: 3px 0; }
.case-form li .file { display: inline-block; min-width: 200px; overflow-wrap: anywhere; color: var(--muted); }
.case-form input[type=text] { padding: 3px 6px; font: inherit; width: 240px; }
button.plain { background: #fff; color: var(--accent); }
td.points .point { display: block; overflow-wrap: anywhere; }
td.points .point .clock { color: var(--muted); font-size: 12px; margin-left: 6px; }
#case-msg:empty { display: none; }
`;
