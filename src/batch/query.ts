// Questions to the index: findings (or files) matching filters, as rows for a table, JSON or CSV.
// The filters run over the finding columns the index copied out of each finding's JSON, so a
// finding lacking a field (another finding format) simply does not match a filter on it.
import { canonicalAddress, inPrefix } from '../core/index.js';
import { SEVERITIES, severityRank, type Severity } from '../detect/index.js';
import type { BatchIndex } from './batch-index.js';

export interface FindingQuery {
  /** Kinds: exact (`dns.aaaa_unanswered`) or a layer (`dns.`, `path`). */
  kinds?: readonly string[];
  /** At or above this severity. */
  severity?: Severity;
  /** An address (client or server equal to it) or a prefix `addr/len` (client or server inside). */
  host?: string;
  /** A DNS name: the name itself or any name below it, case-insensitive. */
  name?: string;
  /** µs since 1970: findings starting at or after `since` and before `until`. */
  since?: number;
  until?: number;
}

export interface FindingRow {
  time: number;
  end: number | null;
  severity: string | null;
  kind: string | null;
  client: string | null;
  server: string | null;
  names: string[];
  summary: string | null;
  file: string;
  /** Evidence frames: numbers in the file itself, `path#n` in another file of its capture set. */
  frames: (number | string)[];
  id: string | null;
  report: string | null;
  finding: unknown;
}

interface RawFindingRow {
  time: number | null;
  end_time: number | null;
  severity: string | null;
  kind: string | null;
  client: string | null;
  server: string | null;
  names: string | null;
  summary: string | null;
  file: string;
  frames: string | null;
  finding_id: string | null;
  report_html: string | null;
  json: string;
}

/** Throws an Error whose message names the bad filter (the CLI turns it into a usage line). */
export function validateHost(host: string): void {
  const slash = host.indexOf('/');
  if (slash < 0) {
    if (canonicalAddress(host) === undefined) throw new Error(`--host: ${host} is not an IPv4 or IPv6 address or prefix`);
    return;
  }
  const addr = host.slice(0, slash);
  const len = Number(host.slice(slash + 1));
  const a = canonicalAddress(addr);
  if (a === undefined || !Number.isInteger(len) || len < 0 || len > (a.includes(':') ? 128 : 32)) throw new Error(`--host: ${host} is not an address prefix such as 2001:db8::/32`);
}

function hostMatches(host: string, address: string | null): boolean {
  if (address === null) return false;
  if (host.includes('/')) return inPrefix(address, host);
  return canonicalAddress(address) === canonicalAddress(host);
}

const kindMatches = (kinds: readonly string[], kind: string | null): boolean =>
  kind !== null && kinds.some((k) => kind === k || kind.startsWith(k.endsWith('.') ? k : `${k}.`));

function nameMatches(name: string, names: readonly string[]): boolean {
  const want = name.toLowerCase().replace(/\.$/, '');
  return names.some((n) => {
    const have = n.toLowerCase().replace(/\.$/, '');
    return have === want || have.endsWith(`.${want}`);
  });
}

/** Findings matching every filter given, by time. */
export function queryFindings(index: BatchIndex, q: FindingQuery): FindingRow[] {
  const where: string[] = [];
  const args: number[] = [];
  if (q.since !== undefined) {
    where.push('x.time >= ?');
    args.push(q.since);
  }
  if (q.until !== undefined) {
    where.push('x.time < ?');
    args.push(q.until);
  }
  const sql = `SELECT x.time, x.end_time, x.severity, x.kind, x.client, x.server, x.names, x.summary, f.path AS file, x.frames, x.finding_id, f.report_html, x.json
    FROM findings x JOIN files f ON f.id = x.file_id ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY x.time, f.path, x.id`;
  const min = q.severity === undefined ? undefined : severityRank(q.severity);
  const out: FindingRow[] = [];
  for (const r of index.db.prepare(sql).iterate(...args) as Iterable<RawFindingRow>) {
    if (min !== undefined && !((SEVERITIES as readonly string[]).includes(r.severity ?? '') && severityRank(r.severity as Severity) >= min)) continue;
    if (q.kinds && q.kinds.length > 0 && !kindMatches(q.kinds, r.kind)) continue;
    if (q.host !== undefined && !hostMatches(q.host, r.client) && !hostMatches(q.host, r.server)) continue;
    const names = r.names ? (JSON.parse(r.names) as string[]) : [];
    if (q.name !== undefined && !nameMatches(q.name, names)) continue;
    out.push({
      time: r.time ?? 0,
      end: r.end_time,
      severity: r.severity,
      kind: r.kind,
      client: r.client,
      server: r.server,
      names,
      summary: r.summary,
      file: r.file,
      frames: r.frames ? (JSON.parse(r.frames) as (number | string)[]) : [],
      id: r.finding_id,
      report: r.report_html,
      finding: JSON.parse(r.json) as unknown,
    });
  }
  return out;
}
