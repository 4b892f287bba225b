// The terminal summary of a correlation: one line per capture point (clock offset ± uncertainty,
// packets matched), the stretches between points (delay, losses, rewrites), then each incident with
// its verdict and where its packets vanished. Capture strings are made safe for a terminal.
import { formatDuration, formatIso } from '../../core/index.js';
import type { CorrelatedFinding, CorrelatedReport } from './schema.js';
import { CorrelatedReport as CorrelatedReportSchema } from './schema.js';
import { terminalSafe, wrap, type TextOptions } from '../text.js';

const SGR = { error: '31;1', warning: '33;1', info: '36', dim: '2', bold: '1' } as const;

const micros = (x: number): string => (Math.abs(x) < 1000 ? `${Math.round(x * 10) / 10} µs` : formatDuration(Math.round(x)));

/** `+3.25 s ± 4 µs, drift 150 ppm` or why there is none. */
function clockText(c: CorrelatedReport['points'][number]['clock']): string {
  switch (c.basis) {
    case 'reference':
      return 'reference clock';
    case 'none':
      return 'not aligned: shares no packet with the other points';
    default: {
      const off = c.offsetMicros ?? 0;
      const sign = off < 0 ? '−' : '+';
      const unc = c.uncertaintyMicros === null ? ' (one-way: includes the one-way delay)' : ` ± ${micros(c.uncertaintyMicros)}`;
      const drift = c.driftPpm ? `, drift ${c.driftPpm} ppm` : '';
      return `offset ${sign}${micros(Math.abs(off))}${unc}${drift}${c.via ? ` (via ${c.via})` : ''}`;
    }
  }
}

export function renderCorrelationText(report: CorrelatedReport, options: Partial<TextOptions> = {}): string {
  const { color = false, width = 80 } = options;
  const paint = (style: keyof typeof SGR, s: string): string => (color ? `\x1b[${SGR[style]}m${s}\x1b[0m` : s);
  const safe = terminalSafe;
  const out: string[] = [];
  out.push(paint('bold', `dualscope ${report.tool.version}: ${report.points.length} capture points, clocks against ${safe(report.reference)}`));
  for (const p of report.points) {
    out.push(...wrap(`${safe(p.label)}: ${clockText(p.clock)}; ${p.matchedPackets} of ${p.ipPackets} IP packets matched${p.doubles ? `, ${p.doubles} second copies left out` : ''}${p.notMatchedBeyondLimit ? `, ${p.notMatchedBeyondLimit} beyond the matching limit` : ''}${p.capture.truncated ? ', truncated' : ''}`, width, '    ', '  '));
  }
  out.push(...wrap(report.overlap.note, width, '  '));
  if (report.stretches.length > 0) {
    out.push('');
    out.push(paint('bold', 'Between the points'));
    for (const s of report.stretches) {
      const d = s.delayMicros === null ? 'no packet crossed it' : `delay ${micros(s.delayMicros.min)} … ${micros(s.delayMicros.max)} (median ${micros(s.delayMicros.median)})`;
      out.push(...wrap(`${safe(s.from)} → ${safe(s.to)}: ${s.packets} packets arrived, ${s.lost} lost; ${d}`, width, '    ', '  '));
      for (const w of s.rewrites.slice(0, 4)) out.push(...wrap(`${w.kind}: ${safe(w.example)}${w.count > 1 ? ` (${w.count} packets)` : ''}`, width, '      ', '    '));
    }
  }
  out.push('');
  const live = report.findings.filter((f) => f.status !== 'withdrawn');
  const { error, warning, info } = report.counts;
  out.push(paint('bold', live.length === 0 ? 'No findings.' : `${live.length} finding${live.length === 1 ? '' : 's'}: ${error} error, ${warning} warning, ${info} info`));
  for (const f of report.findings) {
    out.push('');
    out.push(...renderIncident(f, width, paint));
  }
  if (report.unexplainedLosses.length > 0) {
    out.push('');
    out.push(paint('bold', `Other losses (${report.unexplainedLosses.length + report.omittedLosses}, no finding explains them)`));
    for (const l of report.unexplainedLosses.slice(0, 10)) {
      out.push(...wrap(`${formatIso(l.time)} ${safe(l.packet)} ${safe(l.flow)}: seen at ${l.seenAt.map((s) => `${safe(s.point)} #${s.frame}`).join(', ')}, lost between ${safe(l.lostBetween.from)} and ${safe(l.lostBetween.to)}`, width, '    ', '  '));
    }
  }
  return `${out.join('\n')}\n`;
}

function renderIncident(f: CorrelatedFinding, width: number, paint: (s: keyof typeof SGR, t: string) => string): string[] {
  const out: string[] = [];
  const sev = f.severity.toUpperCase().padEnd(7);
  const where = f.location ? ` ${f.location}` : '';
  out.push(`${paint(f.status === 'withdrawn' ? 'dim' : f.severity, sev)} ${f.kind} ${paint('bold', `[${f.status}]`)}${terminalSafe(where)}  ${paint('dim', `[${terminalSafe(f.id)}]`)}`);
  out.push(...wrap(terminalSafe(f.summary), width, '  '));
  out.push(...wrap(`${f.status === 'withdrawn' ? 'withdrawn' : 'why'}: ${terminalSafe(f.statusReason)}`, width, '    ', '  '));
  out.push(...wrap(`found at: ${f.views.map((v) => `${terminalSafe(v.point)} [${terminalSafe(v.finding.id)}]`).join(', ')}`, width, '    ', '  '));
  for (const e of f.evidence.slice(0, 6)) {
    const seen = e.seenAt.map((s) => `${terminalSafe(s.point)} #${s.frame}`).join(', ');
    const lost = e.lostBetween ? `; lost between ${terminalSafe(e.lostBetween.from)} and ${terminalSafe(e.lostBetween.to)}` : '';
    const delay = e.delayMicros !== null ? ` (+${micros(e.delayMicros)})` : '';
    out.push(...wrap(`${terminalSafe(e.role)}: seen at ${seen}${delay}${lost}`, width, '      ', '    '));
  }
  if (f.evidence.length > 6) out.push(`    (+${f.evidence.length - 6} more evidence packets)`);
  for (const l of f.losses.slice(0, 4)) {
    out.push(...wrap(`lost: ${terminalSafe(l.packet)} (${terminalSafe(l.flow)}) left ${l.seenAt.map((s) => `${terminalSafe(s.point)} #${s.frame}`).join(', ')} at ${formatIso(l.time)}, never reached ${terminalSafe(l.lostBetween.to)}${l.droppedInside !== null ? ` (came into ${terminalSafe(l.droppedInside)}, never left it)` : ''}`, width, '      ', '    '));
  }
  if (f.losses.length > 4) out.push(`    (+${f.losses.length - 4} more lost packets)`);
  return out;
}

export function renderCorrelationJson(report: CorrelatedReport): string {
  return `${JSON.stringify(CorrelatedReportSchema.parse(report), null, 2)}\n`;
}
