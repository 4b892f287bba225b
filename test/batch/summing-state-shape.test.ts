// A batch index keeps capture-set members' summing states between runs and merges only those of
// its own SUMMING_STATE_VERSION (batch-index.ts). This test keeps that version honest: it records
// the shape of the states (field names and the types seen in each, as stored) that an incident-rich
// capture gives, per version, and fails when the shape changes while the version does not.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { afterAll, describe, expect, it } from 'vitest';
import { generateEdgeCapture } from '../../bench/generate-edge.js';
import { Analysis, SUMMING_STATE_VERSION } from '../../src/analyze.js';
import { readCapture } from '../../src/readers/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'i17-state-shape-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * The SHA-1 of the shape of SummingState, per SUMMING_STATE_VERSION. When the test fails because a
 * detector's exported state changed shape, raise SUMMING_STATE_VERSION (src/analyze.ts) and record
 * the new shape here under it; a shape changing back under an old number is an error too.
 */
const SHAPES: Record<number, string> = {
  2: '7a577ff4ceef75cefa4a21308f73142733577bd1',
};

/** The types seen at each place of a value: values of one list, map or set share one shape. */
interface Shape {
  kinds: Set<string>;
  fields: Map<string, Shape>;
  keys?: Shape;
  items?: Shape;
}

const newShape = (): Shape => ({ kinds: new Set(), fields: new Map() });

function addTo(s: Shape, v: unknown): void {
  if (v === null) s.kinds.add('null');
  else if (Array.isArray(v)) {
    s.kinds.add('array');
    for (const x of v) addTo((s.items ??= newShape()), x);
  } else if (v instanceof Map) {
    s.kinds.add('map');
    for (const [k, x] of v) {
      addTo((s.keys ??= newShape()), k);
      addTo((s.items ??= newShape()), x);
    }
  } else if (v instanceof Set) {
    s.kinds.add('set');
    for (const x of v) addTo((s.items ??= newShape()), x);
  } else if (ArrayBuffer.isView(v)) s.kinds.add(v.constructor.name);
  else if (typeof v === 'object') {
    s.kinds.add('object');
    for (const [k, x] of Object.entries(v as object)) {
      let f = s.fields.get(k);
      if (f === undefined) s.fields.set(k, (f = newShape()));
      addTo(f, x);
    }
  } else s.kinds.add(typeof v);
}

function text(s: Shape): string {
  const parts = [[...s.kinds].sort().join('|')];
  if (s.fields.size > 0) parts.push(`{${[...s.fields].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, f]) => `${k}:${text(f)}`).join(',')}}`);
  if (s.keys) parts.push(`<${text(s.keys)}>`);
  if (s.items) parts.push(`[${text(s.items)}]`);
  return parts.join('');
}

/** The shape of one value, each detector's state (by position in `states`) apart. */
function stateShape(state: { states: unknown[]; view: unknown }): string {
  const one = (v: unknown): string => {
    const s = newShape();
    addTo(s, v);
    return text(s);
  };
  return `states:${state.states.map(one).join(';')} view:${one(state.view)}`;
}

describe('SUMMING_STATE_VERSION', () => {
  it('names the shape of the summing states as a batch index stores them', async () => {
    const file = join(tmp, 'edge.pcap');
    generateEdgeCapture(file, 20_000);
    const analysis = new Analysis({ pieceOfFile: true, generatedAt: '2026-01-01T00:00:00Z' });
    const info = await readCapture(file, (f) => analysis.frame(f), analysis.anomalies);
    const { summing } = analysis.finishMember(file, info, true);
    // As the index keeps it: a v8-serialised blob.
    const stored = deserialize(serialize(summing)) as { states: unknown[]; view: unknown };
    expect(stored.states.length).toBeGreaterThan(5);
    const hash = createHash('sha1').update(stateShape(stored)).digest('hex');
    expect(hash, `the summing states changed shape: raise SUMMING_STATE_VERSION and record ${hash} under it`).toBe(SHAPES[SUMMING_STATE_VERSION]);
    const other = Object.entries(SHAPES).find(([v, h]) => h === hash && Number(v) !== SUMMING_STATE_VERSION);
    expect(other, 'a shape recorded under another version').toBeUndefined();
  }, 120_000);
});
