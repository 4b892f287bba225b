// The upload page's one inline script (type-checked and linted like the rest, compiled to ES2020 by
// `npm run build` into dist/client/upload-client.js, which src/server/page.ts inlines; the page's
// CSP allows exactly that text by its hash). A classic script, not a module: no imports, and
// everything inside one function so nothing leaks into the page's globals.
// Plain DOM: every server string (file names, labels, failure reasons) goes in through textContent
// (el() below) or an input's value, never as markup. Uploads use XMLHttpRequest for its upload
// progress; the analyses and cases lists follow server-sent events. A case: analyses ticked in the
// list (or files uploaded together) are correlated by POST /api/cases, and listed with a link to
// the correlated report.
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
  /** A case as GET /api/cases and the `case` event give it (src/server/cases.ts). */
  interface CaseSummary {
    id: string;
    createdAt: string;
    points: { label: string; analysis: string; packets: number; matchedPackets: number; clock: string }[];
    overlap: { matchedPackets: number; note?: string };
    counts: { info: number; warning: number; error: number };
    findings: number;
  }
  interface CaseRow extends CaseSummary {
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
  /** Points of one case at most (src/server/cases.ts MAX_CASE_POINTS). */
  const MAX_POINTS = Number(document.body.dataset['maxCasePoints']);
  const cases = new Map<string, CaseRow>();
  const casesBody = document.querySelector('#cases tbody') as HTMLTableSectionElement;
  /** Analyses ticked for the next case, in the order ticked (the first is the clock reference), with their point names. */
  const picked = new Map<string, { name: string; label: string }>();
  const caseForm = byId('case-form');
  const caseCreate = byId<HTMLButtonElement>('case-create');
  const caseMsg = byId('case-msg');

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
  const caseApi = (id: string, what?: string): string => '/api/cases/' + encodeURIComponent(id) + (what ? '/' + what : '');
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
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

  function countsCell(counts: Summary['counts']): HTMLTableCellElement {
    const td = el('td', { class: 'findings' });
    if (!counts) return td;
    for (const sev of ['error', 'warning', 'info'] as const) {
      const n = counts[sev];
      td.append(el('span', { class: 'count' + (n === 0 ? ' zero' : ''), 'data-severity': sev, title: plural(n, sev === 'info' ? 'info finding' : sev), text: n }));
    }
    return td;
  }

  /** Two clicks: "delete", then the confirmation `confirm()` words at that moment. */
  function deleteButton(url: string, title: string, confirm: () => string, gone: () => void): HTMLButtonElement {
    const b = el('button', { class: 'delete', type: 'button', text: 'delete', title });
    let armed: ReturnType<typeof setTimeout> | undefined;
    b.addEventListener('click', () => {
      if (!armed) {
        b.classList.add('confirm');
        b.textContent = confirm();
        armed = setTimeout(() => { armed = undefined; b.classList.remove('confirm'); b.textContent = 'delete'; }, 4000);
        return;
      }
      clearTimeout(armed);
      b.disabled = true;
      fetch(url, { method: 'DELETE' }).then((r) => {
        if (r.ok || r.status === 404) gone();
        else b.textContent = 'delete failed (' + r.status + ')';
      }, () => { b.textContent = 'delete failed (no answer)'; b.disabled = false; });
    });
    return b;
  }

  function deleteAnalysisButton(a: Summary): HTMLButtonElement {
    return deleteButton(api(a.id), 'delete this analysis and its capture, and every case that uses it', () => {
      const n = [...cases.values()].filter((c) => c.points.some((p) => p.analysis === a.id)).length;
      return n === 0 ? 'really delete?' : 'really delete? (and its ' + plural(n, 'case') + ')';
    }, () => removeRow(a.id));
  }

  /** A stored capture whose analysis has not failed can be a point of a case. */
  const pickable = (a: Summary): boolean => a.stored && a.status !== 'failed';

  function pickCell(a: Summary): HTMLTableCellElement {
    const box = el('input', { type: 'checkbox', class: 'pick', title: 'a point of the next case', 'aria-label': 'select ' + a.name + ' for a case' });
    box.checked = picked.has(a.id);
    box.disabled = !pickable(a) && !box.checked;
    box.addEventListener('change', () => {
      if (box.checked) picked.set(a.id, { name: a.name, label: a.name });
      else picked.delete(a.id);
      drawCaseForm();
    });
    return el('td', { class: 'pick' }, box);
  }

  function renderRow(a: Summary): HTMLTableRowElement {
    const name = a.status === 'done'
      ? el('a', { href: api(a.id, 'report.html'), class: 'report-link', text: a.name })
      : el('span', { text: a.name });
    const dl = el('td', { class: 'dl' });
    if (a.status === 'done') dl.append(el('a', { href: api(a.id, 'report.json'), download: '', text: 'JSON' }));
    if (a.stored) dl.append(el('a', { href: api(a.id, 'capture'), download: '', text: 'capture' }));
    return el('tr', { 'data-id': a.id, 'data-status': a.status },
      pickCell(a),
      el('td', { class: 'name' }, name),
      el('td', { class: 'when', text: new Date(a.createdAt).toLocaleString() }),
      el('td', { class: 'num size', text: bytes(a.size) }),
      el('td', { class: 'num packets', text: a.packets === null ? (a.progress ? a.progress.packets : '') : a.packets }),
      countsCell(a.counts),
      el('td', { class: 'status', 'data-status': a.status }, el('span', { text: a.status }), el('span', { class: 'detail', text: statusDetail(a) })),
      dl,
      el('td', {}, deleteAnalysisButton(a)));
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
    if (picked.delete(id)) drawCaseForm();
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
    es.addEventListener('open', () => {
      live.dataset['state'] = 'open';
      live.textContent = 'live';
      refresh().catch(() => undefined);
      refreshCases().catch(() => undefined);
    });
    es.addEventListener('error', () => { live.dataset['state'] = 'retrying'; live.textContent = 'reconnecting…'; });
    es.addEventListener('analysis', (e) => upsert(JSON.parse((e as MessageEvent<string>).data) as Summary));
    es.addEventListener('deleted', (e) => removeRow((JSON.parse((e as MessageEvent<string>).data) as { id: string }).id));
    es.addEventListener('case', (e) => upsertCase(JSON.parse((e as MessageEvent<string>).data) as CaseSummary));
    es.addEventListener('case-deleted', (e) => removeCase((JSON.parse((e as MessageEvent<string>).data) as { id: string }).id));
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

  /** Sends one file; resolves with its analysis id once the server has stored it whole (its 201), or undefined. */
  function upload(file: File): Promise<string | undefined> {
    const item = uploadItem(file);
    if (file.size > MAX) {
      say(item, 'too large: ' + bytes(file.size) + ' is over this server\'s limit of ' + bytes(MAX) + ' per capture; not sent', 'error');
      return Promise.resolve(undefined);
    }
    if (file.size === 0) {
      say(item, 'not a capture: the file is empty; not sent', 'error');
      return Promise.resolve(undefined);
    }
    return new Promise((resolve) => send(file, item, resolve));
  }

  function send(file: File, item: UploadItem, resolve: (id: string | undefined) => void): void {
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
        resolve(body.id);
        return;
      }
      resolve(undefined);
      if (xhr.status === 401) { location.href = '/login'; return; }
      const what = REFUSED[xhr.status] || 'failed (' + xhr.status + ')';
      const why = body.error || xhr.statusText || 'no reason given';
      say(item, why.startsWith(what) ? why : what + ': ' + why, 'error');
    });
    xhr.addEventListener('error', () => {
      resolve(undefined);
      say(item, 'upload failed: the connection closed before the server answered (network problem, or over the server\'s limits)', 'error');
    });
    xhr.send(file);
  }

  function uploadAll(files: Iterable<File>): void {
    for (const f of files) void upload(f);
  }

  // ── cases ───────────────────────────────────────────────────────────────────────────────────
  function drawCaseForm(): void {
    caseForm.hidden = picked.size === 0;
    byId('case-count').textContent = plural(picked.size, 'capture');
    const items = [...picked].map(([id, p]) => {
      const input = el('input', { type: 'text', class: 'label', maxlength: 200, 'aria-label': 'name of the capture point ' + p.name });
      input.value = p.label;
      input.addEventListener('input', () => { p.label = input.value; });
      return el('li', { 'data-id': id }, el('span', { class: 'file', text: p.name }), input);
    });
    byId('case-points').replaceChildren(...items);
    const ok = picked.size >= 2 && picked.size <= MAX_POINTS;
    caseCreate.disabled = !ok;
    caseCreate.title = ok ? '' : 'a case takes 2 to ' + MAX_POINTS + ' captures';
  }

  function caseSay(text: Node | string, kind?: 'done' | 'error'): void {
    caseMsg.replaceChildren(text);
    caseMsg.className = 'msg' + (kind ? ' ' + kind : '');
    caseMsg.dataset['state'] = kind || 'busy';
  }

  /**
   * POST /api/cases. The correlation takes a worker slot: while every worker is busy (503, e.g.
   * analysing the captures just uploaded) it asks again after the server's Retry-After, a few times.
   */
  async function createCase(ids: string[], labels: string[]): Promise<void> {
    caseSay('correlating ' + plural(ids.length, 'capture') + '…');
    for (let attempt = 0; ; attempt++) {
      let r: Response;
      try {
        r = await fetch('/api/cases', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ analyses: ids, labels }) });
      } catch {
        caseSay('the case was not created: the server did not answer', 'error');
        return;
      }
      if (r.status === 401) { location.href = '/login'; return; }
      let body: { id?: string; error?: string; findings?: number } = {};
      try { body = await r.json() as typeof body; } catch { /* not JSON */ }
      if (r.status === 503 && attempt < 10) {
        caseSay('every worker is busy; trying again shortly…');
        await sleep(1000 * Math.min(5, Number(r.headers.get('Retry-After')) || 2));
        continue;
      }
      if (r.status === 201 && body.id) {
        upsertCase(body as unknown as CaseSummary);
        caseSay(el('span', {}, 'case created: ' + plural(body.findings ?? 0, 'finding') + ' — ',
          el('a', { href: caseApi(body.id, 'report.html'), class: 'case-report', text: 'open the correlated report' })), 'done');
        return;
      }
      caseSay('the case was not created: ' + (body.error || 'the server answered ' + r.status), 'error');
      return;
    }
  }

  function createFromSelection(): void {
    const chosen = [...picked];
    caseCreate.disabled = true;
    createCase(chosen.map(([id]) => id), chosen.map(([, p]) => p.label.trim() || p.name)).then(() => {
      if (caseMsg.dataset['state'] === 'done') {
        picked.clear();
        for (const a of rows.values()) { const box = a.tr.querySelector<HTMLInputElement>('input.pick'); if (box) { box.checked = false; box.disabled = !pickable(a); } }
      }
      drawCaseForm();
    }, () => drawCaseForm());
  }

  /** Files chosen together: each uploaded as usual, then the stored ones correlated as one case, named by their file names. */
  async function uploadCase(files: File[]): Promise<void> {
    if (files.length < 2 || files.length > MAX_POINTS) {
      caseSay('a case takes 2 to ' + MAX_POINTS + ' captures, not ' + files.length + '; nothing was sent', 'error');
      return;
    }
    caseSay('uploading ' + plural(files.length, 'capture') + ' for a case…');
    const ids = await Promise.all(files.map((f) => upload(f)));
    const kept = files.map((f, i) => ({ name: f.name, id: ids[i] })).filter((x): x is { name: string; id: string } => x.id !== undefined);
    if (kept.length < files.length) {
      const lost = files.length - kept.length;
      if (kept.length < 2) { caseSay(plural(lost, 'capture') + ' of the case could not be uploaded (see Uploads); no case was created', 'error'); return; }
      caseSay(plural(lost, 'capture') + ' could not be uploaded (see Uploads); correlating the other ' + kept.length + '…');
    }
    await createCase(kept.map((x) => x.id), kept.map((x) => x.name));
  }

  function pointsCell(c: CaseSummary): HTMLTableCellElement {
    return el('td', { class: 'points' }, ...c.points.map((p) =>
      el('span', { class: 'point' }, el('span', { class: 'label', text: p.label }), el('span', { class: 'clock', text: p.clock + ' · ' + p.matchedPackets + '/' + p.packets + ' matched' }))));
  }

  function renderCase(c: CaseSummary): HTMLTableRowElement {
    const report = el('a', { href: caseApi(c.id, 'report.html'), class: 'case-report', text: 'correlated report' });
    return el('tr', { 'data-id': c.id },
      pointsCell(c),
      el('td', { class: 'when', text: new Date(c.createdAt).toLocaleString() }),
      el('td', { class: 'num matched', title: c.overlap.note || '', text: c.overlap.matchedPackets }),
      countsCell(c.counts),
      el('td', { class: 'dl' }, report, el('a', { href: caseApi(c.id, 'report.json'), download: '', text: 'JSON' })),
      el('td', {}, deleteButton(caseApi(c.id), 'delete this case (its analyses stay)', () => 'really delete?', () => removeCase(c.id))));
  }

  function redrawCases(): void {
    const list = [...cases.values()].sort((x, y) => (x.createdAt < y.createdAt ? 1 : x.createdAt > y.createdAt ? -1 : 0));
    casesBody.replaceChildren(...list.map((c) => c.tr));
    byId('no-cases').hidden = list.length > 0;
  }

  function upsertCase(c: CaseSummary): void {
    const old = cases.get(c.id);
    const row = Object.assign({}, c, { tr: renderCase(c) });
    cases.set(c.id, row);
    if (old) old.tr.replaceWith(row.tr);
    else redrawCases();
  }

  function removeCase(id: string): void {
    const old = cases.get(id);
    if (!old) return;
    cases.delete(id);
    old.tr.remove();
    byId('no-cases').hidden = cases.size > 0;
  }

  let nextCases: string | null = null;
  async function loadCases(before: string | null): Promise<CaseSummary[] | undefined> {
    const r = await fetch('/api/cases' + (before ? '?before=' + encodeURIComponent(before) : ''));
    if (!r.ok) return undefined;
    const body = await r.json() as { cases: CaseSummary[]; next: string | null };
    nextCases = body.next;
    olderCases.hidden = !nextCases;
    return body.cases;
  }

  async function refreshCases(): Promise<void> {
    const list = await loadCases(null);
    if (!list) return;
    cases.clear();
    for (const c of list) cases.set(c.id, Object.assign({}, c, { tr: renderCase(c) }));
    redrawCases();
  }

  const olderCases = byId<HTMLButtonElement>('older-cases');
  olderCases.addEventListener('click', () => {
    if (!nextCases) return;
    olderCases.disabled = true;
    loadCases(nextCases).then((list) => {
      olderCases.disabled = false;
      for (const c of list ?? []) if (!cases.has(c.id)) cases.set(c.id, Object.assign({}, c, { tr: renderCase(c) }));
      redrawCases();
    }, () => { olderCases.disabled = false; });
  });
  caseCreate.addEventListener('click', createFromSelection);
  byId('case-clear').addEventListener('click', () => {
    picked.clear();
    for (const a of rows.values()) { const box = a.tr.querySelector<HTMLInputElement>('input.pick'); if (box) { box.checked = false; box.disabled = !pickable(a); } }
    drawCaseForm();
  });
  const caseFiles = byId<HTMLInputElement>('case-files');
  caseFiles.addEventListener('change', () => {
    const files = caseFiles.files ? [...caseFiles.files] : [];
    caseFiles.value = '';
    uploadCase(files).catch(() => caseSay('the case was not created (unexpected error)', 'error'));
  });

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
