// A small filesystem that can be filled and emptied, for the disk-full tests and the soak: a tmpfs
// of a few MiB mounted on a temp folder (root only; callers skip with the reason otherwise).
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const canMount = process.getuid?.() === 0;
export const WHY_NOT_MOUNT = 'the disk-full tests mount a small tmpfs, which needs root';

export interface SmallDisk {
  readonly dir: string;
  /** Fills the disk, leaving about `headroom` bytes free (rounded to pages); returns what it wrote. */
  fill(headroom?: number): number;
  /** Removes the filler. */
  empty(): void;
  unmount(): void;
}

export function mountSmallDisk(size = '2m'): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'dualscope-disk-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mount tmpfs on ${dir} failed: ${r.stderr}`);
  let fillers = 0;
  return {
    dir,
    fill(headroom = 0): number {
      const reserve = join(dir, `reserve-${fillers}`);
      if (headroom > 0) writeUntilFull(reserve, headroom);
      const written = writeUntilFull(join(dir, `filler-${fillers++}`), Number.MAX_SAFE_INTEGER);
      rmSync(reserve, { force: true });
      return written;
    },
    empty(): void {
      for (let i = 0; i < fillers; i++) rmSync(join(dir, `filler-${i}`), { force: true });
    },
    unmount(): void {
      spawnSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes up to `max` bytes to `path`, stopping quietly at ENOSPC; returns the bytes written. */
function writeUntilFull(path: string, max: number): number {
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    for (const size of [64 * 1024, 4096, 1]) {
      const block = Buffer.alloc(size, 0x5a);
      while (written + size <= max) {
        try {
          written += writeSync(fd, block);
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}
