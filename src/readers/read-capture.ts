// readX turns a file into frames. A plain file is read with synchronous reads into one reused
// buffer (about 1.7× faster here than fs streams + for-await); gzip (found by its magic, never by
// the file name), stdin, pipes and live capture go through a Readable.
import { closeSync, fstatSync, openSync, readSync, statSync, createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Anomalies, CaptureFormatError } from '../core/index.js';
import { CaptureParser, type ParserInfo } from './capture-parser.js';
import type { FrameHandler } from './frame.js';

export interface ReadOptions {
  /** Called after each chunk with bytes consumed from the input (compressed bytes for gzip). */
  onProgress?(bytesRead: number, totalBytes: number | undefined): void;
  /** Bytes per read; frames are views into a buffer of this size. */
  chunkSize?: number;
}

export const DEFAULT_CHUNK_SIZE = 1 << 20;
/** Let timers and I/O run between this many synchronous chunk reads. */
const YIELD_EVERY_CHUNKS = 16;
const GZIP_MAGIC = [0x1f, 0x8b] as const;

const isGzip = (b: Buffer): boolean => b.length >= 2 && b[0] === GZIP_MAGIC[0] && b[1] === GZIP_MAGIC[1];
const errCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

/** Reads a capture file (`-` for stdin), calling onFrame for each frame in file order. */
export async function readCapture(path: string, onFrame: FrameHandler, anomalies: Anomalies, opts: ReadOptions = {}): Promise<ParserInfo> {
  if (path === '-') {
    if (process.stdin.isTTY) throw new CaptureFormatError('stdin', 'unreadable', 'standard input is a terminal, not a capture');
    return readCaptureStream('stdin', process.stdin, onFrame, anomalies, opts);
  }
  let fd: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new CaptureFormatError(path, 'not_a_file', 'is a directory, not a capture file');
    fd = openSync(path, 'r');
  } catch (e) {
    if (e instanceof CaptureFormatError) throw e;
    const code = errCode(e);
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : `cannot open (${code ?? String(e)})`;
    throw new CaptureFormatError(path, 'unreadable', why);
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    // A FIFO or device (e.g. `tcpdump -w - | …` through a named pipe): stream it.
    closeSync(fd);
    return readCaptureStream(path, createReadStream(path), onFrame, anomalies, opts);
  }
  if (st.size === 0) {
    closeSync(fd);
    throw new CaptureFormatError(path, 'empty_file', 'the file is empty');
  }
  const chunkSize = Math.max(4096, opts.chunkSize ?? DEFAULT_CHUNK_SIZE);
  const buf = Buffer.allocUnsafe(chunkSize);
  let n: number;
  try {
    n = readSync(fd, buf, 0, chunkSize, null);
  } catch (e) {
    closeSync(fd);
    throw new CaptureFormatError(path, 'unreadable', `cannot read (${errCode(e) ?? String(e)})`);
  }
  if (isGzip(buf.subarray(0, n))) {
    closeSync(fd);
    return readCaptureStream(path, createReadStream(path), onFrame, anomalies, opts, st.size);
  }
  const parser = new CaptureParser(path, onFrame, anomalies);
  try {
    let chunks = 0;
    while (n > 0) {
      // push() finishes with the chunk (copying only a partial trailing record) before the buffer is reused.
      parser.push(n === chunkSize ? buf : buf.subarray(0, n));
      opts.onProgress?.(parser.info.bytesRead, st.size);
      if (++chunks % YIELD_EVERY_CHUNKS === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      n = readSync(fd, buf, 0, chunkSize, null);
    }
  } finally {
    closeSync(fd);
  }
  parser.end();
  return parser.info;
}

/**
 * Reads a capture from any Readable (stdin, a pipe, a live capture's pcap stream, an upload),
 * gunzipping when it starts with the gzip magic. `totalBytes` is only for onProgress.
 */
export async function readCaptureStream(
  source: string,
  readable: Readable,
  onFrame: FrameHandler,
  anomalies: Anomalies,
  opts: ReadOptions = {},
  totalBytes?: number,
): Promise<ParserInfo> {
  const parser = new CaptureParser(source, onFrame, anomalies);
  const input = readable[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let first: Buffer | undefined;
  try {
    first = await nextBuffer(input);
  } catch (e) {
    throw new CaptureFormatError(source, 'unreadable', `cannot read (${errCode(e) ?? String(e)})`);
  }
  if (first === undefined) {
    parser.end(); // throws empty_file
    return parser.info;
  }
  let consumed = 0;
  if (!isGzip(first)) {
    try {
      for (let chunk: Buffer | undefined = first; chunk !== undefined; chunk = await nextBuffer(input)) {
        parser.push(chunk);
        consumed += chunk.length;
        opts.onProgress?.(consumed, totalBytes);
      }
    } catch (e) {
      if (e instanceof CaptureFormatError) throw e;
      throw new CaptureFormatError(source, 'unreadable', `read failed after ${consumed} bytes (${errCode(e) ?? String(e)})`);
    }
    parser.end();
    return parser.info;
  }
  parser.info.gzip = true;
  async function* compressed(): AsyncGenerator<Buffer> {
    for (let chunk: Buffer | undefined = first; chunk !== undefined; chunk = await nextBuffer(input)) {
      consumed += chunk.length;
      yield chunk;
    }
  }
  const gunzip = Readable.from(compressed()).pipe(createGunzip());
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      parser.push(chunk);
      opts.onProgress?.(consumed, totalBytes);
    }
  } catch (e) {
    if (e instanceof CaptureFormatError) throw e;
    // zlib: the stream ended early or is corrupt. Keep what was decompressed before.
    if (parser.info.bytesRead === 0) throw new CaptureFormatError(source, 'gzip_corrupt', `corrupt gzip data (${errCode(e) ?? String(e)})`);
    anomalies.note('gzip.truncated');
  }
  parser.end();
  return parser.info;
}

async function nextBuffer(it: AsyncIterator<Buffer | string>): Promise<Buffer | undefined> {
  for (;;) {
    const r = await it.next();
    if (r.done) return undefined;
    const b = typeof r.value === 'string' ? Buffer.from(r.value, 'latin1') : r.value;
    if (b.length > 0) return b;
  }
}
