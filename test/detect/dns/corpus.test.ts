// Every DNS finding on ../shared/captures must be listed in corpus-findings.json with a human
// judgement; none may be a false positive, and none may appear unlisted (or vanish unnoticed).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureFormatError } from '../../../src/core/index.js';
import { Finding } from '../../../src/detect/finding.js';
import { runDns } from '../../reconstruct/dns/pipeline.js';
import { CORPUS, corpusFiles } from '../../reconstruct/dns/corpus-scan.js';

const files = corpusFiles();
const listed = JSON.parse(readFileSync(new URL('./corpus-findings.json', import.meta.url), 'utf8')) as { file: string; id: string; judgement: string }[];

describe.skipIf(files.length === 0)('DNS findings on the capture corpus', () => {
  it('are all listed and judged true positives', async () => {
    const found: string[] = [];
    for (const f of files) {
      try {
        const { findings } = await runDns(join(CORPUS, f));
        for (const x of findings) {
          expect(() => Finding.parse(x)).not.toThrow();
          expect(x.displayFilter).not.toMatch(/["'<>]/);
          found.push(`${f} ${x.id}`);
        }
      } catch (e) {
        if (!(e instanceof CaptureFormatError)) throw e;
      }
    }
    for (const l of listed) expect(l.judgement, `${l.file} ${l.id}`).toMatch(/^true positive/);
    expect(found.sort()).toEqual(listed.map((l) => `${l.file} ${l.id}`).sort());
  });
});
