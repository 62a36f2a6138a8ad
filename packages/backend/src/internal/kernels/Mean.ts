import { type KernelConfig, type KernelFunc, Mean, type MeanAttrs, type TensorInfo, util } from '@tensorflow/tfjs';
import { optikSimdKernels } from '../wasm/kernels.js';
import { allocF32, heapF32, heapOffset, stockWasmKernel, wasmBackend } from '../wasm-heap.js';

/**
 * Mean on wasm with a fast path for reducing every axis but the last (batch norm's moments over `[n, h, w]`):
 * one SIMD pass accumulating in float64, where upstream transposes first. Other reductions go to upstream.
 */
export const meanWasmFunc: KernelFunc = (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const { axis, keepDims } = args.attrs as unknown as MeanAttrs;
  const rank = x.shape.length;
  const axes = util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
  const leadingAxes = rank >= 2 && axes.length === rank - 1 && axes.every((v, i) => v === i);
  const depth = x.shape[rank - 1] as number;
  if (!leadingAxes || x.dtype !== 'float32' || util.sizeFromShape(x.shape) === 0) {
    return stockWasmKernel(Mean).kernelFunc(args) as TensorInfo;
  }
  const backend = wasmBackend(args.backend, Mean);
  const rows = util.sizeFromShape(x.shape) / depth;
  const out = allocF32(backend, keepDims ? [...new Array<number>(rank - 1).fill(1), depth] : [depth], false);
  const simd = optikSimdKernels(backend);
  if (simd !== undefined) {
    simd.meanRows(heapOffset(backend, x), heapOffset(backend, out), rows, depth);
    return out;
  }
  const values = heapF32(backend, x);
  const sums = new Float64Array(depth);
  for (let i = 0; i < values.length; i++) sums[i % depth] = (sums[i % depth] as number) + (values[i] as number);
  heapF32(backend, out).set(sums.map((s) => s / rows));
  return out;
};

/** Replaces upstream's wasm Mean (fast path for per-channel means; delegates the rest). */
export const meanWasm: KernelConfig = {
  kernelName: Mean,
  backendName: 'wasm',
  kernelFunc: meanWasmFunc,
  setupFunc: (backend) => stockWasmKernel(Mean).setupFunc?.(backend),
};
