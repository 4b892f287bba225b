// What every CLI test asks of a user error, in one place.
import { expect } from 'vitest';

/** A user error: exit 2, exactly one line on stderr (besides commander's --help hint), no stack trace. */
export function expectOneLineError(r: { status: number | null; stderr: string }, pattern: RegExp): void {
  expect(r.status, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('(run with --help'));
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}
