import {
  type KernelConfig,
  type KernelFunc,
  ResizeBilinearGrad,
  type ResizeBilinearGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { kernelMemory } from '../kernel-memory.js';
import { bilinearTaps } from '../resize-taps.js';

/**
 * The gradient of a bilinear resize with respect to its images: the exact adjoint of the forward kernel, for
 * any aspect ratio, `alignCorners` and `halfPixelCenters`. Upstream's cpu kernel swaps height and width in the
 * output shape and both upstream kernels ignore `halfPixelCenters`.
 */
export const resizeBilinearGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { images, dy } = inputs as { images: TensorInfo; dy: TensorInfo };
  const { alignCorners, halfPixelCenters } = attrs as unknown as ResizeBilinearGradAttrs;
  const [batch = 0, inHeight = 0, inWidth = 0, depth = 0] = images.shape;
  const [, outHeight = 0, outWidth = 0] = dy.shape;
  const rows = bilinearTaps(inHeight, outHeight, alignCorners, halfPixelCenters === true);
  const cols = bilinearTaps(inWidth, outWidth, alignCorners, halfPixelCenters === true);

  const memory = kernelMemory(backend, ResizeBilinearGrad);
  const out = memory.output([batch, inHeight, inWidth, depth], 'float32');
  const dx = memory.values(out);
  const dyValues = memory.values(dy);
  let offset = 0;
  for (let b = 0; b < batch; b++) {
    const batchBase = b * inHeight;
    for (let r = 0; r < outHeight; r++) {
      const rowWeight = rows.weight[r] as number;
      const topBase = (batchBase + (rows.lower[r] as number)) * inWidth;
      const bottomBase = (batchBase + (rows.upper[r] as number)) * inWidth;
      for (let c = 0; c < outWidth; c++) {
        const colWeight = cols.weight[c] as number;
        const left = cols.lower[c] as number;
        const right = cols.upper[c] as number;
        const topLeft = (topBase + left) * depth;
        const topRight = (topBase + right) * depth;
        const bottomLeft = (bottomBase + left) * depth;
        const bottomRight = (bottomBase + right) * depth;
        const wTopLeft = (1 - rowWeight) * (1 - colWeight);
        const wTopRight = (1 - rowWeight) * colWeight;
        const wBottomLeft = rowWeight * (1 - colWeight);
        const wBottomRight = rowWeight * colWeight;
        for (let d = 0; d < depth; d++) {
          const g = dyValues[offset++] as number;
          dx[topLeft + d] = (dx[topLeft + d] as number) + g * wTopLeft;
          dx[topRight + d] = (dx[topRight + d] as number) + g * wTopRight;
          dx[bottomLeft + d] = (dx[bottomLeft + d] as number) + g * wBottomLeft;
          dx[bottomRight + d] = (dx[bottomRight + d] as number) + g * wBottomRight;
        }
      }
    }
  }
  return out;
};

/** Replaces upstream's cpu kernel (wrong shape for non-square images, `halfPixelCenters` ignored). */
export const resizeBilinearGradCpu: KernelConfig = {
  kernelName: ResizeBilinearGrad,
  backendName: 'cpu',
  kernelFunc: resizeBilinearGrad,
};

/** Replaces upstream's wasm kernel (`halfPixelCenters` ignored). */
export const resizeBilinearGradWasm: KernelConfig = {
  kernelName: ResizeBilinearGrad,
  backendName: 'wasm',
  kernelFunc: resizeBilinearGrad,
};
