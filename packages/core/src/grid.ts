import { z } from 'zod';
import { parseOrThrow } from './errors.js';

// The point grid of an anchor-free (FCOS) detector: what target encoding (@optik/data), the model (@optik/zoo) and
// decoding (also in browsers) share. Plain geometry, so it lives in the lowest, browser-safe package.

/** One feature level of a {@link DetectionGrid}. */
export interface DetectionLevel {
  readonly stride: number;
  /** Feature-map size: `ceil(imageSize / stride)` (stride-2 `same` convolutions). */
  readonly height: number;
  readonly width: number;
  /** Index of the level's first point in the flattened point list. */
  readonly offset: number;
  /** Points of the level (`height × width`). */
  readonly count: number;
  /** The level takes boxes whose largest ltrb distance `m` satisfies `lower < m < upper` (pixels). */
  readonly range: readonly [number, number];
}

/**
 * The points where a detector predicts, level by level (row-major within a level, levels in stride order): what
 * target encoding, the loss and decoding share. `A` is the number of points.
 */
export interface DetectionGrid {
  /** `[height, width]` of the input images. */
  readonly imageSize: readonly [number, number];
  readonly strides: readonly number[];
  readonly levels: readonly DetectionLevel[];
  /** Number of points `A` over all levels. */
  readonly numPoints: number;
  /** `[A, 2]` point centres `(x, y)` in pixels: `((j + 0.5)·stride, (i + 0.5)·stride)`. */
  readonly points: Float32Array;
  /** `[A]` the stride of each point's level. */
  readonly pointStrides: Float32Array;
  /** `[A, 2]` the size range `(lower, upper)` of each point's level. */
  readonly ranges: Float32Array;
}

const positiveInt = z.number().int().min(1);

/** Options of {@link detectionGrid}: the input size and the strides of the feature levels. */
export const DetectionGridSchema = z
  .strictObject({
    imageSize: z.tuple([positiveInt, positiveInt]),
    /** Strides of the levels, strictly increasing (e.g. `[8, 16, 32]`). */
    strides: z
      .array(positiveInt)
      .min(1)
      .refine((s) => s.every((v, i) => i === 0 || v > (s[i - 1] as number)), 'strides must increase strictly'),
    /**
     * Where one level's boxes end and the next level's begin: `strides.length − 1` increasing distances in pixels
     * (compared with a box's largest ltrb distance from a point). Default: 8 × each stride but the last
     * (torchvision's FCOS ranges, made for ~800-pixel images: with strides 8, 16, 32 the levels take distances
     * below 64, 64–128 and above 128 pixels).
     */
    sizeBounds: z
      .array(z.number().gt(0))
      .refine((b) => b.every((v, i) => i === 0 || v > (b[i - 1] as number)), 'sizeBounds must increase strictly')
      .optional(),
  })
  .superRefine((o, ctx) => {
    if (o.sizeBounds !== undefined && o.sizeBounds.length !== o.strides.length - 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['sizeBounds'],
        message: `give ${o.strides.length - 1} bound(s) for ${o.strides.length} level(s): one between each two consecutive strides`,
      });
    }
  });
export type DetectionGridOptions = z.input<typeof DetectionGridSchema>;

/**
 * The FCOS point grid of an input size and the strides of the feature levels. Level `k` takes boxes whose largest
 * distance from a point to a box side lies between `sizeBounds[k − 1]` and `sizeBounds[k]` (default `8 × stride`:
 * torchvision's `(4s, 8s)` ranges when strides double), the first level from 0 and the last up to ∞, so every box
 * size has a level.
 */
export function detectionGrid(options: DetectionGridOptions): DetectionGrid {
  const { imageSize, strides, sizeBounds } = parseOrThrow(DetectionGridSchema, options, { what: 'detection grid' });
  const [h, w] = imageSize;
  const bounds = sizeBounds ?? strides.slice(0, -1).map((stride) => 8 * stride);
  const levels: DetectionLevel[] = [];
  let offset = 0;
  strides.forEach((stride, k) => {
    const height = Math.ceil(h / stride);
    const width = Math.ceil(w / stride);
    const lower = k === 0 ? 0 : (bounds[k - 1] as number);
    const upper = k === strides.length - 1 ? Number.POSITIVE_INFINITY : (bounds[k] as number);
    levels.push({ stride, height, width, offset, count: height * width, range: [lower, upper] });
    offset += height * width;
  });
  const points = new Float32Array(offset * 2);
  const pointStrides = new Float32Array(offset);
  const ranges = new Float32Array(offset * 2);
  for (const level of levels) {
    for (let i = 0; i < level.height; i++) {
      for (let j = 0; j < level.width; j++) {
        const a = level.offset + i * level.width + j;
        points[2 * a] = (j + 0.5) * level.stride;
        points[2 * a + 1] = (i + 0.5) * level.stride;
        pointStrides[a] = level.stride;
        ranges[2 * a] = level.range[0];
        ranges[2 * a + 1] = level.range[1];
      }
    }
  }
  return { imageSize: [h, w], strides: [...strides], levels, numPoints: offset, points, pointStrides, ranges };
}
