// Shows that the analysis' retained state does not grow with the capture: runs the full analysis
// and prints the live heap after a forced full GC every 500k packets. Run after `npm run build`:
//   node --expose-gc dist/bench/plateau.js FILE
// (npm run bench leaves a 5M-packet file in $TMPDIR/dualscope-bench/).
import { Analysis } from '../src/analyze.js';
import { readCapture } from '../src/readers/index.js';

const file = process.argv[2];
const gc = (globalThis as { gc?: () => void }).gc;
if (!file || !gc) throw new Error('usage: node --expose-gc dist/bench/plateau.js FILE');
const analysis = new Analysis({});
let n = 0;
await readCapture(file, (f) => {
  analysis.frame(f);
  if (++n % 500_000 === 0) {
    gc();
    process.stdout.write(`${n} packets: live heap after GC ${(process.memoryUsage().heapUsed / 1e6).toFixed(1)} MB\n`);
  }
}, analysis.anomalies);
