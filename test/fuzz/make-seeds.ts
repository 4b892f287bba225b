// Writes the crafted seed inputs of `npm run fuzz` (test/fuzz/seeds/*.pcapng.gz): floods of
// interface, statistics and section blocks and of distinct link types (issue 18). Small gzip'd;
// the fuzzer and the regression test inflate them. Rewrite them with `npm run build && node dist/test/fuzz/make-seeds.js`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_INTERFACES } from '../../src/readers/formats.js';
import { gzippedFlood, type FloodKind } from '../support/floods.js';

const DIR = join(process.cwd(), 'test/fuzz/seeds');
const COUNT: Record<FloodKind, number> = { interfaces: 5 * MAX_INTERFACES, 'link-types': 5 * MAX_INTERFACES, statistics: 5 * MAX_INTERFACES, sections: 2 * MAX_INTERFACES };
for (const [kind, n] of Object.entries(COUNT) as [FloodKind, number][]) {
  const path = join(DIR, `flood-${kind}.pcapng.gz`);
  writeFileSync(path, gzippedFlood(kind, n));
  process.stdout.write(`${path}\n`);
}
