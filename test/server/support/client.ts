// Test helpers for the upload service: a server in a fresh temp data folder on a free loopback
// port, and real HTTP requests with node:http (which, unlike fetch, reads an answer that arrives
// while the body is still being sent: that is how 413 and 415 come back).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startServer, type RunningServer, type ServeOptions } from '../../../src/server/index.js';

export const SAMPLES = resolve('samples');
export const sample = (name: string): string => join(SAMPLES, name);

export const tempDataDir = (): string => mkdtempSync(join(tmpdir(), 'dualscope-serve-'));

export async function startTestServer(options: Partial<ServeOptions> = {}): Promise<RunningServer & { dataDir: string }> {
  const dataDir = options.dataDir ?? tempDataDir();
  const server = await startServer({ port: 0, host: '127.0.0.1', ...options, dataDir });
  return Object.assign(server, { dataDir });
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json: any;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string | number>;
  /** The whole body, or pieces written one after another (with `pauseMs` between them). */
  body?: Buffer | string | Buffer[];
  pauseMs?: number;
  /** Called after the first piece is written (e.g. to kill the server mid-upload). */
  afterFirstPiece?: () => void | Promise<void>;
  /** Stop after the first piece and destroy the connection (an upload cut off). */
  cutOff?: boolean;
  /** The source address (another 127.x address is another client to the server). */
  localAddress?: string;
}

export function request(url: string, o: RequestOptions = {}): Promise<Answer> {
  return new Promise((resolvePromise, reject) => {
    const pieces = o.body === undefined ? [] : Array.isArray(o.body) ? o.body : [Buffer.from(o.body)];
    const total = pieces.reduce((n, p) => n + p.length, 0);
    const headers: Record<string, string | number> = { ...o.headers };
    const chunked = Object.keys(headers).some((k) => k.toLowerCase() === 'transfer-encoding');
    if (o.body !== undefined && !chunked && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-length')) headers['Content-Length'] = total;
    const req = httpRequest(url, { method: o.method ?? 'GET', headers, localAddress: o.localAddress }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const body = Buffer.concat(parts);
        const text = body.toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body, text, json });
      });
      res.on('error', reject);
    });
    let answered = false;
    req.on('response', () => (answered = true));
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    void (async () => {
      for (let i = 0; i < pieces.length; i++) {
        if (answered || req.destroyed) return;
        req.write(pieces[i]);
        if (i === 0) {
          await o.afterFirstPiece?.();
          if (o.cutOff) {
            await sleep(o.pauseMs ?? 50);
            req.destroy();
            reject(new Error('cut off'));
            return;
          }
        }
        if (o.pauseMs) await sleep(o.pauseMs);
      }
      req.end();
    })();
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Splits a buffer into `n` pieces (for uploads that arrive slowly). */
export function pieces(b: Buffer, n: number): Buffer[] {
  const size = Math.ceil(b.length / n);
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out;
}

export function multipartBody(boundary: string, parts: { name: string; filename?: string; type?: string; data: Buffer | string }[]): Buffer {
  const out: Buffer[] = [Buffer.from('preamble to be ignored\r\n')];
  for (const p of parts) {
    const disp = `form-data; name="${p.name}"${p.filename === undefined ? '' : `; filename="${p.filename}"`}`;
    out.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disp}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ''}\r\n`));
    out.push(Buffer.from(p.data));
    out.push(Buffer.from('\r\n'));
  }
  out.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(out);
}

/** Polls the status until it is done or failed. */
export async function settled(base: string, id: string, headers: Record<string, string> = {}, timeoutMs = 30_000): Promise<Answer> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const a = await request(`${base}/api/analyses/${id}`, { headers });
    if (a.status !== 200 || a.json.status === 'done' || a.json.status === 'failed') return a;
    if (Date.now() > until) throw new Error(`analysis ${id} still ${a.json.status} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Every file under the data folder's captures/, reports/ and tmp/. */
export function filesIn(dataDir: string): { captures: string[]; reports: string[]; tmp: string[] } {
  return {
    captures: readdirSync(join(dataDir, 'captures')),
    reports: readdirSync(join(dataDir, 'reports')),
    tmp: readdirSync(join(dataDir, 'tmp')),
  };
}

/** Waits until `check` passes (or throws its last error after `timeoutMs`). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > until) throw e;
      await sleep(25);
    }
  }
}

/**
 * The server module a child process should run: the built one (dist/, which `npm test` builds
 * first) when every source file is older than its build, else the sources through ts-loader.mjs,
 * which transpiles each file on load (seconds on a busy machine). Never a stale build.
 */
function childServerModule(): { args: string[]; module: string } {
  const built = resolve('dist/src/server/index.js');
  const fresh = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).every((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return fresh(path);
      if (!e.name.endsWith('.ts') || e.name.endsWith('.d.ts')) return true;
      const js = resolve('dist', relative(process.cwd(), path).replace(/\.ts$/, '.js'));
      return existsSync(js) && statSync(js).mtimeMs >= statSync(path).mtimeMs;
    });
  if (existsSync(built) && fresh(resolve('src'))) return { args: [], module: pathToFileURL(built).href };
  return { args: ['--import', resolve('test/server/support/ts-loader.mjs')], module: pathToFileURL(resolve('src/server/index.ts')).href };
}

/**
 * A server in a child process (the real thing, killable with SIGKILL), on the given data folder.
 * Resolves on its readiness line; fails with its stderr if it exits or is not ready in `timeoutMs`.
 */
export async function startChildServer(dataDir: string, timeoutMs = 60_000, options: Record<string, unknown> = {}): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const { args, module } = childServerModule();
  const child = spawn(process.execPath, [...args, resolve('test/server/support/serve-child.mjs'), module, dataDir, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  try {
    const url = await new Promise<string>((resolveUrl, reject) => {
      const timer = setTimeout(() => reject(new Error(`child server not ready after ${timeoutMs} ms: ${stderr}`)), timeoutMs);
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /^listening (http:\/\/\S+)\n/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolveUrl(m[1]!);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`child server exited (${code ?? signal}): ${stderr}`));
      });
    });
    return { child, url, stderr: () => stderr };
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
}

/**
 * A big classic pcap (little-endian, µs) made of a sample's records repeated, each copy shifted
 * a minute later, until it has at least `bytes` bytes: for uploads that take a while.
 */
export function repeatedCapture(pcap: Buffer, bytes: number): Buffer {
  if (pcap.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error('repeatedCapture wants a little-endian µs pcap');
  const records: Buffer[] = [];
  for (let off = 24; off + 16 <= pcap.length; ) {
    const len = 16 + pcap.readUInt32LE(off + 8);
    records.push(pcap.subarray(off, off + len));
    off += len;
  }
  const out: Buffer[] = [pcap.subarray(0, 24)];
  let n = 24;
  for (let copy = 0; n < bytes; copy++) {
    for (const r of records) {
      const c = Buffer.from(r);
      c.writeUInt32LE(r.readUInt32LE(0) + copy * 60, 0);
      out.push(c);
      n += c.length;
    }
  }
  return Buffer.concat(out);
}
