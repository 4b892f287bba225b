// Report files, for analyze and live alike: checked before any work (an hour-long analysis should
// not end in "is a folder" or "permission denied"), then written atomically. Every filesystem
// problem is the user's to fix, so it ends as one UsageError line (exit 2), never as exit 3.
//
// Only a regular file is ever replaced (by a rename from a temporary name beside it; through a
// symlink, the file it names is replaced and the link stays). A character device or a FIFO
// (/dev/null, /dev/stdout, a named pipe; a socket too) is written through, and `-` is standard
// output: renaming over them — as root, with --force — once turned /dev/null into a regular file.
// A folder, a block device and a dangling symlink are refused.
import { accessSync, closeSync, constants, existsSync, lstatSync, mkdirSync, openSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, resolve, sep } from 'node:path';

import { UsageError } from '../core/index.js';
import { firstLine } from './error-line.js';
import { writeText, writeTextThenRename, type TextContent } from '../writers/index.js';

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
  ENXIO: 'no such device, or a socket that cannot be opened',
  SQLITE_FULL: 'the disk is full',
  SQLITE_READONLY: 'the database is read-only',
  SQLITE_CANTOPEN: 'the database cannot be opened',
  SQLITE_IOERR: 'input/output error',
  SQLITE_CORRUPT: 'the database is damaged',
  SQLITE_NOTADB: 'dualscope.db is not a database',
};

/** `permission denied (EACCES)`; the code alone for what the table does not know. */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') return e instanceof Error ? (e.message.split('\n')[0] ?? 'failed') : String(e);
  const text = ERRNO_TEXT[code] ?? (code.startsWith('SQLITE_IOERR') ? 'the database could not be written (is the disk full?)' : undefined);
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
  if (path === STDOUT) return;
  const abs = resolve(path);
  const target = outputTarget(path, abs);
  if (target.kind === 'through') return checkWritable(path, abs);
  const existing = nearestExisting(target.path);
  const pseudo = pseudoRootOf(abs, existing);
  if (pseudo) throw new UsageError(`cannot write ${path}: ${pseudo} is a kernel file system, not a place for reports`);
  if (existing === target.path) return checkWritableFolder(path, dirname(target.path));
  checkWritableFolder(path, existing);
}

/** `--json -` and `--html -`: the report goes to standard output. */
export const STDOUT = '-';

type OutputTarget = { kind: 'replace'; path: string } | { kind: 'through'; path: string };

/** How `path` is written: replaced (the regular file it is or names, or a new file) or written through. */
function outputTarget(path: string, abs: string): OutputTarget {
  let link: Stats;
  try {
    link = lstatSync(abs);
  } catch {
    return { kind: 'replace', path: abs }; // nothing there yet (or unreachable: the folder check says why)
  }
  let st: Stats = link;
  if (link.isSymbolicLink()) {
    try {
      st = statSync(abs);
    } catch (e) {
      throw new UsageError(`cannot write ${path}: it is a symlink to nothing usable (${(e as NodeJS.ErrnoException).code ?? 'broken'})`);
    }
  }
  if (st.isFile()) return { kind: 'replace', path: link.isSymbolicLink() ? realpathSync(abs) : abs };
  if (st.isDirectory()) throw new UsageError(`cannot write ${path}: ${describeFsError({ code: 'EISDIR' })}`);
  // A disk is never a place for a report, even as root with --force.
  if (st.isBlockDevice()) throw new UsageError(`cannot write ${path}: it is a block device (a disk), not a place for reports`);
  // Character devices, FIFOs and sockets (/dev/stdout is one when a program's output is a socketpair).
  return { kind: 'through', path: abs };
}

function checkWritable(path: string, abs: string): void {
  try {
    accessSync(abs, constants.W_OK);
  } catch (e) {
    throw new UsageError(`cannot write ${path}: ${describeFsError(e)}`);
  }
}

/**
 * Without --force: refuses a path holding a regular file (directly or through a symlink). A device,
 * a pipe or `-` is written through, never overwritten, so it needs no --force.
 */
export function refuseExisting(paths: readonly (string | undefined)[]): void {
  for (const p of paths) {
    if (p === undefined || p === STDOUT) continue;
    let st: Stats;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isFile()) throw new UsageError(`${p} exists; use --force to overwrite it`);
  }
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

/**
 * Checks a data folder (`serve --data`) as report paths are checked: not under /proc or /sys
 * (Node's recursive mkdir spins there), a folder if it exists, else creatable in a writable
 * folder. Throws one UsageError line naming the option.
 */
export function checkDataFolder(option: string, path: string): void {
  const abs = resolve(path);
  const existing = nearestExisting(abs);
  const pseudo = pseudoRootOf(abs, existing);
  if (pseudo) throw new UsageError(`${option} ${path}: ${pseudo} is a kernel file system, not a place for data`);
  let st;
  try {
    st = statSync(existing);
  } catch (e) {
    throw new UsageError(`${option} ${path}: ${describeFsError(e)}`);
  }
  if (!st.isDirectory()) throw new UsageError(`${option} ${path}: ${existing === abs ? 'it is' : `${existing} is`} not a folder`);
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new UsageError(`${option} ${path}: ${existing}: ${describeFsError(e)}`);
  }
}

/** checkOutputPath for each defined path. */
export function checkOutputPaths(paths: readonly (string | undefined)[]): void {
  for (const p of paths) if (p !== undefined) checkOutputPath(p);
}

/** How a report is written. */
export interface WriteOptions {
  /**
   * Every check the content's parts make while they are made (the JSON report's schema), run
   * before the first byte when the destination cannot be taken back: standard output, a pipe, a
   * device. A file needs none: a part that throws leaves no file.
   */
  checkFirst?: () => void;
}

/**
 * Writes a report. A regular file (or a new one) is written to a temporary name, then renamed: a
 * crash never leaves half a report under the real name, and a failed write leaves no temporary
 * file behind. A device or a pipe is written through; `-` is standard output. `content` may come
 * in parts (a report rendered in chunks): they are written as they come. A part that throws (a
 * report failing its schema, a bug) leaves no file. What is written through cannot be taken back,
 * so there `checkFirst` runs before anything is written, and should a part still throw after
 * the first byte, the error says that the destination holds an incomplete report
 * (IncompleteReportError).
 */
export function writeAtomically(path: string, content: TextContent, options: WriteOptions = {}): void {
  if (path === STDOUT) {
    options.checkFirst?.();
    return void writeThrough(path, 1, content);
  }
  const abs = resolve(path);
  const target = outputTarget(path, abs);
  if (target.kind === 'through') {
    options.checkFirst?.();
    return void writeThrough(path, ownFdOf(target.path) ?? target.path, content);
  }
  const real = target.path;
  const dir = dirname(real);
  // Checked again here, because mkdirSync must never see such a path (it loops on /proc).
  const pseudo = pseudoRootOf(abs, nearestExisting(real));
  if (pseudo) throw new UsageError(`cannot write ${path}: ${pseudo} is a kernel file system, not a place for reports`);
  try {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
    else if (!statSync(dir).isDirectory()) throw new UsageError(`cannot write ${path}: ${dir} is not a folder`);
    // The process id keeps two dualscope runs writing one report apart; exclusive, so neither
    // writes into the other's temporary file.
    writeTextThenRename(`${real}.tmp-${process.pid}`, real, content, { exclusive: true });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if (isFsError(e)) throw new UsageError(`cannot write ${path}: ${describeFsError(e)}`);
    throw e;
  }
}

/**
 * A report cut short on a destination that keeps what it was given (standard output, a pipe, a
 * device): a part failed after the first byte went out. An internal error (exit 3); its one line
 * says the output is incomplete, so no one takes the first part for the report.
 */
export class IncompleteReportError extends Error {
  constructor(
    readonly path: string,
    readonly charsWritten: number,
    cause: unknown,
  ) {
    super(`${path === STDOUT ? 'standard output' : path} holds an incomplete report (its first ${charsWritten} characters): ${firstLine(cause)}`, { cause });
  }
}

/** Writes to what is already there (a device, a pipe, stdout): no temporary file, no rename. */
function writeThrough(path: string, target: string | number, content: TextContent): void {
  let written = 0;
  /** `write` for each gathered piece, counting what went out; a part that throws after the first byte is told as IncompleteReportError. */
  const counting = (write: (piece: string) => void): void => {
    try {
      writeText((piece) => {
        write(piece);
        written += piece.length;
      }, content);
    } catch (e) {
      if (written > 0 && !isFsError(e) && !(e instanceof UsageError)) throw new IncompleteReportError(path, written, e);
      throw e;
    }
  };
  // Node's own streams for stdout/stderr: they cope with a non-blocking pipe (EAGAIN) and keep order.
  if (target === 1) return void counting((piece) => process.stdout.write(piece));
  if (target === 2) return void counting((piece) => process.stderr.write(piece));
  if (typeof target === 'number') return void throughFsErrors(path, () => counting((piece) => writeText(target, piece)));
  // 'w' on a FIFO or a device opens it (waiting for a reader, as a shell's > does); nothing is created.
  const fd = throughFsErrors(path, () => openSync(target, 'w'));
  try {
    throughFsErrors(path, () => counting((piece) => writeText(fd, piece)));
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // the write's error is the one to tell
    }
    throw e;
  }
  throughFsErrors(path, () => closeSync(fd));
}

/** `write()`, its filesystem errors told as one UsageError line naming the path. */
function throughFsErrors<T>(path: string, write: () => T): T {
  try {
    return write();
  } catch (e) {
    if (isFsError(e)) throw new UsageError(`cannot write ${path}: ${describeFsError(e)}`);
    throw e;
  }
}

const OWN_FD = [/^\/dev\/fd\/(\d+)$/, /^\/proc\/self\/fd\/(\d+)$/, new RegExp(`^/proc/${process.pid}/fd/(\\d+)$`)];
const NAMED_FD: Record<string, number> = { '/dev/stdin': 0, '/dev/stdout': 1, '/dev/stderr': 2 };

/**
 * The descriptor of this process that `abs` names through /dev/stdout, /dev/fd/N or /proc/self/fd/N
 * (followed through symlinks), if any. It is written to directly: opening /proc/self/fd/1 fails
 * (ENXIO) when standard output is a socket, as it is under many supervisors.
 */
function ownFdOf(abs: string): number | undefined {
  let p = abs;
  for (let hop = 0; hop < 16; hop++) {
    const named = NAMED_FD[p];
    if (named !== undefined) return named;
    for (const re of OWN_FD) {
      const m = re.exec(p);
      if (m) return Number(m[1]);
    }
    let next: string;
    try {
      next = readlinkSync(p);
    } catch {
      return undefined;
    }
    p = isAbsolute(next) ? next : resolve(dirname(p), next);
  }
  return undefined;
}
