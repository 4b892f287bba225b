// Issue 15: path.mss_clamped is one finding per (client, server, MSS pair) with the count of
// connections, on a real capture with several connections through two clamping routers
// (samples/lab/scenarios/mss-clamp-many.sh; the counts are the lab's, from tshark, in
// samples/expected/mss-clamp-many-client.json). Before, only hand-built frames showed a count above 1.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../../src/analyze.js';

const SAMPLES = join(import.meta.dirname, '../../../samples');
const lab = JSON.parse(readFileSync(join(SAMPLES, 'expected/mss-clamp-many-client.json'), 'utf8')) as {
  capture: string;
  mustFind: { kind: string; client: string; server: string; details: { mssClient: number; mssServer: number; connections: number } }[];
};

describe('path.mss_clamped on several connections (real lab capture)', () => {
  it('reports each MSS pair once, with the number of connections the lab made', async () => {
    const report = await analyzeFile(join(SAMPLES, lab.capture));
    const found = report.findings.filter((i) => i.kind === 'path.mss_clamped').flatMap((i) => i.occurrences);
    expect(found).toHaveLength(lab.mustFind.length);
    expect(lab.mustFind.some((m) => m.details.connections > 1)).toBe(true);
    for (const want of lab.mustFind) {
      const f = found.find((x) => x.client === want.client && x.server === want.server);
      expect(f, `${want.client} → ${want.server}`).toBeDefined();
      expect(f!.details).toMatchObject({ mssClient: want.details.mssClient, mssServer: want.details.mssServer, connections: want.details.connections });
      expect(f!.impact.occurrences).toBe(want.details.connections);
    }
  });
});
