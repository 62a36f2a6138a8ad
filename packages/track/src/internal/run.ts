import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { OptikError, parseOrThrow } from '@optik/core';
import type Database from 'better-sqlite3';
import { stringify as toYaml } from 'yaml';
import type { z } from 'zod';
import { storeOp } from './errors.js';
import { appendFlushed, csvLine, writeFileAtomic } from './files.js';
import { currentHost, isProcessAlive } from './proc.js';
import {
  type EpochRecord,
  type EpochRow,
  type RunInfo,
  type RunPaths,
  type RunRecord,
  type RunRow,
  runPaths,
  toEpochRecord,
  toRunInfo,
} from './records.js';
import { FinishSchema, type RunStatus } from './schema.js';
import { checkEpochMetrics, type EpochMetrics, encodeJson, type Params, toPlainObject } from './values.js';

/** Options of {@link Run.finish}. */
export type FinishOptions = z.input<typeof FinishSchema>;

/** One row of `predictions.csv`. */
export interface PredictionRow {
  /** The true class (index or name). */
  readonly trueLabel: number | string;
  /** The predicted class (index or name). */
  readonly predictedLabel: number | string;
  /** One probability per class, in class order. */
  readonly probabilities: ArrayLike<number>;
  /** Optional sample id (file name or index), written as the first column when any row has one. */
  readonly id?: string | number;
}

/** Options of {@link Run.writePredictions}. */
export interface WritePredictionsOptions {
  /** Class names, in class order: the probability columns are `prob_<name>` (default `prob_<index>`). */
  readonly classNames?: readonly string[];
  /** File name inside the run folder (default `predictions.csv`), e.g. `predictions-val.csv`. */
  readonly fileName?: string;
}

/**
 * The text of a `predictions.csv`: `[id,]true,predicted,prob_<class>…`, one row per sample (what
 * {@link Run.writePredictions} writes; for predictions that belong to no single run, e.g. an ensemble's).
 */
export function predictionsCsv(
  rows: readonly PredictionRow[],
  options: Pick<WritePredictionsOptions, 'classNames'> = {},
): string {
  const classCount = options.classNames?.length ?? rows[0]?.probabilities.length ?? 0;
  rows.forEach((row, i) => {
    if (row.probabilities.length !== classCount) {
      throw new OptikError('ARGUMENT_INVALID', `Every prediction needs ${classCount} class probabilities.`, {
        path: `rows[${i}].probabilities`,
        received: row.probabilities.length,
      });
    }
  });
  const withId = rows.some((row) => row.id !== undefined);
  const classes = Array.from({ length: classCount }, (_, c) => `prob_${options.classNames?.[c] ?? c}`);
  const parts = [csvLine([...(withId ? ['id'] : []), 'true', 'predicted', ...classes])];
  for (const row of rows) {
    parts.push(
      csvLine([...(withId ? [row.id ?? ''] : []), row.trueLabel, row.predictedLabel, ...Array.from(row.probabilities)]),
    );
  }
  return parts.join('');
}

/**
 * Internal: what a run handle needs from its store. `db` is the store's better-sqlite3 connection, typed `object`
 * here because `Run`'s constructor is part of the published declarations, and those must not name better-sqlite3's
 * types (its `@types` package is a dev dependency, so a consumer with `skipLibCheck: false` could not resolve them).
 */
export interface RunContext {
  readonly db: object;
  readonly root: string;
  readonly selectRun: string;
}

/** Internal: the guards installed on a run, released when it ends. */
export const GUARDS: unique symbol = Symbol('optik.track.guards');

/**
 * A handle on one run, from `store.createRun` or `store.openRun`. Every call writes through to the database and
 * the run folder at once, so a crash loses nothing logged before it.
 *
 * @example
 * ```ts
 * const run = store.createRun({ task: 'classification', config });
 * await saveModel(model, run.paths.weightsLast); // @optik/train
 * run.logEpoch(1, { loss, accuracy }); // the first epoch
 * ```
 */
export class Run {
  /** Numeric id, unique in the store. */
  readonly id: number;
  /** Readable name, unique within the task (`exp`, `exp2`, …). */
  readonly name: string;
  /** Task folder name (`classification`, …). */
  readonly task: string;
  /** Absolute run folder. */
  readonly dir: string;
  /** The files of the run folder. */
  readonly paths: RunPaths;
  /** @internal */
  readonly [GUARDS] = new Set<() => void>();
  readonly #ctx: RunContext;
  readonly #db: Database.Database;
  #csvColumns: string[] | undefined;
  #lastMark = Date.now();

  /** @internal Use `store.createRun` or `store.openRun`. */
  constructor(ctx: RunContext, row: { id: number; name: string; task: string; dir: string }) {
    this.#ctx = ctx;
    this.#db = ctx.db as Database.Database;
    this.id = row.id;
    this.name = row.name;
    this.task = row.task;
    this.dir = row.dir;
    this.paths = runPaths(row.dir);
  }

  /** The current status, read from the store (another process or the sweep may have changed it). */
  get status(): RunStatus {
    return this.#row().status;
  }

  /** The run as listed (no config, no epochs). */
  info(): RunInfo {
    return toRunInfo(this.#row(), this.#ctx.root, Date.now());
  }

  /** The run in full: info, config and every epoch logged so far. */
  record(): RunRecord {
    const row = this.#row();
    return {
      ...toRunInfo(row, this.#ctx.root, Date.now()),
      config: JSON.parse(row.config) as Record<string, unknown>,
      epochs: this.epochs(),
    };
  }

  /** Every epoch logged so far, in order. */
  epochs(): EpochRecord[] {
    return this.#db
      .prepare<[number], EpochRow>(
        'SELECT epoch, metrics, logged_at, duration_ms FROM epochs WHERE run_id = ? ORDER BY epoch',
      )
      .all(this.id)
      .map(toEpochRecord);
  }

  /**
   * Records one epoch: a row in the store and a row appended (and flushed) to `results.csv`. Logging an epoch
   * at or below the last one logged (a resume from an earlier checkpoint) drops the later epochs first. Number
   * epochs as the console shows them: Optik's pipeline and {@link trackingCallback} log the first epoch as 1.
   */
  logEpoch(epoch: number, metrics: EpochMetrics, options: { durationMs?: number } = {}): void {
    storeOp(`logging epoch ${epoch} of run ${this.#label()}`, this.dir, () => {
      if (!Number.isInteger(epoch) || epoch < 0) {
        throw new OptikError('ARGUMENT_INVALID', 'The epoch must be an integer ≥ 0.', { received: epoch });
      }
      const values = checkEpochMetrics(metrics);
      const now = Date.now();
      const durationMs = options.durationMs ?? now - this.#lastMark;
      const db = this.#db;
      const rolledBack = db
        .transaction(() => {
          const row = db
            .prepare<[number], { status: RunStatus; last: number | null }>(
              'SELECT status, (SELECT MAX(epoch) FROM epochs WHERE run_id = runs.id) AS last FROM runs WHERE id = ?',
            )
            .get(this.id);
          if (row === undefined) throw this.#gone();
          if (row.status !== 'running') {
            throw new OptikError('STORE_ERROR', `Run ${this.#label()} is ${row.status}; it takes no more epochs.`, {
              hint: 'Call run.reopen() first to resume it.',
            });
          }
          const rollback = row.last !== null && epoch <= row.last;
          if (rollback) db.prepare('DELETE FROM epochs WHERE run_id = ? AND epoch >= ?').run(this.id, epoch);
          db.prepare('INSERT INTO epochs (run_id, epoch, metrics, logged_at, duration_ms) VALUES (?, ?, ?, ?, ?)').run(
            this.id,
            epoch,
            encodeJson(values),
            now,
            Math.round(durationMs),
          );
          db.prepare('UPDATE runs SET updated_at = ? WHERE id = ?').run(now, this.id);
          return rollback;
        })
        .immediate();
      this.#lastMark = now;
      const columns = this.#csvColumns;
      if (rolledBack || columns === undefined || Object.keys(values).some((key) => !columns.includes(key))) {
        this.#rewriteResults();
      } else {
        appendFlushed(this.paths.results, csvLine(columns.map((c) => (c === 'epoch' ? epoch : values[c]))));
      }
    });
  }

  /**
   * Ends the run: status (default `completed`), final metrics (also written to `metrics.json`), the error for a
   * failed run. Releases the guards installed by `guardRun`.
   */
  finish(options: FinishOptions = {}): RunInfo {
    return storeOp(`finishing run ${this.#label()}`, this.dir, () => {
      const input = parseOrThrow(FinishSchema, options, { what: 'finish options' });
      const metrics = input.metrics === undefined ? undefined : toPlainObject(input.metrics, 'final metrics');
      const ended = this.#end(input.status, input.error ?? null, metrics);
      if (!ended) {
        throw new OptikError('STORE_ERROR', `Run ${this.#label()} is ${this.status}, not running; it cannot finish.`, {
          hint: 'Call run.reopen() first to resume it.',
        });
      }
      if (metrics !== undefined) writeFileAtomic(this.paths.metrics, `${encodeJson(metrics, 2)}\n`);
      return this.info();
    });
  }

  /** Marks a running run interrupted (Ctrl-C, SIGTERM, exit before finish). False when it was not running. */
  markInterrupted(reason = 'interrupted'): boolean {
    return this.#end('interrupted', reason, undefined);
  }

  /** Marks a running run failed with the error's message. False when it was not running. */
  markFailed(error: unknown): boolean {
    return this.#end('failed', describeError(error), undefined);
  }

  /**
   * Sets the run back to `running` in this process (to resume it): records this pid and host, clears the final
   * metrics and rebuilds `results.csv` from the store. Refuses while another live process runs it.
   */
  reopen(): RunInfo {
    return storeOp(`reopening run ${this.#label()}`, this.dir, () => {
      const db = this.#db;
      const host = currentHost();
      const now = Date.now();
      db.transaction(() => {
        const row = this.#row();
        if (row.status === 'running' && row.pid !== process.pid) {
          const otherAlive = row.host !== host || (row.pid !== null && isProcessAlive(row.pid));
          if (otherAlive) {
            throw new OptikError(
              'STORE_ERROR',
              `Run ${this.#label()} is running in process ${row.pid} on ${row.host}; it cannot be resumed twice.`,
              { hint: 'Stop that process first, or wait for it to finish.' },
            );
          }
        }
        db.prepare(
          `UPDATE runs SET status = 'running', pid = ?, host = ?, segment_start = ?, updated_at = ?,
             finished_at = NULL, error = NULL, metrics = NULL,
             elapsed_ms = elapsed_ms + CASE WHEN status = 'running' THEN MAX(0, updated_at - segment_start) ELSE 0 END
           WHERE id = ?`,
        ).run(process.pid, host, now, now, this.id);
      }).immediate();
      this.#lastMark = now;
      rmSync(this.paths.metrics, { force: true });
      this.#rewriteResults();
      this.writeRunJson();
      return this.info();
    });
  }

  /** Replaces the run's tags. */
  setTags(tags: readonly string[]): void {
    storeOp(`tagging run ${this.#label()}`, this.dir, () => {
      const clean = [...new Set(tags.map((t) => t.trim()))];
      if (clean.some((t) => t === '' || t.length > 64)) {
        throw new OptikError('ARGUMENT_INVALID', 'Tags must be 1 to 64 characters.', { received: tags });
      }
      this.#db
        .prepare('UPDATE runs SET tags = ?, updated_at = ? WHERE id = ?')
        .run(JSON.stringify(clean), Date.now(), this.id);
      this.writeRunJson();
    });
  }

  /** Merges parameters into the run's flat parameter map (define-by-run tuners add them as they are drawn). */
  updateParams(params: Params): void {
    storeOp(`updating the params of run ${this.#label()}`, this.dir, () => {
      for (const [key, value] of Object.entries(params)) {
        const ok = value === null || ['string', 'number', 'boolean'].includes(typeof value);
        if (key === '' || !ok || (typeof value === 'number' && Number.isNaN(value))) {
          throw new OptikError('ARGUMENT_INVALID', 'Params are a flat map of name → string, number, boolean or null.', {
            path: `params.${key}`,
            received: value,
          });
        }
      }
      const db = this.#db;
      db.transaction(() => {
        const current = JSON.parse(this.#row().params) as Params;
        db.prepare('UPDATE runs SET params = ?, updated_at = ? WHERE id = ?').run(
          JSON.stringify({ ...current, ...params }),
          Date.now(),
          this.id,
        );
      }).immediate();
      this.writeRunJson();
    });
  }

  /**
   * Writes `predictions.csv` (or `fileName`): `[id,]true,predicted,prob_<class>…`, one row per sample.
   * Returns the file path.
   */
  writePredictions(rows: readonly PredictionRow[], options: WritePredictionsOptions = {}): string {
    return storeOp(`writing predictions of run ${this.#label()}`, this.dir, () => {
      const fileName = options.fileName ?? 'predictions.csv';
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*\.csv$/.test(fileName)) {
        throw new OptikError('ARGUMENT_INVALID', 'fileName must be a plain file name ending in .csv.', {
          received: fileName,
        });
      }
      const path = join(this.dir, fileName);
      writeFileAtomic(path, predictionsCsv(rows, options));
      return path;
    });
  }

  /** @internal Creates the folder layout and writes `config.yaml` and `run.json`. */
  initFolder(config: Record<string, unknown>): void {
    storeOp(`creating the folder of run ${this.#label()}`, this.dir, () => {
      for (const dir of [this.paths.plots, this.paths.weightsBest, this.paths.weightsLast]) {
        mkdirSync(dir, { recursive: true });
      }
      writeFileAtomic(this.paths.config, toYaml(config));
      this.writeRunJson();
    });
  }

  /** @internal Rewrites `run.json` from the store. */
  writeRunJson(): void {
    writeFileAtomic(this.paths.runJson, `${encodeJson(this.info(), 2)}\n`);
  }

  #end(status: Exclude<RunStatus, 'running'>, error: string | null, metrics: Record<string, unknown> | undefined) {
    return storeOp(`recording the end (${status}) of run ${this.#label()}`, this.dir, () => {
      const now = Date.now();
      const changed = this.#db
        .prepare(
          `UPDATE runs SET status = ?, error = ?, metrics = COALESCE(?, metrics), finished_at = ?, updated_at = ?,
             elapsed_ms = elapsed_ms + MAX(0, ? - segment_start)
           WHERE id = ? AND status = 'running'`,
        )
        .run(status, error, metrics === undefined ? null : encodeJson(metrics), now, now, now, this.id).changes;
      if (changed === 0) return false;
      for (const release of [...this[GUARDS]]) release();
      this.writeRunJson();
      return true;
    });
  }

  #rewriteResults(): void {
    const epochs = this.epochs();
    const columns = ['epoch'];
    for (const { metrics } of epochs)
      for (const key of Object.keys(metrics)) if (!columns.includes(key)) columns.push(key);
    const lines = [csvLine(columns)];
    for (const { epoch, metrics } of epochs) {
      lines.push(csvLine(columns.map((c) => (c === 'epoch' ? epoch : metrics[c]))));
    }
    writeFileAtomic(this.paths.results, lines.join(''));
    this.#csvColumns = columns;
  }

  #row(): RunRow {
    const row = this.#db.prepare<[number], RunRow>(`${this.#ctx.selectRun} WHERE r.id = ?`).get(this.id);
    if (row === undefined) throw this.#gone();
    return row;
  }

  #gone(): OptikError {
    return new OptikError('RUN_NOT_FOUND', `Run ${this.#label()} is no longer in the store.`);
  }

  #label(): string {
    return `${this.task}/${this.name} (id ${this.id})`;
  }
}

/** One line for an error: `OptikError [CODE]: message` or `TypeError: message`. */
export function describeError(error: unknown): string {
  if (error instanceof OptikError) return `OptikError [${error.code}]: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
