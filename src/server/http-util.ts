// Small HTTP helpers: errors with a status, JSON answers, security headers, bounded small bodies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LIST_PAGE_MAX, parseCursor } from './store.js';

/** An error the client caused, answered as JSON `{"error": message}` with this status. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Which of this server's own limits an upload ran into: a stable code for logs and tests. */
export type Limit = 'upload_size' | 'decompressed_size' | 'decompression_ratio' | 'upload_rate' | 'upload_idle';

/**
 * An upload ran into one of this server's limits: 413 for sizes, 408 for a sender too slow.
 * Only this error (and HttpError) says "limit" to the client; anything else unexpected is a 500.
 */
export class LimitError extends Error {
  override readonly name = 'LimitError';
  readonly status: 408 | 413;
  constructor(
    readonly limit: Limit,
    message: string,
  ) {
    super(message);
    this.status = limit === 'upload_rate' || limit === 'upload_idle' ? 408 : 413;
  }
}

/** The client went away before the request body was complete. */
export class ClientGone extends Error {
  override readonly name = 'ClientGone';
}

const COMMON_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export function securityHeaders(res: ServerResponse): void {
  for (const [k, v] of Object.entries(COMMON_HEADERS)) res.setHeader(k, v);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { error: message }, headers);
}

/** The declared Content-Length, or undefined (chunked or absent). */
export function declaredLength(req: IncomingMessage): number | undefined {
  const v = req.headers['content-length'];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** A small body (a login form), refused above `max` bytes. */
export async function readSmallBody(req: IncomingMessage, max: number): Promise<string> {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > max) throw new HttpError(413, `request body over ${max} bytes`);
  const parts: Buffer[] = [];
  let n = 0;
  return new Promise((resolve, reject) => {
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) {
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpError(413, `request body over ${max} bytes`));
        return;
      }
      parts.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', () => reject(new ClientGone('the client went away')));
  });
}

/**
 * Calls onChunk for each body chunk, one at a time: the request is paused while a chunk is
 * handled, so a slow analysis slows the upload down (TCP backpressure) instead of buffering it.
 * onChunk also gets `waitedMs`: how long the request waited for this chunk while it was flowing —
 * time the server held it paused is not counted, so a rate check blames only the sender.
 * Rejects with what onChunk threw, or ClientGone when the client disconnects first. Listeners are
 * removed on the way out, so the caller can then discard the rest of the body.
 */
export interface IdleLimit {
  /** Rejects with idleError() when the request, flowing, brings no byte for this long (0: never). */
  idleMs: number;
  idleError: () => Error;
}

export function consumeBody(
  req: IncomingMessage,
  onChunk: (chunk: Buffer, waitedMs: number) => Promise<void> | void,
  idle: IdleLimit = { idleMs: 0, idleError: () => new Error('idle') },
): Promise<void> {
  return new Promise((resolve, reject) => {
    let busy: Promise<void> = Promise.resolve();
    let settled = false;
    /** When the request last started flowing; undefined while paused by us. */
    let flowingSince: number | undefined = Date.now();
    // A timer, not a check when the next chunk comes: a client that sends nothing sends no chunk.
    // Armed only while the request flows: time the server holds it paused is not the sender's.
    let idleTimer: NodeJS.Timeout | undefined;
    const armIdle = (): void => {
      if (idle.idleMs <= 0) return;
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => done(idle.idleError()), idle.idleMs);
      idleTimer.unref();
    };
    const done = (e?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(idleTimer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onClose);
      if (e === undefined) resolve();
      else reject(e);
    };
    const onData = (chunk: Buffer): void => {
      req.pause();
      clearTimeout(idleTimer);
      const waitedMs = flowingSince === undefined ? 0 : Date.now() - flowingSince;
      flowingSince = undefined;
      busy = busy.then(async () => {
        if (settled) return;
        try {
          await onChunk(chunk, waitedMs);
        } catch (e) {
          done(e);
          return;
        }
        if (settled) return;
        flowingSince = Date.now();
        armIdle();
        req.resume();
      });
    };
    const onEnd = (): void => void busy.then(() => done());
    const onClose = (): void => {
      if (!req.complete) void busy.then(() => done(new ClientGone('the client closed the connection before the upload was complete')));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onClose);
    if (!req.complete) armIdle();
  });
}

/**
 * After an early answer (413, 415, 400): read and drop the rest of the body so the client can read
 * the answer instead of a reset connection, but no more than `maxBytes` or `maxMillis`.
 */
export function discardBody(req: IncomingMessage, maxBytes: number, maxMillis: number): void {
  if (req.complete || req.destroyed) return;
  let n = 0;
  const timer = setTimeout(() => req.socket.destroy(), maxMillis);
  timer.unref();
  req.on('data', (c: Buffer) => {
    n += c.length;
    if (n > maxBytes) {
      clearTimeout(timer);
      req.socket.destroy();
    }
  });
  req.on('end', () => clearTimeout(timer));
  req.on('close', () => clearTimeout(timer));
  req.on('error', () => undefined);
  req.resume();
}

export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A list's page from `?limit=N&before=C` (both optional), or 400 with what is wrong. */
export function pageQuery(url: URL): { limit: number | undefined; before: string | undefined } {
  const limitText = url.searchParams.get('limit');
  const before = url.searchParams.get('before') ?? undefined;
  const limit = limitText === null ? undefined : Number(limitText);
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= LIST_PAGE_MAX)) {
    throw new HttpError(400, `limit must be a whole number from 1 to ${LIST_PAGE_MAX}`);
  }
  if (before !== undefined && parseCursor(before) === undefined) throw new HttpError(400, 'before must be the "next" value of a previous page');
  return { limit, before };
}
