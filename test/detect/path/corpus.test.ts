// Every path finding on the public corpus must be listed, with a human judgement, in
// corpus-findings.json; an unlisted finding (a new false positive) or a listed one that vanished fails.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runPath } from '../../reconstruct/path/pipeline.js';

import { CORPUS as CAPTURES } from '../../support/corpus.js';
const manifest = existsSync(`${CAPTURES}/manifest.json`) ? (JSON.parse(readFileSync(`${CAPTURES}/manifest.json`, 'utf8')) as { files: { path: string; tshark: { status: string } }[] }) : { files: [] };
const listed = JSON.parse(readFileSync(new URL('./corpus-findings.json', import.meta.url), 'utf8')) as { findings: { file: string; id: string; judgement: string }[] };

const readable = manifest.files.filter((f) => f.tshark.status !== 'unsupported').map((f) => f.path);

describe.skipIf(readable.length === 0)('path findings on the public corpus', () => {
  it('every listed finding has a judgement', () => {
    for (const f of listed.findings) expect(f.judgement.length).toBeGreaterThan(10);
  });
  it.each(readable)('%s', async (file) => {
    const { findings } = await runPath(`${CAPTURES}/${file}`);
    const got = findings.map((f) => f.id).sort();
    const want = listed.findings.filter((f) => f.file === file).map((f) => f.id).sort();
    expect(got).toEqual(want);
  });
});
