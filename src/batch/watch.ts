// `batch --watch`: keep looking at the inputs (folders and globs are expanded again at every look)
// and analyse a file once it has stopped growing — its size and mtime unchanged for `settle`
// seconds — as a live ring buffer's files are closed one after the other. A new file that continues
// a capture set makes the set's previous last file due again, now with a run-out (run-batch.ts).
// Stops when the signal aborts; a pass under way is cut short and what it had not finished is left
// for the next run, as after a kill.
import { statSync } from 'node:fs';

export interface WatchOptions {
  /** Seconds a file's size and mtime must stay unchanged before it is analysed. */
  settle: number;
  /** Seconds between looks. */
  poll: number;
}

export const DEFAULT_WATCH_OPTIONS: WatchOptions = { settle: 5, poll: 2 };

interface Seen {
  size: number;
  mtimeMs: number;
  /** Wall-clock ms since which size and mtime are what they are. */
  since: number;
}

/**
 * Calls `list` every `poll` seconds and `pass(stableFiles)` whenever the set of settled files (or
 * one of them) changed since the last pass. Resolves when `signal` aborts.
 */
export async function watchInputs(
  list: () => string[],
  pass: (files: string[]) => Promise<void>,
  o: WatchOptions,
  signal: AbortSignal,
): Promise<void> {
  const seen = new Map<string, Seen>();
  let lastPassed = '';
  while (!signal.aborted) {
    const now = Date.now();
    const stable: string[] = [];
    const present = new Set<string>();
    for (const path of list()) {
      let st;
      try {
        st = statSync(path);
      } catch {
        continue; // gone between the listing and the stat (a ring buffer deleting its oldest file)
      }
      present.add(path);
      const old = seen.get(path);
      if (!old || old.size !== st.size || old.mtimeMs !== st.mtimeMs) {
        seen.set(path, { size: st.size, mtimeMs: st.mtimeMs, since: now });
        continue;
      }
      if (now - old.since >= o.settle * 1000 && st.size > 0) stable.push(path);
    }
    for (const p of seen.keys()) if (!present.has(p)) seen.delete(p);
    stable.sort();
    const state = stable.map((p) => `${p}\u0000${seen.get(p)!.size}\u0000${seen.get(p)!.mtimeMs}`).join('\n');
    if (stable.length > 0 && state !== lastPassed) {
      await pass(stable);
      lastPassed = state;
    }
    if (signal.aborted) break;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, o.poll * 1000);
      signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });
  }
}
