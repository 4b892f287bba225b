// A file's content fingerprint, to tell an unchanged file from a rewritten one without reading it
// all: SHA-256 over the size (8 bytes, big-endian), the first MiB and the last MiB. Captures only
// grow at the end or are replaced whole, so a change shows in the size or in one of the ends; a
// file of 2 MiB or less is hashed whole.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

export const FINGERPRINT_EDGE_BYTES = 1 << 20;

/** `sha256:` + hex. Throws the fs error when the file cannot be read. */
export async function fingerprint(path: string): Promise<{ fingerprint: string; size: number; mtimeMs: number }> {
  const fh = await open(path, 'r');
  try {
    const st = await fh.stat();
    const hash = createHash('sha256');
    const sizeBytes = Buffer.alloc(8);
    sizeBytes.writeBigUInt64BE(BigInt(st.size));
    hash.update(sizeBytes);
    const headLen = Math.min(st.size, FINGERPRINT_EDGE_BYTES);
    const head = Buffer.alloc(headLen);
    await fh.read(head, 0, headLen, 0);
    hash.update(head);
    const tailStart = Math.max(headLen, st.size - FINGERPRINT_EDGE_BYTES);
    if (tailStart < st.size) {
      const tail = Buffer.alloc(st.size - tailStart);
      await fh.read(tail, 0, tail.length, tailStart);
      hash.update(tail);
    }
    return { fingerprint: `sha256:${hash.digest('hex')}`, size: st.size, mtimeMs: st.mtimeMs };
  } finally {
    await fh.close();
  }
}
