// `dualscope query INDEX`: findings (or, with --files, files) from a batch index, as a table for
// people, JSON for scripts, CSV for spreadsheets. Every capture string is made terminal-safe in the
// table, and CSV cells that a spreadsheet would run as a formula are quoted with a leading '.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { formatIso, UsageError } from '../core/index.js';
import { SEVERITIES } from '../detect/index.js';
import { terminalSafe } from '../report/index.js';
import { BatchIndex, queryFindings, validateHost, type FileRow, type FindingRow } from '../batch/index.js';
import { parseOptions } from './options.js';

/** An ISO 8601 time (`2026-11-26T16:15:00Z`, a date alone is midnight UTC) or seconds since 1970 → µs. */
export function parseTime(flag: string, text: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1e6);
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (!Number.isFinite(ms) || !/^\d{4}-\d{2}-\d{2}/.test(text)) throw new UsageError(`${flag}: ${text} is not a time such as 2026-11-26T16:15:00Z or seconds since 1970`);
  return ms * 1000;
}

export const QueryCliOptions = z.object({
  kind: z.string().min(1).optional(),
  severity: z.enum(SEVERITIES, { error: `--severity must be one of ${SEVERITIES.join(', ')}` }).optional(),
  host: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  since: z.string().min(1).optional(),
  until: z.string().min(1).optional(),
  format: z.enum(['table', 'json', 'csv'], { error: '--format must be table, json or csv' }).default('table'),
  files: z.boolean().default(false),
});
export type QueryCliOptions = z.infer<typeof QueryCliOptions>;

export function registerQueryCommand(cmd: Command): void {
  cmd
    .command('query')
    .description('list findings (or files) from a batch index')
    .argument('<index>', 'the SQLite index written by dualscope batch')
    .option('--kind <kinds>', 'finding kinds, comma-separated: exact (dns.aaaa_unanswered) or a layer (dns, path)')
    .addOption(new Option('--severity <severity>', 'at or above this severity').choices(['info', 'warning', 'error']))
    .option('--host <addr|prefix>', 'client or server is this address, or inside this prefix (2001:db8::/32)')
    .option('--name <name>', 'a DNS name involved is this name or below it')
    .option('--since <time>', 'findings starting at or after this time (ISO 8601 or seconds since 1970)')
    .option('--until <time>', 'findings starting before this time')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .option('--files', 'list the files of the index instead of findings')
    .action((indexPath: string, raw: Record<string, unknown>) => {
      const o = parseOptions(QueryCliOptions, raw);
      process.stdout.write(runQuery(indexPath, o));
    });
}

export function runQuery(indexPath: string, o: QueryCliOptions): string {
  if (!existsSync(indexPath)) throw new UsageError(`${indexPath}: no such index`);
  if (o.host !== undefined) {
    try {
      validateHost(o.host);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const since = o.since === undefined ? undefined : parseTime('--since', o.since);
  const until = o.until === undefined ? undefined : parseTime('--until', o.until);
  const index = new BatchIndex(indexPath, { readonly: true });
  try {
    if (o.files) return formatFiles(index.files(), o.format);
    const rows = queryFindings(index, {
      kinds: o.kind?.split(',').map((k) => k.trim()).filter(Boolean),
      severity: o.severity,
      host: o.host,
      name: o.name,
      since,
      until,
    });
    return formatFindings(rows, o.format);
  } finally {
    index.close();
  }
}

const iso = (t: number | null): string => (t === null ? '' : formatIso(t));
/** In the table, a frame in another file of the set shows that file's name only. */
const frameText = (frames: readonly (number | string)[]): string => frames.map((f) => (typeof f === 'string' ? basename(f) : String(f))).join(' ');

function formatFindings(rows: readonly FindingRow[], format: QueryCliOptions['format']): string {
  if (format === 'json') {
    return `${JSON.stringify(
      rows.map((r) => ({ time: iso(r.time), timeMicros: r.time, severity: r.severity, kind: r.kind, client: r.client, server: r.server, names: r.names, summary: r.summary, file: r.file, frames: r.frames, id: r.id, report: r.report, finding: r.finding })),
      null,
      2,
    )}\n`;
  }
  const header = ['time', 'severity', 'kind', 'client', 'server', 'names', 'file', 'frames', 'summary'];
  const cells = rows.map((r) => [iso(r.time), r.severity ?? '', r.kind ?? '', r.client ?? '', r.server ?? '', r.names.join(' '), r.file, format === 'csv' ? r.frames.join(' ') : frameText(r.frames), r.summary ?? '']);
  return format === 'csv' ? csv(header, cells) : table(header, cells, `${rows.length} finding${rows.length === 1 ? '' : 's'}`);
}

function formatFiles(files: readonly FileRow[], format: QueryCliOptions['format']): string {
  if (format === 'json') {
    return `${JSON.stringify(
      files.map((f) => ({ path: f.path, status: f.status, error: f.error, size: f.size, fingerprint: f.fingerprint, format: f.format, linkTypes: f.linkTypes, packets: f.packets, firstTime: iso(f.firstTime), lastTime: iso(f.lastTime), truncated: f.truncated, set: f.setId, setSeq: f.setSeq, findings: f.findings, report: f.reportHtml, analyzedAt: f.analyzedAt })),
      null,
      2,
    )}\n`;
  }
  const header = ['path', 'status', 'packets', 'first', 'last', 'set', 'findings', 'error'];
  const members = new Map<string, number>();
  for (const f of files) if (f.setId !== null) members.set(f.setId, (members.get(f.setId) ?? 0) + 1);
  // A set is named by its first file; a file alone is in no set.
  const setText = (f: FileRow): string => (f.setId === null || members.get(f.setId)! < 2 ? '' : `${format === 'csv' ? f.setId : basename(f.setId)} #${f.setSeq}`);
  const cells = files.map((f) => [f.path, f.status, f.packets === null ? '' : String(f.packets), iso(f.firstTime), iso(f.lastTime), setText(f), f.findings === null ? '' : String(f.findings), f.error ?? '']);
  return format === 'csv' ? csv(header, cells) : table(header, cells, `${files.length} file${files.length === 1 ? '' : 's'}`);
}

/** RFC 4180, and a cell starting with = + - @ (a formula to a spreadsheet) gets a leading '. */
function csv(header: readonly string[], rows: readonly string[][]): string {
  const cell = (s: string): string => {
    const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
    return /[",\r\n]/.test(safe) || safe !== s ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

/** Columns padded to their widest cell (capped), the last one free; control characters shown escaped. */
function table(header: readonly string[], rows: readonly string[][], total: string): string {
  const safe = rows.map((r) => r.map((c) => terminalSafe(c)));
  const widths = header.map((h, i) => Math.min(48, Math.max(h.length, ...safe.map((r) => r[i]!.length))));
  // A path keeps its end (the file name), other cells their start.
  const cut = (c: string, i: number): string =>
    c.length <= widths[i]! ? c : header[i] === 'file' || header[i] === 'path' ? `…${c.slice(c.length - widths[i]! + 1)}` : `${c.slice(0, widths[i]! - 1)}…`;
  const line = (r: readonly string[]): string => r.map((c, i) => (i === r.length - 1 ? c : cut(c, i).padEnd(widths[i]!))).join('  ').trimEnd();
  return `${[line(header), ...safe.map(line)].join('\n')}\n${total}\n`;
}
