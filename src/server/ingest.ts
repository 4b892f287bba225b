// One upload on its way in: every chunk goes to a temp file and, at the same time, into a
// CaptureParser (through gunzip when the upload starts with the gzip magic), so that a
// non-capture is refused after its first bytes and frames reach the analysis while the upload is
// still arriving. Nothing here throws from data(): a failure is kept and raised by check(), so
// the caller decides when to answer. abort() leaves nothing behind.
import { createWriteStream, type WriteStream } from 'node:fs';
import { createGunzip, type Gunzip } from 'node:zlib';
import { CaptureFormatError, type Anomalies } from '../core/index.js';
import { CaptureParser, type FrameHandler, type ParserInfo } from '../readers/index.js';
import { formatBytes } from './page.js';
import { LimitError } from './http-util.js';
import { removeQuietly } from './store.js';

const GZIP_MAGIC = [0x1f, 0x8b] as const;

export interface IngestLimits {
  /** Bytes a gzip'd upload may decompress to (a zip bomb stops here). */
  maxDecompressed: number;
  /**
   * Decompressed bytes per compressed byte received so far (past DECOMPRESSED_FREE): a bomb stops
   * after a few of its bytes, not after maxDecompressed of them.
   */
  maxRatio: number;
}

/** Decompressed bytes allowed whatever the ratio, so a short, very regular start is not refused. */
export const DECOMPRESSED_FREE = 1024 * 1024;

const enum Mode { Undecided, Plain, Gzip }

export class CaptureIngest {
  readonly #file: WriteStream;
  readonly #parser: CaptureParser;
  #mode = Mode.Undecided;
  #head: Buffer | undefined;
  #gunzip: Gunzip | undefined;
  #gunzipDone: Promise<void> | undefined;
  #failure: Error | undefined;
  #fileError: Error | undefined;
  #closed = false;
  /** Bytes received (as uploaded, compressed or not). */
  bytes = 0;

  constructor(
    readonly source: string,
    readonly tmpPath: string,
    onFrame: FrameHandler,
    private readonly anomalies: Anomalies,
    private readonly limits: IngestLimits,
  ) {
    this.#parser = new CaptureParser(source, onFrame, anomalies);
    // 'wx': the name is fresh and random; never follow or overwrite anything.
    this.#file = createWriteStream(tmpPath, { flags: 'wx', mode: 0o600 });
    this.#file.on('error', (e) => {
      this.#fileError = e;
      this.#failure ??= new Error(`cannot store the upload (${(e as NodeJS.ErrnoException).code ?? e.message})`, { cause: e });
    });
  }

  /** The bytes so far are a capture: its file header was read. */
  get accepted(): boolean {
    return this.#parser.info.format !== undefined;
  }

  get frames(): number {
    return this.#parser.info.frames;
  }

  data(chunk: Buffer): void {
    if (this.#failure !== undefined || chunk.length === 0) return;
    this.bytes += chunk.length;
    this.#file.write(chunk);
    if (this.#mode === Mode.Undecided) {
      // Two bytes tell gzip from not-gzip; a first chunk of one byte waits for the next.
      const head = this.#head === undefined ? chunk : Buffer.concat([this.#head, chunk]);
      if (head.length < 2) {
        this.#head = Buffer.from(head);
        return;
      }
      this.#head = undefined;
      this.#decide(head);
      chunk = head;
    }
    this.#feed(chunk);
  }

  /** Raises what went wrong so far: CaptureFormatError (not a capture), LimitError, or a storage or parser error. */
  check(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Waits until the temp file and gunzip have taken what they were given (backpressure). */
  async settle(): Promise<void> {
    if (this.#file.writableNeedDrain) await waitFor(this.#file, 'drain');
    if (this.#gunzip?.writableNeedDrain) await waitFor(this.#gunzip, 'drain');
    this.check();
  }

  /** The upload is complete: flush, close the file, and return what the parser learnt. */
  async end(): Promise<ParserInfo> {
    if (this.#mode === Mode.Undecided) {
      const head = this.#head;
      this.#head = undefined;
      this.#mode = Mode.Plain;
      if (head !== undefined) this.#feed(head);
    }
    if (this.#gunzip !== undefined) {
      this.#gunzip.end();
      await this.#gunzipDone;
    }
    this.check();
    try {
      this.#parser.end();
    } catch (e) {
      this.#failure = e as Error;
    }
    this.#closed = true;
    this.#file.end();
    await waitFor(this.#file, 'close');
    if (this.#fileError !== undefined) this.#failure ??= this.#fileError;
    this.check();
    return this.#parser.info;
  }

  /** Stops everything and removes the temp file. */
  abort(): void {
    this.#failure ??= new Error('aborted');
    this.#gunzip?.destroy();
    if (!this.#closed) {
      this.#closed = true;
      this.#file.destroy();
      this.#file.once('close', () => removeQuietly(this.tmpPath));
    }
    removeQuietly(this.tmpPath);
  }

  #decide(head: Buffer): void {
    if (head[0] !== GZIP_MAGIC[0] || head[1] !== GZIP_MAGIC[1]) {
      this.#mode = Mode.Plain;
      return;
    }
    this.#mode = Mode.Gzip;
    this.#parser.info.gzip = true;
    const gunzip = createGunzip();
    let out = 0;
    gunzip.on('data', (d: Buffer) => {
      if (this.#failure !== undefined) return;
      out += d.length;
      const { maxDecompressed, maxRatio } = this.limits;
      if (out > maxDecompressed) {
        return this.#stopGunzip(new LimitError('decompressed_size', `the capture decompresses to more than ${formatBytes(maxDecompressed)}, this server's limit`));
      }
      if (out > DECOMPRESSED_FREE && out > maxRatio * this.bytes) {
        return this.#stopGunzip(
          new LimitError('decompression_ratio', `the capture decompresses to more than ${maxRatio} times its compressed size (${formatBytes(out)} from ${formatBytes(this.bytes)}): refused as a decompression bomb`),
        );
      }
      this.#push(d);
    });
    this.#gunzipDone = new Promise<void>((resolve) => {
      gunzip.on('end', resolve);
      gunzip.on('close', resolve);
      gunzip.on('error', (e: NodeJS.ErrnoException) => {
        // As readCaptureStream does: corrupt from the start is not a capture; cut short keeps what came.
        if (this.#parser.info.bytesRead === 0) this.#failure ??= new CaptureFormatError(this.source, 'gzip_corrupt', `corrupt gzip data (${e.code ?? e.message})`);
        else this.anomalies.note('gzip.truncated');
        resolve();
      });
    });
    this.#gunzip = gunzip;
  }

  /** A decompression limit was hit: keep the reason and stop inflating the rest. */
  #stopGunzip(failure: LimitError): void {
    this.#failure ??= failure;
    this.#gunzip?.destroy();
  }

  #feed(chunk: Buffer): void {
    if (this.#mode === Mode.Gzip) this.#gunzip!.write(chunk);
    else this.#push(chunk);
  }

  #push(chunk: Buffer): void {
    try {
      this.#parser.push(chunk);
    } catch (e) {
      this.#failure ??= e as Error;
    }
  }
}

/** Resolves on the event, or when the stream errors or closes first (the error is kept elsewhere). */
function waitFor(stream: NodeJS.EventEmitter & { destroyed?: boolean; closed?: boolean }, event: string): Promise<void> {
  if (stream.closed || (stream.destroyed && event !== 'close')) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off(event, done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on(event, done);
    stream.on('close', done);
    stream.on('error', done);
  });
}
