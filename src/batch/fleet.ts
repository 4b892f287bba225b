// The fleet report: what a whole batch found, as JSON and as one self-contained HTML page. Built
// from the index alone (the stored finding JSON), so it can be written again at any time.
//
// The HTML has no script at all (CSP `default-src 'none'`; the charts are inline SVG drawn here),
// and it is written by the markup builder (src/report/html/markup.ts), so every string from a
// capture or a path is escaped by construction. Incidents are grouped across
// files by their stable id (`kind@party`): one firewall dropping replies in five files of a day is
// one incident with five per-file counts. Each file links to its own report at that incident
// (`NAME.html#finding=ID`, which that report's script opens).
import { dirname, relative, resolve, sep } from 'node:path';
import { formatCount, formatIso, type Micros } from '../core/index.js';
import { SEVERITIES, severityRank, type Severity } from '../detect/index.js';
import { cspMeta, DOCTYPE, el, end, fragment, inlineStyle, relativeLink, start, type Markup } from '../report/index.js';
import { TOOL_VERSION } from '../version.js';
import type { BatchIndex, FileRow } from './batch-index.js';

const HOUR: Micros = 3_600_000_000;
const DAY: Micros = 24 * HOUR;
/** Hour buckets up to this span, day buckets beyond. */
const HOURLY_UP_TO: Micros = 3 * DAY;
const TOP = 10;
/** Incidents listed one by one in the HTML (most severe, then earliest); the JSON has them all. */
const HTML_MAX_INCIDENTS = 2000;
/** Files linked per incident in the HTML; the JSON lists every file. */
const HTML_MAX_FILES_PER_INCIDENT = 20;

/** One incident's share in one file of the batch. */
export interface FleetIncidentFile {
  file: string;
  /** Occurrences of the incident in this file. */
  occurrences: number;
  firstSeen: Micros;
  lastSeen: Micros;
  /** The file's own HTML report, when one was written. */
  report: string | null;
}

/**
 * One incident across the batch. Its id (`kind@party`) is the same in every file, so an incident
 * seen in five files is one entry here with five `files`, not five entries.
 */
export interface FleetIncident {
  id: string;
  kind: string;
  /** The worst severity any file gave it. */
  severity: string;
  /** Who or what is responsible (the incident's `cause.party`), when the file's report has it. */
  party: string | null;
  /** The summary from the file where it was seen first. */
  summary: string;
  client: string | null;
  server: string | null;
  names: string[];
  /** Occurrences over all files. */
  occurrences: number;
  firstSeen: Micros;
  lastSeen: Micros;
  /** Each file it was seen in, earliest first, with its occurrence count there. */
  files: FleetIncidentFile[];
}

export interface FleetReport {
  fleetSchemaVersion: 2;
  tool: { name: 'dualscope'; version: string };
  generatedAt: string;
  index: string;
  files: { total: number; done: number; failed: number; packets: number; captureSets: number };
  span: { start: Micros | null; end: Micros | null; bucket: 'hour' | 'day'; bucketMicros: Micros; origin: Micros | null };
  /** Per kind: distinct incidents, their occurrences, and the occurrences per bucket. */
  kinds: { kind: string; severity: string; incidents: number; occurrences: number; firstSeen: Micros; lastSeen: Micros; perBucket: number[] }[];
  /** Counted in occurrences, over the incidents' bounded tallies (top values) summed across files. */
  top: { clients: { value: string; count: number }[]; servers: { value: string; count: number }[]; names: { value: string; count: number }[] };
  filesWithErrors: { path: string; error: string }[];
  incidents: FleetIncident[];
}

const asString = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const asTime = (v: unknown): Micros | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const asObject = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The ranked values of an incident's tally (`{count, top: [{value, occurrences}]}`), or the one value it names. */
function tallyOf(tally: unknown, single: string | null, weight: number): [string, number][] {
  const top = asArray(asObject(tally)['top']);
  const out: [string, number][] = [];
  for (const t of top) {
    const r = asObject(t);
    if (typeof r['value'] === 'string' && typeof r['occurrences'] === 'number') out.push([r['value'], r['occurrences']]);
  }
  if (out.length === 0 && single) out.push([single, weight]);
  return out;
}

/** The fleet report over the given files (all of the index when undefined). */
export function buildFleetReport(index: BatchIndex, files: readonly FileRow[] | undefined, generatedAt?: string): FleetReport {
  const rows = files ?? index.files();
  const byPath = new Map(rows.map((f) => [f.path, f]));
  const incidents = new Map<string, FleetIncident>();
  /** Every occurrence's start (with its weight), for the per-bucket bars once the span is known. */
  const occurrenceTimes: { kind: string; time: Micros; weight: number }[] = [];
  const tops = { clients: new Map<string, number>(), servers: new Map<string, number>(), names: new Map<string, number>() };
  let stored = 0;
  for (const s of index.findings(rows.map((f) => f.id))) {
    const o = asObject(s.json);
    const kind = asString(o['kind']) ?? 'unknown';
    // A report from before incidents had no stable id: such a finding stays its own entry.
    const id = asString(o['id']) ?? `${kind}@${s.file}#${stored}`;
    stored++;
    const start = asTime(o['start']) ?? 0;
    const end = Math.max(start, asTime(o['end']) ?? start);
    const occurrences = asArray(o['occurrences']);
    const count = typeof o['count'] === 'number' && o['count'] > 0 ? o['count'] : Math.max(1, occurrences.length);
    const severity = asString(o['severity']) ?? 'info';
    let inc = incidents.get(id);
    if (!inc) {
      inc = {
        id,
        kind,
        severity,
        party: asString(asObject(o['cause'])['party']),
        summary: asString(o['summary']) ?? '',
        client: asString(o['client']),
        server: asString(o['server']),
        names: [],
        occurrences: 0,
        firstSeen: start,
        lastSeen: end,
        files: [],
      };
      incidents.set(id, inc);
    } else if (start < inc.firstSeen) {
      // The file seen first speaks for the incident.
      inc.summary = asString(o['summary']) ?? inc.summary;
      inc.client = asString(o['client']);
      inc.server = asString(o['server']);
    }
    if (rank(severity) > rank(inc.severity)) inc.severity = severity;
    inc.occurrences += count;
    inc.firstSeen = Math.min(inc.firstSeen, start);
    inc.lastSeen = Math.max(inc.lastSeen, end);
    for (const n of asArray(o['names'])) if (typeof n === 'string' && !inc.names.includes(n) && inc.names.length < TOP) inc.names.push(n);
    const shared = inc.files.find((f) => f.file === s.file);
    if (shared) {
      // Two stored rows of one incident in one file (a report written before grouping): one file entry.
      shared.occurrences += count;
      shared.firstSeen = Math.min(shared.firstSeen, start);
      shared.lastSeen = Math.max(shared.lastSeen, end);
    } else inc.files.push({ file: s.file, occurrences: count, firstSeen: start, lastSeen: end, report: byPath.get(s.file)?.reportHtml ?? null });

    const starts = occurrences.map((x) => asTime(asObject(x)['start'])).filter((t): t is Micros => t !== null);
    if (starts.length === count) for (const t of starts) occurrenceTimes.push({ kind, time: t, weight: 1 });
    else occurrenceTimes.push({ kind, time: start, weight: count });
    for (const [v, n] of tallyOf(o['clients'], asString(o['client']), count)) tops.clients.set(v, (tops.clients.get(v) ?? 0) + n);
    for (const [v, n] of tallyOf(o['servers'], asString(o['server']), count)) tops.servers.set(v, (tops.servers.get(v) ?? 0) + n);
    const names = tallyOf(o['nameTally'], null, count);
    if (names.length === 0) for (const n of asArray(o['names'])) if (typeof n === 'string') names.push([n, count]);
    for (const [v, n] of names) tops.names.set(v, (tops.names.get(v) ?? 0) + n);
  }
  const list = [...incidents.values()];
  for (const inc of list) inc.files.sort((a, b) => a.firstSeen - b.firstSeen || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  list.sort((a, b) => a.firstSeen - b.firstSeen || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const times = [...rows.flatMap((f) => [f.firstTime, f.lastTime]), ...list.flatMap((f) => [f.firstSeen, f.lastSeen])].filter((t): t is number => t !== null && t > 0);
  const start = times.length ? times.reduce((a, b) => Math.min(a, b)) : null;
  const end = times.length ? times.reduce((a, b) => Math.max(a, b)) : null;
  const bucketMicros = start !== null && end !== null && end - start > HOURLY_UP_TO ? DAY : HOUR;
  const origin = start === null ? null : Math.floor(start / bucketMicros) * bucketMicros;
  const buckets = origin === null || end === null ? 0 : Math.floor((end - origin) / bucketMicros) + 1;

  const kinds = new Map<string, FleetReport['kinds'][number]>();
  for (const f of list) {
    let k = kinds.get(f.kind);
    if (!k) kinds.set(f.kind, (k = { kind: f.kind, severity: f.severity, incidents: 0, occurrences: 0, firstSeen: f.firstSeen, lastSeen: f.lastSeen, perBucket: new Array<number>(buckets).fill(0) }));
    k.incidents++;
    k.occurrences += f.occurrences;
    k.firstSeen = Math.min(k.firstSeen, f.firstSeen);
    k.lastSeen = Math.max(k.lastSeen, f.lastSeen);
    if (rank(f.severity) > rank(k.severity)) k.severity = f.severity;
  }
  if (origin !== null) {
    for (const t of occurrenceTimes) {
      const i = Math.floor((t.time - origin) / bucketMicros);
      if (i >= 0 && i < buckets) kinds.get(t.kind)!.perBucket[i]! += t.weight;
    }
  }
  const sets = new Map<string, number>();
  for (const f of rows) if (f.setId !== null) sets.set(f.setId, (sets.get(f.setId) ?? 0) + 1);
  return {
    fleetSchemaVersion: 2,
    tool: { name: 'dualscope', version: TOOL_VERSION },
    generatedAt: generatedAt ?? new Date().toISOString(),
    index: index.path,
    files: {
      total: rows.length,
      done: rows.filter((f) => f.status === 'done').length,
      failed: rows.filter((f) => f.status === 'failed').length,
      packets: rows.reduce((n, f) => n + (f.packets ?? 0), 0),
      captureSets: [...sets.values()].filter((n) => n > 1).length,
    },
    span: { start, end, bucket: bucketMicros === DAY ? 'day' : 'hour', bucketMicros, origin },
    kinds: [...kinds.values()].sort((a, b) => rank(b.severity) - rank(a.severity) || b.occurrences - a.occurrences || (a.kind < b.kind ? -1 : 1)),
    top: { clients: top(tops.clients), servers: top(tops.servers), names: top(tops.names) },
    filesWithErrors: rows.filter((f) => f.status === 'failed').map((f) => ({ path: f.path, error: f.error ?? 'failed' })),
    incidents: list,
  };
}

const rank = (s: string): number => ((SEVERITIES as readonly string[]).includes(s) ? severityRank(s as Severity) : -1);

function top(counts: ReadonlyMap<string, number>): { value: string; count: number }[] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, TOP)
    .map(([value, count]) => ({ value, count }));
}

export const renderFleetJson = (r: FleetReport): string => `${JSON.stringify(r, null, 2)}\n`;

/** A link from the page at `htmlPath` to a file's report at a finding: relative, each segment URL-encoded. */
export function reportLink(htmlPath: string, report: string, findingId: string | null): string {
  const rel = relative(dirname(resolve(htmlPath)), report).split(sep).map(encodeURIComponent).join('/');
  return findingId === null ? rel : `${rel}#finding=${encodeURIComponent(findingId)}`;
}

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#111827;background:#fff}
header{padding:16px 24px;background:#f3f4f6;border-bottom:1px solid #e5e7eb}
h1{font-size:20px;margin:0 0 8px} h2{font-size:16px;margin:24px 0 8px}
main{padding:0 24px 24px}
dl.facts{display:flex;flex-wrap:wrap;gap:4px 24px;margin:0} dl.facts div{display:flex;gap:6px} dt{color:#6b7280} dd{margin:0}
table{border-collapse:collapse;width:100%} th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #e5e7eb;vertical-align:top}
th{background:#f9fafb;font-weight:600} td.num{text-align:right;font-variant-numeric:tabular-nums}
.sev{font-weight:600;text-transform:uppercase;font-size:11px;padding:1px 6px;border-radius:3px}
.sev.error{background:#fee2e2;color:#991b1b} .sev.warning{background:#fef3c7;color:#92400e} .sev.info{background:#e0f2fe;color:#075985}
svg.spark rect{fill:#2563eb} svg.spark rect.zero{fill:#e5e7eb}
.tops{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:16px}
.note{color:#6b7280} code,.mono{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}
a.finding,a.file{color:#1d4ed8} ul.files{list-style:none;margin:0;padding:0}
`;

const SPARK_W = 480;
const SPARK_H = 36;

/** Bars of one kind's count per bucket, drawn over the batch's whole span. */
function sparkline(perBucket: readonly number[], origin: Micros, bucketMicros: Micros): Markup {
  const n = Math.max(1, perBucket.length);
  const max = Math.max(1, ...perBucket);
  const w = SPARK_W / n;
  const bars = perBucket.map((c, i) => {
    const h = c === 0 ? 1 : Math.max(2, (c / max) * (SPARK_H - 2));
    const attrs = { class: c === 0 && 'zero', x: (i * w).toFixed(2), y: (SPARK_H - h).toFixed(1), width: Math.max(0.5, w - (w > 3 ? 1 : 0)).toFixed(2), height: h.toFixed(1) };
    return el('rect', attrs, el('title', null, `${formatIso(origin + i * bucketMicros)}: ${c}`));
  });
  // viewbox: the HTML parser lowercases attribute names and gives SVG's back their case (viewBox).
  return el('svg', { class: 'spark', width: SPARK_W, height: SPARK_H, viewbox: `0 0 ${SPARK_W} ${SPARK_H}`, role: 'img', 'aria-label': `per ${bucketMicros === DAY ? 'day' : 'hour'}` }, bars);
}

/** The fleet report's policy: no script at all, its one inline style, nothing fetched. */
const FLEET_CSP = ["default-src 'none'", "style-src 'unsafe-inline'", "script-src 'none'", "img-src 'none'", "base-uri 'none'", "form-action 'none'"].join('; ');

/**
 * The fleet report as one HTML page, written to `htmlPath` (links to the file reports are relative
 * to it). Built with the markup builder, so every string from a capture or a path is escaped.
 */
export function renderFleetHtml(r: FleetReport, htmlPath: string): string {
  const when = (t: Micros | null): string => (t === null ? '—' : formatIso(t));
  const out: Markup[] = [];
  out.push(DOCTYPE, fragment(start('html', { lang: 'en' }), start('head'), el('meta', { charset: 'utf-8' })));
  out.push(cspMeta(FLEET_CSP), el('meta', { name: 'referrer', content: 'no-referrer' }));
  out.push(el('meta', { name: 'viewport', content: 'width=device-width, initial-scale=1' }), el('title', null, 'dualscope fleet report'), inlineStyle(CSS), fragment(end('head'), start('body')));
  const facts: [string, string][] = [
    ['Files', `${r.files.total} (${r.files.done} analysed, ${r.files.failed} failed${r.files.captureSets ? `, ${r.files.captureSets} capture sets` : ''})`],
    ['Packets', formatCount(r.files.packets)],
    ['From', when(r.span.start)],
    ['To', when(r.span.end)],
    ['Incidents', `${r.incidents.length} (${r.incidents.reduce((n, i) => n + i.occurrences, 0)} occurrences)`],
    ['Index', r.index],
    ['Generated', `${r.tool.name} ${r.tool.version}, ${r.generatedAt}`],
  ];
  out.push(el('header', null, el('h1', null, 'dualscope fleet report'), el('dl', { class: 'facts' }, facts.map(([k, v]) => el('div', null, el('dt', null, k), el('dd', null, v))))));
  out.push(start('main'));

  const headerRow = (...names: string[]): Markup => el('tr', null, names.map((h) => el('th', null, h)));
  const severity = (s: string): Markup => el('span', { class: `sev ${sevClass(s)}` }, s);
  out.push(el('h2', { id: 'kinds' }, `Incidents per kind, per ${r.span.bucket}`));
  if (r.kinds.length === 0) out.push(el('p', { class: 'note' }, 'No findings in these captures.'));
  else {
    out.push(start('table'), headerRow('kind', 'severity', 'incidents', 'occurrences', 'first seen', 'last seen', 'occurrences over time'));
    for (const k of r.kinds) {
      out.push(
        el(
          'tr',
          { 'data-kind': k.kind },
          el('td', { class: 'mono' }, k.kind),
          el('td', null, severity(k.severity)),
          el('td', { class: 'num' }, k.incidents),
          el('td', { class: 'num' }, k.occurrences),
          el('td', null, when(k.firstSeen)),
          el('td', null, when(k.lastSeen)),
          el('td', null, sparkline(k.perBucket, r.span.origin ?? 0, r.span.bucketMicros)),
        ),
      );
    }
    out.push(end('table'));
  }

  out.push(el('h2', { id: 'top' }, 'Hit most'));
  const tops = ([['Clients', r.top.clients], ['Servers', r.top.servers], ['Names', r.top.names]] as const).map(([title, list]) =>
    el(
      'div',
      null,
      el(
        'table',
        null,
        headerRow(title, 'occurrences'),
        list.map((t) => el('tr', null, el('td', { class: 'mono' }, t.value), el('td', { class: 'num' }, t.count))),
        list.length === 0 && el('tr', null, el('td', { class: 'note', colspan: 2 }, '—')),
      ),
    ),
  );
  out.push(el('div', { class: 'tops' }, tops));

  out.push(el('h2', { id: 'errors' }, `Files with errors (${r.filesWithErrors.length})`));
  if (r.filesWithErrors.length === 0) out.push(el('p', { class: 'note' }, 'None.'));
  else out.push(el('table', null, headerRow('file', 'reason'), r.filesWithErrors.map((f) => el('tr', { class: 'failed' }, el('td', { class: 'mono' }, f.path), el('td', null, f.error)))));

  const listed = [...r.incidents].sort((a, b) => rank(b.severity) - rank(a.severity) || a.firstSeen - b.firstSeen).slice(0, HTML_MAX_INCIDENTS);
  out.push(el('h2', { id: 'incidents' }, `Incidents (${r.incidents.length})`));
  if (listed.length < r.incidents.length) out.push(el('p', { class: 'note' }, `The ${listed.length} most severe are listed; the JSON fleet report has all ${r.incidents.length}.`));
  out.push(start('table'), headerRow('first seen', 'severity', 'kind', 'between', 'summary', 'occurrences', 'files (occurrences each)'));
  for (const f of listed) {
    const between = f.client || f.server ? `${f.client ?? '?'} → ${f.server ?? '?'}` : '';
    const first = f.files[0];
    const summary = first?.report ? relativeLink(reportLink(htmlPath, first.report, f.id), { class: 'finding' }, f.summary) : f.summary;
    const shown = f.files.slice(0, HTML_MAX_FILES_PER_INCIDENT).map((x) =>
      el('li', { class: 'incident-file' }, x.report === null ? el('span', { class: 'mono' }, x.file) : relativeLink(reportLink(htmlPath, x.report, f.id), { class: 'file mono' }, x.file), ` ×${x.occurrences}`),
    );
    const more = f.files.length > shown.length && el('li', { class: 'note' }, `and ${f.files.length - shown.length} more files (in the JSON)`);
    out.push(
      el(
        'tr',
        { class: 'incident-row', 'data-kind': f.kind, 'data-id': f.id },
        el('td', null, formatIso(f.firstSeen)),
        el('td', null, severity(f.severity)),
        el('td', { class: 'mono' }, f.kind),
        el('td', { class: 'mono' }, between),
        el('td', null, summary, f.party && el('div', { class: 'note' }, f.party)),
        el('td', { class: 'num' }, f.occurrences),
        el('td', null, el('ul', { class: 'files' }, shown, more)),
      ),
    );
  }
  out.push(end('table'), end('main'), fragment(end('body'), end('html')));
  return `${out.map((m) => m.html).join('\n')}\n`;
}

const sevClass = (s: string): string => ((SEVERITIES as readonly string[]).includes(s) ? s : 'info');
