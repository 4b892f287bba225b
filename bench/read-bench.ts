// Read-only throughput of the readers layer: frames/s with no decoding. `npm run bench`
// (bench/bench.ts) calls benchRead on its generated capture; run this file directly
// (`node dist/bench/read-bench.js [FILE]`) to bench one file, or a generated 1M-packet pcap.
import { openSync, writeSync, closeSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Anomalies } from '../src/core/index.js';
import { readCapture } from '../src/readers/index.js';

export async function benchRead(path: string): Promise<{ frames: number; seconds: number; bytes: number }> {
  let frames = 0;
  let sink = 0;
  const start = process.hrtime.bigint();
  const info = await readCapture(path, (f) => { frames++; sink += f.caplen; }, new Anomalies());
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (sink < 0) console.log(sink); // keep the callback's work observable
  return { frames, seconds, bytes: info.bytesRead };
}

/** A little-endian µs pcap of `packets` Ethernet frames of mixed sizes (64…1514 bytes). */
export function writeSyntheticPcap(path: string, packets: number): void {
  const fd = openSync(path, 'w');
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(1, 20);
  writeSync(fd, header);
  const sizes = [64, 90, 120, 1514, 74, 1514, 66, 300];
  const batch = Buffer.alloc(8 << 20);
  let used = 0;
  for (let i = 0; i < packets; i++) {
    const len = sizes[i % sizes.length]!;
    if (used + 16 + len > batch.length) { writeSync(fd, batch, 0, used); used = 0; }
    batch.writeUInt32LE(1_700_000_000 + Math.floor(i / 1000), used);
    batch.writeUInt32LE((i % 1000) * 1000, used + 4);
    batch.writeUInt32LE(len, used + 8);
    batch.writeUInt32LE(len, used + 12);
    batch.fill(i & 0xff, used + 16, used + 16 + len);
    used += 16 + len;
  }
  writeSync(fd, batch, 0, used);
  closeSync(fd);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let path = process.argv[2];
  if (!path) {
    path = join(tmpdir(), 'dualscope-read-bench-1m.pcap');
    if (!existsSync(path)) writeSyntheticPcap(path, 1_000_000);
  }
  await benchRead(path); // warm-up
  const r = await benchRead(path);
  console.log(`${path}: ${r.frames} frames, ${(r.bytes / 1e6).toFixed(1)} MB in ${r.seconds.toFixed(3)} s = ${(r.frames / r.seconds / 1e6).toFixed(2)} M frames/s, ${(r.bytes / 1e6 / r.seconds).toFixed(0)} MB/s`);
}
