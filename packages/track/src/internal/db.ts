import { OptikError } from '@optik/core';
import Database from 'better-sqlite3';

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

/** Opens (creating when needed) the store database: WAL, busy timeout, foreign keys, schema up to date. */
export function openDatabase(file: string, busyTimeoutMs: number): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: busyTimeoutMs });
  } catch (cause) {
    throw new OptikError(
      'STORE_ERROR',
      `Cannot open the run store database.`,
      { file, hint: 'Check that the folder exists and is writable.' },
      { cause },
    );
  }
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a process crash (only a power loss may drop the last commits).
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (cause) {
    db.close();
    throw new OptikError('STORE_ERROR', `Cannot prepare the run store database.`, { file }, { cause });
  }
  return db;
}

function migrate(db: Database.Database): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new OptikError(
        'STORE_ERROR',
        `The run store was written by a newer Optik (schema ${version}, this one reads up to ${SCHEMA_VERSION}).`,
        { hint: 'Upgrade @optik/track.' },
      );
    }
    if (version < 1) {
      db.exec(SCHEMA_V1);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }
  }).immediate();
}
