// V8 garbage-collector settings for the analysis's allocation pattern, set at start-up (the CLI
// and the bench) unless the user chose otherwise on the command line or in NODE_OPTIONS.
//
// 1. How far V8 lets the heap grow between full collections. By default it lets the old generation
//    reach about four times what survived the last one before collecting again; our live state is
//    a few tens of MB (bounded, see bench/plateau.ts), but the state that lingers for seconds of
//    capture time (connections after their FIN, answered DNS keys) dies old, so the heap fills
//    with garbage up to that limit: 220–310 MB peak RSS on the bench's 5-million-packet file.
//    Twice what survived keeps it under 200 MB for a few percent more time (bench, 5 M packets,
//    with 2. set: 5.95 s / 224 MB → 6.15 s / 155 MB). One and a half times since the incident-rich
//    edge file (bench/generate-edge.ts), whose live heap is 70–75 MB: edge 2 M packets 268 → 245 MB
//    peak RSS, easy 1 M 142 → 136 MB, CPU time the same within run-to-run noise (a full collection
//    of that heap is ~50 ms; a few more of them in 20 s of CPU).
// 2. No allocation-site pretenuring. V8 notices sites whose objects survive young collections
//    (connections, lookups, UDP flows: they live 0.5–2 s of capture time, a scavenge or two) and
//    starts allocating them straight in the old generation, where only a full mark-compact frees
//    them; they die soon after all the same. Left in the young generation they cost a copy or two
//    instead (bench, 5 M packets: 7.4–7.7 s → 6.15 s, and 10 MB less peak RSS).
//
// And, for an analysis on the main thread only (capSemiSpaces: `analyze` on one thread, the bench's
// one-thread modes), semi-spaces of 8 MB, not 16. V8 doubles the young generation's two
// semi-spaces (0.5 → 1 → … → 16 MB on a 64-bit machine) after scavenges that kept enough, and the
// old generation's limit counts the young generation's size too: the last doubling cost the edge
// 2 M file ~20 MB of peak RSS (see capSemiSpaces for the figures and the price).
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 50;

/**
 * Flags that already say how the heap should grow or how large it may get. V8 uses the growing
 * percentage in place of its own factor, including the smaller one it picks when it is trying to
 * save memory, so a user who asked for that (--optimize-for-size) keeps V8's choice.
 */
const USER_HEAP_FLAG = /--(heap[-_]growing[-_]percent|max[-_]old[-_]space[-_]size|max[-_]heap[-_]size|optimize[-_]for[-_]size)/;
/** Either spelling of the pretenuring flag (`--allocation-site-pretenuring` or its `--no-` form). */
const USER_PRETENURING_FLAG = /--(no[-_])?allocation[-_]site[-_]pretenuring/;
/** Flags that already size the young generation. */
const USER_YOUNG_FLAG = /--(max|min)[-_]semi[-_]space[-_]size|--semi[-_]space[-_]growth[-_]factor|--max[-_]heap[-_]size/;

/** Where a semi-space stops growing (MB). */
export const SEMI_SPACE_MB = 8;

export interface GcTuning {
  /** --heap-growing-percent was set. */
  readonly heapGrowth: boolean;
  /** --no-allocation-site-pretenuring was set. */
  readonly noPretenuring: boolean;
}

export function tuneGarbageCollector(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env['NODE_OPTIONS'] ?? ''): GcTuning {
  const given = (re: RegExp): boolean => execArgv.some((a) => re.test(a)) || re.test(nodeOptions);
  const heapGrowth = !given(USER_HEAP_FLAG);
  const noPretenuring = !given(USER_PRETENURING_FLAG);
  if (heapGrowth) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  if (noPretenuring) setFlagsFromString('--no-allocation-site-pretenuring');
  return { heapGrowth, noPretenuring };
}

let semiSpaceWatch: PerformanceObserver | undefined;

/**
 * Holds the young generation's semi-spaces at SEMI_SPACE_MB from now on, unless the user sized the
 * young generation. Returns whether it does.
 *
 * Edge 2 M packets, peak RSS (alternating runs on the shared machine): analysis 188–192 → 175–178
 * MB, analysis and both reports 199–208 → 177 MB; easy 1 M 114–116 → 102–106 MB. The price is on the
 * edge file, whose lookups and connections outlive a smaller young generation more often and are
 * promoted: +7.5 % instructions on edge 100 k (callgrind, single-threaded: scavenges, marking and
 * its write barriers), +5–12 % CPU seconds on edge 400 k; the easy file is unchanged (−0.6 %
 * instructions on easy 300 k, CPU seconds on easy 1 M within noise).
 *
 * `--max-semi-space-size` is read only when node makes the heap, before any of our code runs; the
 * growth factor is read at each doubling, so it is set to 1 once a collection shows 8 MB
 * semi-spaces (and back to 2 should V8 shrink them). That factor is the whole process's, so this is
 * for a process that analyses on its main thread alone: with worker threads (`--jobs`, batch, the
 * upload service) a worker's young generation would stop growing wherever it stood.
 */
export function capSemiSpaces(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env['NODE_OPTIONS'] ?? ''): boolean {
  if (execArgv.some((a) => USER_YOUNG_FLAG.test(a)) || USER_YOUNG_FLAG.test(nodeOptions)) return false;
  if (semiSpaceWatch !== undefined) return true;
  // The young generation's size counts both semi-spaces.
  const capped = 2 * SEMI_SPACE_MB * 1024 * 1024;
  let factor = 2;
  semiSpaceWatch = new PerformanceObserver(() => {
    const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
    const wanted = young !== undefined && young.space_size >= capped ? 1 : 2;
    if (wanted === factor) return;
    setFlagsFromString(`--semi-space-growth-factor=${wanted}`);
    factor = wanted;
  });
  semiSpaceWatch.observe({ entryTypes: ['gc'] });
  return true;
}
