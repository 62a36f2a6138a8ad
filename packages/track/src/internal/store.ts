import { mkdirSync, rmdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { isOptikError, OptikError, parseOrThrow } from '@optik/core';
import type Database from 'better-sqlite3';
import type { z } from 'zod';
import { compareRecords, type RunComparison, runsToCsv } from './compare.js';
import { openDatabase } from './db.js';
import { storeOp } from './errors.js';
import { writeFileAtomic } from './files.js';
import { currentHost, isProcessAlive, readGitCommit } from './proc.js';
import {
  type RunInfo,
  type RunRecord,
  type RunRow,
  type StudyRecord,
  type StudyRow,
  toRunInfo,
  toStudyRecord,
} from './records.js';
import { Run, type RunContext } from './run.js';
import {
  CreateRunSchema,
  CreateStudySchema,
  RUN_STATUSES,
  RunFilterSchema,
  type RunStatus,
  StoreOptionsSchema,
  UpdateStudySchema,
} from './schema.js';
import { encodeJson, flattenParams, toPlainObject } from './values.js';

/** Options of {@link openStore}. */
export type StoreOptions = z.input<typeof StoreOptionsSchema>;
/** The resolved store options, as `store.toConfig()` returns them. */
export type StoreConfig = z.output<typeof StoreOptionsSchema>;
/** Options of `store.createRun`. */
export type CreateRunOptions = z.input<typeof CreateRunSchema>;
/** Filter and order of `store.listRuns` / `store.exportCsv`. */
export type RunFilter = z.input<typeof RunFilterSchema>;
/** Options of `store.createStudy`. */
export type CreateStudyOptions = z.input<typeof CreateStudySchema>;
/** Changes accepted by `store.updateStudy`. */
export type UpdateStudyOptions = z.input<typeof UpdateStudySchema>;
/** A run reference: its id, its name (when unique across tasks) or `task/name`. */
export type RunRef = number | string;
/** What `store.sweep()` marked interrupted. */
export interface SweepResult {
  readonly runs: readonly number[];
  readonly studies: readonly number[];
}

const SELECT_RUN = `SELECT r.*,
  (SELECT COUNT(*) FROM epochs e WHERE e.run_id = r.id) AS epoch_count,
  (SELECT MAX(e.epoch) FROM epochs e WHERE e.run_id = r.id) AS last_epoch
FROM runs r`;

/** SELECT_RUN without the config and the metrics (listings that only need the numbers read those separately). */
const SELECT_RUN_LIGHT = SELECT_RUN.replace(
  'SELECT r.*,',
  `SELECT r.id, r.task, r.name, r.rel_dir, r.status, r.params,
  NULL AS metrics, r.seed, r.backend, r.git_commit, r.tags, r.study_id, r.trial_number, r.pid, r.host, r.error,
  r.created_at, r.segment_start, r.updated_at, r.finished_at, r.elapsed_ms, '{}' AS config,`,
);

const SORT_COLUMNS: Record<string, string> = {
  id: 'r.id',
  createdAt: 'r.created_at',
  updatedAt: 'r.updated_at',
  name: 'r.name',
  task: 'r.task',
  status: 'r.status',
  duration: 'r.elapsed_ms',
  trialNumber: 'r.trial_number',
  epochCount: 'epoch_count',
};

/** The WHERE clause (with its leading space, or empty) and its arguments for a run filter. */
function whereOf(f: z.output<typeof RunFilterSchema>): { where: string; args: unknown[] } {
  const where: string[] = [];
  const args: unknown[] = [];
  if (f.task !== undefined) {
    where.push('r.task = ?');
    args.push(f.task);
  }
  if (f.status !== undefined) {
    const statuses = Array.isArray(f.status) ? f.status : [f.status];
    where.push(`r.status IN (${statuses.map(() => '?').join(', ')})`);
    args.push(...statuses);
  }
  for (const tag of f.tags ?? []) {
    where.push('EXISTS (SELECT 1 FROM json_each(r.tags) WHERE json_each.value = ?)');
    args.push(tag);
  }
  if (f.studyId !== undefined) {
    where.push('r.study_id = ?');
    args.push(f.studyId);
  }
  if (f.name !== undefined) {
    where.push(/[*?[]/.test(f.name) ? 'r.name GLOB ?' : 'r.name = ?');
    args.push(f.name);
  }
  if (f.search !== undefined) {
    // LIKE ignores ASCII case; the text's own % and _ match only themselves.
    const pattern = `%${f.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.push(
      `(r.name LIKE ? ESCAPE '\\' OR r.task LIKE ? ESCAPE '\\'
        OR EXISTS (SELECT 1 FROM json_each(r.tags) WHERE json_each.value LIKE ? ESCAPE '\\'))`,
    );
    args.push(pattern, pattern, pattern);
  }
  return { where: where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '', args };
}

/** LIMIT / OFFSET of a run filter (SQLite needs a LIMIT before an OFFSET: -1 is none). */
function pageOf(f: z.output<typeof RunFilterSchema>): string {
  if (f.limit === undefined && f.offset === undefined) return '';
  return ` LIMIT ${f.limit ?? -1}${f.offset === undefined ? '' : ` OFFSET ${f.offset}`}`;
}

/**
 * The run store: one SQLite database (WAL, busy timeout) shared by every process and worker thread that opens
 * it, plus the run folders under `root`. Open it with {@link openStore}.
 *
 * @example
 * ```ts
 * const store = openStore({ root: 'runs' });
 * const best = store.listRuns({ task: 'classification', status: 'completed', sortBy: 'metrics.accuracy', order: 'desc', limit: 1 });
 * ```
 */
export class Store {
  /** Absolute folder holding the run folders. */
  readonly root: string;
  /** Absolute path of the database file. */
  readonly dbPath: string;
  readonly #config: StoreConfig;
  readonly #db: Database.Database;
  readonly #ctx: RunContext;
  #gitCommit: string | null | undefined;

  /** @internal Use {@link openStore}. */
  constructor(options: StoreOptions = {}) {
    this.#config = parseOrThrow(StoreOptionsSchema, options, { what: 'store options' });
    this.root = resolve(this.#config.root);
    this.dbPath = isAbsolute(this.#config.dbFile) ? this.#config.dbFile : join(this.root, this.#config.dbFile);
    const create = this.#config.create && !this.#config.readOnly;
    if (create) storeOp('creating the runs folder', this.root, () => mkdirSync(this.root, { recursive: true }));
    this.#db = openDatabase(this.dbPath, {
      busyTimeoutMs: this.#config.busyTimeoutMs,
      readOnly: this.#config.readOnly,
      create,
    });
    this.#ctx = { db: this.#db, root: this.root, selectRun: SELECT_RUN };
    if (this.#config.sweep && !this.#config.readOnly) {
      try {
        this.sweep();
      } catch (error) {
        // Housekeeping only: a store that cannot be written now (full disk) still opens; its next write says why.
        if (!isOptikError(error, 'DISK_FULL') && !isOptikError(error, 'STORE_READONLY')) {
          this.#db.close();
          throw error;
        }
      }
    }
  }

  /** True when opened with `readOnly` (nothing can be written through this handle). */
  get readOnly(): boolean {
    return this.#config.readOnly;
  }

  /** The resolved options; `openStore(store.toConfig())` opens the same store. */
  toConfig(): StoreConfig {
    return { ...this.#config };
  }

  /** Closes the database. Run handles of this store stop working. */
  close(): void {
    if (this.#db.open) this.#db.close();
  }

  /**
   * Marks runs and studies left `running` by processes of this host that no longer exist (kill -9, power cut of
   * a worker) as `interrupted`. Runs on other hosts are left alone. Called by `openStore` unless `sweep: false`.
   */
  sweep(): SweepResult {
    return storeOp('sweeping runs left by dead processes', this.dbPath, () => {
      const host = currentHost();
      const db = this.#db;
      const runs: number[] = [];
      const studies: number[] = [];
      const candidates = db
        .prepare<[string], { id: number; pid: number | null }>(
          "SELECT id, pid FROM runs WHERE status = 'running' AND host = ?",
        )
        .all(host);
      for (const { id, pid } of candidates) {
        if (pid === null || isProcessAlive(pid)) continue;
        const changed = db
          .prepare(
            `UPDATE runs SET status = 'interrupted', error = ?, finished_at = updated_at,
               elapsed_ms = elapsed_ms + MAX(0, updated_at - segment_start)
             WHERE id = ? AND status = 'running' AND pid = ?`,
          )
          .run(`process ${pid} on ${host} stopped without finishing the run (killed or crashed)`, id, pid).changes;
        if (changed > 0) {
          runs.push(id);
          const row = db.prepare<[number], RunRow>(`${SELECT_RUN} WHERE r.id = ?`).get(id);
          if (row !== undefined) {
            try {
              writeFileAtomic(
                join(this.root, row.rel_dir, 'run.json'),
                `${encodeJson(toRunInfo(row, this.root, Date.now()), 2)}\n`,
              );
            } catch {
              // the folder may be gone; the store is the record
            }
          }
        }
      }
      const openStudies = db
        .prepare<[string], { id: number; pid: number | null }>(
          "SELECT id, pid FROM studies WHERE status = 'running' AND host = ?",
        )
        .all(host);
      for (const { id, pid } of openStudies) {
        if (pid === null || isProcessAlive(pid)) continue;
        const changed = db
          .prepare(
            "UPDATE studies SET status = 'interrupted', finished_at = updated_at WHERE id = ? AND status = 'running' AND pid = ?",
          )
          .run(id, pid).changes;
        if (changed > 0) studies.push(id);
      }
      return { runs, studies };
    });
  }

  /**
   * Starts a run: picks a unique readable name (`exp`, `exp2`, … or `<study>-trial<n>` for a trial), creates
   * `<root>/<task>/<name>/` with `config.yaml`, `run.json`, `plots/`, `weights/best/`, `weights/last/`, and
   * records it as `running` with this pid and host. `params` defaults to the flattened config.
   */
  createRun(options: CreateRunOptions): Run {
    return storeOp('creating a run', this.dbPath, () => {
      const input = parseOrThrow(CreateRunSchema, options, { what: 'run options' });
      const config = toPlainObject(input.config, 'config');
      const params = input.params ?? flattenParams(config);
      const gitCommit = input.gitCommit !== undefined ? input.gitCommit : this.#commit();
      const db = this.#db;
      const host = currentHost();
      const taskDir = join(this.root, input.task);
      mkdirSync(taskDir, { recursive: true });
      const created = db
        .transaction(() => {
          let base = input.name;
          let trialNumber: number | null = null;
          if (input.studyId !== undefined) {
            const study = db
              .prepare<[number], { name: string }>('SELECT name FROM studies WHERE id = ?')
              .get(input.studyId);
            if (study === undefined) {
              throw new OptikError('ARGUMENT_INVALID', `No study with id ${input.studyId} in the store.`, {
                received: input.studyId,
              });
            }
            trialNumber =
              input.trialNumber ??
              db
                .prepare<[number], { next: number }>(
                  'SELECT COALESCE(MAX(trial_number) + 1, 0) AS next FROM runs WHERE study_id = ?',
                )
                .get(input.studyId)?.next ??
              0;
            base ??= `${study.name}-trial${trialNumber}`;
          } else if (input.trialNumber !== undefined) {
            throw new OptikError('ARGUMENT_INVALID', 'trialNumber needs a studyId.', { received: input.trialNumber });
          }
          base ??= 'exp';
          const exists = db.prepare<[string, string], { id: number }>(
            'SELECT id FROM runs WHERE task = ? AND name = ?',
          );
          for (let n = 1; ; n++) {
            const name = n === 1 ? base : `${base}${/\d$/.test(base) ? '-' : ''}${n}`;
            if (exists.get(input.task, name) !== undefined) continue;
            const dir = join(taskDir, name);
            try {
              mkdirSync(dir);
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
              throw new OptikError('STORE_ERROR', 'Cannot create the run folder.', { file: dir }, { cause: error });
            }
            const now = Date.now();
            try {
              const id = db
                .prepare(
                  `INSERT INTO runs (task, name, rel_dir, status, config, params, seed, backend, git_commit, tags,
                     study_id, trial_number, pid, host, created_at, segment_start, updated_at)
                   VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
                )
                .run(
                  input.task,
                  name,
                  join(input.task, name),
                  encodeJson(config),
                  JSON.stringify(params),
                  input.seed,
                  input.backend,
                  gitCommit,
                  JSON.stringify([...new Set(input.tags)]),
                  input.studyId ?? null,
                  trialNumber,
                  process.pid,
                  host,
                  now,
                  now,
                  now,
                ).lastInsertRowid;
              return { id: Number(id), name, dir };
            } catch (error) {
              rmdirSync(dir);
              if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
                throw new OptikError(
                  'STORE_ERROR',
                  `Trial ${trialNumber} already exists in study ${input.studyId}.`,
                  { hint: 'Leave trialNumber out to get the next free number.' },
                  { cause: error },
                );
              }
              throw error;
            }
          }
        })
        .immediate();
      const run = new Run(this.#ctx, { ...created, task: input.task });
      try {
        run.initFolder(config);
      } catch (error) {
        // A run whose folder could not be written (full disk) is not left `running`.
        try {
          run.markFailed(error);
        } catch {
          // the store row still says why once the disk has room; keep the original error
        }
        throw error;
      }
      return run;
    });
  }

  /** A handle on an existing run (to resume it with `run.reopen()`, or to add predictions to it). */
  openRun(ref: RunRef): Run {
    const row = this.#resolve(ref);
    return new Run(this.#ctx, { id: row.id, name: row.name, task: row.task, dir: join(this.root, row.rel_dir) });
  }

  /** A run in full: info, resolved config and every epoch logged so far (what a resume reads). */
  getRun(ref: RunRef): RunRecord {
    return this.openRun(ref).record();
  }

  /**
   * Runs matching a filter, in the order asked (`sortBy`: id, createdAt, duration, epochCount, `metrics.<key>`,
   * `params.<key>` …); `limit` and `offset` give one page of them, {@link Store.countRuns} how many match in all.
   */
  listRuns(filter: RunFilter = {}): RunInfo[] {
    const f = parseOrThrow(RunFilterSchema, filter, { what: 'run filter' });
    const { where, args } = whereOf(f);
    let orderBy = SORT_COLUMNS[f.sortBy];
    const orderArgs: unknown[] = [];
    if (orderBy === undefined) {
      const match = /^(metrics|params)\.(.+)$/.exec(f.sortBy);
      if (match?.[2] === undefined || match[2].includes('"')) {
        throw new OptikError('ARGUMENT_INVALID', `Cannot sort runs by "${f.sortBy}".`, {
          received: f.sortBy,
          hint: `Use one of ${Object.keys(SORT_COLUMNS).join(', ')}, metrics.<name> or params.<name>.`,
        });
      }
      orderBy = `json_extract(r.${match[1]}, ?)`;
      orderArgs.push(`$."${match[2]}"`);
    }
    const numbersOnly = f.metrics === 'numbers';
    const sql = `${numbersOnly ? SELECT_RUN_LIGHT : SELECT_RUN}${where}
      ORDER BY ${orderBy} ${f.order === 'desc' ? 'DESC' : 'ASC'} NULLS LAST, r.id ASC${pageOf(f)}`;
    const now = Date.now();
    const rows = this.#db.prepare<unknown[], RunRow>(sql).all(...args, ...orderArgs);
    if (!numbersOnly) return rows.map((row) => toRunInfo(row, this.root, now));
    // json_each hands numbers over as SQLite numbers, so they arrive exact (no text round trip).
    const numbers = new Map<number, Record<string, number>>();
    const picked = this.#db
      .prepare<[string], { id: number; key: string; value: number }>(
        `SELECT r.id AS id, j.key AS key, j.value AS value FROM runs r, json_each(r.metrics) j
         WHERE r.id IN (SELECT value FROM json_each(?)) AND j.type IN ('integer', 'real')`,
      )
      .all(JSON.stringify(rows.map((row) => row.id)));
    for (const { id, key, value } of picked) {
      let entry = numbers.get(id);
      if (entry === undefined) {
        entry = {};
        numbers.set(id, entry);
      }
      entry[key] = value;
    }
    return rows.map((row) => ({ ...toRunInfo(row, this.root, now), metrics: numbers.get(row.id) ?? {} }));
  }

  /**
   * How many runs match a filter (its task, status, tags, study, name and search; order and paging aside): the total
   * beside one page of `listRuns`. One COUNT in SQLite.
   *
   * @example
   * ```ts
   * const page = store.listRuns({ search: 'baseline', sortBy: 'metrics.accuracy', order: 'desc', limit: 100, offset: 200 });
   * const total = store.countRuns({ search: 'baseline' }); // runs 201–300 of `total`
   * ```
   */
  countRuns(filter: RunFilter = {}): number {
    const f = parseOrThrow(RunFilterSchema, filter, { what: 'run filter' });
    const { where, args } = whereOf(f);
    return this.#db.prepare<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM runs r${where}`).get(...args)?.n ?? 0;
  }

  /**
   * A short text that changes whenever the store changes: a commit by another process or handle (SQLite's
   * `data_version`, exact even within one millisecond), or a run or study this handle created or changed. A
   * watcher (the dashboard, a script) compares it before reading everything again. Two small queries.
   */
  changeStamp(): string {
    const version = this.#db.pragma('data_version', { simple: true }) as number;
    const row = this.#db
      .prepare<[], { runs: number; last_id: number | null; run_update: number | null; study_update: number | null }>(
        `SELECT COUNT(*) AS runs, MAX(id) AS last_id, MAX(updated_at) AS run_update,
           (SELECT MAX(updated_at) FROM studies) AS study_update FROM runs`,
      )
      .get();
    return `${version}.${row?.runs ?? 0}.${row?.last_id ?? 0}.${row?.run_update ?? 0}.${row?.study_update ?? 0}`;
  }

  /** Side by side: parameters (flagged where they differ) and numeric metrics (with the best run) of some runs. */
  compareRuns(refs: readonly RunRef[]): RunComparison {
    if (refs.length === 0) {
      throw new OptikError('ARGUMENT_INVALID', 'compareRuns needs at least one run.', { received: refs });
    }
    return compareRecords(refs.map((ref) => this.getRun(ref)));
  }

  /**
   * The runs matching a filter as CSV: `id,name,task,status,study_id,trial_number,epochs,seconds,seed,backend,
   * git_commit,created_at,finished_at,tags`, then `params.<key>` and `metrics.<key>` columns.
   */
  exportCsv(filter: RunFilter = {}): string {
    return runsToCsv(this.listRuns(filter));
  }

  /**
   * Creates a study (one run per trial). With `loadIfExists` and a `name` already in the store, returns that
   * study set back to `running` in this process instead (how an interrupted study resumes).
   */
  createStudy(options: CreateStudyOptions): StudyRecord {
    return storeOp('creating a study', this.dbPath, () => {
      const input = parseOrThrow(CreateStudySchema, options, { what: 'study options' });
      const db = this.#db;
      const host = currentHost();
      const sampler = toPlainObject(input.sampler, 'sampler');
      const json = (value: Record<string, unknown> | null, what: string) =>
        value === null ? null : encodeJson(toPlainObject(value, what));
      const id = db
        .transaction(() => {
          const now = Date.now();
          const byName = db.prepare<[string], StudyRow>('SELECT * FROM studies WHERE name = ?');
          if (input.name !== undefined) {
            const existing = byName.get(input.name);
            if (existing !== undefined) {
              if (!input.loadIfExists) {
                throw new OptikError('ARGUMENT_INVALID', `A study named "${input.name}" already exists.`, {
                  received: input.name,
                  hint: 'Pass loadIfExists: true to resume it, or choose another name.',
                });
              }
              if (existing.direction !== input.direction || existing.objective !== input.objective) {
                throw new OptikError(
                  'ARGUMENT_INVALID',
                  `Study "${input.name}" ${existing.direction}s "${existing.objective}", not ${input.direction} "${input.objective}".`,
                  { hint: 'Use a new study name for a different objective.' },
                );
              }
              assertStudyFree(existing);
              db.prepare(
                "UPDATE studies SET status = 'running', pid = ?, host = ?, updated_at = ?, finished_at = NULL WHERE id = ?",
              ).run(process.pid, host, now, existing.id);
              return existing.id;
            }
          }
          const base = input.name ?? 'study';
          let name = base;
          for (let n = 2; byName.get(name) !== undefined; n++) name = `${base}${/\d$/.test(base) ? '-' : ''}${n}`;
          return Number(
            db
              .prepare(
                `INSERT INTO studies (name, task, direction, objective, sampler, pruner, space, config, status, pid, host,
                   created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)`,
              )
              .run(
                name,
                input.task,
                input.direction,
                input.objective,
                encodeJson(sampler),
                json(input.pruner, 'pruner'),
                json(input.space, 'space'),
                json(input.config, 'config'),
                process.pid,
                host,
                now,
                now,
              ).lastInsertRowid,
          );
        })
        .immediate();
      return this.getStudy(id);
    });
  }

  /** A study by id or name, with its trial counts by status. Its trials: `listRuns({ studyId })`. */
  getStudy(ref: number | string): StudyRecord {
    const row =
      typeof ref === 'number' || /^\d+$/.test(ref)
        ? this.#db.prepare<[number], StudyRow>('SELECT * FROM studies WHERE id = ?').get(Number(ref))
        : this.#db.prepare<[string], StudyRow>('SELECT * FROM studies WHERE name = ?').get(ref);
    if (row === undefined) {
      throw new OptikError('RUN_NOT_FOUND', `No study ${JSON.stringify(ref)} in the store at ${this.dbPath}.`, {
        hint: 'List the studies with store.listStudies().',
      });
    }
    return toStudyRecord(row, this.#trialCounts(row.id));
  }

  /** Every study, oldest first. */
  listStudies(): StudyRecord[] {
    return this.#db
      .prepare<[], StudyRow>('SELECT * FROM studies ORDER BY id')
      .all()
      .map((row) => toStudyRecord(row, this.#trialCounts(row.id)));
  }

  /** Sets a study's status (`running` records this pid and host) and/or its best run. */
  updateStudy(ref: number | string, update: UpdateStudyOptions): StudyRecord {
    return storeOp('updating a study', this.dbPath, () => {
      const input = parseOrThrow(UpdateStudySchema, update, { what: 'study update' });
      const { id } = this.getStudy(ref);
      const now = Date.now();
      const db = this.#db;
      db.transaction(() => {
        if (input.status !== undefined) {
          if (input.status === 'running') {
            const row = db.prepare<[number], StudyRow>('SELECT * FROM studies WHERE id = ?').get(id);
            if (row !== undefined) assertStudyFree(row);
            db.prepare(
              "UPDATE studies SET status = 'running', pid = ?, host = ?, finished_at = NULL, updated_at = ? WHERE id = ?",
            ).run(process.pid, currentHost(), now, id);
          } else {
            db.prepare('UPDATE studies SET status = ?, finished_at = ?, updated_at = ? WHERE id = ?').run(
              input.status,
              now,
              now,
              id,
            );
          }
        }
        if (input.bestRunId !== undefined) {
          db.prepare('UPDATE studies SET best_run_id = ?, updated_at = ? WHERE id = ?').run(input.bestRunId, now, id);
        }
      }).immediate();
      return this.getStudy(id);
    });
  }

  #trialCounts(studyId: number): Record<RunStatus | 'total', number> {
    const counts = Object.fromEntries([...RUN_STATUSES, 'total'].map((s) => [s, 0])) as Record<
      RunStatus | 'total',
      number
    >;
    const rows = this.#db
      .prepare<[number], { status: RunStatus; n: number }>(
        'SELECT status, COUNT(*) AS n FROM runs WHERE study_id = ? GROUP BY status',
      )
      .all(studyId);
    for (const { status, n } of rows) {
      counts[status] = n;
      counts.total += n;
    }
    return counts;
  }

  #commit(): string | null {
    if (this.#gitCommit === undefined) this.#gitCommit = readGitCommit(this.#config.gitCwd ?? process.cwd());
    return this.#gitCommit;
  }

  #resolve(ref: RunRef): RunRow {
    const byId = this.#db.prepare<[number], RunRow>(`${SELECT_RUN} WHERE r.id = ?`);
    const notFound = () =>
      new OptikError('RUN_NOT_FOUND', `No run ${JSON.stringify(ref)} in the store at ${this.dbPath}.`, {
        hint: 'List the runs with `optik runs ls`; refer to one by id, name or task/name.',
      });
    if (typeof ref === 'number') {
      const row = byId.get(ref);
      if (row === undefined) throw notFound();
      return row;
    }
    const text = ref.trim();
    if (/^\d+$/.test(text)) {
      const row = byId.get(Number(text));
      if (row !== undefined) return row;
    }
    const slash = text.lastIndexOf('/');
    if (slash > 0) {
      const row = this.#db
        .prepare<[string, string], RunRow>(`${SELECT_RUN} WHERE r.task = ? AND r.name = ?`)
        .get(text.slice(0, slash), text.slice(slash + 1));
      if (row === undefined) throw notFound();
      return row;
    }
    const rows = this.#db.prepare<[string], RunRow>(`${SELECT_RUN} WHERE r.name = ? ORDER BY r.id`).all(text);
    if (rows.length === 0) throw notFound();
    if (rows.length > 1) {
      throw new OptikError(
        'ARGUMENT_INVALID',
        `Run name "${text}" is ambiguous: ${rows.map((r) => `${r.task}/${r.name} (id ${r.id})`).join(', ')}.`,
        { hint: 'Refer to the run by id or as task/name.' },
      );
    }
    return rows[0] as RunRow;
  }
}

/**
 * The study owner lock: a study `running` in another live process (or on another host, which cannot be checked)
 * belongs to that process; taking it over would interleave two searches in the same trials. A dead owner (kill
 * -9, crash) holds nothing.
 */
function assertStudyFree(row: StudyRow): void {
  if (row.status !== 'running' || row.pid === null || (row.pid === process.pid && row.host === currentHost())) return;
  if (row.host === currentHost() && !isProcessAlive(row.pid)) return;
  throw new OptikError(
    'STUDY_BUSY',
    `Study "${row.name}" is being run by process ${row.pid} on ${row.host ?? 'an unknown host'}; a study has one owner at a time.`,
    {
      received: row.name,
      hint: 'Wait for that search to finish, or stop it (Ctrl-C, or kill the process) and run the same command again to resume the study; use another study name to run a separate search in parallel.',
    },
  );
}

/**
 * Opens (creating when needed) the run store under `root` (default `runs`), and sweeps runs left `running` by
 * dead processes of this host to `interrupted`. Every process or worker thread opens its own store.
 *
 * @example
 * ```ts
 * const store = openStore({ root: 'runs' });
 * const run = store.createRun({ task: 'classification', config, seed: 42, backend: 'wasm' });
 * guardRun(run);
 * run.logEpoch(1, { loss: 0.61, accuracy: 0.78, val_loss: 0.52, val_accuracy: 0.81 });
 * run.finish({ metrics: { accuracy: 0.91, precision: 0.91, recall: 0.91, f1: 0.91 } });
 * store.close();
 * ```
 */
export function openStore(options: StoreOptions = {}): Store {
  return new Store(options);
}
