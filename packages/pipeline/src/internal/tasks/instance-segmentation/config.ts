import { OptikError } from '@optik/core';
import { DecodeInstancesSchema, InstanceSegmenterSchema } from '@optik/zoo';
import { z } from 'zod';
import { commonFields, positiveInt, seedSchema } from '../../config/sections.js';
import { DetectionDataSchema, DetectionTrainSchema, resolveDetection } from '../detection/config.js';

/** Where the images, boxes and instance masks come from: the synthetic set, or a COCO JSON with segmentations. */
export const InstanceDataSchema = DetectionDataSchema.superRefine((data, ctx) => {
  if (data.source !== undefined && data.source.format !== 'coco') {
    ctx.addIssue({
      code: 'custom',
      path: ['source', 'format'],
      message: `instance segmentation reads masks from coco sources (polygons or RLE), not ${data.source.format}`,
    });
  }
});

const { inputShape: _inputShape, numClasses: _numClasses, ...segmenterShape } = InstanceSegmenterSchema.shape;

/** The model: zoo InstanceSegmenter options without `inputShape`/`numClasses` (those come from the data). */
export const InstanceModelSchema = z.strictObject({ ...segmenterShape, seed: seedSchema.optional() });

/** An instance segmentation pipeline config: what `optik train` reads for `task: instance-segmentation`. */
export const InstanceSegmentationConfigSchema = z.strictObject({
  task: z.literal('instance-segmentation'),
  ...commonFields,
  data: InstanceDataSchema,
  model: InstanceModelSchema,
  train: DetectionTrainSchema.extend({
    /** Weight of the mask loss (per instance: BCE at prototype resolution averaged inside its box). */
    maskWeight: z.number().min(0).default(1),
    /** The most positive points per image whose masks enter the loss (spread over the instances). */
    maxMaskPositives: positiveInt.default(32),
  }).prefault({}),
  /** How outputs become instances (validation mask AP, evaluation, prediction): thresholds, NMS, limits. */
  postprocess: DecodeInstancesSchema.prefault({}),
});

type Parsed = z.output<typeof InstanceSegmentationConfigSchema>;

/** The fully resolved instance segmentation config (what `config.yaml` holds). */
export type InstanceSegmentationConfig = Omit<Parsed, 'model' | 'train' | 'augment'> & {
  readonly model: Parsed['model'] & { seed: number };
  readonly train: Parsed['train'] & { seed: number };
  readonly augment?: Record<string, unknown>;
};

/**
 * Cross-field rules and defaults: those of detection (source path, `det-tiny` by default, the image a multiple of
 * the largest stride — hence of the prototype stride, which divides the finest).
 */
export function resolveInstanceSegmentation(parsed: unknown, meta: { file?: string }): InstanceSegmentationConfig {
  const config = resolveDetection(parsed, meta) as unknown as InstanceSegmentationConfig;
  const { strides, protoStride } = config.model;
  const finest = Math.min(...strides);
  if (![1, 2, 4].includes(finest / protoStride)) {
    throw new OptikError(
      'CONFIG_INVALID',
      `model.protoStride ${protoStride} is not the finest pyramid stride ${finest} divided by 1, 2 or 4.`,
      {
        path: 'model.protoStride',
        received: protoStride,
        ...(meta.file === undefined ? {} : { file: meta.file }),
        hint: `Use ${[finest, finest / 2, finest / 4].filter(Number.isInteger).join(', ')} (prototypes at stride 4 suit 128 px inputs).`,
      },
    );
  }
  return config;
}
