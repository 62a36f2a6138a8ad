import type { SampleTarget } from '@optik/core';
import { OptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import type { TargetHook } from '../batches.js';

/** The pixel value of ignored pixels (VOC's boundary), kept by the encoders and skipped by losses and metrics. */
export const IGNORE_INDEX = 255;

/**
 * The semantic-mask target encoder: each sample's class-id mask (already moved and resized with its image, nearest
 * neighbour) as one-hot float32 `[n, h, w, K]` — K = `numClasses`, or 2 (background, foreground) for a binary
 * model with one output channel — where an ignored pixel (255) is all zeros; or, with `mode: 'ids'`, as int32
 * class ids `[n, h, w]` (255 kept). A mask of another size than the batch, or a class id ≥ `numClasses` other
 * than 255, is a coded error naming the sample and pixel.
 */
export function encodeMaskTargets(numClasses: number, options: { mode?: 'oneHot' | 'ids' } = {}): TargetHook {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new OptikError('ARGUMENT_INVALID', `numClasses must be an integer ≥ 1 (received ${numClasses}).`, {
      received: numClasses,
      hint: 'Pass the number of classes, background included (1 for a binary mask).',
    });
  }
  const depth = Math.max(numClasses, 2);
  const mode = options.mode ?? 'oneHot';
  return (targets, size) => {
    const n = targets.length;
    const pixels = size.height * size.width;
    const ids = new Int32Array(n * pixels);
    const oneHot = mode === 'oneHot' ? new Float32Array(n * pixels * depth) : undefined;
    targets.forEach((target: SampleTarget, i) => {
      if (target.kind !== 'semantic-segmentation') {
        throw new OptikError('DATA_FORMAT', `Sample ${i} of the batch has a ${target.kind} target, not a mask.`, {
          received: target.kind,
          hint: 'Semantic segmentation data has one class-id mask per image.',
        });
      }
      const { mask } = target;
      if (mask.width !== size.width || mask.height !== size.height) {
        throw new OptikError(
          'DATA_MISMATCH',
          `Sample ${i}'s mask is ${mask.width}×${mask.height}, its image ${size.width}×${size.height}.`,
          {
            received: [mask.width, mask.height],
            hint: 'Masks must move and resize with their images (nearest neighbour); decode them with the same imageSize.',
          },
        );
      }
      for (let p = 0; p < pixels; p++) {
        const id = mask.data[p] as number;
        if (id >= numClasses && id !== IGNORE_INDEX && !(numClasses === 1 && id === 1)) {
          throw new OptikError(
            'DATA_UNKNOWN_CLASS',
            `Sample ${i}'s mask pixel (${p % size.width}, ${Math.floor(p / size.width)}) holds class id ${id}.`,
            { received: id, hint: `Class ids run 0..${Math.max(numClasses, 2) - 1} (${IGNORE_INDEX} = ignore).` },
          );
        }
        ids[i * pixels + p] = id;
        if (oneHot !== undefined && id !== IGNORE_INDEX) oneHot[(i * pixels + p) * depth + id] = 1;
      }
    });
    if (oneHot !== undefined) return tf.tensor4d(oneHot, [n, size.height, size.width, depth]);
    return tf.tensor3d(ids, [n, size.height, size.width], 'int32');
  };
}
