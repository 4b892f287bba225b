// A report that fails its schema part-way (renderJsonChunks checks one incident or lane at a time,
// as it writes) must not leave a first part that looks like a report. A file is written to a
// temporary name and renamed, so nothing appears; what is written through (standard output, a
// pipe, a device) cannot be taken back, so there the whole report is checked before the first
// byte (checkFirst: checkJsonReport), and should a part still fail after bytes went out, the error
// says the destination holds an incomplete report. A real report (a lab capture with 150 lanes,
// about 490 kB of JSON), its last lane broken.
import { spawn } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { analyzeFile } from '../../src/analyze.js';
import { firstLine } from '../../src/cli/error-line.js';
import { IncompleteReportError, STDOUT, writeAtomically } from '../../src/cli/output.js';
import { checkJsonReport, renderJson, renderJsonChunks, type Report } from '../../src/report/index.js';
import { ROOT } from '../support/cli.js';

const SAMPLE = join(ROOT, 'samples/busy-mixed-client.pcapng');

let tmp: string;
let good: Report;
let bad: Report;
let badLane: number;
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'dualscope-report-output-'));
  good = await analyzeFile(SAMPLE, { generatedAt: '2026-01-01T00:00:00Z' });
  badLane = good.timeline.lanes.length - 1;
  expect(badLane).toBeGreaterThan(100);
  expect(renderJson(good).length).toBeGreaterThan(200_000); // several 64 KiB writes before the broken lane
  bad = structuredClone(good);
  (bad.timeline.lanes[badLane] as { label: unknown }).label = 42;
}, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** What `write()` raised. */
function thrown(write: () => void): unknown {
  try {
    write();
  } catch (e) {
    return e;
  }
  throw new Error('expected the write to fail');
}

/** `write()` with a named pipe as the destination, a reader copying it to a file: what arrived. */
async function throughPipe(name: string, write: (fifo: string) => void): Promise<{ error: unknown; arrived: string }> {
  const fifo = join(tmp, `${name}.fifo`);
  const copy = join(tmp, `${name}.copy`);
  const mk = spawn('mkfifo', [fifo]);
  await new Promise((done) => mk.on('exit', done));
  const reader = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', fifo, copy]);
  let exited = false;
  const finished = new Promise((done) => reader.on('exit', () => { exited = true; done(undefined); }));
  let error: unknown;
  try {
    write(fifo); // blocks in open() until the reader has the pipe open
  } catch (e) {
    error = e;
  }
  // When the write never opened the pipe (refused before its first byte), the reader still waits in open(): release it.
  // A non-blocking open fails (ENXIO) while no reader has the pipe open: either the reader is gone already
  // (the write opened and closed the pipe), or its shell has not reached open() yet — then it would wait
  // there for ever (seen once in CI: the test timed out at 60 s), so try again until it is there or gone.
  while (!exited) {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      break;
    } catch {
      await new Promise((done) => setTimeout(done, 10));
    }
  }
  await finished;
  return { error, arrived: readFileSync(copy, 'utf8') };
}

describe('a report that fails its schema part-way', () => {
  it('is found by the whole check that writing makes, naming the broken lane', () => {
    expect(() => checkJsonReport(good)).not.toThrow();
    const e = thrown(() => checkJsonReport(bad));
    expect(e).toBeInstanceOf(z.ZodError);
    expect(firstLine(e)).toMatch(new RegExp(`^timeline\\.lanes\\.${badLane}\\.label: `));
    // The same error as writing would meet.
    expect(firstLine(thrown(() => [...renderJsonChunks(bad)]))).toBe(firstLine(e));
  });

  it('to a file: leaves no file, and no temporary file', () => {
    const path = join(tmp, 'file', 'report.json');
    expect(thrown(() => writeAtomically(path, renderJsonChunks(bad), { checkFirst: () => checkJsonReport(bad) }))).toBeInstanceOf(z.ZodError);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(join(tmp, 'file'))).toEqual([]);
  });

  it('to standard output: nothing is written, and the error names the broken lane', () => {
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const e = thrown(() => writeAtomically(STDOUT, renderJsonChunks(bad), { checkFirst: () => checkJsonReport(bad) }));
      expect(firstLine(e)).toMatch(new RegExp(`^timeline\\.lanes\\.${badLane}\\.label: `));
      expect(stdout).not.toHaveBeenCalled();
      // A good report goes out whole, as renderJson writes it.
      writeAtomically(STDOUT, renderJsonChunks(good), { checkFirst: () => checkJsonReport(good) });
      expect(stdout.mock.calls.map((c) => String(c[0])).join('')).toBe(renderJson(good));
    } finally {
      stdout.mockRestore();
    }
  });

  it('to a pipe: nothing arrives when checked first; unchecked, the error says the pipe holds an incomplete report', async () => {
    const checkedFirst = await throughPipe('checked', (fifo) => writeAtomically(fifo, renderJsonChunks(bad), { checkFirst: () => checkJsonReport(bad) }));
    expect(checkedFirst.error).toBeInstanceOf(z.ZodError);
    expect(checkedFirst.arrived).toBe('');

    // A part that fails after the first byte (here: nothing checked it first).
    const unchecked = await throughPipe('unchecked', (fifo) => writeAtomically(fifo, renderJsonChunks(bad)));
    expect(unchecked.error).toBeInstanceOf(IncompleteReportError);
    const e = unchecked.error as IncompleteReportError;
    expect(e.charsWritten).toBe(unchecked.arrived.length);
    expect(unchecked.arrived.length).toBeGreaterThan(0);
    expect(renderJson(good).startsWith(unchecked.arrived)).toBe(true);
    expect(firstLine(e)).toMatch(new RegExp(`^\\S+\\.fifo holds an incomplete report \\(its first ${e.charsWritten} characters\\): timeline\\.lanes\\.${badLane}\\.label: `));
  });
});
