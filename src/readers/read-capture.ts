// readX turns a file into frames. A plain file is read into two reused buffers in turn: while one
// is parsed, the next chunk is read into the other on libuv's thread pool, so the copy out of the
// page cache (~0.14 s per million bench packets, 8 % of the analysis) overlaps the parsing instead
// of adding to it. That is about 1.7× faster here than fs streams + for-await. Gzip (found by its
// magic, never by the file name), stdin, pipes and live capture go through a Readable.
import { closeSync, fstatSync, openSync, read, readSync, statSync, createReadStream } from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Anomalies, CaptureFormatError } from '../core/index.js';
import { CaptureParser, type ParserInfo, type RecordHandler } from './capture-parser.js';
import type { FrameHandler } from './frame.js';

export interface ReadOptions {
  /** Called after each chunk with bytes consumed from the input (compressed bytes for gzip). */
  onProgress?(bytesRead: number, totalBytes: number | undefined): void;
  /** Bytes per read; frames are views into a buffer of this size. */
  chunkSize?: number;
  /** Called with every record as stored, after its frame (writers copy a capture with it). */
  onRecord?: RecordHandler;
}

/**
 * Bytes per read. Each chunk costs a trip through the event loop for its read's completion (a
 * 2.2 GB file at 1 MiB is ~2,100 of them, a few ms in all). Two buffers of this size are kept, and
 * they count in full towards peak RSS: 1 MiB rather than 4 MiB is 6 MB less, for the same CPU time
 * (reading the easy 1 M file, alternating runs: 0.61–0.73 s user+sys against 0.66–1.11 s at 4 MiB).
 */
export const DEFAULT_CHUNK_SIZE = 1 << 20;
const GZIP_MAGIC = [0x1f, 0x8b] as const;

const isGzip = (b: Buffer): boolean => b.length >= 2 && b[0] === GZIP_MAGIC[0] && b[1] === GZIP_MAGIC[1];
const errCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

/** One read at the file's current position, on the thread pool. */
const readChunk = (fd: number, buf: Buffer): Promise<number> =>
  new Promise((resolve, reject) => read(fd, buf, 0, buf.length, null, (e, n) => (e ? reject(e) : resolve(n))));

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
    // A FIFO or device (e.g. `tcpdump -w - | …` through a named pipe): stream it from the fd
    // already open. Closing and reopening a FIFO would hang up on its writer (EPIPE) and then
    // wait for ever for another one.
    return readCaptureStream(path, createReadStream('', { fd, autoClose: true }), onFrame, anomalies, opts);
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
  const parser = new CaptureParser(path, onFrame, anomalies, opts.onRecord);
  // `buf` holds the chunk being parsed; `next` receives the one after it meanwhile. push() is done
  // with a chunk (copying only a partial trailing record) before its buffer is read into again.
  let next = Buffer.allocUnsafe(chunkSize);
  let current = buf;
  try {
    while (n > 0) {
      const reading = readChunk(fd, next).catch((e: unknown) => e as Error);
      try {
        parser.push(n === chunkSize ? current : current.subarray(0, n));
        opts.onProgress?.(parser.info.bytesRead, st.size);
      } catch (e) {
        await reading; // never leave a read running into a buffer, or the fd closing under it
        throw e;
      }
      const got = await reading;
      if (typeof got !== 'number') {
        throw new CaptureFormatError(path, 'unreadable', `read failed after ${parser.info.bytesRead} bytes (${errCode(got) ?? String(got)})`);
      }
      n = got;
      [current, next] = [next, current];
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
 *
 * Only the input's own failures become a CaptureFormatError (`unreadable`, or gzip damage); an
 * error thrown by the parser or by onFrame (a bug, or a caller's stop signal such as `dump -c`)
 * comes out unchanged. An input not read to its end is destroyed, so nothing stays open behind it.
 */
export async function readCaptureStream(
  source: string,
  readable: Readable,
  onFrame: FrameHandler,
  anomalies: Anomalies,
  opts: ReadOptions = {},
  totalBytes?: number,
): Promise<ParserInfo> {
  const parser = new CaptureParser(source, onFrame, anomalies, opts.onRecord);
  const input = readable[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let consumed = 0;
  const next = async (): Promise<Buffer | undefined> => {
    try {
      return await nextBuffer(input);
    } catch (e) {
      const why = consumed === 0 ? 'cannot read' : `read failed after ${consumed} bytes`;
      throw new CaptureFormatError(source, 'unreadable', `${why} (${errCode(e) ?? String(e)})`);
    }
  };
  try {
    let first = await next();
    // The gzip magic is two bytes, and a pipe may deliver them one at a time.
    while (first !== undefined && first.length < GZIP_MAGIC.length) {
      const more = await next();
      if (more === undefined) break;
      first = Buffer.concat([first, more]);
    }
    if (first === undefined) {
      parser.end(); // throws empty_file
      return parser.info;
    }
    if (isGzip(first)) {
      parser.info.gzip = true;
      await gunzipInto(parser, anomalies, first, next, (n) => (consumed += n), () => opts.onProgress?.(consumed, totalBytes));
    } else {
      for (let chunk: Buffer | undefined = first; chunk !== undefined; chunk = await next()) {
        parser.push(chunk);
        consumed += chunk.length;
        opts.onProgress?.(consumed, totalBytes);
      }
    }
  } finally {
    // Stopped early (onFrame's or the parser's error, an I/O error, gzip damage): release the input.
    if (!readable.readableEnded) readable.destroy();
  }
  parser.end();
  return parser.info;
}

/**
 * Decompresses `first` and what `next` yields into the parser. zlib's errors (codes `Z_…`) are
 * damage: gzip_corrupt when nothing came out, else the gzip.truncated anomaly and the frames
 * before are kept. next()'s CaptureFormatError and the parser's (or onFrame's) errors propagate
 * unchanged.
 */
async function gunzipInto(
  parser: CaptureParser,
  anomalies: Anomalies,
  first: Buffer,
  next: () => Promise<Buffer | undefined>,
  onCompressed: (n: number) => void,
  onProgress: () => void,
): Promise<void> {
  async function* compressed(): AsyncGenerator<Buffer> {
    for (let chunk: Buffer | undefined = first; chunk !== undefined; chunk = await next()) {
      onCompressed(chunk.length);
      yield chunk;
    }
  }
  const gunzip = createGunzip();
  // pipeline (not pipe) so that a failed input destroys gunzip with the input's error.
  pipeline(Readable.from(compressed()), gunzip, () => {});
  const out = gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  try {
    for (;;) {
      let r: IteratorResult<Buffer>;
      try {
        r = await out.next();
      } catch (e) {
        if (e instanceof CaptureFormatError) throw e;
        const code = errCode(e) ?? String(e);
        if (!code.startsWith('Z_')) throw new CaptureFormatError(parser.source, 'unreadable', `decompression failed (${code})`);
        if (parser.info.bytesRead === 0) throw new CaptureFormatError(parser.source, 'gzip_corrupt', `corrupt gzip data (${code})`);
        anomalies.note('gzip.truncated');
        return;
      }
      if (r.done === true) return;
      parser.push(r.value);
      onProgress();
    }
  } finally {
    gunzip.destroy();
  }
}

async function nextBuffer(it: AsyncIterator<Buffer | string>): Promise<Buffer | undefined> {
  for (;;) {
    const r = await it.next();
    if (r.done) return undefined;
    const b = typeof r.value === 'string' ? Buffer.from(r.value, 'latin1') : r.value;
    if (b.length > 0) return b;
  }
}
