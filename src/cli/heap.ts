// How far V8 lets the heap grow between full collections. By default it lets the old generation
// reach about four times what survived the last one before collecting again; our live state is a
// few tens of MB (bounded, see bench/plateau.ts), but the state that lingers for seconds of capture
// time (connections after their FIN, answered DNS keys) dies old, so the heap fills with garbage up
// to that limit: 260–310 MB peak RSS on the bench's 5-million-packet file. Twice what survived
// keeps it under 200 MB for about a tenth more time (bench, 5 M packets: 8.0 s / 264 MB →
// 8.7 s / 182 MB). A V8 heap flag given by the user (command line or NODE_OPTIONS) wins.
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 100;

/**
 * Flags that already say how the heap should grow or how large it may get. V8 uses the growing
 * percentage in place of its own factor, including the smaller one it picks when it is trying to
 * save memory, so a user who asked for that (--optimize-for-size) keeps V8's choice.
 */
const USER_HEAP_FLAG = /--(heap[-_]growing[-_]percent|max[-_]old[-_]space[-_]size|max[-_]heap[-_]size|optimize[-_]for[-_]size)/;

export function boundHeapGrowth(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env['NODE_OPTIONS'] ?? ''): boolean {
  if (execArgv.some((a) => USER_HEAP_FLAG.test(a)) || USER_HEAP_FLAG.test(nodeOptions)) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
