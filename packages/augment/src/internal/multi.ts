import type { BoxXyxy, ImageSample, Mask, Rng, SampleTarget } from '@optik/core';
import { boxArea, createRng, OptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { BaseTransform } from './base.js';
import { warpMasks } from './geometric.js';
import { warpAffine } from './host.js';
import {
  type ClipRect,
  checkMasks,
  imageToTensor,
  maskBox,
  maxValueOf,
  moveBox,
  moveTarget,
  tensorToImage,
} from './sample.js';
import { geometricShape, interpolation, probability, range } from './schema.js';
import type { AugmentContext, AugmentTarget, ImageSize, TransformParams } from './types.js';
import { type Affine, invertAffine } from './warp.js';

type Params = NonNullable<TransformParams>;

/** `index` −1 means the sample itself; otherwise an index into the pool. */
function pick(sample: ImageSample, index: number, context: AugmentContext | undefined, type: string): ImageSample {
  if (index < 0) return sample;
  const donor = context?.pool?.[index];
  if (donor === undefined) {
    throw new OptikError('ARGUMENT_INVALID', `${type} parameters refer to pool sample ${index}, which is missing.`, {
      received: { index, poolSize: context?.pool?.length ?? 0 },
      hint: 'Replay with the same pool the parameters were drawn with.',
    });
  }
  if (donor.image.channels !== sample.image.channels) {
    throw new OptikError('DATA_MISMATCH', `${type} needs pool images with the sample's channel count.`, {
      received: { sample: sample.image.channels, pool: donor.image.channels },
      ...(donor.source === undefined ? {} : { file: donor.source }),
    });
  }
  return donor;
}

function requireKind(type: string, target: SampleTarget, kinds: readonly SampleTarget['kind'][]): void {
  if (!kinds.includes(target.kind)) {
    throw new OptikError('ARGUMENT_INVALID', `${type} works on ${kinds.join(' or ')} samples.`, {
      received: target.kind,
      hint: `Use ${type} only in detection or segmentation pipelines.`,
    });
  }
}

/** Warps an image to `height × width` as a float tensor in the sample's value scale. */
function warpImage(
  source: ImageSample,
  forward: Affine,
  height: number,
  width: number,
  mode: 'nearest' | 'bilinear',
  fill: number,
  maxValue: number,
): tf.Tensor4D {
  return tf.tidy(() =>
    warpAffine(imageToTensor(source.image), [invertAffine(forward)], height, width, mode, fill).mul(
      maxValue / maxValueOf(source.image),
    ),
  );
}

function regionMask(region: ClipRect, height: number, width: number): Float32Array {
  const out = new Float32Array(height * width);
  for (let y = Math.max(0, region[1]); y < Math.min(height, region[3]); y++) {
    for (let x = Math.max(0, region[0]); x < Math.min(width, region[2]); x++) out[y * width + x] = 1;
  }
  return out;
}

function clearOutside(mask: Mask, region: ClipRect): Mask {
  const inside = regionMask(region, mask.height, mask.width);
  return { ...mask, data: mask.data.map((v, i) => (inside[i] === 1 ? v : 0)) };
}

export const MosaicSchema = z.strictObject({
  p: probability(1),
  /** Output height in pixels. */
  height: z.number().int().positive(),
  /** Output width in pixels. */
  width: z.number().int().positive(),
  /** Where the four tiles meet, as a fraction of the output size, drawn per axis. */
  center: range([0.25, 0.75], { min: 0, max: 1 }),
  ...geometricShape,
});
/** Options of {@link Mosaic}. */
export type MosaicOptions = z.input<typeof MosaicSchema>;

/**
 * Mosaic (YOLOv4) for detection and segmentation: the sample and three pool samples, each resized to the output
 * size, meet at a random centre, one per quadrant; boxes and masks are clipped to their quadrant. Without a pool
 * the sample is its own partner.
 *
 * @example
 * ```ts
 * const out = compose([new Mosaic({ height: 640, width: 640 })]).augment(sample, { pool: trainSamples });
 * ```
 */
export class Mosaic extends BaseTransform<z.output<typeof MosaicSchema>> {
  static readonly type = 'Mosaic';
  static readonly schema = MosaicSchema;
  readonly type = Mosaic.type;
  readonly targets: readonly AugmentTarget[] = ['image', 'boxes', 'masks'];
  readonly level = 'multi' as const;
  constructor(options: MosaicOptions) {
    super(MosaicSchema, Mosaic.type, options);
  }
  protected draw(rng: Rng, _size: ImageSize, context?: AugmentContext): Params {
    const poolSize = context?.pool?.length ?? 0;
    const donors = [0, 1, 2].map(() => (poolSize > 0 ? rng.int(0, poolSize - 1) : -1));
    const { width, height, center } = this.options;
    return {
      donors,
      cx: Math.round(rng.uniform(center[0], center[1]) * width),
      cy: Math.round(rng.uniform(center[0], center[1]) * height),
    };
  }
  override outputSize(size: ImageSize, params: TransformParams): ImageSize {
    return params === null ? size : { width: this.options.width, height: this.options.height, channels: size.channels };
  }
  apply(sample: ImageSample, params: TransformParams, context?: AugmentContext): ImageSample {
    if (params === null) return sample;
    requireKind(this.type, sample.target, ['detection', 'semantic-segmentation', 'instance-segmentation']);
    const { width: W, height: H, interpolation: mode, fill } = this.options;
    const cx = Number(params.cx);
    const cy = Number(params.cy);
    const donors = Array.isArray(params.donors) ? params.donors.map(Number) : [];
    const sources = [sample, ...donors.map((i) => pick(sample, i, context, this.type))];
    if (sources.length !== 4) throw new OptikError('ARGUMENT_INVALID', 'Mosaic parameters need three donors.');
    const tiles: { region: ClipRect; shift: [number, number] }[] = [
      { region: [0, 0, cx, cy], shift: [cx - W, cy - H] },
      { region: [cx, 0, W, cy], shift: [cx, cy - H] },
      { region: [0, cy, cx, H], shift: [cx - W, cy] },
      { region: [cx, cy, W, H], shift: [cx, cy] },
    ];
    const maxValue = maxValueOf(sample.image);
    const labels: number[] = [];
    const boxes: BoxXyxy[] = [];
    const crowd: boolean[] = [];
    const masks: Mask[] = [];
    const semantic = new Uint8Array(W * H);
    const image = tf.tidy(() => {
      let canvas = tf.zeros([1, H, W, sample.image.channels]) as tf.Tensor4D;
      sources.forEach((source, k) => {
        requireKind(this.type, source.target, [sample.target.kind]);
        checkMasks(source);
        const { region, shift } = tiles[k] as (typeof tiles)[number];
        const forward: Affine = [W / source.image.width, 0, shift[0], 0, H / source.image.height, shift[1]];
        const warped = warpImage(source, forward, H, W, mode, fill * maxValue, maxValue);
        canvas = canvas.add(warped.mul(tf.tensor4d(regionMask(region, H, W), [1, H, W, 1])));
        const inverse = invertAffine(forward);
        const moved = moveTarget(source.target, forward, region, this.options, (m) =>
          warpMasks(m, inverse, H, W).map((mask) => clearOutside(mask, region)),
        );
        if (moved.kind === 'detection' || moved.kind === 'instance-segmentation') {
          labels.push(...moved.labels);
          boxes.push(...moved.boxes);
          const flags = moved.kind === 'detection' ? moved.crowd : undefined;
          crowd.push(...moved.boxes.map((_, i) => flags?.[i] === true));
        }
        if (moved.kind === 'instance-segmentation') masks.push(...moved.masks);
        if (moved.kind === 'semantic-segmentation') {
          moved.mask.data.forEach((v, i) => {
            if (v !== 0) semantic[i] = v;
          });
        }
      });
      return canvas;
    });
    let out: ImageSample['image'];
    try {
      out = tensorToImage(image, sample.image);
    } finally {
      image.dispose();
    }
    const kind = sample.target.kind;
    const target: SampleTarget =
      kind === 'detection'
        ? { kind, labels, boxes, ...(crowd.includes(true) ? { crowd } : {}) }
        : kind === 'instance-segmentation'
          ? { kind, labels, boxes, masks }
          : { kind: 'semantic-segmentation', mask: { width: W, height: H, data: semantic } };
    return { ...sample, image: out, target };
  }
}

export const CopyPasteSchema = z.strictObject({
  p: probability(0.5),
  /** Probability that each object of the donor is pasted (at least one always is). */
  objectP: probability(0.5),
  /** Probability that the donor is mirrored left–right before pasting. */
  flipP: probability(0.5),
  interpolation,
  /** Objects left with fewer square pixels than this are dropped. */
  minArea: z.number().min(0).default(1),
  /** Objects with less than this fraction of their area still visible are dropped. */
  minVisibility: z.number().min(0).max(1).default(0),
});
/** Options of {@link CopyPaste}. */
export type CopyPasteOptions = z.input<typeof CopyPasteSchema>;

function objectCount(target: SampleTarget): number {
  return target.kind === 'detection' || target.kind === 'instance-segmentation' ? target.boxes.length : 0;
}

function rasterBox(box: BoxXyxy, width: number, height: number): Mask {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    if (y + 0.5 < box[1] || y + 0.5 >= box[3]) continue;
    for (let x = 0; x < width; x++) if (x + 0.5 >= box[0] && x + 0.5 < box[2]) data[y * width + x] = 1;
  }
  return { width, height, data };
}

function countOn(mask: Mask): number {
  let n = 0;
  for (const v of mask.data) if (v !== 0) n++;
  return n;
}

/**
 * Simple Copy-Paste (Ghiasi et al. 2021) for detection and instance segmentation: objects of a pool sample
 * (resized to the sample, mirrored with `flipP`) are pasted on top; objects they hide are cut from their masks,
 * re-boxed, and dropped by `minArea`/`minVisibility`. Detection samples paste their box rectangles.
 *
 * @example
 * ```ts
 * const out = compose([new CopyPaste({ p: 1, objectP: 0.5 })]).augment(sample, { pool: trainSamples });
 * ```
 */
export class CopyPaste extends BaseTransform<z.output<typeof CopyPasteSchema>> {
  static readonly type = 'CopyPaste';
  static readonly schema = CopyPasteSchema;
  readonly type = CopyPaste.type;
  readonly targets: readonly AugmentTarget[] = ['image', 'boxes', 'masks'];
  readonly level = 'multi' as const;
  constructor(options: CopyPasteOptions = {}) {
    super(CopyPasteSchema, CopyPaste.type, options);
  }
  protected draw(rng: Rng, _size: ImageSize, context?: AugmentContext): TransformParams {
    const pool = context?.pool ?? [];
    const donor = pool.length > 0 ? rng.int(0, pool.length - 1) : -1;
    const flip = rng.bool(this.options.flipP);
    const donorSample = donor >= 0 ? pool[donor] : undefined;
    // Without a pool the sample is its own donor; its object count is read at apply time, so draw per-slot coins.
    const n = donorSample === undefined ? -1 : objectCount(donorSample.target);
    if (n === 0) return null;
    if (n < 0) return { donor, flip, objectSeed: rng.uint32() };
    const objects = Array.from({ length: n }, (_, i) => i).filter(() => rng.bool(this.options.objectP));
    if (objects.length === 0) objects.push(rng.int(0, n - 1));
    return { donor, flip, objects };
  }
  apply(sample: ImageSample, params: TransformParams, context?: AugmentContext): ImageSample {
    if (params === null) return sample;
    requireKind(this.type, sample.target, ['detection', 'instance-segmentation']);
    checkMasks(sample);
    const donor = pick(sample, Number(params.donor), context, this.type);
    requireKind(this.type, donor.target, [sample.target.kind]);
    const source = donor.target as Extract<SampleTarget, { kind: 'detection' | 'instance-segmentation' }>;
    const target = sample.target as typeof source;
    const { width: W, height: H } = sample.image;
    const n = source.boxes.length;
    let objects: number[];
    if (Array.isArray(params.objects)) objects = params.objects.map(Number);
    else {
      // Self-donor: its object count is only known here, so the coins come from a seed drawn in sampleParams.
      const coins = createRng(Number(params.objectSeed));
      const coin = () => coins.next();
      objects = Array.from({ length: n }, (_, i) => i).filter(() => coin() < this.options.objectP);
      if (objects.length === 0 && n > 0) objects.push(Math.floor(coin() * n));
    }
    if (objects.length === 0) return sample;
    const sx = W / donor.image.width;
    const sy = H / donor.image.height;
    const forward: Affine = params.flip === true ? [-sx, 0, W, 0, sy, 0] : [sx, 0, 0, 0, sy, 0];
    const inverse = invertAffine(forward);
    const donorMasks =
      source.kind === 'instance-segmentation' && source.masks.length > 0
        ? warpMasks(
            objects.map((i) => source.masks[i] as Mask),
            inverse,
            H,
            W,
          )
        : objects.map((i) => rasterBox(moveBox(source.boxes[i] as BoxXyxy, forward, [0, 0, W, H]).box, W, H));

    interface Item {
      label: number;
      box: BoxXyxy;
      mask: Mask;
      before: number;
      crowd: boolean;
    }
    const crowdOf = (t: typeof source, i: number) => t.kind === 'detection' && t.crowd?.[i] === true;
    const items: Item[] = target.boxes.map((box, i) => {
      const mask =
        target.kind === 'instance-segmentation' && target.masks[i] !== undefined
          ? (target.masks[i] as Mask)
          : rasterBox(box, W, H);
      return { label: target.labels[i] as number, box, mask, before: countOn(mask), crowd: crowdOf(target, i) };
    });
    const union = new Uint8Array(W * H);
    objects.forEach((index, k) => {
      const pasted = donorMasks[k] as Mask;
      for (const item of items) {
        item.mask = { ...item.mask, data: item.mask.data.map((v, i) => (pasted.data[i] ? 0 : v)) };
      }
      pasted.data.forEach((v, i) => {
        if (v) union[i] = 1;
      });
      const box = moveBox(source.boxes[index] as BoxXyxy, forward, [0, 0, W, H]).box;
      items.push({
        label: source.labels[index] as number,
        box,
        mask: pasted,
        before: countOn(pasted),
        crowd: crowdOf(source, index),
      });
    });

    const maxValue = maxValueOf(sample.image);
    const composite = tf.tidy(() => {
      const pastedImage = warpImage(donor, forward, H, W, this.options.interpolation, 0, maxValue);
      const m = tf.tensor4d(Float32Array.from(union), [1, H, W, 1]);
      return imageToTensor(sample.image).mul(tf.scalar(1).sub(m)).add(pastedImage.mul(m)) as tf.Tensor4D;
    });
    let image: ImageSample['image'];
    try {
      image = tensorToImage(composite, sample.image);
    } finally {
      composite.dispose();
    }

    const labels: number[] = [];
    const boxes: BoxXyxy[] = [];
    const crowd: boolean[] = [];
    const masks: Mask[] = [];
    for (const item of items) {
      const after = countOn(item.mask);
      const visibility = item.before > 0 ? after / item.before : 0;
      const box = target.kind === 'instance-segmentation' && after < item.before ? maskBox(item.mask) : item.box;
      if (box === null || after === 0) continue;
      const area = target.kind === 'instance-segmentation' ? boxArea(box) : after;
      if (area < this.options.minArea || visibility < this.options.minVisibility) continue;
      labels.push(item.label);
      boxes.push(box);
      crowd.push(item.crowd);
      masks.push(item.mask);
    }
    const out: SampleTarget =
      target.kind === 'instance-segmentation'
        ? { kind: 'instance-segmentation', labels, boxes, masks }
        : { kind: 'detection', labels, boxes, ...(crowd.includes(true) ? { crowd } : {}) };
    return { ...sample, image, target: out };
  }
}
