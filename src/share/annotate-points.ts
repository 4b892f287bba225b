// `correlate --annotate DIR`: one annotated pcapng per capture point. A correlated finding's
// evidence packet was seen at several points, each under its own frame number; every point's file
// gets the comments on the frames that point saw (its sightings of the evidence and of the
// incident's lost packets), so each file opened in Wireshark shows the incident from where it was
// taken.
import { basename } from 'node:path';
import type { CorrelatedFinding, CorrelatedReport } from '../report/correlation/index.js';
import { TOOL_VERSION } from '../version.js';
import { COMMENT_PREFIX, writeAnnotated, type AnnotateResult } from './annotate.js';

const evidenceComment = (f: CorrelatedFinding, role: string): string => `${COMMENT_PREFIX} ${f.kind} ${f.id}: ${role}`;

/** `dualscope: <kind> <id>: <role>` on every frame the point saw of a finding's evidence or losses. */
export function pointEvidenceComments(report: CorrelatedReport, point: string): Map<number, string[]> {
  const byFrame = new Map<number, string[]>();
  const add = (frame: number, text: string): void => {
    const list = byFrame.get(frame);
    if (list === undefined) byFrame.set(frame, [text]);
    else if (!list.includes(text)) list.push(text);
  };
  for (const f of report.findings) {
    for (const e of f.evidence) for (const s of e.seenAt) if (s.point === point) add(s.frame, evidenceComment(f, e.role));
    for (const l of f.losses) {
      for (const s of l.seenAt) if (s.point === point) add(s.frame, evidenceComment(f, `lost between ${l.lostBetween.from} and ${l.lostBetween.to}: ${l.packet}`));
    }
  }
  return byFrame;
}

/** The section header's comments: what made the file, then every correlated finding with its status. */
export function pointFindingComments(report: CorrelatedReport, point: string, capture: string): string[] {
  const others = report.points.filter((p) => p.label !== point).map((p) => p.label);
  const head = `${COMMENT_PREFIX} dualscope ${TOOL_VERSION} correlated ${basename(capture)} (point ${point}) with ${others.join(', ')}: ${report.findings.length} finding(s)`;
  return [head, ...report.findings.map((f) => `${COMMENT_PREFIX} ${f.severity} ${f.id} (${f.status}): ${f.summary}`)];
}

/** Writes one point's capture as annotated pcapng with the correlation's findings. */
export function annotatePoint(report: CorrelatedReport, point: string, capture: string, outPath: string): Promise<AnnotateResult> {
  // No expected times: sightings carry the reference clock, not this capture's own.
  return writeAnnotated(capture, outPath, {
    packetComments: pointEvidenceComments(report, point),
    sectionComments: pointFindingComments(report, point, capture),
  });
}
