// Hand-made captures as annotated hex, and the inputs the issue lists as bad: each gives a
// CaptureFormatError (nothing readable) or an anomaly, never another exception, and never loses
// the frames before the damage.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Anomalies, CaptureFormatError } from '../../src/core/index.js';
import { readCapture, readCaptureStream } from '../../src/readers/index.js';
import { hex, mutations } from '../support/hex.js';
import { CORPUS, corpusPresent, keep, parse, type Kept } from './support.js';

const PCAP_HEADER_LE = hex`
  d4c3 b2a1        // magic: µs, little-endian
  0200 0400        // version 2.4
  0000 0000 0000 0000 // thiszone, sigfigs
  ffff 0000        // snaplen 65535
  0100 0000        // LINKTYPE_ETHERNET
`;
const record = (sec: string, frac: string, caplen: string, origlen: string, data: string) =>
  hex`${sec} ${frac} ${caplen} ${origlen} ${data}`;
const GOOD_RECORD = record('01000000', '02000000', '04000000', '3c000000', 'deadbeef'); // 1 s + 2 µs, 4 of 60 bytes

const SHB_LE = hex`
  0a0d0d0a 1c000000  // SHB, length 28
  4d3c2b1a           // byte-order magic (little-endian)
  0100 0000          // version 1.0
  ffffffff ffffffff  // section length unknown
  1c000000
`;
const IDB_LE = hex`
  01000000 14000000  // IDB, length 20
  0100 0000          // LINKTYPE_ETHERNET, reserved
  00000400           // snaplen 262144
  14000000
`;
const EPB_LE = hex`
  06000000 24000000  // EPB, length 36
  00000000           // interface 0
  00000000 40420f00  // ticks 1 000 000 (µs) = 1 s
  04000000 04000000  // caplen 4, origlen 4
  cafef00d           // data
  24000000
`;

describe('hand-made pcap', () => {
  it('reads one record: time, lengths, a view of the data', () => {
    const r = parse(Buffer.concat([PCAP_HEADER_LE, GOOD_RECORD]));
    expect(r.frames).toHaveLength(1);
    expect(r.frames[0]).toMatchObject({ index: 1, time: 1_000_002, nanos: 0, linkType: 1, caplen: 4, origlen: 60, iface: 0 });
    expect(r.frames[0]!.data.toString('hex')).toBe('deadbeef');
    expect(r.info).toMatchObject({ format: 'pcap', byteOrder: 'little', resolution: 'us', snaplen: 65535, truncated: false });
  });

  it('masks the FCS bits of the link type (pcap-linktype: low 16 bits are the type)', () => {
    const h = Buffer.from(PCAP_HEADER_LE);
    h.writeUInt32LE(0x14000001, 20); // FCS length 1 ×2 bytes + present bit, LINKTYPE_ETHERNET
    expect(parse(Buffer.concat([h, GOOD_RECORD])).frames[0]!.linkType).toBe(1);
  });

  it('big-endian nanosecond file, version 2.2: caplen and len swapped as libpcap wrote them then', () => {
    const bytes = hex`
      a1b23c4d 0002 0002   // magic: ns, big-endian; version 2.2
      00000000 00000000 0000ffff 00000065  // snaplen 65535, LINKTYPE_RAW
      00000001 3b9aca05    // 1 s + 1 000 000 005 ns (≥ 1e9: carries, noted)
      00000028 00000002    // before 2.3: the first field is len (40), the second caplen (2)
      4500
    `;
    const r = parse(bytes);
    expect(r.frames[0]).toMatchObject({ time: 2_000_000, nanos: 5, caplen: 2, origlen: 40, linkType: 101 });
    expect(r.anomalies.get('pcap.bad_subsecond')).toBe(1);
  });

  it('an absurd caplen: the frames before, then pcap.caplen_too_large and stop (no giant allocation)', () => {
    const absurd = record('01000000', '00000000', 'ffffff7f', 'ffffff7f', 'aabbccdd'); // caplen 2 GiB
    const bytes = Buffer.concat([PCAP_HEADER_LE, GOOD_RECORD, absurd, GOOD_RECORD]);
    for (const chunk of [1, 5, bytes.length]) {
      const r = parse(bytes, chunk);
      expect(r.frames).toHaveLength(1);
      expect(r.anomalies.get('pcap.caplen_too_large')).toBe(1);
      expect(r.info!.skippedBytes).toBe(absurd.length + GOOD_RECORD.length);
    }
  });

  it('caplen above snaplen but within 256 KiB is kept and noted, as tshark keeps it', () => {
    const h = Buffer.from(PCAP_HEADER_LE);
    h.writeUInt32LE(2, 16); // snaplen 2
    const r = parse(Buffer.concat([h, GOOD_RECORD]));
    expect(r.frames).toHaveLength(1);
    expect(r.anomalies.get('pcap.caplen_over_snaplen')).toBe(1);
  });

  it('a file cut mid-record: the complete frames, then truncated', () => {
    const bytes = Buffer.concat([PCAP_HEADER_LE, GOOD_RECORD, GOOD_RECORD.subarray(0, 18)]);
    const r = parse(bytes, 3);
    expect(r.frames).toHaveLength(1);
    expect(r.info).toMatchObject({ truncated: true, skippedBytes: 18 });
    expect(r.anomalies.get('pcap.truncated_record')).toBe(1);
  });
});

describe('hand-made pcapng', () => {
  it('SHB, IDB, EPB: 1 s at µs resolution', () => {
    const r = parse(Buffer.concat([SHB_LE, IDB_LE, EPB_LE]));
    expect(r.frames[0]).toMatchObject({ index: 1, time: 1_000_000, caplen: 4, origlen: 4, iface: 0, linkType: 1 });
    expect(r.info).toMatchObject({ format: 'pcapng', sections: 1, snaplen: 262144 });
  });

  it('if_tsresol 9 and if_tsoffset 10 s; 64-bit ns ticks beyond 2^53 stay exact', () => {
    const idb = hex`
      01000000 2c000000  // IDB, length 44
      0100 0000 00000400
      0900 0100 09000000 // if_tsresol = 9 (ns), padded
      0e00 0800 0a000000 00000000 // if_tsoffset = 10 s
      0000 0000          // opt_endofopt
      2c000000
    `;
    const epb = hex`
      06000000 24000000 00000000
      00000040 07000000  // ticks 0x40000000_00000007 = 4611686018427387911 ns (2^62 + 7), past 2^53
      04000000 04000000 cafef00d 24000000
    `;
    const r = parse(Buffer.concat([SHB_LE, idb, epb]));
    const ticks = 0x4000000000000007n;
    const ns = ticks + 10n * 1_000_000_000n;
    expect(BigInt(r.frames[0]!.time) * 1000n + BigInt(r.frames[0]!.nanos)).toBe(ns);
    expect(r.info!.resolution).toBe('ns');
  });

  it('a bad block length: the frames before, then pcapng.bad_block_length and stop', () => {
    const bad = hex`06000000 0d000000 00000000 0d000000`; // length 13: not a multiple of 4
    const r = parse(Buffer.concat([SHB_LE, IDB_LE, EPB_LE, bad, EPB_LE]));
    expect(r.frames).toHaveLength(1);
    expect(r.anomalies.get('pcapng.bad_block_length')).toBe(1);
    expect(r.info!.skippedBytes).toBe(bad.length + EPB_LE.length);
  });

  it('an EPB naming an interface no IDB described is skipped and noted', () => {
    const epb = Buffer.from(EPB_LE);
    epb.writeUInt32LE(7, 8);
    const r = parse(Buffer.concat([SHB_LE, IDB_LE, epb, EPB_LE]));
    expect(r.frames.map((f) => f.index)).toEqual([1]);
    expect(r.anomalies.get('pcapng.unknown_interface')).toBe(1);
  });

  it('unknown blocks are skipped by length and counted', () => {
    const unknown = hex`99000000 10000000 01020304 10000000`;
    const r = parse(Buffer.concat([SHB_LE, IDB_LE, unknown, EPB_LE]));
    expect(r.frames).toHaveLength(1);
    expect(r.anomalies.get('pcapng.skipped_block')).toBe(1);
  });

  it('cut mid-block: truncated', () => {
    const r = parse(Buffer.concat([SHB_LE, IDB_LE, EPB_LE, EPB_LE.subarray(0, 30)]), 7);
    expect(r.frames).toHaveLength(1);
    expect(r.info).toMatchObject({ truncated: true, skippedBytes: 30 });
    expect(r.anomalies.get('pcapng.truncated_block')).toBe(1);
  });
});

/** Every chunk size from 1 byte to the whole input: a block may be split anywhere. */
const everyChunking = (bytes: Buffer): number[] => Array.from({ length: bytes.length }, (_, i) => i + 1);

describe('a Section Header Block shorter than its fixed fields (28 bytes)', () => {
  const SHB12_LE = hex`
    0a0d0d0a 0c000000  // SHB, length 12: no room for version, section length or trailing length
    4d3c2b1a           // byte-order magic (little-endian)
  `;
  const SHB12_BE = hex`
    0a0d0d0a 0000000c  // SHB, length 12, big-endian
    1a2b3c4d           // byte-order magic (big-endian)
  `;

  it('at the end of the file: the frames before, then pcapng.bad_block_length (every chunking)', () => {
    const bytes = Buffer.concat([SHB_LE, IDB_LE, EPB_LE, SHB12_LE]);
    for (const chunk of everyChunking(bytes)) {
      const r = parse(bytes, chunk);
      expect(r.error, `chunks of ${chunk}`).toBeUndefined();
      expect(r.frames.map((f) => [f.index, f.time]), `chunks of ${chunk}`).toEqual([[1, 1_000_000]]);
      expect(r.anomalies.get('pcapng.bad_block_length'), `chunks of ${chunk}`).toBe(1);
      expect(r.anomalies.total, `chunks of ${chunk}`).toBe(1);
      expect(r.info, `chunks of ${chunk}`).toMatchObject({ sections: 1, skippedBytes: 12, truncated: false });
    }
  });

  it('in the middle, in either byte order: reading stops there, the rest is counted as skipped (every chunking)', () => {
    for (const shb12 of [SHB12_LE, SHB12_BE]) {
      const bytes = Buffer.concat([SHB_LE, IDB_LE, EPB_LE, shb12, IDB_LE, EPB_LE]);
      for (const chunk of everyChunking(bytes)) {
        const r = parse(bytes, chunk);
        expect(r.frames, `chunks of ${chunk}`).toHaveLength(1);
        expect(r.anomalies.get('pcapng.bad_block_length'), `chunks of ${chunk}`).toBe(1);
        expect(r.anomalies.total, `chunks of ${chunk}`).toBe(1);
        expect(r.info!.skippedBytes, `chunks of ${chunk}`).toBe(shb12.length + IDB_LE.length + EPB_LE.length);
      }
    }
  });

  it('as the first block: nothing is readable, CaptureFormatError bad_block_length (every chunking)', () => {
    for (const chunk of everyChunking(SHB12_LE)) expect(parse(SHB12_LE, chunk).error?.code).toBe('bad_block_length');
  });

  it('the crafted reproduction (12-byte SHB after one EPB) reads its frame from a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dualscope-shb12-'));
    writeFileSync(join(dir, 'shb12.pcapng'), Buffer.concat([SHB_LE, IDB_LE, EPB_LE, SHB12_LE]));
    const anomalies = new Anomalies();
    const frames: Kept[] = [];
    const info = await readCapture(join(dir, 'shb12.pcapng'), (f) => frames.push(keep(f)), anomalies);
    expect(frames).toHaveLength(1);
    expect(info.skippedBytes).toBe(12);
    expect(anomalies.get('pcapng.bad_block_length')).toBe(1);
  });
});

describe('timestamps beyond 2^53 µs: pcapng.bad_timestamp, the previous frame\'s time', () => {
  const epb = (high: string, low: string) => hex`
    06000000 24000000 00000000
    ${high} ${low}     // ticks, high and low 32-bit words
    04000000 04000000 cafef00d 24000000
  `;
  const HUGE_TICKS = epb('ffffffff', 'ffffffff'); // 2^64 − 1 µs ≈ 1.8e19 µs, past 2^53 and past Date

  it('a 2^64 − 1 tick EPB between two good ones takes the previous frame\'s time (every chunking)', () => {
    const later = epb('00000000', '80841e00'); // 2 000 000 µs = 2 s
    const bytes = Buffer.concat([SHB_LE, IDB_LE, EPB_LE, HUGE_TICKS, later]);
    for (const chunk of everyChunking(bytes)) {
      const r = parse(bytes, chunk);
      expect(r.frames.map((f) => [f.index, f.time, f.nanos]), `chunks of ${chunk}`).toEqual([[1, 1_000_000, 0], [2, 1_000_000, 0], [3, 2_000_000, 0]]);
      expect(r.anomalies.get('pcapng.bad_timestamp'), `chunks of ${chunk}`).toBe(1);
      expect(r.anomalies.total).toBe(1);
    }
  });

  it('as the first frame it gets time 0; the frame itself (data, lengths) is delivered unchanged', () => {
    const r = parse(Buffer.concat([SHB_LE, IDB_LE, HUGE_TICKS]));
    expect(r.frames[0]).toMatchObject({ index: 1, time: 0, nanos: 0, caplen: 4, origlen: 4 });
    expect(r.frames[0]!.data.toString('hex')).toBe('cafef00d');
    expect(r.anomalies.get('pcapng.bad_timestamp')).toBe(1);
  });

  it('just past 2^53 µs at µs resolution (ticks 0x00300000_00000000 ≈ 1.35e16) and 2^64 − 1 ns', () => {
    const justPast = parse(Buffer.concat([SHB_LE, IDB_LE, epb('00003000', '00000000')]));
    expect(justPast.frames.map((f) => f.time)).toEqual([0]);
    expect(justPast.anomalies.get('pcapng.bad_timestamp')).toBe(1);
    const nsIdb = hex`
      01000000 20000000  // IDB, length 32
      0100 0000 00000400
      0900 0100 09000000 // if_tsresol = 9 (ns), padded
      0000 0000          // opt_endofopt
      20000000
    `;
    const r = parse(Buffer.concat([SHB_LE, nsIdb, HUGE_TICKS])); // 2^64 − 1 ns = 1.8e16 µs
    expect([r.frames[0]!.time, r.frames[0]!.nanos]).toEqual([0, 0]);
    expect(r.anomalies.get('pcapng.bad_timestamp')).toBe(1);
  });

  it('a huge if_tsoffset (±2^63 s) turns 1 s of ticks into a bad timestamp; a moderate negative one is kept', () => {
    const idbWithOffset = (offset: string) => hex`
      01000000 24000000  // IDB, length 36
      0100 0000 00000400
      0e00 0800 ${offset} // if_tsoffset, signed 64-bit seconds
      0000 0000          // opt_endofopt
      24000000
    `;
    for (const offset of ['ffffffff ffffff7f', '00000000 00000080']) { // 2^63 − 1 s, −2^63 s
      const r = parse(Buffer.concat([SHB_LE, idbWithOffset(offset), EPB_LE]));
      expect(r.frames.map((f) => [f.time, f.nanos]), offset).toEqual([[0, 0]]);
      expect(r.anomalies.get('pcapng.bad_timestamp'), offset).toBe(1);
    }
    // −1 000 000 000 s (1938): within ±2^53 µs, so kept as it is, like any pre-1970 time.
    const r = parse(Buffer.concat([SHB_LE, idbWithOffset('003665c4 ffffffff'), EPB_LE]));
    expect(r.frames[0]!.time).toBe(-999_999_999_000_000);
    expect(r.anomalies.total).toBe(0);
  });
});

describe('inputs with nothing to read throw CaptureFormatError', () => {
  const cases: Array<[string, Buffer, string]> = [
    ['empty', Buffer.alloc(0), 'empty_file'],
    ['a PNG', hex`89504e47 0d0a1a0a 0000000d 49484452`, 'bad_magic'],
    ['bad magic', hex`deadbeef 0200 0400 00000000 00000000 ffff0000 01000000`, 'bad_magic'],
    ['pcap version 1.4', hex`d4c3b2a1 0100 0400 00000000 00000000 ffff0000 01000000`, 'unsupported_version'],
    ['cut inside the file header', PCAP_HEADER_LE.subarray(0, 10), 'bad_header'],
    ['pcapng SHB with length 5', hex`0a0d0d0a 05000000 4d3c2b1a`, 'bad_block_length'],
    ['pcapng SHB with length 12', hex`0a0d0d0a 0c000000 4d3c2b1a`, 'bad_block_length'],
  ];
  for (const [name, bytes, code] of cases) {
    it(name, () => expect(parse(bytes).error?.code).toBe(code));
  }
  it('files: zero bytes, a directory, a missing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dualscope-readers-'));
    writeFileSync(join(dir, 'zero.pcap'), '');
    mkdirSync(join(dir, 'sub'));
    const read = (p: string) => readCapture(join(dir, p), () => {}, new Anomalies());
    await expect(read('zero.pcap')).rejects.toMatchObject({ code: 'empty_file' });
    await expect(read('sub')).rejects.toMatchObject({ code: 'not_a_file' });
    await expect(read('missing.pcap')).rejects.toMatchObject({ code: 'unreadable' });
    writeFileSync(join(dir, 'png.pcap'), hex`89504e47 0d0a1a0a 0000000d 49484452`);
    await expect(read('png.pcap')).rejects.toThrow(/PNG/);
  });
});

describe.skipIf(!corpusPresent)('prefixes, mutations, gzip and streams of real files', () => {
  const SMALL = ['tcpdump/dns_udp.pcap', 'pcapng-test-generator/output_le/difficult/test202.pcapng', 'tcpdump/tcp-handshake-nano.pcap', 'pcap-parser/modified-format.pcap'];
  const lines = (fs: Kept[]) => fs.map((f) => `${f.index} ${f.time} ${f.nanos} ${f.caplen} ${f.data.toString('hex')}`);

  for (const path of SMALL) {
    it(`every prefix of ${path} yields a prefix of its frames`, () => {
      const bytes = readFileSync(join(CORPUS, path));
      const full = lines(parse(bytes).frames);
      for (let n = 0; n <= bytes.length; n++) {
        const r = parse(bytes.subarray(0, n), 5); // parse() rethrows anything but CaptureFormatError
        const got = lines(r.frames);
        expect(got).toEqual(full.slice(0, got.length));
        if (r.error) expect(got).toEqual([]);
      }
    });
    it(`seeded mutations of ${path} never throw anything but CaptureFormatError`, () => {
      for (const m of mutations(readFileSync(join(CORPUS, path)), 300, 7)) expect(() => parse(m, 64)).not.toThrow();
    });
  }

  it('gzip (found by magic, whatever the name) gives identical frames; a truncated gzip keeps the frames before', async () => {
    const path = 'zeek/wikipedia.pcap';
    const bytes = readFileSync(join(CORPUS, path));
    const plain = lines(parse(bytes).frames);
    const dir = mkdtempSync(join(tmpdir(), 'dualscope-gz-'));
    const gz = gzipSync(bytes);
    writeFileSync(join(dir, 'capture.pcap'), gz); // no .gz suffix on purpose
    const frames: Kept[] = [];
    const info = await readCapture(join(dir, 'capture.pcap'), (f) => frames.push(keep(f)), new Anomalies(), { chunkSize: 4096 });
    expect(info.gzip).toBe(true);
    expect(lines(frames)).toEqual(plain);

    writeFileSync(join(dir, 'cut.pcap'), gz.subarray(0, Math.floor(gz.length * 0.6)));
    const cut: Kept[] = [];
    const anomalies = new Anomalies();
    await readCapture(join(dir, 'cut.pcap'), (f) => cut.push(keep(f)), anomalies);
    expect(anomalies.get('gzip.truncated')).toBe(1);
    expect(cut.length).toBeGreaterThan(0);
    expect(cut.length).toBeLessThan(plain.length);
    expect(lines(cut)).toEqual(plain.slice(0, cut.length));
  });

  it('readCaptureStream (stdin, pipes, live capture) gives the same frames as the file reader', async () => {
    const path = 'pcapplusplus/PcapTest/pcapng-example.pcapng';
    const bytes = readFileSync(join(CORPUS, path));
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 1000) chunks.push(bytes.subarray(i, i + 1000));
    const frames: Kept[] = [];
    await readCaptureStream('pipe', Readable.from(chunks), (f) => frames.push(keep(f)), new Anomalies());
    const fromFile: Kept[] = [];
    await readCapture(join(CORPUS, path), (f) => fromFile.push(keep(f)), new Anomalies(), { chunkSize: 4096 });
    expect(lines(frames)).toEqual(lines(fromFile));
    expect(frames.length).toBe(159);
  });

  it('an error thrown by onFrame (e.g. dump --count) propagates and stops reading', async () => {
    let n = 0;
    const stop = new Error('enough');
    await expect(readCapture(join(CORPUS, 'zeek/wikipedia.pcap'), () => { if (++n === 3) throw stop; }, new Anomalies())).rejects.toBe(stop);
    expect(n).toBe(3);
  });
});

it('CaptureFormatError names the file and the problem in one line', () => {
  const e = parse(Buffer.from('hello world, not a capture'), 4, 'notes.txt').error!;
  expect(e).toBeInstanceOf(CaptureFormatError);
  expect(e.message).toMatch(/^notes\.txt: not a pcap or pcapng capture/);
  expect(e.message).not.toContain('\n');
});
