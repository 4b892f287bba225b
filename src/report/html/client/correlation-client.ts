// The correlation ladder's one inline script (type-checked and linted like the rest, compiled to
// ES2020 by `npm run build` into dist/client/correlation-client.js, which
// src/report/correlation/html.ts inlines; the page's CSP allows exactly that text by its hash). A
// classic script, not a module: no imports, everything inside one function.
// It draws the whole ladder from the JSON block #dualscope-correlation and never uses innerHTML:
// point names and capture strings reach the page only through textContent and attributes.
(function () {
  /** What correlation/html.ts embeds (LadderRow there; the report as its JSON contract has it). */
  type Row = import('./ladder-row.js').LadderRow;
  interface Finding {
    kind: string;
    severity: string;
    status: string;
    statusReason: string;
    summary: string;
    location: string | null;
    views: { point: string }[];
  }
  interface Embedded {
    columns: string[];
    rows: Row[];
    report: { findings: Finding[] };
  }
  type Attrs = Record<string, string | number>;

  /** An element the page always has (correlation/html.ts writes them all). */
  const byId = (id: string): HTMLElement => document.getElementById(id) as HTMLElement;
  const data = JSON.parse(byId('dualscope-correlation').textContent ?? '{}') as Embedded;
  const NS = 'http://www.w3.org/2000/svg';
  function attrs(e: Element, a: Attrs, text: string | undefined): void {
    for (const k of Object.keys(a)) e.setAttribute(k, String(a[k]));
    if (text !== undefined) e.textContent = text;
  }
  function svgEl(tag: string, a: Attrs, text?: string): SVGElement {
    const e = document.createElementNS(NS, tag) as SVGElement;
    attrs(e, a, text);
    return e;
  }
  function htmlEl(tag: string, a: Attrs, text?: string): HTMLElement {
    const e = document.createElement(tag);
    attrs(e, a, text);
    return e;
  }
  /** A capture time (µs since the epoch) as hh:mm:ss.mmmuuu. */
  function iso(t: number): string {
    const d = new Date(Math.floor(t / 1000));
    return d.toISOString().replace('Z', '').slice(11, 23) + String(Math.abs(t) % 1000).padStart(3, '0');
  }
  const cut = (s: string, max: number): string => (s.length > max ? s.slice(0, max - 1) + '\u2026' : s);

  const tip = byId('tip');
  const cols = data.columns, rows = data.rows, findings = data.report.findings;
  const colW = 180, left = 120, top = 40, rowH = 22, roleW = 320;
  const width = left + cols.length * colW + roleW, height = top + rows.length * rowH + 20;
  const svg = svgEl('svg', { width, height, viewBox: '0 0 ' + width + ' ' + height, role: 'img' });
  svg.appendChild(svgEl('title', {}, 'ladder: one line per capture point, one arrow per evidence packet'));
  const x = (c: number): number => left + c * colW + colW / 2;
  cols.forEach((label, c) => {
    svg.appendChild(svgEl('text', { x: x(c), y: 18, 'text-anchor': 'middle', class: 'col' }, cut(label, 28)));
    svg.appendChild(svgEl('line', { x1: x(c), x2: x(c), y1: top - 10, y2: height - 10, class: 'axis' }));
  });

  const rowEls: SVGElement[] = [];
  let selected = -1;
  function select(i: number): void {
    selected = selected === i ? -1 : i;
    cards.forEach((c, k) => c.classList.toggle('sel', k === selected));
    let firstRow: SVGElement | null = null;
    for (const g of rowEls) {
      const mine = Number(g.getAttribute('data-finding')) === selected;
      g.classList.toggle('sel', mine);
      g.classList.toggle('dim', selected >= 0 && !mine);
      if (mine && !firstRow) firstRow = g;
    }
    if (firstRow) firstRow.scrollIntoView({ block: 'center' });
  }

  rows.forEach((r, i) => {
    const y = top + i * rowH + rowH / 2;
    const g = svgEl('g', { class: 'row', 'data-finding': r.finding, 'data-row': i, tabindex: 0 });
    g.appendChild(svgEl('text', { x: 4, y: y + 4, class: 'muted' }, iso(r.time)));
    g.appendChild(svgEl('text', { x: left + cols.length * colW + 8, y: y + 4, class: 'role' }, cut(r.role, 48)));
    const xs = r.seen.map((s) => s[0]).filter((c) => c >= 0);
    const first = Math.min(...xs), last = Math.max(...xs);
    // arrows point the way the packet travelled: from the point that saw it first
    const from = r.seen.length ? r.seen[0]![0] : first, to = from === first ? last : first;
    if (xs.length > 1) g.appendChild(svgEl('line', { x1: x(from), x2: x(to), y1: y, y2: y, class: 'arrow' }));
    for (const s of r.seen) if (s[0] >= 0) g.appendChild(svgEl('circle', { cx: x(s[0]), cy: y, r: 3.5, class: 'dot' }));
    if (r.lostFrom >= 0 && r.lostTo >= 0) {
      const xm = (x(r.lostFrom) + x(r.lostTo)) / 2;
      g.appendChild(svgEl('line', { x1: x(r.lostFrom), x2: xm, y1: y, y2: y, class: 'lostline' }));
      g.appendChild(svgEl('path', { d: 'M' + (xm - 5) + ' ' + (y - 5) + 'L' + (xm + 5) + ' ' + (y + 5) + 'M' + (xm - 5) + ' ' + (y + 5) + 'L' + (xm + 5) + ' ' + (y - 5), class: 'x' }));
    } else if (xs.length > 1) {
      const dir = to > from ? -1 : 1;
      g.appendChild(svgEl('path', { d: 'M' + (x(to) + dir * 8) + ' ' + (y - 4) + 'L' + x(to) + ' ' + y + 'L' + (x(to) + dir * 8) + ' ' + (y + 4), class: 'arrow' }));
    }
    g.appendChild(svgEl('rect', { x: left, y: y - rowH / 2, width: cols.length * colW, height: rowH, fill: 'transparent' }));
    const text = (): string => {
      const f = r.finding >= 0 ? findings[r.finding] : undefined;
      const lines = [r.role, f ? f.kind + ' [' + f.status + ']' : 'loss no finding explains'];
      if (r.detail) lines.push(r.detail);
      for (const s of r.seen) lines.push('seen at ' + (cols[s[0]] ?? '?') + ': frame ' + s[1] + ', ' + iso(s[2]));
      if (r.lostFrom >= 0) lines.push('lost between ' + cols[r.lostFrom] + ' and ' + cols[r.lostTo]);
      return lines.join('\n');
    };
    g.addEventListener('mousemove', (ev) => {
      tip.textContent = text();
      tip.hidden = false;
      tip.style.left = (ev.clientX + 12) + 'px';
      tip.style.top = (ev.clientY + 12) + 'px';
    });
    g.addEventListener('mouseleave', () => { tip.hidden = true; });
    g.addEventListener('click', () => { if (r.finding >= 0) select(r.finding); });
    svg.appendChild(g);
    rowEls.push(g);
  });
  byId('ladder').appendChild(svg);

  const list = byId('findings');
  const cards = findings.map((f, i) => {
    const card = htmlEl('div', { class: 'finding sev-' + f.severity, 'data-finding': i, tabindex: 0 });
    card.appendChild(htmlEl('div', {}, f.severity.toUpperCase() + ' ' + f.kind));
    card.appendChild(htmlEl('div', { class: 'status' }, f.status + (f.location ? ' \u2014 ' + f.location : '')));
    card.appendChild(htmlEl('div', {}, f.summary));
    card.appendChild(htmlEl('div', { class: 'muted' }, f.statusReason));
    card.appendChild(htmlEl('div', { class: 'muted' }, 'found at: ' + f.views.map((v) => v.point).join(', ')));
    card.addEventListener('click', () => select(i));
    list.appendChild(card);
    return card;
  });
  document.documentElement.setAttribute('data-ready', '1');
})();
