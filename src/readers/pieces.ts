// One capture cut into pieces at record boundaries, so that several threads can analyse one file.
//
// planPieces is one pass over the file with the ordinary parser (no decoding): it yields the
// capture's facts exactly as a one-thread read does, and finds where each piece starts. Every record
// is a pcap record or a pcapng block; a piece starts at a packet record at or after a multiple of
// `pieceBytes`. A piece read on its own needs what came before it in the file to be framed: the
// pcap file header, or the pcapng section header and every interface description block of the
// section so far (packets name interfaces by their position). That *header* is kept with each
// piece, and readPiece parses it before the piece's own bytes.
//
// A piece is read with a lead-in: the frames before it whose time is at most `contextMicros` before
// its first frame. Checkpoints every CHECKPOINT_RECORDS records remember (offset, frame number,
// latest time so far, header), so the lead-in is read from the latest checkpoint before which every
// frame is older than that: reading starts there and drops the older frames the checkpoint's span
// still holds, which is exactly "every earlier frame at most contextMicros older".
//
// Gzip is decompressed once, by this pass, into a temporary file of the records as stored (the
// bytes up to any damage): the pieces are read from it, and the caller removes it.
import { closeSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { Anomalies, CaptureFormatError, type Micros } from '../core/index.js';
import { CaptureParser, type ParserInfo, type RawRecord } from './capture-parser.js';
import type { Frame, FrameHandler } from './frame.js';
import { readCapture, DEFAULT_CHUNK_SIZE } from './read-capture.js';
import { BlockType } from './formats.js';

/** Records between checkpoints: the lead-in starts at most this many records early. */
const CHECKPOINT_RECORDS = 1024;

export interface Piece {
  /** 0-based. */
  readonly seq: number;
  /** The file the piece is read from: the capture, or the decompressed copy of a gzip one. */
  readonly path: string;
  /** Bytes to parse before the file's bytes at `readFrom` (empty when reading from offset 0). */
  readonly header: Uint8Array;
  /** Where reading starts (the lead-in's first record, or the piece's own when there is none). */
  readonly readFrom: number;
  /** The frame number of the last numbered record before `readFrom`. */
  readonly numberBefore: number;
  /** Lead-in frames older than this are dropped. */
  readonly leadInFrom: Micros;
  /** The piece's own records are those starting in [ownedFrom, ownedTo). */
  readonly ownedFrom: number;
  readonly ownedTo: number;
  /** The frame number of the piece's first frame, and its time. */
  readonly firstFrame: number;
  readonly firstTime: Micros;
}

export interface PlanOptions {
  /** A piece starts at the first packet record at or after each multiple of this (bytes of the, decompressed, file). */
  pieceBytes: number;
  /** Lead-in length (µs). */
  contextMicros: Micros;
  /** A piece spans at least this much capture time (µs) before the next may start. */
  minPieceMicros: Micros;
  /** Where a gzip capture is decompressed to (created, and left for the caller to remove). */
  gunzipTo: string;
  /**
   * Called with each piece as soon as it can be read: for a plain file when the pass has found its
   * end (the next piece's start) or, for the last piece, its start (no boundary is left before the
   * file's end, so it owns the rest: its thread starts while the pass reads on for the capture's
   * facts); for gzip after the pass.
   */
  onPiece(piece: Piece): void;
  /** Sees every frame of the pass (before onPiece for a piece starting with it). */
  onFrame?: FrameHandler;
  /**
   * Called once, when the pass has read FORECAST_SHARE of a plain file's bytes (not for gzip, whose
   * size is not known), with the capture time that share spans: the caller can foresee whether
   * the file will be cut, and start its threads while the pass reads on, or give up (return false):
   * the pass stops and planPieces returns undefined, having handed on no piece.
   */
  onForecast?(spanMicros: Micros, share: number): boolean;
}

/** Share of a plain file read before onForecast is called. */
export const FORECAST_SHARE = 1 / 8;

/** Thrown from the pass's record handler when onForecast gave up. */
class PassAbandoned extends Error {}

interface Checkpoint {
  offset: number;
  numberBefore: number;
  /** The latest frame time before the checkpoint (−∞ before the first). */
  maxTimeBefore: Micros;
  header: Uint8Array;
}

/**
 * The pass: returns the capture's facts as a one-thread read gives them (its parser anomalies are
 * noted in `anomalies`), after calling onPiece for every piece; undefined when onForecast gave up.
 * Throws CaptureFormatError when nothing is readable, as readCapture does.
 */
export async function planPieces(path: string, anomalies: Anomalies, o: PlanOptions): Promise<ParserInfo | undefined> {
  const gzip = isGzipFile(path) ? new GunzipCopy(o.gunzipTo) : undefined;
  // No piece starts at or past the file's end: a piece with no boundary left before it is the last.
  const fileBytes = gzip ? Number.POSITIVE_INFINITY : statSync(path, { throwIfNoEntry: false })?.size ?? Number.POSITIVE_INFINITY;
  const at = new PassPosition(o.pieceBytes, o.onForecast !== undefined ? fileBytes * FORECAST_SHARE : Number.POSITIVE_INFINITY);
  let header: Uint8Array = new Uint8Array(0);
  const checkpoints: Checkpoint[] = [];
  let pieces = 0;
  let current: Piece | undefined;
  /** The last piece has started (and been handed on): the pass only reads on for the facts. */
  let lastStarted = false;
  const held: Piece[] = [];
  // A piece can be read once its end is known; a gzip capture's once its copy is complete.
  const done = (p: Piece): void => {
    if (gzip) held.push(p);
    else o.onPiece(p);
  };

  const leadInStart = (firstTime: Micros): Checkpoint => {
    const from = firstTime - o.contextMicros;
    // maxTimeBefore grows with the offset: the last checkpoint with everything before it older.
    let lo = 0;
    let hi = checkpoints.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (checkpoints[mid]!.maxTimeBefore < from) lo = mid;
      else hi = mid - 1;
    }
    return checkpoints[lo]!;
  };

  const onFrame: FrameHandler = (f: Frame) => {
    at.frameTime = f.time;
    o.onFrame?.(f);
  };
  const onRecord = (r: RawRecord): void => {
    gzip?.write(r.bytes, r.offset, r.length);
    // A piece starts at a packet record past the next boundary, once the piece before spans at
    // least minPieceMicros (a piece shorter than its lead-in would mostly analyse its neighbour's frames).
    const offset = at.offset;
    const frameTime = at.frameTime;
    const startsPiece = r.delivered && !lastStarted && (current === undefined || (offset >= at.nextBoundary && frameTime >= current.firstTime + o.minPieceMicros));
    if (++at.sinceCheckpoint >= CHECKPOINT_RECORDS || startsPiece) {
      at.sinceCheckpoint = 0;
      checkpoints.push({ offset, numberBefore: at.number, maxTimeBefore: at.maxTime, header });
    }
    if (startsPiece) {
      const lead = current === undefined ? checkpoints[0]! : leadInStart(frameTime);
      if (current !== undefined) done({ ...current, ownedTo: offset });
      current = {
        seq: pieces++,
        path: gzip ? o.gunzipTo : path,
        header: lead.offset === 0 ? new Uint8Array(0) : lead.header,
        readFrom: lead.offset,
        numberBefore: lead.numberBefore,
        leadInFrom: frameTime - o.contextMicros,
        // The first piece also owns what precedes its first packet (headers, non-packet blocks).
        ownedFrom: pieces === 1 ? 0 : offset,
        ownedTo: Number.POSITIVE_INFINITY,
        firstFrame: r.frame,
        firstTime: frameTime,
      };
      at.nextBoundary = (Math.floor(offset / o.pieceBytes) + 1) * o.pieceBytes;
      if (at.nextBoundary >= fileBytes) {
        done(current);
        current = undefined;
        lastStarted = true;
      }
    }
    if (r.frame > 0) at.number = r.frame;
    if (r.delivered) {
      if (frameTime > at.maxTime) at.maxTime = frameTime;
      if (Number.isNaN(at.firstFrameTime)) at.firstFrameTime = frameTime;
    }
    if (offset >= at.forecastAt) {
      at.forecastAt = Number.POSITIVE_INFINITY;
      if (!o.onForecast!(Number.isNaN(at.firstFrameTime) ? 0 : at.maxTime - at.firstFrameTime, offset / fileBytes)) throw new PassAbandoned();
    }
    header = nextHeader(header, r);
    at.offset = offset + r.length;
  };
  let result: ParserInfo;
  try {
    result = await readCapture(path, onFrame, anomalies, { onRecord });
  } catch (e) {
    if (e instanceof PassAbandoned) return undefined;
    throw e;
  } finally {
    gzip?.close();
  }
  if (current !== undefined) done(current); // the last piece owns everything to the end of the file
  for (const p of held) o.onPiece(p);
  return result;
}

/**
 * Where the pass is, updated per record. Fields of one object rather than variables of the pass's
 * closure: a closure variable that holds a number beyond a small integer (a time in µs, an offset
 * past 1 GiB) is a new heap number at every assignment, an object's number field is updated in
 * place (the easy bench file's pass: 5 M records, ~240 MB of such numbers made it a quarter
 * garbage collection).
 */
class PassPosition {
  /** Where the next record starts. */
  offset = 0;
  /** The last frame number given out. */
  number = 0;
  /** The latest frame time so far (−∞ before the first). */
  maxTime = Number.NEGATIVE_INFINITY;
  /** The time of the record being handed to onRecord, when it is a frame. */
  frameTime = 0;
  firstFrameTime = Number.NaN;
  /** Records since the last checkpoint: a checkpoint at the first record. */
  sinceCheckpoint = CHECKPOINT_RECORDS;

  constructor(
    /** The next piece starts at a packet record at or after this offset. */
    public nextBoundary: number,
    /** Where onForecast is called (+∞: not, or already called). */
    public forecastAt: number,
  ) {}
}

/** Whether the file starts with the gzip magic (false when it cannot be read: the reader says why). */
export function isGzipFile(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false; // readCapture says why
  }
  try {
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** The header a piece starting after `r` needs: the pcap file header, or the section's SHB and IDBs. */
function nextHeader(header: Uint8Array, r: RawRecord): Uint8Array {
  if (r.format === 'pcap') return r.frame === 0 && !r.delivered && header.length === 0 ? copy(r) : header;
  const type = r.littleEndian ? r.bytes.readUInt32LE(r.offset) : r.bytes.readUInt32BE(r.offset);
  if (type === BlockType.SectionHeader) return copy(r);
  if (type === BlockType.InterfaceDescription) return Buffer.concat([header, r.bytes.subarray(r.offset, r.offset + r.length)]);
  return header;
}

const copy = (r: RawRecord): Uint8Array => Buffer.from(r.bytes.subarray(r.offset, r.offset + r.length));

/** The decompressed records, written through a buffer (one write per MiB, not per record). */
class GunzipCopy {
  readonly #fd: number;
  readonly #buf = Buffer.allocUnsafe(1 << 20);
  #used = 0;

  constructor(path: string) {
    this.#fd = openSync(path, 'w', 0o600);
  }

  write(b: Buffer, off: number, len: number): void {
    if (this.#used + len > this.#buf.length) this.#flush();
    if (len > this.#buf.length) {
      writeSync(this.#fd, b, off, len);
      return;
    }
    b.copy(this.#buf, this.#used, off, off + len);
    this.#used += len;
  }

  #flush(): void {
    let done = 0;
    while (done < this.#used) done += writeSync(this.#fd, this.#buf, done, this.#used - done);
    this.#used = 0;
  }

  close(): void {
    this.#flush();
    closeSync(this.#fd);
  }
}

/** Thrown by a piece's frame handler to stop reading (the run-out is over). */
export class StopReading extends Error {}

/**
 * Reads a piece: its header, then the file from `readFrom`, calling onFrame with each frame, its
 * number in the whole file and the file offset of its record, until the end of the file or until
 * onFrame throws StopReading. Parser anomalies go to a counter of their own: the pass counted them
 * once for the whole file.
 */
export function readPiece(piece: Piece, onFrame: (frame: Frame, number: number, offset: number) => void, chunkSize = DEFAULT_CHUNK_SIZE): void {
  const parserAnomalies = new Anomalies();
  const renumbered = new RenumberedFrame();
  renumbered.offset = piece.numberBefore;
  const base = piece.readFrom - piece.header.length;
  const parser: CaptureParser = new CaptureParser(piece.path, (f) => {
    renumbered.inner = f;
    onFrame(renumbered, f.index + piece.numberBefore, base + parser.unitStart);
  }, parserAnomalies);
  let fd: number;
  try {
    fd = openSync(piece.path, 'r');
  } catch (e) {
    throw new CaptureFormatError(piece.path, 'unreadable', `cannot open (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    if (piece.header.length > 0) parser.push(Buffer.from(piece.header));
    const size = statSync(piece.path).size;
    const buf = Buffer.allocUnsafe(Math.max(4096, Math.min(chunkSize, size - piece.readFrom)));
    chunkSize = buf.length;
    for (let pos = piece.readFrom; pos < size; ) {
      const n = readSync(fd, buf, 0, chunkSize, pos);
      if (n <= 0) break;
      parser.push(n === chunkSize ? buf : buf.subarray(0, n));
      pos += n;
    }
    parser.end();
  } catch (e) {
    if (!(e instanceof StopReading)) throw e;
  } finally {
    closeSync(fd);
  }
}

/** A frame renumbered by an offset (one object, refilled per frame): context files, pieces. */
export class RenumberedFrame implements Frame {
  inner!: Frame;
  offset = 0;
  get index(): number { return this.inner.index + this.offset; }
  get time(): Micros { return this.inner.time; }
  get nanos(): number { return this.inner.nanos; }
  get linkType(): number { return this.inner.linkType; }
  get caplen(): number { return this.inner.caplen; }
  get origlen(): number { return this.inner.origlen; }
  get iface(): number { return this.inner.iface; }
  get data(): Buffer { return this.inner.data; }
  get bytes(): Buffer | undefined { return this.inner.bytes; }
  get dataOffset(): number | undefined { return this.inner.dataOffset; }
  get dataEnd(): number | undefined { return this.inner.dataEnd; }
}
