import type { ImageSample, Rng, SampleTarget } from '@optik/core';
import { createRng, OptikError, parseOrThrow } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { InMemoryDataset, LabelMode } from './memory.js';
import { encodeClassLabels } from './targets/classes.js';

/**
 * One batch: images as float32 in [0, 1] (NHWC) and targets: labels (int32 ids, one-hot float32, or `[n, 1]` 0/1),
 * or what a target encoder made of the samples' targets (one tensor per model output).
 */
export interface Batch<Y extends tf.Tensor | tf.Tensor[] = tf.Tensor> {
  readonly xs: tf.Tensor4D;
  readonly ys: Y;
  /** The samples' full targets (boxes, masks) when the dataset has them. */
  readonly targets?: readonly SampleTarget[];
}

/** A per-batch hook (e.g. an `@optik/augment` pipeline): runs inside `tf.tidy`, returns the new batch. */
export type BatchHook = (batch: Batch, rng: Rng) => Batch;
/** A per-sample hook on raw pixels, before the batch is assembled; must keep the image size. */
export type SampleHook = (sample: ImageSample, rng: Rng) => ImageSample;
/**
 * Turns a batch's targets (after augmentation moved them with the pixels) into the tensors a loss reads (see
 * `targets/`). Runs inside `tf.tidy`; `size` is the batch's image size.
 */
export type TargetHook = (
  targets: readonly SampleTarget[],
  size: { readonly height: number; readonly width: number },
) => tf.Tensor | tf.Tensor[];

/** The hooks of a batch pipeline: per-sample and per-batch augmentation, and the target encoder. */
export interface BatchHooks {
  readonly augmentSample?: SampleHook | undefined;
  readonly augmentBatch?: BatchHook | undefined;
  /** Builds `ys` from the samples' targets instead of from class labels (the dataset must have targets). */
  readonly encodeTargets?: TargetHook | undefined;
}

export const BatchOptionsSchema = z
  .object({
    batchSize: z.number().int().min(1).default(32),
    shuffle: z.boolean().default(true),
    /** Size of the shuffle buffer (tf.data semantics); 0 means the whole dataset, i.e. a full permutation. */
    shuffleBuffer: z.number().int().min(0).default(0),
    seed: z.number().int().default(0),
    /** Defaults to the dataset's own label mode. */
    labelMode: z.enum(['int', 'categorical', 'binary']).optional(),
    /** Batches prepared ahead of the one being consumed. */
    prefetch: z.number().int().min(0).max(64).default(1),
    dropRemainder: z.boolean().default(false),
  })
  .strict();
export type BatchOptions = z.input<typeof BatchOptionsSchema>;

/** Order of one epoch through a tf.data-style shuffle buffer of `bufferSize` (0 = full permutation). */
export function shuffledOrder(length: number, bufferSize: number, rng: Rng): Int32Array {
  const order = new Int32Array(length);
  if (bufferSize === 0 || bufferSize >= length) {
    for (let i = 0; i < length; i++) order[i] = i;
    for (let i = length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      const tmp = order[i] as number;
      order[i] = order[j] as number;
      order[j] = tmp;
    }
    return order;
  }
  const buffer: number[] = [];
  let next = 0;
  let out = 0;
  while (next < length && buffer.length < bufferSize) buffer.push(next++);
  while (buffer.length > 0) {
    const pick = Math.floor(rng.next() * buffer.length);
    order[out++] = buffer[pick] as number;
    if (next < length) buffer[pick] = next++;
    else {
      buffer[pick] = buffer[buffer.length - 1] as number;
      buffer.pop();
    }
  }
  return order;
}

/**
 * Batches of an {@link InMemoryDataset} as an async iterable: each `for await` is one epoch with its own seeded
 * shuffle (epoch `e` uses `seed` forked by `e`). The consumer owns each yielded batch and disposes it
 * (`tf.dispose([xs, ys])`); batches prepared ahead and not consumed (a `break`) are disposed by the iterator.
 *
 * @example
 * ```ts
 * const batches = new BatchIterable(train, { batchSize: 64, seed: 1 });
 * for (let epoch = 0; epoch < 3; epoch++) for await (const b of batches) tf.dispose([b.xs, b.ys]);
 * ```
 */
export class BatchIterable<Y extends tf.Tensor | tf.Tensor[] = tf.Tensor> implements AsyncIterable<Batch<Y>> {
  readonly options: z.output<typeof BatchOptionsSchema>;
  readonly labelMode: LabelMode;
  private epoch = 0;
  private readonly rng: Rng;

  constructor(
    readonly dataset: InMemoryDataset,
    options: BatchOptions = {},
    private readonly hooks: BatchHooks = {},
  ) {
    this.options = parseOrThrow(BatchOptionsSchema, options, { what: 'batch options' });
    this.labelMode = this.options.labelMode ?? dataset.labelMode;
    if (dataset.length === 0) {
      throw new OptikError('DATA_NOT_FOUND', 'Cannot batch an empty dataset.', { hint: 'Check the split fractions.' });
    }
    if (hooks.encodeTargets !== undefined && dataset.targets === undefined) {
      throw new OptikError('DATA_FORMAT', 'A target encoder needs a dataset with targets (boxes, masks).', {
        hint: 'Load the data with its annotations (VOC, COCO, YOLO, CSV with boxes, masks), not as class folders.',
      });
    }
    for (let i = 0; i < dataset.length && hooks.encodeTargets === undefined; i++) {
      if ((dataset.labels[i] ?? -1) < 0) {
        throw new OptikError('DATA_FORMAT', `Sample ${i} has no class label; batches need one per image.`, {
          ...(dataset.sources?.[i] === undefined ? {} : { file: dataset.sources[i] }),
        });
      }
    }
    if (this.labelMode === 'binary' && dataset.classNames.length !== 2) {
      throw new OptikError('CONFIG_INVALID', 'labelMode "binary" needs exactly 2 classes.', {
        path: 'labelMode',
        received: dataset.classNames.length,
        hint: 'Use "categorical" or "int" for more classes.',
      });
    }
    this.rng = createRng(this.options.seed);
  }

  /** The resolved options; `makeBatches(dataset, iterable.toConfig())` gives the same batches. */
  toConfig(): z.output<typeof BatchOptionsSchema> {
    return { ...this.options };
  }

  /** Batches per epoch. */
  get length(): number {
    const { batchSize, dropRemainder } = this.options;
    return dropRemainder ? Math.floor(this.dataset.length / batchSize) : Math.ceil(this.dataset.length / batchSize);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Batch<Y>> {
    const epoch = this.epoch++;
    const epochRng = this.rng.fork(`epoch:${epoch}`);
    const { shuffle, shuffleBuffer, batchSize, prefetch } = this.options;
    const order = shuffle
      ? shuffledOrder(this.dataset.length, shuffleBuffer, epochRng.fork('order'))
      : identity(this.dataset.length);
    const augmentRng = epochRng.fork('augment');
    const total = this.length;
    const queue: Batch<Y>[] = [];
    let made = 0;
    try {
      while (made < total || queue.length > 0) {
        while (queue.length <= prefetch && made < total) {
          const start = made * batchSize;
          queue.push(this.makeBatch(order.subarray(start, Math.min(start + batchSize, order.length)), augmentRng));
          made++;
        }
        const batch = queue.shift() as Batch<Y>;
        yield batch;
        // Let other work (I/O, timers) run between batches.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      for (const batch of queue.splice(0)) disposeBatch(batch);
    }
  }

  private makeBatch(indices: Int32Array, rng: Rng): Batch<Y> {
    const { dataset } = this;
    const { height, width, channels } = dataset;
    const size = dataset.imageSize;
    const n = indices.length;
    const pixels = new Float32Array(n * size);
    const labels = new Int32Array(n);
    const scale = 1 / 255;
    const targets: SampleTarget[] | undefined = dataset.targets === undefined ? undefined : [];
    for (let k = 0; k < n; k++) {
      const i = indices[k] as number;
      labels[k] = dataset.labels[i] as number;
      let src: Uint8Array | Float32Array = dataset.images.subarray(i * size, (i + 1) * size);
      let target = dataset.targets?.[i];
      if (this.hooks.augmentSample !== undefined) {
        const out = this.hooks.augmentSample(dataset.sample(i), rng);
        if (out.image.width !== width || out.image.height !== height || out.image.channels !== channels) {
          throw new OptikError('ARGUMENT_INVALID', 'A sample hook must keep the image size and channels.', {
            received: { width: out.image.width, height: out.image.height, channels: out.image.channels },
          });
        }
        src = out.image.data;
        target = out.target;
        if (out.target.kind === 'classification' || out.target.kind === 'localization') labels[k] = out.target.label;
      }
      const offset = k * size;
      if (src instanceof Uint8Array) for (let p = 0; p < size; p++) pixels[offset + p] = (src[p] as number) * scale;
      else pixels.set(src, offset);
      if (targets !== undefined && target !== undefined) targets.push(target);
    }
    const classes = dataset.classNames.length;
    const mode = this.labelMode;
    const hook = this.hooks.augmentBatch;
    const encode = this.hooks.encodeTargets;
    let outTargets: readonly SampleTarget[] | undefined = targets;
    const tensors = tf.tidy(() => {
      const xs = tf.tensor4d(pixels, [n, height, width, channels], 'float32');
      let ys: tf.Tensor | tf.Tensor[] = encodeClassLabels(labels, mode, classes);
      let out: Batch = targets === undefined ? { xs, ys } : { xs, ys, targets };
      if (hook !== undefined) out = hook(out, rng);
      outTargets = out.targets;
      ys = out.ys;
      if (encode !== undefined) ys = encode(outTargets ?? [], { height: out.xs.shape[1], width: out.xs.shape[2] });
      return { xs: out.xs, ys: ys as Y };
    });
    return outTargets === undefined ? tensors : { ...tensors, targets: outTargets };
  }
}

function identity(length: number): Int32Array {
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) out[i] = i;
  return out;
}

/** Disposes a batch's tensors. */
export function disposeBatch(batch: Batch<tf.Tensor | tf.Tensor[]>): void {
  tf.dispose([batch.xs, ...(Array.isArray(batch.ys) ? batch.ys : [batch.ys])]);
}
