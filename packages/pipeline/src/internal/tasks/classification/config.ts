import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { OptikError } from '@optik/core';
import type { LossSchema } from '@optik/train';
import { ClassifierSchema } from '@optik/zoo';
import { z } from 'zod';
import {
  commonFields,
  dataSplitFields,
  positiveInt,
  resolveCommon,
  seedSchema,
  TestSectionSchema,
  TrainSectionSchema,
} from '../../config/sections.js';

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
    /**
     * Two-class `directory` only: the class folder that is the positive class (label 1, the sigmoid's "yes"),
     * whose precision, recall and F1 the report leads with. Default: the second folder in name order.
     */
    positiveClass: z.string().min(1).optional(),
    ...dataSplitFields,
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
      for (const key of ['imageSize', 'colorMode', 'positiveClass'] as const) {
        if (data[key] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message:
              key === 'positiveClass'
                ? '`positiveClass` applies to a two-class `directory`; the built-in datasets have 10 classes'
                : `\`${key}\` applies to \`directory\` only; the built-in datasets are 28×28 grayscale`,
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

/** A classification pipeline config: what `optik train` reads for `task: classification`. */
export const ClassificationConfigSchema = z.strictObject({
  task: z.literal('classification'),
  ...commonFields,
  data: DataSectionSchema,
  model: ModelSectionSchema,
  train: TrainSectionSchema.prefault({}),
  test: TestSectionSchema.prefault({}),
});

type Parsed = z.output<typeof ClassificationConfigSchema>;

/**
 * The fully resolved classification config: every default filled in, `model.seed`/`train.seed` from `seed`,
 * `train.loss` from the head, `augment` as a resolved Compose config, a directory as an absolute path. This is what
 * `config.yaml` holds and what a resume rebuilds the run from.
 */
export type ClassificationConfig = Omit<Parsed, 'model' | 'train' | 'augment' | 'data'> & {
  readonly data: Parsed['data'];
  readonly model: Parsed['model'] & { seed: number };
  readonly train: Parsed['train'] & { seed: number; loss: z.output<typeof LossSchema> };
  readonly augment?: Record<string, unknown>;
};

/** Loss that fits a head. */
export function lossForHead(head: 'softmax' | 'sigmoid'): z.output<typeof LossSchema> {
  return head === 'sigmoid' ? 'binaryCrossentropy' : 'categoricalCrossentropy';
}

/** Cross-field rules and defaults of a parsed classification config. */
export function resolveClassification(parsed: unknown, meta: { file?: string }): ClassificationConfig {
  const config = parsed as Parsed;
  const fileMeta = meta.file === undefined ? {} : { file: meta.file };
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
  const common = resolveCommon({ ...config, train: { ...config.train, loss } }, meta.file);
  return { ...common, data, model } as ClassificationConfig;
}
