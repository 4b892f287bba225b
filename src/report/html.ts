// The HTML timeline: one self-contained file (inline CSS, one inline script, no requests) that a
// vendor can open from disk. The SVG and the panels are built as a DOM in d3-node's jsdom, so every
// capture string is escaped by the serializer; the only hand-written markup is the page frame,
// where the one capture string (the file name) goes through escapeHtml, and two JSON blocks,
// written with jsonForScript. A strict CSP (script allowed by hash) backs this up.
import { createRequire } from 'node:module';
import type { D3Node, Selection } from 'd3-node';
import { formatDuration, formatIso } from '../core/index.js';
import type { Incident, Report, TimelineMark } from './schema.js';
import { CLIENT_JS, CSS, LAYOUT } from './html/assets.js';
import { REPORT_META_CSP } from './html/csp.js';
import { clip, cspScriptHash, escapeHtml, jsonForScript } from './html/escape.js';
import { reportPageHead } from './html/page-head.js';
import { DEFAULT_HTML_LIMITS, planTimeline, sortFindings, type HtmlLimits, type LanePlan, type TimelinePlan } from './html/plan.js';

export { DEFAULT_HTML_LIMITS, type HtmlLimits } from './html/plan.js';
export { CLIENT_JS, cspScriptHash };
export { CORRELATION_HEADER_CSP, REPORT_HEADER_CSP, REPORT_META_CSP } from './html/csp.js'; // the server sends the header one
export { escapeHtml }; // for pages written by hand elsewhere (the batch's fleet report)

// d3-node brings jsdom, which takes ~0.4 s to load: loaded on the first HTML report, not at start-up
// of every command (Node 20 can require() this ES module synchronously, so renderHtml stays sync).
let d3NodeClass: typeof D3Node | undefined;
const loadD3Node = (): typeof D3Node =>
  (d3NodeClass ??= (createRequire(import.meta.url)('d3-node') as { D3Node: typeof D3Node }).D3Node);

const LANE_HEIGHT = { dns: 30, tcp: 26, icmp: 26 } as const;

/** Renders the report as one HTML page. Limits bound the page whatever the report holds. */
export function renderHtml(report: Report, limits: Partial<HtmlLimits> = {}): string {
  const lim: HtmlLimits = { ...DEFAULT_HTML_LIMITS, ...limits };
  const plan = planTimeline(report, lim);
  const findings = sortFindings(report.findings);
  const shown = findings.slice(0, lim.maxFindings);

  const d3n = new (loadD3Node())({ container: '<div id="app"></div>' });
  const app = d3n.d3.select(d3n.document.querySelector('#app'));
  renderHeader(app.append('header').attr('class', 'top'), report);
  const main = app.append('main');
  renderFindings(main.append('section').attr('id', 'findings'), report, shown, findings.length - shown.length, plan, lim);
  renderTimeline(d3n, main.append('section').attr('id', 'timeline'), plan);
  app.append('div').attr('id', 'tip').attr('role', 'tooltip').attr('hidden', '');
  const body = (d3n.document.querySelector('#app') as { outerHTML: string }).outerHTML;

  const viewData = {
    base: plan.start,
    span: plan.end - plan.start,
    margin: viewMargin(plan),
    labelWidth: LAYOUT.labelWidth,
    padRight: LAYOUT.padRight,
    findings: shown.map((f) => ({
      id: f.id,
      kind: f.kind,
      start: f.start - plan.start,
      end: f.end - plan.start,
      frames: incidentFrames(f, lim.maxHighlightFrames),
    })),
  };
  // The report itself (without its timeline) rides along for whoever wants the exact values.
  const { timeline: _timeline, ...facts } = report;
  const embedded = { ...facts, findings: shown, findingsNotShown: findings.length - shown.length };

  return [
    ...reportPageHead(REPORT_META_CSP, `dualscope: ${clip(report.capture.file, 120)}`, CSS),
    body,
    `<script type="application/json" id="dualscope-view">${jsonForScript(viewData)}</script>`,
    `<script type="application/json" id="dualscope-report">${jsonForScript(embedded)}</script>`,
    `<script>${CLIENT_JS}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

/** The evidence frames of every occurrence (up to `max`): selecting an incident highlights them all. */
function incidentFrames(f: Incident, max: number): number[] {
  const frames = new Set<number>();
  // Frames of another file (a batch's capture set) are not in this timeline.
  for (const o of f.occurrences) for (const e of o.evidence) if (frames.size < max && e.file === undefined) frames.add(e.frame);
  return [...frames];
}

const bytes = (n: number): string =>
  n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
const when = (t: number | null): string => (t === null ? '—' : formatIso(t));
const rel = (t: number, plan: TimelinePlan): string => `+${((t - plan.start) / 1e6).toFixed(6)} s`;

function renderHeader(h: Selection, report: Report): void {
  const c = report.capture;
  const title = h.append('h1');
  title.append('span').text('dualscope report ');
  title.append('span').attr('class', 'file').text(c.file);
  const counts = h.append('div').attr('class', 'counts');
  for (const s of ['error', 'warning', 'info'] as const) {
    const n = report.counts[s];
    counts.append('span').attr('class', `badge ${s}${n ? '' : ' zero'}`).attr('data-severity', s).text(`${n} ${s}${n === 1 ? '' : s === 'info' ? '' : 's'}`);
  }
  const facts: [string, string][] = [
    ['Format', `${c.format ?? 'unknown'}${c.gzip ? ' (gzip)' : ''}${c.resolution ? `, ${c.resolution} timestamps` : ''}`],
    ['Link types', c.linkTypes.map((l) => `${l.name} (${l.value})`).join(', ') || '—'],
    ['Packets', c.packets.toLocaleString('en-US')],
    ['Bytes read', bytes(c.bytes)],
    ['First packet', when(c.firstTime)],
    ['Last packet', when(c.lastTime)],
    ['Duration', formatDuration(c.durationMicros)],
    ['Interfaces', String(c.interfaces)],
    ['Truncated', c.truncated ? 'yes: the file ends inside a record' : 'no'],
    ['Skipped bytes', String(c.skippedBytes)],
    ...(c.notAnalysed !== undefined
      ? [['Not analysed', `${bytes(c.notAnalysed.bytes)} (${(c.notAnalysed.share * 100).toFixed(1)} % of the file) after frame ${c.notAnalysed.afterFrame}: ${c.notAnalysed.reason}`] as [string, string]]
      : []),
    ...(c.oneSided !== undefined
      ? [['One-sided', `the capture lacks the inbound packets of ${c.oneSided.hosts} host${c.oneSided.hosts === 1 ? '' : 's'}: ${c.oneSided.examples.map((h) => `${h.host} (frame ${h.frame})`).join(', ')}${c.oneSided.hosts > c.oneSided.examples.length ? ` and ${c.oneSided.hosts - c.oneSided.examples.length} more` : ''}; verdicts resting on silence towards them are withheld`] as [string, string]]
      : []),
    ['Dropped by capture', c.droppedByCapture === null ? 'not recorded' : String(c.droppedByCapture)],
    ['Generated', `${report.tool.name} ${report.tool.version}, ${report.generatedAt}`],
  ];
  const dl = h.append('dl').attr('class', 'facts');
  for (const [k, v] of facts) {
    const d = dl.append('div');
    d.append('dt').text(k);
    d.append('dd').text(v);
  }
  const more = h.append('details').attr('class', 'more');
  const anomalies = Object.entries(report.anomalies).filter(([, n]) => n > 0).sort(([a], [b]) => (a < b ? -1 : 1));
  const total = anomalies.reduce((sum, [, n]) => sum + n, 0);
  more.append('summary').text(`Statistics and decode anomalies (${total || 'no'} ${total === 1 ? 'anomaly' : 'anomalies'})`);
  for (const [name, stats] of Object.entries(report.statistics)) {
    const parts = Object.entries(stats).map(([k, v]) => `${k} ${v}`);
    more.append('p').text(`${name.toUpperCase()}: ${parts.join(' · ') || '—'}`);
  }
  more.append('p').text(`Anomalies: ${anomalies.map(([k, n]) => `${k} ${n}`).join(' · ') || 'none'}`);
}

function renderFindings(sec: Selection, report: Report, shown: readonly Incident[], notShown: number, plan: TimelinePlan, lim: HtmlLimits): void {
  sec.append('h2').text(`Findings (${report.findings.length} incident${report.findings.length === 1 ? '' : 's'}, ${report.counts.occurrences} occurrence${report.counts.occurrences === 1 ? '' : 's'})`);
  const kinds = [...new Set(shown.map((f) => f.kind))].sort();
  if (kinds.length) {
    const k = sec.append('div').attr('class', 'kinds');
    for (const kind of kinds) {
      const label = k.append('label');
      label.append('input').attr('type', 'checkbox').attr('checked', '').attr('data-kind', kind);
      label.append('span').text(` ${kind} (${shown.filter((f) => f.kind === kind).length})`);
    }
    k.append('span').attr('id', 'shown-count').attr('class', 'note').text(`${shown.length} of ${shown.length} shown`);
  } else {
    sec.append('p').attr('class', 'note').text('No findings: nothing in this capture matched a known dual-stack incident.');
  }
  const list = sec.append('div').attr('class', 'cards');
  for (const f of shown) renderFinding(list, f, plan, lim);
  if (notShown > 0) sec.append('p').attr('class', 'note more-findings').text(`${notShown} more findings not shown: see the JSON report.`);
}

function renderFinding(list: Selection, f: Incident, plan: TimelinePlan, lim: HtmlLimits): void {
  const card = list
    .append('article')
    .attr('class', `finding sev-${f.severity}`)
    .attr('data-id', f.id)
    .attr('data-kind', f.kind)
    .attr('data-severity', f.severity)
    .attr('tabindex', 0);
  const head = card.append('div').attr('class', 'head');
  head.append('span').attr('class', 'sev').text(f.severity);
  head.append('span').attr('class', 'kind').text(f.kind);
  if (f.count > 1) head.append('span').attr('class', 'count').attr('title', 'occurrences').text(`×${f.count}`);
  head.append('span').attr('class', 'when').text(`${rel(f.start, plan)}${f.end > f.start ? `, ${formatDuration(f.end - f.start)}` : ''}`);
  card.append('p').attr('class', 'summary').text(f.summary);
  const dl = card.append('dl');
  const row = (k: string, v: string): void => {
    dl.append('dt').text(k);
    dl.append('dd').text(v);
  };
  const tally = (t: Incident['clients']): string => `${t.top.map((r) => (r.occurrences > 1 ? `${r.value} ×${r.occurrences}` : r.value)).join(', ')}${t.count > t.top.length ? ` (+${t.count - t.top.length} more)` : ''}`;
  if (f.count > 1) {
    row('Cause', f.cause.party);
    row('Occurrences', String(f.count));
    if (f.clients.count > 0) row(`Clients (${f.clients.count})`, tally(f.clients));
    if (f.servers.count > 1) row(`Servers (${f.servers.count})`, tally(f.servers));
    if (f.nameTally.count > 0) row(`Names (${f.nameTally.count})`, tally(f.nameTally));
    if (f.delay.measured > 0) row('Delay', `${formatDuration(f.delay.totalMicros)} in all, typically ${formatDuration(f.delay.medianMicros ?? 0)}, at worst ${formatDuration(f.delay.maxMicros ?? 0)}`);
  } else {
    if (f.client || f.server) row('Between', `${f.client ?? '?'} → ${f.server ?? '?'}`);
    if (f.names.length) row('Names', f.names.join(', '));
  }
  const impact = [f.impact.description];
  if (f.impact.delayMicros !== undefined) impact.push(`delay ${formatDuration(f.impact.delayMicros)}`);
  if (f.impact.stalledBytes !== undefined) impact.push(`${f.impact.stalledBytes} bytes stalled`);
  if (f.impact.occurrences !== undefined) impact.push(`${f.impact.occurrences} occurrences`);
  row('Impact', impact.join('; '));
  row('Confidence', `${f.confidence.level}: ${f.confidence.reason}`);
  row('Remedy', f.remedy);
  row('Time', `${formatIso(f.start)} → ${formatIso(f.end)}`);
  const filter = card.append('div').attr('class', 'filter');
  filter.append('code').attr('title', 'Wireshark display filter').text(f.displayFilter);
  filter.append('button').attr('type', 'button').attr('class', 'copy').text('Copy filter');

  const ev = card.append('details').attr('class', 'evidence');
  if (f.evidence.length <= 6) ev.attr('open', '');
  ev.append('summary').text(`${f.count > 1 ? 'Evidence of the first, worst and last occurrence' : 'Evidence'} (${f.evidence.length} packet${f.evidence.length === 1 ? '' : 's'})`);
  const table = ev.append('table').attr('class', 'evidence');
  const hr = table.append('tr');
  for (const h of ['frame', 'time', 'role', 'src → dst', 'detail']) hr.append('th').text(h);
  for (const e of f.evidence.slice(0, lim.maxEvidenceRows)) {
    const tr = table.append('tr').attr('data-frame', e.frame).attr('data-t', e.time - plan.start).attr('title', formatIso(e.time));
    tr.append('td').text(e.file === undefined ? String(e.frame) : `${e.frame} in ${e.file}`);
    tr.append('td').text(rel(e.time, plan));
    tr.append('td').text(e.role);
    tr.append('td').text(e.src || e.dst ? `${e.src ?? '?'} → ${e.dst ?? '?'}` : '');
    tr.append('td').text(e.detail ?? '');
  }
  if (f.evidence.length > lim.maxEvidenceRows)
    ev.append('p').attr('class', 'note').text(`${f.evidence.length - lim.maxEvidenceRows} more evidence packets not shown: see the JSON report.`);
  if (f.count > 1) renderOccurrences(card, f, plan, lim);
  const details = Object.entries(f.details);
  if (details.length) {
    const d = card.append('details').attr('class', 'details');
    d.append('summary').text('Details');
    const ddl = d.append('dl');
    for (const [k, v] of details) {
      ddl.append('dt').text(k);
      ddl.append('dd').text(Array.isArray(v) ? v.join(', ') : String(v));
    }
  }
}

/** Every occurrence, one row each: clicking one zooms the timeline to it and flashes its frames. */
function renderOccurrences(card: Selection, f: Incident, plan: TimelinePlan, lim: HtmlLimits): void {
  const occ = card.append('details').attr('class', 'occurrences');
  occ.append('summary').text(`Occurrences (${f.count})`);
  const table = occ.append('table').attr('class', 'occurrences');
  const hr = table.append('tr');
  for (const h of ['time', 'client and names', 'delay']) hr.append('th').text(h);
  for (const o of f.occurrences.slice(0, lim.maxOccurrenceRows)) {
    const frames = [...new Set(o.evidence.map((e) => e.frame))];
    const tr = table
      .append('tr')
      .attr('class', 'occ')
      .attr('data-occ', o.id)
      .attr('data-t0', o.start - plan.start)
      .attr('data-t1', o.end - plan.start)
      .attr('data-frames', frames.join(' '))
      .attr('title', `${formatIso(o.start)}; frames ${frames.join(' ')}; ${clip(o.summary, 400)}`);
    tr.append('td').text(rel(o.start, plan));
    const who = tr.append('td');
    who.append('span').text(`${o.client ?? '?'}${f.servers.count > 1 ? ` → ${o.server ?? '?'}` : ''}`);
    if (o.names.length) who.append('span').attr('class', 'occ-names').text(` ${o.names.slice(0, 3).join(', ')}${o.names.length > 3 ? ' …' : ''}`);
    tr.append('td').text(o.impact.delayMicros !== undefined ? formatDuration(o.impact.delayMicros) : '');
  }
  if (f.count > lim.maxOccurrenceRows)
    occ.append('p').attr('class', 'note').text(`${f.count - lim.maxOccurrenceRows} more occurrences not shown: see the JSON report.`);
}

/** Known mark types get their own style; any other string falls back to the generic `t-other`. */
const KNOWN_TYPES = new Set([
  'dns-query', 'dns-answer', 'dns-retry', 'tcp-syn', 'tcp-synack', 'tcp-data', 'tcp-retransmission', 'tcp-stall',
  'tcp-rst', 'tcp-fin', 'tcp-ack', 'icmp-ptb', 'icmp-unreach', 'icmp-other',
]);
const KNOWN_OUTCOMES = new Set(['answered', 'nodata', 'unanswered', 'timeout', 'lost', 'ok', 'reset', 'retransmission', 'error']);
const typeClass = (t: string): string => (KNOWN_TYPES.has(t) ? `t-${t}` : 't-other');
const outcomeClass = (o: string): string => (KNOWN_OUTCOMES.has(o) ? `o-${o}` : /^rcode-\d+$/.test(o) ? 'o-rcode' : 'o-other');
/** DNS labels start with the query type (`AAAA example.com`). */
const qtypeOf = (m: TimelineMark): 'a' | 'aaaa' | 'other' => {
  const first = m.label.split(' ', 1)[0];
  return first === 'A' ? 'a' : first === 'AAAA' ? 'aaaa' : 'other';
};

interface Geometry { y: number; h: number; pw: number }
/** Lane-local position of a mark: DNS lanes put A above AAAA; points get a fixed pixel width. */
function geometry(m: TimelineMark, laneHeight: number): Geometry {
  if (m.type.startsWith('dns-')) {
    const q = qtypeOf(m);
    const y = q === 'a' ? 3 : q === 'aaaa' ? 16 : 9;
    return m.type === 'dns-query' ? { y, h: 11, pw: 10 } : { y: y - 1, h: 13, pw: 3 };
  }
  switch (m.type) {
    case 'tcp-data': return { y: 8, h: 10, pw: 2 };
    case 'tcp-ack': return { y: 10, h: 6, pw: 1.5 };
    case 'tcp-stall': return { y: 6, h: 14, pw: 6 };
    case 'tcp-syn': case 'tcp-synack': case 'tcp-fin': return { y: 4, h: laneHeight - 8, pw: 3 };
    case 'tcp-rst': case 'tcp-retransmission': return { y: 2, h: laneHeight - 4, pw: 4 };
    case 'icmp-ptb': case 'icmp-unreach': case 'icmp-other': return { y: 0, h: laneHeight, pw: 5 };
    default: return { y: 6, h: laneHeight - 12, pw: 3 };
  }
}

/** An unanswered query asked again within this long is drawn as waiting until the retry (µs). */
const RETRY_WINDOW = 60_000_000;

/** Attribute values are capped so one giant label cannot bloat the page (the JSON has them whole). */
const ATTR_MAX = 300;

function renderTimeline(d3n: D3Node, sec: Selection, plan: TimelinePlan): void {
  const { width, labelWidth, padRight, axisHeight, overviewHeight } = LAYOUT;
  const pw = width - labelWidth - padRight;
  const span = plan.end - plan.start;
  const margin = viewMargin(plan);
  const x = d3n.d3.scaleLinear().domain([-margin, span + margin]).range([0, pw]);

  sec.append('h2').text('Timeline');
  const controls = sec.append('div').attr('class', 'controls');
  for (const [id, text, title] of [
    ['zoom-in', '+', 'Zoom in'], ['zoom-out', '−', 'Zoom out'], ['pan-left', '◀', 'Pan left'],
    ['pan-right', '▶', 'Pan right'], ['zoom-reset', 'Whole capture', 'Show the whole capture'],
  ] as const)
    controls.append('button').attr('type', 'button').attr('id', id).attr('title', title).text(text);
  controls.append('span').attr('class', 'hint').text('Wheel on the axis or overview (Ctrl+wheel on lanes) zooms; drag pans; drag on the overview picks a range; click a finding to zoom to it.');
  const legend = sec.append('div').attr('class', 'legend');
  for (const [cls, text] of [
    ['a', 'A query'], ['aaaa', 'AAAA query'], ['q-other', 'other query'], ['lost', 'unanswered'], ['syn', 'SYN / SYN-ACK'],
    ['data', 'data'], ['retx', 'retransmission'], ['rst', 'RST'], ['fin', 'FIN'], ['ptb', 'ICMP too big'],
    ['unreach', 'ICMP unreachable'], ['other', 'other'], ['agg', 'aggregated'],
  ] as const) {
    const s = legend.append('span');
    s.append('span').attr('class', `sw ${cls}`);
    s.append('span').text(text);
  }

  // Overview strip: packets per bucket over the whole capture, in 0..1000 units scaled by the script.
  const ov = sec.append('svg').attr('id', 'overview').attr('width', width).attr('height', overviewHeight);
  ov.append('text').attr('x', 4).attr('y', 16).text('Packets over the capture');
  ov.append('text').attr('class', 'lane-more').attr('x', 4).attr('y', 30).text(`${plan.overview.packets.reduce((a, b) => a + b, 0).toLocaleString('en-US')} packets, ${formatDuration(plan.overview.bucketMicros)} per bar`);
  ov.append('rect').attr('class', 'ov-frame').attr('x', labelWidth).attr('y', 2).attr('width', pw).attr('height', overviewHeight - 4).attr('fill', '#f9fafb');
  const maxP = Math.max(1, ...plan.overview.packets);
  let d = '';
  plan.overview.packets.forEach((n, i) => {
    if (!n) return;
    const u0 = ((plan.overview.origin + i * plan.overview.bucketMicros - plan.start) / span) * 1000;
    const u1 = Math.min(1000, ((plan.overview.origin + (i + 1) * plan.overview.bucketMicros - plan.start) / span) * 1000);
    const h = Math.max(1, (Math.log1p(n) / Math.log1p(maxP)) * (overviewHeight - 8));
    d += `M${u0.toFixed(2)} ${overviewHeight - 4}V${(overviewHeight - 4 - h).toFixed(1)}H${Math.max(u0 + 0.5, u1).toFixed(2)}V${overviewHeight - 4}Z`;
  });
  ov.append('path').attr('id', 'ov-bars').attr('class', 'ov-bars').attr('d', d || 'M0 0').attr('transform', `translate(${labelWidth + x(0)},0) scale(${(x(span) - x(0)) / 1000},1)`);
  ov.append('rect').attr('id', 'ov-vp').attr('class', 'ov-vp').attr('x', labelWidth).attr('y', 2).attr('width', pw).attr('height', overviewHeight - 4);
  ov.append('rect').attr('id', 'ov-sel').attr('class', 'ov-sel').attr('x', labelWidth).attr('y', 2).attr('width', 0).attr('height', overviewHeight - 4);

  // Axis: relative seconds, sticky above the lanes. The script redraws the ticks on zoom.
  const axisWrap = sec.append('div').attr('id', 'axis-wrap');
  const axis = axisWrap.append('svg').attr('id', 'axis').attr('class', 'axis').attr('width', width).attr('height', axisHeight)
    .attr('data-d0', -margin).attr('data-d1', span + margin);
  axis.append('text').attr('x', 4).attr('y', 14).text('Time since');
  axis.append('text').attr('x', 4).attr('y', 27).attr('class', 'lane-more').text(formatIso(plan.start));
  axis.append('line').attr('class', 'base').attr('x1', labelWidth).attr('x2', labelWidth + pw).attr('y1', 20).attr('y2', 20);
  const ticks = axis.append('g').attr('id', 'axis-ticks');
  for (const t of x.ticks(8)) {
    ticks.append('line').attr('x1', labelWidth + x(t)).attr('x2', labelWidth + x(t)).attr('y1', 20).attr('y2', 26);
    ticks.append('text').attr('x', labelWidth + x(t)).attr('y', 16).attr('text-anchor', 'middle').text(`+${(t / 1e6).toString()} s`);
  }
  axis.append('text').attr('id', 'axis-span').attr('class', 'lane-more').attr('x', labelWidth).attr('y', 32).text('');

  // Lanes: labels on the left, marks in a nested <svg> that clips them to the plot.
  const tops: number[] = [];
  let y = 0;
  for (const l of plan.lanes) {
    tops.push(y);
    y += LANE_HEIGHT[l.lane.kind] ?? 26;
  }
  const height = Math.max(y, 20);
  const lanesWrap = sec.append('div').attr('id', 'lanes-wrap');
  const svg = lanesWrap.append('svg').attr('id', 'lanes').attr('width', width).attr('height', height).attr('data-highlighted', 0);
  plan.lanes.forEach((l, i) => renderLaneLabel(svg, l, tops[i], i));
  const plot = svg.append('svg').attr('id', 'plot').attr('x', labelWidth).attr('y', 0).attr('width', pw).attr('height', height);
  const grid = plot.append('g').attr('id', 'grid').attr('class', 'grid');
  for (const t of x.ticks(8)) grid.append('line').attr('x1', x(t)).attr('x2', x(t)).attr('y1', 0).attr('y2', height);
  plan.lanes.forEach((l, i) => renderLaneMarks(plot, l, tops[i], x, span, plan.start));
  if (!plan.lanes.length) svg.append('text').attr('x', 8).attr('y', 14).text('No lanes: the capture held no DNS, TCP or ICMP error traffic to draw.');
  if (plan.lanesNotShown > 0)
    sec.append('p').attr('class', 'note lanes-more').text(`${plan.lanesNotShown} more lanes not shown (flows unrelated to any finding).`);
  if (plan.packetsWithoutLane > 0)
    sec.append('p').attr('class', 'note').text(`${plan.packetsWithoutLane.toLocaleString('en-US')} packets belong to flows beyond the lane limit: counted in the overview, drawn in no lane.`);
}

/** The whole-capture view reaches this far past the first and last packet (µs). */
const viewMargin = (plan: TimelinePlan): number => Math.max(1, Math.round((plan.end - plan.start) * 0.01));

function renderLaneLabel(svg: Selection, l: LanePlan, top: number, i: number): void {
  const h = LANE_HEIGHT[l.lane.kind] ?? 26;
  const g = svg.append('g').attr('class', 'lane').attr('transform', `translate(0,${top})`)
    .attr('data-lane', clip(l.lane.id, ATTR_MAX)).attr('data-findings', l.lane.findingIds.join(' '));
  g.append('rect').attr('class', `lane-bg${i % 2 ? ' odd' : ''}`).attr('x', 0).attr('y', 0).attr('width', LAYOUT.width).attr('height', h);
  const label = g.append('text').attr('class', 'lane-label').attr('x', 6).attr('y', 12).text(clip(l.lane.label, 36));
  label.append('title').text(l.lane.label);
  const notes: string[] = [];
  if (l.lane.findingIds.length) notes.push(`${l.lane.findingIds.length} finding${l.lane.findingIds.length === 1 ? '' : 's'}`);
  notes.push(`${l.marks.length} marks`);
  if (l.notShown) notes.push(`${l.notShown} more not shown`);
  g.append('text').attr('class', 'lane-more').attr('x', 6).attr('y', h - 4).text(notes.join(' · '));
}

function renderLaneMarks(plot: Selection, l: LanePlan, top: number, x: (t: number) => number, span: number, base: number): void {
  const h = LANE_HEIGHT[l.lane.kind] ?? 26;
  const g = plot.append('g').attr('class', 'marks').attr('transform', `translate(0,${top})`)
    .attr('data-label', clip(l.lane.label, ATTR_MAX)).attr('data-findings', l.lane.findingIds.join(' '));
  if (l.aggregated.length) {
    // Marks this page does not draw one by one: one path of bars in 0..1000 units of the whole
    // capture, each as wide as the marks it stands for and as tall as log(count); the script scales it.
    const max = Math.max(1, ...l.aggregated.map((b) => b.count));
    const u = (t: number): number => ((t - base) / span) * 1000;
    let d = '';
    for (const b of l.aggregated) {
      const bh = Math.max(2, (Math.log1p(b.count) / Math.log1p(max)) * (h - 4));
      d += `M${u(b.t0).toFixed(4)} ${h - 2}v${(-bh).toFixed(1)}H${u(b.t1).toFixed(4)}v${bh.toFixed(1)}Z`;
    }
    g.append('path').attr('class', 'agg').attr('d', d).attr('data-count', l.aggregated.reduce((a, b) => a + b.count, 0))
      .attr('transform', `translate(${x(0)},0) scale(${(x(span) - x(0)) / 1000},1)`);
  }
  // An unanswered query waits until the same question is asked again: draw that wait as its bar.
  const retryOf = new Map<TimelineMark, TimelineMark>();
  const queries = l.marks.filter((m) => m.type === 'dns-query');
  queries.forEach((m, i) => {
    if (m.t1 !== null) return;
    const next = queries.slice(i + 1).find((n) => n.label === m.label && n.t0 > m.t0);
    if (next && next.t0 - m.t0 <= RETRY_WINDOW) retryOf.set(m, next);
  });
  g.selectAll('rect.m')
    .data(l.marks)
    .join('rect')
    .each(function (this: unknown, m: TimelineMark) {
      const geo = geometry(m, h);
      const t0 = m.t0 - base;
      const t1 = m.t1 === null ? null : m.t1 - base;
      const open = m.t1 === null && m.type === 'dns-query';
      const retry = retryOf.get(m);
      const x0 = t1 !== null ? x(t0) : open ? x(t0) : x(t0) - geo.pw / 2;
      const w = t1 !== null ? Math.max(2, x(t1) - x(t0)) : retry ? Math.max(geo.pw, x(retry.t0 - base) - x(t0)) : geo.pw;
      const el = this as { setAttribute(k: string, v: string): void };
      const cls = ['m', typeClass(m.type), outcomeClass(m.outcome)];
      if (m.type.startsWith('dns-')) cls.push(`q-${qtypeOf(m)}`);
      el.setAttribute('class', cls.join(' '));
      el.setAttribute('x', x0.toFixed(1));
      el.setAttribute('y', String(geo.y));
      el.setAttribute('width', w.toFixed(1));
      el.setAttribute('height', String(geo.h));
      el.setAttribute('data-t0', String(t0));
      if (t1 !== null) el.setAttribute('data-t1', String(t1));
      else el.setAttribute('data-pw', String(geo.pw));
      if (open) el.setAttribute('data-open', '');
      if (retry) {
        el.setAttribute('data-wait', String(retry.t0 - base));
        el.setAttribute('data-wait-frame', String(retry.frame));
      }
      el.setAttribute('data-frame', String(m.frame));
      const extra = m.frames.filter((f) => f !== m.frame);
      if (extra.length) el.setAttribute('data-frames', m.frames.slice(0, 64).join(' '));
      el.setAttribute('data-type', clip(m.type, 40));
      el.setAttribute('data-outcome', clip(m.outcome, 40));
      el.setAttribute('data-mlabel', clip(m.label, ATTR_MAX));
      if (m.detail) el.setAttribute('data-detail', clip(m.detail, ATTR_MAX));
    });
}
