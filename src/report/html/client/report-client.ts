// The HTML report's one inline script (type-checked and linted like the rest, compiled to ES2020 by
// `npm run build` into dist/client/report-client.js, which src/report/html/assets.ts inlines; the
// page's CSP allows exactly that text by its hash). A classic script, not a module: no imports, and
// everything inside one function so nothing leaks into the page's globals.
// It never uses innerHTML: capture strings reach the page only through textContent and attributes.
(function () {
  /** What src/report/html.ts puts in #dualscope-view (times in µs from the capture's first packet). */
  interface ViewFinding {
    id: string;
    kind: string;
    start: number;
    end: number;
    frames: number[];
  }
  interface View {
    base: number;
    span: number;
    margin: number;
    labelWidth: number;
    padRight: number;
    findings: ViewFinding[];
  }
  /** A drawn mark and the times it spans. */
  interface Item {
    el: Element;
    t0: number;
    t1: number | null;
    wait: number | null;
    pw: number;
    open: boolean;
  }

  const doc = document;
  /** An element the page always has (html.ts writes them all). */
  const byId = <T extends Element = HTMLElement>(id: string): T => doc.getElementById(id) as unknown as T;
  const num = (el: Element, name: string): number => +(el.getAttribute(name) ?? '');

  const view = JSON.parse(byId('dualscope-view').textContent ?? '{}') as View;
  const NS = 'http://www.w3.org/2000/svg';
  const LW = view.labelWidth, PR = view.padRight, SPAN = view.span;
  // The view may reach a margin past the first and last packet, so edge marks are not cut in half.
  const LO = -view.margin, HI = SPAN + view.margin, FULL = HI - LO;
  let dom: [number, number] = [LO, HI];
  let width = 0, pw = 1;
  const lanesSvg = byId<SVGSVGElement>('lanes'), plot = byId<SVGSVGElement>('plot');
  const axis = byId<SVGSVGElement>('axis'), ov = byId<SVGSVGElement>('overview');
  const ovBars = byId<SVGGElement>('ov-bars'), ovVp = byId<SVGRectElement>('ov-vp'), ovSel = byId<SVGRectElement>('ov-sel');
  const tip = byId('tip');
  const wrap = byId('lanes-wrap');

  const items: Item[] = [], byFrame = new Map<number, Element[]>();
  function addFrame(f: number, el: Element): void {
    let l = byFrame.get(f);
    if (!l) { l = []; byFrame.set(f, l); }
    if (l.indexOf(el) < 0) l.push(el);
  }
  const markEls = plot.querySelectorAll('.m');
  for (let i = 0; i < markEls.length; i++) {
    const el = markEls[i]!, t1 = el.getAttribute('data-t1');
    const wait = el.getAttribute('data-wait');
    items.push({ el, t0: num(el, 'data-t0'), t1: t1 === null ? null : +t1, wait: wait === null ? null : +wait, pw: +(el.getAttribute('data-pw') || 3), open: el.hasAttribute('data-open') });
    addFrame(num(el, 'data-frame'), el);
    const fr = el.getAttribute('data-frames');
    if (fr) fr.split(' ').forEach((f) => addFrame(+f, el));
  }
  const aggs = plot.querySelectorAll('.agg');
  const findings = new Map<string, ViewFinding>();
  view.findings.forEach((f) => findings.set(f.id, f));

  function pad2(n: number, w: number): string { let s = String(n); while (s.length < w) s = '0' + s; return s; }
  function absTime(t: number): string {
    const a = view.base + t, ms = Math.floor(a / 1000);
    const iso = new Date(ms).toISOString();
    return iso.slice(0, -1) + pad2(a - ms * 1000, 3) + 'Z';
  }
  function relTime(t: number): string { return '+' + (t / 1e6).toFixed(6) + ' s'; }
  function duration(d: number): string {
    const a = Math.abs(d);
    if (a < 1000) return d + ' \u00b5s';
    if (a < 1e6) return (d / 1000).toFixed(a < 10000 ? 2 : 1) + ' ms';
    return (d / 1e6).toFixed(a < 1e7 ? 2 : 1) + ' s';
  }

  function measure(): void {
    const w = Math.max(480, Math.floor(wrap.clientWidth));
    if (w === width) return;
    width = w; pw = Math.max(50, width - LW - PR);
    [lanesSvg, axis, ov].forEach((s) => s.setAttribute('width', String(width)));
    plot.setAttribute('width', String(pw));
    const bgs = lanesSvg.querySelectorAll('.lane-bg');
    for (let i = 0; i < bgs.length; i++) bgs[i]!.setAttribute('width', String(width));
    ov.querySelector('.ov-frame')!.setAttribute('width', String(pw));
  }

  function ticks(d0: number, d1: number, n: number): { ticks: number[]; step: number } {
    const span = d1 - d0, raw = span / n;
    let step = Math.pow(10, Math.floor(Math.log10(raw)));
    const err = raw / step;
    if (err >= 7.07) step *= 10; else if (err >= 3.16) step *= 5; else if (err >= 1.41) step *= 2;
    if (step < 1) step = 1;
    const out: number[] = [], first = Math.ceil(d0 / step);
    for (let j = 0; j < 50; j++) { const t = (first + j) * step; if (t > d1) break; out.push(t); }
    return { ticks: out, step };
  }
  function tickLabel(t: number, step: number): string {
    const dec = Math.max(0, Math.min(6, Math.ceil(-Math.log10(step / 1e6) - 1e-9)));
    return '+' + (t / 1e6).toFixed(dec) + ' s';
  }
  function svgEl(name: string, attrs: Record<string, string | number>, parent: Element): Element {
    const e = doc.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, String(attrs[k]));
    parent.appendChild(e);
    return e;
  }

  function render(): void {
    const d0 = dom[0], k = pw / (dom[1] - dom[0]);
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      let x0 = (it.t0 - d0) * k, w: number;
      if (it.t1 !== null) { w = Math.max(2, (it.t1 - it.t0) * k); }
      else if (it.wait !== null) { w = Math.max(it.pw, (it.wait - it.t0) * k); }
      else if (it.open) { w = it.pw; }
      else { w = it.pw; x0 -= w / 2; }
      if (x0 + w < -20 || x0 > pw + 20) { x0 = -40; w = 1; }
      else { if (x0 < -20) { w -= -20 - x0; x0 = -20; } if (x0 + w > pw + 20) w = pw + 20 - x0; }
      it.el.setAttribute('x', x0.toFixed(1));
      it.el.setAttribute('width', Math.max(1, w).toFixed(1));
    }
    const s = SPAN / 1000 * k;
    for (let a = 0; a < aggs.length; a++) aggs[a]!.setAttribute('transform', 'translate(' + (-d0 * k).toFixed(2) + ',0) scale(' + s.toPrecision(6) + ',1)');
    // overview: bars fixed over the whole capture, viewport follows the domain
    ovBars.setAttribute('transform', 'translate(' + (LW - LO / FULL * pw).toFixed(2) + ',0) scale(' + (SPAN / 1000 / FULL * pw).toPrecision(6) + ',1)');
    ovVp.setAttribute('x', (LW + (dom[0] - LO) / FULL * pw).toFixed(1));
    ovVp.setAttribute('width', Math.max(2, (dom[1] - dom[0]) / FULL * pw).toFixed(1));
    // axis ticks and grid
    const tk = ticks(dom[0], dom[1], Math.max(2, Math.floor(pw / 110)));
    const g = byId('axis-ticks'), grid = byId('grid');
    g.textContent = ''; grid.textContent = '';
    const h = num(lanesSvg, 'height');
    tk.ticks.forEach((t) => {
      const x = (t - d0) * k;
      svgEl('line', { x1: LW + x, x2: LW + x, y1: 20, y2: 26 }, g);
      const tx = svgEl('text', { x: LW + x, y: 16, 'text-anchor': 'middle' }, g);
      tx.textContent = tickLabel(t, tk.step);
      svgEl('line', { x1: x, x2: x, y1: 0, y2: h }, grid);
    });
    byId('axis-span').textContent = 'view ' + duration(Math.round(dom[1] - dom[0])) + ' from ' + absTime(Math.round(dom[0]));
    axis.setAttribute('data-d0', String(Math.round(dom[0])));
    axis.setAttribute('data-d1', String(Math.round(dom[1])));
  }

  let pending = false;
  function schedule(): void { if (pending) return; pending = true; requestAnimationFrame(() => { pending = false; render(); }); }
  function setDomain(a: number, b: number, now?: boolean): void {
    const min = 10;
    if (b - a < min) { const c = (a + b) / 2; a = c - min / 2; b = c + min / 2; }
    if (b - a >= FULL) { a = LO; b = HI; }
    else { if (a < LO) { b += LO - a; a = LO; } if (b > HI) { a -= b - HI; b = HI; } }
    dom = [a, b];
    if (now) render(); else schedule();
  }
  function zoomAt(t: number, factor: number, now?: boolean): void { setDomain(t - (t - dom[0]) * factor, t + (dom[1] - t) * factor, now); }
  function timeAt(clientX: number): number { const r = axis.getBoundingClientRect(); return dom[0] + (clientX - r.left - LW) / pw * (dom[1] - dom[0]); }

  // controls
  function on(id: string, fn: () => void): void { const e = doc.getElementById(id); if (e) e.addEventListener('click', fn); }
  on('zoom-in', () => zoomAt((dom[0] + dom[1]) / 2, 0.5, true));
  on('zoom-out', () => zoomAt((dom[0] + dom[1]) / 2, 2, true));
  on('pan-left', () => { const d = (dom[1] - dom[0]) * 0.4; setDomain(dom[0] - d, dom[1] - d, true); });
  on('pan-right', () => { const d = (dom[1] - dom[0]) * 0.4; setDomain(dom[0] + d, dom[1] + d, true); });
  on('zoom-reset', () => setDomain(LO, HI, true));

  function wheel(e: WheelEvent, always: boolean): void {
    if (e.deltaX && !e.deltaY && Math.abs(e.deltaX) > 0) { e.preventDefault(); const d = e.deltaX / pw * (dom[1] - dom[0]); setDomain(dom[0] + d, dom[1] + d); return; }
    if (!always && !(e.ctrlKey || e.metaKey || e.altKey)) return;
    e.preventDefault();
    const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
    zoomAt(Math.min(dom[1], Math.max(dom[0], timeAt(e.clientX))), Math.exp(dy * 0.0015));
  }
  axis.addEventListener('wheel', (e) => wheel(e, true), { passive: false });
  ov.addEventListener('wheel', (e) => wheel(e, true), { passive: false });
  plot.addEventListener('wheel', (e) => wheel(e, false), { passive: false });

  // drag to pan (plot and axis)
  function panDrag(target: SVGSVGElement): void {
    let start: { x: number; d: [number, number] } | null = null;
    target.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      start = { x: e.clientX, d: [dom[0], dom[1]] };
      target.setPointerCapture(e.pointerId);
    });
    target.addEventListener('pointermove', (e) => {
      if (!start) return;
      const dt = (e.clientX - start.x) / pw * (start.d[1] - start.d[0]);
      if (dt !== 0) setDomain(start.d[0] - dt, start.d[1] - dt);
    });
    const end = (): void => { start = null; };
    target.addEventListener('pointerup', end);
    target.addEventListener('pointercancel', end);
  }
  panDrag(plot); panDrag(axis);

  // overview: click centres, drag selects a range
  (function () {
    let s: { x: number; t: number } | null = null;
    function tAt(x: number): number { const r = ov.getBoundingClientRect(); return Math.min(HI, Math.max(LO, LO + (x - r.left - LW) / pw * FULL)); }
    ov.addEventListener('pointerdown', (e) => { if (e.button !== 0) return; s = { x: e.clientX, t: tAt(e.clientX) }; ov.setPointerCapture(e.pointerId); });
    ov.addEventListener('pointermove', (e) => {
      if (!s) return;
      const a = Math.min(s.t, tAt(e.clientX)), b = Math.max(s.t, tAt(e.clientX));
      ovSel.setAttribute('x', (LW + (a - LO) / FULL * pw).toFixed(1));
      ovSel.setAttribute('width', ((b - a) / FULL * pw).toFixed(1));
    });
    ov.addEventListener('pointerup', (e) => {
      if (!s) return;
      const t = tAt(e.clientX);
      if (Math.abs(e.clientX - s.x) < 4) { const h = (dom[1] - dom[0]) / 2; setDomain(t - h, t + h, true); }
      else setDomain(Math.min(s.t, t), Math.max(s.t, t), true);
      ovSel.setAttribute('width', '0');
      s = null;
    });
  })();

  // tooltip: built with textContent only
  function line(key: string, value: string): void {
    const d = doc.createElement('div'), b = doc.createElement('b'), s = doc.createElement('span');
    b.textContent = key; s.textContent = value; d.appendChild(b); d.appendChild(s); tip.appendChild(d);
  }
  function showTip(el: Element, e: PointerEvent): void {
    tip.textContent = '';
    const lane = el.closest('[data-label]');
    if (el.classList.contains('agg')) {
      line('Aggregated', el.getAttribute('data-count') + ' marks not drawn one by one');
    } else {
      const frames = (el.getAttribute('data-frames') || '').split(' ').filter(Boolean);
      line('Frame', el.getAttribute('data-frame') + (frames.length > 1 ? ' (frames ' + frames.slice(0, 12).join(', ') + (frames.length > 12 ? ', \u2026' : '') + ')' : ''));
      line('Type', el.getAttribute('data-type') + ' \u00b7 ' + el.getAttribute('data-outcome'));
      const t0 = num(el, 'data-t0');
      line('Time', absTime(t0) + '  (' + relTime(t0) + ')');
      if (el.hasAttribute('data-t1')) { const t1 = num(el, 'data-t1'); line('Until', absTime(t1) + '  (' + duration(t1 - t0) + ')'); }
      if (el.hasAttribute('data-wait')) line('Asked again', duration(num(el, 'data-wait') - t0) + ' later, frame ' + el.getAttribute('data-wait-frame'));
      line('Label', el.getAttribute('data-mlabel') || '');
      const detail = el.getAttribute('data-detail');
      if (detail) line('Detail', detail);
    }
    if (lane) line('Lane', lane.getAttribute('data-label') ?? '');
    tip.hidden = false;
    let x = e.clientX + 14, y = e.clientY + 14;
    const r = tip.getBoundingClientRect();
    if (x + r.width > window.innerWidth - 4) x = Math.max(4, e.clientX - r.width - 14);
    if (y + r.height > window.innerHeight - 4) y = Math.max(4, e.clientY - r.height - 14);
    tip.style.left = x + 'px'; tip.style.top = y + 'px';
  }
  plot.addEventListener('pointermove', (e) => {
    const target = e.target as Element | null;
    const el = target && target.closest ? target.closest('.m, .agg') : null;
    if (el) showTip(el, e); else tip.hidden = true;
  });
  plot.addEventListener('pointerleave', () => { tip.hidden = true; });

  // findings: select, highlight, zoom
  let selected: string | null = null, hl: Element[] = [];
  const cards = doc.querySelectorAll<HTMLElement>('.finding');
  const laneEls = lanesSvg.querySelectorAll('[data-findings]');
  function laneHas(el: Element, id: string): boolean { return (el.getAttribute('data-findings') || '').split(' ').indexOf(id) >= 0; }
  function select(id: string | null): void {
    hl.forEach((el) => el.classList.remove('hl'));
    hl = [];
    for (let i = 0; i < cards.length; i++) cards[i]!.classList.toggle('sel', cards[i]!.getAttribute('data-id') === id && id !== selected);
    for (let j = 0; j < laneEls.length; j++) laneEls[j]!.classList.remove('lane-hl');
    const f = id === null ? undefined : findings.get(id);
    if (id === null || id === selected || f === undefined) {
      selected = null; lanesSvg.classList.remove('has-sel'); lanesSvg.setAttribute('data-highlighted', '0'); return;
    }
    selected = id;
    f.frames.forEach((fr) => { (byFrame.get(fr) || []).forEach((el) => { if (!el.classList.contains('hl')) { el.classList.add('hl'); hl.push(el); } }); });
    for (let l = 0; l < laneEls.length; l++) if (laneHas(laneEls[l]!, id)) laneEls[l]!.classList.add('lane-hl');
    lanesSvg.classList.add('has-sel');
    lanesSvg.setAttribute('data-highlighted', String(hl.length));
    // A margin on each side, cut at the capture's edges (not shifted, which would widen the view).
    const pad = Math.max((f.end - f.start) * 0.1, 2000);
    setDomain(Math.max(LO, f.start - pad), Math.min(HI, f.end + pad), true);
    // Bring the first evidence lane into view (vertically only, below the sticky axis).
    const laneG = hl.length ? hl[0]!.closest('g.marks') : null;
    if (laneG) {
      const r = laneG.getBoundingClientRect(), top = byId('axis-wrap').getBoundingClientRect().bottom;
      if (r.top < top) window.scrollBy(0, r.top - top - 8);
      else if (r.bottom > window.innerHeight) window.scrollBy(0, r.bottom - window.innerHeight + 8);
    }
  }
  for (let c = 0; c < cards.length; c++) (function (card: HTMLElement) {
    const id = card.getAttribute('data-id') ?? '';
    card.addEventListener('click', (e) => {
      const t = e.target as Element;
      if (t.closest('button, summary, code, input, label')) return;
      const occ = t.closest('tr[data-occ]');
      if (occ) {
        // One occurrence: zoom to it (with a margin) and flash its frames; the incident stays selected.
        if (selected !== id) select(id);
        const o0 = num(occ, 'data-t0'), o1 = num(occ, 'data-t1');
        const opad = Math.max((o1 - o0) * 0.1, 2000);
        setDomain(Math.max(LO, o0 - opad), Math.min(HI, o1 + opad), true);
        const occRows = card.querySelectorAll('tr[data-occ]');
        for (let k = 0; k < occRows.length; k++) occRows[k]!.classList.toggle('occ-sel', occRows[k] === occ);
        (occ.getAttribute('data-frames') ?? '').split(' ').filter(Boolean).forEach((fr) => {
          (byFrame.get(+fr) || []).forEach((el) => { el.classList.add('flash'); setTimeout(() => el.classList.remove('flash'), 1200); });
        });
        return;
      }
      const row = t.closest('tr[data-t]');
      if (row) {
        if (selected !== id) select(id);
        const f = findings.get(id);
        const at = num(row, 'data-t'), h = Math.min((dom[1] - dom[0]) / 2, Math.max(f ? f.end - f.start : 0, 20000));
        setDomain(at - h, at + h, true);
        (byFrame.get(num(row, 'data-frame')) || []).forEach((el) => { el.classList.add('flash'); setTimeout(() => el.classList.remove('flash'), 1200); });
        return;
      }
      select(id);
    });
    card.addEventListener('keydown', (e) => { if ((e.key === 'Enter' || e.key === ' ') && e.target === card) { e.preventDefault(); select(id); } });
    const btn = card.querySelector('button.copy'), code = card.querySelector('.filter code');
    if (btn && code) btn.addEventListener('click', () => copy(code.textContent ?? '', btn, code));
  })(cards[c]!);

  function copy(text: string, btn: Element, code: Element): void {
    function done(ok: boolean): void {
      btn.textContent = ok ? 'Copied' : 'Press Ctrl+C';
      setTimeout(() => { btn.textContent = 'Copy filter'; }, 1500);
    }
    function fallback(): void {
      const ta = doc.createElement('textarea');
      ta.value = text; ta.setAttribute('readonly', '');
      ta.style.position = 'fixed'; ta.style.top = '0'; ta.style.opacity = '0';
      doc.body.appendChild(ta); ta.select();
      let ok = false;
      // execCommand is deprecated, and the one way to copy where the Clipboard API is missing (file:// pages).
      try { ok = doc.execCommand('copy'); } catch { ok = false; }
      doc.body.removeChild(ta);
      if (!ok) { const r = doc.createRange(); r.selectNodeContents(code); const s = window.getSelection(); if (s) { s.removeAllRanges(); s.addRange(r); } }
      done(ok);
    }
    // Older browsers, and pages opened from disk, may lack the Clipboard API.
    const clipboard = navigator.clipboard as Clipboard | undefined;
    if (clipboard && typeof clipboard.writeText === 'function') clipboard.writeText(text).then(() => done(true), fallback);
    else fallback();
  }

  // filter by kind
  const boxes = doc.querySelectorAll<HTMLInputElement>('input[data-kind]');
  function applyKinds(): void {
    const hidden = new Set<string | null>();
    for (let i = 0; i < boxes.length; i++) if (!boxes[i]!.checked) hidden.add(boxes[i]!.getAttribute('data-kind'));
    let shown = 0;
    for (let j = 0; j < cards.length; j++) { const h = hidden.has(cards[j]!.getAttribute('data-kind')); cards[j]!.hidden = h; if (!h) shown++; }
    for (let l = 0; l < laneEls.length; l++) {
      const ids = (laneEls[l]!.getAttribute('data-findings') || '').split(' ').filter(Boolean);
      laneEls[l]!.classList.toggle('dim', ids.length > 0 && ids.every((id) => { const f = findings.get(id); return !f || hidden.has(f.kind); }));
    }
    const n = doc.getElementById('shown-count'); if (n) n.textContent = shown + ' of ' + cards.length + ' shown';
    const sel = selected === null ? undefined : findings.get(selected);
    if (sel && hidden.has(sel.kind)) select(null);
  }
  for (let b = 0; b < boxes.length; b++) boxes[b]!.addEventListener('change', applyKinds);

  window.addEventListener('resize', () => { measure(); render(); });
  measure(); render();
  // #finding=ID (a fleet report's link): open the report at that finding.
  function openHashFinding(): void {
    const h = location.hash;
    if (h.indexOf('#finding=') !== 0) return;
    let id: string;
    try { id = decodeURIComponent(h.slice(9)); } catch { return; }
    if (!findings.has(id)) return;
    for (let i = 0; i < cards.length; i++) if (cards[i]!.getAttribute('data-id') === id) { cards[i]!.scrollIntoView({ block: 'center' }); cards[i]!.focus({ preventScroll: true }); }
    if (selected !== id) select(id);
  }
  openHashFinding();
  window.addEventListener('hashchange', openHashFinding);
  doc.documentElement.setAttribute('data-ready', '1');
  doc.documentElement.setAttribute('data-ready-ms', String(Math.round(performance.now())));
})();
