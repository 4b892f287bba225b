// A capture set as one trace: the detectors that sum up at finish (resolver profiles, AAAA left
// unanswered per client, server and name, counts per router …) report the whole set once, not each
// file its share. Each file of a set hands over what those detectors counted of its own records
// (SummingState, kept in the index with the file's analysis); once every file of the set is
// analysed, the coordinator merges those states in set order — SummingMerge, the merge that joins
// the pieces of one file for `analyze --jobs` — and finishes once. Only states are read, one file's
// at a time; no record crosses.
//
// Each finding belongs to the file holding its earliest evidence packet (as a lead-in/run-out
// analysis gives each finding to the file where it starts), and its evidence frames name their own
// files (mapFindingFrames). The findings go into the index as rows of their files tagged with the
// set, replacing the set's earlier ones in one transaction, and into the files' own reports.
import { existsSync, readFileSync } from 'node:fs';
import { deserialize } from 'node:v8';
import { IncidentGrouper, type Finding as DetectedFinding } from '../detect/index.js';
import { renderHtmlChunks, renderJsonChunks, reportedIncident, type Report } from '../report/index.js';
import { compareFindings, SummingMerge, type SummingState } from '../analyze.js';
import type { BatchIndex, FileRow } from './batch-index.js';
import { jobAnalyzeOptions, mapFindingFrames, setFrame, type JobAnalyzeOptions } from './jobs.js';
import { writeFileAtomically } from './write-file.js';

/**
 * What a merge reads: each member's path, status and analysis time, and the slot its frames were
 * numbered from. The set is merged again whenever this changes (a member analysed again, added,
 * failed), and not otherwise.
 */
export function setSignature(members: readonly FileRow[]): string {
  return JSON.stringify(members.map((r) => [r.path, r.status, r.analyzedAt, r.stateSlot]));
}

/** Whether the set can be merged now: no member waits for its analysis. */
export const setSettled = (members: readonly FileRow[]): boolean => members.every((r) => r.status === 'done' || r.status === 'failed');

/**
 * Merges the set whose current rows are `members` (in set order, every one done or failed), unless
 * its last merge read the same analyses. Returns whether it merged.
 */
export function mergeCaptureSet(index: BatchIndex, setId: string, members: readonly FileRow[], options: JobAnalyzeOptions): boolean {
  const signature = setSignature(members);
  const stored = index.captureSet(setId);
  if (stored?.signature === signature) return false;

  // Members analysed as set members, in slot order (= set order: slots increase along the set).
  const analysed = members.filter((r) => r.status === 'done' && r.stateSlot !== null);
  const merge = new SummingMerge(jobAnalyzeOptions(options));
  for (const r of analysed) {
    const blob = index.summingState(r.id);
    if (blob !== undefined) merge.add(deserialize(blob) as SummingState);
  }
  const pathOfSlot = new Map(analysed.map((r) => [r.stateSlot!, r.path]));
  const rowOfSlot = new Map(analysed.map((r) => [r.stateSlot!, r]));
  const byFile = new Map<FileRow, DetectedFinding[]>();
  for (const f of merge.finish()) {
    const slot = earliestSlot(f) ?? analysed[0]?.stateSlot ?? undefined;
    const row = slot === undefined ? undefined : rowOfSlot.get(slot);
    if (row === undefined) continue; // evidence only in a file no longer analysed (cannot happen with a current signature)
    const list = byFile.get(row) ?? [];
    list.push(mapFindingFrames(f, row.stateSlot!, pathOfSlot));
    byFile.set(row, list);
  }

  // Each file's set findings grouped into incidents, as its own report groups its findings.
  const incidents = new Map<number, Report['findings']>();
  for (const [row, list] of byFile) incidents.set(row.id, groupIncidents(list));
  // The files' own reports show the set's findings that belong to them (those of an earlier merge
  // replaced). Written before the index records the merge: a kill in between merges again on the
  // next run, and a patch is idempotent (the new findings' ids are removed before they are added).
  const previous = index.setFindingIds(setId);
  for (const r of members) {
    if (r.status !== 'done' || r.reportJson === null) continue;
    const added = byFile.get(r) ?? [];
    const stale = previous.get(r.id) ?? new Set<string>();
    if (added.length === 0 && stale.size === 0) continue;
    for (const f of added) stale.add(f.id);
    patchReport(r.reportJson, r.reportHtml, stale, added);
  }
  index.recordSetMerge({ setId, members: members.map((r) => r.path), signature }, incidents);
  return true;
}

/**
 * A set that is no more (its files regrouped: a file added in front, its first file gone,
 * `--no-sets`): its findings leave the files' reports and the index.
 */
export function dropCaptureSet(index: BatchIndex, setId: string): void {
  for (const [fileId, ids] of index.setFindingIds(setId)) {
    const r = index.fileById(fileId);
    if (r?.status === 'done' && r.reportJson !== null) patchReport(r.reportJson, r.reportHtml, ids, []);
  }
  index.dropCaptureSet(setId);
}

/** The slot of the file holding the finding's earliest evidence (ties: the one listed first). */
function earliestSlot(f: DetectedFinding): number | undefined {
  if (f.evidence.length === 0) return undefined;
  let earliest = f.evidence[0]!;
  for (const e of f.evidence) if (e.time < earliest.time) earliest = e;
  return setFrame(earliest.frame).slot;
}

function groupIncidents(findings: readonly DetectedFinding[]): Report['findings'] {
  const grouper = new IncidentGrouper();
  for (const f of [...findings].sort(compareFindings)) grouper.add(f);
  return grouper.incidents().map(reportedIncident);
}

/**
 * A member's own report with the set's findings that belong to it: its occurrences whose ids are in
 * `remove` (an earlier merge's, or these again) go, `add` come in, and everything is grouped into
 * incidents again, as the analysis groups them; the counts follow, and a timeline lane holding an
 * evidence packet of a new incident lists it. A report that is gone or unreadable is left alone:
 * the index has the findings.
 */
function patchReport(jsonPath: string, htmlPath: string | null, remove: ReadonlySet<string>, add: readonly DetectedFinding[]): void {
  let report: Report;
  try {
    if (!existsSync(jsonPath)) return;
    report = JSON.parse(readFileSync(jsonPath, 'utf8')) as Report;
  } catch {
    return;
  }
  // Report occurrences lack the evidence's timeline mark, which grouping does not read.
  const kept = report.findings.flatMap((i) => i.occurrences).filter((o) => !remove.has(o.id)) as unknown as DetectedFinding[];
  const incidents = groupIncidents([...kept, ...add]);
  const counts = { info: 0, warning: 0, error: 0, occurrences: 0 };
  for (const i of incidents) {
    counts[i.severity]++;
    counts.occurrences += i.count;
  }
  const ids = new Set(incidents.map((i) => i.id));
  const known = new Set(report.findings.map((i) => i.id));
  const lanes = report.timeline.lanes.map((lane) => {
    const frames = new Set(lane.marks.flatMap((m) => m.frames));
    const findingIds = lane.findingIds.filter((id) => ids.has(id));
    for (const i of incidents) {
      if (known.has(i.id) || findingIds.includes(i.id)) continue;
      if (i.occurrences.some((o) => o.evidence.some((e) => e.file === undefined && frames.has(e.frame)))) findingIds.push(i.id);
    }
    return { ...lane, findingIds };
  });
  const patched: Report = { ...report, counts, findings: incidents, timeline: { ...report.timeline, lanes } };
  writeFileAtomically(jsonPath, renderJsonChunks(patched));
  if (htmlPath !== null) writeFileAtomically(htmlPath, renderHtmlChunks(patched));
}
