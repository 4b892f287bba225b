// Where the public capture corpus (with its tshark truth) lives: $DUALSCOPE_CORPUS, else
// ../shared/captures beside this checkout, else /work/shared/captures. Tests that need it skip
// with this path in their name when it is absent, so a checkout without it still runs the rest.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const candidates = [process.env.DUALSCOPE_CORPUS, join(import.meta.dirname, '../../../shared/captures'), '/work/shared/captures'];

export const CORPUS: string = candidates.find((p): p is string => p !== undefined && existsSync(join(p, 'manifest.json'))) ?? candidates[1]!;
export const corpusPresent: boolean = existsSync(join(CORPUS, 'manifest.json'));
