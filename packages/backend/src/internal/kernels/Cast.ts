import { Cast, type CastAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { stockWasmKernel } from '../wasm-heap.js';
import { identityWasmFunc } from './Identity.js';

/**
 * Cast on wasm that shares memory when the dtype does not change (the relu gradient casts float32 to float32 on
 * every step); other casts go to upstream's kernel.
 */
export const castWasmFunc: KernelFunc = (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const { dtype } = args.attrs as unknown as CastAttrs;
  if (dtype === x.dtype && dtype !== 'string') return identityWasmFunc({ ...args, attrs: {} });
  return stockWasmKernel(Cast).kernelFunc(args) as TensorInfo;
};

/** Replaces upstream's wasm Cast (no copy for same-dtype casts). */
export const castWasm: KernelConfig = {
  kernelName: Cast,
  backendName: 'wasm',
  kernelFunc: castWasmFunc,
};
