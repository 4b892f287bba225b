// The inline stylesheet and the one inline script of the HTML report. The script is plain ES2017
// in a string (not compiled TypeScript) so its text, and so its CSP hash, is exactly what ships.
// It never uses innerHTML: capture strings reach the page only through textContent.

/** Geometry shared by the server-side render and the script. */
export const LAYOUT = {
  width: 1000,
  labelWidth: 250,
  padRight: 12,
  axisHeight: 34,
  overviewHeight: 44,
} as const;

export const CSS = `
:root{--err:#dc2626;--warn:#d97706;--info:#2563eb;--fg:#111827;--muted:#6b7280;--line:#e5e7eb;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#f3f4f6}
header.top{padding:12px 16px;background:#fff;border-bottom:1px solid var(--line)}
h1{font-size:18px;margin:0 0 6px}
h1 .file{font-family:var(--mono);font-weight:500;overflow-wrap:anywhere}
h2{font-size:15px;margin:0 0 8px}
.badge{display:inline-block;font-size:12px;font-weight:700;color:#fff;padding:1px 8px;border-radius:10px;margin-right:6px}
.badge.error,.sev-error .sev{background:var(--err)}.badge.warning,.sev-warning .sev{background:var(--warn)}.badge.info,.sev-info .sev{background:var(--info)}
.badge.zero{background:#d1d5db;color:#374151}
dl.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:4px 16px;margin:8px 0 0}
dl.facts dt{color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.03em}
dl.facts dd{margin:0;font-family:var(--mono);font-size:13px;overflow-wrap:anywhere}
details.more{margin-top:6px;font-size:13px}details.more p{margin:2px 0;font-family:var(--mono);font-size:12px;overflow-wrap:anywhere}
main{display:grid;grid-template-columns:minmax(300px,410px) minmax(0,1fr);gap:12px;padding:12px;align-items:start}
@media (max-width:900px){main{grid-template-columns:1fr}#findings{position:static;max-height:none}}
#findings{position:sticky;top:0;max-height:100vh;overflow:auto;padding-right:2px}
.kinds{display:flex;flex-wrap:wrap;gap:2px 10px;font-size:12px;margin-bottom:8px}
.kinds label{font-family:var(--mono);cursor:pointer}
.finding{background:#fff;border:1px solid var(--line);border-left:5px solid var(--info);border-radius:6px;padding:8px 10px;margin-bottom:8px;cursor:pointer}
.finding[hidden]{display:none}
.finding.sev-error{border-left-color:var(--err)}.finding.sev-warning{border-left-color:var(--warn)}
.finding.sel{outline:2px solid #111827;outline-offset:1px}
.finding:focus-visible{outline:2px solid var(--info)}
.finding .head{display:flex;gap:6px;align-items:center;flex-wrap:wrap;font-size:12px}
.sev{font-size:11px;font-weight:700;text-transform:uppercase;color:#fff;padding:0 6px;border-radius:3px}
.kind{font-family:var(--mono)}.when{color:var(--muted);margin-left:auto}
.summary{margin:4px 0;font-weight:600;overflow-wrap:anywhere}
.finding dl{margin:4px 0;display:grid;grid-template-columns:auto 1fr;gap:2px 8px;font-size:13px}
.finding dt{color:var(--muted)}.finding dd{margin:0;overflow-wrap:anywhere}
.filter{display:flex;gap:6px;align-items:center;margin:4px 0}
.filter code{flex:1;font-family:var(--mono);font-size:12px;background:#f3f4f6;padding:2px 4px;border-radius:3px;overflow-wrap:anywhere;user-select:all;cursor:text}
button{font:inherit;font-size:12px;padding:2px 8px;border:1px solid #d1d5db;border-radius:4px;background:#fff;cursor:pointer}
button:hover{background:#f3f4f6}
.finding details{font-size:12px;margin-top:4px}
.finding summary{cursor:pointer;color:#374151}
table.evidence{border-collapse:collapse;width:100%;font-size:12px;margin-top:2px}
table.evidence th{color:var(--muted);font-weight:500;text-align:left}
table.evidence td,table.evidence th{padding:1px 4px;vertical-align:top;overflow-wrap:anywhere}
table.evidence td:nth-child(-n+2){white-space:nowrap}
table.evidence tr[data-t]:hover{background:#eef2ff;cursor:pointer}
table.occurrences{border-collapse:collapse;width:100%;font-size:12px;margin-top:2px}
table.occurrences th{color:var(--muted);font-weight:500;text-align:left}
table.occurrences td,table.occurrences th{padding:1px 4px;vertical-align:top;overflow-wrap:anywhere}
table.occurrences td:nth-child(1),table.occurrences td:nth-child(3){white-space:nowrap}
table.occurrences .occ-names{color:var(--muted)}
table.occurrences tr[data-occ]:hover{background:#eef2ff;cursor:pointer}
table.occurrences tr.occ-sel{background:#e0e7ff}
.finding .head .count{font-weight:600}
.note{color:var(--muted);font-size:12px;margin:4px 0}
#timeline{background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px;min-width:0}
.controls{display:flex;flex-wrap:wrap;gap:4px;align-items:center;margin-bottom:4px}
.controls .hint{color:var(--muted);font-size:12px;margin-left:8px}
.legend{display:flex;flex-wrap:wrap;gap:2px 12px;font-size:11px;color:#374151;margin:4px 0}
.sw{display:inline-block;width:12px;height:9px;vertical-align:middle;margin-right:3px;border-radius:1px}
.sw.a{background:#3b82f6}.sw.aaaa{background:#8b5cf6}.sw.q-other{background:#0ea5e9}.sw.lost{background:#fee2e2;border:1.5px dashed #dc2626}
.sw.syn{background:#16a34a}.sw.data{background:#9ca3af}.sw.retx{background:#f59e0b}.sw.rst{background:#dc2626}.sw.fin{background:#374151}
.sw.ptb{background:#db2777}.sw.unreach{background:#7f1d1d}.sw.other{background:#a16207}.sw.agg{background:#d1d5db}
#axis-wrap{position:sticky;top:0;background:#fff;z-index:2}
svg{display:block;user-select:none}
svg text{font:11px system-ui,sans-serif;fill:#374151}
.lane-label{font-family:var(--mono);font-size:11px}
.lane-more{font-size:9px;fill:var(--muted)}
.lane-bg{fill:#fff}.lane-bg.odd{fill:#f9fafb}
.lane-hl .lane-bg{fill:#fef3c7}.lane-hl .lane-label{font-weight:700}
.dim{opacity:.25}
.grid line{stroke:#e5e7eb}
.axis line{stroke:#9ca3af}.axis .base{stroke:#6b7280}
.ov-bars{fill:#93c5fd}.ov-vp{fill:#1d4ed8;fill-opacity:.12;stroke:#1d4ed8;stroke-width:1}.ov-sel{fill:#111827;fill-opacity:.15}
#overview,#axis{cursor:crosshair}#plot{cursor:grab}
.m{fill:#6b7280}
.t-dns-query.q-a{fill:#3b82f6}.t-dns-query.q-aaaa{fill:#8b5cf6}.t-dns-query.q-other{fill:#0ea5e9}
.t-dns-answer{fill:#1e3a8a}
.t-dns-query.o-unanswered,.t-dns-query.o-timeout,.t-dns-query.o-lost{fill:#fee2e2;stroke:#dc2626;stroke-width:1.5;stroke-dasharray:3 2}
.t-dns-query.o-rcode{stroke:#dc2626;stroke-width:1.5}
.t-tcp-syn,.t-tcp-synack{fill:#16a34a}.t-tcp-data{fill:#9ca3af}.t-tcp-retransmission{fill:#f59e0b}
.t-tcp-rst{fill:#dc2626}.t-tcp-fin{fill:#374151}.t-tcp-stall{fill:#fbbf24;fill-opacity:.45}
.t-icmp-ptb{fill:#db2777}.t-icmp-unreach{fill:#7f1d1d}.t-icmp-other{fill:#a16207}
.agg{fill:#d1d5db;stroke:#c4c8ce;stroke-width:1.5;vector-effect:non-scaling-stroke}
#lanes.has-sel .m{opacity:.35}
#lanes.has-sel .m.hl,.m.hl{opacity:1;stroke:#111827;stroke-width:2;stroke-dasharray:none}
.m.hl.o-unanswered,.m.hl.o-timeout,.m.hl.o-lost,#lanes .m.hl.o-unanswered,#lanes .m.hl.o-timeout,#lanes .m.hl.o-lost{stroke:#dc2626;stroke-dasharray:3 2}
.m.flash{stroke:#2563eb;stroke-width:3}
#tip{position:fixed;z-index:10;pointer-events:none;background:#111827;color:#f9fafb;font-size:12px;padding:6px 8px;border-radius:4px;max-width:460px;overflow-wrap:anywhere;box-shadow:0 2px 8px rgba(0,0,0,.25)}
#tip[hidden]{display:none}
#tip div{margin:1px 0}#tip b{color:#9ca3af;font-weight:500;margin-right:6px}
`;

export const CLIENT_JS = `(function () {
'use strict';
var doc = document;
var view = JSON.parse(doc.getElementById('dualscope-view').textContent);
var NS = 'http://www.w3.org/2000/svg';
var LW = view.labelWidth, PR = view.padRight, SPAN = view.span;
// The view may reach a margin past the first and last packet, so edge marks are not cut in half.
var LO = -view.margin, HI = SPAN + view.margin, FULL = HI - LO;
var dom = [LO, HI];
var width = 0, pw = 1;
var lanesSvg = doc.getElementById('lanes'), plot = doc.getElementById('plot');
var axis = doc.getElementById('axis'), ov = doc.getElementById('overview');
var ovBars = doc.getElementById('ov-bars'), ovVp = doc.getElementById('ov-vp'), ovSel = doc.getElementById('ov-sel');
var tip = doc.getElementById('tip');
var wrap = doc.getElementById('lanes-wrap');

var items = [], byFrame = new Map();
function addFrame(f, el) { var l = byFrame.get(f); if (!l) { l = []; byFrame.set(f, l); } if (l.indexOf(el) < 0) l.push(el); }
var markEls = plot.querySelectorAll('.m');
for (var i = 0; i < markEls.length; i++) {
  var el = markEls[i], t1 = el.getAttribute('data-t1');
  var wait = el.getAttribute('data-wait');
  items.push({ el: el, t0: +el.getAttribute('data-t0'), t1: t1 === null ? null : +t1, wait: wait === null ? null : +wait, pw: +(el.getAttribute('data-pw') || 3), open: el.hasAttribute('data-open') });
  addFrame(+el.getAttribute('data-frame'), el);
  var fr = el.getAttribute('data-frames');
  if (fr) fr.split(' ').forEach(function (f) { addFrame(+f, el); });
}
var aggs = plot.querySelectorAll('.agg');
var findings = new Map();
view.findings.forEach(function (f) { findings.set(f.id, f); });

function pad2(n, w) { var s = String(n); while (s.length < w) s = '0' + s; return s; }
function absTime(t) {
  var a = view.base + t, ms = Math.floor(a / 1000);
  var iso = new Date(ms).toISOString();
  return iso.slice(0, -1) + pad2(a - ms * 1000, 3) + 'Z';
}
function relTime(t) { return '+' + (t / 1e6).toFixed(6) + ' s'; }
function duration(d) {
  var a = Math.abs(d);
  if (a < 1000) return d + ' \\u00b5s';
  if (a < 1e6) return (d / 1000).toFixed(a < 10000 ? 2 : 1) + ' ms';
  return (d / 1e6).toFixed(a < 1e7 ? 2 : 1) + ' s';
}

function measure() {
  var w = Math.max(480, Math.floor(wrap.clientWidth));
  if (w === width) return;
  width = w; pw = Math.max(50, width - LW - PR);
  [lanesSvg, axis, ov].forEach(function (s) { s.setAttribute('width', width); });
  plot.setAttribute('width', pw);
  var bgs = lanesSvg.querySelectorAll('.lane-bg');
  for (var i = 0; i < bgs.length; i++) bgs[i].setAttribute('width', width);
  ov.querySelector('.ov-frame').setAttribute('width', pw);
}

function ticks(d0, d1, n) {
  var span = d1 - d0, raw = span / n, step = Math.pow(10, Math.floor(Math.log10(raw))), err = raw / step;
  if (err >= 7.07) step *= 10; else if (err >= 3.16) step *= 5; else if (err >= 1.41) step *= 2;
  if (step < 1) step = 1;
  var out = [], first = Math.ceil(d0 / step);
  for (var j = 0; j < 50; j++) { var t = (first + j) * step; if (t > d1) break; out.push(t); }
  return { ticks: out, step: step };
}
function tickLabel(t, step) {
  var dec = Math.max(0, Math.min(6, Math.ceil(-Math.log10(step / 1e6) - 1e-9)));
  return '+' + (t / 1e6).toFixed(dec) + ' s';
}
function svgEl(name, attrs, parent) {
  var e = doc.createElementNS(NS, name);
  for (var k in attrs) e.setAttribute(k, attrs[k]);
  parent.appendChild(e);
  return e;
}

function render() {
  var d0 = dom[0], k = pw / (dom[1] - dom[0]);
  for (var i = 0; i < items.length; i++) {
    var it = items[i], x0 = (it.t0 - d0) * k, w;
    if (it.t1 !== null) { w = Math.max(2, (it.t1 - it.t0) * k); }
    else if (it.wait !== null) { w = Math.max(it.pw, (it.wait - it.t0) * k); }
    else if (it.open) { w = it.pw; }
    else { w = it.pw; x0 -= w / 2; }
    if (x0 + w < -20 || x0 > pw + 20) { x0 = -40; w = 1; }
    else { if (x0 < -20) { w -= -20 - x0; x0 = -20; } if (x0 + w > pw + 20) w = pw + 20 - x0; }
    it.el.setAttribute('x', x0.toFixed(1));
    it.el.setAttribute('width', Math.max(1, w).toFixed(1));
  }
  var s = SPAN / 1000 * k;
  for (var a = 0; a < aggs.length; a++) aggs[a].setAttribute('transform', 'translate(' + (-d0 * k).toFixed(2) + ',0) scale(' + s.toPrecision(6) + ',1)');
  // overview: bars fixed over the whole capture, viewport follows the domain
  ovBars.setAttribute('transform', 'translate(' + (LW - LO / FULL * pw).toFixed(2) + ',0) scale(' + (SPAN / 1000 / FULL * pw).toPrecision(6) + ',1)');
  ovVp.setAttribute('x', (LW + (dom[0] - LO) / FULL * pw).toFixed(1));
  ovVp.setAttribute('width', Math.max(2, (dom[1] - dom[0]) / FULL * pw).toFixed(1));
  // axis ticks and grid
  var tk = ticks(dom[0], dom[1], Math.max(2, Math.floor(pw / 110)));
  var g = doc.getElementById('axis-ticks'), grid = doc.getElementById('grid');
  g.textContent = ''; grid.textContent = '';
  var h = +lanesSvg.getAttribute('height');
  tk.ticks.forEach(function (t) {
    var x = (t - d0) * k;
    svgEl('line', { x1: LW + x, x2: LW + x, y1: 20, y2: 26 }, g);
    var tx = svgEl('text', { x: LW + x, y: 16, 'text-anchor': 'middle' }, g);
    tx.textContent = tickLabel(t, tk.step);
    svgEl('line', { x1: x, x2: x, y1: 0, y2: h }, grid);
  });
  doc.getElementById('axis-span').textContent = 'view ' + duration(Math.round(dom[1] - dom[0])) + ' from ' + absTime(Math.round(dom[0]));
  axis.setAttribute('data-d0', String(Math.round(dom[0])));
  axis.setAttribute('data-d1', String(Math.round(dom[1])));
}

var pending = false;
function schedule() { if (pending) return; pending = true; requestAnimationFrame(function () { pending = false; render(); }); }
function setDomain(a, b, now) {
  var min = 10;
  if (b - a < min) { var c = (a + b) / 2; a = c - min / 2; b = c + min / 2; }
  if (b - a >= FULL) { a = LO; b = HI; }
  else { if (a < LO) { b += LO - a; a = LO; } if (b > HI) { a -= b - HI; b = HI; } }
  dom = [a, b];
  if (now) render(); else schedule();
}
function zoomAt(t, factor, now) { setDomain(t - (t - dom[0]) * factor, t + (dom[1] - t) * factor, now); }
function timeAt(clientX) { var r = axis.getBoundingClientRect(); return dom[0] + (clientX - r.left - LW) / pw * (dom[1] - dom[0]); }

// controls
function on(id, fn) { var e = doc.getElementById(id); if (e) e.addEventListener('click', fn); }
on('zoom-in', function () { zoomAt((dom[0] + dom[1]) / 2, 0.5, true); });
on('zoom-out', function () { zoomAt((dom[0] + dom[1]) / 2, 2, true); });
on('pan-left', function () { var d = (dom[1] - dom[0]) * 0.4; setDomain(dom[0] - d, dom[1] - d, true); });
on('pan-right', function () { var d = (dom[1] - dom[0]) * 0.4; setDomain(dom[0] + d, dom[1] + d, true); });
on('zoom-reset', function () { setDomain(LO, HI, true); });

function wheel(e, always) {
  if (e.deltaX && !e.deltaY && Math.abs(e.deltaX) > 0) { e.preventDefault(); var d = e.deltaX / pw * (dom[1] - dom[0]); setDomain(dom[0] + d, dom[1] + d); return; }
  if (!always && !(e.ctrlKey || e.metaKey || e.altKey)) return;
  e.preventDefault();
  var dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
  zoomAt(Math.min(dom[1], Math.max(dom[0], timeAt(e.clientX))), Math.exp(dy * 0.0015));
}
axis.addEventListener('wheel', function (e) { wheel(e, true); }, { passive: false });
ov.addEventListener('wheel', function (e) { wheel(e, true); }, { passive: false });
plot.addEventListener('wheel', function (e) { wheel(e, false); }, { passive: false });

// drag to pan (plot and axis)
function panDrag(target) {
  var start = null;
  target.addEventListener('pointerdown', function (e) {
    if (e.button !== 0) return;
    start = { x: e.clientX, d: dom.slice() };
    target.setPointerCapture(e.pointerId);
  });
  target.addEventListener('pointermove', function (e) {
    if (!start) return;
    var dt = (e.clientX - start.x) / pw * (start.d[1] - start.d[0]);
    if (dt !== 0) setDomain(start.d[0] - dt, start.d[1] - dt);
  });
  function end() { start = null; }
  target.addEventListener('pointerup', end);
  target.addEventListener('pointercancel', end);
}
panDrag(plot); panDrag(axis);

// overview: click centres, drag selects a range
(function () {
  var s = null;
  function tAt(x) { var r = ov.getBoundingClientRect(); return Math.min(HI, Math.max(LO, LO + (x - r.left - LW) / pw * FULL)); }
  ov.addEventListener('pointerdown', function (e) { if (e.button !== 0) return; s = { x: e.clientX, t: tAt(e.clientX) }; ov.setPointerCapture(e.pointerId); });
  ov.addEventListener('pointermove', function (e) {
    if (!s) return;
    var a = Math.min(s.t, tAt(e.clientX)), b = Math.max(s.t, tAt(e.clientX));
    ovSel.setAttribute('x', (LW + (a - LO) / FULL * pw).toFixed(1));
    ovSel.setAttribute('width', ((b - a) / FULL * pw).toFixed(1));
  });
  ov.addEventListener('pointerup', function (e) {
    if (!s) return;
    var t = tAt(e.clientX);
    if (Math.abs(e.clientX - s.x) < 4) { var h = (dom[1] - dom[0]) / 2; setDomain(t - h, t + h, true); }
    else setDomain(Math.min(s.t, t), Math.max(s.t, t), true);
    ovSel.setAttribute('width', '0');
    s = null;
  });
})();

// tooltip: built with textContent only
function line(key, value) {
  var d = doc.createElement('div'), b = doc.createElement('b'), s = doc.createElement('span');
  b.textContent = key; s.textContent = value; d.appendChild(b); d.appendChild(s); tip.appendChild(d);
}
function showTip(el, e) {
  tip.textContent = '';
  var lane = el.closest('[data-label]');
  if (el.classList.contains('agg')) {
    line('Aggregated', el.getAttribute('data-count') + ' marks not drawn one by one');
  } else {
    var frames = (el.getAttribute('data-frames') || '').split(' ').filter(Boolean);
    line('Frame', el.getAttribute('data-frame') + (frames.length > 1 ? ' (frames ' + frames.slice(0, 12).join(', ') + (frames.length > 12 ? ', \\u2026' : '') + ')' : ''));
    line('Type', el.getAttribute('data-type') + ' \\u00b7 ' + el.getAttribute('data-outcome'));
    var t0 = +el.getAttribute('data-t0');
    line('Time', absTime(t0) + '  (' + relTime(t0) + ')');
    if (el.hasAttribute('data-t1')) { var t1 = +el.getAttribute('data-t1'); line('Until', absTime(t1) + '  (' + duration(t1 - t0) + ')'); }
    if (el.hasAttribute('data-wait')) line('Asked again', duration(+el.getAttribute('data-wait') - t0) + ' later, frame ' + el.getAttribute('data-wait-frame'));
    line('Label', el.getAttribute('data-mlabel') || '');
    if (el.getAttribute('data-detail')) line('Detail', el.getAttribute('data-detail'));
  }
  if (lane) line('Lane', lane.getAttribute('data-label'));
  tip.hidden = false;
  var x = e.clientX + 14, y = e.clientY + 14, r = tip.getBoundingClientRect();
  if (x + r.width > window.innerWidth - 4) x = Math.max(4, e.clientX - r.width - 14);
  if (y + r.height > window.innerHeight - 4) y = Math.max(4, e.clientY - r.height - 14);
  tip.style.left = x + 'px'; tip.style.top = y + 'px';
}
plot.addEventListener('pointermove', function (e) {
  var el = e.target && e.target.closest ? e.target.closest('.m, .agg') : null;
  if (el) showTip(el, e); else tip.hidden = true;
});
plot.addEventListener('pointerleave', function () { tip.hidden = true; });

// findings: select, highlight, zoom
var selected = null, hl = [];
var cards = doc.querySelectorAll('.finding');
var laneEls = lanesSvg.querySelectorAll('[data-findings]');
function laneHas(el, id) { return (el.getAttribute('data-findings') || '').split(' ').indexOf(id) >= 0; }
function select(id) {
  hl.forEach(function (el) { el.classList.remove('hl'); });
  hl = [];
  for (var i = 0; i < cards.length; i++) cards[i].classList.toggle('sel', cards[i].getAttribute('data-id') === id && id !== selected);
  for (var j = 0; j < laneEls.length; j++) laneEls[j].classList.remove('lane-hl');
  if (id === null || id === selected || !findings.has(id)) {
    selected = null; lanesSvg.classList.remove('has-sel'); lanesSvg.setAttribute('data-highlighted', '0'); return;
  }
  selected = id;
  var f = findings.get(id);
  f.frames.forEach(function (fr) { (byFrame.get(fr) || []).forEach(function (el) { if (!el.classList.contains('hl')) { el.classList.add('hl'); hl.push(el); } }); });
  for (var l = 0; l < laneEls.length; l++) if (laneHas(laneEls[l], id)) laneEls[l].classList.add('lane-hl');
  lanesSvg.classList.add('has-sel');
  lanesSvg.setAttribute('data-highlighted', String(hl.length));
  // A margin on each side, cut at the capture's edges (not shifted, which would widen the view).
  var pad = Math.max((f.end - f.start) * 0.1, 2000);
  setDomain(Math.max(LO, f.start - pad), Math.min(HI, f.end + pad), true);
  // Bring the first evidence lane into view (vertically only, below the sticky axis).
  var laneG = hl.length ? hl[0].closest('g.marks') : null;
  if (laneG) {
    var r = laneG.getBoundingClientRect(), top = doc.getElementById('axis-wrap').getBoundingClientRect().bottom;
    if (r.top < top) window.scrollBy(0, r.top - top - 8);
    else if (r.bottom > window.innerHeight) window.scrollBy(0, r.bottom - window.innerHeight + 8);
  }
}
for (var c = 0; c < cards.length; c++) (function (card) {
  var id = card.getAttribute('data-id');
  card.addEventListener('click', function (e) {
    var t = e.target;
    if (t.closest('button, summary, code, input, label')) return;
    var occ = t.closest('tr[data-occ]');
    if (occ) {
      // One occurrence: zoom to it (with a margin) and flash its frames; the incident stays selected.
      if (selected !== id) select(id);
      var o0 = +occ.getAttribute('data-t0'), o1 = +occ.getAttribute('data-t1');
      var opad = Math.max((o1 - o0) * 0.1, 2000);
      setDomain(Math.max(LO, o0 - opad), Math.min(HI, o1 + opad), true);
      var occRows = card.querySelectorAll('tr[data-occ]');
      for (var k = 0; k < occRows.length; k++) occRows[k].classList.toggle('occ-sel', occRows[k] === occ);
      (occ.getAttribute('data-frames') || '').split(' ').filter(Boolean).forEach(function (fr) {
        (byFrame.get(+fr) || []).forEach(function (el) { el.classList.add('flash'); setTimeout(function () { el.classList.remove('flash'); }, 1200); });
      });
      return;
    }
    var row = t.closest('tr[data-t]');
    if (row) {
      if (selected !== id) select(id);
      var at = +row.getAttribute('data-t'), h = Math.min((dom[1] - dom[0]) / 2, Math.max((f0(id).end - f0(id).start), 20000));
      setDomain(at - h, at + h, true);
      (byFrame.get(+row.getAttribute('data-frame')) || []).forEach(function (el) { el.classList.add('flash'); setTimeout(function () { el.classList.remove('flash'); }, 1200); });
      return;
    }
    select(id);
  });
  card.addEventListener('keydown', function (e) { if ((e.key === 'Enter' || e.key === ' ') && e.target === card) { e.preventDefault(); select(id); } });
  var btn = card.querySelector('button.copy'), code = card.querySelector('.filter code');
  if (btn && code) btn.addEventListener('click', function () { copy(code.textContent, btn, code); });
})(cards[c]);
function f0(id) { return findings.get(id); }

function copy(text, btn, code) {
  function done(ok) {
    btn.textContent = ok ? 'Copied' : 'Press Ctrl+C';
    setTimeout(function () { btn.textContent = 'Copy filter'; }, 1500);
  }
  function fallback() {
    var ta = doc.createElement('textarea');
    ta.value = text; ta.setAttribute('readonly', '');
    ta.style.position = 'fixed'; ta.style.top = '0'; ta.style.opacity = '0';
    doc.body.appendChild(ta); ta.select();
    var ok = false;
    try { ok = doc.execCommand('copy'); } catch (err) { ok = false; }
    doc.body.removeChild(ta);
    if (!ok) { var r = doc.createRange(); r.selectNodeContents(code); var s = window.getSelection(); s.removeAllRanges(); s.addRange(r); }
    done(ok);
  }
  if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
  else fallback();
}

// filter by kind
var boxes = doc.querySelectorAll('input[data-kind]');
function applyKinds() {
  var hidden = new Set();
  for (var i = 0; i < boxes.length; i++) if (!boxes[i].checked) hidden.add(boxes[i].getAttribute('data-kind'));
  var shown = 0;
  for (var j = 0; j < cards.length; j++) { var h = hidden.has(cards[j].getAttribute('data-kind')); cards[j].hidden = h; if (!h) shown++; }
  for (var l = 0; l < laneEls.length; l++) {
    var ids = (laneEls[l].getAttribute('data-findings') || '').split(' ').filter(Boolean);
    laneEls[l].classList.toggle('dim', ids.length > 0 && ids.every(function (id) { var f = findings.get(id); return !f || hidden.has(f.kind); }));
  }
  var n = doc.getElementById('shown-count'); if (n) n.textContent = shown + ' of ' + cards.length + ' shown';
  if (selected && hidden.has(findings.get(selected).kind)) select(null);
}
for (var b = 0; b < boxes.length; b++) boxes[b].addEventListener('change', applyKinds);

window.addEventListener('resize', function () { measure(); render(); });
measure(); render();
doc.documentElement.setAttribute('data-ready', '1');
doc.documentElement.setAttribute('data-ready-ms', String(Math.round(performance.now())));
})();
`;
