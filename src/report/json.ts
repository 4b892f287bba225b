// The JSON report as written to disk: validated against the schema, keys in schema order,
// findings already sorted by the analysis, so two runs over one file differ only in generatedAt.
//
// Made in parts: the report is checked without its two long lists (the incidents, the timeline's
// lanes), then each of their elements is checked and serialized on its own, so writing a report
// holds one element's validated copy and text at a time, never a copy of the whole report and one
// string of it (parse then stringify of the whole took the edge bench file's `analyze --json` from
// 207 MB to 297 MB). The text is byte for byte JSON.stringify(schema.parse(report), null, 2) + '\n'.
import { z } from 'zod';
import { DETECTORS, type DetectorRegistry } from '../detect/index.js';
import { reportSchemaOf, type Report } from './schema.js';

/** The report's schema split where it is long: the outline (lists unchecked) and each list's element. */
interface PartSchemas {
  outline: z.ZodType<Record<string, unknown> & { findings: unknown[]; timeline: Record<string, unknown> & { lanes: unknown[] } }>;
  incident: z.ZodType;
  lane: z.ZodType;
}

const partSchemas = new WeakMap<DetectorRegistry, PartSchemas>();

function partSchemasOf(registry: DetectorRegistry): PartSchemas {
  let parts = partSchemas.get(registry);
  if (parts === undefined) {
    const whole = reportSchemaOf(registry);
    const timeline = whole.shape.timeline;
    // extend() keeps a replaced key where it was, so the outline's keys keep the report's order.
    const outline = whole.extend({ findings: z.array(z.unknown()), timeline: timeline.extend({ lanes: z.array(z.unknown()) }) });
    parts = { outline, incident: whole.shape.findings.element, lane: timeline.shape.lanes.element };
    partSchemas.set(registry, parts);
  }
  return parts;
}

/**
 * The report's text in parts, in order (join them for the whole). Each element of a long list is
 * checked when its part is made: a report that breaks the contract throws part-way, naming the
 * field by its path in the whole report; a writer must drop what it wrote (the atomic writers do).
 * `registry`: the detectors that made the report (their kinds are the ones allowed).
 */
export function* renderJsonChunks(report: Report, registry: DetectorRegistry = DETECTORS): Generator<string, void, undefined> {
  const parts = partSchemasOf(registry);
  const outline = checked(parts.outline, report, []);
  yield* objectChunks(outline, 0, {
    findings: (list, depth) => elementChunks(list as unknown[], parts.incident, depth, ['findings'], INCIDENT_LISTS),
    timeline: (timeline, depth) =>
      objectChunks(timeline as Record<string, unknown>, depth, {
        lanes: (list, d) => elementChunks(list as unknown[], parts.lane, d, ['timeline', 'lanes']),
      }),
  });
  yield '\n';
}

/** The whole report's text (the server and tests keep it as one string). */
export function renderJson(report: Report, registry: DetectorRegistry = DETECTORS): string {
  return [...renderJsonChunks(report, registry)].join('');
}

/**
 * The checks renderJsonChunks makes, all of them, without writing anything: for a destination that
 * cannot take back what it was given (standard output, a pipe), so a report that breaks the
 * contract is refused before its first byte. Throws as renderJsonChunks would; holds one element's
 * validated copy at a time.
 */
export function checkJsonReport(report: Report, registry: DetectorRegistry = DETECTORS): void {
  const parts = partSchemasOf(registry);
  const outline = checked(parts.outline, report, []);
  outline.findings.forEach((incident, k) => checked(parts.incident, incident, ['findings', k]));
  outline.timeline.lanes.forEach((lane, k) => checked(parts.lane, lane, ['timeline', 'lanes', k]));
}

/**
 * `value` parsed by `schema`; a failure throws the ZodError the whole report's parse would (paths from the report's root).
 *
 * Without zod's compiled fast path (`jitless`): zod otherwise writes and compiles a function for each
 * object schema the first time it parses one, which a process checking one report never earns back
 * (`dualscope analyze` of a 5-packet sample writing its reports: 1,597 → 1,514 M instructions; edge
 * 100 k with both reports within run-to-run noise, ±0.6 %). The result is the same either way.
 */
function checked<T>(schema: z.ZodType<T>, value: unknown, at: readonly PropertyKey[]): T {
  const result = schema.safeParse(value, { jitless: true });
  if (result.success) return result.data;
  if (at.length === 0) throw result.error;
  throw new z.ZodError(result.error.issues.map((issue) => ({ ...issue, path: [...at, ...issue.path] })));
}

/** Chunks of a value that sits `depth` levels deep, given its already indented text's position. */
type Streamed = (value: unknown, depth: number) => Iterable<string>;

/** JSON.stringify(value, null, 2) of a value `depth` levels deep: its lines indented to sit there (undefined: no JSON value, the key is left out). */
function nested(value: unknown, depth: number): string | undefined {
  const text = JSON.stringify(value, null, 2) as string | undefined;
  // A JSON string holds no raw line break, so every '\n' starts a line of the value's layout.
  return text === undefined || depth === 0 ? text : text.replaceAll('\n', `\n${'  '.repeat(depth)}`);
}

/** An object `depth` levels deep as JSON.stringify lays it out, the keys in `streamed` made by their own chunker. */
function* objectChunks(object: Record<string, unknown>, depth: number, streamed: Readonly<Record<string, Streamed>>): Generator<string, void, undefined> {
  const pad = '  '.repeat(depth + 1);
  let first = true;
  for (const key of Object.keys(object)) {
    const value = object[key];
    const chunker = Object.hasOwn(streamed, key) ? streamed[key] : undefined;
    const text = chunker === undefined ? nested(value, depth + 1) : '';
    if (text === undefined) continue; // as JSON.stringify leaves out an undefined property
    yield `${first ? '{\n' : ',\n'}${pad}${JSON.stringify(key)}: ${text}`;
    first = false;
    if (chunker !== undefined) yield* chunker(value, depth + 1);
  }
  yield first ? '{}' : `\n${'  '.repeat(depth)}}`;
}

/**
 * A list `depth` levels deep, each element checked by `element` (undefined: a list already checked
 * with its parent) and serialized on its own; with `inner`, the element's own lists named there
 * come out one of their elements at a time too.
 */
function* elementChunks(list: readonly unknown[], element: z.ZodType | undefined, depth: number, at: readonly PropertyKey[], inner?: Readonly<Record<string, Streamed>>): Generator<string, void, undefined> {
  if (list.length === 0) {
    yield '[]';
    return;
  }
  const pad = '  '.repeat(depth + 1);
  for (let k = 0; k < list.length; k++) {
    const value = element === undefined ? list[k] : checked(element, list[k], [...at, k]);
    if (inner !== undefined && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      yield `${k === 0 ? '[\n' : ',\n'}${pad}`;
      yield* objectChunks(value as Record<string, unknown>, depth + 1, inner);
      continue;
    }
    yield `${k === 0 ? '[\n' : ',\n'}${pad}${nested(value, depth + 1) ?? 'null'}`;
  }
  yield `\n${'  '.repeat(depth)}]`;
}

/**
 * An incident's occurrences, one at a time: an incident of the edge bench file lists up to ~170 of
 * them, 0.4–0.6 MB of text, and a string over 128 kB is a large object, which V8 keeps in a space
 * beside the young generation, as large again as a semi-space, before collecting: with incidents
 * whole (and the HTML's embedded ones, html.ts) analysis + both reports peaked at 204–205 MB RSS
 * on the edge 2 M file, 194–195 MB in parts.
 */
const INCIDENT_LISTS: Readonly<Record<string, Streamed>> = { occurrences: (list, depth) => elementChunks(list as unknown[], undefined, depth, []) };
