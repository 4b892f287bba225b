// `dualscope serve`: the HTTP server (node:http, no framework). Routes:
//
//   GET  /                               the upload page (→ /login when a token is needed)
//   GET  /login, POST /login, POST /logout
//   GET  /app.js, /app.css, /favicon.ico the page's script, style and icon
//   GET  /api/events                     server-sent events: `analysis` (a summary), `deleted` ({id})
//   POST /api/analyses[?name=N]          the capture as the raw body, or multipart field `capture` → 201 {"id"}
//   GET  /api/analyses                   {"analyses": [summary…]}, newest first
//   GET  /api/analyses/ID                summary (+ progress while it runs, + report when done)
//   GET  /api/analyses/ID/report.html    the HTML timeline, under a CSP allowing only its own script
//   GET  /api/analyses/ID/report.json    the JSON report as a download
//   GET  /api/analyses/ID/capture        the capture as uploaded
//   DELETE /api/analyses/ID              → 204
//
// Errors are JSON {"error": "…"} with 400, 401, 403, 404, 405, 408, 413, 415, 500 or 503.
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Analysis } from '../analyze.js';
import { Anomalies, CaptureFormatError } from '../core/index.js';
import { readCaptureStream, type CaptureInfo } from '../readers/index.js';
import { CLIENT_JS, cspScriptHash, renderHtml, renderJson } from '../report/index.js';
import { Auth } from './auth.js';
import { EventHub } from './events.js';
import {
  ClientGone, consumeBody, declaredLength, discardBody, HttpError, LimitError, readSmallBody, securityHeaders, sendError, sendJson, yieldToEventLoop,
} from './http-util.js';
import { CaptureIngest } from './ingest.js';
import { MultipartError, MultipartReader, multipartBoundary } from './multipart.js';
import { APP_CSS, APP_JS, FAVICON_SVG, formatBytes, loginPage, PAGE_CSP, uploadPage } from './page.js';
import { isId, newId, Store, type AnalysisSummary } from './store.js';
import { Workers } from './workers.js';

export interface ServeOptions {
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

/** Progress of an analysis that is running or arriving; not stored (it changes every few ms). */
interface Progress {
  phase: 'upload' | 'analysis';
  bytes: number;
  total: number | null;
  packets: number;
}

const PROGRESS_EVERY_MS = 250;
const MAX_NAME = 200;
/** After an early error, drop at most this much more of the body so the client reads the answer. */
const DRAIN_BYTES = 64 * 1024 * 1024;
const DRAIN_MS = 10_000;
const LOGIN_BODY_MAX = 4096;
const SOCKET_IDLE_MS = 120_000;
const YIELD_EVERY_CHUNKS = 8;
/**
 * A gzip'd upload may decompress to at most this many times the compressed bytes received so far
 * (past its first MiB, DECOMPRESSED_FREE in ingest.ts). Real captures compress 3–30×; deflate's
 * ceiling is about 1032×, reached only by long runs of one byte, i.e. by a bomb.
 */
export const MAX_GZIP_RATIO = 1000;

export async function startServer(options: Partial<ServeOptions> = {}): Promise<RunningServer> {
  const o: ServeOptions = { ...DEFAULT_SERVE_OPTIONS, ...options };
  if (o.maxDecompressed <= 0) o.maxDecompressed = 16 * o.maxUpload;
  const service = new UploadService(o);
  const server = createServer({ maxHeaderSize: o.maxHeaderBytes, requestTimeout: 0, headersTimeout: 30_000 }, (req, res) => {
    void service.handle(req, res);
  });
  // curl sends `Expect: 100-continue` before big bodies: refuse a bad upload before it is sent.
  server.on('checkContinue', (req, res) => void service.handle(req, res, true));
  server.setTimeout(SOCKET_IDLE_MS);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostText = o.host.includes(':') ? `[${o.host}]` : o.host;
  service.start();
  return {
    url: `http://${hostText}:${port}`,
    port,
    store: service.store,
    close: () => service.close(server),
  };
}

class UploadService {
  readonly store: Store;
  readonly #o: ServeOptions;
  readonly #auth: Auth;
  readonly #hub: EventHub;
  readonly #workers: Workers;
  readonly #progress = new Map<string, Progress>();
  readonly #lastEvent = new Map<string, number>();
  /** Uploads arriving and analyses running, by id: how to stop them. */
  readonly #active = new Map<string, { cancel(): void; done: Promise<unknown> }>();
  #uploadsInFlight = 0;
  #closing = false;

  constructor(o: ServeOptions) {
    this.#o = o;
    this.store = new Store(o.dataDir);
    this.#auth = new Auth(o.token, o.host);
    this.#hub = new EventHub(o.maxEventClients);
    this.#workers = new Workers(Math.max(1, o.workers), (id) => this.#analyseStored(id));
  }

  start(): void {
    for (const id of this.store.recover()) this.#workers.enqueue(id);
  }

  async close(server: Server): Promise<void> {
    this.#closing = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    this.#hub.close();
    for (const a of this.#active.values()) a.cancel();
    await Promise.allSettled([...this.#active.values()].map((a) => a.done));
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
    if (path === '/app.js') return this.#asset(res, method, APP_JS, 'text/javascript; charset=utf-8');
    if (path === '/api/events') {
      allow(method, ['GET']);
      if (!this.#hub.add(res)) throw new HttpError(503, 'too many open event streams', { 'Retry-After': '10' });
      return;
    }
    if (path === '/api/analyses') {
      allow(method, ['GET', 'POST']);
      if (method === 'GET') return sendJson(res, 200, { analyses: this.store.list().map((s) => this.#withProgress(s)) });
      return this.#upload(req, res, url, expectsContinue);
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
      'Content-Security-Policy': REPORT_CSP,
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
    this.#active.get(id)?.cancel();
    this.#workers.remove(id);
    this.store.delete(id);
    this.#progress.delete(id);
    this.#lastEvent.delete(id);
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

  // ── uploads ──────────────────────────────────────────────────────────────────────────────────

  async #upload(req: IncomingMessage, res: ServerResponse, url: URL, expectsContinue: boolean): Promise<void> {
    if (this.#closing) throw new HttpError(503, 'the server is stopping');
    const contentType = req.headers['content-type'];
    const boundary = multipartBoundary(contentType);
    if (boundary === undefined && contentType?.toLowerCase().startsWith('multipart/')) {
      throw new HttpError(400, 'multipart uploads must be multipart/form-data with a boundary');
    }
    const declared = declaredLength(req);
    if (declared !== undefined && declared > this.#o.maxUpload) {
      this.#refuseEarly(req, res, 413, `the upload is ${formatBytes(declared)}, over this server's limit of ${formatBytes(this.#o.maxUpload)}`);
      return;
    }
    if (this.#uploadsInFlight >= this.#o.maxUploadsInFlight) {
      this.#refuseEarly(req, res, 503, 'too many uploads at once; try again shortly', { 'Retry-After': '5' });
      return;
    }
    if (expectsContinue) res.writeContinue();
    this.#uploadsInFlight++;
    const upload = new Upload(this, req, declared, cleanName(url.searchParams.get('name')));
    this.#active.set(upload.id, upload);
    try {
      await upload.done;
      if (upload.error === undefined) {
        sendJson(res, 201, { id: upload.id }, { Location: `/api/analyses/${upload.id}` });
        upload.afterAnswer();
        return;
      }
      const e = upload.error;
      if (e instanceof ClientGone) return void res.destroy();
      const [status, message] = errorAnswer(e);
      if (status === 500) this.#o.log(`upload failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      this.#refuseEarly(req, res, status, message);
    } finally {
      this.#uploadsInFlight--;
      if (this.#active.get(upload.id) === upload) this.#active.delete(upload.id);
    }
  }

  /** Answers now, and reads (a bounded part of) the rest of the body so the answer can be read. */
  #refuseEarly(req: IncomingMessage, res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
    sendError(res, status, message, { Connection: 'close', ...headers });
    discardBody(req, DRAIN_BYTES, DRAIN_MS);
  }

  // What Upload needs from the service (kept narrow so Upload reads on its own).
  get options(): ServeOptions {
    return this.#o;
  }
  get workers(): Workers {
    return this.#workers;
  }
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

  /** Builds and stores the reports, synchronously (so a DELETE cannot land half-way), and says so. */
  complete(id: string, name: string, analysis: Analysis, info: CaptureInfo): void {
    try {
      const report = analysis.finish(name, info);
      this.store.finish(id, renderJson(report), renderHtml(report), report.capture.packets, report.counts);
    } catch (e) {
      this.#o.log(`report failed for ${id}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      this.store.fail(id, `internal error while building the report (${e instanceof Error ? e.message : String(e)})`);
    }
    this.#forget(id);
    this.#announce(id);
  }

  /** A queued analysis whose capture is stored: read it from disk. */
  async #analyseStored(id: string): Promise<void> {
    const s = this.store.get(id);
    if (s === undefined || !s.stored || this.#closing) return;
    this.store.setStatus(id, 'running');
    const analysis = new Analysis();
    const stream = createReadStream(this.store.capturePath(id), { highWaterMark: 256 * 1024 });
    let cancelled = false;
    let finished!: () => void;
    const done = new Promise<void>((r) => (finished = r));
    this.#active.set(id, {
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
      if (!cancelled) this.complete(id, s.name, analysis, info);
    } catch (e) {
      if (cancelled) {
        // Deleted (the row is gone) or the server is stopping: then it waits for the next start.
        if (this.store.get(id) !== undefined) this.store.setStatus(id, 'queued');
      } else {
        this.store.fail(id, e instanceof CaptureFormatError ? `not a usable capture: ${e.detail}` : `analysis failed (${e instanceof Error ? e.message : String(e)})`);
        this.#announce(id);
      }
      this.#forget(id);
    } finally {
      if (this.#active.get(id)?.done === done) this.#active.delete(id);
      finished();
    }
  }
}

/**
 * One upload arriving: chunks go to a temp file and a CaptureParser as they come; the analysis
 * runs along when a worker slot was free, else the upload is queued once complete. `done`
 * settles when the body is over; `error` then says what went wrong (everything is cleaned up).
 */
class Upload {
  readonly id = newId();
  readonly done: Promise<void>;
  error: unknown;
  #name: string;
  #ingest: CaptureIngest | undefined;
  #analysis: Analysis | undefined;
  #slot = false;
  #row = false;
  #cancelled = false;
  #received = 0;
  #info: CaptureInfo | undefined;

  constructor(
    private readonly service: UploadService,
    private readonly req: IncomingMessage,
    private readonly declared: number | undefined,
    name: string | undefined,
  ) {
    this.#name = name ?? 'capture';
    const named = name !== undefined;
    this.done = this.#receive(named).catch((e: unknown) => {
      this.error = e;
      this.#cleanUp();
    });
  }

  cancel(): void {
    this.#cancelled = true;
    this.#ingest?.abort();
    this.req.destroy();
  }

  async #receive(named: boolean): Promise<void> {
    const o = this.service.options;
    const boundary = multipartBoundary(this.req.headers['content-type']);
    let multipart: MultipartReader | undefined;
    if (boundary !== undefined) {
      let inCapture = false;
      multipart = new MultipartReader(boundary, {
        begin: (h) => {
          inCapture = h.name === 'capture' && this.#ingest === undefined;
          if (!inCapture) return;
          if (!named && h.filename !== undefined) this.#name = cleanName(h.filename) ?? this.#name;
          this.#startIngest();
        },
        data: (c) => {
          if (inCapture) this.#ingest!.data(c);
        },
        end: () => {
          inCapture = false;
        },
      });
    } else {
      this.#startIngest();
    }
    let chunks = 0;
    const rate = new RateCheck(o.minUploadRate, o.uploadRateWindowMs);
    await consumeBody(this.req, async (chunk, waitedMs) => {
      this.#received += chunk.length;
      if (this.#received > o.maxUpload) throw new LimitError('upload_size', `the upload is over this server's limit of ${formatBytes(o.maxUpload)}`);
      rate.check(chunk.length, waitedMs);
      if (multipart !== undefined) multipart.push(chunk);
      else this.#ingest!.data(chunk);
      const ingest = this.#ingest;
      if (ingest === undefined) return;
      ingest.check();
      if (!this.#row && ingest.accepted) this.#insertRow();
      this.service.setProgress(this.id, { phase: 'upload', bytes: ingest.bytes, total: this.declared ?? null, packets: ingest.frames }, this.#row);
      await ingest.settle();
      if (++chunks % YIELD_EVERY_CHUNKS === 0) await yieldToEventLoop();
    });
    if (this.#cancelled) throw new ClientGone('deleted while arriving');
    multipart?.end();
    const ingest = this.#ingest;
    if (ingest === undefined) throw new HttpError(400, 'the multipart body has no field named "capture"');
    this.#info = await ingest.end();
    if (this.#cancelled) throw new ClientGone('deleted while arriving');
    if (!this.#row) this.#insertRow();
    this.service.store.storeCapture(this.id, ingest.tmpPath, ingest.bytes);
  }

  #startIngest(): void {
    const o = this.service.options;
    this.#slot = this.service.workers.tryAcquire();
    this.#analysis = this.#slot ? new Analysis() : undefined;
    const analysis = this.#analysis;
    this.#ingest = new CaptureIngest(
      this.#name,
      this.service.store.tmpPath(this.id, 'upload'),
      analysis === undefined ? () => undefined : (f) => analysis.frame(f),
      analysis?.anomalies ?? new Anomalies(),
      { maxDecompressed: o.maxDecompressed, maxRatio: MAX_GZIP_RATIO },
    );
  }

  /** The bytes so far are a capture: from now on it is listed. */
  #insertRow(): void {
    this.service.store.insert(this.id, this.#name, this.#slot ? 'running' : 'queued', this.#ingest!.bytes);
    this.#row = true;
    this.service.announce(this.id);
  }

  /** After the 201: finish the analysis that ran along, or queue the stored capture. */
  afterAnswer(): void {
    if (this.#analysis !== undefined) {
      this.service.complete(this.id, this.#name, this.#analysis, this.#info!);
      this.#releaseSlot();
    } else {
      this.service.forget(this.id);
      this.service.announce(this.id);
      this.service.workers.enqueue(this.id);
    }
  }

  #releaseSlot(): void {
    if (!this.#slot) return;
    this.#slot = false;
    this.service.workers.release();
  }

  #cleanUp(): void {
    this.#ingest?.abort();
    this.#releaseSlot();
    if (this.#row) {
      this.service.store.delete(this.id);
      this.service.deleted(this.id);
    } else {
      this.service.forget(this.id);
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

/**
 * What a failed upload answers. Only our own errors say what went wrong: a limit (LimitError,
 * HttpError), a malformed body (MultipartError), a capture the readers refuse (CaptureFormatError,
 * with the reader's reason). Anything else is our bug or a storage failure: a 500 that says no
 * more (the caller logs it) — never a "limit", which would send the user chasing sizes.
 */
function errorAnswer(e: unknown): [number, string] {
  if (e instanceof LimitError || e instanceof HttpError) return [e.status, e.message];
  if (e instanceof MultipartError) return [400, e.message];
  if (e instanceof CaptureFormatError) {
    const detail = e.detail.replace(/^not a pcap or pcapng capture: /, '');
    return [415, `not a capture: ${detail} (pcap or pcapng, plain or gzip'd, are accepted)`];
  }
  return [500, 'internal error while storing the upload'];
}

/**
 * The minimum upload rate: a sender that, over a window of `windowMs` spent waiting for it,
 * delivered less than `bytesPerSecond` on average is refused (408), so slow senders cannot hold
 * the upload slots (the 2-minute idle timeout alone lets one byte a minute keep a slot forever).
 */
class RateCheck {
  #waitedMs = 0;
  #bytes = 0;
  constructor(
    private readonly bytesPerSecond: number,
    private readonly windowMs: number,
  ) {}

  check(bytes: number, waitedMs: number): void {
    if (this.bytesPerSecond <= 0) return;
    this.#waitedMs += waitedMs;
    this.#bytes += bytes;
    if (this.#waitedMs < this.windowMs) return;
    const rate = (this.#bytes * 1000) / this.#waitedMs;
    if (rate < this.bytesPerSecond) {
      throw new LimitError('upload_rate', `the upload arrives too slowly (${formatBytes(Math.round(rate))}/s over ${Math.round(this.#waitedMs / 1000)} s; this server needs at least ${formatBytes(this.bytesPerSecond)}/s)`);
    }
    this.#waitedMs = 0;
    this.#bytes = 0;
  }
}

/**
 * A display name from the client: the last path component, without control or bidi-override
 * characters, at most MAX_NAME characters. Only ever shown (escaped); files are named by id.
 */
export function cleanName(raw: string | null | undefined): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  const last = raw.split(/[/\\]/).pop() ?? '';
  const clean = last
    .replace(/[\p{Cc}\u202a-\u202e\u2066-\u2069\u200e\u200f]/gu, '')
    .trim()
    .slice(0, MAX_NAME);
  return clean === '' || clean === '.' || clean === '..' ? undefined : clean;
}

const baseName = (name: string): string => name.replace(/\.(pcapng|pcap|cap)(\.gz)?$/i, '').replace(/\.gz$/i, '') || 'report';

/** Content-Disposition with an ASCII fallback and the UTF-8 name (RFC 6266, RFC 8187). */
function attachment(name: string): string {
  const ascii = name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, MAX_NAME) || 'capture';
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * The report's CSP: the report's one client script by its hash (the script the renderer writes,
 * known here — never hashes read from the stored page, so markup that got into a report could not
 * allow itself), no requests, and a sandbox, so even that script runs without this origin's
 * cookies or API. The report's JSON blocks carry a type attribute and are never executed.
 */
export const REPORT_CSP = [
  "default-src 'none'",
  `script-src ${cspScriptHash(CLIENT_JS)}`,
  "style-src 'unsafe-inline'",
  'img-src data:',
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  'sandbox allow-scripts',
].join('; ');
