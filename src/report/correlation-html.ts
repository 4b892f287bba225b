// The HTML ladder of a correlation: one self-contained file (inline CSS, one inline script allowed
// by its hash, no requests). One vertical line per capture point in path order; each evidence
// packet is an arrow across the points that saw it, ending in a ✕ on the stretch where it
// vanished. The page is built in the browser from one JSON block, with textContent and
// setAttribute only, so no capture string ever becomes markup; the one string written by hand
// (the title) goes through escapeHtml.
import type { CorrelatedReport } from './correlation-schema.js';
import { clip, cspScriptHash, escapeHtml, jsonForScript } from './html/escape.js';

/** Rows drawn at most (evidence packets and other losses); the rest are counted. */
export const MAX_LADDER_ROWS = 2000;

export interface LadderRow {
  /** Index into findings, or -1 for a loss no finding explains. */
  finding: number;
  role: string;
  time: number;
  /** [column, frame, time] per sighting. */
  seen: [number, number, number][];
  /** Column the packet was lost before (it left `lostFrom`), or -1. */
  lostFrom: number;
  lostTo: number;
  detail: string;
}

/** The points in path order: by their mean position over the flows' orders, weighted by packets. */
export function ladderColumns(r: CorrelatedReport): string[] {
  const score = new Map<string, { sum: number; w: number }>();
  for (const p of r.points) score.set(p.label, { sum: 0, w: 0 });
  // Orders of a flow and its reverse say the same thing mirrored: count each flow in the direction
  // of the biggest flow's first point.
  const main = r.paths[0];
  for (const path of r.paths) {
    let order = path.order;
    if (main && order.length > 1 && main.order.indexOf(order[0]!) > main.order.indexOf(order[order.length - 1]!) && main.order.includes(order[0]!) && main.order.includes(order[order.length - 1]!)) order = [...order].reverse();
    order.forEach((label, i) => {
      const s = score.get(label);
      if (s) {
        s.sum += (i / Math.max(1, order.length - 1)) * path.packets;
        s.w += path.packets;
      }
    });
  }
  return r.points
    .map((p, i) => ({ label: p.label, i, pos: score.get(p.label)!.w > 0 ? score.get(p.label)!.sum / score.get(p.label)!.w : 0.5 + i * 1e-6 }))
    .sort((a, b) => a.pos - b.pos || a.i - b.i)
    .map((x) => x.label);
}

export function ladderRows(r: CorrelatedReport, columns: readonly string[]): { rows: LadderRow[]; omitted: number } {
  const col = (label: string): number => columns.indexOf(label);
  const rows: LadderRow[] = [];
  r.findings.forEach((f, fi) => {
    for (const e of f.evidence) {
      rows.push({
        finding: fi,
        role: e.role,
        time: e.time,
        seen: e.seenAt.map((s) => [col(s.point), s.frame, s.time]),
        lostFrom: e.lostBetween ? col(e.lostBetween.from) : -1,
        lostTo: e.lostBetween ? col(e.lostBetween.to) : -1,
        detail: [e.detail ?? '', e.src && e.dst ? `${e.src} → ${e.dst}` : ''].filter(Boolean).join('; '),
      });
    }
    for (const l of f.losses) {
      if (f.evidence.some((e) => e.lostBetween && e.seenAt.some((s) => l.seenAt.some((t) => t.point === s.point && t.frame === s.frame)))) continue;
      rows.push({ finding: fi, role: `lost: ${l.packet}`, time: l.time, seen: l.seenAt.map((s) => [col(s.point), s.frame, s.time]), lostFrom: col(l.lostBetween.from), lostTo: col(l.lostBetween.to), detail: l.flow });
    }
  });
  for (const l of r.unexplainedLosses) rows.push({ finding: -1, role: `lost: ${l.packet}`, time: l.time, seen: l.seenAt.map((s) => [col(s.point), s.frame, s.time]), lostFrom: col(l.lostBetween.from), lostTo: col(l.lostBetween.to), detail: l.flow });
  rows.sort((a, b) => a.time - b.time || a.finding - b.finding);
  return { rows: rows.slice(0, MAX_LADDER_ROWS), omitted: Math.max(0, rows.length - MAX_LADDER_ROWS) };
}

const CSS = `
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#667;--line:#9aa;--err:#c62828;--warn:#b26a00;--info:#0277bd;--lost:#c62828;--sel:#ffe08a}
@media (prefers-color-scheme:dark){:root{--fg:#e6e6e6;--bg:#16181c;--muted:#99a;--line:#566;--sel:#5a4a00}}
body{margin:0;font:14px/1.4 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:12px 16px;border-bottom:1px solid var(--line)}h1{font-size:18px;margin:0 0 6px}
table{border-collapse:collapse;margin:6px 0}td,th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}th{color:var(--muted);font-weight:600}
main{display:flex;gap:16px;padding:12px 16px;align-items:flex-start}#findings{flex:0 0 360px;max-height:85vh;overflow:auto}
.finding{border:1px solid var(--line);border-radius:6px;padding:6px 8px;margin:0 0 8px;cursor:pointer}.finding.sel{background:var(--sel)}
.sev-error{border-left:5px solid var(--err)}.sev-warning{border-left:5px solid var(--warn)}.sev-info{border-left:5px solid var(--info)}
.status{font-weight:600}.muted{color:var(--muted)}#ladder{flex:1;overflow:auto;max-height:85vh}
svg text{fill:var(--fg);font-size:12px}.axis{stroke:var(--line);stroke-width:2}.arrow{stroke:var(--fg);stroke-width:1.5;fill:none}
.row:hover .arrow,.row.sel .arrow{stroke-width:3}.row.dim{opacity:.25}.lostline{stroke:var(--lost);stroke-dasharray:4 3;stroke-width:1.5}.x{stroke:var(--lost);stroke-width:2.5}
.dot{fill:var(--fg)}#tip{position:fixed;pointer-events:none;background:var(--bg);border:1px solid var(--line);padding:6px 8px;border-radius:4px;max-width:480px;white-space:pre-wrap;font-size:12px}
`;

const CLIENT_JS = `(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('dualscope-correlation').textContent);
  var NS = 'http://www.w3.org/2000/svg';
  function el(tag, attrs, text, ns) {
    var e = ns ? document.createElementNS(NS, tag) : document.createElement(tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function iso(t) { var d = new Date(Math.floor(t / 1000)); return d.toISOString().replace('Z', '').slice(11, 23) + String(Math.abs(t) % 1000).padStart(3, '0'); }
  var tip = document.getElementById('tip');
  var cols = data.columns, rows = data.rows, findings = data.report.findings;
  var colW = 180, left = 120, top = 40, rowH = 22, roleW = 320;
  var width = left + cols.length * colW + roleW, height = top + rows.length * rowH + 20;
  var svg = el('svg', { width: width, height: height, viewBox: '0 0 ' + width + ' ' + height, role: 'img' }, undefined, true);
  svg.appendChild(el('title', {}, 'ladder: one line per capture point, one arrow per evidence packet', true));
  function x(c) { return left + c * colW + colW / 2; }
  cols.forEach(function (label, c) {
    svg.appendChild(el('text', { x: x(c), y: 18, 'text-anchor': 'middle', 'class': 'col' }, label.length > 28 ? label.slice(0, 27) + '\\u2026' : label, true));
    svg.appendChild(el('line', { x1: x(c), x2: x(c), y1: top - 10, y2: height - 10, 'class': 'axis' }, undefined, true));
  });
  var rowEls = [];
  rows.forEach(function (r, i) {
    var y = top + i * rowH + rowH / 2;
    var g = el('g', { 'class': 'row', 'data-finding': r.finding, 'data-row': i, tabindex: 0 }, undefined, true);
    g.appendChild(el('text', { x: 4, y: y + 4, 'class': 'muted' }, iso(r.time), true));
    g.appendChild(el('text', { x: left + cols.length * colW + 8, y: y + 4, 'class': 'role' }, r.role.length > 48 ? r.role.slice(0, 47) + '\u2026' : r.role, true));
    var xs = r.seen.map(function (s) { return s[0]; }).filter(function (c) { return c >= 0; });
    var first = Math.min.apply(null, xs), last = Math.max.apply(null, xs);
    // arrows point the way the packet travelled: from the point that saw it first
    var from = r.seen.length ? r.seen[0][0] : first, to = from === first ? last : first;
    if (xs.length > 1) g.appendChild(el('line', { x1: x(from), x2: x(to), y1: y, y2: y, 'class': 'arrow' }, undefined, true));
    r.seen.forEach(function (s) { if (s[0] >= 0) g.appendChild(el('circle', { cx: x(s[0]), cy: y, r: 3.5, 'class': 'dot' }, undefined, true)); });
    if (r.lostFrom >= 0 && r.lostTo >= 0) {
      var xm = (x(r.lostFrom) + x(r.lostTo)) / 2;
      g.appendChild(el('line', { x1: x(r.lostFrom), x2: xm, y1: y, y2: y, 'class': 'lostline' }, undefined, true));
      g.appendChild(el('path', { d: 'M' + (xm - 5) + ' ' + (y - 5) + 'L' + (xm + 5) + ' ' + (y + 5) + 'M' + (xm - 5) + ' ' + (y + 5) + 'L' + (xm + 5) + ' ' + (y - 5), 'class': 'x' }, undefined, true));
    } else if (xs.length > 1) {
      var dir = to > from ? -1 : 1;
      g.appendChild(el('path', { d: 'M' + (x(to) + dir * 8) + ' ' + (y - 4) + 'L' + x(to) + ' ' + y + 'L' + (x(to) + dir * 8) + ' ' + (y + 4), 'class': 'arrow' }, undefined, true));
    }
    g.appendChild(el('rect', { x: left, y: y - rowH / 2, width: cols.length * colW, height: rowH, fill: 'transparent' }, undefined, true));
    function text() {
      var f = r.finding >= 0 ? findings[r.finding] : null;
      var lines = [r.role, f ? f.kind + ' [' + f.status + ']' : 'loss no finding explains'];
      if (r.detail) lines.push(r.detail);
      r.seen.forEach(function (s) { lines.push('seen at ' + (cols[s[0]] || '?') + ': frame ' + s[1] + ', ' + iso(s[2])); });
      if (r.lostFrom >= 0) lines.push('lost between ' + cols[r.lostFrom] + ' and ' + cols[r.lostTo]);
      return lines.join('\\n');
    }
    g.addEventListener('mousemove', function (ev) { tip.textContent = text(); tip.hidden = false; tip.style.left = (ev.clientX + 12) + 'px'; tip.style.top = (ev.clientY + 12) + 'px'; });
    g.addEventListener('mouseleave', function () { tip.hidden = true; });
    g.addEventListener('click', function () { if (r.finding >= 0) select(r.finding); });
    svg.appendChild(g);
    rowEls.push(g);
  });
  document.getElementById('ladder').appendChild(svg);
  var cards = [];
  var list = document.getElementById('findings');
  findings.forEach(function (f, i) {
    var card = el('div', { 'class': 'finding sev-' + f.severity, 'data-finding': i, tabindex: 0 });
    card.appendChild(el('div', {}, f.severity.toUpperCase() + ' ' + f.kind));
    card.appendChild(el('div', { 'class': 'status' }, f.status + (f.location ? ' \\u2014 ' + f.location : '')));
    card.appendChild(el('div', {}, f.summary));
    card.appendChild(el('div', { 'class': 'muted' }, f.statusReason));
    card.appendChild(el('div', { 'class': 'muted' }, 'found at: ' + f.views.map(function (v) { return v.point; }).join(', ')));
    card.addEventListener('click', function () { select(i); });
    list.appendChild(card);
    cards.push(card);
  });
  var selected = -1;
  function select(i) {
    selected = selected === i ? -1 : i;
    cards.forEach(function (c, k) { c.classList.toggle('sel', k === selected); });
    var firstRow = null;
    rowEls.forEach(function (g) {
      var mine = Number(g.getAttribute('data-finding')) === selected;
      g.classList.toggle('sel', mine);
      g.classList.toggle('dim', selected >= 0 && !mine);
      if (mine && !firstRow) firstRow = g;
    });
    if (firstRow && firstRow.scrollIntoView) firstRow.scrollIntoView({ block: 'center' });
  }
  document.documentElement.setAttribute('data-ready', '1');
})();
`;

const when = (t: number | null): string => (t === null ? '—' : new Date(Math.floor(t / 1000)).toISOString());

const CORRELATION_POLICY = () => ["default-src 'none'", "style-src 'unsafe-inline'", `script-src ${cspScriptHash(CLIENT_JS)}`, "base-uri 'none'", "form-action 'none'"];

/** For `serve`'s header: the page's own policy, never framed, sandboxed away from the server's origin. */
export const correlationHeaderCsp = (): string => [...CORRELATION_POLICY(), "connect-src 'none'", "frame-ancestors 'none'", 'sandbox allow-scripts'].join('; ');

/** The page frame; everything inside is built by CLIENT_JS from the JSON block. */
export function renderCorrelationHtml(report: CorrelatedReport): string {
  const columns = ladderColumns(report);
  const { rows, omitted } = ladderRows(report, columns);
  const csp = CORRELATION_POLICY().join('; ');
  const pointRows = report.points
    .map((p) => {
      const c = p.clock;
      const clock = c.basis === 'reference' ? 'reference' : c.basis === 'none' ? 'not aligned' : `${c.offsetMicros} µs ± ${c.uncertaintyMicros ?? '?'} µs${c.driftPpm ? `, drift ${c.driftPpm} ppm` : ''}`;
      return `<tr><td>${escapeHtml(clip(p.label, 80))}</td><td>${escapeHtml(clip(p.capture.file, 120))}</td><td>${escapeHtml(clock)}</td><td>${p.matchedPackets} / ${p.ipPackets}</td><td>${escapeHtml(when(p.firstTime))} … ${escapeHtml(when(p.lastTime))}</td></tr>`;
    })
    .join('');
  const stretchRows = report.stretches
    .map((s) => `<tr><td>${escapeHtml(clip(s.from, 60))} → ${escapeHtml(clip(s.to, 60))}</td><td>${s.packets} arrived, ${s.lost} lost</td><td>${s.delayMicros ? `${s.delayMicros.min} … ${s.delayMicros.max} µs` : '—'}</td><td>${escapeHtml(s.rewrites.map((w) => w.example).join('; '))}</td></tr>`)
    .join('');
  const embedded = { columns, rows, omittedRows: omitted, report: { ...report, points: report.points.map(({ anomalies: _a, ...p }) => p) } };
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>dualscope correlation: ${escapeHtml(clip(report.points.map((p) => p.label).join(' + '), 120))}</title>`,
    `<style>${CSS}</style>`,
    '</head><body>',
    '<header><h1>dualscope correlation</h1>',
    `<p>${escapeHtml(report.overlap.note)}. Times on ${escapeHtml(clip(report.reference, 80))}'s clock.</p>`,
    `<table id="points"><tr><th>point</th><th>file</th><th>clock offset</th><th>matched / IP packets</th><th>span</th></tr>${pointRows}</table>`,
    stretchRows ? `<table id="stretches"><tr><th>stretch</th><th>packets</th><th>delay</th><th>rewrites</th></tr>${stretchRows}</table>` : '',
    omitted > 0 ? `<p class="muted">${omitted} more rows not drawn</p>` : '',
    '</header>',
    '<main><section id="findings" aria-label="findings"></section><section id="ladder" aria-label="ladder"></section></main>',
    '<div id="tip" role="tooltip" hidden></div>',
    `<script type="application/json" id="dualscope-correlation">${jsonForScript(embedded)}</script>`,
    `<script>${CLIENT_JS}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
