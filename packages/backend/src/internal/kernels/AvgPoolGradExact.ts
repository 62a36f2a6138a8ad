import {
  AvgPoolGrad,
  type AvgPoolGradAttrs,
  backend_util,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { kernelMemory } from '../kernel-memory.js';

/**
 * The gradient of average pooling with respect to its input, as the exact adjoint of the forward kernel: the
 * forward op divides each window's sum by the number of pixels inside the image, so near a `same`-padded border
 * the gradient is `dy / count`, not `dy / (filterHeight * filterWidth)` as upstream's cpu and wasm kernels compute.
 */
export const avgPoolGradExact: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad } = attrs as unknown as AvgPoolGradAttrs;
  const { dimRoundingMode } = attrs as { dimRoundingMode?: 'floor' | 'round' | 'ceil' };
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const memory = kernelMemory(backend, AvgPoolGrad);
  const out = memory.output(input.shape, 'float32');
  const dx = memory.values(out);
  const dyValues = memory.values(dy);

  const { batchSize, inHeight, inWidth, inChannels: depth, outHeight, outWidth, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  let offset = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const rowStart = Math.max(0, oh * strideHeight - top);
      const rowEnd = Math.min(inHeight, oh * strideHeight - top + filterHeight);
      for (let ow = 0; ow < outWidth; ow++) {
        const colStart = Math.max(0, ow * strideWidth - left);
        const colEnd = Math.min(inWidth, ow * strideWidth - left + filterWidth);
        const scale = 1 / Math.max(1, (rowEnd - rowStart) * (colEnd - colStart));
        for (let r = rowStart; r < rowEnd; r++) {
          for (let c = colStart; c < colEnd; c++) {
            const base = ((b * inHeight + r) * inWidth + c) * depth;
            for (let d = 0; d < depth; d++)
              dx[base + d] = (dx[base + d] as number) + (dyValues[offset + d] as number) * scale;
          }
        }
        offset += depth;
      }
    }
  }
  return out;
};

/** Replaces upstream's cpu AvgPoolGrad (wrong at `same`-padded borders). */
export const avgPoolGradCpu: KernelConfig = {
  kernelName: AvgPoolGrad,
  backendName: 'cpu',
  kernelFunc: avgPoolGradExact,
};

/**
 * Replaces upstream's wasm AvgPoolGrad (same bug). A faster wasm kernel may take this entry's place in
 * `wasmTrainingKernels`, keeping these semantics: the property test compares it with the adjoint of AvgPool.
 */
export const avgPoolGradWasm: KernelConfig = {
  kernelName: AvgPoolGrad,
  backendName: 'wasm',
  kernelFunc: avgPoolGradExact,
};
