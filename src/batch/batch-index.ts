// The batch index: one SQLite file (better-sqlite3, WAL) with a row per capture file and a row per
// finding, so that a batch can be resumed, re-run and queried. Only the coordinator writes it.
//
// Crash safety is by transactions, not by care: a file's findings and its `done` status are
// written in one transaction (findings of an earlier analysis of the file are deleted in the same
// one), so a batch killed at any moment leaves every file either done with all its findings or
// not done with none, and the next run analyses exactly the files not done.
//
// A capture set's findings of the detectors that sum up at finish are made by the coordinator once
// the set's files are all analysed (set-merge.ts), from each file's summing state (a blob here,
// written with the file's analysis): they are rows of the file holding their earliest evidence,
// tagged with the set (`set_id`), and a merge replaces all of the set's in one transaction. The
// `capture_sets` table remembers which analyses (the members' `analyzed_at`) the merge read, so
// that a set whose merge was lost (a kill) or is out of date (a member analysed again) is merged
// again on the next run, and one that is up to date is not.
//
// The finding's JSON is stored as the analysis produced it (`json`); the other columns are copied
// out of it for queries and are NULL when a finding lacks the field, so a finding format with more
// (or fewer) fields still goes in.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SUMMING_STATE_VERSION } from '../analyze.js';
import { UsageError } from '../core/index.js';

export const FILE_STATUSES = ['pending', 'scanned', 'done', 'failed'] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

/** What a scan learnt about a file (the frames are read, not analysed). */
export interface ScanFacts {
  format: string | null;
  linkTypes: number[];
  packets: number;
  firstTime: number | null;
  lastTime: number | null;
  truncated: boolean;
}

export interface FileRow {
  id: number;
  path: string;
  size: number;
  mtimeMs: number;
  fingerprint: string;
  status: FileStatus;
  error: string | null;
  format: string | null;
  linkTypes: number[];
  packets: number | null;
  firstTime: number | null;
  lastTime: number | null;
  truncated: boolean;
  setId: string | null;
  setSeq: number | null;
  prevPath: string | null;
  nextPath: string | null;
  /** The files whose lead-in/run-out the analysis read, in reading order. */
  context: string[];
  /** The slot its frames were numbered from when analysed as a set member (and its summing state kept); null: analysed alone. */
  stateSlot: number | null;
  /** The slots its context files' frames were numbered from, in context order. */
  contextSlots: number[];
  reportJson: string | null;
  reportHtml: string | null;
  findings: number | null;
  analyzedAt: string | null;
}

export interface StoredFinding {
  file: string;
  json: unknown;
}

const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS files (
  id           INTEGER PRIMARY KEY,
  path         TEXT NOT NULL UNIQUE,
  size         INTEGER NOT NULL,
  mtime_ms     REAL NOT NULL,
  fingerprint  TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('pending', 'scanned', 'done', 'failed')),
  error        TEXT,
  format       TEXT,
  link_types   TEXT,
  packets      INTEGER,
  first_time   INTEGER,
  last_time    INTEGER,
  truncated    INTEGER NOT NULL DEFAULT 0,
  set_id       TEXT,
  set_seq      INTEGER,
  prev_path    TEXT,
  next_path    TEXT,
  context      TEXT,
  report_json  TEXT,
  report_html  TEXT,
  findings     INTEGER,
  analyzed_at  TEXT,
  summing      BLOB,
  state_slot   INTEGER,
  context_slots TEXT
) STRICT;
CREATE TABLE IF NOT EXISTS findings (
  id          INTEGER PRIMARY KEY,
  file_id     INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  finding_id  TEXT,
  kind        TEXT,
  severity    TEXT,
  time        INTEGER,
  end_time    INTEGER,
  client      TEXT,
  server      TEXT,
  names       TEXT,
  summary     TEXT,
  frames      TEXT,
  json        TEXT NOT NULL,
  set_id      TEXT
) STRICT;
CREATE TABLE IF NOT EXISTS capture_sets (
  set_id     TEXT PRIMARY KEY,
  members    TEXT NOT NULL,
  signature  TEXT NOT NULL,
  merged_at  TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS findings_file ON findings (file_id);
CREATE INDEX IF NOT EXISTS findings_time ON findings (time);
CREATE INDEX IF NOT EXISTS findings_kind ON findings (kind, time);
`;

/** Columns added by schema 2 (capture sets merged by the coordinator), for an index written by schema 1. */
const SCHEMA_2_COLUMNS: [table: string, column: string, type: string][] = [
  ['files', 'summing', 'BLOB'],
  ['files', 'state_slot', 'INTEGER'],
  ['files', 'context_slots', 'TEXT'],
  ['findings', 'set_id', 'TEXT'],
];
const SCHEMA_2_INDEXES = 'CREATE INDEX IF NOT EXISTS findings_set ON findings (set_id);';

/** Every files column but the summing blob: rows are listed often, blobs are read one at a time for a merge. */
const FILE_COLUMNS =
  'id, path, size, mtime_ms, fingerprint, status, error, format, link_types, packets, first_time, last_time, truncated, set_id, set_seq, prev_path, next_path, context, report_json, report_html, findings, analyzed_at, state_slot, context_slots';

/** A capture set as its last merge saw it. */
export interface CaptureSetRow {
  setId: string;
  members: string[];
  signature: string;
}

interface FileRecord {
  id: number;
  path: string;
  size: number;
  mtime_ms: number;
  fingerprint: string;
  status: FileStatus;
  error: string | null;
  format: string | null;
  link_types: string | null;
  packets: number | null;
  first_time: number | null;
  last_time: number | null;
  truncated: number;
  set_id: string | null;
  set_seq: number | null;
  prev_path: string | null;
  next_path: string | null;
  context: string | null;
  report_json: string | null;
  report_html: string | null;
  findings: number | null;
  analyzed_at: string | null;
  state_slot: number | null;
  context_slots: string | null;
}

const toFileRow = (r: FileRecord): FileRow => ({
  id: r.id,
  path: r.path,
  size: r.size,
  mtimeMs: r.mtime_ms,
  fingerprint: r.fingerprint,
  status: r.status,
  error: r.error,
  format: r.format,
  linkTypes: r.link_types ? (JSON.parse(r.link_types) as number[]) : [],
  packets: r.packets,
  firstTime: r.first_time,
  lastTime: r.last_time,
  truncated: r.truncated !== 0,
  setId: r.set_id,
  setSeq: r.set_seq,
  prevPath: r.prev_path,
  nextPath: r.next_path,
  context: r.context ? (JSON.parse(r.context) as string[]) : [],
  stateSlot: r.state_slot,
  contextSlots: r.context_slots ? (JSON.parse(r.context_slots) as number[]) : [],
  reportJson: r.report_json,
  reportHtml: r.report_html,
  findings: r.findings,
  analyzedAt: r.analyzed_at,
});

/** A field of a finding, or null when it is missing or not of the expected type. */
const str = (o: Record<string, unknown>, k: string): string | null => (typeof o[k] === 'string' ? (o[k] as string) : null);
const int = (o: Record<string, unknown>, k: string): number | null => (typeof o[k] === 'number' && Number.isFinite(o[k]) ? Math.round(o[k] as number) : null);

export class BatchIndex {
  readonly path: string;
  readonly #db: Database.Database;

  /** Opens (creating) the index. An unusable path or a file that is not a dualscope index is a UsageError. */
  constructor(path: string, options: { readonly?: boolean } = {}) {
    this.path = resolve(path);
    try {
      if (!options.readonly) mkdirSync(dirname(this.path), { recursive: true });
      this.#db = new Database(this.path, { timeout: 10_000, readonly: options.readonly === true, fileMustExist: options.readonly === true });
      if (!options.readonly) {
        this.#db.pragma('journal_mode = WAL');
        this.#db.pragma('synchronous = NORMAL');
        this.#db.pragma('foreign_keys = ON');
        this.#db.exec(SCHEMA);
        for (const [table, column, type] of SCHEMA_2_COLUMNS) {
          const has = (this.#db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).some((c) => c.name === column);
          if (!has) this.#db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
        }
        this.#db.exec(SCHEMA_2_INDEXES);
        const v = this.#meta('schemaVersion');
        if (v !== undefined && Number(v) > SCHEMA_VERSION) throw new UsageError(`${path}: written by a newer dualscope (index schema ${v})`);
        this.#setMeta('schemaVersion', String(SCHEMA_VERSION));
        this.#forgetStatesOfAnotherVersion();
      } else {
        this.#db.prepare('SELECT count(*) FROM files').get();
      }
    } catch (e) {
      if (e instanceof UsageError) throw e;
      const why = (e as { code?: string }).code === 'SQLITE_NOTADB' ? 'not an SQLite file' : e instanceof Error ? e.message.split('\n')[0] : String(e);
      throw new UsageError(`cannot open the index ${path}: ${why}`);
    }
  }

  close(): void {
    this.#db.close();
  }

  get db(): Database.Database {
    return this.#db;
  }

  file(path: string): FileRow | undefined {
    const r = this.#db.prepare(`SELECT ${FILE_COLUMNS} FROM files WHERE path = ?`).get(path) as FileRecord | undefined;
    return r ? toFileRow(r) : undefined;
  }

  fileById(id: number): FileRow | undefined {
    const r = this.#db.prepare(`SELECT ${FILE_COLUMNS} FROM files WHERE id = ?`).get(id) as FileRecord | undefined;
    return r ? toFileRow(r) : undefined;
  }

  files(paths?: readonly string[]): FileRow[] {
    if (paths === undefined) return (this.#db.prepare(`SELECT ${FILE_COLUMNS} FROM files ORDER BY path`).all() as FileRecord[]).map(toFileRow);
    const out: FileRow[] = [];
    for (const p of paths) {
      const r = this.file(p);
      if (r) out.push(r);
    }
    return out;
  }

  /**
   * The file as it is on disk now. A new path, or a known one whose fingerprint changed, starts
   * over as `pending` (its old findings go, in the same transaction); an unchanged one is returned
   * as it is (size and mtime refreshed).
   */
  upsertFile(path: string, size: number, mtimeMs: number, fingerprint: string): FileRow {
    const tx = this.#db.transaction(() => {
      const old = this.file(path);
      if (old && old.fingerprint === fingerprint) {
        if (old.size !== size || old.mtimeMs !== mtimeMs) this.#db.prepare('UPDATE files SET size = ?, mtime_ms = ? WHERE id = ?').run(size, mtimeMs, old.id);
        return { ...old, size, mtimeMs };
      }
      if (old) {
        this.#db.prepare('DELETE FROM findings WHERE file_id = ?').run(old.id);
        this.#db.prepare('DELETE FROM files WHERE id = ?').run(old.id);
      }
      this.#db
        .prepare("INSERT INTO files (path, size, mtime_ms, fingerprint, status) VALUES (?, ?, ?, ?, 'pending')")
        .run(path, size, mtimeMs, fingerprint);
      return this.file(path)!;
    });
    return tx();
  }

  /** A scan's facts: the file is `scanned` (ready to be grouped and analysed). */
  recordScan(id: number, facts: ScanFacts): void {
    this.#db
      .prepare(
        "UPDATE files SET status = 'scanned', error = NULL, format = ?, link_types = ?, packets = ?, first_time = ?, last_time = ?, truncated = ? WHERE id = ? AND status != 'done'",
      )
      .run(facts.format, JSON.stringify(facts.linkTypes), facts.packets, facts.firstTime, facts.lastTime, facts.truncated ? 1 : 0, id);
  }

  /**
   * The file could not be read (or analysed): the reason is kept, and its own findings and summing
   * state go (its set's findings are replaced when the set is merged again).
   */
  recordFailure(id: number, reason: string): void {
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM findings WHERE file_id = ? AND set_id IS NULL').run(id);
      this.#db.prepare("UPDATE files SET status = 'failed', error = ?, findings = NULL, analyzed_at = ?, summing = NULL, state_slot = NULL, context_slots = NULL WHERE id = ?").run(reason, new Date().toISOString(), id);
    })();
  }

  /** Where the file stands in its capture set (its neighbours, for people; the context read is recorded by recordAnalysis). */
  recordSet(id: number, setId: string | null, setSeq: number | null, prevPath: string | null, nextPath: string | null): void {
    this.#db.prepare('UPDATE files SET set_id = ?, set_seq = ?, prev_path = ?, next_path = ? WHERE id = ?').run(setId, setSeq, prevPath, nextPath, id);
  }

  /**
   * Set members' summing states written by a build whose states have another shape
   * (SUMMING_STATE_VERSION; none recorded: version 1) cannot be merged by this one: those files go
   * back to `scanned`, so this run analyses them again, and their set is merged anew (its signature
   * changes with the analyses). Their reports and findings stay until replaced.
   */
  #forgetStatesOfAnotherVersion(): void {
    if ((this.#meta('summingStateVersion') ?? '1') === String(SUMMING_STATE_VERSION)) return;
    this.#db.transaction(() => {
      this.#db.prepare("UPDATE files SET status = 'scanned', summing = NULL WHERE summing IS NOT NULL AND status = 'done'").run();
      this.#setMeta('summingStateVersion', String(SUMMING_STATE_VERSION));
    })();
  }

  /** A value of table `meta` (undefined: none). */
  #meta(key: string): string | undefined {
    return (this.#db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  #setMeta(key: string, value: string): void {
    this.#db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value);
  }

  /**
   * The analysis of a file: its own findings replace any earlier ones and the file becomes `done`,
   * in one transaction. `context` lists the files whose lead-in/run-out the analysis read; a set
   * member's `summing` state (and the slot its frames were numbered from) is kept for its set's merge.
   */
  recordAnalysis(
    id: number,
    result: { findings: readonly unknown[]; facts: ScanFacts; context: readonly string[]; reportJson: string | null; reportHtml: string | null; summing?: Buffer | null; slot?: number | null; contextSlots?: readonly number[] },
  ): void {
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM findings WHERE file_id = ? AND set_id IS NULL').run(id);
      for (const f of result.findings) this.#insertFinding(id, f, null);
      const x = result.facts;
      this.#db
        .prepare(
          "UPDATE files SET status = 'done', error = NULL, format = ?, link_types = ?, packets = ?, first_time = ?, last_time = ?, truncated = ?, context = ?, report_json = ?, report_html = ?, findings = (SELECT count(*) FROM findings WHERE file_id = files.id), analyzed_at = ?, summing = ?, state_slot = ?, context_slots = ? WHERE id = ?",
        )
        .run(x.format, JSON.stringify(x.linkTypes), x.packets, x.firstTime, x.lastTime, x.truncated ? 1 : 0, JSON.stringify(result.context), result.reportJson, result.reportHtml, new Date().toISOString(), result.summing ?? null, result.slot ?? null, JSON.stringify(result.contextSlots ?? []), id);
    })();
  }

  #insertFinding(fileId: number, f: unknown, setId: string | null): void {
    const o = (f && typeof f === 'object' ? f : {}) as Record<string, unknown>;
    const names = Array.isArray(o.names) ? (o.names as unknown[]).filter((n) => typeof n === 'string') : [];
    const evidence = Array.isArray(o.evidence) ? (o.evidence as { frame?: unknown; file?: unknown }[]) : [];
    const frames = evidence.filter((e) => typeof e?.frame === 'number').map((e) => (typeof e.file === 'string' ? `${e.file}#${e.frame}` : e.frame));
    this.#db
      .prepare('INSERT INTO findings (file_id, finding_id, kind, severity, time, end_time, client, server, names, summary, frames, json, set_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(fileId, str(o, 'id'), str(o, 'kind'), str(o, 'severity'), int(o, 'start'), int(o, 'end'), str(o, 'client'), str(o, 'server'), JSON.stringify(names), str(o, 'summary'), JSON.stringify(frames), JSON.stringify(f), setId);
  }

  /** A set member's summing state, as its analysis handed it over (undefined: none kept). */
  summingState(id: number): Buffer | undefined {
    const r = this.#db.prepare('SELECT summing FROM files WHERE id = ?').get(id) as { summing: Buffer | null } | undefined;
    return r?.summing ?? undefined;
  }

  /** The capture set as its last merge saw it (undefined: never merged, or dropped). */
  captureSet(setId: string): CaptureSetRow | undefined {
    const r = this.#db.prepare('SELECT set_id, members, signature FROM capture_sets WHERE set_id = ?').get(setId) as { set_id: string; members: string; signature: string } | undefined;
    return r === undefined ? undefined : { setId: r.set_id, members: JSON.parse(r.members) as string[], signature: r.signature };
  }

  /** The ids of the occurrences the set's last merge gave each file (by file id). */
  setFindingIds(setId: string): Map<number, Set<string>> {
    const out = new Map<number, Set<string>>();
    for (const r of this.#db.prepare('SELECT file_id AS fileId, json FROM findings WHERE set_id = ?').iterate(setId) as Iterable<{ fileId: number; json: string }>) {
      const ids = out.get(r.fileId) ?? new Set<string>();
      const incident = JSON.parse(r.json) as { occurrences?: { id?: unknown }[] };
      for (const o of incident.occurrences ?? []) if (typeof o.id === 'string') ids.add(o.id);
      out.set(r.fileId, ids);
    }
    return out;
  }

  /** The capture sets merged so far. */
  captureSets(): CaptureSetRow[] {
    return (this.#db.prepare('SELECT set_id, members, signature FROM capture_sets ORDER BY set_id').all() as { set_id: string; members: string; signature: string }[]).map((r) => ({
      setId: r.set_id,
      members: JSON.parse(r.members) as string[],
      signature: r.signature,
    }));
  }

  /** The set's findings (by file id), replacing any earlier merge's, and what the merge read: one transaction. */
  recordSetMerge(set: CaptureSetRow, findings: ReadonlyMap<number, readonly unknown[]>): void {
    this.#db.transaction(() => {
      const touched = this.#dropSet(set.setId);
      for (const [fileId, list] of findings) {
        for (const f of list) this.#insertFinding(fileId, f, set.setId);
        touched.add(fileId);
      }
      this.#db.prepare('INSERT INTO capture_sets (set_id, members, signature, merged_at) VALUES (?, ?, ?, ?)').run(set.setId, JSON.stringify(set.members), set.signature, new Date().toISOString());
      this.#recount(touched);
    })();
  }

  /** A set that is no more (its files regrouped): its findings and record go. */
  dropCaptureSet(setId: string): void {
    this.#db.transaction(() => this.#recount(this.#dropSet(setId)))();
  }

  /** Deletes the set's findings and record; returns the files that had some. */
  #dropSet(setId: string): Set<number> {
    const files = new Set((this.#db.prepare('SELECT DISTINCT file_id AS id FROM findings WHERE set_id = ?').all(setId) as { id: number }[]).map((r) => r.id));
    this.#db.prepare('DELETE FROM findings WHERE set_id = ?').run(setId);
    this.#db.prepare('DELETE FROM capture_sets WHERE set_id = ?').run(setId);
    return files;
  }

  /** These files' counts of findings (of done files), their own and those their sets gave them. */
  #recount(fileIds: ReadonlySet<number>): void {
    const update = this.#db.prepare("UPDATE files SET findings = (SELECT count(*) FROM findings WHERE file_id = files.id) WHERE id = ? AND status = 'done'");
    for (const id of fileIds) update.run(id);
  }

  /** Findings of the given files (all files when undefined), by time. */
  findings(fileIds?: readonly number[]): StoredFinding[] {
    const rows = this.#db.prepare('SELECT f.path AS file, x.file_id AS fileId, x.json AS json FROM findings x JOIN files f ON f.id = x.file_id ORDER BY x.time, x.id').all() as { file: string; fileId: number; json: string }[];
    const want = fileIds ? new Set(fileIds) : undefined;
    return rows.filter((r) => !want || want.has(r.fileId)).map((r) => ({ file: r.file, json: JSON.parse(r.json) as unknown }));
  }
}
