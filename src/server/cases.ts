// Cases: several uploaded captures of one incident (the client's, the resolver's, the server's),
// correlated into one verdict — `dualscope correlate` over the stored captures.
//
//   POST /api/cases            {"analyses": [ID, ID, …], "labels": [NAME, NAME, …]}  → 201 {id}
//   GET  /api/cases/ID          the case: its points, overlap and finding counts
//   GET  /api/cases/ID/report.json | report.html
//
// Each capture is uploaded as usual first (POST /api/analyses, with all of that path's limits and
// checks); a case names them by id. The correlation runs in the request, holding one worker slot
// (503 when none is free), and its reports are written like an analysis's: to temp files, renamed
// into place. Labels come from the client: cleaned like upload names, only ever shown escaped; the
// files are named by the case's random id.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CaptureFormatError } from '../core/index.js';
import { correlateFiles } from '../correlate/index.js';
import { CORRELATION_HEADER_CSP, renderCorrelationHtml, renderCorrelationJson, type CorrelatedReport } from '../report/index.js';
import { HttpError, readSmallBody, sendJson } from './http-util.js';
import { isId, newId, type Store } from './store.js';
import { cleanName } from './upload.js';
import type { Workers } from './workers.js';

/** Points in one case: `correlate` compares every pair, so the work grows with their square. */
export const MAX_CASE_POINTS = 8;
const CASE_BODY_MAX = 16 * 1024;

export interface CaseSummary {
  id: string;
  createdAt: string;
  points: { label: string; analysis: string; packets: number; matchedPackets: number; clock: string }[];
  overlap: CorrelatedReport['overlap'];
  counts: CorrelatedReport['counts'];
  findings: number;
}

export class Cases {
  readonly #dir: string;

  constructor(
    private readonly store: Store,
    private readonly workers: Workers,
    private readonly log: (line: string) => void,
  ) {
    this.#dir = join(store.dataDir, 'cases');
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
  }

  #path(id: string, what: 'json' | 'html' | 'meta.json'): string {
    return join(this.#dir, `${id}.${what}`);
  }

  async create(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { ids, labels } = parseCaseRequest(await readSmallBody(req, CASE_BODY_MAX));
    for (const id of ids) {
      const s = this.store.get(id);
      if (s === undefined) throw new HttpError(404, `no analysis ${id} (wrong id, or deleted)`);
      if (!this.store.isStored(id)) throw new HttpError(409, `analysis ${id} has no stored capture yet (its upload is still arriving)`);
      if (s.status === 'failed') throw new HttpError(422, `analysis ${id} failed (${s.reason ?? 'unreadable capture'}); it cannot be correlated`);
    }
    const names = ids.map((id, i) => labels?.[i] ?? this.store.get(id)!.name);
    const unique = distinctLabels(names);
    if (!this.workers.tryAcquire()) throw new HttpError(503, 'every worker is busy; try again shortly', { 'Retry-After': '5' });
    let report: CorrelatedReport;
    try {
      report = await correlateFiles(ids.map((id, i) => ({ file: this.store.capturePath(id), label: unique[i]! })));
    } catch (e) {
      if (e instanceof CaptureFormatError) throw new HttpError(422, `a capture of this case cannot be read: ${e.detail}`);
      throw e;
    } finally {
      this.workers.release();
    }
    // The stored captures' paths are the server's business, not the reader's: each point shows its label.
    for (const p of report.points) p.capture.file = p.label;
    const id = newId();
    const summary: CaseSummary = {
      id,
      createdAt: new Date().toISOString(),
      points: report.points.map((p, i) => ({
        label: p.label,
        analysis: ids[i]!,
        packets: p.capture.packets,
        matchedPackets: p.matchedPackets,
        clock: p.clock.basis === 'reference' ? 'reference' : p.clock.basis === 'none' ? 'not aligned' : `${p.clock.offsetMicros} µs ± ${p.clock.uncertaintyMicros ?? '?'} µs`,
      })),
      overlap: report.overlap,
      counts: report.counts,
      findings: report.findings.length,
    };
    const files: [string, string][] = [
      [this.#path(id, 'json'), renderCorrelationJson(report)],
      [this.#path(id, 'html'), renderCorrelationHtml(report)],
      [this.#path(id, 'meta.json'), `${JSON.stringify(summary)}\n`], // last: a case is listed once its reports are there
    ];
    try {
      for (const [path, text] of files) {
        const tmp = this.store.tmpPath(id, 'case');
        writeFileSync(tmp, text, { mode: 0o600 });
        renameSync(tmp, path);
      }
    } catch (e) {
      for (const [path] of files) rmSync(path, { force: true });
      throw e;
    }
    this.log(`case ${id}: ${ids.length} captures correlated, ${report.overlap.matchedPackets} packets matched`);
    sendJson(res, 201, { ...summary, report: `/api/cases/${id}/report.html` }, { Location: `/api/cases/${id}` });
  }

  /** GET /api/cases/ID[/report.json|report.html] */
  send(res: ServerResponse, id: string, what: string | undefined): void {
    if (!isId(id) || !existsSync(this.#path(id, 'meta.json'))) throw new HttpError(404, 'no such case');
    if (what === undefined) {
      const meta = readFileSync(this.#path(id, 'meta.json'));
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': meta.length, 'Cache-Control': 'no-store' });
      res.end(meta);
      return;
    }
    const html = what === 'report.html';
    const body = readFileSync(this.#path(id, html ? 'html' : 'json'));
    res.writeHead(200, {
      'Content-Type': html ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8',
      'Content-Length': body.length,
      ...(html ? { 'Content-Security-Policy': CORRELATION_HEADER_CSP } : { 'Content-Disposition': `attachment; filename="case-${id}.json"` }),
      'Cache-Control': 'no-store',
    });
    res.end(body);
  }
}

/** The request body: 2 to MAX_CASE_POINTS distinct analysis ids, optional labels one per id. */
export function parseCaseRequest(body: string): { ids: string[]; labels: (string | undefined)[] | undefined } {
  let o: unknown;
  try {
    o = JSON.parse(body);
  } catch {
    throw new HttpError(400, 'the body must be JSON: {"analyses": [ID, ID, …], "labels": [NAME, …]}');
  }
  const r = (o && typeof o === 'object' && !Array.isArray(o) ? o : {}) as { analyses?: unknown; labels?: unknown };
  if (!Array.isArray(r.analyses) || !r.analyses.every((x) => typeof x === 'string')) throw new HttpError(400, '"analyses" must be a list of analysis ids');
  const ids = r.analyses as string[];
  if (ids.length < 2 || ids.length > MAX_CASE_POINTS) throw new HttpError(400, `a case needs 2 to ${MAX_CASE_POINTS} captures, not ${ids.length}`);
  // An id is echoed in later messages only once it has the id shape: a hostile string never is.
  for (const id of ids) if (!isId(id)) throw new HttpError(400, '"analyses" holds something that is not an analysis id');
  if (new Set(ids).size !== ids.length) throw new HttpError(400, 'a capture is listed twice in "analyses"');
  if (r.labels === undefined) return { ids, labels: undefined };
  if (!Array.isArray(r.labels) || r.labels.length !== ids.length || !r.labels.every((x) => typeof x === 'string')) {
    throw new HttpError(400, '"labels" must be a list of names, one per capture in "analyses"');
  }
  return { ids, labels: (r.labels as string[]).map((l) => cleanName(l)) };
}

/** Labels name the points in the report, so two points never share one: `name`, `name (2)` … */
function distinctLabels(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.map((n) => {
    let label = n;
    for (let k = 2; seen.has(label); k++) label = `${n} (${k})`;
    seen.add(label);
    return label;
  });
}
