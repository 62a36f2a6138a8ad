import { totalmem } from 'node:os';
import { OptikError } from '@optik/core';
import type * as tf from '@tensorflow/tfjs';

/** What one training step of `model` at `batchSize` needs, roughly, in bytes. */
export function trainingMemory(model: tf.LayersModel, batchSize: number): { activations: number; weights: number } {
  let values = 0;
  // Every call of a layer keeps its output (a head shared by pyramid levels is called once per level).
  for (const layer of model.layers) {
    for (const node of layer.inboundNodes) {
      const shapes = (Array.isArray(node.outputShapes[0]) ? node.outputShapes : [node.outputShapes]) as number[][];
      for (const shape of shapes) values += shape.slice(1).reduce((a, b) => a * (b ?? 1), 1);
    }
  }
  // float32 activations kept for the backward pass and their gradients; weights with gradients and Adam's moments.
  return { activations: values * batchSize * 4 * 2, weights: model.countParams() * 4 * 4 };
}

/**
 * Refuses a run whose training step would not fit in this machine's memory (a 4096×4096 `imageSize`, a typo in
 * `filters`), with the numbers, before the first step allocates it.
 */
export function checkTrainingMemory(model: tf.LayersModel, batchSize: number, available = totalmem()): void {
  const { activations, weights } = trainingMemory(model, batchSize);
  const budget = available * 0.75;
  if (activations + weights <= budget) return;
  const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;
  throw new OptikError(
    'CONFIG_INVALID',
    `One training step needs about ${gb(activations + weights)} (activations ${gb(activations)} at batch ${batchSize}, weights and optimizer state ${gb(weights)}), more than the ${gb(budget)} this machine can give it (75 % of ${gb(available)}).`,
    {
      path: 'data',
      received: { batchSize, inputShape: model.inputs[0]?.shape.slice(1) },
      hint: 'Lower data.imageSize or data.batchSize, or use fewer filters/units (see the model summary).',
    },
  );
}
