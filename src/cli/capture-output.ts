// Captures the CLI writes (annotated copies, extracts, anonymised copies): a filesystem problem
// while writing is the user's to fix, so it ends as one UsageError line (exit 2), never as exit 3.
import { UsageError } from '../core/index.js';
import { describeFsError } from './output.js';

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
