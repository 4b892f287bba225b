// Every core on one file: `analyze FILE --jobs N`. The file is cut into pieces at record boundaries
// (readers/pieces.ts: one pass that also yields the capture's facts, and decompresses gzip once into
// a temporary file), each piece is analysed on a thread of the worker pool with a lead-in and a
// run-out (OwnedRange in analyze.ts, as the files of a batch capture set), and the pieces' findings,
// counts, timelines and the states of the detectors that restate at finish are merged into the one
// report the one-thread analysis makes (PieceMerger). A file that makes one piece is analysed on
// this thread as analyzeFile does; otherwise this thread analyses the first piece itself, after the
// cutting pass, and the pool has one thread fewer than `jobs` (a thread's start-up and a heap saved:
// this thread would only wait).
//
// What cannot be the same: state older than the lead-in. A piece knows nothing of what happened more
// than `contextSeconds` before its first frame (a connection whose handshake came earlier is seen
// mid-stream, as in a capture started late); see README "Every core on one file".
//
// The context: 60 s by default, the longest look-back of the trackers and detectors that matters in
// practice (an A answer and a separate AAAA lookup pair within 60 s; a re-ask after a large answer
// within 30 s; resolver retries within 30 s), and a piece spans at least four of them so that it
// does more of its own work than its neighbours'. A dense capture of a few minutes therefore stays
// one piece; --piece-context shorter splits it, at the price of the exceptions in the README.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Anomalies, secondsToMicros, type Micros } from '../core/index.js';
import { isGzipFile, planPieces, readPiece, StopReading, type Piece } from '../readers/index.js';
import { PacketDecoder } from '../decode/index.js';
import type { Report } from '../report/index.js';
import { Analysis, analyzeFile, PieceMerger, type AnalyzeOptions, type PieceResult } from '../analyze.js';
import { jobAnalyzeOptions, type JobAnalyzeOptions, type JobResult } from './jobs.js';
import { ThreadPool, type JobRunner } from './pool.js';

/**
 * Files smaller than this stay on one thread: below it the pass that cuts the file, the threads'
 * start-up and the lead-ins cost about what a second core saves.
 */
export const MIN_SPLIT_BYTES = 64 << 20;

/** Lead-in and run-out of each piece, as a batch capture set's (seconds). */
export const DEFAULT_PIECE_CONTEXT_SECONDS = 60;

/**
 * A piece spans at least this many lead-ins of capture time: a shorter one would spend more of its
 * work on its neighbour's frames than on its own (a dense capture of a few minutes stays one piece).
 */
const MIN_PIECE_SPAN_IN_CONTEXTS = 4;

/**
 * Forces pieces of about this many bytes on any file (tests: several pieces out of a small real
 * capture). Internal; not an option users need.
 */
export const PIECE_BYTES_ENV = 'DUALSCOPE_PIECE_BYTES';

export interface PieceJob {
  readonly type: 'piece';
  /** The file the report names. */
  readonly path: string;
  readonly piece: Piece;
  /** The whole file's overview origin: the first decoded packet's time (undefined: the piece's own). */
  readonly origin: Micros | undefined;
  readonly contextMicros: Micros;
  readonly options: JobAnalyzeOptions;
}

export interface PiecesOptions {
  jobs: number;
  analyze: JobAnalyzeOptions;
  contextSeconds: number;
  /** Bytes per piece; default: the file in `jobs` equal pieces (or PIECE_BYTES_ENV). */
  pieceBytes: number | undefined;
  /** A runner for the pieces after the first (tests); default: a pool of `jobs` − 1 threads, closed at the end. */
  runner: JobRunner | undefined;
  /** Told how many pieces the file was cut into, at the end of the cutting pass. */
  onPieces?: (pieces: number) => void;
  /** A file that makes one piece is analysed here: its progress, as analyzeFile reports it. */
  onProgress?: AnalyzeOptions['onProgress'];
}

/** Whether analyze splits `path` across threads: more than one job, a regular file, big enough (or forced). */
export function shouldSplit(path: string, jobs: number): boolean {
  if (jobs <= 1 || path === '-') return false;
  try {
    const st = statSync(path);
    return st.isFile() && (st.size >= MIN_SPLIT_BYTES || forcedPieceBytes() !== undefined);
  } catch {
    return false; // the one-thread reader says why
  }
}

function forcedPieceBytes(): number | undefined {
  const v = Number(process.env[PIECE_BYTES_ENV]);
  return Number.isSafeInteger(v) && v > 0 ? v : undefined;
}

/**
 * Analyses one file in pieces on several threads; the report is the one-thread report (see the
 * top). Throws CaptureFormatError when nothing is readable, as analyzeFile does.
 */
export async function analyzeInPieces(path: string, partial: Partial<PiecesOptions> = {}): Promise<Report> {
  const o: PiecesOptions = { jobs: 2, analyze: {}, contextSeconds: DEFAULT_PIECE_CONTEXT_SECONDS, pieceBytes: undefined, runner: undefined, ...partial };
  const size = statSync(path).size;
  const gzipped = isGzipFile(path);
  // A gzip file's pieces are cut from its decompressed bytes: about 4× the file, a guess that only
  // sets how evenly the threads share the work.
  const dataBytes = gzipped ? size * 4 : size;
  const forced = o.pieceBytes ?? forcedPieceBytes();
  // One piece per thread, so that the threads finish together: every boundary costs a lead-in and a
  // run-out of work, and a piece more than threads runs alone at the end (the easy bench file, 2.2 GB
  // in pieces of at most 256 MiB and at least four contexts, made three pieces on two threads: 3
  // pieces took 8.0–8.9 s against 6.8–7.8 s on one thread). What a thread holds does not grow with
  // its piece (an analysis's state is bounded).
  const pieceBytes = forced ?? Math.max(1, Math.ceil(dataBytes / o.jobs));
  // Threads are started only once the file is known to make two pieces or more; this thread is one.
  let runner = o.runner;
  const threads = (): JobRunner => (runner ??= new ThreadPool(Math.max(1, o.jobs - 1)));
  const tmp = mkdtempSync(join(tmpdir(), 'dualscope-pieces-'));
  const readerAnomalies = new Anomalies();
  const contextMicros = secondsToMicros(o.contextSeconds);
  const merger = new PieceMerger(jobAnalyzeOptions(o.analyze));
  // Results are merged in file order: one that finishes early waits for those before it.
  const running: Promise<PieceResult>[] = [];
  let merged = Promise.resolve();
  let origin: Micros | undefined;
  const decoder = new PacketDecoder(new Anomalies());
  const follow = (result: Promise<PieceResult>): void => {
    running.push(result);
    merged = merged.then(async () => merger.add(await result));
    merged.catch(() => undefined); // seen here at once; awaited (and thrown) after the pass
    result.catch(() => undefined);
  };
  const dispatch = (job: PieceJob): void => follow(runPieceJob(threads(), job));
  // The first piece waits for the second: a file that makes one piece is analysed here, as one
  // thread analyses it (no thread, nothing copied). Otherwise it is analysed here too, once the pass
  // is over (its result settles `mine`).
  let first: PieceJob | undefined;
  let mine: { job: PieceJob; settle: (r: PieceResult) => void; fail: (e: unknown) => void } | undefined;
  try {
    const minPieceMicros = forced !== undefined ? 0 : MIN_PIECE_SPAN_IN_CONTEXTS * contextMicros;
    const info = await planPieces(path, readerAnomalies, {
      pieceBytes,
      contextMicros,
      minPieceMicros,
      gunzipTo: join(tmp, 'capture'),
      // The overview starts at the first packet the analysis decodes: the same decoder, on the same
      // first frames, finds it here (a few frames, then nothing more is decoded).
      onFrame: (f) => {
        if (origin === undefined && decoder.decode(f) !== undefined) origin = f.time;
      },
      // Early in the pass, what it has read foretells whether a second piece can start (only
      // once the first spans minPieceMicros): when the whole capture, at the rate read so far,
      // would span less than half of that, the file is analysed here at once (the edge bench
      // file, 40 s of capture, no longer waits for a pass over all of it); when it would span the
      // minimum, the threads start now and load their code while the pass reads on (0.3 s of CPU
      // each, that had come after the pass reached their piece).
      onForecast: (spanMicros, share) => {
        const projected = spanMicros / share;
        if (projected < minPieceMicros / 2) return false;
        if (projected >= minPieceMicros) threads();
        return true;
      },
      onPiece: (piece) => {
        const job: PieceJob = { type: 'piece', path, piece, origin: piece.seq === 0 ? undefined : origin, contextMicros, options: o.analyze };
        if (piece.seq === 0) {
          first = job;
          return;
        }
        if (first !== undefined) {
          const job0 = first;
          follow(new Promise<PieceResult>((settle, fail) => (mine = { job: job0, settle, fail })));
        }
        first = undefined;
        dispatch(job);
      },
    });
    if (info === undefined || first !== undefined || running.length === 0) {
      o.onPieces?.(1);
      rmSync(tmp, { recursive: true, force: true });
      return await analyzeFile(path, { ...jobAnalyzeOptions(o.analyze), onProgress: o.onProgress });
    }
    o.onPieces?.(running.length);
    if (mine !== undefined) {
      const { job, settle, fail } = mine;
      mine = undefined;
      try {
        settle(pieceResult(analyzePiece(job), job));
      } catch (e) {
        fail(e);
      }
    }
    await merged;
    return merger.report(path, info, readerAnomalies);
  } finally {
    // The pass failed after the first piece was kept for this thread: it is not analysed.
    mine?.fail(new Error(`${path}: not analysed: the cutting pass failed`));
    // A failed piece leaves the others running: wait for them before removing what they read.
    await Promise.allSettled(running);
    if (o.runner === undefined) await runner?.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function runPieceJob(runner: JobRunner, job: PieceJob): Promise<PieceResult> {
  return pieceResult(await runner.run(job), job);
}

function pieceResult(r: JobResult, job: PieceJob): PieceResult {
  if (r.ok && r.type === 'piece') return r.result;
  throw new Error(r.ok ? `${job.path}: unexpected result` : r.error);
}

/** A worker's part: one piece, its lead-in and run-out read from the file (see OwnedRange). */
export function analyzePiece(job: PieceJob): JobResult {
  const { piece, contextMicros } = job;
  const owned = { firstFrame: piece.firstFrame, lastFrame: Number.MAX_SAFE_INTEGER };
  const options: Partial<AnalyzeOptions> = { ...jobAnalyzeOptions(job.options), owned, timeline: { origin: job.origin }, pieceOfFile: true };
  const analysis = new Analysis(options);
  let phase = 'lead-in' as 'lead-in' | 'own' | 'run-out';
  let stopped = false;
  // A field, not a closure variable, updated per frame: see PassPosition in readers/pieces.ts.
  const at = { lastOwned: 0, until: Number.NEGATIVE_INFINITY };
  readPiece(piece, (frame, number, offset) => {
    if (offset < piece.ownedFrom) {
      if (frame.time >= piece.leadInFrom) analysis.frame(frame);
      return;
    }
    if (offset < piece.ownedTo) {
      if (phase === 'lead-in') {
        phase = 'own';
        analysis.markOwnedStart();
      }
      at.lastOwned = number;
      if (frame.time + contextMicros > at.until) at.until = frame.time + contextMicros;
      analysis.frame(frame);
      return;
    }
    if (phase !== 'run-out') {
      phase = 'run-out';
      owned.lastFrame = at.lastOwned;
      analysis.markOwnedEnd();
    }
    if (frame.time > at.until) {
      stopped = true;
      throw new StopReading();
    }
    analysis.frame(frame);
  });
  return { ok: true, type: 'piece', path: job.path, result: analysis.finishPiece(phase !== 'run-out', !stopped) };
}
