import { type KernelConfig, type KernelFunc, Sum, type SumAttrs, type TensorInfo, util } from '@tensorflow/tfjs';
import { optikSimdKernels } from '../wasm/kernels.js';
import { allocF32, heapF32, heapOffset, stockWasmKernel, wasmBackend } from '../wasm-heap.js';

/**
 * Sum on wasm with a fast path for reducing every axis but the last, i.e. the bias gradient of every conv and
 * dense layer (`[batch, h, w, channels] → [channels]`), which upstream computes by transposing first. Other
 * reductions go to upstream's kernel. Accumulates in float64 (SIMD where Optik's WebAssembly kernels load).
 */
export const sumWasmFunc: KernelFunc = (args) => {
  const { inputs, attrs } = args;
  const backend = wasmBackend(args.backend, Sum);
  const { x } = inputs as { x: TensorInfo };
  const { axis, keepDims } = attrs as unknown as SumAttrs;
  const rank = x.shape.length;
  const axes = util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
  const leadingAxes = rank >= 2 && axes.length === rank - 1 && axes.every((v, i) => v === i);
  if (!leadingAxes || x.dtype !== 'float32') return stockWasmKernel(Sum).kernelFunc(args) as TensorInfo;
  const depth = x.shape[rank - 1] as number;
  const rows = util.sizeFromShape(x.shape) / depth;
  const out = allocF32(backend, keepDims ? [...new Array<number>(rank - 1).fill(1), depth] : [depth], false);
  const simd = optikSimdKernels(backend);
  if (simd !== undefined) {
    simd.sumRows(heapOffset(backend, x), heapOffset(backend, out), rows, depth);
    return out;
  }
  const values = heapF32(backend, x);
  const result = heapF32(backend, out);
  const sums = new Float64Array(depth);
  for (let r = 0, base = 0; r < rows; r++, base += depth) {
    for (let d = 0; d < depth; d++) sums[d] = (sums[d] as number) + (values[base + d] as number);
  }
  result.set(sums);
  return out;
};

/** Replaces upstream's wasm Sum (fast path for bias gradients; delegates the rest). */
export const sumWasm: KernelConfig = {
  kernelName: Sum,
  backendName: 'wasm',
  kernelFunc: sumWasmFunc,
  setupFunc: (backend) => stockWasmKernel(Sum).setupFunc?.(backend),
};
