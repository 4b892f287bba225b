// An output capture written block by block: buffered, synchronous (a rewrite runs inside the
// reader's frame callbacks), under a temporary name renamed into place by close(), so a failed or
// interrupted run never leaves half a capture under the real name.
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';

/** Bytes gathered before one write(2). */
const FLUSH_BYTES = 1 << 20;

export class BlockFile {
  readonly path: string;
  readonly #tmp: string;
  #fd: number | undefined;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes handed to write(), for the caller's summary. */
  bytesWritten = 0;

  constructor(path: string) {
    this.path = resolve(path);
    this.#tmp = `${this.path}.tmp-${process.pid}`;
    this.#fd = openSync(this.#tmp, 'w');
  }

  write(block: Buffer): void {
    this.#pending.push(block);
    this.#pendingBytes += block.length;
    this.bytesWritten += block.length;
    if (this.#pendingBytes >= FLUSH_BYTES) this.#flush();
  }

  #flush(): void {
    if (this.#fd === undefined || this.#pendingBytes === 0) return;
    const all = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending, this.#pendingBytes);
    for (let off = 0; off < all.length; ) off += writeSync(this.#fd, all, off, all.length - off);
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  /** Writes what is left and puts the file under its real name. */
  close(): void {
    try {
      this.#flush();
    } catch (e) {
      this.abort();
      throw e;
    }
    closeSync(this.#fd!);
    this.#fd = undefined;
    renameSync(this.#tmp, this.path);
  }

  /** Drops the temporary file; safe to call more than once. */
  abort(): void {
    if (this.#fd !== undefined) {
      try {
        closeSync(this.#fd);
      } catch {
        // already unusable; removing the file is what matters
      }
      this.#fd = undefined;
    }
    rmSync(this.#tmp, { force: true });
  }
}
