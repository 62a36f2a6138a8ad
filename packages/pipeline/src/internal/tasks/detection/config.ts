import { DetectionGridSchema, OptikError } from '@optik/core';
import { SourceConfigSchema, SynthOptionsSchema } from '@optik/data';
import { FcosLossSchema } from '@optik/train';
import { DecodeDetectionsSchema, DetectorSchema } from '@optik/zoo';
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
import { resolveSourcePath } from '../shared/source.js';

/** Where the images and their boxes come from. */
export const DetectionDataSchema = z
  .strictObject({
    /**
     * The synthetic set of `@optik/data` (cut-outs on photos with exact boxes; its own train/val/test splits),
     * generated once into the cache: `synth: {}` is the default benchmark set (8 classes, 2000/300/300 images).
     */
    synth: SynthOptionsSchema.optional(),
    /** Annotated images: `{ format: coco | voc | yolo, path, … }` (split by `validationSplit`/`testSplit`). */
    source: SourceConfigSchema.optional(),
    /** `[height, width]` the images are resized to (boxes move with them): multiples of the largest stride. */
    imageSize: z.tuple([positiveInt, positiveInt]).default([128, 128]),
    /** Colour mode of the images. */
    colorMode: z.enum(['grayscale', 'rgb', 'rgba']).default('rgb'),
    ...dataSplitFields,
    batchSize: positiveInt.default(16),
  })
  .superRefine((data, ctx) => {
    if ((data.synth === undefined) === (data.source === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: data.synth === undefined ? ['synth'] : ['source'],
        message: 'give exactly one of `synth` (the generated set) or `source` (COCO, VOC or YOLO annotations)',
      });
    }
    if (data.source !== undefined && !['voc', 'coco', 'yolo'].includes(data.source.format)) {
      ctx.addIssue({
        code: 'custom',
        path: ['source', 'format'],
        message: `detection reads boxes from coco, voc or yolo sources, not ${data.source.format}`,
      });
    }
  });

/** The train section of a detector (also of the instance segmenter, which extends it): trainer options and FCOS. */
export const DetectionTrainSchema = TrainSectionSchema.omit({ loss: true, classWeights: true }).extend({
  /** The FCOS loss (`@optik/train` fcosLoss): term weights, focal α and γ. */
  fcos: FcosLossSchema.prefault({}),
  /** FCOS centre sampling: positives lie within this many strides of a box centre. */
  centerSamplingRadius: z.number().gt(0).default(1.5),
  /**
   * Which level trains on which box size: one distance in pixels between each two consecutive strides (a box goes
   * to the level whose range holds its largest ltrb distance from a point). Default: 8 × stride (torchvision's
   * ranges, made for ~800-pixel images; at 128 × 128 with strides 8, 16, 32 every box lands in the first level).
   */
  sizeBounds: z.array(z.number().gt(0)).min(1).optional(),
  /** After augmentation, boxes (clipped to the image) with fewer visible pixels than this are dropped. */
  minBoxArea: z.number().min(0).default(4),
});

const { inputShape: _inputShape, numClasses: _numClasses, ...detectorShape } = DetectorSchema.shape;

/** The model: zoo Detector options without `inputShape`/`numClasses` (those come from the data). */
export const DetectionModelSchema = z.strictObject({ ...detectorShape, seed: seedSchema.optional() });

/** A detection pipeline config: what `optik train` reads for `task: detection`. */
export const DetectionConfigSchema = z.strictObject({
  task: z.literal('detection'),
  ...commonFields,
  data: DetectionDataSchema,
  model: DetectionModelSchema,
  train: DetectionTrainSchema.prefault({}),
  /** How outputs become boxes (validation mAP, evaluation, prediction): score threshold, NMS, limits. */
  postprocess: DecodeDetectionsSchema.prefault({}),
  test: TestSectionSchema.prefault({}),
});

type Parsed = z.output<typeof DetectionConfigSchema>;

/** The fully resolved detection config (what `config.yaml` holds). */
export type DetectionConfig = Omit<Parsed, 'model' | 'train' | 'augment'> & {
  readonly model: Parsed['model'] & { seed: number };
  readonly train: Parsed['train'] & { seed: number };
  readonly augment?: Record<string, unknown>;
};

/** Cross-field rules and defaults of a parsed detection config. */
export function resolveDetection(parsed: unknown, meta: { file?: string }): DetectionConfig {
  const config = parsed as Parsed;
  const data = { ...config.data };
  const where = meta.file === undefined ? {} : { file: meta.file };
  if (data.source !== undefined) {
    const source = data.source as typeof data.source & { path: string };
    data.source = resolveSourcePath(source, meta, 'COCO JSON, VOC folder or YOLO data.yaml');
  }
  const model = { ...config.model, seed: config.model.seed ?? config.seed };
  if (model.preset === undefined && model.layers === undefined) model.preset = 'det-tiny';
  const largest = Math.max(...model.strides);
  const [h, w] = data.imageSize;
  if (h % largest !== 0 || w % largest !== 0) {
    throw new OptikError(
      'CONFIG_INVALID',
      `data.imageSize ${h}×${w} is not a multiple of the model's largest stride ${largest}.`,
      {
        path: 'data.imageSize',
        received: data.imageSize,
        ...where,
        hint: `Use sizes divisible by ${largest} (e.g. [${Math.max(1, Math.round(h / largest)) * largest}, ${Math.max(1, Math.round(w / largest)) * largest}]), or smaller model.strides.`,
      },
    );
  }
  const bounds = config.train.sizeBounds;
  if (bounds !== undefined) {
    // The grid's schema says which bounds split the levels; the error here names the config key.
    const grid = { imageSize: data.imageSize, strides: model.strides, sizeBounds: bounds };
    if (!DetectionGridSchema.safeParse(grid).success) {
      throw new OptikError(
        'CONFIG_INVALID',
        `train.sizeBounds [${bounds.join(', ')}] does not split the ${model.strides.length} level(s) of model.strides [${model.strides.join(', ')}]: expected ${model.strides.length - 1} strictly increasing distance(s) in pixels.`,
        {
          path: 'train.sizeBounds',
          received: bounds,
          ...where,
          hint: `Give one bound between each two consecutive strides, e.g. [${model.strides
            .slice(0, -1)
            .map((s) => 2 * s)
            .join(', ')}] for small inputs, or leave it out for torchvision's ranges.`,
        },
      );
    }
  }
  const common = resolveCommon(config, meta.file);
  return { ...common, data, model } as DetectionConfig;
}
