// `--annotate OUT.pcapng`: the capture itself, rewritten as pcapng, with a packet comment on every
// evidence packet and the findings in the section header's comments. Wireshark lists them with
// `frame.comment contains "dualscope"` and shows them under Expert Info; the frame numbers are
// the original's, so the report's numbers open the same packets.
import { basename, resolve } from 'node:path';
import type { Finding } from '../report/index.js';
import { BlockFile } from '../writers/index.js';
import { TOOL_VERSION } from '../version.js';
import { rewriteCapture, type RewriteResult } from './rewrite.js';

/** Prefix of every comment dualscope writes, so a display filter finds them. */
export const COMMENT_PREFIX = 'dualscope:';

/** A report's finding: an incident lists its occurrences, each with its own evidence frames. */
export type SharedFinding = Finding & { readonly occurrences?: readonly Finding[] };

/** Every evidence packet of a finding: of each of its occurrences when it is an incident. */
export function* allEvidence(f: SharedFinding): Generator<Finding['evidence'][number]> {
  if (f.occurrences === undefined || f.occurrences.length === 0) yield* f.evidence;
  else for (const o of f.occurrences) yield* o.evidence;
}

/** `dualscope: <kind> <id>: <role>` for every evidence packet, by frame number, in finding order. */
export function evidenceComments(findings: readonly SharedFinding[]): Map<number, string[]> {
  const byFrame = new Map<number, string[]>();
  for (const f of findings) {
    for (const e of allEvidence(f)) {
      const text = `${COMMENT_PREFIX} ${f.kind} ${f.id}: ${e.role}`;
      const list = byFrame.get(e.frame);
      if (list === undefined) byFrame.set(e.frame, [text]);
      else if (!list.includes(text)) list.push(text);
    }
  }
  return byFrame;
}

/** The capture's findings, one comment each, after a line saying what made them. */
export function findingComments(findings: readonly SharedFinding[], source: string): string[] {
  const name = source === '-' ? 'stdin' : basename(source);
  const head = `${COMMENT_PREFIX} dualscope ${TOOL_VERSION} found ${findings.length} finding(s) in ${name}`;
  return [head, ...findings.map((f) => `${COMMENT_PREFIX} ${f.severity} ${f.id}: ${f.summary}`)];
}

/**
 * The findings whose evidence lies in `capture`, each cut down to that evidence. A batch finding
 * can name packets of a neighbouring file of its capture set (evidence `file`); those belong in
 * that file's annotated copy, under that file's own frame numbers.
 */
export function findingsInCapture(entries: readonly { readonly file: string; readonly finding: SharedFinding }[], capture: string): SharedFinding[] {
  const target = resolve(capture);
  const kept: SharedFinding[] = [];
  for (const { file, finding } of entries) {
    const here = (e: Finding['evidence'][number]): boolean => resolve(e.file ?? file) === target;
    const evidence = finding.evidence.filter(here);
    const occurrences = finding.occurrences?.map((o) => ({ ...o, evidence: o.evidence.filter(here) })).filter((o) => o.evidence.length > 0);
    if (evidence.length === 0 && (occurrences === undefined || occurrences.length === 0)) continue;
    kept.push(occurrences === undefined ? { ...finding, evidence } : { ...finding, evidence, occurrences });
  }
  return kept;
}

export interface AnnotateResult extends RewriteResult {
  /** Evidence packets that got their comments. */
  annotated: number;
  /** Evidence frames the capture does not hold, or holds at another time: the findings are from another file. */
  mismatched: number[];
}

/** Expected capture time of each evidence frame, to catch findings that belong to another file. */
function evidenceTimes(findings: readonly SharedFinding[]): Map<number, number> {
  const times = new Map<number, number>();
  for (const f of findings) for (const e of allEvidence(f)) times.set(e.frame, e.time);
  return times;
}

/**
 * Writes `capture` to `outPath` as annotated pcapng. Streaming: the capture is read once; memory
 * is the evidence comments plus one block. A reusable step for any command that has findings for
 * a file (analyze --annotate, and batch runs).
 */
export async function annotateCapture(capture: string, findings: readonly SharedFinding[], outPath: string): Promise<AnnotateResult> {
  return writeAnnotated(capture, outPath, {
    packetComments: evidenceComments(findings),
    sectionComments: findingComments(findings, capture),
    expectedTimes: evidenceTimes(findings),
  });
}

export interface AnnotationPlan {
  /** Comments by frame number. */
  readonly packetComments: ReadonlyMap<number, readonly string[]>;
  readonly sectionComments: readonly string[];
  /** Capture time of each evidence frame on this file's own clock, where known, to catch findings of another file. */
  readonly expectedTimes?: ReadonlyMap<number, number>;
}

/** The capture as pcapng with the plan's comments: the shared step of every annotating command. */
export async function writeAnnotated(capture: string, outPath: string, plan: AnnotationPlan): Promise<AnnotateResult> {
  const comments = plan.packetComments;
  const times = plan.expectedTimes;
  const seen = new Set<number>();
  const mismatched: number[] = [];
  let annotated = 0;
  const out = new BlockFile(outPath);
  let result: RewriteResult;
  try {
    result = await rewriteCapture(capture, out, {
      sectionComments: plan.sectionComments,
      otherBlocks: 'copy',
      packet(frame) {
        const c = comments.get(frame.index);
        if (c === undefined) return [];
        seen.add(frame.index);
        if (times !== undefined && times.get(frame.index) !== frame.time) mismatched.push(frame.index);
        annotated++;
        return c;
      },
    });
    out.close();
  } catch (e) {
    out.abort();
    throw e;
  }
  for (const n of comments.keys()) if (!seen.has(n)) mismatched.push(n);
  mismatched.sort((a, b) => a - b);
  return { ...result, annotated, mismatched };
}
