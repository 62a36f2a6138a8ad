import {
  FusedBatchNorm,
  type FusedBatchNormAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs';
import { optikSimdKernels } from '../wasm/kernels.js';
import { allocF32, heapF32, heapOffset, release, stockWasmKernel, wasmBackend } from '../wasm-heap.js';

/**
 * Batch normalization on wasm for per-channel statistics over an NHWC tensor (every batch-norm layer): the factor
 * `scale / sqrt(variance + ε)` is computed once per channel, then one SIMD pass computes
 * `offset + (x − mean) · factor`. Upstream's scalar loop recomputes the square root per element. Other shapes go
 * to upstream.
 */
export const fusedBatchNormWasmFunc: KernelFunc = (args) => {
  const { x, mean, variance, offset, scale } = args.inputs as {
    x: TensorInfo;
    mean: TensorInfo;
    variance: TensorInfo;
    offset?: TensorInfo | null;
    scale?: TensorInfo | null;
  };
  const { varianceEpsilon } = args.attrs as unknown as FusedBatchNormAttrs;
  const depth = x.shape[x.shape.length - 1] as number;
  const params = [mean, variance, offset, scale].filter((t): t is TensorInfo => t != null);
  const simd = optikSimdKernels(wasmBackend(args.backend, FusedBatchNorm));
  const fast =
    simd !== undefined &&
    x.shape.length >= 2 &&
    depth > 0 &&
    util.sizeFromShape(x.shape) > 0 &&
    [x, ...params].every((t) => t.dtype === 'float32') &&
    params.every((t) => util.sizeFromShape(t.shape) === depth);
  if (!fast) return stockWasmKernel(FusedBatchNorm).kernelFunc(args) as TensorInfo;
  const backend = wasmBackend(args.backend, FusedBatchNorm);
  const out = allocF32(backend, [...x.shape], false);
  const factor = allocF32(backend, [depth], false);
  const zeros = offset == null ? allocF32(backend, [depth], true) : undefined;
  const v = heapF32(backend, variance);
  const s = scale == null ? undefined : heapF32(backend, scale);
  const f = heapF32(backend, factor);
  for (let d = 0; d < depth; d++)
    f[d] = (s === undefined ? 1 : (s[d] as number)) / Math.sqrt((v[d] as number) + varianceEpsilon);
  const at = (t: TensorInfo) => heapOffset(backend, t);
  simd.batchNormRows(
    at(x),
    at(mean),
    at(factor),
    at(offset ?? (zeros as TensorInfo)),
    at(out),
    util.sizeFromShape(x.shape) / depth,
    depth,
  );
  release(backend, factor, ...(zeros === undefined ? [] : [zeros]));
  return out;
};

/** Replaces upstream's wasm FusedBatchNorm (per-channel fast path; delegates the rest). */
export const fusedBatchNormWasm: KernelConfig = {
  kernelName: FusedBatchNorm,
  backendName: 'wasm',
  kernelFunc: fusedBatchNormWasmFunc,
  setupFunc: (backend) => stockWasmKernel(FusedBatchNorm).setupFunc?.(backend),
};
