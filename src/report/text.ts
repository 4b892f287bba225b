// The terminal summary: capture facts, then incidents by severity and impact, each with its
// counts, top clients and names, representative evidence (first, worst, last occurrence), impact,
// confidence, remedy and Wireshark filter: at most a screenful each, however many occurrences;
// `all` lists every occurrence, one entry each. Fits 80 columns; colour is optional decoration,
// never the only carrier of meaning. Capture strings are made safe for a terminal.
import { formatDuration, formatIso } from '../core/index.js';
import type { Severity, Tally } from '../detect/index.js';
import type { Finding, Incident, Report } from './schema.js';

export interface TextOptions {
  color: boolean;
  width: number;
  /** List every occurrence of every incident (`--all` / `-v`). */
  all: boolean;
}

/** Evidence lines shown for a lone occurrence, and for each representative of a larger incident. */
const EVIDENCE_LINES = 4;
const REPRESENTATIVE_EVIDENCE_LINES = 2;
/** Columns an `--all` occurrence line keeps for the summary before its frame list gets shortened. */
const SUMMARY_MIN_COLUMNS = 32;
/** Entries of a tally (clients, names) shown: the report holds the top ten. */
const TALLY_SHOWN = 5;

const SGR: Record<Severity | 'dim' | 'bold', string> = { error: '31;1', warning: '33;1', info: '36', dim: '2', bold: '1' };

/** Control characters (ESC above all) would let a DNS name drive the terminal: show them as \xNN. */
export function terminalSafe(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    out += c < 0x20 || (c >= 0x7f && c < 0xa0) || c === 0x2028 || c === 0x2029 ? `\\x${c.toString(16).padStart(2, '0')}` : ch;
  }
  return out;
}

/** Greedy word wrap with a hanging indent; words longer than the line are cut. */
export function wrap(text: string, width: number, indent: string, firstIndent = indent): string[] {
  const lines: string[] = [];
  let line = firstIndent;
  let lineHasWord = false;
  for (const word0 of text.split(/\s+/).filter(Boolean)) {
    let word = word0;
    while (word.length > width - indent.length) {
      if (lineHasWord) { lines.push(line); line = indent; lineHasWord = false; }
      const room = width - line.length;
      lines.push(line + word.slice(0, room));
      word = word.slice(room);
      line = indent;
    }
    if (lineHasWord && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent;
      lineHasWord = false;
    }
    line += (lineHasWord ? ' ' : '') + word;
    lineHasWord = true;
  }
  if (lineHasWord || lines.length === 0) lines.push(line);
  return lines;
}

export function renderText(report: Report, options: Partial<TextOptions> = {}): string {
  const { color = false, width = 80, all = false } = options;
  const paint = (style: keyof typeof SGR, s: string): string => (color ? `\x1b[${SGR[style]}m${s}\x1b[0m` : s);
  const out: string[] = [];
  const c = report.capture;
  // A long path is shortened in the middle (its folder), never wrapped: the file name stays whole.
  const head = `dualscope ${report.tool.version}: `;
  out.push(paint('bold', `${head}${middleEllipsis(terminalSafe(c.file), width - head.length)}`));
  const fmt = c.format === null ? 'unknown format' : `${c.format}${c.byteOrder ? ` ${c.byteOrder}-endian` : ''}${c.resolution ? `, ${c.resolution === 'us' ? 'µs' : c.resolution} timestamps` : ''}${c.gzip ? ', gzip' : ''}`;
  out.push(...wrap(`${fmt}; link ${c.linkTypes.map((l) => `${l.name}(${l.value})`).join(', ') || 'none'}; ${c.interfaces} interface${c.interfaces === 1 ? '' : 's'}`, width, '  '));
  const span = c.firstTime !== null ? `${formatIso(c.firstTime)}, ${formatDuration(c.durationMicros)}` : 'no packets';
  out.push(...wrap(`${c.packets} packets, ${c.bytes} bytes; ${span}`, width, '  '));
  const na = c.notAnalysed;
  if (na !== undefined && (na.share >= 0.01 || !c.truncated)) {
    out.push(...wrap(`NOT ANALYSED: ${na.bytes} bytes, ${(na.share * 100).toFixed(1)} % of the file, after frame ${na.afterFrame} (${na.reason}); findings cover only what came before`, width, '    ', `  ${paint('error', '!')} `));
  }
  if (c.truncated) out.push(...wrap(`truncated: the file ends inside a record; ${c.skippedBytes} bytes after the last complete one were skipped, everything before was analysed`, width, '    ', `  ${paint('warning', '!')} `));
  if (c.oneSided !== undefined) {
    const o = c.oneSided;
    const named = o.examples.map((h) => `${terminalSafe(h.host)} (frame ${h.frame})`).join(', ');
    const more = o.hosts > o.examples.length ? ` and ${o.hosts - o.examples.length} more` : '';
    out.push(...wrap(`one-sided: the capture lacks the inbound packets of ${o.hosts === 1 ? 'one host' : `${o.hosts} hosts`}, ${named}${more}; silence towards ${o.hosts === 1 ? 'it' : 'them'} proves nothing, so verdicts resting on it are withheld`, width, '    ', `  ${paint('warning', '!')} `));
  }
  if (c.droppedByCapture) out.push(`  ${paint('warning', '!')} the capture tool recorded ${c.droppedByCapture} dropped packets`);
  const anomalies = Object.entries(report.anomalies).filter(([, n]) => n > 0);
  out.push(...wrap(`anomalies: ${anomalies.length ? anomalies.map(([k, n]) => `${k} ${n}`).join(', ') : 'none'}`, width, '    ', '  '));
  const st = report.statistics;
  const pick = (o: Record<string, number>, keys: [string, string][]): string =>
    keys.filter(([k]) => (o[k] ?? 0) > 0).map(([k, label]) => `${label} ${o[k]}`).join(', ');
  const dnsLine = pick(st.dns, [['queries', 'queries'], ['responses', 'responses'], ['lookups.answered', 'lookups answered'], ['lookups.partial', 'partly answered'], ['lookups.unanswered', 'unanswered'], ['retransmissions', 'retransmitted queries']]);
  const tcpLine = pick(st.tcp, [['connections', 'connections'], ['byHandshake.established', 'established'], ['byHandshake.unanswered', 'SYN unanswered'], ['byHandshake.refused', 'refused'], ['byHandshake.unreachable', 'unreachable'], ['retransmissions', 'retransmissions'], ['forwardedCopies', 'router copies left out'], ['mirroredCopies', 'bridge/mirror copies left out']]);
  const icmpLine = Object.entries(st.icmp).filter(([k, n]) => k.startsWith('byType.') && n > 0).map(([k, n]) => `${k.slice(7)} ${n}`).join(', ');
  if (dnsLine) out.push(...wrap(`dns: ${dnsLine}`, width, '    ', '  '));
  if (tcpLine) out.push(...wrap(`tcp: ${tcpLine}`, width, '    ', '  '));
  if (icmpLine) out.push(...wrap(`icmp errors: ${icmpLine}`, width, '    ', '  '));
  out.push('');
  const n = report.findings.length;
  const { error, warning, info } = report.counts;
  const occ = report.counts.occurrences;
  out.push(paint('bold', n === 0 ? 'No findings.' : `${n} incident${n === 1 ? '' : 's'} (${occ} occurrence${occ === 1 ? '' : 's'}): ${error} error, ${warning} warning, ${info} info`));
  for (const f of report.findings) {
    out.push('');
    out.push(...renderIncident(f, width, paint, all));
  }
  return `${out.join('\n')}\n`;
}

type Paint = (s: keyof typeof SGR, t: string) => string;

const tallyText = (t: Tally, safe: (s: string) => string): string => {
  const shown = t.top.slice(0, TALLY_SHOWN);
  return `${shown.map((r) => `${safe(r.value)}${r.occurrences > 1 ? ` ×${r.occurrences}` : ''}`).join(', ')}${t.count > shown.length ? ` (+${t.count - shown.length} more)` : ''}`;
};

function renderIncident(f: Incident, width: number, paint: Paint, all: boolean): string[] {
  const out: string[] = [];
  const sev = f.severity.toUpperCase().padEnd(7);
  const head = `${sev} ${f.kind}${f.count > 1 ? ` ×${f.count}` : ''}`;
  const id = `[${terminalSafe(f.id)}]`;
  // The id on the heading line when it fits, else on its own line (ids hold addresses and zones).
  if (head.length + 2 + id.length <= width) out.push(`${paint(f.severity, sev)}${head.slice(sev.length)}  ${paint('dim', id)}`);
  else out.push(`${paint(f.severity, sev)}${head.slice(sev.length)}`, ...wrap(id, width, '  ').map((l) => paint('dim', l)));
  out.push(...wrap(terminalSafe(f.summary), width, '  '));
  if (f.count > 1) {
    out.push(...wrap(`cause: ${terminalSafe(f.cause.party)}`, width, '    ', '  '));
    out.push(...wrap(`${f.count} occurrences, ${formatIso(f.start)} to ${formatIso(f.end)}`, width, '    ', '  '));
    if (f.clients.count > 0) out.push(...wrap(`clients (${f.clients.count}): ${tallyText(f.clients, terminalSafe)}`, width, '    ', '  '));
    if (f.servers.count > 1) out.push(...wrap(`servers (${f.servers.count}): ${tallyText(f.servers, terminalSafe)}`, width, '    ', '  '));
    if (f.nameTally.count > 0) out.push(...wrap(`names (${f.nameTally.count}): ${tallyText(f.nameTally, terminalSafe)}`, width, '    ', '  '));
    if (f.delay.measured > 0) {
      out.push(...wrap(`delay: ${formatDuration(f.delay.totalMicros)} in all, typically ${formatDuration(f.delay.medianMicros ?? 0)}, at worst ${formatDuration(f.delay.maxMicros ?? 0)} (${f.delay.measured} measured)`, width, '    ', '  '));
    }
    if (f.pathMtu !== undefined) {
      const m = f.pathMtu;
      const text = m.empty
        ? `path MTU: no one value fits every occurrence: ≥${m.min} (${m.minFrom}) but ≤${m.max} (${m.maxFrom}); more than one path behind this sender, or its MTU changed`
        : `path MTU: ${m.min ?? '?'}–${m.max ?? '?'} (every occurrence's bracket intersected, ${m.measured} measured)`;
      out.push(...wrap(terminalSafe(text), width, '    ', '  '));
    }
    const byId = new Map(f.occurrences.map((o) => [o.id, o]));
    const reps: [string, string][] = [['first', f.representatives.first], ['worst', f.representatives.worst], ['last', f.representatives.last]];
    const shown = new Set<string>();
    for (const [, id] of reps) {
      const o = byId.get(id);
      if (o === undefined || shown.has(id)) continue;
      shown.add(id);
      const labels = reps.filter(([, i]) => i === id).map(([l]) => l).join('/'); // "first/worst" when one occurrence is both
      out.push(...wrap(`${labels}: ${terminalSafe(o.summary)}`, width, '      ', '  '));
      out.push(...evidenceLines(o, width, '    ', REPRESENTATIVE_EVIDENCE_LINES));
    }
  } else {
    const who = [f.client && `client ${f.client}`, f.server && `server ${f.server}`, f.names.length > 0 && `name ${f.names.slice(0, 3).map(terminalSafe).join(', ')}${f.names.length > 3 ? ` (+${f.names.length - 3})` : ''}`].filter(Boolean).join('; ');
    if (who) out.push(...wrap(who, width, '    ', '  '));
    out.push(...evidenceLines(f.occurrences[0] ?? f, width));
  }
  const delay = f.impact.delayMicros !== undefined ? ` (${f.count > 1 ? 'worst ' : ''}delay ${formatDuration(f.impact.delayMicros)})` : '';
  out.push(...wrap(`impact: ${terminalSafe(f.impact.description)}${delay}`, width, '    ', '  '));
  out.push(...wrap(`confidence: ${f.confidence.level}, ${terminalSafe(f.confidence.reason)}`, width, '    ', '  '));
  out.push(...wrap(`remedy: ${terminalSafe(f.remedy)}`, width, '    ', '  '));
  out.push(...wrap(`wireshark: ${terminalSafe(f.displayFilter)}`, width, '    ', '  '));
  if (all && f.count > 1) {
    out.push(`  occurrences (${f.count}):`);
    // A party the whole incident shares is said once above; each line names only what varies.
    const omit = { client: f.clients.count === 1, server: f.servers.count === 1 };
    for (const o of f.occurrences) out.push(occurrenceLine(o, width, omit));
  } else {
    const more = f.count - new Set([f.representatives.first, f.representatives.worst, f.representatives.last]).size;
    if (more > 0) out.push(paint('dim', `  (${more} more occurrence${more === 1 ? '' : 's'}: --all lists them, the JSON report holds them all)`));
  }
  return out;
}

/**
 * One occurrence of `--all` on one line of at most `width` columns, so a thousand occurrences are
 * a thousand lines that sort and grep: time, who, delay and frames first (the frames are what
 * opens it in Wireshark; a long list is cut to its first frames and a count), then as much of the
 * summary as fits, cut with an ellipsis. The JSON report has every occurrence in full.
 */
export function occurrenceLine(o: Finding, width: number, omit: { client?: boolean; server?: boolean } = {}): string {
  const who = [!omit.client && o.client, !omit.server && o.server].filter(Boolean).join(' → ');
  const d = o.impact.delayMicros !== undefined ? `${who ? ', ' : ''}${formatDuration(o.impact.delayMicros)}` : '';
  const head = `    ${formatIso(o.start).slice(11, 23)}${who || d ? ' ' : ''}${terminalSafe(who)}${d}: `;
  const summary = terminalSafe(o.summary);
  const frames = o.evidence.map((e) => e.frame);
  const framesText = (k: number): string => `frames ${frames.slice(0, k).join(' ')}${k < frames.length ? ` (+${frames.length - k})` : ''}`;
  // Frames give way to the summary down to the first one, so a line says what happened too.
  const room = width - Math.min(columns(summary) + 2, SUMMARY_MIN_COLUMNS);
  let k = frames.length;
  while (k > 1 && columns(head + framesText(k)) > room) k--;
  return clipColumns(`${head}${framesText(k)}; ${summary}`, width);
}

/** Columns a terminal-safe string takes: one per code point (control characters are already escaped). */
const columns = (s: string): number => [...s].length;

/** `s` cut to `width` columns, the cut marked with an ellipsis. */
function clipColumns(s: string, width: number): string {
  const chars = [...s];
  return chars.length <= width ? s : `${chars.slice(0, width - 1).join('')}…`;
}

function evidenceLines(f: Finding, width: number, at = '  ', lines = EVIDENCE_LINES): string[] {
  const out: string[] = [];
  const frames = f.evidence.map((e) => e.frame);
  const shown = frames.slice(0, 12).join(' ');
  out.push(...wrap(`evidence: frames ${shown}${frames.length > 12 ? ` (+${frames.length - 12} more)` : ''}; ${formatIso(f.start)}`, width, `${at}  `, at));
  for (const e of f.evidence.slice(0, lines)) {
    out.push(...wrap(`#${e.frame} ${terminalSafe(e.role)}${e.detail ? `: ${terminalSafe(e.detail)}` : ''}`, width, `${at}    `, `${at}  `));
  }
  return out;
}

/** `text` cut to `max` characters by dropping the middle, keeping the end (a path's file name). */
function middleEllipsis(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max || max < 12) return text;
  const tail = Math.ceil((max - 1) * 0.7);
  return `${chars.slice(0, max - 1 - tail).join('')}…${chars.slice(chars.length - tail).join('')}`;
}
