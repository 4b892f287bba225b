// Report files written part by part (src/writers/text-file.ts) through both atomic writers: the
// parts land in order and whole, gathered into few writes; a part that throws while it is made
// leaves neither a file under the real name nor a temporary file, and an older report stays.
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeText } from '../../src/writers/index.js';
import { writeAtomically } from '../../src/cli/output.js';
import { writeFileAtomically } from '../../src/batch/write-file.js';

const dir = mkdtempSync(join(tmpdir(), 'dualscope-text-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 20,000 small parts, multi-byte characters among them (a hostile DNS name is any UTF-8). */
function* parts(failAt = Number.POSITIVE_INFINITY): Generator<string> {
  for (let k = 0; k < 20_000; k++) {
    if (k === failAt) throw new Error(`part ${k} could not be made`);
    yield k % 7 === 0 ? `ä€😀${k}\n` : `part ${k}\n`;
  }
}
const whole = [...parts()].join('');

const writers = [
  ['writeAtomically (cli)', writeAtomically],
  ['writeFileAtomically (batch)', writeFileAtomically],
] as const;

describe.each(writers)('%s', (name, write) => {
  const file = join(dir, `${name.split(' ')[0]}.json`);

  it('writes a text given in parts, and a whole string, byte for byte', () => {
    write(file, parts());
    expect(readFileSync(file, 'utf8')).toBe(whole);
    write(file, 'one string ä\n');
    expect(readFileSync(file, 'utf8')).toBe('one string ä\n');
  });

  it('leaves the older file and no temporary file when a part throws', () => {
    writeFileSync(file, 'the older report\n');
    expect(() => write(file, parts(15_000))).toThrow('part 15000 could not be made');
    expect(readFileSync(file, 'utf8')).toBe('the older report\n');
    const fresh = join(dir, `${name.split(' ')[0]}-fresh.json`);
    expect(() => write(fresh, parts(15_000))).toThrow('part 15000 could not be made');
    expect(existsSync(fresh)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

describe('writeText', () => {
  it('gathers small parts into writes of about 64 KiB, in order', () => {
    const pieces: string[] = [];
    writeText((p) => pieces.push(p), parts());
    expect(pieces.join('')).toBe(whole);
    expect(pieces.length).toBeLessThan(whole.length / 60_000 + 2);
    expect(pieces.slice(0, -1).every((p) => p.length >= 64 * 1024)).toBe(true);
  });

  it('writes to a descriptor byte for byte: parts larger than its buffer, empty ones, four-byte characters', () => {
    const mixed = ['', ...parts(), 'é'.repeat(70_000), '', '😀'.repeat(30_000), 'x'.repeat(21_845), '€', 'end\n'];
    const file = join(dir, 'descriptor.txt');
    const fd = openSync(file, 'w');
    try {
      writeText(fd, mixed);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file).equals(Buffer.from(mixed.join(''), 'utf8'))).toBe(true);
  });
});
