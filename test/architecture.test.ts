// The folders show the pipeline, and imports only flow one way:
// core → readers → writers → decode → reconstruct → detect → report → share → analyze → batch → correlate → {cli, server}.
// A module imports from its own layer, or from a layer to its left through that layer's index.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../src');
const LAYERS = ['core', 'readers', 'writers', 'decode', 'reconstruct', 'detect', 'report', 'share', 'analyze', 'batch', 'correlate', 'cli', 'server'] as const;
/** cli and server sit side by side on top: neither imports the other, except cli starting the server. */
const rank = (layer: string): number => (layer === 'server' ? LAYERS.indexOf('cli') : LAYERS.indexOf(layer as (typeof LAYERS)[number]));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** `src/decode/dns.ts` → 'decode'; `src/analyze.ts` → 'analyze'; `src/version.ts` → 'core' (shared constant). */
function layerOf(file: string): string {
  const rel = relative(SRC, file);
  const top = rel.split('/')[0]!;
  if (top === 'analyze.ts') return 'analyze';
  if (top === 'version.ts' || top === 'types') return 'core';
  return top;
}

const importRe = /^\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'|^\s*import\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/gm;

describe('architecture', () => {
  const sources = files(SRC);
  it('finds the sources', () => expect(sources.length).toBeGreaterThan(30));

  it('imports only flow left, and across layers only through index.ts', () => {
    const violations: string[] = [];
    for (const file of sources) {
      const from = layerOf(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(importRe)) {
        const spec = (m[1] ?? m[2] ?? m[3])!;
        const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
        const to = layerOf(target);
        const where = `${relative(SRC, file)} → ${spec}`;
        if (rank(to) > rank(from)) violations.push(`${where}: ${from} may not import ${to}`);
        else if (from === 'cli' && to === 'server') continue; // `dualscope serve` starts the server
        else if (from === 'server' && to === 'cli') violations.push(`${where}: the server may not import the CLI`);
        else if (to !== from && !['analyze', 'core'].includes(to) && !/\/index\.ts$/.test(target) && layerOf(target) !== 'core') {
          violations.push(`${where}: import ${to} through its index.ts`);
        }
      }
    }
    expect(violations).toEqual([]);
  });
});
