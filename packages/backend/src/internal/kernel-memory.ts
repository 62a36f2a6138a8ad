import { OptikError } from '@optik/core';
import type { DataType, TensorInfo, TypedArray } from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * The storage a TypeScript kernel needs from either backend, so that one implementation over typed arrays
 * serves `wasm` (views into the WebAssembly heap, no copies) and `cpu` (its JS arrays).
 */
export interface KernelMemory {
  /** A zero-filled output tensor of this shape. */
  output(shape: readonly number[], dtype: DataType): TensorInfo;
  /**
   * The values of a tensor. On wasm this is a view of the heap: take every view only after the last `output()`
   * call, because allocating may grow (and so detach) the heap.
   */
  values(tensor: TensorInfo): TypedArray;
}

function isWasm(backend: unknown): backend is BackendWasm {
  return typeof backend === 'object' && backend !== null && 'wasm' in backend && 'dataIdMap' in backend;
}

function isCpu(backend: unknown): backend is MathBackendCPU {
  return typeof backend === 'object' && backend !== null && 'data' in backend && 'makeTensorInfo' in backend;
}

/** Wraps the backend a kernel was called with; throws a coded error on any other backend. */
export function kernelMemory(backend: unknown, kernelName: string): KernelMemory {
  if (isWasm(backend)) {
    return {
      output: (shape, dtype) => {
        const info = backend.makeOutput([...shape], dtype);
        backend.typedArrayFromHeap(info).fill(0);
        return info;
      },
      values: (tensor) => backend.typedArrayFromHeap(tensor),
    };
  }
  if (isCpu(backend)) {
    const cpu = backend;
    return {
      output: (shape, dtype) => {
        const size = shape.reduce((a, b) => a * b, 1);
        const values = dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
        return cpu.makeTensorInfo([...shape], dtype, values);
      },
      values: (tensor) => cpu.data.get(tensor.dataId)?.values as TypedArray,
    };
  }
  throw new OptikError('KERNEL_UNSUPPORTED', `Optik's ${kernelName} kernel runs only on the wasm and cpu backends.`, {
    hint: 'This is a bug in kernel registration: report it.',
  });
}
