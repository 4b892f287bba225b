// The HTML ladder of a correlation: one self-contained file (inline CSS, one inline script allowed
// by its hash, no requests). One vertical line per capture point in path order; each evidence
// packet is an arrow across the points that saw it, ending in a ✕ on the stretch where it
// vanished. The page is built in the browser from one JSON block, with textContent and
// setAttribute only, so no capture string ever becomes markup; the frame around it (title, the
// points' and stretches' tables) is written by the markup builder, which escapes every string.
import type { CorrelatedReport } from './schema.js';
import { CORRELATION_CLIENT_JS } from '../html/assets.js';
import { CORRELATION_META_CSP } from '../html/csp.js';
import { clip } from '../html/escape.js';
import { el, end, fragment, inlineScript, jsonScript } from '../html/markup.js';
import type { LadderRow } from '../html/client/ladder-row.js';
import { reportPageHead } from '../html/page-head.js';

/** Rows drawn at most (evidence packets and other losses); the rest are counted. */
export const MAX_LADDER_ROWS = 2000;

export type { LadderRow };

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


const when = (t: number | null): string => (t === null ? '—' : new Date(Math.floor(t / 1000)).toISOString());

/** The page frame; everything inside is built by its script (html/client/correlation-client.ts) from the JSON block. */
export function renderCorrelationHtml(report: CorrelatedReport): string {
  const columns = ladderColumns(report);
  const { rows, omitted } = ladderRows(report, columns);
  const pointRows = report.points.map((p) => {
    const c = p.clock;
    const clock = c.basis === 'reference' ? 'reference' : c.basis === 'none' ? 'not aligned' : `${c.offsetMicros} µs ± ${c.uncertaintyMicros ?? '?'} µs${c.driftPpm ? `, drift ${c.driftPpm} ppm` : ''}`;
    return el('tr', null, el('td', null, clip(p.label, 80)), el('td', null, clip(p.capture.file, 120)), el('td', null, clock), el('td', null, `${p.matchedPackets} / ${p.ipPackets}`), el('td', null, `${when(p.firstTime)} … ${when(p.lastTime)}`));
  });
  const stretchRows = report.stretches.map((s) =>
    el(
      'tr',
      null,
      el('td', null, `${clip(s.from, 60)} → ${clip(s.to, 60)}`),
      el('td', null, `${s.packets} arrived, ${s.lost} lost`),
      el('td', null, s.delayMicros ? `${s.delayMicros.min} … ${s.delayMicros.max} µs` : '—'),
      el('td', null, s.rewrites.map((w) => w.example).join('; ')),
    ),
  );
  const embedded = { columns, rows, omittedRows: omitted, report: { ...report, points: report.points.map(({ anomalies: _a, ...p }) => p) } };
  return [
    ...reportPageHead(CORRELATION_META_CSP, `dualscope correlation: ${clip(report.points.map((p) => p.label).join(' + '), 120)}`, CSS),
    el(
      'header',
      null,
      el('h1', null, 'dualscope correlation'),
      el('p', null, `${report.overlap.note}. Times on ${clip(report.reference, 80)}'s clock.`),
      el('table', { id: 'points' }, el('tr', null, ['point', 'file', 'clock offset', 'matched / IP packets', 'span'].map((h) => el('th', null, h))), pointRows),
      stretchRows.length > 0 && el('table', { id: 'stretches' }, el('tr', null, ['stretch', 'packets', 'delay', 'rewrites'].map((h) => el('th', null, h))), stretchRows),
      omitted > 0 && el('p', { class: 'muted' }, `${omitted} more rows not drawn`),
    ).html,
    el('main', null, el('section', { id: 'findings', 'aria-label': 'findings' }), el('section', { id: 'ladder', 'aria-label': 'ladder' })).html,
    el('div', { id: 'tip', role: 'tooltip', hidden: true }).html,
    fragment([...jsonScript('dualscope-correlation', embedded)]).html,
    inlineScript(CORRELATION_CLIENT_JS).html,
    fragment(end('body'), end('html')).html,
    '',
  ].join('\n');
}
