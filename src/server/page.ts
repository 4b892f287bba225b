// The upload page, its script and style, and the login page. The page is static: everything that
// came from a capture or a client (file names, failure reasons) is put in by the script with
// textContent / createElement, never as markup, and the CSP allows only the page's own script
// file, so a hostile name cannot run anything here either.

export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

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

export function uploadPage(maxUpload: number, authRequired: boolean): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>dualscope: upload captures</title>
<link rel="icon" href="/favicon.ico" type="image/svg+xml">
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body data-max-upload="${maxUpload}">
<header class="top"><h1>dualscope</h1><p>Dual-stack (IPv6 + IPv4) incident analysis of packet captures</p>
<span id="live" class="live" data-state="connecting">connecting…</span>${authRequired ? '<form method="post" action="/logout" class="logout"><button type="submit">log out</button></form>' : ''}</header>
<main>
<section id="drop" class="drop" tabindex="-1">
  <p class="big">Drop capture files here</p>
  <p>pcap, pcapng, or either gzip'd — up to ${esc(formatBytes(maxUpload))} each</p>
  <label class="button">choose files…<input id="file" type="file" multiple></label>
</section>
<section class="uploads-box"><h2>Uploads</h2><ul id="uploads"><li class="none">Nothing uploaded from this page yet.</li></ul></section>
<section><h2>Analyses</h2>
<table id="analyses"><thead><tr><th>Capture</th><th>Uploaded</th><th class="num">Size</th><th class="num">Packets</th><th>Findings</th><th>Status</th><th>Downloads</th><th></th></tr></thead>
<tbody></tbody></table>
<p id="empty" class="none">No analyses yet.</p>
<p><button id="older" type="button" hidden>show older analyses</button></p>
</section>
</main>
</body></html>
`;
}

export function loginPage(message: string | undefined): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>dualscope: log in</title>
<link rel="icon" href="/favicon.ico" type="image/svg+xml">
<link rel="stylesheet" href="/app.css">
</head>
<body class="login">
<main>
<h1>dualscope</h1>
<form method="post" action="/login">
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">log in</button>
${message === undefined ? '' : `<p class="error" role="alert">${esc(message)}</p>`}
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
`;

/**
 * The page's script. Plain DOM: every server string goes in through textContent (el() below).
 * Uploads use XMLHttpRequest for its upload progress; the analyses list follows server-sent events.
 */
export const APP_JS = String.raw`'use strict';
(() => {
  const MAX = Number(document.body.dataset.maxUpload);
  const rows = new Map();
  const pending = new Map(); // id → upload list item waiting for its analysis
  const tbody = document.querySelector('#analyses tbody');
  const uploads = document.getElementById('uploads');
  const live = document.getElementById('live');

  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null) continue;
      if (k === 'text') e.textContent = String(v);
      else if (k === 'class') e.className = v;
      else e.setAttribute(k, String(v));
    }
    for (const c of children) if (c !== undefined && c !== null) e.append(c);
    return e;
  }

  function bytes(n) {
    if (n < 1024) return n + ' B';
    const u = ['KiB', 'MiB', 'GiB', 'TiB'];
    let v = n / 1024, i = 0;
    while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return (v >= 10 ? Math.round(v) : v.toFixed(1)) + ' ' + u[i];
  }
  const plural = (n, w) => n + ' ' + w + (n === 1 ? '' : 's');
  const api = (id, what) => '/api/analyses/' + encodeURIComponent(id) + (what ? '/' + what : '');
  const totalFindings = (c) => c ? c.error + c.warning + c.info : 0;

  // ── the list of analyses ────────────────────────────────────────────────────────────────────
  function statusDetail(a) {
    if (a.status === 'failed') return a.reason || 'failed';
    const p = a.progress;
    if (!p) return a.status === 'queued' ? 'waiting for a worker' : '';
    const what = p.phase === 'upload' ? 'receiving' : 'analysing';
    const of = p.total ? ' of ' + bytes(p.total) : '';
    return what + ' ' + bytes(p.bytes) + of + ' · ' + plural(p.packets, 'packet');
  }

  function countsCell(a) {
    const td = el('td', { class: 'findings' });
    if (!a.counts) return td;
    for (const sev of ['error', 'warning', 'info']) {
      const n = a.counts[sev];
      td.append(el('span', { class: 'count' + (n === 0 ? ' zero' : ''), 'data-severity': sev, title: plural(n, sev === 'info' ? 'info finding' : sev), text: n }));
    }
    return td;
  }

  function deleteButton(a) {
    const b = el('button', { class: 'delete', type: 'button', text: 'delete', title: 'delete this analysis and its capture' });
    let armed;
    b.addEventListener('click', async () => {
      if (!armed) {
        b.classList.add('confirm');
        b.textContent = 'really delete?';
        armed = setTimeout(() => { armed = undefined; b.classList.remove('confirm'); b.textContent = 'delete'; }, 4000);
        return;
      }
      clearTimeout(armed);
      b.disabled = true;
      const r = await fetch(api(a.id), { method: 'DELETE' });
      if (r.ok || r.status === 404) removeRow(a.id);
      else b.textContent = 'delete failed (' + r.status + ')';
    });
    return b;
  }

  function renderRow(a) {
    const name = a.status === 'done'
      ? el('a', { href: api(a.id, 'report.html'), class: 'report-link', text: a.name })
      : el('span', { text: a.name });
    const dl = el('td', { class: 'dl' });
    if (a.status === 'done') dl.append(el('a', { href: api(a.id, 'report.json'), download: '', text: 'JSON' }));
    if (a.stored) dl.append(el('a', { href: api(a.id, 'capture'), download: '', text: 'capture' }));
    return el('tr', { 'data-id': a.id, 'data-status': a.status },
      el('td', { class: 'name' }, name),
      el('td', { class: 'when', text: new Date(a.createdAt).toLocaleString() }),
      el('td', { class: 'num size', text: bytes(a.size) }),
      el('td', { class: 'num packets', text: a.packets === null ? (a.progress ? a.progress.packets : '') : a.packets }),
      countsCell(a),
      el('td', { class: 'status', 'data-status': a.status }, el('span', { text: a.status }), el('span', { class: 'detail', text: statusDetail(a) })),
      dl,
      el('td', {}, deleteButton(a)));
  }

  function redraw() {
    const list = [...rows.values()].sort((x, y) => (x.createdAt < y.createdAt ? 1 : x.createdAt > y.createdAt ? -1 : 0));
    tbody.replaceChildren(...list.map((a) => a.tr));
    document.getElementById('empty').hidden = list.length > 0;
  }

  function upsert(a) {
    const old = rows.get(a.id);
    a.tr = renderRow(a);
    rows.set(a.id, a);
    if (old && old.createdAt === a.createdAt) old.tr.replaceWith(a.tr);
    else redraw();
    const item = pending.get(a.id);
    if (item) followUpload(item, a);
  }

  function removeRow(id) {
    const old = rows.get(id);
    if (!old) return;
    rows.delete(id);
    old.tr.remove();
    document.getElementById('empty').hidden = rows.size > 0;
  }

  // The list comes in pages (newest first); "show older" fetches the next one.
  const older = document.getElementById('older');
  let nextPage = null;

  async function loadPage(before) {
    const r = await fetch('/api/analyses' + (before ? '?before=' + encodeURIComponent(before) : ''));
    if (r.status === 401) { location.href = '/login'; return undefined; }
    if (!r.ok) return undefined;
    const body = await r.json();
    nextPage = body.next;
    older.hidden = !nextPage;
    return body.analyses;
  }

  async function refresh() {
    const list = await loadPage(null);
    if (!list) return;
    rows.clear();
    for (const a of list) { a.tr = renderRow(a); rows.set(a.id, a); }
    redraw();
    for (const [id, item] of pending) { const a = rows.get(id); if (a) followUpload(item, a); }
  }

  older.addEventListener('click', async () => {
    if (!nextPage) return;
    older.disabled = true;
    const list = await loadPage(nextPage);
    older.disabled = false;
    if (!list) return;
    for (const a of list) { if (!rows.has(a.id)) { a.tr = renderRow(a); rows.set(a.id, a); } }
    redraw();
  });

  function connect() {
    const es = new EventSource('/api/events');
    es.addEventListener('open', () => { live.dataset.state = 'open'; live.textContent = 'live'; refresh(); });
    es.addEventListener('error', () => { live.dataset.state = 'retrying'; live.textContent = 'reconnecting…'; });
    es.addEventListener('analysis', (e) => upsert(JSON.parse(e.data)));
    es.addEventListener('deleted', (e) => removeRow(JSON.parse(e.data).id));
  }

  // ── uploads ─────────────────────────────────────────────────────────────────────────────────
  function uploadItem(file) {
    uploads.querySelector('li.none')?.remove();
    const bar = el('progress', { max: 1, value: 0 });
    const msg = el('span', { class: 'msg', text: 'waiting…' });
    const li = el('li', { 'data-file': file.name }, el('span', { class: 'file', text: file.name }), bar, msg);
    uploads.prepend(li);
    return { li, bar, msg };
  }

  function say(item, text, kind) {
    item.msg.replaceChildren(text);
    item.msg.className = 'msg' + (kind ? ' ' + kind : '');
    item.li.dataset.state = kind || 'busy';
  }

  function followUpload(item, a) {
    if (a.status === 'done') {
      pending.delete(a.id);
      item.bar.value = item.bar.max;
      const n = totalFindings(a.counts);
      say(item, el('span', {}, 'done: ' + plural(n, 'finding') + ' in ' + plural(a.packets, 'packet') + ' — ',
        el('a', { href: api(a.id, 'report.html'), text: 'open the report' })), 'done');
    } else if (a.status === 'failed') {
      pending.delete(a.id);
      say(item, 'analysis failed: ' + (a.reason || 'unknown reason'), 'error');
    } else {
      say(item, a.status === 'queued' ? 'uploaded; waiting for a worker…' : 'analysing… ' + statusDetail(a));
    }
  }

  const REFUSED = { 400: 'refused', 401: 'not logged in', 413: 'too large', 415: 'not a capture', 503: 'server busy' };

  function upload(file) {
    const item = uploadItem(file);
    if (file.size > MAX) {
      say(item, 'too large: ' + bytes(file.size) + ' is over this server\'s limit of ' + bytes(MAX) + ' per capture; not sent', 'error');
      return;
    }
    if (file.size === 0) {
      say(item, 'not a capture: the file is empty; not sent', 'error');
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/analyses?name=' + encodeURIComponent(file.name));
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.addEventListener('progress', (e) => {
      if (!e.lengthComputable) return;
      item.bar.max = e.total;
      item.bar.value = e.loaded;
      say(item, 'uploading and analysing: ' + bytes(e.loaded) + ' of ' + bytes(e.total));
    });
    xhr.addEventListener('load', () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status === 201 && body.id) {
        item.li.dataset.id = body.id;
        pending.set(body.id, item);
        const a = rows.get(body.id);
        if (a) followUpload(item, a);
        else say(item, 'uploaded; analysing…');
        return;
      }
      if (xhr.status === 401) { location.href = '/login'; return; }
      const what = REFUSED[xhr.status] || 'failed (' + xhr.status + ')';
      const why = body.error || xhr.statusText || 'no reason given';
      say(item, why.startsWith(what) ? why : what + ': ' + why, 'error');
    });
    xhr.addEventListener('error', () => say(item, 'upload failed: the connection closed before the server answered (network problem, or over the server\'s limits)', 'error'));
    xhr.send(file);
  }

  function uploadAll(files) {
    for (const f of files) upload(f);
  }

  const drop = document.getElementById('drop');
  const input = document.getElementById('file');
  input.addEventListener('change', () => { uploadAll([...input.files]); input.value = ''; });
  for (const t of ['dragenter', 'dragover']) drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add('over'); });
  for (const t of ['dragleave', 'drop']) drop.addEventListener(t, () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); uploadAll([...e.dataTransfer.files]); });
  // A file dropped next to the zone must not make the browser navigate away to it.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());

  connect();
})();
`;
