// The coordinator of a batch: decides what is due, hands jobs to a runner (the local thread pool or
// a queue), and alone writes the index. Steps, each resumable because the index holds its result:
//
// 1. every file is fingerprinted; a new or changed file is `pending`, an unchanged one keeps its row;
// 2. pending files that may continue another by their names are scanned (read, not analysed) for
//    link types and first/last packet time; the others (and all with `sets: false`) are sets of one
//    whatever their times, so they skip the scan — a second full read of every file, ~10 % of
//    the CPU of a batch of independent files;
// 3. files are grouped into capture sets (capture-sets.ts; each file alone with `sets: false`);
// 4. a file is analysed unless it is done with the same neighbours (a ring buffer that grew a file
//    makes its previous last file due again, now with a run-out); its findings and `done` status
//    go into the index in one transaction;
// 5. once every file of a set of several files is analysed, the set is merged (set-merge.ts): the
//    findings that sum up the whole trace are made once for the set and replace the set's earlier
//    ones. A set whose files were all done before this run is merged here if its last merge is
//    missing (a kill) or read other analyses; a set that no longer exists (its files regrouped)
//    loses its findings.
//
// An unreadable or damaged file is recorded `failed` with its reason, and the batch goes on.
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { SUMMING_STATE_VERSION } from '../analyze.js';
import { secondsToMicros } from '../core/index.js';
import type { BatchIndex, FileRow } from './batch-index.js';
import { DEFAULT_SET_OPTIONS, groupCaptureSets, nameChainCandidates, type SetMember } from './capture-sets.js';
import { fingerprint } from './fingerprint.js';
import { statSync } from 'node:fs';
import { MAX_SET_SLOT, SET_FRAME_BASE, type AnalyzeJob, type Job, type JobAnalyzeOptions, type JobResult } from './jobs.js';
import { PoolClosedError, type JobRunner } from './pool.js';
import { dropCaptureSet, mergeCaptureSet, setSettled } from './set-merge.js';

export interface BatchOptions {
  /** Folder for each file's NAME.json and NAME.html (mirroring the inputs' folders); undefined: none. */
  out: string | undefined;
  /** Group continuing files into capture sets. */
  sets: boolean;
  /** Capture-set rule and context lengths, in seconds. */
  setGap: number;
  leadIn: number;
  runOut: number;
  analyze: JobAnalyzeOptions;
  /**
   * Take a known file whose size and mtime are unchanged as unchanged, without reading its
   * fingerprint (--watch, after its first pass: it looks every few seconds).
   */
  trustUnchangedStat?: boolean;
  /** Stops the pass: no new job starts, and a job cut short by the runner closing is left undone. */
  signal?: AbortSignal;
}

export const DEFAULT_BATCH_OPTIONS: BatchOptions = {
  out: 'reports',
  sets: true,
  setGap: DEFAULT_SET_OPTIONS.maxGapMicros / 1e6,
  leadIn: 60,
  runOut: 60,
  analyze: {},
};

export interface BatchEvents {
  /** The plan: files to scan and to analyse in this run, and how many were already done. */
  onPlan?(p: { files: number; toScan: number; toAnalyze: number; skipped: number }): void;
  /** A job finished (ok or not). */
  onJobDone?(r: JobResult, packets: number): void;
  /** Packets analysed so far by running jobs (for a rate). */
  onPackets?(delta: number): void;
}

export interface BatchSummary {
  files: FileRow[];
  analysed: number;
  skipped: number;
  failed: number;
}

/** Runs one pass of a batch over `paths` (absolute, sorted). */
export async function runBatch(paths: readonly string[], index: BatchIndex, runner: JobRunner, o: BatchOptions, events: BatchEvents = {}): Promise<BatchSummary> {
  // 1. fingerprints
  const rows = new Map<string, FileRow>();
  for (const path of paths) {
    if (o.trustUnchangedStat) {
      const known = index.file(path);
      const st = statOrUndefined(path);
      if (known && st && known.size === st.size && known.mtimeMs === st.mtimeMs && known.status !== 'failed') {
        rows.set(path, known);
        continue;
      }
    }
    try {
      const fp = await fingerprint(path);
      rows.set(path, index.upsertFile(path, fp.size, fp.mtimeMs, fp.fingerprint));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : `cannot read (${code ?? String(e)})`;
      // An unreadable file gets a fingerprint of its own, so that it is tried again once readable.
      const row = index.upsertFile(path, 0, 0, `unreadable:${code ?? 'unknown'}`);
      index.recordFailure(row.id, `${path}: ${why}`);
      rows.set(path, index.file(path)!);
    }
  }

  // 2. scans (a file that failed before is tried again: the reason may have gone, e.g. a permission)
  const mayChain = o.sets ? nameChainCandidates([...rows.keys()]) : new Set<string>();
  const toScan = [...rows.values()].filter((r) => (r.status === 'pending' || r.status === 'failed') && mayChain.has(r.path));
  events.onPlan?.({ files: rows.size, toScan: toScan.length, toAnalyze: -1, skipped: -1 });
  await Promise.all(
    toScan.map(async (r) => {
      const result = await runOrStop(runner, { type: 'scan', path: r.path }, o.signal);
      if (result === undefined) return;
      if (result.ok && result.type === 'scan') index.recordScan(r.id, result.facts);
      else if (!result.ok) index.recordFailure(r.id, result.error);
      rows.set(r.path, index.file(r.path)!);
      events.onJobDone?.(result, 0);
    }),
  );

  // 3 and 4. sets, then analyses
  const plan = planAnalyses([...rows.values()], mayChain, o);
  for (const m of plan.members.values()) index.recordSet(rows.get(m.path)!.id, m.setId, m.seq, m.prev, m.next);
  dropRegroupedSets(index, plan.sets, new Set(rows.keys()));
  events.onPlan?.({ files: rows.size, toScan: 0, toAnalyze: plan.jobs.length, skipped: plan.skipped });
  // A set is merged as soon as its last job of this run is done (and every set once more at the end).
  const waiting = new Map<string, number>();
  for (const job of plan.jobs) {
    const setId = plan.members.get(job.path)!.setId;
    if (plan.sets.has(setId)) waiting.set(setId, (waiting.get(setId) ?? 0) + 1);
  }
  const merge = (setId: string): void => {
    const members = index.files(plan.sets.get(setId)!);
    if (setSettled(members)) mergeCaptureSet(index, setId, members, o.analyze);
  };
  let failed = 0;
  await Promise.all(
    plan.jobs.map(async (job) => {
      const row = rows.get(job.path)!;
      let packets = 0;
      const result = await runOrStop(runner, job, o.signal, (n) => {
        events.onPackets?.(n - packets);
        packets = n;
      });
      if (result === undefined) return;
      if (result.ok && result.type === 'analyze' && result.summing !== null && result.summingVersion !== SUMMING_STATE_VERSION) {
        // A worker of another dualscope (--queue): its set member's states cannot be merged here.
        index.recordFailure(row.id, `analysed by a worker whose detectors keep states of another shape (summing state version ${String(result.summingVersion ?? 1)}; this dualscope's is ${SUMMING_STATE_VERSION}): run the workers on the coordinator's dualscope`);
      } else if (result.ok && result.type === 'analyze') {
        index.recordAnalysis(row.id, {
          findings: result.findings,
          facts: result.facts,
          context: result.context,
          reportJson: job.reportJson,
          reportHtml: job.reportHtml,
          summing: result.summing === null ? null : Buffer.from(result.summing, 'base64'),
          slot: result.slot,
          contextSlots: job.member?.contextSlots ?? [],
        });
        events.onPackets?.(result.facts.packets - packets);
      } else if (!result.ok) {
        index.recordFailure(row.id, result.error);
      }
      const setId = plan.members.get(job.path)!.setId;
      const left = waiting.get(setId);
      if (left !== undefined) {
        waiting.set(setId, left - 1);
        if (left === 1) merge(setId);
      }
      events.onJobDone?.(result, result.ok && result.type !== 'piece' ? result.facts.packets : 0);
    }),
  );
  // Sets with no job in this run (a run killed between the last analysis and the merge), and sets
  // whose jobs were cut short by a stop (not settled: left for the next run).
  if (!o.signal?.aborted) for (const setId of plan.sets.keys()) merge(setId);
  const files = index.files(paths);
  failed = files.filter((f) => f.status === 'failed').length;
  return { files, analysed: plan.jobs.length, skipped: plan.skipped, failed };
}

function statOrUndefined(path: string): { size: number; mtimeMs: number } | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** The job's result, or undefined when the batch is stopping (the job did not start, or was cut short). */
async function runOrStop(runner: JobRunner, job: Job, signal: AbortSignal | undefined, onPackets?: (packets: number) => void): Promise<JobResult | undefined> {
  if (signal?.aborted) return undefined;
  try {
    return await runner.run(job, onPackets);
  } catch (e) {
    if (e instanceof PoolClosedError) return undefined;
    throw e;
  }
}

/**
 * The analyse jobs due: every readable file not done with the neighbours it has now. A file that
 * needed no scan (not in `mayChain`) is analysed straight from `pending` (or `failed`: tried again),
 * alone; its analysis records its facts, or why it is unreadable.
 */
function planAnalyses(rows: FileRow[], mayChain: ReadonlySet<string>, o: BatchOptions): { jobs: AnalyzeJob[]; skipped: number; members: Map<string, SetMember>; sets: Map<string, string[]> } {
  const unscanned = (r: FileRow): boolean => (r.status === 'pending' || r.status === 'failed') && !mayChain.has(r.path);
  const readable = rows.filter((r) => r.status === 'scanned' || r.status === 'done' || unscanned(r));
  const alone = (r: FileRow): SetMember => ({ path: r.path, setId: r.path, seq: 0, prev: null, next: null });
  const members: Map<string, SetMember> = o.sets ? groupCaptureSets(readable, { maxGapMicros: secondsToMicros(o.setGap) }) : new Map(readable.map((r) => [r.path, alone(r)]));
  const byPath = new Map(readable.map((r) => [r.path, r]));
  // Sets of several files, in order. A file with more frames than a slot numbers (SET_FRAME_BASE)
  // makes its set's files be analysed alone.
  const sets = new Map<string, string[]>();
  for (const m of [...members.values()].sort((a, b) => a.seq - b.seq)) {
    if (m.prev === null && m.next === null) continue;
    const list = sets.get(m.setId) ?? [];
    list.push(m.path);
    sets.set(m.setId, list);
  }
  for (const [setId, paths] of sets) {
    if (paths.every((p) => (byPath.get(p)!.packets ?? 0) < SET_FRAME_BASE)) continue;
    sets.delete(setId);
    for (const p of paths) members.set(p, alone(byPath.get(p)!));
  }
  const slots = assignSlots(sets, byPath);
  const names = reportNames(readable.map((r) => r.path));
  const jobs: AnalyzeJob[] = [];
  let skipped = 0;
  for (const r of readable) {
    const m = members.get(r.path)!;
    // The lead-in reaches back over as many previous files as it takes to cover its length, the
    // run-out forward likewise (a ring of small files).
    const leadFrom = r.firstTime === null ? 0 : r.firstTime - secondsToMicros(o.leadIn);
    const runUntil = r.lastTime === null ? 0 : r.lastTime + secondsToMicros(o.runOut);
    const lead: string[] = [];
    for (let p = m.prev ? byPath.get(m.prev) : undefined; p && p.lastTime !== null && p.lastTime >= leadFrom; p = members.get(p.path)?.prev ? byPath.get(members.get(p.path)!.prev!) : undefined) lead.unshift(p.path);
    const run: string[] = [];
    for (let n = m.next ? byPath.get(m.next) : undefined; n && n.firstTime !== null && n.firstTime <= runUntil; n = members.get(n.path)?.next ? byPath.get(members.get(n.path)!.next!) : undefined) run.push(n.path);
    const context = [...lead, ...run];
    const slot = slots.get(r.path);
    const member =
      slot === undefined
        ? null
        : { slot, contextSlots: context.map((p) => slots.get(p)!), endsSet: members.get(run.length > 0 ? run[run.length - 1]! : r.path)!.next === null };
    const sameAnalysis = member === null ? r.stateSlot === null : r.stateSlot === member.slot && sameList(r.contextSlots, member.contextSlots);
    if (r.status === 'done' && sameList(r.context, context) && sameAnalysis) {
      skipped++;
      continue;
    }
    const name = names.get(r.path)!;
    jobs.push({
      type: 'analyze',
      path: r.path,
      leadIn: lead.length > 0 ? { paths: lead, fromTime: leadFrom } : null,
      runOut: run.length > 0 ? { paths: run, untilTime: runUntil } : null,
      reportJson: o.out === undefined ? null : resolve(o.out, `${name}.json`),
      reportHtml: o.out === undefined ? null : resolve(o.out, `${name}.html`),
      options: o.analyze,
      member,
    });
  }
  return { jobs, skipped, members, sets };
}

/**
 * Each set member's slot (its frames are numbered from slot × SET_FRAME_BASE, jobs.ts): slots rise
 * along the set, and a file keeps the slot it was analysed with while that still rises — so a
 * ring buffer that grows or loses its oldest file does not renumber (and analyse again) the files
 * in between. A file new to its set, or whose slot no longer fits, takes the next one.
 */
function assignSlots(sets: ReadonlyMap<string, readonly string[]>, byPath: ReadonlyMap<string, FileRow>): Map<string, number> {
  const slots = new Map<string, number>();
  for (const paths of sets.values()) {
    let previous = -1;
    paths.forEach((p, i) => {
      const kept = byPath.get(p)!.stateSlot;
      // A kept slot must leave room for the files after it.
      const slot = kept !== null && kept > previous && kept <= MAX_SET_SLOT - (paths.length - 1 - i) ? kept : previous + 1;
      slots.set(p, slot);
      previous = slot;
    });
    // Out of slots (a very long-running ring): number the set afresh.
    if (previous > MAX_SET_SLOT) paths.forEach((p, i) => slots.set(p, i));
  }
  return slots;
}

/**
 * A set merged before whose files are among this run's but which is not one of its sets any more
 * (a file added in front, one gone, `--no-sets`): its findings go, from the index and the files'
 * reports. The new sets are merged afresh.
 */
function dropRegroupedSets(index: BatchIndex, sets: ReadonlyMap<string, readonly string[]>, paths: ReadonlySet<string>): void {
  for (const stored of index.captureSets()) {
    if (!stored.members.some((p) => paths.has(p))) continue; // another batch's files, sharing the index
    const now = sets.get(stored.setId);
    if (now === undefined || !sameList(now, stored.members)) dropCaptureSet(index, stored.setId);
  }
}

const sameList = <T>(a: readonly T[], b: readonly T[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Report names: each file's path below the inputs' common folder, its capture extension (and .gz)
 * dropped; where two would collide (a.pcap and a.pcapng), the full file name is kept.
 */
export function reportNames(paths: readonly string[]): Map<string, string> {
  const base = commonFolder(paths);
  const stem = (p: string): string => {
    const rel = relative(base, p);
    return join(dirname(rel), basename(rel).replace(/\.gz$/i, '').replace(/\.(pcapng|pcap|cap|dmp)$/i, ''));
  };
  const count = new Map<string, number>();
  for (const p of paths) count.set(stem(p), (count.get(stem(p)) ?? 0) + 1);
  return new Map(paths.map((p) => [p, count.get(stem(p))! > 1 ? relative(base, p) : stem(p)]));
}

function commonFolder(paths: readonly string[]): string {
  if (paths.length === 0) return sep;
  let parts = dirname(paths[0]!).split(sep);
  for (const p of paths) {
    const q = dirname(p).split(sep);
    let i = 0;
    while (i < parts.length && i < q.length && parts[i] === q[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join(sep) || sep;
}
