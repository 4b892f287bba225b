// Test helpers for the upload service: a server in a fresh temp data folder on a free loopback
// port, and real HTTP requests with node:http (which, unlike fetch, reads an answer that arrives
// while the body is still being sent: that is how 413 and 415 come back).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
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
}

export function request(url: string, o: RequestOptions = {}): Promise<Answer> {
  return new Promise((resolvePromise, reject) => {
    const pieces = o.body === undefined ? [] : Array.isArray(o.body) ? o.body : [Buffer.from(o.body)];
    const total = pieces.reduce((n, p) => n + p.length, 0);
    const headers: Record<string, string | number> = { ...o.headers };
    const chunked = Object.keys(headers).some((k) => k.toLowerCase() === 'transfer-encoding');
    if (o.body !== undefined && !chunked && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-length')) headers['Content-Length'] = total;
    const req = httpRequest(url, { method: o.method ?? 'GET', headers }, (res) => {
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

/** A server in a child process (the real thing, killable with SIGKILL), on the given data folder. */
export async function startChildServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', resolve('test/server/support/ts-loader.mjs'), resolve('test/server/support/serve-child.ts'), dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = await new Promise<string>((resolveUrl, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^(http:\/\/\S+)\n/m.exec(out);
      if (m) resolveUrl(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`child server exited (${code}): ${stderr}`)));
  });
  return { child, url };
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
