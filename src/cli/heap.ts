// Two V8 garbage-collector settings for the analysis's allocation pattern, set at start-up (the CLI
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
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 50;

/**
 * Flags that already say how the heap should grow or how large it may get. V8 uses the growing
 * percentage in place of its own factor, including the smaller one it picks when it is trying to
 * save memory, so a user who asked for that (--optimize-for-size) keeps V8's choice.
 */
const USER_HEAP_FLAG = /--(heap[-_]growing[-_]percent|max[-_]old[-_]space[-_]size|max[-_]heap[-_]size|optimize[-_]for[-_]size)/;
/** Either spelling of the pretenuring flag (`--allocation-site-pretenuring` or its `--no-` form). */
const USER_PRETENURING_FLAG = /--(no[-_])?allocation[-_]site[-_]pretenuring/;

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
