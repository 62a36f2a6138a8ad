import { Identity, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { stockWasmKernel, wasmBackend } from '../wasm-heap.js';

/**
 * Identity on wasm without a copy: the output shares the input's memory (reference-counted), as on the cpu
 * backend. Upstream copies, and the engine clones every tensor it saves for the backward pass through this kernel,
 * so each training step copied every activation (~3% of the reference CNN's step).
 */
export const identityWasmFunc: KernelFunc = (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  if (x.dtype === 'string') return stockWasmKernel(Identity).kernelFunc(args) as TensorInfo;
  const backend = wasmBackend(args.backend, Identity) as ReturnType<typeof wasmBackend> & {
    incRef(dataId: object): void;
  };
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
};

/** Replaces upstream's copying wasm Identity. */
export const identityWasm: KernelConfig = {
  kernelName: Identity,
  backendName: 'wasm',
  kernelFunc: identityWasmFunc,
};
