import type { ImageSample, Rng } from '@optik/core';
import type * as tf from '@tensorflow/tfjs';
import type { HostOp } from './host.js';

/** What a transform can move or change: the pixels, the boxes, the masks, the labels (mixup, cutmix). */
export type AugmentTarget = 'image' | 'boxes' | 'masks' | 'labels';

/**
 * How a transform works: `image` transforms act on one image at a time and also run on batches; `multi`
 * transforms combine the sample with others from a pool (mosaic, copy-paste); `batch` transforms mix images
 * and labels across a batch (mixup, cutmix); `container` transforms hold others (compose, oneOf, someOf).
 */
export type TransformLevel = 'image' | 'multi' | 'batch' | 'container';

/** Width, height and channels of an image; all that `sampleParams` needs to know about a sample. */
export interface ImageSize {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

/** The part of a sample that `sampleParams` reads: its image size. An {@link ImageSample} is one. */
export interface SampleInfo {
  readonly image: ImageSize;
}

/** Extra inputs of a run: the pool of samples that multi-sample transforms (mosaic, copy-paste) draw from. */
export interface AugmentContext {
  readonly pool?: readonly ImageSample[];
}

/** A transform's configuration: its registry `type` plus its flat, fully resolved options. */
export interface TransformConfig {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** The JSON-serialisable parameters a transform drew for one sample (`null`: not applied). */
export type TransformParams = { readonly [key: string]: unknown } | null;

/**
 * The transform contract: `sampleParams` draws all randomness, `apply` is deterministic, `targets` says what
 * it moves, and `toConfig` round-trips through {@link fromConfig}.
 */
export interface Transform {
  /** The registry name, e.g. `'RandomRotate'`. */
  readonly type: string;
  /** The targets the transform moves or changes. */
  readonly targets: readonly AugmentTarget[];
  /** How the transform works (see {@link TransformLevel}). */
  readonly level: TransformLevel;
  /** Draws the parameters for one sample from `rng`; `null` when the transform is skipped (probability `p`). */
  sampleParams(rng: Rng, sample: SampleInfo, context?: AugmentContext): TransformParams;
  /** Applies drawn parameters to a sample; deterministic. */
  apply(sample: ImageSample, params: TransformParams, context?: AugmentContext): ImageSample;
  /** The size of the image after the transform with these parameters. */
  outputSize(size: ImageSize, params: TransformParams): ImageSize;
  /** The flat configuration, `{ type, ...options }`, that rebuilds this transform. */
  toConfig(): TransformConfig;
}

/** A transform that can run on a batch of images (a 4-D tensor), each image with its own parameters. */
export interface BatchableTransform extends Transform {
  /**
   * Applies per-image parameters to a `[batch, height, width, channels]` float tensor whose pixel values run
   * from 0 to `maxValue`. Returns a new tensor; the input is not disposed.
   */
  applyBatch(xs: tf.Tensor4D, params: readonly TransformParams[], maxValue: number): tf.Tensor4D;
}

/** A transform that mixes images and labels across a batch (mixup, cutmix). */
export interface LabelMixingTransform extends Transform {
  /** Draws the parameters for a whole batch. */
  sampleBatchParams(rng: Rng, batchSize: number, size: ImageSize): TransformParams[];
  /** Mixes `xs` (`[batch, h, w, c]`) and `ys` (`[batch, classes]`, one-hot or soft) with the drawn parameters. */
  applyLabelBatch(
    xs: tf.Tensor4D,
    ys: tf.Tensor2D,
    params: readonly TransformParams[],
  ): { xs: tf.Tensor4D; ys: tf.Tensor2D };
}

/**
 * Internal: a batchable transform that can also run on the host (typed arrays, see `host.ts`), so a pipeline of
 * them runs as one read, fused per-image steps, and one upload. `batchOutputSize` checks a batch step exactly as
 * `applyBatch` would (same errors) without touching pixels; `hostOps` appends one image's steps.
 */
export interface HostBatchable extends BatchableTransform {
  batchOutputSize(params: readonly TransformParams[], size: ImageSize): ImageSize;
  hostOps(params: TransformParams, size: ImageSize, maxValue: number, ops: HostOp[]): ImageSize;
  /** Containers: whether every child can run on the host. */
  hostReady?(): boolean;
}

export function isHostBatchable(t: Transform): t is HostBatchable {
  const h = t as Partial<HostBatchable>;
  return (
    typeof h.hostOps === 'function' &&
    typeof h.batchOutputSize === 'function' &&
    (h.hostReady === undefined || h.hostReady.call(t))
  );
}

export function isBatchable(t: Transform): t is BatchableTransform {
  return typeof (t as Partial<BatchableTransform>).applyBatch === 'function';
}

export function isLabelMixing(t: Transform): t is LabelMixingTransform {
  return typeof (t as Partial<LabelMixingTransform>).applyLabelBatch === 'function';
}
