// Where analyses live: one SQLite database (better-sqlite3, synchronous, WAL) for the rows, and
// files named only by the analysis id under the data folder:
//
//   DATA/dualscope.db         rows (status, name, sizes, finding counts)
//   DATA/captures/ID.cap      the original upload, renamed in only once it arrived whole
//   DATA/reports/ID.json      the JSON report      (written to tmp/, then renamed)
//   DATA/reports/ID.html      the HTML timeline
//   DATA/cases/ID.json        a case's correlated report (several analyses' captures, cases.ts)
//   DATA/cases/ID.html        its ladder diagram
//   DATA/tmp/                 uploads and reports being written; emptied at every start
//
// A case lives only as long as every analysis it correlates: deleting an analysis deletes the
// cases that use it (their reports hold that capture's packets, which the user asked to be rid of),
// and a start removes cases whose analyses are gone (a crash between the two).
//
// A row exists once an upload has shown it is a capture. `stored` says the capture file is
// complete. At start, rows whose capture is stored and that were `queued` or `running` (a crash,
// a SIGKILL, a restart) are queued again — up to MAX_ATTEMPTS starts, so a capture that crashes
// the process cannot loop; rows without their capture become `failed`; files no row names go.
//
// A full disk: the database and the files are all 0600. When marking an analysis failed or
// deleting it cannot be written (SQLITE_FULL), the change is kept in memory, shown by get() and
// list() at once, and written later (retryDeferred): an analysis never stays `running` for ever
// because the disk was full when it ended.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { writeText, type TextContent } from '../writers/index.js';

export const STATUSES = ['queued', 'running', 'done', 'failed'] as const;
export type Status = (typeof STATUSES)[number];

export interface FindingCounts {
  info: number;
  warning: number;
  error: number;
}

/** One analysis as the API lists it. */
export interface AnalysisSummary {
  id: string;
  name: string;
  status: Status;
  /** Why it failed, for people. */
  reason: string | null;
  createdAt: string;
  finishedAt: string | null;
  /** Bytes of the capture as uploaded (so far, while it arrives). */
  size: number;
  /** The original capture is stored whole and can be downloaded. */
  stored: boolean;
  packets: number | null;
  counts: FindingCounts | null;
}

interface Row {
  id: string;
  name: string;
  status: Status;
  reason: string | null;
  created_at: string;
  finished_at: string | null;
  size: number;
  stored: number;
  packets: number | null;
  info: number | null;
  warning: number | null;
  error: number | null;
  attempts: number;
}

/** 16 random bytes, base64url: 22 characters, 128 bits, nothing sequential. */
export const newId = (): string => randomBytes(16).toString('base64url');
const ID_SHAPE = /^[A-Za-z0-9_-]{22}$/;
export const isId = (s: string): boolean => ID_SHAPE.test(s);

const SCHEMA = `
CREATE TABLE IF NOT EXISTS analyses (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
  reason      TEXT,
  created_at  TEXT NOT NULL,
  finished_at TEXT,
  size        INTEGER NOT NULL DEFAULT 0,
  stored      INTEGER NOT NULL DEFAULT 0,
  packets     INTEGER,
  info        INTEGER,
  warning     INTEGER,
  error       INTEGER,
  attempts    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX IF NOT EXISTS analyses_created ON analyses (created_at);
CREATE TABLE IF NOT EXISTS cases (
  id          TEXT PRIMARY KEY,
  created_at  TEXT NOT NULL,
  summary     TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS cases_created ON cases (created_at);
CREATE TABLE IF NOT EXISTS case_points (
  case_id     TEXT NOT NULL,
  analysis_id TEXT NOT NULL,
  PRIMARY KEY (case_id, analysis_id)
) STRICT;
CREATE INDEX IF NOT EXISTS case_points_analysis ON case_points (analysis_id);
`;

export const INTERRUPTED_UPLOAD = 'the upload was interrupted by a server stop or crash; upload the capture again';
export const INTERRUPTED_ANALYSIS = 'the analysis was interrupted by a server stop or crash twice; it is not started again';
/** Starts of one stored capture's analysis; a crash during the last one leaves it failed. */
export const MAX_ATTEMPTS = 2;

/** Rows per page of list(), by default and at most. */
export const LIST_PAGE = 100;
export const LIST_PAGE_MAX = 1000;

/** The database and its WAL and shared-memory files, all owner-only like the captures. */
const DB_FILES = ['dualscope.db', 'dualscope.db-wal', 'dualscope.db-shm'] as const;

/** The disk (or the quota) is full: for SQLite, SQLITE_FULL; for files, ENOSPC/EDQUOT. */
export const isDiskFull = (e: unknown): boolean => {
  const code = (e as { code?: unknown } | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL';
};

export class Store {
  readonly #db: Database.Database;
  readonly capturesDir: string;
  readonly reportsDir: string;
  readonly tmpDir: string;
  readonly casesDir: string;

  constructor(readonly dataDir: string) {
    this.capturesDir = join(dataDir, 'captures');
    this.reportsDir = join(dataDir, 'reports');
    this.tmpDir = join(dataDir, 'tmp');
    this.casesDir = join(dataDir, 'cases');
    for (const d of [dataDir, this.capturesDir, this.reportsDir, this.tmpDir, this.casesDir]) mkdirSync(d, { recursive: true, mode: 0o700 });
    const dbPath = join(dataDir, DB_FILES[0]);
    // SQLite gives the -wal and -shm files the database file's mode: create it 0600 first, and
    // tighten files an older version left 0644.
    closeSync(openSync(dbPath, 'a', 0o600));
    for (const f of DB_FILES) if (existsSync(join(dataDir, f))) chmodSync(join(dataDir, f), 0o600);
    this.#db = new Database(dbPath, { timeout: 5000 });
    try {
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = NORMAL');
      this.#db.exec(SCHEMA);
      const columns = this.#db.prepare<{ name: string }>('SELECT name FROM pragma_table_info(?)').all('analyses').map((c) => c.name);
      if (!columns.includes('attempts')) this.#db.exec('ALTER TABLE analyses ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0');
    } catch (e) {
      this.#db.close();
      throw e;
    }
  }

  /** Failures and deletions not yet written (the disk was full), by id. */
  readonly #deferredFail = new Map<string, { reason: string; at: string }>();
  readonly #deferredDelete = new Set<string>();

  /** Changes kept in memory because the disk was full. */
  get deferred(): number {
    return this.#deferredFail.size + this.#deferredDelete.size;
  }

  /** Writes what a full disk held back; what still cannot be written waits for the next try. */
  retryDeferred(): void {
    for (const id of this.#deferredDelete) {
      try {
        this.#deleteRows(id);
        this.#deferredDelete.delete(id);
      } catch {
        return;
      }
    }
    for (const [id, f] of this.#deferredFail) {
      try {
        this.#writeFail(id, f.reason, f.at);
        this.#deferredFail.delete(id);
      } catch {
        return;
      }
    }
  }

  /**
   * After a stop or crash: nothing half-written stays, nothing stays `running`. Returns the ids of
   * queued analyses whose capture is complete, oldest first, to be queued again.
   */
  recover(now = new Date().toISOString()): string[] {
    rmSync(this.tmpDir, { recursive: true, force: true });
    mkdirSync(this.tmpDir, { recursive: true, mode: 0o700 });
    this.#db.transaction(() => {
      // Fully stored: analysed again (a SIGKILL mid-analysis loses nothing the user sent).
      this.#db.prepare(`UPDATE analyses SET status = 'queued' WHERE status = 'running' AND stored = 1 AND attempts < ?`).run(MAX_ATTEMPTS);
      this.#db
        .prepare(`UPDATE analyses SET status = 'failed', finished_at = ?, reason = CASE stored WHEN 1 THEN ? ELSE ? END
                  WHERE status = 'running' OR (status = 'queued' AND stored = 0)`)
        .run(now, INTERRUPTED_ANALYSIS, INTERRUPTED_UPLOAD);
    })();
    this.#importLegacyCases();
    // A case whose analysis is gone (deleted, then a crash before its case was) goes too.
    this.#db.transaction(() => {
      this.#db.exec(`DELETE FROM cases WHERE id IN (SELECT case_id FROM case_points WHERE analysis_id NOT IN (SELECT id FROM analyses))
                        OR id NOT IN (SELECT case_id FROM case_points)`);
      this.#db.exec('DELETE FROM case_points WHERE case_id NOT IN (SELECT id FROM cases)');
    })();
    const known = new Set(this.#db.prepare<{ id: string }>('SELECT id FROM analyses').all().map((r) => r.id));
    const knownCases = new Set(this.#db.prepare<{ id: string }>('SELECT id FROM cases').all().map((r) => r.id));
    for (const [dir, ids] of [[this.capturesDir, known], [this.reportsDir, known], [this.casesDir, knownCases]] as const) {
      for (const f of readdirSync(dir)) {
        const id = f.slice(0, f.indexOf('.') < 0 ? f.length : f.indexOf('.'));
        if (!ids.has(id)) rmSync(join(dir, f), { force: true });
      }
    }
    return this.#db
      .prepare<{ id: string }>(`SELECT id FROM analyses WHERE status = 'queued' AND stored = 1 ORDER BY created_at, rowid`)
      .all()
      .map((r) => r.id);
  }

  capturePath(id: string): string {
    return join(this.capturesDir, `${id}.cap`);
  }

  reportPath(id: string, ext: 'json' | 'html'): string {
    return join(this.reportsDir, `${id}.${ext}`);
  }

  /** A fresh temp file name (never from the client). */
  tmpPath(id: string, what: string): string {
    return join(this.tmpDir, `${id}.${what}.${randomBytes(4).toString('hex')}`);
  }

  insert(id: string, name: string, status: 'queued' | 'running', size: number): AnalysisSummary {
    const createdAt = new Date().toISOString();
    this.#db.prepare('INSERT INTO analyses (id, name, status, created_at, size) VALUES (?, ?, ?, ?, ?)').run(id, name, status, createdAt, size);
    return this.get(id)!;
  }

  get(id: string): AnalysisSummary | undefined {
    if (this.#deferredDelete.has(id)) return undefined;
    const row = this.#db.prepare<Row>('SELECT * FROM analyses WHERE id = ?').get(id);
    return row && this.#summary(row);
  }

  /**
   * Newest first, at most `limit` (LIST_PAGE by default, LIST_PAGE_MAX at most), strictly older
   * than the cursor `before` when given. `next` is the cursor for the page after this one (the
   * last row's creation time and sequence; still valid if that row is deleted meanwhile), null at
   * the end. An index range scan: a page costs the same with 100 or 100 000 analyses.
   */
  list(o: { limit?: number; before?: string } = {}): { analyses: AnalysisSummary[]; next: string | null } {
    const limit = Math.max(1, Math.min(LIST_PAGE_MAX, Math.floor(o.limit ?? LIST_PAGE)));
    const cursor = o.before === undefined ? undefined : parseCursor(o.before);
    const rows =
      cursor === undefined
        ? this.#db.prepare<Row & { seq: number }>('SELECT rowid AS seq, * FROM analyses ORDER BY created_at DESC, rowid DESC LIMIT ?').all(limit + 1)
        : this.#db
            .prepare<Row & { seq: number }>('SELECT rowid AS seq, * FROM analyses WHERE (created_at, rowid) < (?, ?) ORDER BY created_at DESC, rowid DESC LIMIT ?')
            .all(cursor.createdAt, cursor.seq, limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      analyses: page.filter((r) => !this.#deferredDelete.has(r.id)).map((r) => this.#summary(r)),
      next: rows.length > limit && last !== undefined ? `${last.created_at}_${last.seq}` : null,
    };
  }

  /** Every analysis, newest first (tests and tools; the API pages through list()). */
  all(): AnalysisSummary[] {
    const out: AnalysisSummary[] = [];
    let before: string | undefined;
    for (;;) {
      const page = this.list({ limit: LIST_PAGE_MAX, before });
      out.push(...page.analyses);
      if (page.next === null) return out;
      before = page.next;
    }
  }

  isStored(id: string): boolean {
    return this.#db.prepare<{ stored: number }>('SELECT stored FROM analyses WHERE id = ?').get(id)?.stored === 1;
  }

  /** The upload arrived whole: its temp file becomes the capture, and the row says so. */
  storeCapture(id: string, tmp: string, size: number): void {
    renameSync(tmp, this.capturePath(id));
    this.#db.prepare('UPDATE analyses SET stored = 1, size = ? WHERE id = ?').run(size, id);
  }

  setStatus(id: string, status: 'queued' | 'running'): void {
    this.#db.prepare('UPDATE analyses SET status = ? WHERE id = ?').run(status, id);
  }

  /** A stored capture's analysis starts: counted, so that one crashing the process is not retried for ever. */
  startAnalysis(id: string): void {
    this.#db.prepare(`UPDATE analyses SET status = 'running', attempts = attempts + 1 WHERE id = ?`).run(id);
  }

  /**
   * Writes both reports through tmp/ and marks the row done: a reader sees all of it or none.
   * On any failure (a full disk, or a part that throws while it is made) nothing of the reports
   * stays behind, and the error is thrown. Each report is a string or its parts in order
   * (renderJsonChunks, renderHtmlChunks), written as they come.
   */
  finish(id: string, json: TextContent, html: TextContent, packets: number, counts: FindingCounts): void {
    const tj = this.tmpPath(id, 'json');
    const th = this.tmpPath(id, 'html');
    try {
      writeReport(tj, json);
      writeReport(th, html);
      renameSync(tj, this.reportPath(id, 'json'));
      renameSync(th, this.reportPath(id, 'html'));
      this.#db
        .prepare(`UPDATE analyses SET status = 'done', reason = NULL, finished_at = ?, packets = ?, info = ?, warning = ?, error = ? WHERE id = ?`)
        .run(new Date().toISOString(), packets, counts.info, counts.warning, counts.error, id);
    } catch (e) {
      for (const p of [tj, th, this.reportPath(id, 'json'), this.reportPath(id, 'html')]) removeQuietly(p);
      throw e;
    }
  }

  /** Marks the analysis failed. Never throws: when the disk is full the change waits in memory. */
  fail(id: string, reason: string): void {
    const at = new Date().toISOString();
    this.#deferredFail.delete(id);
    try {
      this.#writeFail(id, reason, at);
    } catch {
      this.#deferredFail.set(id, { reason, at });
    }
  }

  #writeFail(id: string, reason: string, at: string): void {
    this.#db.prepare(`UPDATE analyses SET status = 'failed', reason = ?, finished_at = ? WHERE id = ?`).run(reason, at, id);
  }

  /**
   * Removes every file of the analysis and of the cases that use it, then their rows. Never
   * throws: when the disk is full the rows are gone from get(), list(), getCase() and listCases()
   * at once and deleted later. Returns whether there was such a row and the cases deleted with it.
   */
  delete(id: string): { existed: boolean; cases: string[] } {
    const cases = this.casesUsing(id);
    for (const p of [this.capturePath(id), this.reportPath(id, 'json'), this.reportPath(id, 'html')]) removeQuietly(p);
    for (const c of cases) for (const p of [this.casePath(c, 'json'), this.casePath(c, 'html')]) removeQuietly(p);
    const existed = this.get(id) !== undefined;
    this.#deferredFail.delete(id);
    try {
      this.#deleteRows(id);
    } catch {
      this.#deferredDelete.add(id);
    }
    return { existed, cases };
  }

  /** The analysis's row, the cases that use it and their points: all of them or none. */
  #deleteRows(id: string): void {
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM cases WHERE id IN (SELECT case_id FROM case_points WHERE analysis_id = ?)').run(id);
      this.#db.prepare('DELETE FROM case_points WHERE case_id NOT IN (SELECT id FROM cases)').run();
      this.#db.prepare('DELETE FROM analyses WHERE id = ?').run(id);
    })();
  }

  // ── cases ────────────────────────────────────────────────────────────────────────────────────

  casePath(id: string, ext: 'json' | 'html'): string {
    return join(this.casesDir, `${id}.${ext}`);
  }

  /** The cases that correlate this analysis (shown while it exists). */
  casesUsing(analysis: string): string[] {
    return this.#db.prepare<{ case_id: string }>('SELECT case_id FROM case_points WHERE analysis_id = ? ORDER BY case_id').all(analysis).map((r) => r.case_id);
  }

  /**
   * Lists a case whose report files are in place. Refused — undefined returned, nothing written —
   * unless every analysis it names still exists: returns the first one that does not (deleted while
   * the case was being correlated). Throws what the database throws (a full disk).
   */
  addCase(id: string, createdAt: string, analyses: readonly string[], summary: string): string | undefined {
    return this.#db.transaction(() => {
      const gone = analyses.find((a) => this.get(a) === undefined);
      if (gone !== undefined) return gone;
      this.#db.prepare('INSERT INTO cases (id, created_at, summary) VALUES (?, ?, ?)').run(id, createdAt, summary);
      const point = this.#db.prepare('INSERT INTO case_points (case_id, analysis_id) VALUES (?, ?)');
      for (const a of analyses) point.run(id, a);
      return undefined;
    })();
  }

  /** A case's summary (the JSON text addCase stored), or undefined. */
  getCase(id: string): string | undefined {
    const row = this.#db.prepare<{ summary: string }>('SELECT summary FROM cases WHERE id = ?').get(id);
    if (row === undefined || this.#caseLosesAnalysis(id)) return undefined;
    return row.summary;
  }

  /** Cases newest first, in pages like list(). */
  listCases(o: { limit?: number; before?: string } = {}): { cases: string[]; next: string | null } {
    const limit = Math.max(1, Math.min(LIST_PAGE_MAX, Math.floor(o.limit ?? LIST_PAGE)));
    const cursor = o.before === undefined ? undefined : parseCursor(o.before);
    type CaseRow = { id: string; created_at: string; summary: string; seq: number };
    const rows =
      cursor === undefined
        ? this.#db.prepare<CaseRow>('SELECT rowid AS seq, * FROM cases ORDER BY created_at DESC, rowid DESC LIMIT ?').all(limit + 1)
        : this.#db
            .prepare<CaseRow>('SELECT rowid AS seq, * FROM cases WHERE (created_at, rowid) < (?, ?) ORDER BY created_at DESC, rowid DESC LIMIT ?')
            .all(cursor.createdAt, cursor.seq, limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      cases: page.filter((r) => !this.#caseLosesAnalysis(r.id)).map((r) => r.summary),
      next: rows.length > limit && last !== undefined ? `${last.created_at}_${last.seq}` : null,
    };
  }

  /** One of the case's analyses is deleted but its row could not be yet (a full disk). */
  #caseLosesAnalysis(id: string): boolean {
    if (this.#deferredDelete.size === 0) return false;
    return this.#db.prepare<{ analysis_id: string }>('SELECT analysis_id FROM case_points WHERE case_id = ?').all(id).some((r) => this.#deferredDelete.has(r.analysis_id));
  }

  /** Removes the case's files and rows; false when there was no such case. Throws on a full disk. */
  deleteCase(id: string): boolean {
    // Rows first: on a full disk the case stays whole; files left by a crash go at the next start.
    const existed = this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM case_points WHERE case_id = ?').run(id);
      return this.#db.prepare('DELETE FROM cases WHERE id = ?').run(id).changes > 0;
    })();
    for (const p of [this.casePath(id, 'json'), this.casePath(id, 'html')]) removeQuietly(p);
    return existed;
  }

  /**
   * Cases written before they were rows (DATA/cases/ID.meta.json, the summary, beside the reports):
   * listed now when their analyses are all still there, else removed with their reports.
   */
  #importLegacyCases(): void {
    for (const f of readdirSync(this.casesDir)) {
      if (!f.endsWith('.meta.json')) continue;
      const path = join(this.casesDir, f);
      const id = f.slice(0, -'.meta.json'.length);
      try {
        const summary = JSON.parse(readFileSync(path, 'utf8')) as { createdAt?: unknown; points?: { analysis?: unknown }[] };
        const analyses = (summary.points ?? []).map((p) => String(p.analysis));
        if (isId(id) && typeof summary.createdAt === 'string' && analyses.length >= 2 && existsSync(this.casePath(id, 'html'))) {
          this.#db.prepare('INSERT OR IGNORE INTO cases (id, created_at, summary) VALUES (?, ?, ?)').run(id, summary.createdAt, JSON.stringify(summary));
          const point = this.#db.prepare('INSERT OR IGNORE INTO case_points (case_id, analysis_id) VALUES (?, ?)');
          for (const a of analyses) point.run(id, a);
        }
      } catch {
        // unreadable: removed below with the files no case row names
      }
      rmSync(path, { force: true });
    }
  }

  #summary(r: Row): AnalysisSummary {
    const s = summary(r);
    const f = this.#deferredFail.get(r.id);
    return f === undefined ? s : { ...s, status: 'failed', reason: f.reason, finishedAt: f.at };
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

const CURSOR = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)_(\d{1,15})$/;

/** A list cursor (`createdAt_seq`), or undefined when it is not one. */
export function parseCursor(text: string): { createdAt: string; seq: number } | undefined {
  const m = CURSOR.exec(text);
  return m === null ? undefined : { createdAt: m[1]!, seq: Number(m[2]) };
}

export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function summary(r: Row): AnalysisSummary {
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    reason: r.reason,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
    size: r.size,
    stored: r.stored === 1,
    packets: r.packets,
    counts: r.info === null ? null : { info: r.info, warning: r.warning ?? 0, error: r.error ?? 0 },
  };
}

/** A report file, readable by the service's user only, its text written part by part. */
function writeReport(path: string, content: TextContent): void {
  const fd = openSync(path, 'w', 0o600);
  try {
    writeText(fd, content);
  } finally {
    closeSync(fd);
  }
}
