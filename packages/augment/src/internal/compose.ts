import type { ImageSample, Rng, SampleTarget } from '@optik/core';
import { createRng, OptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { BaseTransform } from './base.js';
import { warpTarget } from './geometric.js';
import { type HostOp, runHostBatch } from './host.js';
import { checkMasks } from './sample.js';
import { probability } from './schema.js';
import {
  type AugmentContext,
  type AugmentTarget,
  type HostBatchable,
  type ImageSize,
  isBatchable,
  isHostBatchable,
  isLabelMixing,
  type Transform,
  type TransformConfig,
  type TransformParams,
} from './types.js';

function childParams(params: TransformParams, index: number): TransformParams {
  if (params === null) return null;
  const children = params.children;
  if (!Array.isArray(children)) {
    throw new OptikError('ARGUMENT_INVALID', 'Recorded container parameters lack their "children" list.', {
      received: params,
      hint: 'Replay parameters exactly as run() or sampleParams() returned them.',
    });
  }
  return (children[index] ?? null) as TransformParams;
}

function notBatchable(t: Transform): OptikError {
  return new OptikError('ARGUMENT_INVALID', `${t.type} combines several samples and cannot run on a batch.`, {
    received: t.type,
    hint: `Run pipelines with ${t.type} per sample (run/augment), or remove it from the batch pipeline.`,
  });
}

/** The per-child parameter columns of a batch of container parameters. */
function columnsOf(transforms: readonly Transform[], params: readonly TransformParams[]): TransformParams[][] {
  return transforms.map((_, i) => params.map((p) => childParams(p, i)));
}

/** Whether a child can take part in the fused host path (label mixing and multi children are refused or skipped). */
function hostCapable(t: Transform): boolean {
  return isLabelMixing(t) || !isBatchable(t) || isHostBatchable(t);
}

/** Checks the children's batch steps in order, with the errors running them would give; returns the output size. */
function checkChildren(
  transforms: readonly Transform[],
  columns: readonly (readonly TransformParams[])[],
  size: ImageSize,
): ImageSize {
  return transforms.reduce((current, t, i) => {
    const column = columns[i] ?? [];
    if (isLabelMixing(t)) {
      if (column.every((p) => p === null)) return current;
      throw new OptikError('INTERNAL', `${t.type} parameters reached a per-image batch step.`);
    }
    if (!isBatchable(t)) throw notBatchable(t);
    if (!isHostBatchable(t)) throw new OptikError('INTERNAL', `${t.type} reached the host batch path.`);
    return t.batchOutputSize(column, current);
  }, size);
}

/**
 * Runs children on a batch, each with its column of per-image parameters. When every child can run on the host,
 * the whole run is one fused pass (`runHostBatch`: one read, each image's steps with consecutive geometric
 * stages fused into as few exact sampling passes as possible, one upload); otherwise one batched step per child.
 */
function runChildren(
  transforms: readonly Transform[],
  columns: readonly (readonly TransformParams[])[],
  xs: tf.Tensor4D,
  maxValue: number,
): tf.Tensor4D {
  const [, height, width, channels] = xs.shape;
  if (transforms.every(hostCapable)) {
    const size = { width, height, channels };
    const out = checkChildren(transforms, columns, size);
    return runHostBatch(
      xs,
      (image) => {
        const ops: HostOp[] = [];
        transforms.reduce(
          (current, t, i) =>
            isHostBatchable(t) ? t.hostOps(columns[i]?.[image] ?? null, current, maxValue, ops) : current,
          size,
        );
        return ops;
      },
      out,
    );
  }
  return tf.tidy(() => {
    let current = xs;
    transforms.forEach((t, i) => {
      const column = columns[i] ?? [];
      if (isLabelMixing(t)) {
        if (column.every((p) => p === null)) return;
        throw new OptikError('INTERNAL', `${t.type} parameters reached a per-image batch step.`);
      }
      if (!isBatchable(t)) throw notBatchable(t);
      current = t.applyBatch(current, column, maxValue);
    });
    return current === xs ? tf.clone(xs) : current;
  });
}

/** A transform that holds others; its parameters are `{ chosen, children }`, one entry per child. */
abstract class Container<O extends { p: number }> extends BaseTransform<O> implements HostBatchable {
  readonly level = 'container' as const;
  /** The child transforms, in order. */
  readonly transforms: readonly Transform[];

  protected constructor(schema: z.ZodType<O>, type: string, transforms: readonly Transform[], options: unknown) {
    super(schema, type, options);
    if (!Array.isArray(transforms) || transforms.some((t) => typeof t?.sampleParams !== 'function')) {
      throw new OptikError('ARGUMENT_INVALID', `${type} needs an array of transforms.`, {
        received: transforms,
        hint: 'Build children with their classes or fromConfig().',
      });
    }
    this.transforms = [...transforms];
  }

  get targets(): readonly AugmentTarget[] {
    return [...new Set(this.transforms.flatMap((t) => t.targets))];
  }

  /** Indices of the children that run, in list order. */
  protected abstract choose(rng: Rng): number[];

  protected draw(rng: Rng, size: ImageSize, context?: AugmentContext): TransformParams {
    const chosen = this.choose(rng);
    let current = size;
    const children = this.transforms.map((t, i) => {
      if (!chosen.includes(i)) return null;
      const params = t.sampleParams(rng, { image: current }, context);
      current = t.outputSize(current, params);
      return params;
    });
    return { chosen, children };
  }

  override outputSize(size: ImageSize, params: TransformParams): ImageSize {
    return this.transforms.reduce((s, t, i) => t.outputSize(s, childParams(params, i)), size);
  }

  apply(sample: ImageSample, params: TransformParams, context?: AugmentContext): ImageSample {
    if (params === null) return sample;
    return this.transforms.reduce((s, t, i) => t.apply(s, childParams(params, i), context), sample);
  }

  hostReady(): boolean {
    return this.transforms.every(hostCapable);
  }

  batchOutputSize(params: readonly TransformParams[], size: ImageSize): ImageSize {
    return checkChildren(this.transforms, columnsOf(this.transforms, params), size);
  }

  hostOps(params: TransformParams, size: ImageSize, maxValue: number, ops: HostOp[]): ImageSize {
    if (params === null) return size;
    return this.transforms.reduce(
      (current, t, i) => (isHostBatchable(t) ? t.hostOps(childParams(params, i), current, maxValue, ops) : current),
      size,
    );
  }

  applyBatch(xs: tf.Tensor4D, params: readonly TransformParams[], maxValue: number): tf.Tensor4D {
    return runChildren(this.transforms, columnsOf(this.transforms, params), xs, maxValue);
  }

  override toConfig(): TransformConfig {
    return { ...super.toConfig(), transforms: this.transforms.map((t) => t.toConfig()) };
  }
}

function hasLabelMixing(t: Transform): boolean {
  if (isLabelMixing(t)) return true;
  return t instanceof Container && t.transforms.some(hasLabelMixing);
}

/** The transforms a pipeline runs, containers flattened. */
function leaves(t: Transform): Transform[] {
  return t instanceof Container ? t.transforms.flatMap(leaves) : [t];
}

/** Appends one image's steps in pipeline order, walking every container (the target moves read the warp steps). */
function targetOps(t: Transform, params: TransformParams, size: ImageSize, ops: HostOp[]): ImageSize {
  if (!(t instanceof Container))
    return isHostBatchable(t) ? t.hostOps(params, size, 1, ops) : t.outputSize(size, params);
  if (params === null) return size;
  return t.transforms.reduce((current, c, i) => targetOps(c, childParams(params, i), current, ops), size);
}

const TARGET_KINDS = new Set<unknown>([
  'classification',
  'localization',
  'detection',
  'semantic-segmentation',
  'instance-segmentation',
]);

export const ComposeSchema = z.strictObject({
  /** Probability that the whole pipeline runs. */
  p: probability(1),
  /** Seed of the pipeline's own generator (used when no `rng` is passed): equal seeds, equal augmentations. */
  seed: z.number().int().default(0),
});
/** Options of {@link Compose} (its children are passed separately). */
export type ComposeOptions = z.input<typeof ComposeSchema>;

/** Options of a run: the generator to draw from (default: the pipeline's own) and a pool for mosaic/copy-paste. */
export interface RunOptions {
  readonly rng?: Rng;
  readonly pool?: readonly ImageSample[];
}

/** Options of the batch API. */
export interface BatchOptions {
  /** The largest pixel value of the batch (1 for 0–1 floats, 255 for 0–255). Default 1. */
  readonly maxValue?: number;
}

/**
 * A pipeline: runs its children in order. It owns a seeded generator, so a pipeline built from the same config
 * gives the same augmentations; `run` returns the drawn parameters, and `apply` replays them exactly.
 *
 * @example
 * ```ts
 * const pipeline = new Compose([new RandomFlip(), new RandomRotate()], { seed: 42 });
 * ```
 */
export class Compose extends Container<z.output<typeof ComposeSchema>> {
  static readonly type = 'Compose';
  static readonly schema = ComposeSchema;
  static readonly container = true;
  readonly type = Compose.type;
  #rng: Rng;

  constructor(transforms: readonly Transform[], options: ComposeOptions = {}) {
    super(ComposeSchema, Compose.type, transforms, options);
    this.#rng = createRng(this.options.seed);
    // Bound, so `pipeline.augmentBatch` can be handed to a data pipeline as its batch hook.
    this.augmentBatch = this.augmentBatch.bind(this);
    this.augmentBatchWithLabels = this.augmentBatchWithLabels.bind(this);
    this.augmentBatchWithTargets = this.augmentBatchWithTargets.bind(this);
  }

  protected choose(): number[] {
    return this.transforms.map((_, i) => i);
  }

  /** Restarts the pipeline's own generator from its seed. */
  reset(): void {
    this.#rng = createRng(this.options.seed);
  }

  /** Draws parameters and applies them to one sample; returns the result and the parameters (JSON-safe). */
  run(sample: ImageSample, options: RunOptions = {}): { sample: ImageSample; params: TransformParams } {
    const context: AugmentContext = options.pool === undefined ? {} : { pool: options.pool };
    const params = this.sampleParams(options.rng ?? this.#rng, sample, context);
    return { sample: this.apply(sample, params, context), params };
  }

  /** Augments one sample with the pipeline's own generator. */
  augment(sample: ImageSample, options: RunOptions = {}): ImageSample {
    return this.run(sample, options).sample;
  }

  /**
   * Augments a `[batch, h, w, c]` batch, each image with its own parameters: one read of the batch, each image's
   * steps fused on the host (see `host.ts`), one new tensor. The input is not disposed. Pipelines with
   * MixUp/CutMix need labels: use `augmentBatchWithLabels`.
   */
  augmentBatch(xs: tf.Tensor4D, rng: Rng = this.#rng, options: BatchOptions = {}): tf.Tensor4D {
    if (hasLabelMixing(this)) {
      throw new OptikError(
        'ARGUMENT_INVALID',
        'This pipeline mixes labels (MixUp/CutMix), so it needs the labels too.',
        {
          hint: 'Call augmentBatchWithLabels(xs, ys) instead of augmentBatch(xs).',
        },
      );
    }
    const params = this.batchParams(xs, rng);
    return this.applyBatch(xs, params, options.maxValue ?? 1);
  }

  /**
   * Augments images and mixes labels (`ys`: `[batch, classes]` one-hot or soft): per-image transforms batched as
   * in `augmentBatch`, MixUp/CutMix across the batch at their place in the list. MixUp/CutMix must be direct
   * children of this pipeline.
   */
  augmentBatchWithLabels(
    xs: tf.Tensor4D,
    ys: tf.Tensor2D,
    rng: Rng = this.#rng,
    options: BatchOptions = {},
  ): { xs: tf.Tensor4D; ys: tf.Tensor2D } {
    const nested = this.transforms.find((t) => !isLabelMixing(t) && hasLabelMixing(t));
    if (nested !== undefined) {
      throw new OptikError('ARGUMENT_INVALID', 'MixUp and CutMix must be direct children of the pipeline.', {
        received: nested.type,
        hint: 'Move MixUp/CutMix out of nested compose/oneOf/someOf.',
      });
    }
    const params = this.batchParams(xs, rng);
    const maxValue = options.maxValue ?? 1;
    return tf.tidy(() => {
      let x = xs;
      let y = ys.toFloat() as tf.Tensor2D;
      // Runs of per-image children between label mixers are fused like augmentBatch.
      let run: number[] = [];
      const flush = () => {
        if (run.length === 0) return;
        const transforms = run.map((i) => this.transforms[i] as Transform);
        x = runChildren(
          transforms,
          run.map((i) => params.map((p) => childParams(p, i))),
          x,
          maxValue,
        );
        run = [];
      };
      this.transforms.forEach((t, i) => {
        if (!isLabelMixing(t)) {
          run.push(i);
          return;
        }
        flush();
        const [batch, height, width, channels] = x.shape;
        ({ xs: x, ys: y } = t.applyLabelBatch(x, y, t.sampleBatchParams(rng, batch, { width, height, channels })));
      });
      flush();
      return { xs: x === xs ? tf.clone(xs) : x, ys: y };
    });
  }

  /**
   * Augments a batch like `augmentBatch` (same draws from `rng`, same pixels) and moves each image's target with
   * it, step by step exactly as `run` would for the same parameters: boxes through each geometric step (clipped
   * to its canvas, detection/instance boxes dropped by its `minArea`/`minVisibility`, instance masks with them),
   * masks with nearest sampling; pixel transforms leave targets alone. A localization target keeps its one box,
   * clipped, so a box pushed fully out comes back with zero area for the caller to skip. Refuses MixUp/CutMix (a
   * target holds one integer label, not a mix: use `augmentBatchWithLabels`), Mosaic/CopyPaste (they need a pool:
   * use `run` per sample), and custom batch transforms that move boxes or masks without the host path.
   *
   * @example
   * ```ts
   * const targets: SampleTarget[] = [{ kind: 'localization', label: 2, box: [4, 6, 20, 18] }];
   * const { xs: x2, targets: moved } = pipeline.augmentBatchWithTargets(xs, targets, createRng(epoch));
   * ```
   */
  augmentBatchWithTargets(
    xs: tf.Tensor4D,
    targets: readonly SampleTarget[],
    rng: Rng = this.#rng,
    options: BatchOptions = {},
  ): { xs: tf.Tensor4D; targets: SampleTarget[] } {
    const [batch, height, width, channels] = xs.shape;
    for (const t of leaves(this)) {
      if (isLabelMixing(t)) {
        throw new OptikError('ARGUMENT_INVALID', `${t.type} mixes labels, which a per-image target cannot hold.`, {
          received: t.type,
          hint: `Use augmentBatchWithLabels(xs, ys) for ${t.type}, or remove it from a pipeline that moves targets.`,
        });
      }
      if (!isBatchable(t)) throw notBatchable(t);
      if (!isHostBatchable(t) && t.targets.some((k) => k === 'boxes' || k === 'masks')) {
        throw new OptikError('ARGUMENT_INVALID', `${t.type} moves boxes or masks but has no host batch step.`, {
          received: t.type,
          hint: `Run pipelines with ${t.type} per sample (run/augment) to move targets.`,
        });
      }
    }
    if (!Array.isArray(targets) || targets.length !== batch) {
      throw new OptikError('DATA_MISMATCH', `augmentBatchWithTargets needs one target per image (${batch}).`, {
        received: Array.isArray(targets) ? targets.length : targets,
        hint: 'Pass the targets in the order of the images of xs.',
      });
    }
    targets.forEach((target, i) => {
      if (!TARGET_KINDS.has(target?.kind)) {
        throw new OptikError('ARGUMENT_INVALID', `targets[${i}] is not a sample target.`, {
          received: target,
          hint: `Pass { kind: ${[...TARGET_KINDS].join(' | ')}, ... } as in ImageSample.target.`,
        });
      }
      checkMasks({ image: { width, height, channels }, target, source: `targets[${i}]` });
    });
    const params = this.batchParams(xs, rng);
    const size = { width, height, channels };
    const moved = params.map((p, i) => {
      const ops: HostOp[] = [];
      targetOps(this, p, size, ops);
      return ops.reduce((t, op) => (op.kind === 'warp' ? warpTarget(t, op) : t), targets[i] as SampleTarget);
    });
    return { xs: this.applyBatch(xs, params, options.maxValue ?? 1), targets: moved };
  }

  private batchParams(xs: tf.Tensor4D, rng: Rng): TransformParams[] {
    const [batch, height, width, channels] = xs.shape;
    const info = { image: { width, height, channels } };
    return Array.from({ length: batch }, () => this.sampleParams(rng, info));
  }
}

export const OneOfSchema = z.strictObject({
  /** Probability that one child runs. */
  p: probability(1),
});
/** Options of {@link OneOf}. */
export type OneOfOptions = z.input<typeof OneOfSchema>;

/**
 * Runs exactly one child, chosen uniformly (then subject to the child's own `p`).
 *
 * @example
 * ```ts
 * const either = new OneOf([new RandomBrightness(), new RandomContrast()]);
 * ```
 */
export class OneOf extends Container<z.output<typeof OneOfSchema>> {
  static readonly type = 'OneOf';
  static readonly schema = OneOfSchema;
  static readonly container = true;
  readonly type = OneOf.type;
  constructor(transforms: readonly Transform[], options: OneOfOptions = {}) {
    super(OneOfSchema, OneOf.type, transforms, options);
  }
  protected choose(rng: Rng): number[] {
    return this.transforms.length === 0 ? [] : [rng.int(0, this.transforms.length - 1)];
  }
}

export const SomeOfSchema = z.strictObject({
  /** Probability that the chosen children run. */
  p: probability(1),
  /** How many children run, `[min, max]`, drawn uniformly; they run in list order. */
  n: z
    .tuple([z.number().int().min(0), z.number().int().min(0)])
    .refine(([lo, hi]) => lo <= hi, { message: 'expected a range [min, max] with min ≤ max' })
    .default([1, 2]),
});
/** Options of {@link SomeOf}. */
export type SomeOfOptions = z.input<typeof SomeOfSchema>;

/**
 * Runs a random subset of its children (between `n[0]` and `n[1]` of them), in list order.
 *
 * @example
 * ```ts
 * const some = new SomeOf([new RandomZoom(), new RandomTranslate(), new GaussianNoise()], { n: [1, 2] });
 * ```
 */
export class SomeOf extends Container<z.output<typeof SomeOfSchema>> {
  static readonly type = 'SomeOf';
  static readonly schema = SomeOfSchema;
  static readonly container = true;
  readonly type = SomeOf.type;
  constructor(transforms: readonly Transform[], options: SomeOfOptions = {}) {
    super(SomeOfSchema, SomeOf.type, transforms, options);
  }
  protected choose(rng: Rng): number[] {
    const total = this.transforms.length;
    const count = rng.int(Math.min(this.options.n[0], total), Math.min(this.options.n[1], total));
    const order = rng.shuffle(Array.from({ length: total }, (_, i) => i));
    return order.slice(0, count).sort((a, b) => a - b);
  }
}
