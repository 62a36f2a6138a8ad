import * as tf from '@tensorflow/tfjs';
import { type GradConfig, getGradient, Mean, type MeanAttrs, registerGradient, util } from '@tensorflow/tfjs';
import { tileCopiesBlocks } from './kernels/Tile.js';

let original: GradConfig | undefined;

/**
 * Replaces tfjs's Mean gradient, on wasm, for means over every axis but the last (batch norm's moments): the
 * gradient `dy / n` broadcast back over the reduced axes is one Tile of a `[c]` row (Optik's block-copy Tile)
 * instead of tfjs's full-size `ones`, Multiply and RealDiv. Elsewhere (and where that Tile would copy tiny blocks)
 * tfjs's own gradient runs. Idempotent.
 */
export function registerMeanGradient(): void {
  if (original !== undefined) return;
  const stock = getGradient(Mean);
  if (stock === undefined) return;
  original = stock;
  registerGradient({
    kernelName: Mean,
    inputsToSave: stock.inputsToSave ?? ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor];
      const rank = x.rank;
      const axes = util.parseAxisParam((attrs as unknown as MeanAttrs).axis, x.shape).sort((p, q) => p - q);
      const leadingAxes = rank >= 2 && axes.length === rank - 1 && axes.every((v, i) => v === i);
      const depth = x.shape[rank - 1] as number;
      const rowShape = [...new Array<number>(rank - 1).fill(1), depth];
      const reps = [...x.shape.slice(0, -1), 1];
      const fast =
        !Array.isArray(dy) &&
        tf.getBackend() === 'wasm' &&
        leadingAxes &&
        x.dtype === 'float32' &&
        tileCopiesBlocks(rowShape, reps);
      if (!fast) return stock.gradFunc(dy, saved, attrs);
      const reduced = x.size / depth;
      return {
        x: () => {
          const row = tf.reshape(tf.div(dy as tf.Tensor, reduced), rowShape);
          return tf.tile(row, reps);
        },
      };
    },
  });
}
