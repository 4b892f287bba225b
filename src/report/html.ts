// The HTML timeline: one self-contained file (inline CSS, one inline script, no requests) that a
// vendor can open from disk. The page is written as text with the markup builder of
// html/markup.ts, which escapes every value it is given unless it is markup the builder made, so
// every capture string is escaped by construction; the two JSON blocks are written with
// jsonForScript. A strict CSP (script allowed by hash) backs this up. The page comes out in pieces
// (renderHtmlChunks: the page frame, each finding card, each lane, each finding of the embedded
// report), so no DOM and, for a writer that takes pieces, no string of the whole page is ever held.
import { formatCount, formatDuration, formatIso } from '../core/index.js';
import type { Incident, Report, TimelineMark } from './schema.js';
import { CLIENT_JS, CSS, LAYOUT } from './html/assets.js';
import { REPORT_META_CSP } from './html/csp.js';
import { clip, cspScriptHash } from './html/escape.js';
import { el, end, fragment, inlineScript, jsonScript, start, type Markup } from './html/markup.js';
import { reportPageHead } from './html/page-head.js';
import { DEFAULT_HTML_LIMITS, planTimeline, sortFindings, type HtmlLimits, type LanePlan, type TimelinePlan } from './html/plan.js';
import { linearScale, type LinearScale } from './html/scale.js';

export { DEFAULT_HTML_LIMITS, type HtmlLimits } from './html/plan.js';
export { CLIENT_JS, cspScriptHash };
export { CORRELATION_HEADER_CSP, REPORT_HEADER_CSP, REPORT_META_CSP } from './html/csp.js'; // the server sends the header one

const LANE_HEIGHT = { dns: 30, tcp: 26, icmp: 26 } as const;

/** Renders the report as one HTML page: the pieces of renderHtmlChunks, joined. */
export function renderHtml(report: Report, limits: Partial<HtmlLimits> = {}): string {
  return [...renderHtmlChunks(report, limits)].join('');
}

/**
 * The page in pieces, in order, for a writer that writes them one by one: none is larger than one
 * finding card, one lane of marks or one finding of the embedded report. Limits bound the page
 * whatever the report holds.
 */
export function* renderHtmlChunks(report: Report, limits: Partial<HtmlLimits> = {}): Generator<string> {
  const lim: HtmlLimits = { ...DEFAULT_HTML_LIMITS, ...limits };
  const plan = planTimeline(report, lim);
  const findings = sortFindings(report.findings);
  const shown = findings.slice(0, lim.maxFindings);

  yield `${reportPageHead(REPORT_META_CSP, `dualscope: ${clip(report.capture.file, 120)}`, CSS).join('\n')}\n`;
  yield fragment(start('div', { id: 'app' }), header(report), start('main')).html;
  for (const m of findingsSection(report, shown, findings.length - shown.length, plan, lim)) yield m.html;
  for (const m of timelineSection(plan)) yield m.html;
  yield fragment(end('main'), el('div', { id: 'tip', role: 'tooltip', hidden: true }), end('div')).html;

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
  yield '\n';
  for (const m of jsonScript('dualscope-view', viewData)) yield m.html;
  // The report itself (without its timeline) rides along for whoever wants the exact values.
  const { timeline: _timeline, ...facts } = report;
  const embedded = { ...facts, findings: shown, findingsNotShown: findings.length - shown.length };
  yield '\n';
  // Down to each incident's occurrences (4 levels: the report, its incidents, an incident, its
  // occurrences): an incident of the edge bench file has up to ~170 of them, 0.4 MB of text, and a
  // string that long is a large object, which V8 keeps in a space beside the young generation's.
  for (const m of jsonScript('dualscope-report', embedded, 4)) yield m.html;
  yield `\n${inlineScript(CLIENT_JS).html}\n${fragment(end('body'), end('html')).html}\n`;
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

function header(report: Report): Markup {
  const c = report.capture;
  const facts: [string, string][] = [
    ['Format', `${c.format ?? 'unknown'}${c.gzip ? ' (gzip)' : ''}${c.resolution ? `, ${c.resolution} timestamps` : ''}`],
    ['Link types', c.linkTypes.map((l) => `${l.name} (${l.value})`).join(', ') || '—'],
    ['Packets', formatCount(c.packets)],
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
  const anomalies = Object.entries(report.anomalies).filter(([, n]) => n > 0).sort(([a], [b]) => (a < b ? -1 : 1));
  const total = anomalies.reduce((sum, [, n]) => sum + n, 0);
  return el('header', { class: 'top' },
    el('h1', null, el('span', null, 'dualscope report '), el('span', { class: 'file' }, c.file)),
    el('div', { class: 'counts' }, (['error', 'warning', 'info'] as const).map((s) => {
      const n = report.counts[s];
      return el('span', { class: `badge ${s}${n ? '' : ' zero'}`, 'data-severity': s }, `${n} ${s}${n === 1 ? '' : s === 'info' ? '' : 's'}`);
    })),
    el('dl', { class: 'facts' }, facts.map(([k, v]) => el('div', null, el('dt', null, k), el('dd', null, v)))),
    el('details', { class: 'more' },
      el('summary', null, `Statistics and decode anomalies (${total || 'no'} ${total === 1 ? 'anomaly' : 'anomalies'})`),
      Object.entries(report.statistics).map(([name, stats]) => {
        const parts = Object.entries(stats).map(([k, v]) => `${k} ${v}`);
        return el('p', null, `${name.toUpperCase()}: ${parts.join(' · ') || '—'}`);
      }),
      el('p', null, `Anomalies: ${anomalies.map(([k, n]) => `${k} ${n}`).join(' · ') || 'none'}`)));
}

function* findingsSection(report: Report, shown: readonly Incident[], notShown: number, plan: TimelinePlan, lim: HtmlLimits): Generator<Markup> {
  const perKind = new Map<string, number>();
  for (const f of shown) perKind.set(f.kind, (perKind.get(f.kind) ?? 0) + 1);
  const kinds = [...perKind.keys()].sort();
  yield fragment(
    start('section', { id: 'findings' }),
    el('h2', null, `Findings (${report.findings.length} incident${report.findings.length === 1 ? '' : 's'}, ${report.counts.occurrences} occurrence${report.counts.occurrences === 1 ? '' : 's'})`),
    kinds.length
      ? el('div', { class: 'kinds' },
        kinds.map((kind) => el('label', null, el('input', { type: 'checkbox', checked: true, 'data-kind': kind }), el('span', null, ` ${kind} (${perKind.get(kind)})`))),
        el('span', { id: 'shown-count', class: 'note' }, `${shown.length} of ${shown.length} shown`))
      : el('p', { class: 'note' }, 'No findings: nothing in this capture matched a known dual-stack incident.'),
    start('div', { class: 'cards' }),
  );
  for (const f of shown) yield findingCard(f, plan, lim);
  yield fragment(end('div'), notShown > 0 && el('p', { class: 'note more-findings' }, `${notShown} more findings not shown: see the JSON report.`), end('section'));
}

function findingCard(f: Incident, plan: TimelinePlan, lim: HtmlLimits): Markup {
  const rows: Markup[] = [];
  const row = (k: string, v: string): void => {
    rows.push(el('dt', null, k), el('dd', null, v));
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

  const details = Object.entries(f.details);
  return el('article', { class: `finding sev-${f.severity}`, 'data-id': f.id, 'data-kind': f.kind, 'data-severity': f.severity, tabindex: 0 },
    el('div', { class: 'head' },
      el('span', { class: 'sev' }, f.severity),
      el('span', { class: 'kind' }, f.kind),
      f.count > 1 && el('span', { class: 'count', title: 'occurrences' }, `×${f.count}`),
      el('span', { class: 'when' }, `${rel(f.start, plan)}${f.end > f.start ? `, ${formatDuration(f.end - f.start)}` : ''}`)),
    el('p', { class: 'summary' }, f.summary),
    el('dl', null, rows),
    el('div', { class: 'filter' },
      el('code', { title: 'Wireshark display filter' }, f.displayFilter),
      el('button', { type: 'button', class: 'copy' }, 'Copy filter')),
    el('details', { class: 'evidence', open: f.evidence.length <= 6 },
      el('summary', null, `${f.count > 1 ? 'Evidence of the first, worst and last occurrence' : 'Evidence'} (${f.evidence.length} packet${f.evidence.length === 1 ? '' : 's'})`),
      el('table', { class: 'evidence' },
        el('tr', null, ['frame', 'time', 'role', 'src → dst', 'detail'].map((h) => el('th', null, h))),
        f.evidence.slice(0, lim.maxEvidenceRows).map((e) =>
          el('tr', { 'data-frame': e.frame, 'data-t': e.time - plan.start, title: formatIso(e.time) },
            el('td', null, e.file === undefined ? String(e.frame) : `${e.frame} in ${e.file}`),
            el('td', null, rel(e.time, plan)),
            el('td', null, e.role),
            el('td', null, e.src || e.dst ? `${e.src ?? '?'} → ${e.dst ?? '?'}` : ''),
            el('td', null, e.detail ?? '')))),
      f.evidence.length > lim.maxEvidenceRows && el('p', { class: 'note' }, `${f.evidence.length - lim.maxEvidenceRows} more evidence packets not shown: see the JSON report.`)),
    f.count > 1 && occurrences(f, plan, lim),
    details.length > 0 && el('details', { class: 'details' },
      el('summary', null, 'Details'),
      el('dl', null, details.map(([k, v]) => [el('dt', null, k), el('dd', null, Array.isArray(v) ? v.join(', ') : String(v))]))));
}

/** Every occurrence, one row each: clicking one zooms the timeline to it and flashes its frames. */
function occurrences(f: Incident, plan: TimelinePlan, lim: HtmlLimits): Markup {
  return el('details', { class: 'occurrences' },
    el('summary', null, `Occurrences (${f.count})`),
    el('table', { class: 'occurrences' },
      el('tr', null, ['time', 'client and names', 'delay'].map((h) => el('th', null, h))),
      f.occurrences.slice(0, lim.maxOccurrenceRows).map((o) => {
        const frames = [...new Set(o.evidence.map((e) => e.frame))];
        return el('tr', {
          class: 'occ',
          'data-occ': o.id,
          'data-t0': o.start - plan.start,
          'data-t1': o.end - plan.start,
          'data-frames': frames.join(' '),
          title: `${formatIso(o.start)}; frames ${frames.join(' ')}; ${clip(o.summary, 400)}`,
        },
        el('td', null, rel(o.start, plan)),
        el('td', null,
          el('span', null, `${o.client ?? '?'}${f.servers.count > 1 ? ` → ${o.server ?? '?'}` : ''}`),
          o.names.length > 0 && el('span', { class: 'occ-names' }, ` ${o.names.slice(0, 3).join(', ')}${o.names.length > 3 ? ' …' : ''}`)),
        el('td', null, o.impact.delayMicros !== undefined ? formatDuration(o.impact.delayMicros) : ''));
      })),
    f.count > lim.maxOccurrenceRows && el('p', { class: 'note' }, `${f.count - lim.maxOccurrenceRows} more occurrences not shown: see the JSON report.`));
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

function* timelineSection(plan: TimelinePlan): Generator<Markup> {
  const { width, labelWidth, padRight, axisHeight, overviewHeight } = LAYOUT;
  const pw = width - labelWidth - padRight;
  const span = plan.end - plan.start;
  const margin = viewMargin(plan);
  const x = linearScale(-margin, span + margin, 0, pw);

  // Overview strip: packets per bucket over the whole capture, in 0..1000 units scaled by the script.
  const maxP = Math.max(1, ...plan.overview.packets);
  let d = '';
  plan.overview.packets.forEach((n, i) => {
    if (!n) return;
    const u0 = ((plan.overview.origin + i * plan.overview.bucketMicros - plan.start) / span) * 1000;
    const u1 = Math.min(1000, ((plan.overview.origin + (i + 1) * plan.overview.bucketMicros - plan.start) / span) * 1000);
    const h = Math.max(1, (Math.log1p(n) / Math.log1p(maxP)) * (overviewHeight - 8));
    d += `M${u0.toFixed(2)} ${overviewHeight - 4}V${(overviewHeight - 4 - h).toFixed(1)}H${Math.max(u0 + 0.5, u1).toFixed(2)}V${overviewHeight - 4}Z`;
  });
  const overview = el('svg', { id: 'overview', width, height: overviewHeight },
    el('text', { x: 4, y: 16 }, 'Packets over the capture'),
    el('text', { class: 'lane-more', x: 4, y: 30 }, `${formatCount(plan.overview.packets.reduce((a, b) => a + b, 0))} packets, ${formatDuration(plan.overview.bucketMicros)} per bar`),
    el('rect', { class: 'ov-frame', x: labelWidth, y: 2, width: pw, height: overviewHeight - 4, fill: '#f9fafb' }),
    el('path', { id: 'ov-bars', class: 'ov-bars', d: d || 'M0 0', transform: `translate(${labelWidth + x(0)},0) scale(${(x(span) - x(0)) / 1000},1)` }),
    el('rect', { id: 'ov-vp', class: 'ov-vp', x: labelWidth, y: 2, width: pw, height: overviewHeight - 4 }),
    el('rect', { id: 'ov-sel', class: 'ov-sel', x: labelWidth, y: 2, width: 0, height: overviewHeight - 4 }));

  // Axis: relative seconds, sticky above the lanes. The script redraws the ticks on zoom.
  const ticks = x.ticks(8);
  const axis = el('div', { id: 'axis-wrap' },
    el('svg', { id: 'axis', class: 'axis', width, height: axisHeight, 'data-d0': -margin, 'data-d1': span + margin },
      el('text', { x: 4, y: 14 }, 'Time since'),
      el('text', { x: 4, y: 27, class: 'lane-more' }, formatIso(plan.start)),
      el('line', { class: 'base', x1: labelWidth, x2: labelWidth + pw, y1: 20, y2: 20 }),
      el('g', { id: 'axis-ticks' }, ticks.map((t) => [
        el('line', { x1: labelWidth + x(t), x2: labelWidth + x(t), y1: 20, y2: 26 }),
        el('text', { x: labelWidth + x(t), y: 16, 'text-anchor': 'middle' }, `+${(t / 1e6).toString()} s`),
      ])),
      el('text', { id: 'axis-span', class: 'lane-more', x: labelWidth, y: 32 }, '')));

  yield fragment(
    start('section', { id: 'timeline' }),
    el('h2', null, 'Timeline'),
    el('div', { class: 'controls' },
      ([
        ['zoom-in', '+', 'Zoom in'], ['zoom-out', '−', 'Zoom out'], ['pan-left', '◀', 'Pan left'],
        ['pan-right', '▶', 'Pan right'], ['zoom-reset', 'Whole capture', 'Show the whole capture'],
      ] as const).map(([id, text, title]) => el('button', { type: 'button', id, title }, text)),
      el('span', { class: 'hint' }, 'Wheel on the axis or overview (Ctrl+wheel on lanes) zooms; drag pans; drag on the overview picks a range; click a finding to zoom to it.')),
    el('div', { class: 'legend' },
      ([
        ['a', 'A query'], ['aaaa', 'AAAA query'], ['q-other', 'other query'], ['lost', 'unanswered'], ['syn', 'SYN / SYN-ACK'],
        ['data', 'data'], ['retx', 'retransmission'], ['rst', 'RST'], ['fin', 'FIN'], ['ptb', 'ICMP too big'],
        ['unreach', 'ICMP unreachable'], ['other', 'other'], ['agg', 'aggregated'],
      ] as const).map(([cls, text]) => el('span', null, el('span', { class: `sw ${cls}` }), el('span', null, text)))),
    overview,
    axis,
  );

  // Lanes: labels on the left, marks in a nested <svg> that clips them to the plot.
  const tops: number[] = [];
  let y = 0;
  for (const l of plan.lanes) {
    tops.push(y);
    y += LANE_HEIGHT[l.lane.kind] ?? 26;
  }
  const height = Math.max(y, 20);
  yield fragment(start('div', { id: 'lanes-wrap' }), start('svg', { id: 'lanes', width, height, 'data-highlighted': 0 }));
  for (let i = 0; i < plan.lanes.length; i++) yield laneLabel(plan.lanes[i], tops[i], i);
  yield fragment(
    start('svg', { id: 'plot', x: labelWidth, y: 0, width: pw, height }),
    el('g', { id: 'grid', class: 'grid' }, ticks.map((t) => el('line', { x1: x(t), x2: x(t), y1: 0, y2: height }))),
  );
  for (let i = 0; i < plan.lanes.length; i++) yield laneMarks(plan.lanes[i], tops[i], x, span, plan.start);
  yield fragment(
    end('svg'),
    !plan.lanes.length && el('text', { x: 8, y: 14 }, 'No lanes: the capture held no DNS, TCP or ICMP error traffic to draw.'),
    end('svg'),
    end('div'),
    plan.lanesNotShown > 0 && el('p', { class: 'note lanes-more' }, `${plan.lanesNotShown} more lanes not shown (flows unrelated to any finding).`),
    plan.packetsWithoutLane > 0 && el('p', { class: 'note' }, `${formatCount(plan.packetsWithoutLane)} packets belong to flows beyond the lane limit: counted in the overview, drawn in no lane.`),
    end('section'),
  );
}

/** The whole-capture view reaches this far past the first and last packet (µs). */
const viewMargin = (plan: TimelinePlan): number => Math.max(1, Math.round((plan.end - plan.start) * 0.01));

function laneLabel(l: LanePlan, top: number, i: number): Markup {
  const h = LANE_HEIGHT[l.lane.kind] ?? 26;
  const notes: string[] = [];
  if (l.lane.findingIds.length) notes.push(`${l.lane.findingIds.length} finding${l.lane.findingIds.length === 1 ? '' : 's'}`);
  notes.push(`${l.marks.length} marks`);
  if (l.notShown) notes.push(`${l.notShown} more not shown`);
  return el('g', { class: 'lane', transform: `translate(0,${top})`, 'data-lane': clip(l.lane.id, ATTR_MAX), 'data-findings': l.lane.findingIds.join(' ') },
    el('rect', { class: `lane-bg${i % 2 ? ' odd' : ''}`, x: 0, y: 0, width: LAYOUT.width, height: h }),
    el('text', { class: 'lane-label', x: 6, y: 12 }, clip(l.lane.label, 36), el('title', null, l.lane.label)),
    el('text', { class: 'lane-more', x: 6, y: h - 4 }, notes.join(' · ')));
}

function laneMarks(l: LanePlan, top: number, x: LinearScale, span: number, base: number): Markup {
  const h = LANE_HEIGHT[l.lane.kind] ?? 26;
  let aggregated: Markup | undefined;
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
    aggregated = el('path', { class: 'agg', d, 'data-count': l.aggregated.reduce((a, b) => a + b.count, 0), transform: `translate(${x(0)},0) scale(${(x(span) - x(0)) / 1000},1)` });
  }
  // An unanswered query waits until the same question is asked again: draw that wait as its bar.
  const retryOf = new Map<TimelineMark, TimelineMark>();
  const queries = l.marks.filter((m) => m.type === 'dns-query');
  queries.forEach((m, i) => {
    if (m.t1 !== null) return;
    const next = queries.slice(i + 1).find((n) => n.label === m.label && n.t0 > m.t0);
    if (next && next.t0 - m.t0 <= RETRY_WINDOW) retryOf.set(m, next);
  });
  return el('g', { class: 'marks', transform: `translate(0,${top})`, 'data-label': clip(l.lane.label, ATTR_MAX), 'data-findings': l.lane.findingIds.join(' ') },
    aggregated,
    l.marks.map((m) => {
      const geo = geometry(m, h);
      const t0 = m.t0 - base;
      const t1 = m.t1 === null ? null : m.t1 - base;
      const open = m.t1 === null && m.type === 'dns-query';
      const retry = retryOf.get(m);
      const x0 = t1 !== null ? x(t0) : open ? x(t0) : x(t0) - geo.pw / 2;
      const w = t1 !== null ? Math.max(2, x(t1) - x(t0)) : retry ? Math.max(geo.pw, x(retry.t0 - base) - x(t0)) : geo.pw;
      const cls = ['m', typeClass(m.type), outcomeClass(m.outcome)];
      if (m.type.startsWith('dns-')) cls.push(`q-${qtypeOf(m)}`);
      return el('rect', {
        class: cls.join(' '),
        x: x0.toFixed(1),
        y: geo.y,
        width: w.toFixed(1),
        height: geo.h,
        'data-t0': t0,
        'data-t1': t1 ?? undefined,
        'data-pw': t1 === null ? geo.pw : undefined,
        'data-open': open,
        'data-wait': retry ? retry.t0 - base : undefined,
        'data-wait-frame': retry?.frame,
        'data-frame': m.frame,
        'data-frames': m.frames.some((f) => f !== m.frame) ? m.frames.slice(0, 64).join(' ') : undefined,
        'data-type': clip(m.type, 40),
        'data-outcome': clip(m.outcome, 40),
        'data-mlabel': clip(m.label, ATTR_MAX),
        'data-detail': m.detail ? clip(m.detail, ATTR_MAX) : undefined,
      });
    }));
}
