import { z } from 'zod';

/**
 * Every status a run can have. `pruned` is set by the tuner when a trial is stopped early.
 *
 * @example
 * ```ts
 * if (!RUN_STATUSES.includes(value)) throw new Error(`unknown status ${value}`);
 * ```
 */
export const RUN_STATUSES = ['running', 'completed', 'failed', 'interrupted', 'pruned'] as const;
/** A run's status. */
export type RunStatus = (typeof RUN_STATUSES)[number];

/**
 * Statuses a study can have.
 *
 * @example
 * ```ts
 * store.updateStudy(study.id, { status: STUDY_STATUSES[1] }); // 'completed'
 * ```
 */
export const STUDY_STATUSES = ['running', 'completed', 'failed', 'interrupted'] as const;
/** A study's status. */
export type StudyStatus = (typeof STUDY_STATUSES)[number];

const SLUG = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const slug = (what: string) =>
  z
    .string()
    .max(100)
    .regex(SLUG, `${what} must start with a letter or digit and hold only letters, digits, '.', '_' or '-'`);

export const StoreOptionsSchema = z
  .object({
    /** Folder that holds the run folders `<task>/<name>/` and, by default, the database. */
    root: z.string().min(1).default('runs'),
    /** SQLite file, relative to `root` unless absolute. */
    dbFile: z.string().min(1).default('optik.db'),
    /** How long a writer waits for another process's lock before failing, in milliseconds. */
    busyTimeoutMs: z.number().int().min(0).max(600_000).default(30_000),
    /** Mark runs and studies left `running` by dead processes on this host as interrupted when opening. */
    sweep: z.boolean().default(true),
    /**
     * Create the folder and the database when they are missing (default). With `false`, a missing store is
     * `STORE_NOT_FOUND` (a typo in `--root` must not start a new, empty store).
     */
    create: z.boolean().default(true),
    /**
     * Open for reading only: nothing is created, migrated or swept, and writes fail with `STORE_READONLY`. Works
     * on a full or read-only disk (the committed contents are read into memory when SQLite cannot open in place).
     */
    readOnly: z.boolean().default(false),
    /** Record the git commit of this folder (`git rev-parse HEAD`); null when not a repository. */
    gitCwd: z.string().min(1).nullable().default(null),
  })
  .strict();

export const CreateRunSchema = z
  .object({
    task: slug('task'),
    name: slug('name').optional(),
    config: z.record(z.string(), z.unknown()).default({}),
    params: z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
    seed: z.number().int().nullable().default(null),
    backend: z.string().min(1).nullable().default(null),
    tags: z.array(z.string().trim().min(1).max(64)).default([]),
    studyId: z.number().int().positive().optional(),
    trialNumber: z.number().int().min(0).optional(),
    gitCommit: z.string().min(1).nullable().optional(),
  })
  .strict();

export const FinishSchema = z
  .object({
    status: z.enum(['completed', 'failed', 'interrupted', 'pruned']).default('completed'),
    metrics: z.record(z.string().min(1), z.unknown()).optional(),
    error: z.string().optional(),
  })
  .strict();

export const RunFilterSchema = z
  .object({
    task: z.string().min(1).optional(),
    status: z.union([z.enum(RUN_STATUSES), z.array(z.enum(RUN_STATUSES)).min(1)]).optional(),
    tags: z.array(z.string().min(1)).optional(),
    studyId: z.number().int().positive().optional(),
    name: z.string().min(1).optional(),
    sortBy: z.string().min(1).default('id'),
    order: z.enum(['asc', 'desc']).default('asc'),
    limit: z.number().int().min(1).optional(),
    /** Skip this many runs of the ordered list first (a page: `offset: 200, limit: 100`). */
    offset: z.number().int().min(0).optional(),
    /** A case-insensitive piece of text that the run's name, task or one of its tags contains. */
    search: z.string().min(1).max(200).optional(),
    /**
     * `all` (default): each run's final metrics as stored. `numbers`: only its top-level numbers (accuracy, f1 …),
     * picked out inside SQLite: a listing of thousands of runs then skips their per-class tables and matrices.
     */
    metrics: z.enum(['all', 'numbers']).default('all'),
  })
  .strict();

export const CreateStudySchema = z
  .object({
    name: slug('study name').optional(),
    task: slug('task').nullable().default(null),
    direction: z.enum(['minimize', 'maximize']),
    objective: z.string().min(1),
    sampler: z.record(z.string(), z.unknown()),
    pruner: z.record(z.string(), z.unknown()).nullable().default(null),
    space: z.record(z.string(), z.unknown()).nullable().default(null),
    config: z.record(z.string(), z.unknown()).nullable().default(null),
    loadIfExists: z.boolean().default(false),
  })
  .strict();

export const UpdateStudySchema = z
  .object({
    status: z.enum(STUDY_STATUSES).optional(),
    bestRunId: z.number().int().positive().nullable().optional(),
  })
  .strict();
