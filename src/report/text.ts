// The terminal summary: capture facts, then findings by severity, each with its summary, key
// evidence, impact, confidence, remedy and Wireshark filter. Fits 80 columns; colour is optional
// decoration, never the only carrier of meaning. Capture strings are made safe for a terminal.
import { formatDuration, formatIso } from '../core/index.js';
import type { Severity } from '../detect/index.js';
import type { Finding } from './schema.js';
import type { Report } from './schema.js';

export interface TextOptions {
  color: boolean;
  width: number;
}

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
  const { color = false, width = 80 } = options;
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
  out.push(paint('bold', n === 0 ? 'No findings.' : `${n} finding${n === 1 ? '' : 's'}: ${error} error, ${warning} warning, ${info} info`));
  for (const f of report.findings) {
    out.push('');
    out.push(...renderFinding(f, width, paint));
  }
  return `${out.join('\n')}\n`;
}

function renderFinding(f: Finding, width: number, paint: (s: keyof typeof SGR, t: string) => string): string[] {
  const out: string[] = [];
  const sev = f.severity.toUpperCase().padEnd(7);
  out.push(`${paint(f.severity, sev)} ${f.kind}  ${paint('dim', `[${f.id}]`)}`);
  out.push(...wrap(terminalSafe(f.summary), width, '  '));
  const who = [f.client && `client ${f.client}`, f.server && `server ${f.server}`, f.names.length > 0 && `name ${f.names.slice(0, 3).map(terminalSafe).join(', ')}${f.names.length > 3 ? ` (+${f.names.length - 3})` : ''}`].filter(Boolean).join('; ');
  if (who) out.push(...wrap(who, width, '    ', '  '));
  const frames = f.evidence.map((e) => e.frame);
  const shown = frames.slice(0, 12).join(' ');
  out.push(...wrap(`evidence: frames ${shown}${frames.length > 12 ? ` (+${frames.length - 12} more)` : ''}; ${formatIso(f.start)}`, width, '    ', '  '));
  for (const e of f.evidence.slice(0, 4)) {
    out.push(...wrap(`#${e.frame} ${terminalSafe(e.role)}${e.detail ? `: ${terminalSafe(e.detail)}` : ''}`, width, '      ', '    '));
  }
  const delay = f.impact.delayMicros !== undefined ? ` (delay ${formatDuration(f.impact.delayMicros)})` : '';
  out.push(...wrap(`impact: ${terminalSafe(f.impact.description)}${delay}`, width, '    ', '  '));
  out.push(...wrap(`confidence: ${f.confidence.level}, ${terminalSafe(f.confidence.reason)}`, width, '    ', '  '));
  out.push(...wrap(`remedy: ${terminalSafe(f.remedy)}`, width, '    ', '  '));
  out.push(...wrap(`wireshark: ${terminalSafe(f.displayFilter)}`, width, '    ', '  '));
  return out;
}

/** `text` cut to `max` characters by dropping the middle, keeping the end (a path's file name). */
function middleEllipsis(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max || max < 12) return text;
  const tail = Math.ceil((max - 1) * 0.7);
  return `${chars.slice(0, max - 1 - tail).join('')}…${chars.slice(chars.length - tail).join('')}`;
}
