import {
  engine,
  FusedBatchNorm,
  type FusedBatchNormAttrs,
  type GradConfig,
  getBackend,
  getGradient,
  getKernel,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  registerGradient,
  type Tensor,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs';
import { optikSimdKernels } from '../wasm/kernels.js';
import { allocF32, heapF32, heapOffset, release, wasmBackend } from '../wasm-heap.js';

/** The name of Optik's batch-norm gradient kernel (not a tfjs kernel: only Optik's FusedBatchNorm gradient calls it). */
export const OptikBatchNormGrad = 'OptikBatchNormGrad';

/**
 * The whole gradient of per-channel batch norm on wasm (outputs: dx, dmean, dvariance, dscale, doffset), from two
 * SIMD passes: the per-channel sums Σdy and Σ(x − mean)·dy, then dx = dy · scale / sqrt(variance + ε). tfjs's
 * gradient takes ~15 full-size tensor ops (and a Tile) for the same.
 */
export const optikBatchNormGradWasmFunc: KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = wasmBackend(anyBackend, OptikBatchNormGrad);
  const { dy, x, mean, variance, scale } = inputs as {
    dy: TensorInfo;
    x: TensorInfo;
    mean: TensorInfo;
    variance: TensorInfo;
    scale?: TensorInfo;
  };
  const { varianceEpsilon } = attrs as unknown as FusedBatchNormAttrs;
  const depth = x.shape[x.shape.length - 1] as number;
  const rows = util.sizeFromShape(x.shape) / depth;
  const dx = allocF32(backend, [...x.shape], false);
  const [dMean, dVariance, dScale, dOffset] = [0, 1, 2, 3].map(() => allocF32(backend, [...mean.shape], false)) as [
    TensorInfo,
    TensorInfo,
    TensorInfo,
    TensorInfo,
  ];
  const sums = allocF32(backend, [2 * depth], false);
  const factor = allocF32(backend, [depth], false);
  const simd = optikSimdKernels(backend);
  const at = (t: TensorInfo) => heapOffset(backend, t);
  if (simd !== undefined) simd.batchNormGradSums(at(dy), at(x), at(mean), at(sums), rows, depth);
  else {
    const [g, xs, m, s] = [heapF32(backend, dy), heapF32(backend, x), heapF32(backend, mean), heapF32(backend, sums)];
    const acc = new Float64Array(2 * depth);
    for (let i = 0; i < g.length; i++) {
      const d = i % depth;
      const gi = g[i] as number;
      acc[d] = (acc[d] as number) + gi;
      acc[depth + d] = (acc[depth + d] as number) + Math.fround((xs[i] as number) - (m[d] as number)) * gi;
    }
    s.set(acc);
  }
  const v = heapF32(backend, variance);
  const sc = scale === undefined ? undefined : heapF32(backend, scale);
  const s = heapF32(backend, sums);
  const [f, gMean, gVariance, gScale, gOffset] = [factor, dMean, dVariance, dScale, dOffset].map((t) =>
    heapF32(backend, t),
  ) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  for (let d = 0; d < depth; d++) {
    const r = 1 / Math.sqrt((v[d] as number) + varianceEpsilon);
    const k = sc === undefined ? 1 : (sc[d] as number);
    const sumDy = s[d] as number;
    const sumCentered = s[depth + d] as number;
    gMean[d] = -r * k * sumDy;
    gVariance[d] = -0.5 * r * r * r * k * sumCentered;
    gScale[d] = r * sumCentered;
    gOffset[d] = sumDy;
    f[d] = r * k;
  }
  if (simd !== undefined) simd.binaryRows(at(dy), at(factor), at(dx), rows, depth, 2, false);
  else {
    const [g, out] = [heapF32(backend, dy), heapF32(backend, dx)];
    for (let i = 0; i < g.length; i++) out[i] = (g[i] as number) * (f[i % depth] as number);
  }
  release(backend, sums, factor);
  return [dx, dMean, dVariance, dScale, dOffset];
};

/** Optik's batch-norm gradient on wasm. */
export const optikBatchNormGradWasm: KernelConfig = {
  kernelName: OptikBatchNormGrad,
  backendName: 'wasm',
  kernelFunc: optikBatchNormGradWasmFunc,
};

let original: GradConfig | undefined;

/**
 * Replaces tfjs's FusedBatchNorm gradient by one that runs {@link OptikBatchNormGrad} where it is registered (wasm)
 * for per-channel statistics (what batch-norm layers use), and tfjs's own gradient everywhere else. Idempotent.
 */
export function registerBatchNormGradient(): void {
  if (original !== undefined) return;
  const stock = getGradient(FusedBatchNorm);
  if (stock === undefined) return;
  original = stock;
  registerGradient({
    kernelName: FusedBatchNorm,
    inputsToSave: stock.inputsToSave ?? ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved as [Tensor, Tensor, Tensor, Tensor | undefined | null];
      const depth = x.shape[x.rank - 1] as number;
      const perChannel = (t: Tensor | undefined | null) => t == null || (t.rank === 1 && t.size === depth);
      const fast =
        !Array.isArray(dy) &&
        getKernel(OptikBatchNormGrad, getBackend()) !== undefined &&
        x.rank >= 2 &&
        depth > 0 &&
        x.size > 0 &&
        [dy, x, mean, variance, scale].every((t) => t == null || t.dtype === 'float32') &&
        perChannel(mean) &&
        perChannel(variance) &&
        perChannel(scale);
      if (!fast) return stock.gradFunc(dy, saved, attrs);
      const inputs = scale == null ? { dy, x, mean, variance } : { dy, x, mean, variance, scale };
      const [dx, dMean, dVariance, dScale, dOffset] = engine().runKernel(OptikBatchNormGrad, inputs, {
        varianceEpsilon: (attrs as unknown as FusedBatchNormAttrs).varianceEpsilon,
      } as unknown as NamedAttrMap) as Tensor[];
      return {
        x: () => dx as Tensor,
        mean: () => dMean as Tensor,
        variance: () => dVariance as Tensor,
        scale: () => dScale as Tensor,
        offset: () => dOffset as Tensor,
      };
    },
  });
}
