import * as tf from '@tensorflow/tfjs';
import { type GradConfig, getGradient, Sum, type SumAttrs, util } from '@tensorflow/tfjs';

let original: GradConfig | undefined;

/**
 * Replaces tfjs's Sum gradient, on wasm: `dy` broadcast back over the reduced axes as `dy · onesLike(x)`, the ones
 * filled on the wasm heap, where tfjs builds a full-size `ones` array in JavaScript and uploads it every step
 * (~8 ms per sum over a 16×96×96×9 segmentation map). The Multiply is then a scalar, row or column broadcast, each
 * one SIMD pass on Optik's kernels. Elsewhere tfjs's own gradient runs. Idempotent.
 */
export function registerSumGradient(): void {
  if (original !== undefined) return;
  const stock = getGradient(Sum);
  if (stock === undefined) return;
  original = stock;
  tf.registerGradient({
    kernelName: Sum,
    inputsToSave: stock.inputsToSave ?? ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor];
      if (Array.isArray(dy) || tf.getBackend() !== 'wasm' || x.dtype !== 'float32') {
        return stock.gradFunc(dy, saved, attrs);
      }
      const axes = util.parseAxisParam((attrs as unknown as SumAttrs).axis, x.shape);
      const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      return { x: () => tf.mul(tf.reshape(dy, expanded), tf.onesLike(x)) };
    },
  });
}
