// The cutting of one capture into pieces (analyze --jobs): read piece by piece, the pieces' own
// frames are the file's frames, each exactly once, in order, with the file's frame numbers, times
// and bytes — on pcap, on pcapng with several sections, interfaces, byte orders and numbered custom
// blocks, on gzip, and on a damaged file, whose frames before the damage and skipped bytes are the
// one-thread reader's.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { Anomalies } from '../../src/core/index.js';
import { planPieces, readCapture, readPiece, type Piece } from '../../src/readers/index.js';
import { ROOT } from '../support/cli.js';
import { CORPUS, corpusPresent } from './support.js';

const tmp = mkdtempSync(join(tmpdir(), 'i17-pieces-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface FrameFact {
  number: number;
  time: number;
  bytes: string;
}

const fact = (number: number, time: number, data: Buffer): FrameFact => ({ number, time, bytes: createHash('sha1').update(data).digest('hex') });

/** The one-thread reader's frames and facts. */
async function wholeFile(path: string): Promise<{ frames: FrameFact[]; info: Awaited<ReturnType<typeof readCapture>>; anomalies: Record<string, number> }> {
  const frames: FrameFact[] = [];
  const anomalies = new Anomalies();
  const info = await readCapture(path, (f) => frames.push(fact(f.index, f.time, f.data)), anomalies);
  return { frames, info, anomalies: anomalies.toRecord() };
}

/** The pieces, and the frames each reads as its own and as its lead-in. */
async function inPieces(path: string, pieceBytes: number, contextMicros = 0) {
  const pieces: Piece[] = [];
  const anomalies = new Anomalies();
  const info = await planPieces(path, anomalies, { pieceBytes, contextMicros, minPieceMicros: 0, gunzipTo: join(tmp, `gunzipped-${pieceBytes}`), onPiece: (p) => pieces.push(p) });
  const own: FrameFact[][] = [];
  const leadIn: FrameFact[][] = [];
  for (const p of pieces) {
    const mine: FrameFact[] = [];
    const before: FrameFact[] = [];
    readPiece(p, (f, number, offset) => {
      expect(f.index).toBe(number);
      if (offset < p.ownedFrom) {
        if (f.time >= p.leadInFrom) before.push(fact(number, f.time, f.data));
      } else if (offset < p.ownedTo) mine.push(fact(number, f.time, f.data));
    });
    own.push(mine);
    leadIn.push(before);
  }
  return { pieces, info, anomalies: anomalies.toRecord(), own, leadIn };
}

async function expectSameFrames(path: string, pieceBytes: number, minPieces: number): Promise<void> {
  const whole = await wholeFile(path);
  const split = await inPieces(path, pieceBytes);
  expect(split.pieces.length).toBeGreaterThanOrEqual(minPieces);
  expect(split.own.every((o) => o.length > 0)).toBe(true);
  // Every frame exactly once, in file order, with its number, time and bytes.
  expect(split.own.flat()).toEqual(whole.frames);
  // The pass's facts are the one-thread reader's.
  expect(split.info).toEqual(whole.info);
  expect(split.anomalies).toEqual(whole.anomalies);
}

describe('cutting a capture into pieces', () => {
  it('pcap: every record exactly once, frame numbers continuous', async () => {
    await expectSameFrames(join(ROOT, 'samples/pmtud-v4-blackhole-server.pcap'), 2000, 10);
  });

  it('pcapng: each piece gets its section header and interfaces', async () => {
    await expectSameFrames(join(ROOT, 'samples/busy-mixed-client.pcapng'), 1500, 10);
    await expectSameFrames(join(ROOT, 'samples/demo.pcapng'), 700, 10);
  });

  it.skipIf(!corpusPresent)('pcapng with three sections of both byte orders, several interfaces and numbered custom blocks', async () => {
    await expectSameFrames(join(CORPUS, 'pcapng-test-generator/output_le/difficult/test202.pcapng'), 100, 3);
    await expectSameFrames(join(CORPUS, 'pcapplusplus/PcapTest/many_interfaces-1.pcapng'), 2000, 3);
  });

  it('gzip: decompressed once, the pieces read from the copy', async () => {
    const gz = join(tmp, 'demo.pcapng.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(ROOT, 'samples/demo.pcapng'))));
    await expectSameFrames(gz, 700, 10);
    const split = await inPieces(gz, 700);
    expect(split.info?.gzip).toBe(true);
    expect(split.pieces.every((p) => p.path !== gz)).toBe(true);
  });

  it('a file cut inside a record: the frames before and the skipped bytes are the one-thread reader\'s', async () => {
    const bytes = readFileSync(join(ROOT, 'samples/pmtud-v4-blackhole-server.pcap'));
    const cut = join(tmp, 'cut.pcap');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 700));
    await expectSameFrames(cut, 2000, 5);
    expect((await wholeFile(cut)).info.truncated).toBe(true);
  });

  it('a record with an impossible length: reading stops there, as the one-thread reader does', async () => {
    const bytes = Buffer.from(readFileSync(join(ROOT, 'samples/pmtud-v4-blackhole-server.pcap')));
    // The 30th record's caplen (after the 24-byte header, walk the records).
    let off = 24;
    for (let i = 0; i < 29; i++) off += 16 + bytes.readUInt32LE(off + 8);
    bytes.writeUInt32LE(0x7fffffff, off + 8);
    const damaged = join(tmp, 'damaged.pcap');
    writeFileSync(damaged, bytes);
    await expectSameFrames(damaged, 1500, 5);
    const whole = await wholeFile(damaged);
    expect(whole.info.stoppedBy).toBe('pcap.caplen_too_large');
    expect(whole.frames.length).toBe(29);
  });

  it('the last piece is handed on as soon as it starts (its thread need not wait for the pass to reach the end); gzip after the pass', async () => {
    const path = join(ROOT, 'samples/busy-mixed-client.pcapng');
    const size = readFileSync(path).length;
    const framesWhenHanded = async (file: string): Promise<{ handed: number[]; frames: number }> => {
      let frames = 0;
      const handed: number[] = [];
      await planPieces(file, new Anomalies(), {
        pieceBytes: Math.ceil(size / 2),
        contextMicros: 0,
        minPieceMicros: 0,
        gunzipTo: join(tmp, 'gunzipped-last'),
        onFrame: () => frames++,
        onPiece: () => handed.push(frames),
      });
      return { handed, frames };
    };
    const plain = await framesWhenHanded(path);
    expect(plain.handed.length).toBe(2);
    // Both at the second piece's first frame: long before the pass read the file's last frame.
    expect(plain.handed[1]).toBe(plain.handed[0]);
    expect(plain.handed[1]).toBeLessThan(plain.frames * 0.75);
    const gz = join(tmp, 'busy.pcapng.gz');
    writeFileSync(gz, gzipSync(readFileSync(path)));
    const gzipped = await framesWhenHanded(gz);
    expect(gzipped.handed.every((n) => n === gzipped.frames)).toBe(true);
  });

  it('the forecast: called once, after an eighth of a plain file, with the capture time read so far; false stops the pass, no piece handed on', async () => {
    const path = join(ROOT, 'samples/busy-mixed-client.pcapng');
    const whole = await wholeFile(path);
    const forecast = async (answer: boolean) => {
      const calls: { span: number; share: number; frames: number }[] = [];
      const handed: Piece[] = [];
      let frames = 0;
      const info = await planPieces(path, new Anomalies(), {
        pieceBytes: Math.ceil(readFileSync(path).length / 2),
        contextMicros: 0,
        minPieceMicros: 0,
        gunzipTo: join(tmp, 'gunzipped-forecast'),
        onFrame: () => frames++,
        onPiece: (p) => handed.push(p),
        onForecast: (span, share) => {
          calls.push({ span, share, frames });
          return answer;
        },
      });
      return { info, calls, handed, frames };
    };
    const go = await forecast(true);
    expect(go.calls).toHaveLength(1);
    const [call] = go.calls;
    expect(call!.share).toBeGreaterThanOrEqual(1 / 8);
    expect(call!.share).toBeLessThan(0.2);
    // The span of the frames read so far, first to latest.
    const read = whole.frames.slice(0, call!.frames);
    expect(call!.span).toBe(Math.max(...read.map((f) => f.time)) - read[0]!.time);
    expect(go.handed).toHaveLength(2);
    expect(go.info).toEqual(whole.info);
    const stop = await forecast(false);
    expect(stop.info).toBeUndefined();
    expect(stop.handed).toEqual([]);
    expect(stop.frames).toBe(call!.frames);
    expect(stop.frames).toBeLessThan(whole.frames.length / 4);
  });

  it('the lead-in: the frames just before a piece, back to `contextMicros` before its first frame', async () => {
    const path = join(ROOT, 'samples/demo.pcapng');
    const whole = await wholeFile(path);
    const context = 5_000_000;
    const split = await inPieces(path, 700, context);
    split.pieces.forEach((p, k) => {
      const first = split.own[k]![0]!;
      const expected = whole.frames.filter((f) => f.number < first.number && f.time >= first.time - context);
      expect(split.leadIn[k]).toEqual(expected);
      expect(p.firstFrame).toBe(first.number);
    });
  });
});
