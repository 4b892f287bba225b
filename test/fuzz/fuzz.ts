// `npm run fuzz`: the longer run of the mutation tests. Takes real captures (the public corpus and
// samples/) and the crafted seeds (test/fuzz/seeds: block floods), mutates them with a seeded generator (byte flips, overwrites with boundary values,
// cuts, duplicated and deleted ranges, lengths set to 0/0xffff/0xffffffff), and feeds each mutant
// through the whole analysis and the reports. A failure is any exception other than CaptureFormatError, any frame
// the per-frame safety net had to catch (a decoder bug), or a mutant taking longer than a bound
// (a hang). Failing inputs are written to fuzz-failures/ for a regression test.
// Usage: npm run fuzz [-- SECONDS [SEED]]   (default 60 s, seed from the clock)
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { Analysis } from '../../src/analyze.js';
import { CaptureFormatError } from '../../src/core/index.js';
import { readCaptureStream } from '../../src/readers/index.js';
import { renderHtml, renderJson, renderText } from '../../src/report/index.js';

/** npm runs scripts from the project root. */
const PROJECT = process.cwd();
const seconds = Number(process.argv[2] ?? 60);
const seed = Number(process.argv[3] ?? Date.now() % 1_000_000);
const PER_INPUT_MS = 5_000;

function seeded(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function captures(dir: string): string[] {
  try {
    return readdirSync(dir).flatMap((f) => {
      const p = join(dir, f);
      const st = statSync(p);
      if (st.isDirectory()) return f === 'truth' || f === 'lab' ? [] : captures(p);
      return /\.(pcap|pcapng|cap)$/.test(f) && st.size < 2_000_000 ? [p] : [];
    });
  } catch {
    return [];
  }
}

const BOUNDARY = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

function mutate(input: Buffer, rnd: () => number): Buffer {
  let b = Buffer.from(input);
  const n = 1 + Math.floor(rnd() * 6);
  for (let i = 0; i < n && b.length > 0; i++) {
    const at = Math.floor(rnd() * b.length);
    switch (Math.floor(rnd() * 6)) {
      case 0: b[at] = b[at]! ^ (1 << Math.floor(rnd() * 8)); break;
      case 1: b[at] = BOUNDARY[Math.floor(rnd() * BOUNDARY.length)]!; break;
      case 2: b = b.subarray(0, at); break;
      case 3: { const len = Math.floor(rnd() * 64); b = Buffer.concat([b.subarray(0, at + len), b.subarray(at)]); break; }
      case 4: { const len = Math.floor(rnd() * 64); b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + len))]); break; }
      default: if (at + 4 <= b.length) b.writeUInt32LE([0, 0xffff, 0xffffffff, 0x7fffffff][Math.floor(rnd() * 4)]!, at);
    }
  }
  return b;
}

/** Every mutant goes through the readers, the analysis and the JSON (schema-checked) and text reports; every 200th through the HTML one too (the slowest report). */
async function run(data: Buffer, withHtml: boolean): Promise<string | undefined> {
  const analysis = new Analysis({});
  try {
    const info = await readCaptureStream('fuzz', Readable.from([data]), (f) => analysis.frame(f), analysis.anomalies);
    const report = analysis.finish('fuzz', info);
    renderJson(report);
    renderText(report);
    if (withHtml) renderHtml(report);
  } catch (e) {
    if (e instanceof CaptureFormatError) return undefined;
    return `exception: ${e instanceof Error ? e.stack : String(e)}`;
  }
  const caught = analysis.anomalies.get('analyze.decode_exception');
  return caught > 0 ? `${caught} frame(s) hit the per-frame safety net` : undefined;
}

/** The crafted seeds (test/fuzz/seeds, gzip'd block floods): mutated inflated, as the readers see them. */
function seeds(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.gz')).map((f) => join(dir, f));
  } catch {
    return [];
  }
}

const inputs = [
  ...[...captures(join(PROJECT, '../shared/captures')), ...captures(join(PROJECT, 'samples'))].map((p) => ({ p, data: readFileSync(p) })),
  ...seeds(join(PROJECT, 'test/fuzz/seeds')).map((p) => ({ p, data: gunzipSync(readFileSync(p)) })),
];
if (inputs.length === 0) throw new Error('no captures found to mutate');
const rnd = seeded(seed);
const deadline = Date.now() + seconds * 1000;
let runs = 0;
let failures = 0;
process.stdout.write(`fuzzing ${inputs.length} captures for ${seconds} s, seed ${seed}\n`);
while (Date.now() < deadline) {
  const input = inputs[Math.floor(rnd() * inputs.length)]!;
  const mutant = mutate(input.data, rnd);
  const started = Date.now();
  const problem = (await run(mutant, runs % 200 === 0)) ?? (Date.now() - started > PER_INPUT_MS ? `slow: ${Date.now() - started} ms` : undefined);
  runs++;
  if (problem) {
    failures++;
    mkdirSync('fuzz-failures', { recursive: true });
    const name = join('fuzz-failures', `seed${seed}-run${runs}.pcap`);
    writeFileSync(name, mutant);
    process.stdout.write(`FAIL ${name} (from ${input.p}): ${problem.split('\n').slice(0, 4).join(' | ')}\n`);
  }
}
process.stdout.write(`${runs} mutants, ${failures} failures\n`);
process.exitCode = failures > 0 ? 1 : 0;
