import { existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { isOptikError, OptikError } from '@optik/core';
import Database from 'better-sqlite3';
import { storeOp, toStoreError } from './errors.js';
import { readDatabaseSnapshot } from './snapshot.js';

/** Bumped when the layout changes; `migrate` brings older files forward. */
export const SCHEMA_VERSION = 1;

const SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS studies (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  name          TEXT    NOT NULL UNIQUE,
  task          TEXT,
  direction     TEXT    NOT NULL CHECK (direction IN ('minimize', 'maximize')),
  objective     TEXT    NOT NULL,
  sampler       TEXT    NOT NULL,
  pruner        TEXT,
  space         TEXT,
  config        TEXT,
  status        TEXT    NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'interrupted')),
  best_run_id   INTEGER,
  pid           INTEGER,
  host          TEXT,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  finished_at   INTEGER
);
CREATE TABLE IF NOT EXISTS runs (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  task          TEXT    NOT NULL,
  name          TEXT    NOT NULL,
  rel_dir       TEXT    NOT NULL,
  status        TEXT    NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'interrupted', 'pruned')),
  config        TEXT    NOT NULL,
  params        TEXT    NOT NULL,
  metrics       TEXT,
  seed          INTEGER,
  backend       TEXT,
  git_commit    TEXT,
  tags          TEXT    NOT NULL DEFAULT '[]',
  study_id      INTEGER REFERENCES studies (id) ON DELETE SET NULL,
  trial_number  INTEGER,
  pid           INTEGER,
  host          TEXT,
  error         TEXT,
  created_at    INTEGER NOT NULL,
  segment_start INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  finished_at   INTEGER,
  elapsed_ms    INTEGER NOT NULL DEFAULT 0,
  UNIQUE (task, name),
  UNIQUE (study_id, trial_number)
);
CREATE INDEX IF NOT EXISTS runs_status ON runs (status);
CREATE INDEX IF NOT EXISTS runs_study ON runs (study_id, trial_number);
CREATE TABLE IF NOT EXISTS epochs (
  run_id        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  epoch         INTEGER NOT NULL,
  metrics       TEXT    NOT NULL,
  logged_at     INTEGER NOT NULL,
  duration_ms   INTEGER,
  PRIMARY KEY (run_id, epoch)
) WITHOUT ROWID;
`;

const UPDATED_INDEX = 'CREATE INDEX IF NOT EXISTS runs_updated ON runs (updated_at)';

/** How {@link openDatabase} opens the file. */
export interface OpenDatabaseOptions {
  readonly busyTimeoutMs: number;
  /** Read only: no schema changes, no writes; a store whose -shm cannot be created is read from a snapshot. */
  readonly readOnly: boolean;
  /** Create the file when it is missing (else STORE_NOT_FOUND). */
  readonly create: boolean;
}

/**
 * Opens (creating when asked) the store database: WAL, busy timeout, foreign keys, schema up to date. Read only, it
 * changes nothing: when SQLite cannot open the file in place (a full or read-only disk leaves it no room for its
 * `-shm` file), the committed contents are read into memory instead. Failures are coded: `STORE_NOT_FOUND`,
 * `DISK_FULL`, `STORE_READONLY`, `STORE_CORRUPT`, each naming the cause and the fix.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions): Database.Database {
  if (!options.create && !existsSync(file)) {
    throw new OptikError('STORE_NOT_FOUND', `There is no run store at ${dirname(file)} (no ${basename(file)}).`, {
      file,
      hint: 'Check the --root folder (or output.root): it is the folder that holds optik.db and the task folders, e.g. runs.',
    });
  }
  if (options.readOnly) return openReadOnly(file, options.busyTimeoutMs);
  const db = storeOp('opening the run store', file, () => new Database(file, { timeout: options.busyTimeoutMs }));
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a process crash (only a power loss may drop the last commits).
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (cause) {
    db.close();
    throw toStoreError(cause, 'preparing the run store', file);
  }
  return db;
}

function openReadOnly(file: string, busyTimeoutMs: number): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
    db.pragma('foreign_keys = ON');
    checkVersion(db);
    return db;
  } catch (cause) {
    if (isOptikError(cause)) throw cause;
    const code = (cause as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
      throw toStoreError(cause, 'opening the run store read-only', file);
    }
  }
  // SQLite could not open it in place (no room or no permission for optik.db-shm): read the committed contents.
  try {
    db = new Database(readDatabaseSnapshot(file), { readonly: true });
    checkVersion(db);
    return db;
  } catch (cause) {
    throw toStoreError(cause, 'reading the run store', file);
  }
}

function checkVersion(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) throw newerSchema(version);
}

function newerSchema(version: number): OptikError {
  return new OptikError(
    'STORE_ERROR',
    `The run store was written by a newer Optik (schema ${version}, this one reads up to ${SCHEMA_VERSION}).`,
    { hint: 'Upgrade @optik/track.' },
  );
}

function migrate(db: Database.Database): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw newerSchema(version);
    if (version < 1) {
      db.exec(SCHEMA_V1);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }
    // Added within schema 1 (older readers ignore it): changeStamp's MAX(updated_at), asked on every poll of a
    // watcher, reads this index instead of every run row. A store made before it gets it on its next writable open.
    db.exec(UPDATED_INDEX);
  }).immediate();
}
