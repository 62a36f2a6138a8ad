import { fromConfig as augmentFromConfig, type Compose } from '@optik/augment';
import type { BatchHook } from '@optik/data';

/**
 * The training-batch augmentation of a task whose targets move with the pixels (boxes, masks): the config's
 * pipeline run per image with its targets; undefined without an `augment` section.
 */
export function targetAugmentHook(augment: Record<string, unknown> | undefined): BatchHook | undefined {
  if (augment === undefined) return undefined;
  const pipeline = augmentFromConfig(augment, 'augment') as Compose;
  return (batch, rng) => {
    const moved = pipeline.augmentBatchWithTargets(batch.xs, batch.targets ?? [], rng);
    return { xs: moved.xs, ys: batch.ys, targets: moved.targets };
  };
}
