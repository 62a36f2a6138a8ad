import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fromConfig as augmentFromConfig, Compose } from '@optik/augment';
import { BACKEND_NAMES } from '@optik/backend';
import { fromZodError, OptikError } from '@optik/core';
import {
  EarlyStoppingSchema,
  LearningRateScheduleSchema,
  LossSchema,
  ModelCheckpointSchema,
  ReduceLROnPlateauSchema,
  TrainerSchema,
} from '@optik/train';
import { ClassifierSchema } from '@optik/zoo';
import { parseDocument } from 'yaml';
import { z } from 'zod';

const positiveInt = z.number().int().min(1);
const seedSchema = z.number().int().min(0).max(4294967295);

/** Where the images come from, how they are split, batched and (for quick runs) subsampled. */
export const DataSectionSchema = z
  .strictObject({
    /** A built-in dataset (downloaded or found on the system by @optik/data). */
    dataset: z.enum(['fashion-mnist', 'mnist']).optional(),
    /** A class-per-folder tree (optionally with `train/`, `val/`, `test/` split folders). */
    directory: z.string().min(1).optional(),
    /** `[height, width]` the images of `directory` are resized to (default [64, 64]). */
    imageSize: z.tuple([positiveInt, positiveInt]).optional(),
    /** Colour mode of `directory` images (default rgb). */
    colorMode: z.enum(['grayscale', 'rgb', 'rgba']).optional(),
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
  })
  .superRefine((data, ctx) => {
    if ((data.dataset === undefined) === (data.directory === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: data.dataset === undefined ? ['dataset'] : ['directory'],
        message: 'give exactly one of `dataset` (fashion-mnist, mnist) or `directory` (a class-per-folder tree)',
      });
    }
    if (data.dataset !== undefined) {
      for (const key of ['imageSize', 'colorMode'] as const) {
        if (data[key] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `\`${key}\` applies to \`directory\` only; the built-in datasets are 28×28 grayscale`,
          });
        }
      }
    }
  });

const { inputShape: _inputShape, numClasses: _numClasses, ...classifierShape } = ClassifierSchema.shape;

/** The model: zoo Classifier options without `inputShape`/`numClasses` (those come from the data). */
export const ModelSectionSchema = z
  .strictObject({ ...classifierShape, seed: seedSchema.optional() })
  .superRefine((model, ctx) => {
    // Re-run the classifier's own cross-field rules (preset xor layers, dropout with a preset) with placeholder
    // data dimensions; the head/numClasses rule is checked again when the real class count is known.
    const probe = ClassifierSchema.safeParse({
      ...model,
      inputShape: [32, 32, 3],
      numClasses: model.head === 'sigmoid' ? 2 : 10,
    });
    if (probe.success) return;
    for (const issue of probe.error.issues) {
      if (issue.code === 'custom') ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    }
  });

/** The trainer: @optik/train Trainer options; `seed` defaults to the config's seed, `loss` to the head's loss. */
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
 * How the test split is evaluated. `tta` (test-time augmentation): the model also sees each test image mirrored
 * (`hflip`: left-right, `vflip`: top-bottom) and the class probabilities of all views are averaged — only for
 * data where a mirrored image is still the same class (clothes: `hflip`; digits: none).
 */
export const TestSectionSchema = z.strictObject({
  tta: z
    .array(z.enum(['hflip', 'vflip']))
    .default([])
    .refine((views) => new Set(views).size === views.length, 'lists a view twice'),
});

/** A classification pipeline config: what `optik train` reads. */
export const PipelineConfigSchema = z.strictObject({
  task: z.literal('classification'),
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
  data: DataSectionSchema,
  /** An @optik/augment pipeline (a Compose or a single transform), applied to training batches only. */
  augment: z.record(z.string(), z.unknown()).optional(),
  model: ModelSectionSchema,
  train: TrainSectionSchema.prefault({}),
  callbacks: CallbacksSectionSchema.prefault({}),
  test: TestSectionSchema.prefault({}),
  output: z.strictObject({ root: z.string().min(1).default('runs') }).prefault({}),
});

/**
 * A pipeline config as written (defaults optional).
 */
export type PipelineConfigInput = z.input<typeof PipelineConfigSchema>;

type Parsed = z.output<typeof PipelineConfigSchema>;

/**
 * The fully resolved pipeline config: every default filled in, `model.seed`/`train.seed` from `seed`, `train.loss`
 * from the head, `augment` as a resolved Compose config, a directory as an absolute path. This is what
 * `config.yaml` holds and what a resume rebuilds the run from.
 */
export type PipelineConfig = Omit<Parsed, 'model' | 'train' | 'augment' | 'data'> & {
  readonly data: Parsed['data'];
  readonly model: Parsed['model'] & { seed: number };
  readonly train: Parsed['train'] & { seed: number; loss: z.output<typeof LossSchema> };
  readonly augment?: Record<string, unknown>;
};

/** Loss that fits a head, and the label mode that fits a loss. */
export function lossForHead(head: 'softmax' | 'sigmoid'): z.output<typeof LossSchema> {
  return head === 'sigmoid' ? 'binaryCrossentropy' : 'categoricalCrossentropy';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Merges `override` into `base` (neither is modified): objects key by key, arrays replaced, except that an object
 * with numeric keys patches array elements (`model.layers.0.filters=64`); `null` removes a key
 * (`data.dataset=null data.directory=pets`).
 */
export function mergeOverrides(base: unknown, override: unknown): unknown {
  if (isPlainObject(override) && Array.isArray(base)) {
    const keys = Object.keys(override);
    if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
      const out = [...base];
      for (const key of keys) out[Number(key)] = mergeOverrides(out[Number(key)], override[key]);
      return out;
    }
  }
  if (!isPlainObject(override) || !isPlainObject(base)) return structuredClone(override);
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete out[key];
    else out[key] = mergeOverrides(base[key], value);
  }
  return out;
}

/** Reads a YAML or JSON file into plain data; a syntax error is `CONFIG_PARSE` naming the file and line. */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new OptikError(
      'DATA_NOT_FOUND',
      'Cannot read the config file.',
      { file: path, hint: 'Check the path; configs are YAML or JSON files.' },
      { cause },
    );
  }
  const doc = parseDocument(text);
  const first = doc.errors[0];
  if (first !== undefined) {
    const where = first.linePos?.[0];
    const message = first.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? 'syntax error';
    throw new OptikError(
      'CONFIG_PARSE',
      `The config is not valid YAML/JSON${where === undefined ? '' : ` (line ${where.line}, column ${where.col})`}: ${message}.`,
      { file: path, hint: 'Fix the syntax at that line; YAML indentation must be consistent.' },
      { cause: first },
    );
  }
  const data: unknown = doc.toJS();
  if (!isPlainObject(data)) {
    throw new OptikError('CONFIG_INVALID', 'A pipeline config must be a mapping (key: value pairs).', {
      file: path,
      received: data,
      hint: 'Start from examples/mnist/train.yaml.',
    });
  }
  return data;
}

/**
 * Validates a pipeline config object (overrides already applied) and resolves every default. Errors are coded
 * one-paragraph {@link OptikError}s naming the key path (`model.layers[0].kernelSize`).
 */
export function resolvePipelineConfig(input: unknown, options: { file?: string } = {}): PipelineConfig {
  const fileMeta = options.file === undefined ? {} : { file: options.file };
  const parsed = PipelineConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw fromZodError(parsed.error, { input, schema: PipelineConfigSchema, what: 'pipeline config', ...fileMeta });
  }
  const config = parsed.data;

  const data = { ...config.data };
  if (data.directory !== undefined) {
    const directory = resolve(data.directory);
    if (!existsSync(directory) || !statSync(directory).isDirectory()) {
      throw new OptikError('DATA_NOT_FOUND', `data.directory: the dataset folder ${directory} does not exist.`, {
        path: 'data.directory',
        received: data.directory,
        ...fileMeta,
        hint: 'Relative paths are read from the current directory; point it at a folder with one sub-folder per class.',
      });
    }
    data.directory = directory;
    data.imageSize ??= [64, 64];
    data.colorMode ??= 'rgb';
  }

  let augment: Record<string, unknown> | undefined;
  if (config.augment !== undefined) augment = resolveAugment(config.augment, config.seed, options.file);

  const model = { ...config.model, seed: config.model.seed ?? config.seed };
  const loss = config.train.loss ?? lossForHead(model.head);
  if (model.head === 'sigmoid' && loss !== 'binaryCrossentropy') {
    throw new OptikError('CONFIG_INVALID', 'train.loss: a sigmoid head needs binaryCrossentropy.', {
      path: 'train.loss',
      received: loss,
      ...fileMeta,
      hint: 'Leave train.loss out to get the loss that fits the head.',
    });
  }
  if (model.head === 'softmax' && loss === 'binaryCrossentropy') {
    throw new OptikError('CONFIG_INVALID', 'train.loss: binaryCrossentropy needs model.head: sigmoid.', {
      path: 'train.loss',
      received: loss,
      ...fileMeta,
      hint: 'Use categoricalCrossentropy with a softmax head, or leave train.loss out.',
    });
  }
  const train = { ...config.train, loss, seed: config.train.seed ?? config.seed };
  const { augment: _augment, ...rest } = config;
  return { ...rest, data, model, train, ...(augment === undefined ? {} : { augment }) };
}

/** Builds the augmentation pipeline (a single transform is wrapped in a Compose) and returns its full config. */
function resolveAugment(
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

/**
 * Reads a pipeline config file (YAML or JSON), applies `key=value` overrides (a nested object, e.g. from the
 * CLI's `train.epochs=3`) and returns the fully resolved config.
 */
export function loadPipelineConfig(path: string, overrides: Record<string, unknown> = {}): PipelineConfig {
  const raw = readConfigFile(path);
  return resolvePipelineConfig(mergeOverrides(raw, overrides), { file: path });
}
