// `--annotate`: every lab sample rewritten as annotated pcapng, read back by tshark (the reader
// the file is for) and by dualscope. tshark must see the same frames at the same times, our
// comments on exactly the evidence frames, and the findings in the capture comments; dualscope
// must find the same findings on the copy. The public corpus's odd containers (big-endian,
// obsolete and simple packet blocks, custom blocks, several sections, nanosecond and modified
// pcap) are rewritten too, with synthetic evidence, and must keep their own comments.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Anomalies, formatEpoch } from '../../src/core/index.js';
import type { Finding } from '../../src/report/index.js';
import { readCapture } from '../../src/readers/index.js';
import { annotateCapture, COMMENT_PREFIX, evidenceComments } from '../../src/share/index.js';
import { analyzeFile } from '../../src/analyze.js';
import { CORPUS, corpusPresent } from '../support/corpus.js';
import { captureComments, captureInfo, tsharkFields, tsharkPresent } from '../support/tshark.js';

const SAMPLES = join(import.meta.dirname, '../../samples');
const tmp = mkdtempSync(join(tmpdir(), 'h19-annotate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const samples = readdirSync(SAMPLES).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort();

/** tshark's view of a file: frame number → [time_epoch, dualscope comments, other comments]. */
function tsharkView(file: string): Map<number, { time: string; ours: string[]; theirs: string[] }> {
  const view = new Map<number, { time: string; ours: string[]; theirs: string[] }>();
  for (const [num, time, comments] of tsharkFields(file, ['frame.number', 'frame.time_epoch', 'frame.comment'])) {
    const all = comments ?? [];
    view.set(Number(num![0]), { time: time![0] ?? '', ours: all.filter((c) => c.startsWith(COMMENT_PREFIX)), theirs: all.filter((c) => !c.startsWith(COMMENT_PREFIX)) });
  }
  return view;
}

/** Frame number → `sec.nanos` as tshark prints time_epoch, from dualscope's reader. */
async function readerTimes(path: string): Promise<Map<number, string>> {
  const times = new Map<number, string>();
  await readCapture(path, (f) => times.set(f.index, formatEpoch(f.time, 0) + String(f.nanos).padStart(3, '0')), new Anomalies());
  return times;
}

const essence = (findings: readonly Finding[]) => findings.map((f) => ({ id: f.id, kind: f.kind, severity: f.severity, frames: f.evidence.map((e) => e.frame) }));

describe.runIf(tsharkPresent)('annotate: every sample, read back by tshark and dualscope', () => {
  it('has samples', () => expect(samples.length).toBeGreaterThan(20));

  for (const name of samples) {
    it(name, async () => {
      const input = join(SAMPLES, name);
      const report = await analyzeFile(input, { generatedAt: '2026-01-01T00:00:00.000Z' });
      const out = join(tmp, `${name}.annotated.pcapng`);
      const r = await annotateCapture(input, report.findings, out);
      expect(r.mismatched).toEqual([]);

      // One tshark pass with the filter a support engineer types: exactly the evidence frames, each
      // with its comments and the original's time (as dualscope's reader, which the corpus test
      // holds to tshark, reads it).
      const times = await readerTimes(input);
      const want = evidenceComments(report.findings);
      expect(r.annotated).toBe(want.size);
      const listed = tsharkFields(out, ['frame.number', 'frame.time_epoch', 'frame.comment'], `frame.comment contains "${COMMENT_PREFIX}"`);
      expect(listed.map((row) => Number(row[0]![0]))).toEqual([...want.keys()].sort((a, b) => a - b));
      for (const [num, time, comments] of listed) {
        const n = Number(num![0]);
        expect(time![0], `frame ${n} time`).toBe(times.get(n));
        expect(comments, `frame ${n} comments`).toEqual(want.get(n));
      }
      const info = captureInfo(out);
      expect(info.frames, 'frames').toBe(times.size + r.info.nonPacketRecords);
      const shb = info.comments.filter((c) => c.startsWith(COMMENT_PREFIX));
      expect(shb).toHaveLength(report.findings.length + 1);
      for (const f of report.findings) expect(shb.some((c) => c.includes(f.id)), f.id).toBe(true);

      const again = await analyzeFile(out, { generatedAt: '2026-01-01T00:00:00.000Z' });
      expect(essence(again.findings)).toEqual(essence(report.findings));
    });
  }
});

/** Corpus files whose containers a copy most easily gets wrong. */
const CONTAINERS = [
  'pcapng-test-generator/output_be/basic/test001.pcapng', // big-endian
  'pcapng-test-generator/output_be/basic/test009.pcapng', // EPBs with every option (BE)
  'pcapng-test-generator/output_le/basic/test008.pcapng', // if_tsresol 9, if_tsoffset
  'pcapng-test-generator/output_le/basic/test010.pcapng', // simple packet blocks
  'pcapng-test-generator/output_be/basic/test012.pcapng', // SPBs and a small snaplen (BE)
  'pcapng-test-generator/output_le/basic/test016.pcapng', // name resolution blocks
  'pcapng-test-generator/output_le/basic/test018.pcapng', // custom blocks take frame numbers
  'pcapng-test-generator/output_le/advanced/test102.pcapng', // every block type
  'pcapng-test-generator/output_le/difficult/test202.pcapng', // sections of both byte orders
  'scapy/pfcp.pcap', // big-endian pcapng of obsolete packet blocks
  'tcpdump/tcp-handshake-nano.pcap', // nanosecond pcap
];

/** A finding whose evidence is every other frame of the file (the reader's own numbers and times). */
async function everyOtherFrame(path: string): Promise<Finding> {
  const evidence: Finding['evidence'] = [];
  let k = 0;
  await readCapture(path, (f) => {
    if (k++ % 2 === 0) evidence.push({ frame: f.index, time: f.time, role: `synthetic evidence ${f.index}` });
  }, new Anomalies());
  return {
    id: 'path.mss_clamped:1', kind: 'path.mss_clamped', severity: 'info', summary: 'synthetic', start: 0, end: 0, names: [], evidence,
    impact: { description: '' }, confidence: { level: 'low', reason: '' }, remedy: '', displayFilter: '', details: {},
  };
}

describe.runIf(tsharkPresent && corpusPresent)('annotate: odd containers from the corpus keep their blocks, numbers and times', () => {
  for (const rel of CONTAINERS) {
    it(rel, async () => {
      const input = join(CORPUS, rel);
      const finding = await everyOtherFrame(input);
      const out = join(tmp, rel.replaceAll('/', '_') + '.pcapng');
      const r = await annotateCapture(input, [finding], out);
      expect(r.mismatched).toEqual([]);
      const before = tsharkView(input);
      const after = tsharkView(out);
      expect([...after.keys()]).toEqual([...before.keys()]);
      const want = evidenceComments([finding]);
      for (const [n, f] of after) {
        // A Simple Packet Block has no timestamp and no options: commented, it becomes an EPB at 0.
        const was = before.get(n)!.time;
        expect(f.time, `frame ${n} time`).toBe(was === '' && f.ours.length > 0 ? '0.000000000' : was);
        expect(f.ours, `frame ${n} comments`).toEqual(want.get(n) ?? []);
        expect(f.theirs, `frame ${n}: the capture's own comments`).toEqual(before.get(n)!.theirs);
      }
      // The original's capture comments are still there, after ours.
      const theirs = captureComments(input);
      expect(captureComments(out).filter((c) => !c.startsWith(COMMENT_PREFIX))).toEqual(theirs);
      // The packet bytes are the original's.
      expect(packetBytes(out)).toEqual(packetBytes(input));
    });
  }
});

function packetBytes(file: string): string[] {
  return tsharkFields(file, ['frame.number', 'frame.len', 'frame.cap_len', 'frame.md5_hash'], undefined, ['-o', 'frame.generate_md5_hash:TRUE'])
    .map((row) => row.map((v) => v.join(',')).join(' '));
}

describe.runIf(tsharkPresent)('annotate: compressed and damaged inputs', () => {
  it('reads a gzip capture (found by its magic) and writes plain pcapng', async () => {
    const input = join(SAMPLES, 'aaaa-unanswered-client.pcapng');
    const gz = join(tmp, 'aaaa.pcapng.gz');
    writeFileSync(gz, gzipSync(readFileSync(input)));
    const report = await analyzeFile(input);
    const out = join(tmp, 'from-gzip.pcapng');
    const r = await annotateCapture(gz, report.findings, out);
    expect(r.mismatched).toEqual([]);
    const listed = tsharkFields(out, ['frame.number'], `frame.comment contains "${COMMENT_PREFIX}"`).map((row) => Number(row[0]![0]));
    expect(listed).toEqual([...evidenceComments(report.findings).keys()].sort((a, b) => a - b));
  });

  it.runIf(corpusPresent)('a damaged capture: the whole records before the damage, as a clean file tshark reads without complaint', async () => {
    const input = join(CORPUS, 'suricata-verify/bug-1450-04/tls_DER-incomplete-header.pcap');
    const times = await readerTimes(input);
    const out = join(tmp, 'cut.pcapng');
    const r = await annotateCapture(input, [], out);
    expect(r.info.skippedBytes).toBeGreaterThan(0); // a record claims 4 MB: reading stops there
    const rows = tsharkFields(out, ['frame.number', 'frame.time_epoch']);
    expect(rows.map((row) => [Number(row[0]![0]), row[1]![0]])).toEqual([...times].map(([n, t]) => [n, t]));
  });
});
