// Report files, for analyze and live alike: checked before any work (an hour-long analysis should
// not end in "is a folder" or "permission denied"), then written atomically. Every filesystem
// problem is the user's to fix, so it ends as one UsageError line (exit 2), never as exit 3.
import { accessSync, constants, existsSync, mkdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { UsageError } from '../core/index.js';

/** Kernel pseudo-filesystems: no report belongs there, and Node 20's recursive mkdir spins forever on /proc. */
const PSEUDO_ROOTS = ['/proc', '/sys'] as const;

const ERRNO_TEXT: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a part of the path is not a folder',
  ENOENT: 'no such folder',
  ENAMETOOLONG: 'the name is too long',
  EIO: 'input/output error',
  EEXIST: 'a file is in the way',
};

/** `permission denied (EACCES)`; the code alone for what the table does not know. */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') return e instanceof Error ? (e.message.split('\n')[0] ?? 'failed') : String(e);
  const text = ERRNO_TEXT[code];
  return text ? `${text} (${code})` : code;
}

const isFsError = (e: unknown): e is NodeJS.ErrnoException => e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string';

const underPseudoRoot = (p: string): string | undefined => PSEUDO_ROOTS.find((root) => p === root || p.startsWith(`${root}${sep}`));

/** The pseudo-filesystem root `abs` lies under, lexically or through a symlink in its existing part. */
function pseudoRootOf(abs: string, existing: string): string | undefined {
  let real = existing;
  try {
    real = realpathSync(existing);
  } catch {
    // a dangling symlink or a race: the lexical path is all there is to judge
  }
  return underPseudoRoot(abs) ?? underPseudoRoot(real);
}

/** The path itself when it exists, else its nearest existing ancestor. */
function nearestExisting(abs: string): string {
  let p = abs;
  while (!existsSync(p)) {
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  return p;
}

/**
 * Checks that `path` can become a report: it is not a folder, it is not under /proc or /sys, and
 * its folder exists and is writable or can be created (the nearest existing ancestor is a
 * writable folder). Throws one UsageError line naming the path.
 */
export function checkOutputPath(path: string): void {
  const abs = resolve(path);
  const existing = nearestExisting(abs);
  const pseudo = pseudoRootOf(abs, existing);
  if (pseudo) throw new UsageError(`cannot write ${path}: ${pseudo} is a kernel file system, not a place for reports`);
  if (existing === abs) {
    if (statSync(abs).isDirectory()) throw new UsageError(`cannot write ${path}: it is a folder; name a file`);
    return checkWritableFolder(path, dirname(abs));
  }
  checkWritableFolder(path, existing);
}

function checkWritableFolder(path: string, folder: string): void {
  let st;
  try {
    st = statSync(folder);
  } catch (e) {
    throw new UsageError(`cannot write ${path}: ${folder}: ${describeFsError(e)}`);
  }
  if (!st.isDirectory()) throw new UsageError(`cannot write ${path}: ${folder} is not a folder`);
  try {
    accessSync(folder, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new UsageError(`cannot write ${path}: ${folder}: ${describeFsError(e)}`);
  }
}

/** checkOutputPath for each defined path. */
export function checkOutputPaths(paths: readonly (string | undefined)[]): void {
  for (const p of paths) if (p !== undefined) checkOutputPath(p);
}

/**
 * Writes to a temporary name, then renames: a crash never leaves half a report under the real
 * name, and a failed write leaves no temporary file behind.
 */
export function writeAtomically(path: string, content: string): void {
  const abs = resolve(path);
  const dir = dirname(abs);
  // Checked again here, because mkdirSync must never see such a path (it loops on /proc).
  const pseudo = pseudoRootOf(abs, nearestExisting(abs));
  if (pseudo) throw new UsageError(`cannot write ${path}: ${pseudo} is a kernel file system, not a place for reports`);
  const tmp = `${abs}.tmp-${process.pid}`;
  try {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
    else if (!statSync(dir).isDirectory()) throw new UsageError(`cannot write ${path}: ${dir} is not a folder`);
    writeFileSync(tmp, content);
    renameSync(tmp, abs);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing more can be done; the error below is what the user needs
    }
    if (e instanceof UsageError) throw e;
    if (isFsError(e)) throw new UsageError(`cannot write ${path}: ${describeFsError(e)}`);
    throw e;
  }
}
