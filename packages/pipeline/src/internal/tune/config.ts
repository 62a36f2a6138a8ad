import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { assertSafeKeys, fromZodError, OptikError, splitKeyPath } from '@optik/core';
import { metricGoal } from '@optik/track';
import {
  createPruner,
  createSampler,
  type ParamSpec,
  type ParamValue,
  type PrunerConfig,
  type SamplerConfig,
  SearchSpace,
  type SearchSpaceInput,
} from '@optik/tune';
import { z } from 'zod';
import { mergeOverrides, type PipelineConfig, readConfigFile, resolvePipelineConfig } from '../config.js';
import { taskOf } from '../tasks/registry.js';

const positiveInt = z.number().int().min(1);
const overridesSchema = z.record(z.string().min(1), z.unknown());

/** A tuning study over a training pipeline config: what `optik tune` reads. */
export const TuneConfigSchema = z
  .strictObject({
    /** Study name, unique in the store; running the same name again resumes the study. */
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
        "must start with a letter or digit and hold only letters, digits, '.', '_' or '-'",
      )
      .max(80)
      .default('study'),
    /** The training pipeline config: a path (relative to this file) or the config itself. */
    base: z.union([z.string().min(1), overridesSchema]),
    /**
     * The search space (@optik/tune, list or map form). Parameter names are dotted key paths into the training
     * config: `model.dropout`, `train.optimizer.learningRate`, `model.layers.0.filters`, `data.batchSize`.
     */
    space: z.union([z.array(z.unknown()).min(1), overridesSchema]),
    /** `{ type: grid | random | tpe, … }` (default tpe). */
    sampler: overridesSchema.default({ type: 'tpe' }),
    /** `{ type: none | median | asha, … }`, fed with `objective` after every epoch (default none). */
    pruner: overridesSchema.default({ type: 'none' }),
    /** A per-epoch log key of the trainer: `val_accuracy`, `val_loss`, `val_f1`… */
    objective: z.string().min(1).optional(),
    /** Default: minimize for losses and errors, maximize otherwise. */
    direction: z.enum(['maximize', 'minimize']).optional(),
    /** Trials in the whole study (a resumed study counts the ones it has). Optional for a grid: all its points. */
    trials: positiveInt.optional(),
    /** Trials run at once, each in its own worker process (default: the number of cores). */
    parallel: positiveInt.optional(),
    /** No trial starts after this many minutes (running ones finish). */
    timeLimit: z.strictObject({ minutes: z.number().gt(0) }).optional(),
    /**
     * The whole command — search, retrains and their tests — should end within this many minutes: each retrain's
     * time limit becomes its share of what the search left (minus ~1 minute per test evaluation); it stops
     * before an epoch that would end later.
     */
    totalTimeLimit: z.strictObject({ minutes: z.number().gt(0) }).optional(),
    /**
     * Overrides of the base config for every trial (nested or dotted keys), e.g. a data subset; applied before the
     * parameters, which win.
     */
    trialOverrides: overridesSchema.default({}),
    /** Retrain the best parameters on train+validation and report the test metrics (default true). */
    retrain: z.boolean().default(true),
    /**
     * Overrides of the base config for the retrain, applied after the best parameters (they win: e.g. more epochs
     * and a time limit for the full data). The trial overrides do not apply to it.
     */
    retrainOverrides: overridesSchema.default({}),
    /**
     * Retrain the parameters of the `retrainTop` best completed trials (default 1). With 2 or more, the test
     * metrics of their ensemble — the mean of the members' class probabilities — are reported as well, and they
     * are the number to hand in. Member k (from 0) trains with seed + k, so that equal parameters still differ.
     */
    retrainTop: positiveInt.default(1),
  })
  .superRefine((config, ctx) => {
    const type = (config.sampler as { type?: unknown }).type;
    if (config.trials === undefined && type !== 'grid') {
      ctx.addIssue({
        code: 'custom',
        path: ['trials'],
        message: 'give the number of trials (only a grid sampler knows when it is done)',
      });
    }
  });

/** A tune config as written. */
export type TuneConfigInput = z.input<typeof TuneConfigSchema>;

/** A resolved tune config: base loaded, space/sampler/pruner validated, defaults filled in. */
export interface TuneConfig {
  readonly name: string;
  /** The base training config as written (not resolved), overrides from the command line applied. */
  readonly base: Record<string, unknown>;
  /** Absolute path of the base config file, when `base` was a path. */
  readonly baseFile: string | null;
  /** The tune config file, when read from one. */
  readonly file: string | null;
  /** The search space, defaults filled in (list form). */
  readonly space: ParamSpec[];
  readonly sampler: SamplerConfig;
  readonly pruner: PrunerConfig;
  readonly objective: string;
  readonly direction: 'maximize' | 'minimize';
  readonly trials: number | null;
  readonly parallel: number;
  readonly timeLimit: { readonly minutes: number } | null;
  readonly trialOverrides: Record<string, unknown>;
  readonly totalTimeLimit: { readonly minutes: number } | null;
  readonly retrain: boolean;
  readonly retrainOverrides: Record<string, unknown>;
  readonly retrainTop: number;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Turns dotted keys into nested objects, at any depth: `{ 'data.limit': { train: 64 } }` → `{ data: { limit: {
 * train: 64 } } }`. Later keys merge into earlier ones. A segment `__proto__`, `constructor` or `prototype` is
 * refused (`CONFIG_UNSAFE_KEY`): written through, it would reach `Object.prototype`.
 */
export function expandDotted(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(value)) {
    const parts = splitKeyPath(key);
    let node = out;
    for (const part of parts.slice(0, -1)) {
      if (!isPlainObject(node[part])) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    const last = parts.at(-1) as string;
    const inner = isPlainObject(raw) ? expandDotted(raw) : raw;
    // Merge two spellings of one object (`data: {…}` and `data.limit: …`); a `null` (remove) is kept as is.
    node[last] = isPlainObject(inner) && isPlainObject(node[last]) ? deepAssign(node[last], inner) : inner;
  }
  return out;
}

function deepAssign(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(source)) {
    target[key] = isPlainObject(value) && isPlainObject(target[key]) ? deepAssign(target[key], value) : value;
  }
  return target;
}

/** The training config (as written) with `params` set at their dotted key paths. */
export function applyParams(base: Record<string, unknown>, params: Readonly<Record<string, ParamValue>>) {
  return mergeOverrides(base, expandDotted({ ...params })) as Record<string, unknown>;
}

/**
 * The resolved training config of a trial: base ⊕ trial overrides ⊕ parameters, without a run name (the store
 * names trial runs `<study>-trial<n>`).
 */
export function trialPipelineConfig(tune: TuneConfig, params: Readonly<Record<string, ParamValue>>): PipelineConfig {
  const raw = applyParams(
    mergeOverrides(tune.base, expandDotted(tune.trialOverrides)) as Record<string, unknown>,
    params,
  );
  delete raw.name;
  return resolvePipelineConfig(raw, fileMeta(tune));
}

/**
 * The resolved config of the final fit: base ⊕ the best parameters ⊕ retrain overrides (last, so that they win:
 * e.g. more epochs on the full data than a trial had), trained on train + validation, named `<study>-best`.
 * `rank` k ≥ 1 is the k-th runner-up of `retrainTop`: named `<study>-best<k+1>`, model and training seeded with
 * seed + k (the data split keeps the seed, so every member is tested on the same images).
 */
export function retrainPipelineConfig(
  tune: TuneConfig,
  params: Readonly<Record<string, ParamValue>>,
  rank = 0,
): PipelineConfig {
  const raw = mergeOverrides(applyParams(tune.base, params), expandDotted(tune.retrainOverrides));
  const merged = mergeOverrides(raw, {
    name: rank === 0 ? `${tune.name}-best` : `${tune.name}-best${rank + 1}`,
    data: { mergeValidation: true },
  });
  const config = resolvePipelineConfig(merged, fileMeta(tune));
  if (rank === 0) return config;
  return {
    ...config,
    model: { ...config.model, seed: config.model.seed + rank },
    train: { ...config.train, seed: config.train.seed + rank },
  } as PipelineConfig;
}

function fileMeta(tune: TuneConfig): { file?: string } {
  const file = tune.baseFile ?? tune.file;
  return file === null ? {} : { file };
}

const TUNE_KEYS = new Set(Object.keys(TuneConfigSchema.shape));

/**
 * Reads a tune config (YAML/JSON). `overrides` (a nested object, e.g. from the CLI's `key=value`) whose first key
 * is a tune-config key (`trials`, `parallel`, `sampler`, …) change the tune config; any other key
 * (`train.epochs`, `data.limit.train`) changes the base training config, for the trials and the retrain.
 */
export function loadTuneConfig(path: string, overrides: Record<string, unknown> = {}): TuneConfig {
  const raw = readConfigFile(path);
  const tuneOverrides: Record<string, unknown> = {};
  const baseOverrides: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(expandDotted(overrides))) {
    if (TUNE_KEYS.has(key)) tuneOverrides[key] = value;
    else baseOverrides[key] = value;
  }
  return resolveTuneConfig(mergeOverrides(raw, tuneOverrides), { file: path, baseOverrides });
}

/**
 * Validates a tune config object and resolves it: loads `base` (a path is read relative to `file`'s folder),
 * checks the search space, sampler and pruner, and that every parameter name is a valid key path of the base
 * config. Errors are coded {@link OptikError}s naming the key path (`space[1].high`, `sampler.type`).
 */
export function resolveTuneConfig(
  input: unknown,
  options: { file?: string; baseOverrides?: Record<string, unknown> } = {},
): TuneConfig {
  const file = options.file === undefined ? null : resolve(options.file);
  const meta = file === null ? {} : { file };
  assertSafeKeys(input, '', meta);
  const parsed = TuneConfigSchema.safeParse(input);
  if (!parsed.success)
    throw fromZodError(parsed.error, { input, schema: TuneConfigSchema, what: 'tune config', ...meta });
  const c = parsed.data;

  let base: Record<string, unknown>;
  let baseFile: string | null = null;
  if (typeof c.base === 'string') {
    baseFile = resolve(file === null ? process.cwd() : dirname(file), c.base);
    base = readConfigFile(baseFile) as Record<string, unknown>;
    assertSafeKeys(base, '', { file: baseFile });
  } else {
    base = c.base;
  }
  base = mergeOverrides(base, options.baseOverrides ?? {}) as Record<string, unknown>;

  const withMeta = (error: unknown, prefix: string): never => {
    if (error instanceof OptikError) {
      const path = error.details.path;
      throw new OptikError(
        error.code,
        error.message,
        {
          ...error.details,
          ...(path === undefined || path.startsWith(prefix) ? {} : { path: `${prefix}.${path}` }),
          ...meta,
        },
        { cause: error },
      );
    }
    throw error;
  };
  let space: SearchSpace;
  try {
    space = new SearchSpace(c.space as SearchSpaceInput, { prefix: 'space', ...meta });
  } catch (error) {
    return withMeta(error, 'space');
  }
  try {
    createSampler(c.sampler as SamplerConfig);
  } catch (error) {
    withMeta(error, 'sampler');
  }
  try {
    createPruner(c.pruner as PrunerConfig);
  } catch (error) {
    withMeta(error, 'pruner');
  }

  // The task's own objective (classification: val_accuracy; localization: val_iou) unless the config names one.
  const objective = c.objective ?? taskOf(String(base.task ?? 'classification')).defaultObjective;
  const tune: TuneConfig = {
    name: c.name,
    base,
    baseFile,
    file,
    space: space.toConfig(),
    sampler: c.sampler as SamplerConfig,
    pruner: c.pruner as PrunerConfig,
    objective,
    direction: c.direction ?? (metricGoal(objective) === 'min' ? 'minimize' : 'maximize'),
    trials: c.trials ?? null,
    parallel: c.parallel ?? os.availableParallelism(),
    timeLimit: c.timeLimit ?? null,
    trialOverrides: c.trialOverrides,
    totalTimeLimit: c.totalTimeLimit ?? null,
    retrain: c.retrain,
    retrainOverrides: c.retrainOverrides,
    retrainTop: c.retrainTop,
  };
  checkParamsFit(tune);
  return tune;
}

/** A typo in a parameter name would fail every trial: try one point of the space on the base config first. */
function checkParamsFit(tune: TuneConfig): void {
  const probe: Record<string, ParamValue> = {};
  for (const spec of tune.space) {
    if (spec.type === 'categorical') probe[spec.name] = spec.choices[0] as ParamValue;
    else probe[spec.name] = spec.grid?.[0] ?? spec.low;
  }
  const check = <T>(what: string, build: () => T): T => {
    try {
      return build();
    } catch (error) {
      if (!(error instanceof OptikError)) throw error;
      throw new OptikError(
        error.code,
        `${what} is not a valid training config with the search space's parameters applied (${Object.keys(probe).join(', ')}): ${error.message}`,
        {
          ...error.details,
          ...(tune.file === null ? {} : { file: tune.file }),
          hint: 'Parameter names are dotted key paths into the base config (model.dropout, train.optimizer.learningRate, model.layers.0.filters).',
        },
        { cause: error },
      );
    }
  };
  check('The trial config (base + trialOverrides)', () => trialPipelineConfig(tune, probe));
  if (!tune.retrain) return;
  const retrain = check('The retrain config (base + retrainOverrides)', () => retrainPipelineConfig(tune, probe));
  if (tune.retrainTop > 1 && !retrain.callbacks.checkpoint.enabled) {
    throw new OptikError(
      'CONFIG_INVALID',
      `retrainTop: ${tune.retrainTop} tests the ensemble of the retrained models from their saved weights, but the retrain config has callbacks.checkpoint.enabled: false.`,
      {
        path: 'retrainTop',
        received: tune.retrainTop,
        ...(tune.file === null ? {} : { file: tune.file }),
        hint: 'Enable the checkpoint for the retrain (retrainOverrides: { callbacks.checkpoint.enabled: true }) or set retrainTop: 1.',
      },
    );
  }
}
