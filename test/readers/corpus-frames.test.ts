// Every capture in ../shared/captures through the reader alone: frame numbers and counts against
// tshark (manifest frames_tshark) and the container facts (manifest packets), exact timestamps of
// every truth record, and identical frames whatever the chunking.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Anomalies } from '../../src/core/index.js';
import { readCapture } from '../../src/readers/index.js';
import { CORPUS, corpusPresent, epochNanos, frameNanos, keep, manifestFiles, parse, type Kept } from './support.js';

const files = manifestFiles();

/** Where dualscope's frame count differs from tshark's on purpose. */
const FRAME_COUNT_DIFFERS: Record<string, { ours: number; why: string }> = {
  'libpcap/shb-option-too-long.pcapng': {
    ours: 1,
    why: 'every block has a trailing length that disagrees with its leading one; tshark refuses the file, we note pcapng.block_length_mismatch and read by the leading lengths',
  },
  'suricata-verify/bug-6875-01/fuzz.pcap': {
    ours: 1,
    why: "fuzzer output: when the second record looks wrong, Wireshark's libpcap reader guesses an old patched-libpcap record layout (24-byte headers) and reads one more bogus frame; we read the standard layout the magic names and stop at the absurd caplen",
  },
};
/** Where our count differs from the manifest's own container parser (`packets`), on purpose. */
const PACKETS_DIFFER: Record<string, { ours: number; why: string }> = {
  'gopacket/pcapgo/tests/le/test901.pcapng': { ours: 1, why: 'the middle section has SHB version 2.0: we stop there, as tshark does' },
  'ndpi/fuzz-2021-10-13.pcap': { ours: 1, why: 'pcap version 2.0: caplen and len are swapped before 2.3 (libpcap, tshark), so record 1 fits' },
};
/** The whole file is unusable: CaptureFormatError, as tshark also reads nothing. */
const UNREADABLE: Record<string, string> = {
  'libpcap/pcap-invalid-version-1.pcap': 'unsupported_version',
  'libpcap/pcapng-invalid-vers-1.pcapng': 'unsupported_version',
};

interface Timed { frame: number; time_epoch: string }
function truthTimes(path: string): Map<number, string> {
  const t = JSON.parse(readFileSync(join(CORPUS, 'truth', `${path}.json`), 'utf8')) as Record<string, unknown>;
  const out = new Map<number, string>();
  for (const key of ['dns', 'tcp_syn', 'icmp_errors', 'ipv6_fragments', 'ipv4_fragments']) {
    for (const r of (t[key] as Timed[] | undefined) ?? []) if (r.frame !== undefined && r.time_epoch) out.set(r.frame, r.time_epoch);
  }
  return out;
}

describe.skipIf(!corpusPresent)('corpus: every file in manifest.json', () => {
  it('covers the whole manifest', () => expect(files.length).toBe(152));

  for (const f of files) {
    it(`${f.path}: frame count, numbers and truth timestamps match tshark`, async () => {
      const frames: Kept[] = [];
      const anomalies = new Anomalies();
      const run = readCapture(join(CORPUS, f.path), (fr) => frames.push(keep(fr)), anomalies);
      if (UNREADABLE[f.path]) {
        await expect(run).rejects.toMatchObject({ name: 'CaptureFormatError', code: UNREADABLE[f.path] });
        expect(f.frames_tshark).toBe(0);
        return;
      }
      const info = await run;
      expect(info.frames).toBe(frames.length);
      expect(frames.length).toBe(PACKETS_DIFFER[f.path]?.ours ?? f.packets);
      const tsharkFrames = frames.length + info.nonPacketRecords;
      if (FRAME_COUNT_DIFFERS[f.path]) {
        expect(tsharkFrames).toBe(FRAME_COUNT_DIFFERS[f.path]!.ours);
        expect(tsharkFrames).not.toBe(f.frames_tshark);
      } else {
        expect(tsharkFrames).toBe(f.frames_tshark);
      }
      // Frame numbers rise by one, except over non-packet records.
      for (let i = 1; i < frames.length; i++) expect(frames[i]!.index).toBeGreaterThan(frames[i - 1]!.index);
      if (info.nonPacketRecords === 0) frames.forEach((fr, i) => expect(fr.index).toBe(i + 1));
      for (const fr of frames) {
        expect(fr.data.length).toBe(fr.caplen);
        expect(Number.isSafeInteger(fr.time)).toBe(true); // nothing after the reader sees an unsafe time
        expect(fr.nanos >= 0 && fr.nanos < 1000).toBe(true);
      }
      const byIndex = new Map(frames.map((fr) => [fr.index, fr]));
      for (const [n, epoch] of truthTimes(f.path)) {
        const fr = byIndex.get(n);
        expect(fr, `frame ${n}`).toBeDefined();
        const want = epochNanos(epoch);
        const wantMicros = want / 1000n;
        if (wantMicros > BigInt(Number.MAX_SAFE_INTEGER) || wantMicros < BigInt(Number.MIN_SAFE_INTEGER)) {
          // Beyond 2^53 µs (year 2255+, here a bogus 64-bit tick count in pcapng-example.pcapng frame 90)
          // integer µs cannot be exact: the reader notes pcapng.bad_timestamp and gives the frame the
          // previous frame's time (0 for the first).
          const i = frames.indexOf(fr!);
          expect([fr!.time, fr!.nanos], `frame ${n} time`).toEqual([i > 0 ? frames[i - 1]!.time : 0, 0]);
          expect(anomalies.get('pcapng.bad_timestamp')).toBeGreaterThan(0);
        } else {
          expect(frameNanos(fr!), `frame ${n} time`).toBe(want);
        }
      }
    });
  }
});

/** One comparable line per frame (vitest's deep equality over Buffers is slow). */
const line = (f: Kept): string => `${f.index} ${f.time} ${f.nanos} ${f.linkType} ${f.caplen} ${f.origlen} ${f.iface} ${f.data.toString('base64')}`;

describe.skipIf(!corpusPresent)('corpus: every chunking gives the same frames', () => {
  const SMALL = 256 * 1024;
  for (const f of files) {
    if (UNREADABLE[f.path]) continue;
    it(f.path, () => {
      const bytes = readFileSync(join(CORPUS, f.path));
      const whole = parse(bytes);
      expect(whole.error).toBeUndefined();
      const sizes = bytes.length <= SMALL ? [1, 2, 3, 7, 64, 4096, 65536] : [7, 64, 1000, 4096, 65536];
      for (const size of sizes) {
        const split = parse(bytes, size);
        expect(split.error).toBeUndefined();
        expect(split.frames.length, `chunks of ${size}`).toBe(whole.frames.length);
        expect(split.frames.map(line), `chunks of ${size}`).toEqual(whole.frames.map(line));
        expect(split.info).toEqual(whole.info);
        expect(split.anomalies.toRecord()).toEqual(whole.anomalies.toRecord());
      }
    });
  }
});

// tshark numbers pcapng custom blocks (CB 0x00000BAD, DCB 0x40000BAD) as frames. So that a frame
// number in a finding opens the right packet in Wireshark, dualscope gives them numbers too (not
// delivered). Packet frame numbers below are from
// `tshark -r FILE -T fields -e frame.number -e frame.protocols` (4.0.17): rows with `data` are the custom blocks.
describe.skipIf(!corpusPresent)('pcapng custom blocks take frame numbers, as in Wireshark', () => {
  const cases: Array<[string, number[], number]> = [
    ['pcapng-test-generator/output_le/basic/test018.pcapng', [2, 3, 5, 7], 8],
    ['pcapng-test-generator/output_le/advanced/test102.pcapng', [2, 4, 5, 6, 7], 8],
    ['pcapng-test-generator/output_le/difficult/test202.pcapng', [2, 3, 4, 5, 6, 8, 9, 11], 11],
  ];
  for (const [path, packetNumbers, tsharkFrames] of cases) {
    it(path, () => {
      const r = parse(readFileSync(join(CORPUS, path)));
      expect(r.frames.map((f) => f.index)).toEqual(packetNumbers);
      expect(r.frames.length + r.info!.nonPacketRecords).toBe(tsharkFrames);
    });
  }
  it('SPB frames have no timestamp (tshark shows none): time 0; EPB frames keep theirs', () => {
    const r = parse(readFileSync(join(CORPUS, 'pcapng-test-generator/output_le/basic/test018.pcapng')));
    // tshark: frame 3 1340954905.298858000, frame 7 1340954905.300858000; frames 2 and 5 are SPBs.
    expect(r.frames.map((f) => [f.index, f.time])).toEqual([[2, 0], [3, 1340954905298858], [5, 0], [7, 1340954905300858]]);
  });
});

describe.skipIf(!corpusPresent)('container details against tshark', () => {
  const file = (p: string) => parse(readFileSync(join(CORPUS, p)));
  it('if_tsresol 2^-8 (gopacket test902): tshark says 1519128000.195312500', () => {
    const [f] = file('gopacket/pcapgo/tests/be/test902.pcapng').frames;
    expect(frameNanos(f!)).toBe(epochNanos('1519128000.195312500'));
  });
  it('ns if_tsresol on two interfaces (test008): tshark frame 2 is 1340954.905299858 on interface 1, caplen 128 of 342', () => {
    const r = file('pcapng-test-generator/output_le/basic/test008.pcapng');
    expect(frameNanos(r.frames[1]!)).toBe(epochNanos('1340954.905299858'));
    expect([r.frames[1]!.iface, r.frames[1]!.caplen, r.frames[1]!.origlen]).toEqual([1, 128, 342]);
    expect(r.info!.resolution).toBe('ns');
  });
  it('Kuznetsov modified pcap (24-byte record headers): tshark 1712763541.734807000, 98 bytes', () => {
    const [f] = file('pcap-parser/modified-format.pcap').frames;
    expect([f!.time, f!.caplen, f!.origlen]).toEqual([1712763541734807, 98, 98]);
  });
  it('ns pcap keeps nanoseconds (tcp-handshake-nano: tshark 1418145369.924505488)', () => {
    const r = file('tcpdump/tcp-handshake-nano.pcap');
    expect([r.frames[0]!.time, r.frames[0]!.nanos]).toEqual([1418145369924505, 488]);
    expect(r.info!.resolution).toBe('ns');
  });
  it('invalid sub-second fields carry into the seconds and are noted', () => {
    for (const p of ['tcpdump/timestamp_invalid_micro.pcap', 'tcpdump/timestamp_invalid_nano.pcap']) {
      const r = file(p);
      expect(r.anomalies.get('pcap.bad_subsecond')).toBeGreaterThan(0);
      // tshark prints frame 2 as 1418145370.1000000000, i.e. 1418145371 s exactly.
      expect(frameNanos(r.frames[1]!)).toBe(1418145371_000_000_000n);
    }
  });
  it('big-endian files: arkime/bigendian.pcap and pcapplusplus nanosecs_big_endian.pcap', () => {
    expect(file('arkime/bigendian.pcap').info!.byteOrder).toBe('big');
    expect(file('pcapplusplus/PcapTest/nanosecs_big_endian.pcap').info).toMatchObject({ byteOrder: 'big', resolution: 'ns' });
  });
  it('pcapng sections of different byte order restart interface ids (test202)', () => {
    const r = file('pcapng-test-generator/output_le/difficult/test202.pcapng');
    expect(r.info!.sections).toBe(3);
    expect(new Set(r.info!.interfaces.map((i) => i.section))).toEqual(new Set([0, 1, 2]));
    expect(r.info!.linkTypes.sort()).toEqual([0, 1]);
  });
  it('ISB isb_ifdrop is reported (pcap-parser err-buffertoosmall has an ISB)', () => {
    const r = file('pcap-parser/err-buffertoosmall.pcapng');
    expect(typeof r.info!.droppedByInterface).toBe('number');
  });
  it('obsolete Packet Blocks, big-endian (scapy/pfcp.pcap despite its name)', () => {
    const r = file('scapy/pfcp.pcap');
    expect(r.info).toMatchObject({ format: 'pcapng', byteOrder: 'big' });
    expect(r.frames.every((f) => f.linkType === 101)).toBe(true);
  });
  it('a later SHB with version 2.0 stops reading, as tshark does (gopacket test901)', () => {
    const r = file('gopacket/pcapgo/tests/le/test901.pcapng');
    expect(r.anomalies.get('pcapng.unsupported_version')).toBe(1);
    expect(r.info!.skippedBytes).toBeGreaterThan(0);
  });
  it('ticks near 2^64 µs (pcapng-example interface 1, tshark frame 90: 18446744073204.160194): noted, previous time', () => {
    const r = file('pcapplusplus/PcapTest/pcapng-example.pcapng');
    expect(r.anomalies.get('pcapng.bad_timestamp')).toBe(100);
    const last = r.frames[58]!; // frame 59, interface 0: the last representable time
    expect([last.index, last.iface, last.time]).toEqual([59, 0, 1422528033092194]);
    expect(r.frames.slice(59).every((f) => f.iface === 1 && f.time === last.time && f.nanos === 0)).toBe(true);
  });
  it('absurd caplen mid-file (tls_DER-incomplete-header): the 6 frames before, then stop', () => {
    const r = file('suricata-verify/bug-1450-04/tls_DER-incomplete-header.pcap');
    expect(r.frames.length).toBe(6);
    expect(r.anomalies.get('pcap.caplen_too_large')).toBe(1);
    expect(r.info!.skippedBytes).toBe(readFileSync(join(CORPUS, 'suricata-verify/bug-1450-04/tls_DER-incomplete-header.pcap')).length - 5035);
  });
});
