import type { ImageSample, Rng } from '@optik/core';
import type { z } from 'zod';
import { parseOptions } from './schema.js';
import type {
  AugmentContext,
  AugmentTarget,
  ImageSize,
  SampleInfo,
  Transform,
  TransformConfig,
  TransformLevel,
  TransformParams,
} from './types.js';

/** Shared plumbing: options parsed by a flat zod schema at construction, `p`, and `toConfig`. */
export abstract class BaseTransform<O extends { p: number }> implements Transform {
  abstract readonly type: string;
  abstract readonly targets: readonly AugmentTarget[];
  abstract readonly level: TransformLevel;
  /** The parsed options, defaults filled in. */
  readonly options: Readonly<O>;

  protected constructor(schema: z.ZodType<O>, type: string, options: unknown) {
    this.options = Object.freeze(parseOptions(schema, type, options));
  }

  sampleParams(rng: Rng, sample: SampleInfo, context?: AugmentContext): TransformParams {
    if (!rng.bool(this.options.p)) return null;
    return this.draw(rng, sample.image, context);
  }

  /** Draws the parameters once the transform has been chosen to run. */
  protected abstract draw(rng: Rng, size: ImageSize, context?: AugmentContext): TransformParams;

  abstract apply(sample: ImageSample, params: TransformParams, context?: AugmentContext): ImageSample;

  outputSize(size: ImageSize, _params: TransformParams): ImageSize {
    return size;
  }

  toConfig(): TransformConfig {
    return { type: this.type, ...structuredClone(this.options) };
  }
}
