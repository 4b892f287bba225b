// One measurement in a fresh process, so peak RSS belongs to that mode alone.
// Usage: node dist/bench/bench-worker.js read|decode|analyze|analyze-jobs|analyze-report FILE → one JSON line.
// analyze-report also renders both report files (JSON and HTML, as `dualscope analyze` writes them by
// default; in parts, as they are written), so its time and peak RSS are what a user of the command gets.
// analyze-jobs is `analyze --jobs N` with N = every core (the CLI's default is one thread); the findings'
// digest lets the bench show that both analyses found the same.
import { Anomalies } from '../src/core/index.js';
import { readCapture } from '../src/readers/index.js';
import { PacketDecoder } from '../src/decode/index.js';
import { analyzeFile } from '../src/analyze.js';
import { createHash } from 'node:crypto';
import { capSemiSpaces, tuneGarbageCollector } from '../src/cli/heap.js';
import { renderHtmlChunks, renderJsonChunks, type Report } from '../src/report/index.js';

// As the `dualscope` executable does, so the figures are what users get.
tuneGarbageCollector();

const [mode, file] = process.argv.slice(2);
if (!mode || !file) throw new Error('usage: bench-worker read|decode|analyze|analyze-jobs|analyze-report FILE');
// As `dualscope analyze` on one thread does (not with worker threads: see heap.ts).
if (mode !== 'analyze-jobs') capSemiSpaces();

/**
 * SHA-1 of `JSON.stringify(findings)`, fed one finding at a time: the same digest as hashing the
 * whole string, without a string of the whole list (~30 MB of peak RSS on the edge file, which is
 * the bench's cost, not the analysis's).
 */
function findingsDigest(findings: Report['findings']): string {
  const hash = createHash('sha1').update('[');
  findings.forEach((f, i) => hash.update(i === 0 ? JSON.stringify(f) : `,${JSON.stringify(f)}`));
  return hash.update(']').digest('hex');
}

const started = process.hrtime.bigint();
let packets = 0;
let findings = 0;
let digest = '';
let pieces = 1;
/** analyze-report: characters of the JSON and HTML reports. */
let reportBytes = 0;
if (mode === 'read') {
  const info = await readCapture(file, () => { packets++; }, new Anomalies());
  void info;
} else if (mode === 'decode') {
  const anomalies = new Anomalies();
  const decoder = new PacketDecoder(anomalies);
  let next = Number.NEGATIVE_INFINITY;
  await readCapture(file, (f) => {
    packets++;
    decoder.decode(f);
    if (f.time >= next) { next = f.time + 1_000_000; decoder.expire(f.time); }
  }, anomalies);
} else if (mode === 'analyze' || mode === 'analyze-report') {
  const report = await analyzeFile(file, { generatedAt: '2026-01-01T00:00:00Z' });
  packets = report.capture.packets;
  findings = report.findings.length;
  if (mode === 'analyze-report') {
    // Both reports in the parts the command writes as they come (src/report/json.ts, html.ts).
    for (const part of renderJsonChunks(report)) reportBytes += part.length;
    for (const part of renderHtmlChunks(report)) reportBytes += part.length;
  }
  digest = findingsDigest(report.findings);
} else if (mode === 'analyze-jobs') {
  // Loaded here only, as `dualscope analyze` loads it only for --jobs: the other modes' figures
  // include start-up, which should be the command's.
  const { analyzeInPieces, defaultJobs, shouldSplit } = await import('../src/batch/index.js');
  const jobs = defaultJobs();
  const report = shouldSplit(file, jobs)
    ? await analyzeInPieces(file, { jobs, analyze: { generatedAt: '2026-01-01T00:00:00Z' }, onPieces: (n) => (pieces = n) })
    : await analyzeFile(file, { generatedAt: '2026-01-01T00:00:00Z' });
  packets = report.capture.packets;
  findings = report.findings.length;
  digest = findingsDigest(report.findings);
} else {
  throw new Error(`unknown mode ${mode}`);
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(`${JSON.stringify({ mode, packets, seconds, findings, digest, pieces, reportBytes, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
