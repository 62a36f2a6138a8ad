import { SourceConfigSchema } from '@optik/data';
import { LocalizerSchema } from '@optik/zoo';
import { z } from 'zod';
import {
  commonFields,
  dataSplitFields,
  positiveInt,
  resolveCommon,
  seedSchema,
  TrainSectionSchema,
} from '../../config/sections.js';
import { resolveSourcePath } from '../shared/source.js';

/** The built-in localization sets: handwritten digits or Fashion-MNIST items on real photo backgrounds, made from a seed. */
export const LOCALIZATION_DATASETS = ['mnist-localization', 'fashion-mnist-localization'] as const;

/** Where the images and their boxes come from, and what to do with images that do not hold exactly one box. */
export const LocalizationDataSchema = z
  .strictObject({
    /** A built-in localization dataset. */
    dataset: z.enum(LOCALIZATION_DATASETS).optional(),
    /** Annotated images: `{ format: voc | coco | yolo | csv, path, … }` (CSV: `path,label,xmin,ymin,xmax,ymax`). */
    source: SourceConfigSchema.optional(),
    /** `[height, width]` the images of `source` are resized to (boxes move with them; default [64, 64]). */
    imageSize: z.tuple([positiveInt, positiveInt]).optional(),
    /** Colour mode of `source` images (default rgb). */
    colorMode: z.enum(['grayscale', 'rgb', 'rgba']).optional(),
    /** An image without a box: skip it (counted, listed in skipped.csv) or stop with an error. */
    noBox: z.enum(['skip', 'error']).default('skip'),
    /** An image with several boxes: stop with an error, skip it, or keep its largest box. */
    multipleBoxes: z.enum(['error', 'skip', 'largest']).default('error'),
    ...dataSplitFields,
  })
  .superRefine((data, ctx) => {
    if ((data.dataset === undefined) === (data.source === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: data.dataset === undefined ? ['dataset'] : ['source'],
        message: `give exactly one of \`dataset\` (${LOCALIZATION_DATASETS.join(', ')}) or \`source\` (VOC, COCO, YOLO or a CSV with boxes)`,
      });
    }
    if (data.source !== undefined && !['voc', 'coco', 'yolo', 'csv'].includes(data.source.format)) {
      ctx.addIssue({
        code: 'custom',
        path: ['source', 'format'],
        message: `localization reads boxes from voc, coco, yolo or csv sources, not ${data.source.format}`,
      });
    }
  });

const { inputShape: _inputShape, numClasses: _numClasses, ...localizerShape } = LocalizerSchema.shape;

/** The model: zoo Localizer options without `inputShape`/`numClasses` (those come from the data). */
export const LocalizationModelSchema = z.strictObject({ ...localizerShape, seed: seedSchema.optional() });

/** The loss: cross-entropy on the class plus L1 and GIoU on the box, each with its weight. */
export const LossWeightsSchema = z.strictObject({
  class: z.number().min(0).default(1),
  l1: z.number().min(0).default(5),
  giou: z.number().min(0).default(2),
});

/** A localization pipeline config: what `optik train` reads for `task: localization`. */
export const LocalizationConfigSchema = z.strictObject({
  task: z.literal('localization'),
  ...commonFields,
  data: LocalizationDataSchema,
  model: LocalizationModelSchema,
  train: TrainSectionSchema.omit({ loss: true, classWeights: true })
    .extend({ lossWeights: LossWeightsSchema.prefault({}) })
    .prefault({}),
});

type Parsed = z.output<typeof LocalizationConfigSchema>;

/** The fully resolved localization config (what `config.yaml` holds). */
export type LocalizationConfig = Omit<Parsed, 'model' | 'train' | 'augment'> & {
  readonly model: Parsed['model'] & { seed: number };
  readonly train: Parsed['train'] & { seed: number };
  readonly augment?: Record<string, unknown>;
};

/** Cross-field rules and defaults of a parsed localization config. */
export function resolveLocalization(parsed: unknown, meta: { file?: string }): LocalizationConfig {
  const config = parsed as Parsed;
  const data = { ...config.data };
  if (data.source !== undefined) {
    // The schema admits only voc/coco/yolo/csv here, and each of them has a `path`.
    const source = data.source as typeof data.source & { path: string };
    data.source = resolveSourcePath(source, meta, 'VOC folder, COCO JSON, YOLO data.yaml or CSV');
    data.imageSize ??= [64, 64];
    data.colorMode ??= 'rgb';
  }
  const model = { ...config.model, seed: config.model.seed ?? config.seed };
  if (model.preset === undefined && model.layers === undefined) model.preset = 'loc-cnn';
  const common = resolveCommon(config, meta.file);
  return { ...common, data, model } as LocalizationConfig;
}
