import {
  type KernelConfig,
  type KernelFunc,
  ResizeNearestNeighborGrad,
  type ResizeNearestNeighborGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { kernelMemory } from '../kernel-memory.js';
import { nearestTaps } from '../resize-taps.js';

/**
 * The gradient of a nearest-neighbour resize with respect to its images: each output gradient is added to the
 * source pixel the forward kernel copied, for any aspect ratio, `alignCorners` and `halfPixelCenters`. Upstream's
 * cpu kernel reads the wrong rows of `dy` for every batch element after the first and both upstream kernels
 * ignore `halfPixelCenters`.
 */
export const resizeNearestNeighborGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { images, dy } = inputs as { images: TensorInfo; dy: TensorInfo };
  const { alignCorners, halfPixelCenters } = attrs as unknown as ResizeNearestNeighborGradAttrs;
  const [batch = 0, inHeight = 0, inWidth = 0, depth = 0] = images.shape;
  const [, outHeight = 0, outWidth = 0] = dy.shape;
  const rows = nearestTaps(inHeight, outHeight, alignCorners, halfPixelCenters === true);
  const cols = nearestTaps(inWidth, outWidth, alignCorners, halfPixelCenters === true);

  const memory = kernelMemory(backend, ResizeNearestNeighborGrad);
  const out = memory.output([batch, inHeight, inWidth, depth], 'float32');
  const dx = memory.values(out);
  const dyValues = memory.values(dy);
  let offset = 0;
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < outHeight; r++) {
      const rowBase = (b * inHeight + (rows[r] as number)) * inWidth;
      for (let c = 0; c < outWidth; c++) {
        const base = (rowBase + (cols[c] as number)) * depth;
        for (let d = 0; d < depth; d++) dx[base + d] = (dx[base + d] as number) + (dyValues[offset++] as number);
      }
    }
  }
  return out;
};

/** Replaces upstream's cpu kernel (wrong `dy` rows for batch > 1, `halfPixelCenters` ignored). */
export const resizeNearestNeighborGradCpu: KernelConfig = {
  kernelName: ResizeNearestNeighborGrad,
  backendName: 'cpu',
  kernelFunc: resizeNearestNeighborGrad,
};

/** Replaces upstream's wasm kernel (`halfPixelCenters` ignored). */
export const resizeNearestNeighborGradWasm: KernelConfig = {
  kernelName: ResizeNearestNeighborGrad,
  backendName: 'wasm',
  kernelFunc: resizeNearestNeighborGrad,
};
