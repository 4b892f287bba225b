// Cases: several uploaded captures of one incident (the client's, the resolver's, the server's),
// correlated into one verdict — `dualscope correlate` over the stored captures.
//
//   POST   /api/cases                {"analyses": [ID, ID, …], "labels": [NAME, NAME, …]}  → 201 summary
//   GET    /api/cases[?limit=N&before=C]  {"cases": [summary…], "next": C|null}, newest first, in pages
//   GET    /api/cases/ID              the case: its points, overlap and finding counts
//   GET    /api/cases/ID/report.json | report.html
//   DELETE /api/cases/ID              → 204 (its analyses stay)
//
// Each capture is uploaded as usual first (POST /api/analyses, with all of that path's limits and
// checks); a case names them by id. The correlation runs in the request, holding one worker slot
// (503 when none is free), and its reports are written like an analysis's: to temp files, renamed
// into place, then the case's row (store.ts) lists it. A case lives only as long as all of its
// analyses: deleting one deletes the case (store.ts says why). Labels come from the client: cleaned
// like upload names, only ever shown escaped; the files are named by the case's random id.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { CaptureFormatError } from '../core/index.js';
import { correlateFiles } from '../correlate/index.js';
import { CORRELATION_HEADER_CSP } from '../report/index.js';
import { renderCorrelationHtml, renderCorrelationJson, type CorrelatedReport } from '../report/correlation/index.js';
import { HttpError, pageQuery, readSmallBody, sendJson } from './http-util.js';
import { isDiskFull, isId, newId, removeQuietly, type Store } from './store.js';
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

/** What the service tells open pages: a case listed (`case`, its summary) or gone (`case-deleted`, {id}). */
export type CaseEvents = (event: 'case' | 'case-deleted', data: unknown) => void;

export class Cases {
  constructor(
    private readonly store: Store,
    private readonly workers: Workers,
    private readonly log: (line: string) => void,
    private readonly announce: CaseEvents,
  ) {}

  async create(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { ids, labels } = parseCaseRequest(await readSmallBody(req, CASE_BODY_MAX));
    this.#checkUsable(ids);
    const names = ids.map((id, i) => labels?.[i] ?? this.store.get(id)!.name);
    const unique = distinctLabels(names);
    if (!this.workers.tryAcquire()) throw new HttpError(503, 'every worker is busy; try again shortly', { 'Retry-After': '5' });
    let report: CorrelatedReport;
    try {
      report = await correlateFiles(ids.map((id, i) => ({ file: this.store.capturePath(id), label: unique[i]! })));
    } catch (e) {
      // An analysis deleted meanwhile takes its capture with it: say that, not "cannot be read".
      this.#checkStillThere(ids);
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
      [this.store.casePath(id, 'json'), renderCorrelationJson(report)],
      [this.store.casePath(id, 'html'), renderCorrelationHtml(report)],
    ];
    let gone: string | undefined;
    try {
      for (const [path, text] of files) {
        const tmp = this.store.tmpPath(id, 'case');
        writeFileSync(tmp, text, { mode: 0o600 });
        renameSync(tmp, path);
      }
      // Last, and only if every analysis is still there: a case is listed once its reports are.
      gone = this.store.addCase(id, summary.createdAt, ids, JSON.stringify(summary));
    } catch (e) {
      for (const [path] of files) removeQuietly(path);
      if (isDiskFull(e)) throw new HttpError(507, "the server's disk is full; the case was not kept (try again later)");
      throw e;
    }
    if (gone !== undefined) {
      for (const [path] of files) removeQuietly(path);
      throw deletedMeanwhile(gone);
    }
    this.log(`case ${id}: ${ids.length} captures correlated, ${report.overlap.matchedPackets} packets matched`);
    this.announce('case', summary);
    sendJson(res, 201, { ...summary, report: `/api/cases/${id}/report.html` }, { Location: `/api/cases/${id}` });
  }

  /** Each analysis exists, its capture is stored whole, and its analysis did not fail. */
  #checkUsable(ids: readonly string[]): void {
    for (const id of ids) {
      const s = this.store.get(id);
      if (s === undefined) throw new HttpError(404, `no analysis ${id} (wrong id, or deleted)`);
      if (!this.store.isStored(id)) throw new HttpError(409, `analysis ${id} has no stored capture yet (its upload is still arriving)`);
      if (s.status === 'failed') throw new HttpError(422, `analysis ${id} failed (${s.reason ?? 'unreadable capture'}); it cannot be correlated`);
    }
  }

  #checkStillThere(ids: readonly string[]): void {
    const gone = ids.find((id) => this.store.get(id) === undefined);
    if (gone !== undefined) throw deletedMeanwhile(gone);
  }

  /** GET /api/cases[?limit=N&before=C] */
  list(res: ServerResponse, url: URL): void {
    const page = this.store.listCases(pageQuery(url));
    // The summaries are stored as JSON text: spliced in, not parsed and written again.
    const body = `{"cases":[${page.cases.join(',')}],"next":${JSON.stringify(page.next)}}`;
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
    res.end(body);
  }

  /** GET /api/cases/ID[/report.json|report.html] */
  send(res: ServerResponse, id: string, what: string | undefined): void {
    const summary = isId(id) ? this.store.getCase(id) : undefined;
    if (summary === undefined) throw new HttpError(404, 'no such case (wrong id, or deleted with one of its analyses)');
    if (what === undefined) {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(summary), 'Cache-Control': 'no-store' });
      res.end(summary);
      return;
    }
    const html = what === 'report.html';
    const path = this.store.casePath(id, html ? 'html' : 'json');
    if (!existsSync(path)) throw new HttpError(404, 'no such case (wrong id, or deleted with one of its analyses)');
    const body = readFileSync(path);
    res.writeHead(200, {
      'Content-Type': html ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8',
      'Content-Length': body.length,
      ...(html ? { 'Content-Security-Policy': CORRELATION_HEADER_CSP } : { 'Content-Disposition': `attachment; filename="case-${id}.json"` }),
      'Cache-Control': 'no-store',
    });
    res.end(body);
  }

  /** DELETE /api/cases/ID: the case and its reports; its analyses stay. */
  delete(res: ServerResponse, id: string): void {
    if (!isId(id) || this.store.getCase(id) === undefined) throw new HttpError(404, 'no such case (wrong id, or deleted with one of its analyses)');
    try {
      this.store.deleteCase(id);
    } catch (e) {
      if (isDiskFull(e)) throw new HttpError(507, "the server's disk is full; the case could not be deleted (try again later)");
      throw e;
    }
    this.announce('case-deleted', { id });
    res.writeHead(204);
    res.end();
  }
}

const deletedMeanwhile = (id: string): HttpError =>
  new HttpError(409, `analysis ${id} was deleted while the case was being correlated; nothing was kept`);

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
