import { fromConfig as augmentFromConfig, Compose } from '@optik/augment';
import { BACKEND_NAMES } from '@optik/backend';
import { OptikError } from '@optik/core';
import {
  EarlyStoppingSchema,
  LearningRateScheduleSchema,
  LossSchema,
  ModelCheckpointSchema,
  ReduceLROnPlateauSchema,
  TrainerSchema,
} from '@optik/train';
import { z } from 'zod';

// The config sections every task shares. A task's schema (tasks/<task>/config.ts) is
// `z.strictObject({ task: z.literal(kind), ...commonFields, data, model, train, … })`.

export const positiveInt = z.number().int().min(1);
export const seedSchema = z.number().int().min(0).max(4294967295);

/** Where the data comes from is per task; how it is split, batched and subsampled is shared. */
export const dataSplitFields = {
  /** Fraction of the training images held out (stratified) for validation. */
  validationSplit: z.number().gt(0).max(0.5).default(0.1),
  /** Fraction held out as the test set where the source has none (`mnist`, a folder without `test/`). */
  testSplit: z.number().min(0.05).max(0.5).default(0.2),
  batchSize: positiveInt.default(64),
  /**
   * Train on train + validation: the final fit after a search (`optik tune` sets it for the retrain). The
   * validation metrics of such a run come from images it trained on, so they are optimistic; the test split stays
   * untouched and is what counts. `limit` applies to each split before they are merged.
   */
  mergeValidation: z.boolean().optional(),
  /** Stratified subsets for quick runs: at most this many images per split. */
  limit: z
    .strictObject({ train: positiveInt.optional(), validation: positiveInt.optional(), test: positiveInt.optional() })
    .optional(),
  /** Where downloads and decoded images are cached (default `OPTIK_CACHE_DIR` or `~/.cache/optik`). */
  cacheDir: z.string().min(1).optional(),
  /**
   * Images the loader leaves out (unreadable files; for localization also images without one box): `allow` trains
   * without them (counted, printed, listed in the run's skipped.csv), `error` refuses to train.
   */
  skipped: z.enum(['allow', 'error']).default('allow'),
};

/** The trainer: @optik/train Trainer options; `seed` defaults to the config's seed. */
export const TrainSectionSchema = TrainerSchema.extend({
  epochs: positiveInt.default(10),
  loss: LossSchema.optional(),
  seed: seedSchema.optional(),
});

const CheckpointSectionSchema = ModelCheckpointSchema.omit({ dir: true }).extend({
  /** Write `weights/best` and `weights/last` each epoch (needed to resume). */
  enabled: z.boolean().default(true),
});

/** Callbacks, by name. The checkpoint writes into the run's `weights/` folder. */
export const CallbacksSectionSchema = z
  .strictObject({
    earlyStopping: EarlyStoppingSchema.extend({ restoreBestWeights: z.boolean().default(true) }).optional(),
    reduceLrOnPlateau: ReduceLROnPlateauSchema.optional(),
    schedule: LearningRateScheduleSchema.optional(),
    checkpoint: CheckpointSectionSchema.prefault({}),
    terminateOnNan: z.boolean().default(true),
    /**
     * A wall-clock budget: training stops before an epoch that would end more than `minutes` after the command
     * started (judged by the last epoch's duration). The test evaluation runs after it.
     */
    timeLimit: z.strictObject({ minutes: z.number().gt(0) }).optional(),
  })
  .superRefine((callbacks, ctx) => {
    if (callbacks.reduceLrOnPlateau !== undefined && callbacks.schedule !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['schedule'],
        message: 'use either `reduceLrOnPlateau` or `schedule`, not both: each one sets the learning rate',
      });
    }
  });

/**
 * How the test split is evaluated (classification, detection). `tta` (test-time augmentation): the model also sees
 * each test image mirrored (`hflip`: left-right, `vflip`: top-bottom) and the outputs of all views are averaged
 * (class probabilities; a detector's outputs mapped back onto the original points) — only for data where a
 * mirrored image still shows the same classes (clothes, cut-outs: `hflip`; digits: none).
 */
export const TestSectionSchema = z.strictObject({
  tta: z
    .array(z.enum(['hflip', 'vflip']))
    .default([])
    .refine((views) => new Set(views).size === views.length, 'lists a view twice'),
});

/** The top-level keys every task's config has besides `task`, `data`, `model` and `train`. */
export const commonFields = {
  /** Run name (unique per task; `exp`, `exp2`, … when omitted). */
  name: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
      "must start with a letter or digit and hold only letters, digits, '.', '_' or '-'",
    )
    .optional(),
  seed: seedSchema.default(0),
  /** `auto` picks the best available (see `optik doctor`); `--backend` and `OPTIK_BACKEND` take precedence. */
  backend: z.enum(['auto', ...BACKEND_NAMES]).default('auto'),
  /** An @optik/augment pipeline (a Compose or a single transform), applied to training batches only. */
  augment: z.record(z.string(), z.unknown()).optional(),
  callbacks: CallbacksSectionSchema.prefault({}),
  output: z.strictObject({ root: z.string().min(1).default('runs') }).prefault({}),
};

/** Builds the augmentation pipeline (a single transform is wrapped in a Compose) and returns its full config. */
export function resolveAugment(
  config: Record<string, unknown>,
  seed: number,
  file: string | undefined,
): Record<string, unknown> {
  try {
    const transform = augmentFromConfig(config, 'augment');
    const pipeline = transform instanceof Compose ? transform : new Compose([transform], { seed });
    return pipeline.toConfig() as unknown as Record<string, unknown>;
  } catch (error) {
    if (error instanceof OptikError && file !== undefined && error.details.file === undefined) {
      throw new OptikError(error.code, error.message, { ...error.details, file }, { cause: error });
    }
    throw error;
  }
}

/** The shared part of resolving: `augment` resolved, `train.seed` from `seed`. */
export function resolveCommon<
  T extends { seed: number; augment?: Record<string, unknown> | undefined; train: { seed?: number | undefined } },
>(
  config: T,
  file: string | undefined,
): Omit<T, 'augment'> & { augment?: Record<string, unknown>; train: T['train'] & { seed: number } } {
  const { augment: raw, ...rest } = config;
  const augment = raw === undefined ? undefined : resolveAugment(raw, config.seed, file);
  const train = { ...config.train, seed: config.train.seed ?? config.seed };
  return { ...rest, train, ...(augment === undefined ? {} : { augment }) };
}
