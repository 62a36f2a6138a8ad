import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { OptikError } from '@optik/core';
import { SourceConfigSchema, SynthOptionsSchema } from '@optik/data';
import { SegmentationLossSchema } from '@optik/train';
import { SegmenterSchema } from '@optik/zoo';
import { z } from 'zod';
import {
  commonFields,
  dataSplitFields,
  positiveInt,
  resolveCommon,
  seedSchema,
  TrainSectionSchema,
} from '../../config/sections.js';

/** The built-in segmentation set: Optik's synthetic scenes (real cut-outs on real photos, exact masks). */
export const SEGMENTATION_DATASETS = ['synth'] as const;

/** Where the images and their masks come from. */
export const SegmentationDataSchema = z
  .strictObject({
    /** The built-in synthetic set (generated once into the cache, with its own train/val/test splits). */
    dataset: z.enum(SEGMENTATION_DATASETS).optional(),
    /** Options of the synthetic set (classes, counts, image sizes, seed…; default: the benchmark set). */
    synth: SynthOptionsSchema.optional(),
    /**
     * Images with masks: `{ format: masks, imagesDir, masksDir, classNames, palette? }` (class-id or colour PNGs)
     * or `{ format: coco, path }` (polygons/RLE painted into class masks; class 0 is background).
     */
    source: SourceConfigSchema.optional(),
    /** `[height, width]` images and masks are resized to (masks by nearest neighbour); divisible by 2^depth. */
    imageSize: z.tuple([positiveInt, positiveInt]).optional(),
    /** Colour mode of the images (default rgb). */
    colorMode: z.enum(['grayscale', 'rgb', 'rgba']).optional(),
    ...dataSplitFields,
  })
  .superRefine((data, ctx) => {
    if ((data.dataset === undefined) === (data.source === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: data.dataset === undefined ? ['dataset'] : ['source'],
        message: 'give exactly one of `dataset` (synth) or `source` (a masks folder or a COCO JSON with masks)',
      });
    }
    if (data.source !== undefined && !['masks', 'coco'].includes(data.source.format)) {
      ctx.addIssue({
        code: 'custom',
        path: ['source', 'format'],
        message: `semantic segmentation reads masks or coco sources, not ${data.source.format}`,
      });
    }
    if (data.synth !== undefined && data.dataset !== 'synth') {
      ctx.addIssue({ code: 'custom', path: ['synth'], message: '`synth` options need `dataset: synth`' });
    }
  });

const { inputShape: _inputShape, numClasses: _numClasses, ...segmenterShape } = SegmenterSchema.shape;

/** The model: zoo Segmenter options without `inputShape`/`numClasses` (those come from the data). */
export const SegmentationModelSchema = z.strictObject({ ...segmenterShape, seed: seedSchema.optional() });

/** A semantic-segmentation pipeline config: what `optik train` reads for `task: semantic-segmentation`. */
export const SegmentationConfigSchema = z.strictObject({
  task: z.literal('semantic-segmentation'),
  ...commonFields,
  data: SegmentationDataSchema,
  model: SegmentationModelSchema.prefault({}),
  train: TrainSectionSchema.omit({ loss: true, classWeights: true, labelSmoothing: true })
    .extend({
      /** Pixel cross-entropy + soft Dice: weights, class weights, ignore index, Dice smoothing. */
      segmentationLoss: SegmentationLossSchema.prefault({}),
    })
    .prefault({}),
});

type Parsed = z.output<typeof SegmentationConfigSchema>;

/** The fully resolved segmentation config (what `config.yaml` holds). */
export type SegmentationConfig = Omit<Parsed, 'model' | 'train' | 'augment' | 'data'> & {
  readonly data: Parsed['data'] & { imageSize: [number, number]; colorMode: 'grayscale' | 'rgb' | 'rgba' };
  readonly model: Parsed['model'] & { seed: number };
  readonly train: Parsed['train'] & { seed: number };
  readonly augment?: Record<string, unknown>;
};

/** Cross-field rules and defaults of a parsed segmentation config. */
export function resolveSegmentation(parsed: unknown, meta: { file?: string }): SegmentationConfig {
  const config = parsed as Parsed;
  const data = {
    ...config.data,
    imageSize: config.data.imageSize ?? [128, 128],
    colorMode: config.data.colorMode ?? 'rgb',
  };
  if (data.source !== undefined) {
    const source = data.source as Record<string, unknown> & { format: string };
    const key = source.format === 'masks' ? 'imagesDir' : 'path';
    const fields = source.format === 'masks' ? ['imagesDir', 'masksDir'] : ['path'];
    const resolved: Record<string, unknown> = { ...source };
    for (const field of fields) {
      const path = resolve(source[field] as string);
      if (!existsSync(path)) {
        throw new OptikError('DATA_NOT_FOUND', `data.source.${field}: ${path} does not exist.`, {
          path: `data.source.${field}`,
          received: source[field],
          ...(meta.file === undefined ? {} : { file: meta.file }),
          hint: `Relative paths are read from the current directory; point ${key === 'path' ? 'it at the COCO JSON' : 'imagesDir/masksDir at the image and mask folders'}.`,
        });
      }
      resolved[field] = path;
    }
    data.source = resolved as typeof data.source;
  }
  const model = { ...config.model, seed: config.model.seed ?? config.seed };
  if (model.preset === undefined && model.depth === undefined) model.preset = 'unet-tiny';
  const common = resolveCommon(config, meta.file);
  return { ...common, data, model } as SegmentationConfig;
}
