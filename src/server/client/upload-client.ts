// The upload page's one inline script (type-checked and linted like the rest, compiled to ES2020 by
// `npm run build` into dist/client/upload-client.js, which src/server/page.ts inlines; the page's
// CSP allows exactly that text by its hash). A classic script, not a module: no imports, and
// everything inside one function so nothing leaks into the page's globals.
// Plain DOM: every server string (file names, failure reasons) goes in through textContent (el()
// below), never as markup. Uploads use XMLHttpRequest for its upload progress; the analyses list
// follows server-sent events.
(function () {
  /** An analysis as GET /api/analyses and the `analysis` event give it (src/server/store.ts, upload.ts). */
  interface Summary {
    id: string;
    name: string;
    status: 'queued' | 'running' | 'done' | 'failed';
    reason: string | null;
    createdAt: string;
    size: number;
    stored: boolean;
    packets: number | null;
    counts: { info: number; warning: number; error: number } | null;
    progress?: { phase: 'upload' | 'analysis'; bytes: number; total: number | null; packets: number };
  }
  /** A listed analysis and its table row. */
  interface Row extends Summary {
    tr: HTMLTableRowElement;
  }
  /** One file's line in the uploads list. */
  interface UploadItem {
    li: HTMLLIElement;
    bar: HTMLProgressElement;
    msg: HTMLSpanElement;
  }
  type Props = Record<string, string | number | undefined | null>;

  /** An element the page always has (page.ts writes them all). */
  const byId = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

  const MAX = Number(document.body.dataset['maxUpload']);
  const rows = new Map<string, Row>();
  const pending = new Map<string, UploadItem>(); // id → upload list item waiting for its analysis
  const tbody = document.querySelector('#analyses tbody') as HTMLTableSectionElement;
  const uploads = byId<HTMLUListElement>('uploads');
  const live = byId('live');

  function el<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props, ...children: (Node | string | undefined)[]): HTMLElementTagNameMap[K] {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props ?? {})) {
      if (v === undefined || v === null) continue;
      if (k === 'text') e.textContent = String(v);
      else if (k === 'class') e.className = String(v);
      else e.setAttribute(k, String(v));
    }
    for (const c of children) if (c !== undefined) e.append(c);
    return e;
  }

  function bytes(n: number): string {
    if (n < 1024) return n + ' B';
    const u = ['KiB', 'MiB', 'GiB', 'TiB'];
    let v = n / 1024, i = 0;
    while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return (v >= 10 ? Math.round(v) : v.toFixed(1)) + ' ' + u[i];
  }
  const plural = (n: number | null, w: string): string => n + ' ' + w + (n === 1 ? '' : 's');
  const api = (id: string, what?: string): string => '/api/analyses/' + encodeURIComponent(id) + (what ? '/' + what : '');
  const totalFindings = (c: Summary['counts']): number => c ? c.error + c.warning + c.info : 0;

  // ── the list of analyses ────────────────────────────────────────────────────────────────────
  function statusDetail(a: Summary): string {
    if (a.status === 'failed') return a.reason || 'failed';
    const p = a.progress;
    if (!p) return a.status === 'queued' ? 'waiting for a worker' : '';
    const what = p.phase === 'upload' ? 'receiving' : 'analysing';
    const of = p.total ? ' of ' + bytes(p.total) : '';
    return what + ' ' + bytes(p.bytes) + of + ' · ' + plural(p.packets, 'packet');
  }

  function countsCell(a: Summary): HTMLTableCellElement {
    const td = el('td', { class: 'findings' });
    if (!a.counts) return td;
    for (const sev of ['error', 'warning', 'info'] as const) {
      const n = a.counts[sev];
      td.append(el('span', { class: 'count' + (n === 0 ? ' zero' : ''), 'data-severity': sev, title: plural(n, sev === 'info' ? 'info finding' : sev), text: n }));
    }
    return td;
  }

  function deleteButton(a: Summary): HTMLButtonElement {
    const b = el('button', { class: 'delete', type: 'button', text: 'delete', title: 'delete this analysis and its capture' });
    let armed: ReturnType<typeof setTimeout> | undefined;
    b.addEventListener('click', () => {
      if (!armed) {
        b.classList.add('confirm');
        b.textContent = 'really delete?';
        armed = setTimeout(() => { armed = undefined; b.classList.remove('confirm'); b.textContent = 'delete'; }, 4000);
        return;
      }
      clearTimeout(armed);
      b.disabled = true;
      fetch(api(a.id), { method: 'DELETE' }).then((r) => {
        if (r.ok || r.status === 404) removeRow(a.id);
        else b.textContent = 'delete failed (' + r.status + ')';
      }, () => { b.textContent = 'delete failed (no answer)'; b.disabled = false; });
    });
    return b;
  }

  function renderRow(a: Summary): HTMLTableRowElement {
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

  const withRow = (a: Summary): Row => Object.assign(a, { tr: renderRow(a) });

  function redraw(): void {
    const list = [...rows.values()].sort((x, y) => (x.createdAt < y.createdAt ? 1 : x.createdAt > y.createdAt ? -1 : 0));
    tbody.replaceChildren(...list.map((a) => a.tr));
    byId('empty').hidden = list.length > 0;
  }

  function upsert(s: Summary): void {
    const old = rows.get(s.id);
    const a = withRow(s);
    rows.set(a.id, a);
    if (old && old.createdAt === a.createdAt) old.tr.replaceWith(a.tr);
    else redraw();
    const item = pending.get(a.id);
    if (item) followUpload(item, a);
  }

  function removeRow(id: string): void {
    const old = rows.get(id);
    if (!old) return;
    rows.delete(id);
    old.tr.remove();
    byId('empty').hidden = rows.size > 0;
  }

  // The list comes in pages (newest first); "show older" fetches the next one.
  const older = byId<HTMLButtonElement>('older');
  let nextPage: string | null = null;

  async function loadPage(before: string | null): Promise<Summary[] | undefined> {
    const r = await fetch('/api/analyses' + (before ? '?before=' + encodeURIComponent(before) : ''));
    if (r.status === 401) { location.href = '/login'; return undefined; }
    if (!r.ok) return undefined;
    const body = await r.json() as { analyses: Summary[]; next: string | null };
    nextPage = body.next;
    older.hidden = !nextPage;
    return body.analyses;
  }

  async function refresh(): Promise<void> {
    const list = await loadPage(null);
    if (!list) return;
    rows.clear();
    for (const a of list) rows.set(a.id, withRow(a));
    redraw();
    for (const [id, item] of pending) { const a = rows.get(id); if (a) followUpload(item, a); }
  }

  async function showOlder(): Promise<void> {
    if (!nextPage) return;
    older.disabled = true;
    const list = await loadPage(nextPage);
    older.disabled = false;
    if (!list) return;
    for (const a of list) { if (!rows.has(a.id)) rows.set(a.id, withRow(a)); }
    redraw();
  }
  // A failed request leaves the list as it was; the next event or reconnect refreshes it.
  older.addEventListener('click', () => { showOlder().catch(() => { older.disabled = false; }); });

  function connect(): void {
    const es = new EventSource('/api/events');
    es.addEventListener('open', () => { live.dataset['state'] = 'open'; live.textContent = 'live'; refresh().catch(() => undefined); });
    es.addEventListener('error', () => { live.dataset['state'] = 'retrying'; live.textContent = 'reconnecting…'; });
    es.addEventListener('analysis', (e) => upsert(JSON.parse((e as MessageEvent<string>).data) as Summary));
    es.addEventListener('deleted', (e) => removeRow((JSON.parse((e as MessageEvent<string>).data) as { id: string }).id));
  }

  // ── uploads ─────────────────────────────────────────────────────────────────────────────────
  function uploadItem(file: File): UploadItem {
    uploads.querySelector('li.none')?.remove();
    const bar = el('progress', { max: 1, value: 0 });
    const msg = el('span', { class: 'msg', text: 'waiting…' });
    const li = el('li', { 'data-file': file.name }, el('span', { class: 'file', text: file.name }), bar, msg);
    uploads.prepend(li);
    return { li, bar, msg };
  }

  function say(item: UploadItem, text: Node | string, kind?: 'done' | 'error'): void {
    item.msg.replaceChildren(text);
    item.msg.className = 'msg' + (kind ? ' ' + kind : '');
    item.li.dataset['state'] = kind || 'busy';
  }

  function followUpload(item: UploadItem, a: Summary): void {
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

  const REFUSED: Partial<Record<number, string>> = { 400: 'refused', 401: 'not logged in', 413: 'too large', 415: 'not a capture', 503: 'server busy' };

  function upload(file: File): void {
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
      let body: { id?: string; error?: string } = {};
      try { body = JSON.parse(xhr.responseText) as typeof body; } catch { /* not JSON */ }
      if (xhr.status === 201 && body.id) {
        item.li.dataset['id'] = body.id;
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

  function uploadAll(files: Iterable<File>): void {
    for (const f of files) upload(f);
  }

  const drop = byId('drop');
  const input = byId<HTMLInputElement>('file');
  input.addEventListener('change', () => { uploadAll(input.files ? [...input.files] : []); input.value = ''; });
  for (const t of ['dragenter', 'dragover']) drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add('over'); });
  for (const t of ['dragleave', 'drop']) drop.addEventListener(t, () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); uploadAll(e.dataTransfer ? [...e.dataTransfer.files] : []); });
  // A file dropped next to the zone must not make the browser navigate away to it.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());

  connect();
})();
