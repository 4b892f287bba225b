// Whose error is it? Only the input's own failures become a CaptureFormatError (`unreadable` for
// I/O, gzip damage for zlib's errors); an error thrown by onFrame — a bug, or a caller's stop
// signal such as `dualscope dump -c N` — comes out of every reader unchanged.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Anomalies, CaptureFormatError } from '../../src/core/index.js';
import { readCapture, readCaptureStream, type FrameHandler } from '../../src/readers/index.js';
import { hex } from '../support/hex.js';

const SHB = hex`
  0a0d0d0a 1c000000  // SHB, length 28
  4d3c2b1a 0100 0000 // byte-order magic (little-endian), version 1.0
  ffffffff ffffffff  // section length unknown
  1c000000
`;
const IDB = hex`
  01000000 14000000  // IDB, length 20
  0100 0000 00000400 // LINKTYPE_ETHERNET, snaplen 262144
  14000000
`;
const EPB = hex`
  06000000 24000000 00000000 // EPB, length 36, interface 0
  00000000 40420f00          // ticks 1 000 000 (µs) = 1 s
  04000000 04000000 cafef00d // caplen 4, origlen 4, data
  24000000
`;
const CAPTURE = Buffer.concat([SHB, IDB, ...Array.from({ length: 10 }, () => EPB)]);

/** Chunks of `size` bytes, as a pipe would deliver them. */
const chunked = (b: Buffer, size: number): Buffer[] => Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, (i + 1) * size));

class Stop extends Error {}
/** onFrame that throws `stop` at the third frame, counting the calls. */
function stopAtThird(): { onFrame: FrameHandler; stop: Stop; calls: () => number } {
  let n = 0;
  const stop = new Stop('enough');
  return { onFrame: () => { if (++n === 3) throw stop; }, stop, calls: () => n };
}

const dir = mkdtempSync(join(tmpdir(), 'dualscope-callback-'));
const file = (name: string, bytes: Buffer): string => {
  writeFileSync(join(dir, name), bytes);
  return join(dir, name);
};

describe('an error thrown by onFrame comes out unchanged and stops reading', () => {
  it('plain file (synchronous reads)', async () => {
    const s = stopAtThird();
    await expect(readCapture(file('plain.pcapng', CAPTURE), s.onFrame, new Anomalies())).rejects.toBe(s.stop);
    expect(s.calls()).toBe(3);
  });

  it('gzip file', async () => {
    const s = stopAtThird();
    await expect(readCapture(file('plain.gz', gzipSync(CAPTURE)), s.onFrame, new Anomalies())).rejects.toBe(s.stop);
    expect(s.calls()).toBe(3);
  });

  for (const size of [1, 7, 36, CAPTURE.length]) {
    it(`stream in chunks of ${size}: the error itself, not CaptureFormatError unreadable; the input is destroyed`, async () => {
      const s = stopAtThird();
      const input = Readable.from(chunked(CAPTURE, size));
      const anomalies = new Anomalies();
      await expect(readCaptureStream('pipe', input, s.onFrame, anomalies)).rejects.toBe(s.stop);
      expect(s.calls()).toBe(3);
      expect(input.destroyed).toBe(true);
      expect(anomalies.total).toBe(0);
    });

    it(`gzip stream in chunks of ${size}: the error itself, not gzip.truncated`, async () => {
      const s = stopAtThird();
      const input = Readable.from(chunked(gzipSync(CAPTURE), size));
      const anomalies = new Anomalies();
      await expect(readCaptureStream('pipe', input, s.onFrame, anomalies)).rejects.toBe(s.stop);
      expect(s.calls()).toBe(3);
      expect(input.destroyed).toBe(true);
      expect(anomalies.get('gzip.truncated')).toBe(0);
    });
  }

  it('a CaptureFormatError thrown by onFrame is passed through as it is, too', async () => {
    const own = new CaptureFormatError('caller', 'unreadable', 'the caller gave up');
    await expect(readCaptureStream('pipe', Readable.from([gzipSync(CAPTURE)]), () => { throw own; }, new Anomalies())).rejects.toBe(own);
  });
});

describe('the input\'s own failures are still classified', () => {
  const failing = (chunks: Buffer[]): Readable =>
    Readable.from((async function* () {
      yield* chunks;
      throw Object.assign(new Error('disk on fire'), { code: 'EIO' });
    })());

  it('an I/O error mid-stream: CaptureFormatError unreadable, the frames before delivered', async () => {
    let frames = 0;
    const read = readCaptureStream('pipe', failing(chunked(CAPTURE.subarray(0, 100), 50)), () => void frames++, new Anomalies());
    await expect(read).rejects.toMatchObject({ name: 'CaptureFormatError', code: 'unreadable', message: expect.stringMatching(/EIO/) });
    expect(frames).toBe(1);
  });

  it('an I/O error under gzip: unreadable too, not gzip.truncated', async () => {
    const gz = gzipSync(CAPTURE);
    const anomalies = new Anomalies();
    const read = readCaptureStream('pipe', failing([gz.subarray(0, gz.length - 10)]), () => {}, anomalies);
    await expect(read).rejects.toMatchObject({ name: 'CaptureFormatError', code: 'unreadable' });
    expect(anomalies.get('gzip.truncated')).toBe(0);
  });

  it('gzip cut short (zlib Z_BUF_ERROR): gzip.truncated, the frames before kept', async () => {
    const gz = gzipSync(CAPTURE);
    const anomalies = new Anomalies();
    let frames = 0;
    const info = await readCaptureStream('pipe', Readable.from([gz.subarray(0, gz.length - 4)]), () => void frames++, anomalies);
    expect(info.gzip).toBe(true);
    expect(frames).toBe(10); // the capture itself is whole: only half of the gzip trailer (CRC, size) is missing
    expect(anomalies.get('gzip.truncated')).toBe(1);
  });

  it('gzip that is corrupt from the start (zlib Z_DATA_ERROR): CaptureFormatError gzip_corrupt', async () => {
    const gz = Buffer.from(gzipSync(CAPTURE));
    gz.fill(0x55, 10, 40); // garbage where the deflate data starts
    await expect(readCaptureStream('pipe', Readable.from([gz]), () => {}, new Anomalies())).rejects.toMatchObject({ code: 'gzip_corrupt' });
  });
});

it('gzip damage mid-stream releases the rest of the input', async () => {
  const gz = Buffer.from(gzipSync(Buffer.concat([CAPTURE, ...Array.from({ length: 2000 }, () => EPB)])));
  gz.fill(0x55, gz.length >> 1, (gz.length >> 1) + 64); // corrupt deflate data in the middle
  const input = Readable.from(chunked(gz, 256));
  const anomalies = new Anomalies();
  await readCaptureStream('pipe', input, () => {}, anomalies);
  expect(anomalies.get('gzip.truncated')).toBe(1);
  expect(input.destroyed).toBe(true);
});
