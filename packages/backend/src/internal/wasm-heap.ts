import { OptikError } from '@optik/core';
import { getKernel, type NamedAttrMap, type TensorInfo, util } from '@tensorflow/tfjs';

/**
 * What Optik's wasm training kernels need from tfjs's `BackendWasm`: its allocator, its tensor table (for heap
 * offsets) and its module (for the heap itself). Structural, so neither the package's class nor Emscripten's
 * types are needed at compile time.
 */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: 'float32' | 'int32' | 'bool'): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  wasm: { HEAPU8: Uint8Array; wasmMemory?: WasmMemoryLike; asm?: { memory?: WasmMemoryLike } };
}

/** A `WebAssembly.Memory`, structurally (this package's TypeScript lib has no WebAssembly types). */
export interface WasmMemoryLike {
  readonly buffer: ArrayBufferLike;
}

/**
 * The WebAssembly memory of tfjs's module: `wasmMemory` in the threaded build, the instance's exported `memory`
 * in the single-threaded one.
 */
export function wasmMemoryOf(backend: WasmBackendLike): WasmMemoryLike | undefined {
  return backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
}

function internalError(what: string): OptikError {
  return new OptikError('INTERNAL', `Optik's wasm kernels: ${what}.`, {
    hint: 'This is a bug in kernel registration: report it with the output of `optik doctor`.',
  });
}

/** The wasm backend a kernel was called with; a coded error on any other backend. */
export function wasmBackend(backend: unknown, kernelName: string): WasmBackendLike {
  if (typeof backend === 'object' && backend !== null && 'wasm' in backend && 'dataIdMap' in backend) {
    return backend as WasmBackendLike;
  }
  throw new OptikError('KERNEL_UNSUPPORTED', `Optik's wasm ${kernelName} kernel was called on another backend.`, {
    hint: 'This is a bug in kernel registration: report it.',
  });
}

/**
 * A float32 view of a tensor on the WebAssembly heap (no copy). Take views only after the last allocation of the
 * kernel: allocating may grow the heap, which detaches (single-threaded build) or outgrows (threaded build) the
 * buffer of earlier views. The threaded build's `HEAPU8` can lag behind a growth, so the memory's own buffer wins.
 */
export function heapF32(backend: WasmBackendLike, tensor: TensorInfo): Float32Array {
  const data = backend.dataIdMap.get(tensor.dataId);
  if (data === undefined) throw internalError(`a tensor of shape [${tensor.shape}] is not on the wasm heap`);
  const buffer = wasmMemoryOf(backend)?.buffer ?? backend.wasm.HEAPU8.buffer;
  return new Float32Array(buffer, data.memoryOffset, util.sizeFromShape(tensor.shape));
}

/** A float32 output tensor; `zero` clears it (the allocator returns dirty memory). */
export function allocF32(backend: WasmBackendLike, shape: number[], zero: boolean): TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  if (zero) heapF32(backend, out).fill(0);
  return out;
}

/** The byte offset of a tensor on the WebAssembly heap (what Optik's SIMD kernels take as a pointer). */
export function heapOffset(backend: WasmBackendLike, tensor: TensorInfo): number {
  const data = backend.dataIdMap.get(tensor.dataId);
  if (data === undefined) throw internalError(`a tensor of shape [${tensor.shape}] is not on the wasm heap`);
  return data.memoryOffset;
}

/** Same data, another shape (no copy). The caller must not dispose it separately from `tensor`. */
export function reshaped(tensor: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: tensor.dataId, shape, dtype: tensor.dtype };
}

/**
 * Runs a wasm kernel directly on the backend, bypassing the engine (so nothing is recorded or tracked): the way
 * tfjs's own kernels compose. The result must be returned or released with {@link release}.
 */
export function runWasmKernel(
  backend: WasmBackendLike,
  kernelName: string,
  inputs: Record<string, TensorInfo>,
  attrs: Record<string, unknown>,
): TensorInfo {
  const kernel = stockKernels.get(kernelName) ?? getKernel(kernelName, 'wasm');
  if (kernel === undefined) throw internalError(`the wasm kernel ${kernelName} is not registered`);
  return kernel.kernelFunc({ inputs, attrs: attrs as NamedAttrMap, backend: backend as never }) as TensorInfo;
}

/** Frees intermediate tensors a kernel allocated. */
export function release(backend: WasmBackendLike, ...tensors: TensorInfo[]): void {
  for (const t of tensors) backend.disposeData(t.dataId);
}

const stockKernels = new Map<string, NonNullable<ReturnType<typeof getKernel>>>();

/**
 * Remembers tfjs's own wasm kernel before Optik replaces it, so that a replacement can still delegate the cases
 * it does not speed up (e.g. BatchMatMul without transposes, which is XNNPACK's fast path).
 */
export function rememberStockKernel(kernelName: string, backendName: string): void {
  if (backendName !== 'wasm' || stockKernels.has(kernelName)) return;
  const kernel = getKernel(kernelName, backendName);
  if (kernel !== undefined) stockKernels.set(kernelName, kernel);
}

/** tfjs's own wasm kernel that Optik replaced (see {@link rememberStockKernel}). */
export function stockWasmKernel(kernelName: string): NonNullable<ReturnType<typeof getKernel>> {
  const kernel = stockKernels.get(kernelName) ?? getKernel(kernelName, 'wasm');
  if (kernel === undefined) throw internalError(`tfjs's own wasm ${kernelName} kernel is not available`);
  return kernel;
}
