// POST /api/analyses: admitting an upload (size, slots, each client's share) and receiving it.
// Chunks go to a temp file and a CaptureParser as they come (CaptureIngest); the analysis runs
// along when a worker slot was free, else the upload is queued once complete.
//
// What may hold a slot: an upload that sends. One that goes quiet for `uploadIdleMs` is answered
// 408 by a timer (not when its next chunk comes — it may never come); one that trickles is held to
// `minUploadRate`; one client (remote address) holds at most `maxUploadsPerClient` of the
// `maxUploadsInFlight` slots, so idle connections from one place cannot shut out everyone else.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Anomalies, CaptureFormatError } from '../core/index.js';
import type { CaptureInfo } from '../readers/index.js';
import type { Report } from '../report/index.js';
import { ClientGone, consumeBody, declaredLength, discardBody, HttpError, LimitError, sendError, sendJson, yieldToEventLoop } from './http-util.js';
import { AnalysisRun } from './analysis-run.js';
import { CaptureIngest } from './ingest.js';
import { MultipartError, MultipartReader, multipartBoundary } from './multipart.js';
import { formatBytes } from './page.js';
import { isDiskFull, newId, type Store } from './store.js';
import type { Workers } from './workers.js';

/**
 * A gzip'd upload may decompress to at most this many times the compressed bytes received so far
 * (past its first MiB, DECOMPRESSED_FREE in ingest.ts). Real captures compress 3–30×; deflate's
 * ceiling is about 1032×, reached only by long runs of one byte, i.e. by a bomb.
 */
export const MAX_GZIP_RATIO = 1000;
const MAX_NAME = 200;
/** After an early error, drop at most this much more of the body so the client reads the answer. */
const DRAIN_BYTES = 64 * 1024 * 1024;
const DRAIN_MS = 10_000;
const YIELD_EVERY_CHUNKS = 8;

/** The limits an upload is held to (a part of ServeOptions). */
export interface UploadLimits {
  maxUpload: number;
  maxDecompressed: number;
  minUploadRate: number;
  uploadRateWindowMs: number;
  /** An upload that sends nothing for this long (while the server waits for it) gets 408. */
  uploadIdleMs: number;
  maxUploadsInFlight: number;
  /** Uploads in flight from one remote address. */
  maxUploadsPerClient: number;
  log: (line: string) => void;
}

/** Progress of an analysis that is running or arriving; not stored (it changes every few ms). */
export interface Progress {
  phase: 'upload' | 'analysis';
  bytes: number;
  total: number | null;
  packets: number;
}

/** What an upload needs from the service around it. */
export interface UploadHost {
  readonly store: Store;
  readonly workers: Workers;
  readonly closing: boolean;
  announce(id: string): void;
  setProgress(id: string, p: Progress, rowExists: boolean): void;
  forget(id: string): void;
  deleted(id: string): void;
  /** Builds and stores the reports (never throws: a failure marks the analysis failed). */
  complete(id: string, finish: () => Report): void;
  /** Uploads arriving and analyses running, by id: how to stop them. */
  readonly active: Map<string, { cancel(): void; done: Promise<unknown> }>;
}

/** Admits uploads and counts them, in all and per client. */
export class Uploads {
  #inFlight = 0;
  readonly #perClient = new Map<string, number>();

  constructor(
    private readonly host: UploadHost,
    private readonly limits: UploadLimits,
  ) {}

  get inFlight(): number {
    return this.#inFlight;
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL, expectsContinue: boolean): Promise<void> {
    const o = this.limits;
    if (this.host.closing) throw new HttpError(503, 'the server is stopping');
    const contentType = req.headers['content-type'];
    const boundary = multipartBoundary(contentType);
    if (boundary === undefined && contentType?.toLowerCase().startsWith('multipart/')) {
      throw new HttpError(400, 'multipart uploads must be multipart/form-data with a boundary');
    }
    const declared = declaredLength(req);
    if (declared !== undefined && declared > o.maxUpload) {
      refuseEarly(req, res, 413, `the upload is ${formatBytes(declared)}, over this server's limit of ${formatBytes(o.maxUpload)}`);
      return;
    }
    if (this.#inFlight >= o.maxUploadsInFlight) {
      refuseEarly(req, res, 503, 'too many uploads at once; try again shortly', { 'Retry-After': '5' });
      return;
    }
    const client = req.socket.remoteAddress ?? '?';
    const mine = this.#perClient.get(client) ?? 0;
    if (mine >= o.maxUploadsPerClient) {
      refuseEarly(req, res, 503, `this client has ${mine} uploads arriving already (at most ${o.maxUploadsPerClient} at once); try again when one is done`, { 'Retry-After': '5' });
      return;
    }
    if (expectsContinue) res.writeContinue();
    this.#inFlight++;
    this.#perClient.set(client, mine + 1);
    const upload = new Upload(this.host, o, req, declared, cleanName(url.searchParams.get('name')));
    this.host.active.set(upload.id, upload);
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
      if (status === 500) o.log(`upload failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      refuseEarly(req, res, status, message);
    } finally {
      this.#inFlight--;
      const left = (this.#perClient.get(client) ?? 1) - 1;
      if (left > 0) this.#perClient.set(client, left);
      else this.#perClient.delete(client);
      if (this.host.active.get(upload.id) === upload) this.host.active.delete(upload.id);
    }
  }
}

/** Answers now, and reads (a bounded part of) the rest of the body so the answer can be read. */
function refuseEarly(req: IncomingMessage, res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendError(res, status, message, { Connection: 'close', ...headers });
  discardBody(req, DRAIN_BYTES, DRAIN_MS);
}

/**
 * One upload arriving. `done` settles when the body is over; `error` then says what went wrong
 * (everything is cleaned up, the worker slot released).
 */
class Upload {
  readonly id = newId();
  readonly done: Promise<void>;
  error: unknown;
  #name: string;
  #ingest: CaptureIngest | undefined;
  #analysis: AnalysisRun | undefined;
  #slot = false;
  #row = false;
  #cancelled = false;
  #received = 0;
  #info: CaptureInfo | undefined;

  constructor(
    private readonly host: UploadHost,
    private readonly o: UploadLimits,
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
    const o = this.o;
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
    const onChunk = async (chunk: Buffer, waitedMs: number): Promise<void> => {
      this.#received += chunk.length;
      if (this.#received > o.maxUpload) throw new LimitError('upload_size', `the upload is over this server's limit of ${formatBytes(o.maxUpload)}`);
      rate.check(chunk.length, waitedMs);
      if (multipart !== undefined) multipart.push(chunk);
      else this.#ingest!.data(chunk);
      const ingest = this.#ingest;
      if (ingest === undefined) return;
      ingest.check();
      if (!this.#row && ingest.accepted) this.#insertRow();
      this.host.setProgress(this.id, { phase: 'upload', bytes: ingest.bytes, total: this.declared ?? null, packets: ingest.frames }, this.#row);
      await ingest.settle();
      if (++chunks % YIELD_EVERY_CHUNKS === 0) await yieldToEventLoop();
    };
    await consumeBody(this.req, onChunk, {
      idleMs: o.uploadIdleMs,
      idleError: () => new LimitError('upload_idle', `the upload sent nothing for ${Math.round(o.uploadIdleMs / 1000)} s; this server drops idle uploads`),
    });
    if (this.#cancelled) throw new ClientGone('deleted while arriving');
    multipart?.end();
    const ingest = this.#ingest;
    if (ingest === undefined) throw new HttpError(400, 'the multipart body has no field named "capture"');
    this.#info = await ingest.end();
    if (this.#cancelled) throw new ClientGone('deleted while arriving');
    if (!this.#row) this.#insertRow();
    this.host.store.storeCapture(this.id, ingest.tmpPath, ingest.bytes);
  }

  #startIngest(): void {
    this.#slot = this.host.workers.tryAcquire();
    this.#analysis = this.#slot ? new AnalysisRun() : undefined;
    const analysis = this.#analysis;
    this.#ingest = new CaptureIngest(
      this.#name,
      this.host.store.tmpPath(this.id, 'upload'),
      analysis === undefined ? () => undefined : (f) => analysis.frame(f),
      analysis?.anomalies ?? new Anomalies(),
      { maxDecompressed: this.o.maxDecompressed, maxRatio: MAX_GZIP_RATIO },
    );
  }

  /** The bytes so far are a capture: from now on it is listed. */
  #insertRow(): void {
    this.host.store.insert(this.id, this.#name, this.#slot ? 'running' : 'queued', this.#ingest!.bytes);
    this.#row = true;
    this.host.announce(this.id);
  }

  /** After the 201: finish the analysis that ran along, or queue the stored capture. */
  afterAnswer(): void {
    const analysis = this.#analysis;
    if (analysis !== undefined) {
      try {
        this.host.complete(this.id, () => analysis.takeReport(this.#name, this.#info!));
      } finally {
        this.#releaseSlot();
      }
    } else {
      this.host.forget(this.id);
      this.host.announce(this.id);
      this.host.workers.enqueue(this.id);
    }
  }

  #releaseSlot(): void {
    if (!this.#slot) return;
    this.#slot = false;
    this.host.workers.release();
  }

  #cleanUp(): void {
    this.#ingest?.abort();
    this.#releaseSlot();
    if (this.#row) {
      this.host.store.delete(this.id);
      this.host.deleted(this.id);
    } else {
      this.host.forget(this.id);
    }
  }
}

/**
 * What a failed upload answers. Only our own errors say what went wrong: a limit (LimitError,
 * HttpError), a malformed body (MultipartError), a capture the readers refuse (CaptureFormatError,
 * with the reader's reason), a full disk (507). Anything else is our bug or a storage failure: a
 * 500 that says no more (the caller logs it) — never a "limit", which would send the user chasing sizes.
 */
export function errorAnswer(e: unknown): [number, string] {
  if (e instanceof LimitError || e instanceof HttpError) return [e.status, e.message];
  if (e instanceof MultipartError) return [400, e.message];
  if (e instanceof CaptureFormatError) {
    const detail = e.detail.replace(/^not a pcap or pcapng capture: /, '');
    return [415, `not a capture: ${detail} (pcap or pcapng, plain or gzip'd, are accepted)`];
  }
  if (isDiskFull(e) || isDiskFull((e as { cause?: unknown } | undefined)?.cause)) return [507, "the server's disk is full; the upload was not kept (try again later)"];
  return [500, 'internal error while storing the upload'];
}

/**
 * The minimum upload rate: a sender that, over a window of `windowMs` spent waiting for it,
 * delivered less than `bytesPerSecond` on average is refused (408), so slow senders cannot hold
 * the upload slots. (A sender that sends nothing at all is the idle timer's: see consumeBody.)
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
