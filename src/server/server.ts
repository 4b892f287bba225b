// `dualscope serve`: the HTTP server (node:http, no framework). Routes:
//
//   GET  /                               the upload page (→ /login when a token is needed)
//   GET  /login, POST /login, POST /logout
//   GET  /app.css, /favicon.ico          the pages' style and icon (the upload page's script is inline)
//   GET  /api/events                     server-sent events: `analysis` (a summary), `deleted` ({id}),
//                                        `case` (a case's summary), `case-deleted` ({id})
//   POST /api/analyses[?name=N]          the capture as the raw body, or multipart field `capture` → 201 {"id"}
//   GET  /api/analyses[?limit=N&before=C] {"analyses": [summary…], "next": C|null}, newest first, in pages
//   GET  /api/analyses/ID                summary (+ progress while it runs, + report when done)
//   GET  /api/analyses/ID/report.html    the HTML timeline, under a CSP allowing only its own script
//   GET  /api/analyses/ID/report.json    the JSON report as a download
//   GET  /api/analyses/ID/capture        the capture as uploaded
//   DELETE /api/analyses/ID              → 204 (and every case that uses it: store.ts says why)
//   /api/cases…                          several analyses correlated as one case (cases.ts)
//
// Errors are JSON {"error": "…"} with 400, 401, 403, 404, 405, 408, 409, 413, 415, 422, 500, 503 or 507.
// Receiving uploads is upload.ts's; this file routes, serves, and runs the queued analyses.
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CaptureFormatError } from '../core/index.js';
import { readCaptureStream } from '../readers/index.js';
import { REPORT_HEADER_CSP, renderHtmlChunks, renderJsonChunks, type Report } from '../report/index.js';
import { AnalysisRun } from './analysis-run.js';
import { Auth } from './auth.js';
import { Cases } from './cases.js';
import { EventHub } from './events.js';
import { ClientGone, HttpError, pageQuery, readSmallBody, securityHeaders, sendError, sendJson } from './http-util.js';
import { APP_CSS, FAVICON_SVG, loginPage, PAGE_CSP, uploadPage } from './page.js';
import { isDiskFull, isId, Store, type AnalysisSummary } from './store.js';
import { Uploads, type Progress, type UploadHost, type UploadLimits } from './upload.js';
import { Workers } from './workers.js';

export { cleanName, MAX_GZIP_RATIO } from './upload.js';
/** The report's CSP, as the server sends it (one definition, in the report layer, for the file and the header). */
export const REPORT_CSP = REPORT_HEADER_CSP;

export interface ServeOptions extends UploadLimits {
  host: string;
  port: number;
  /** Folder for the database and files; created when missing. */
  dataDir: string;
  /** Bytes one upload may have (the whole request body). */
  maxUpload: number;
  /** Required on every request (except the login page) when set. */
  token: string | undefined;
  /** Analyses running at once. */
  workers: number;
  /** Bytes a gzip'd upload may decompress to (besides at most MAX_GZIP_RATIO × its compressed bytes). */
  maxDecompressed: number;
  /**
   * Slowest upload kept, in bytes per second of waiting for the sender (0: no check). Measured
   * over each `uploadRateWindowMs` of waiting; time the server holds the upload paused (a busy
   * analysis) does not count against the sender.
   */
  minUploadRate: number;
  uploadRateWindowMs: number;
  /** Bytes of request line + headers (node answers 431 above). */
  maxHeaderBytes: number;
  /** Uploads arriving at once; more get 503. */
  maxUploadsInFlight: number;
  /** Uploads arriving at once from one remote address; more get 503. */
  maxUploadsPerClient: number;
  /** An upload that sends nothing for this long (while the server waits for it) gets 408. */
  uploadIdleMs: number;
  /** Open event streams; more get 503. */
  maxEventClients: number;
  /** One line per notable event (start, failures); quiet by default. */
  log: (line: string) => void;
}

export const DEFAULT_SERVE_OPTIONS: ServeOptions = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: 'dualscope-data',
  maxUpload: 2 * 1024 ** 3,
  token: undefined,
  workers: 2,
  maxDecompressed: 0, // 0: 16 × maxUpload
  minUploadRate: 16 * 1024,
  uploadRateWindowMs: 30_000,
  maxHeaderBytes: 16 * 1024,
  maxUploadsInFlight: 32,
  maxUploadsPerClient: 8,
  uploadIdleMs: 20_000,
  maxEventClients: 256,
  log: () => undefined,
};

export interface RunningServer {
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  readonly store: Store;
  /** Stops taking requests, drops uploads still arriving, puts running analyses back in the queue. */
  close(): Promise<void>;
}

const PROGRESS_EVERY_MS = 250;
const MAX_NAME = 200;
const LOGIN_BODY_MAX = 4096;
const SOCKET_IDLE_MS = 120_000;
/** How often changes a full disk held back are written again. */
const RETRY_DEFERRED_MS = 2_000;

export async function startServer(options: Partial<ServeOptions> = {}): Promise<RunningServer> {
  const o: ServeOptions = { ...DEFAULT_SERVE_OPTIONS, ...options };
  if (o.maxDecompressed <= 0) o.maxDecompressed = 16 * o.maxUpload;
  // The data folder is opened and recovered before listening: a start that fails (a full disk)
  // leaves nothing half-started behind.
  const service = new UploadService(o);
  let queued: string[];
  try {
    queued = service.recover();
  } catch (e) {
    service.store.close();
    throw e;
  }
  const server = createServer({ maxHeaderSize: o.maxHeaderBytes, requestTimeout: 0, headersTimeout: 30_000 }, (req, res) => {
    void service.handle(req, res);
  });
  // curl sends `Expect: 100-continue` before big bodies: refuse a bad upload before it is sent.
  server.on('checkContinue', (req, res) => void service.handle(req, res, true));
  server.setTimeout(SOCKET_IDLE_MS);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => {
      service.store.close();
      reject(e);
    });
    server.listen(o.port, o.host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostText = o.host.includes(':') ? `[${o.host}]` : o.host;
  service.start(queued);
  return {
    url: `http://${hostText}:${port}`,
    port,
    store: service.store,
    close: () => service.close(server),
  };
}

class UploadService implements UploadHost {
  readonly store: Store;
  readonly #o: ServeOptions;
  readonly #auth: Auth;
  readonly #hub: EventHub;
  readonly workers: Workers;
  readonly #uploads: Uploads;
  readonly #cases: Cases;
  readonly #progress = new Map<string, Progress>();
  readonly #lastEvent = new Map<string, number>();
  /** Uploads arriving and analyses running, by id: how to stop them. */
  readonly active = new Map<string, { cancel(): void; done: Promise<unknown> }>();
  #closing = false;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(o: ServeOptions) {
    this.#o = o;
    this.store = new Store(o.dataDir);
    this.#auth = new Auth(o.token, o.host);
    this.#hub = new EventHub(o.maxEventClients);
    this.workers = new Workers(Math.max(1, o.workers), (id) => this.#analyseStored(id), (id, e) => {
      // #analyseStored catches everything it expects; this is the last line, never a crash.
      o.log(`analysis of ${id} failed unexpectedly: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      this.store.fail(id, `internal error during the analysis (${e instanceof Error ? e.message : String(e)})`);
      this.#forget(id);
      this.#announce(id);
    });
    this.#uploads = new Uploads(this, o);
    this.#cases = new Cases(this.store, this.workers, o.log, (event, data) => this.#hub.send(event, data));
  }

  get closing(): boolean {
    return this.#closing;
  }

  /** Cleans up after the last run; returns the analyses to queue again. May throw (a full disk). */
  recover(): string[] {
    return this.store.recover();
  }

  start(queued: readonly string[]): void {
    for (const id of queued) this.workers.enqueue(id);
    this.#retryTimer = setInterval(() => this.#retryDeferred(), RETRY_DEFERRED_MS);
    this.#retryTimer.unref();
  }

  #retryDeferred(): void {
    if (this.store.deferred === 0) return;
    this.store.retryDeferred();
  }

  async close(server: Server): Promise<void> {
    this.#closing = true;
    clearInterval(this.#retryTimer);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    this.#hub.close();
    for (const a of this.active.values()) a.cancel();
    await Promise.allSettled([...this.active.values()].map((a) => a.done));
    server.closeAllConnections();
    await closed;
    this.store.close();
  }

  async handle(req: IncomingMessage, res: ServerResponse, expectsContinue = false): Promise<void> {
    securityHeaders(res);
    try {
      await this.#route(req, res, expectsContinue);
    } catch (e) {
      if (e instanceof HttpError) sendError(res, e.status, e.message, e.headers);
      else if (e instanceof ClientGone) res.destroy();
      else {
        this.#o.log(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        sendError(res, 500, 'internal error');
      }
    }
  }

  async #route(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): Promise<void> {
    const refused = this.#auth.refuseOrigin(req);
    if (refused !== undefined) throw new HttpError(403, refused);
    const url = new URL(req.url ?? '/', 'http://dualscope.invalid');
    const path = url.pathname;
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    if (expectsContinue && !(method === 'POST' && path === '/api/analyses')) res.writeContinue();

    // Reachable without the token: the login page and what it needs.
    if (path === '/app.css') return this.#asset(res, method, APP_CSS, 'text/css; charset=utf-8');
    if (path === '/favicon.ico') return this.#asset(res, method, FAVICON_SVG, 'image/svg+xml');
    if (path === '/login') return this.#login(req, res, method);
    if (path === '/logout') return this.#logout(res, method);

    if (!this.#auth.allows(req)) {
      if (method === 'GET' && (path === '/' || path === '/index.html')) return redirect(res, '/login');
      throw new HttpError(401, 'a token is required: send "Authorization: Bearer TOKEN" or log in at /login', { 'WWW-Authenticate': 'Bearer realm="dualscope"' });
    }

    if (path === '/' || path === '/index.html') {
      allow(method, ['GET']);
      const html = uploadPage(this.#o.maxUpload, this.#auth.required);
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': PAGE_CSP, 'Cache-Control': 'no-store' });
      res.end(html);
      return;
    }
    if (path === '/api/events') {
      allow(method, ['GET']);
      if (!this.#hub.add(res)) throw new HttpError(503, 'too many open event streams', { 'Retry-After': '10' });
      return;
    }
    if (path === '/api/analyses') {
      allow(method, ['GET', 'POST']);
      if (method === 'GET') return this.#list(res, url);
      return this.#uploads.handle(req, res, url, expectsContinue);
    }
    if (path === '/api/cases') {
      allow(method, ['GET', 'POST']);
      if (method === 'GET') return this.#cases.list(res, url);
      if (this.#closing) throw new HttpError(503, 'the server is stopping');
      return this.#cases.create(req, res);
    }
    const c = /^\/api\/cases\/([^/]+)(?:\/(report\.html|report\.json))?$/.exec(path);
    if (c !== null) {
      allow(method, c[2] === undefined ? ['GET', 'DELETE'] : ['GET']);
      if (method === 'DELETE') return this.#cases.delete(res, c[1]!);
      return this.#cases.send(res, c[1]!, c[2]);
    }
    const m = /^\/api\/analyses\/([^/]+)(?:\/(report\.html|report\.json|capture))?$/.exec(path);
    if (m === null) throw new HttpError(404, 'no such page');
    const id = m[1]!;
    const what = m[2];
    const s = isId(id) ? this.store.get(id) : undefined;
    if (s === undefined) {
      allow(method, what === undefined ? ['GET', 'DELETE'] : ['GET']);
      throw new HttpError(404, 'no such analysis (wrong id, or deleted)');
    }
    if (what === undefined) {
      allow(method, ['GET', 'DELETE']);
      if (method === 'DELETE') return this.#delete(res, id);
      return this.#status(res, s);
    }
    allow(method, ['GET']);
    if (what === 'capture') return this.#sendCapture(res, s);
    if (s.status !== 'done') throw new HttpError(404, `no report yet: the analysis is ${s.status}`);
    if (what === 'report.json') return this.#sendReportJson(res, s);
    return this.#sendReportHtml(res, s);
  }

  // ── pages ────────────────────────────────────────────────────────────────────────────────────

  #asset(res: ServerResponse, method: string, body: string, type: string): void {
    allow(method, ['GET']);
    res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-cache', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  async #login(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    allow(method, ['GET', 'POST']);
    if (!this.#auth.required) return redirect(res, '/');
    const page = (status: number, message?: string): void => {
      res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': PAGE_CSP, 'Cache-Control': 'no-store' });
      res.end(loginPage(message));
    };
    if (method === 'GET') return page(200);
    const body = await readSmallBody(req, LOGIN_BODY_MAX);
    const token = new URLSearchParams(body).get('token') ?? '';
    if (!this.#auth.checkToken(token)) {
      // A little slower on failure: guessing by hand gets tedious, the right token is not delayed.
      await new Promise((r) => setTimeout(r, 300));
      return page(401, 'That is not the token of this server.');
    }
    res.writeHead(303, { Location: '/', 'Set-Cookie': this.#auth.loginCookie(), 'Cache-Control': 'no-store' });
    res.end();
  }

  #logout(res: ServerResponse, method: string): void {
    allow(method, ['POST']);
    res.writeHead(303, { Location: this.#auth.required ? '/login' : '/', 'Set-Cookie': 'dualscope_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0' });
    res.end();
  }

  // ── reading ──────────────────────────────────────────────────────────────────────────────────

  #list(res: ServerResponse, url: URL): void {
    const page = this.store.list(pageQuery(url));
    sendJson(res, 200, { analyses: page.analyses.map((s) => this.#withProgress(s)), next: page.next });
  }

  #withProgress(s: AnalysisSummary): AnalysisSummary & { progress?: Progress } {
    const p = this.#progress.get(s.id);
    return p === undefined ? s : { ...s, progress: p };
  }

  #status(res: ServerResponse, s: AnalysisSummary): void {
    const report: unknown = s.status === 'done' ? JSON.parse(readFileSync(this.store.reportPath(s.id, 'json'), 'utf8')) : undefined;
    sendJson(res, 200, { ...this.#withProgress(s), report });
  }

  #sendReportHtml(res: ServerResponse, s: AnalysisSummary): void {
    const html = readFileSync(this.store.reportPath(s.id, 'html'), 'utf8');
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': Buffer.byteLength(html),
      'Content-Security-Policy': REPORT_HEADER_CSP,
      'Cache-Control': 'no-store',
    });
    res.end(html);
  }

  #sendReportJson(res: ServerResponse, s: AnalysisSummary): void {
    const json = readFileSync(this.store.reportPath(s.id, 'json'));
    res.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': json.length,
      'Content-Disposition': attachment(`${baseName(s.name)}.json`),
      'Cache-Control': 'no-store',
    });
    res.end(json);
  }

  #sendCapture(res: ServerResponse, s: AnalysisSummary): void {
    if (!s.stored) throw new HttpError(404, 'the capture is not stored (its upload did not complete)');
    const path = this.store.capturePath(s.id);
    const size = statSync(path).size;
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': size,
      'Content-Disposition': attachment(s.name),
      'Cache-Control': 'no-store',
    });
    createReadStream(path).on('error', () => res.destroy()).pipe(res);
  }

  #delete(res: ServerResponse, id: string): void {
    this.active.get(id)?.cancel();
    this.workers.remove(id);
    const { cases } = this.store.delete(id);
    this.#progress.delete(id);
    this.#lastEvent.delete(id);
    for (const c of cases) this.#hub.send('case-deleted', { id: c });
    this.#hub.send('deleted', { id });
    res.writeHead(204);
    res.end();
  }

  // ── events ───────────────────────────────────────────────────────────────────────────────────

  #announce(id: string): void {
    const s = this.store.get(id);
    if (s === undefined) return;
    this.#lastEvent.set(id, Date.now());
    this.#hub.send('analysis', this.#withProgress(s));
  }

  #setProgress(id: string, p: Progress, rowExists: boolean): void {
    this.#progress.set(id, p);
    if (!rowExists) return;
    const last = this.#lastEvent.get(id) ?? 0;
    if (Date.now() - last >= PROGRESS_EVERY_MS) this.#announce(id);
  }

  #forget(id: string): void {
    this.#progress.delete(id);
    this.#lastEvent.delete(id);
  }

  // What an upload needs from the service (UploadHost).
  announce(id: string): void {
    this.#announce(id);
  }
  setProgress(id: string, p: Progress, rowExists: boolean): void {
    this.#setProgress(id, p, rowExists);
  }
  forget(id: string): void {
    this.#forget(id);
  }
  deleted(id: string): void {
    this.#forget(id);
    this.#hub.send('deleted', { id });
  }

  /**
   * Builds and stores the reports, synchronously (so a DELETE cannot land half-way), and says so.
   * Never throws: a failure (a full disk included) marks the analysis failed with the reason.
   * `finish` makes the report and lets go of the analysis behind it (takeReport): its state (an
   * edge capture's 400 k packets: ~14 MB after finish) is garbage before the reports are rendered,
   * and they are written part by part, never as whole strings.
   */
  complete(id: string, finish: () => Report): void {
    try {
      const report = finish();
      this.store.finish(id, renderJsonChunks(report), renderHtmlChunks(report), report.capture.packets, report.counts);
    } catch (e) {
      if (isDiskFull(e)) {
        this.#o.log(`report of ${id} not stored: the disk is full`);
        this.store.fail(id, "the server's disk was full when the report was written; upload the capture again later");
      } else {
        this.#o.log(`report failed for ${id}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        this.store.fail(id, `internal error while building the report (${e instanceof Error ? e.message : String(e)})`);
      }
    }
    this.#forget(id);
    this.#announce(id);
  }

  /** A queued analysis whose capture is stored: read it from disk. */
  async #analyseStored(id: string): Promise<void> {
    const s = this.store.get(id);
    if (s === undefined || !s.stored || this.#closing) return;
    try {
      this.store.startAnalysis(id);
    } catch (e) {
      this.store.fail(id, isDiskFull(e) ? "the server's disk was full when the analysis was to start; upload the capture again later" : `the analysis could not start (${e instanceof Error ? e.message : String(e)})`);
      this.#announce(id);
      return;
    }
    const analysis = new AnalysisRun();
    const stream = createReadStream(this.store.capturePath(id), { highWaterMark: 256 * 1024 });
    let cancelled = false;
    let finished!: () => void;
    const done = new Promise<void>((r) => (finished = r));
    this.active.set(id, {
      cancel: () => {
        cancelled = true;
        stream.destroy();
      },
      done,
    });
    this.#setProgress(id, { phase: 'analysis', bytes: 0, total: s.size, packets: 0 }, true);
    try {
      const info = await readCaptureStream(s.name, stream, (f) => analysis.frame(f), analysis.anomalies, {
        onProgress: (bytes, total) => this.#setProgress(id, { phase: 'analysis', bytes, total: total ?? null, packets: analysis.packets }, true),
      }, s.size);
      if (!cancelled) this.complete(id, () => analysis.takeReport(s.name, info));
    } catch (e) {
      if (cancelled) {
        // Deleted (the row is gone) or the server is stopping: then it waits for the next start.
        try {
          if (this.store.get(id) !== undefined) this.store.setStatus(id, 'queued');
        } catch {
          // a full disk: left `running`, and the next start queues it again (it is stored)
        }
      } else {
        this.store.fail(id, e instanceof CaptureFormatError ? `not a usable capture: ${e.detail}` : `analysis failed (${e instanceof Error ? e.message : String(e)})`);
        this.#announce(id);
      }
      this.#forget(id);
    } finally {
      if (this.active.get(id)?.done === done) this.active.delete(id);
      finished();
    }
  }
}

// ── helpers ────────────────────────────────────────────────────────────────────────────────────

function allow(method: string, methods: string[]): void {
  if (!methods.includes(method)) throw new HttpError(405, `use ${methods.join(' or ')} here`, { Allow: methods.join(', ') });
}

function redirect(res: ServerResponse, to: string): void {
  res.writeHead(303, { Location: to, 'Cache-Control': 'no-store' });
  res.end();
}

const baseName = (name: string): string => name.replace(/\.(pcapng|pcap|cap)(\.gz)?$/i, '').replace(/\.gz$/i, '') || 'report';

/** Content-Disposition with an ASCII fallback and the UTF-8 name (RFC 6266, RFC 8187). */
function attachment(name: string): string {
  const ascii = name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, MAX_NAME) || 'capture';
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
