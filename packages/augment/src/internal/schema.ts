import { OptikError, parseOrThrow } from '@optik/core';
import { z } from 'zod';

/** A probability in [0, 1] with a default. */
export function probability(defaultValue: number) {
  return z.number().min(0).max(1).default(defaultValue);
}

/** A `[min, max]` range with `min ≤ max`, optional bounds on both ends, and a default. */
export function range(defaultValue: [number, number], bounds: { min?: number; max?: number } = {}) {
  let item = z.number();
  if (bounds.min !== undefined) item = item.min(bounds.min);
  if (bounds.max !== undefined) item = item.max(bounds.max);
  return z
    .tuple([item, item])
    .refine(([lo, hi]) => lo <= hi, { message: 'expected a range [min, max] with min ≤ max' })
    .default(defaultValue);
}

export const interpolation = z.enum(['nearest', 'bilinear']).default('bilinear');

/** Options every geometric transform shares: interpolation, fill, and when a moved box is dropped. */
export const geometricShape = {
  interpolation,
  /** Fill for pixels mapped from outside the image, as a fraction of the maximum pixel value. */
  fill: z.number().min(0).max(1).default(0),
  /** Boxes smaller than this (square pixels, after clipping) are dropped. */
  minArea: z.number().min(0).default(1),
  /** Boxes with less than this fraction of their moved area inside the image are dropped. */
  minVisibility: z.number().min(0).max(1).default(0),
};

export function parseOptions<S extends z.ZodType>(schema: S, type: string, options: unknown): z.output<S> {
  return parseOrThrow(schema, options ?? {}, { what: `${type} options` });
}

/** A number from recorded (replayed) transform parameters, checked. */
export function num(params: Readonly<Record<string, unknown>>, key: string): number {
  const value = params[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new OptikError('ARGUMENT_INVALID', `Recorded augmentation parameters lack a number "${key}".`, {
      received: params,
      hint: 'Replay parameters exactly as run() or sampleParams() returned them.',
    });
  }
  return value;
}
