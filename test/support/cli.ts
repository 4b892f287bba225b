// Running the built CLI from a test, and what every CLI test asks of a user error, in one place.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

export const ROOT = join(import.meta.dirname, '../..');
/** The built CLI (`npm run build`; `npm test` builds first). */
export const CLI = join(ROOT, 'dist/src/cli/main.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Throws a clear error when dist/ is missing: call it in beforeAll. */
export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npm test` (it builds) or `npm run build`');
}

/** `dualscope ARGS` in `cwd`, to completion, without colours; `nodeArgs` go to node (e.g. a heap limit). */
export function runCli(args: readonly string[], o: { cwd: string; input?: Buffer; nodeArgs?: readonly string[]; timeout?: number }): CliResult {
  const r = spawnSync(process.execPath, [...(o.nodeArgs ?? []), CLI, ...args], {
    cwd: o.cwd,
    input: o.input,
    encoding: 'utf8',
    timeout: o.timeout,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A user error: exit 2, exactly one line on stderr (besides commander's --help hint), no stack trace. */
export function expectOneLineError(r: { status: number | null; stderr: string }, pattern: RegExp): void {
  expect(r.status, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('(run with --help'));
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}
