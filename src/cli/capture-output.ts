// Captures the CLI writes (annotated copies, extracts, anonymised copies): a filesystem problem
// while writing is the user's to fix, so it ends as one UsageError line (exit 2), never as exit 3.
import { existsSync, mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UsageError } from '../core/index.js';
import { checkDataFolder, describeFsError } from './output.js';

/** An errno error (EACCES, ENOSPC …); a CaptureFormatError's codes are lower-case words. */
const isFsError = (e: unknown): e is NodeJS.ErrnoException => e instanceof Error && /^E[A-Z]+$/.test(String((e as NodeJS.ErrnoException).code));

/** Runs a capture writer; turns its filesystem errors into `cannot write PATH: why`. */
export async function writeCapture<T>(path: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (isFsError(e)) throw new UsageError(`cannot write ${path}: ${describeFsError(e)}`);
    throw e;
  }
}

/** A capture's base name without its capture and gzip extensions: `a/b.pcap.gz` → `b`. */
export const captureStem = (file: string): string => basename(file).replace(/\.gz$/i, '').replace(/\.(pcapng|pcap|cap)$/i, '');

/**
 * `--annotate DIR` for several inputs: DIR/NAME.annotated.pcapng per input, NAME its base name,
 * made unique with -2, -3 … when two inputs share one (or a name would be an input itself).
 * Checked before any work: a folder that cannot be written, or (without --force) an annotated
 * copy already there, ends the run in one line before an hour of analysis.
 */
export function annotationTargets(dir: string, files: readonly string[], force: boolean): string[] {
  checkDataFolder('--annotate', dir);
  const inputs = new Set(files.map((f) => resolve(f)));
  const used = new Set<string>();
  return files.map((file) => {
    const stem = captureStem(file);
    let out = join(dir, `${stem}.annotated.pcapng`);
    for (let n = 2; used.has(resolve(out).toLowerCase()) || inputs.has(resolve(out)); n++) out = join(dir, `${stem}-${n}.annotated.pcapng`);
    used.add(resolve(out).toLowerCase());
    if (!force && existsSync(out)) throw new UsageError(`${out} exists; use --force to overwrite it`);
    return out;
  });
}

/** Creates the --annotate folder (checked by annotationTargets) when it is not there yet. */
export function makeAnnotateFolder(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`--annotate ${dir}: ${describeFsError(e)}`);
  }
}
