import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  MaxPoolGrad,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { optikSimdKernels } from '../wasm/kernels.js';
import { allocF32, heapF32, heapOffset, wasmBackend } from '../wasm-heap.js';

/**
 * The gradient of max pooling on wasm: each output's gradient goes to the first maximum of its window (row-major,
 * as the cpu kernel picks it), found again from the input. One pass over the input, four channels per SIMD lane
 * (Optik's WebAssembly kernel; a TypeScript loop where it cannot load). Upstream's wasm kernel is ~30× slower.
 */
export const maxPoolGradWasmFunc: KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = wasmBackend(anyBackend, MaxPoolGrad);
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs;
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: depth, outHeight, outWidth, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const simd = optikSimdKernels(backend);
  if (simd !== undefined) {
    const result = allocF32(backend, [...input.shape], false);
    simd.maxPoolGrad(
      heapOffset(backend, input),
      heapOffset(backend, dy),
      heapOffset(backend, result),
      batchSize,
      inHeight,
      inWidth,
      depth,
      outHeight,
      outWidth,
      filterHeight,
      filterWidth,
      strideHeight,
      strideWidth,
      top,
      left,
    );
    return result;
  }
  const out = allocF32(backend, [...input.shape], true);
  const x = heapF32(backend, input);
  const g = heapF32(backend, dy);
  const dx = heapF32(backend, out);
  let offset = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const rowStart = Math.max(0, oh * strideHeight - top);
      const rowEnd = Math.min(inHeight, oh * strideHeight - top + filterHeight);
      for (let ow = 0; ow < outWidth; ow++) {
        const colStart = Math.max(0, ow * strideWidth - left);
        const colEnd = Math.min(inWidth, ow * strideWidth - left + filterWidth);
        if (rowStart >= rowEnd || colStart >= colEnd) {
          offset += depth;
          continue;
        }
        for (let d = 0; d < depth; d++) {
          let bestIndex = -1;
          let best = Number.NEGATIVE_INFINITY;
          for (let r = rowStart; r < rowEnd; r++) {
            let index = ((b * inHeight + r) * inWidth + colStart) * depth + d;
            for (let c = colStart; c < colEnd; c++, index += depth) {
              const v = x[index] as number;
              if (v > best) {
                best = v;
                bestIndex = index;
              }
            }
          }
          if (bestIndex >= 0) dx[bestIndex] = (dx[bestIndex] as number) + (g[offset + d] as number);
        }
        offset += depth;
      }
    }
  }
  return out;
};

/** Replaces upstream's slow wasm MaxPoolGrad. */
export const maxPoolGradWasm: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGradWasmFunc,
};
