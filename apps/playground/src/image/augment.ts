import {
  type Compose,
  compose,
  RandomBrightness,
  RandomContrast,
  RandomFlip,
  RandomResizedCrop,
  RandomRotate,
  RandomZoom,
  type Transform,
} from '@optik/augment';
import type { ImageSample } from '@optik/core';

/** The course's augmentation list. */
export const AUGMENTATIONS = ['rotate', 'crop', 'flip', 'zoom', 'brightness', 'contrast'] as const;
export type AugmentationName = (typeof AUGMENTATIONS)[number];

/** One @optik/augment transform per name, applied with probability `p`. */
export function transformOf(name: AugmentationName, p: number): Transform {
  switch (name) {
    case 'rotate':
      return new RandomRotate({ p, degrees: [-20, 20] });
    case 'crop':
      return new RandomResizedCrop({ p, height: 28, width: 28, scale: [0.6, 1], ratio: [0.8, 1.25] });
    case 'flip':
      return new RandomFlip({ p, mode: 'horizontal' });
    case 'zoom':
      return new RandomZoom({ p, scale: [0.75, 1.3] });
    case 'brightness':
      return new RandomBrightness({ p, delta: [-0.3, 0.3] });
    case 'contrast':
      return new RandomContrast({ p, factor: [0.5, 1.6] });
  }
}

/** The training pipeline of the chosen augmentations (each with p = 0.5), or undefined for none. */
export function trainingPipeline(names: readonly AugmentationName[], seed: number): Compose | undefined {
  if (names.length === 0) return undefined;
  return compose(
    names.map((n) => transformOf(n, 0.5)),
    { seed },
  );
}

/** `count` variants of one digit under one transform (always applied), for the preview grid. */
export function previewVariants(name: AugmentationName, digit: Uint8Array, count: number, seed: number): Uint8Array[] {
  const sample: ImageSample = {
    image: { width: 28, height: 28, channels: 1, data: digit },
    target: { kind: 'classification', label: 0 },
  };
  const pipeline = compose([transformOf(name, 1)], { seed });
  return Array.from({ length: count }, () => {
    const out = pipeline.augment(sample).image.data;
    return out instanceof Uint8Array ? out : Uint8Array.from(out, (v) => Math.max(0, Math.min(255, Math.round(v))));
  });
}
