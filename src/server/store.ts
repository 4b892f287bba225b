// Where analyses live: one SQLite database (better-sqlite3, synchronous, WAL) for the rows, and
// files named only by the analysis id under the data folder:
//
//   DATA/dualscope.db         rows (status, name, sizes, finding counts)
//   DATA/captures/ID.cap      the original upload, renamed in only once it arrived whole
//   DATA/reports/ID.json      the JSON report      (written to tmp/, then renamed)
//   DATA/reports/ID.html      the HTML timeline
//   DATA/tmp/                 uploads and reports being written; emptied at every start
//
// A row exists once an upload has shown it is a capture. `stored` says the capture file is
// complete. At start, rows left `running` (or `queued` without a stored capture) by a crash or a
// restart become `failed`; queued rows with their capture are queued again; files no row names go.
import { mkdirSync, readdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';

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
  error       INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS analyses_created ON analyses (created_at);
`;

export const INTERRUPTED_UPLOAD = 'the upload was interrupted by a server stop or crash; upload the capture again';
export const INTERRUPTED_ANALYSIS = 'the analysis was interrupted by a server stop or crash; upload the capture again';

export class Store {
  readonly #db: Database.Database;
  readonly capturesDir: string;
  readonly reportsDir: string;
  readonly tmpDir: string;

  constructor(readonly dataDir: string) {
    this.capturesDir = join(dataDir, 'captures');
    this.reportsDir = join(dataDir, 'reports');
    this.tmpDir = join(dataDir, 'tmp');
    for (const d of [dataDir, this.capturesDir, this.reportsDir, this.tmpDir]) mkdirSync(d, { recursive: true, mode: 0o700 });
    this.#db = new Database(join(dataDir, 'dualscope.db'), { timeout: 5000 });
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.exec(SCHEMA);
  }

  /**
   * After a stop or crash: nothing half-written stays, nothing stays `running`. Returns the ids of
   * queued analyses whose capture is complete, oldest first, to be queued again.
   */
  recover(now = new Date().toISOString()): string[] {
    rmSync(this.tmpDir, { recursive: true, force: true });
    mkdirSync(this.tmpDir, { recursive: true, mode: 0o700 });
    this.#db
      .prepare(`UPDATE analyses SET status = 'failed', finished_at = ?, reason = CASE stored WHEN 1 THEN ? ELSE ? END
                WHERE status = 'running' OR (status = 'queued' AND stored = 0)`)
      .run(now, INTERRUPTED_ANALYSIS, INTERRUPTED_UPLOAD);
    const known = new Set(this.#db.prepare<{ id: string }>('SELECT id FROM analyses').all().map((r) => r.id));
    for (const dir of [this.capturesDir, this.reportsDir]) {
      for (const f of readdirSync(dir)) {
        const id = f.slice(0, f.indexOf('.') < 0 ? f.length : f.indexOf('.'));
        if (!known.has(id)) rmSync(join(dir, f), { force: true });
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
    const row = this.#db.prepare<Row>('SELECT * FROM analyses WHERE id = ?').get(id);
    return row && summary(row);
  }

  list(): AnalysisSummary[] {
    return this.#db.prepare<Row>('SELECT * FROM analyses ORDER BY created_at DESC, rowid DESC').all().map(summary);
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

  /** Writes both reports through tmp/ and marks the row done: a reader sees all of it or none. */
  finish(id: string, json: string, html: string, packets: number, counts: FindingCounts): void {
    const tj = this.tmpPath(id, 'json');
    const th = this.tmpPath(id, 'html');
    writeFileSync(tj, json, { mode: 0o600 });
    writeFileSync(th, html, { mode: 0o600 });
    renameSync(tj, this.reportPath(id, 'json'));
    renameSync(th, this.reportPath(id, 'html'));
    this.#db
      .prepare(`UPDATE analyses SET status = 'done', reason = NULL, finished_at = ?, packets = ?, info = ?, warning = ?, error = ? WHERE id = ?`)
      .run(new Date().toISOString(), packets, counts.info, counts.warning, counts.error, id);
  }

  fail(id: string, reason: string): void {
    this.#db.prepare(`UPDATE analyses SET status = 'failed', reason = ?, finished_at = ? WHERE id = ?`).run(reason, new Date().toISOString(), id);
  }

  /** Removes the row and every file of the analysis. Returns false when there was no such row. */
  delete(id: string): boolean {
    const gone = this.#db.prepare('DELETE FROM analyses WHERE id = ?').run(id).changes > 0;
    for (const p of [this.capturePath(id), this.reportPath(id, 'json'), this.reportPath(id, 'html')]) removeQuietly(p);
    return gone;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
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
