import { type KernelConfig, type KernelFunc, type TensorInfo, Tile, type TileAttrs, util } from '@tensorflow/tfjs';
import { heapOffset, stockWasmKernel, wasmBackend, wasmMemoryOf } from '../wasm-heap.js';

/** How many block copies {@link tileWasmFunc} makes; it leaves tiles of many tiny blocks to upstream. */
function copyCount(shape: readonly number[], reps: readonly number[], axis = 0): number {
  const d = shape[axis] as number;
  const r = reps[axis] as number;
  if (axis === shape.length - 1) return r;
  return d * copyCount(shape, reps, axis + 1) + r - 1;
}

/** Whether {@link tileWasmFunc} copies blocks for this tile (average block ≥ 16 values) rather than delegating. */
export function tileCopiesBlocks(shape: readonly number[], reps: readonly number[]): boolean {
  const outSize = shape.reduce((n, d, i) => n * d * (reps[i] as number), 1);
  return shape.length >= 1 && reps.length === shape.length && outSize > 0 && copyCount(shape, reps) * 16 <= outSize;
}

/**
 * Tile on wasm by block copies on the heap (`copyWithin`, i.e. memmove): each input row is copied once, then each
 * finished block is repeated along its axis. Batch norm's gradient tiles `[1, 1, 1, c]` to `[n, h, w, c]` every
 * step, which upstream's element-by-element loop made the slowest kernel of a batch-norm net (~100× slower).
 */
export const tileWasmFunc: KernelFunc = (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const { reps } = args.attrs as unknown as TileAttrs;
  const rank = x.shape.length;
  const outShape = x.shape.map((d, i) => d * (reps[i] as number));
  const fast = (x.dtype === 'float32' || x.dtype === 'int32') && tileCopiesBlocks(x.shape, reps);
  if (!fast) return stockWasmKernel(Tile).kernelFunc(args) as TensorInfo;
  const backend = wasmBackend(args.backend, Tile);
  const out = backend.makeOutput(outShape, x.dtype as 'float32' | 'int32');
  // Views only after the last allocation (it may grow the heap). 4-byte elements: the bits are copied as they are.
  const heap = new Int32Array(wasmMemoryOf(backend)?.buffer ?? backend.wasm.HEAPU8.buffer);
  const inStrides = [...util.computeStrides(x.shape), 1];
  const outStrides = [...util.computeStrides(outShape), 1];
  const fill = (axis: number, from: number, to: number): void => {
    const d = x.shape[axis] as number;
    const step = outStrides[axis] as number;
    if (axis === rank - 1) heap.copyWithin(to, from, from + d);
    else for (let i = 0; i < d; i++) fill(axis + 1, from + i * (inStrides[axis] as number), to + i * step);
    const block = d * step;
    for (let k = 1; k < (reps[axis] as number); k++) heap.copyWithin(to + k * block, to, to + block);
  };
  fill(0, heapOffset(backend, x) >> 2, heapOffset(backend, out) >> 2);
  return out;
};

/** Replaces upstream's slow wasm Tile (block copies; delegates tiles of tiny blocks). */
export const tileWasm: KernelConfig = {
  kernelName: Tile,
  backendName: 'wasm',
  kernelFunc: tileWasmFunc,
  setupFunc: (backend) => stockWasmKernel(Tile).setupFunc?.(backend),
};
