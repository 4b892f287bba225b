// Text files written as their text is made: a report rendered in parts (src/report/json.ts) goes
// to the file part by part, so no writer holds the whole text as one string. The callers own the
// rules around it (where the temporary file is named, how errors read): src/cli/output.ts and
// src/batch/write-file.ts.
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

/** A whole text, or its parts in order (consumed once). */
export type TextContent = string | Iterable<string>;

/** Characters gathered before one write(2): small parts are joined, so a file costs few system calls. */
const WRITE_CHARS = 64 * 1024;
/** UTF-8 bytes gathered before one write(2) to a descriptor. */
const WRITE_BYTES = 64 * 1024;
/** The most UTF-8 bytes one UTF-16 code unit becomes (a lone surrogate: 3; a pair: 4 for 2 units). */
const MAX_BYTES_PER_UNIT = 3;

/**
 * Writes `content` to an open descriptor, or hands each gathered piece to `write` (a stream such as
 * process.stdout, which copes with a non-blocking pipe). A part that throws while it is made stops
 * the writing there; the caller decides what becomes of what was written.
 */
export function writeText(target: number | ((piece: string) => void), content: TextContent): void {
  if (typeof target === 'number') return writeToDescriptor(target, content);
  if (typeof content === 'string') return target(content);
  let pending: string[] = [];
  let pendingChars = 0;
  for (const part of content) {
    pending.push(part);
    pendingChars += part.length;
    if (pendingChars >= WRITE_CHARS) {
      target(pending.join(''));
      pending = [];
      pendingChars = 0;
    }
  }
  if (pendingChars > 0) target(pending.join(''));
}

/**
 * The parts encoded one after another into one reused buffer, written when it is full: no joined
 * string and no new Buffer per write. Joining 64 k characters of a report (two bytes each once a
 * label holds an arrow) made strings over 128 kB, which V8 keeps as large objects, and a fresh
 * Buffer each: `dualscope analyze` writing the edge 2 M file's JSON report peaked ~11 MB above
 * the analysis without writing.
 */
function writeToDescriptor(fd: number, content: TextContent): void {
  const buffer = Buffer.allocUnsafe(WRITE_BYTES);
  let used = 0;
  const flush = (): void => {
    writeAll(fd, buffer.subarray(0, used));
    used = 0;
  };
  for (const part of typeof content === 'string' ? [content] : content) {
    if (part.length * MAX_BYTES_PER_UNIT > WRITE_BYTES - used) {
      if (used > 0) flush();
      if (part.length * MAX_BYTES_PER_UNIT > WRITE_BYTES) {
        writeAll(fd, Buffer.from(part, 'utf8'));
        continue;
      }
    }
    used += buffer.write(part, used, 'utf8');
  }
  if (used > 0) flush();
}

/** write(2) until the whole buffer is out (a pipe or a signal may take part of it). */
function writeAll(fd: number, bytes: Buffer): void {
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
}

/**
 * Writes `content` to `tmp`, then renames it to `path`: a crash never leaves half a file under the
 * real name. On any failure (the disk, or a part that throws while it is made) the temporary file
 * is removed and the error thrown on. `exclusive`: refuse a `tmp` that already exists.
 */
export function writeTextThenRename(tmp: string, path: string, content: TextContent, { exclusive }: { exclusive: boolean }): void {
  let fd: number | undefined;
  try {
    fd = openSync(tmp, exclusive ? 'wx' : 'w');
    writeText(fd, content);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already unusable; removing the file is what matters
      }
    }
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing more can be done; the error thrown on is what the caller needs
    }
    throw e;
  }
}
