import {
  backend_util,
  Concat,
  type ConcatAttrs,
  type KernelConfig,
  type KernelFunc,
  Pack,
  type PackAttrs,
  SplitV,
  type SplitVAttrs,
  type TensorInfo,
  Unpack,
  type UnpackAttrs,
  util,
} from '@tensorflow/tfjs';
import { optikSimdKernels } from '../wasm/kernels.js';
import { heapOffset, stockWasmKernel, wasmBackend, wasmMemoryOf } from '../wasm-heap.js';

/** 4-byte dtypes: their bits are copied as they are. */
function copyable(dtype: string): dtype is 'float32' | 'int32' {
  return dtype === 'float32' || dtype === 'int32';
}

/** Elements of `shape` from `axis` on (the `inner` width of a `[outer, inner]` view). */
function innerSize(shape: readonly number[], axis: number): number {
  return util.sizeFromShape(shape.slice(axis));
}

type Backend = ReturnType<typeof wasmBackend>;

/**
 * Copies `rows` blocks of `width` 4-byte values between heap offsets (in elements), `srcStride` / `dstStride`
 * apart: Optik's SIMD kernel, or `copyWithin` on the heap without it.
 */
function copyBlocks(
  backend: Backend,
  src: number,
  srcStride: number,
  dst: number,
  dstStride: number,
  rows: number,
  width: number,
): void {
  if (rows === 0 || width === 0) return;
  const simd = optikSimdKernels(backend);
  if (simd !== undefined) {
    simd.copyBlocks(src << 2, srcStride, dst << 2, dstStride, rows, width);
    return;
  }
  const heap = new Int32Array(wasmMemoryOf(backend)?.buffer ?? backend.wasm.HEAPU8.buffer);
  for (let r = 0; r < rows; r++) heap.copyWithin(dst + r * dstStride, src + r * srcStride, src + r * srcStride + width);
}

/**
 * Concat on wasm by block copies: along axis `a`, each input is a `[outer, inner_i]` matrix written into the
 * columns of the `[outer, Σ inner_i]` output. Upstream copies with one JavaScript `set` per row and input, which
 * made concatenating per-pixel maps along the channel axis (a U-Net's skip connections) cost ~20 ms per call.
 */
export const concatWasmFunc: KernelFunc = (args) => {
  const tensors = Array.from(args.inputs as unknown as ArrayLike<TensorInfo>);
  const { axis } = args.attrs as unknown as ConcatAttrs;
  const first = tensors[0];
  if (first === undefined || !copyable(first.dtype) || tensors.some((t) => t.dtype !== first.dtype)) {
    return stockWasmKernel(Concat).kernelFunc(args) as TensorInfo;
  }
  const $axis = util.parseAxisParam(axis, first.shape)[0] as number;
  const outShape = backend_util.computeOutShape(
    tensors.map((t) => t.shape),
    $axis,
  );
  if (util.sizeFromShape(outShape) === 0) return stockWasmKernel(Concat).kernelFunc(args) as TensorInfo;
  const backend = wasmBackend(args.backend, Concat);
  const out = backend.makeOutput(outShape, first.dtype);
  const outer = util.sizeFromShape(outShape.slice(0, $axis));
  const outInner = innerSize(outShape, $axis);
  const base = heapOffset(backend, out) >> 2;
  let column = 0;
  for (const t of tensors) {
    const width = innerSize(t.shape, $axis);
    if (util.sizeFromShape(t.shape) > 0)
      copyBlocks(backend, heapOffset(backend, t) >> 2, width, base + column, outInner, outer, width);
    column += width;
  }
  return out;
};

/**
 * Pack (stack) on wasm: input `i` fills band `i` of the `[outer, n · inner]` view of the output, `inner` being the
 * size of an input from `axis` on. Upstream expands each input and calls its own strided Concat, not the registered
 * kernel (15 ms per detection step for the gradient of the box loss's unstack).
 */
export const packWasmFunc: KernelFunc = (args) => {
  const tensors = Array.from(args.inputs as unknown as ArrayLike<TensorInfo>);
  const first = tensors[0];
  if (
    first === undefined ||
    tensors.length === 1 ||
    !copyable(first.dtype) ||
    util.sizeFromShape(first.shape) === 0 ||
    tensors.some((t) => t.dtype !== first.dtype || !util.arraysEqual(t.shape, first.shape))
  ) {
    return stockWasmKernel(Pack).kernelFunc(args) as TensorInfo;
  }
  const { axis } = args.attrs as unknown as PackAttrs;
  const rank = first.shape.length;
  const $axis = axis < 0 ? axis + rank + 1 : axis;
  const outShape = [...first.shape.slice(0, $axis), tensors.length, ...first.shape.slice($axis)];
  const backend = wasmBackend(args.backend, Pack);
  const out = backend.makeOutput(outShape, first.dtype);
  const outer = util.sizeFromShape(first.shape.slice(0, $axis));
  const inner = innerSize(first.shape, $axis);
  const base = heapOffset(backend, out) >> 2;
  tensors.forEach((t, i) => {
    copyBlocks(backend, heapOffset(backend, t) >> 2, inner, base + i * inner, tensors.length * inner, outer, inner);
  });
  return out;
};

/**
 * The column bands of the `[outer, inner]` view of x along `axis`, `sizes[i]` entries of the axis each, as new
 * tensors of `shapeOf(size)`.
 */
function splitBands(
  backend: Backend,
  x: TensorInfo,
  axis: number,
  sizes: readonly number[],
  shapeOf: (size: number) => number[],
): TensorInfo[] {
  const outer = util.sizeFromShape(x.shape.slice(0, axis));
  const inInner = innerSize(x.shape, axis);
  const step = innerSize(x.shape, axis + 1);
  const outputs = sizes.map((size) => backend.makeOutput(shapeOf(size), x.dtype as 'float32' | 'int32'));
  // Offsets only after the last allocation (it may grow the heap; offsets stay valid, views would not).
  const source = heapOffset(backend, x) >> 2;
  let column = 0;
  sizes.forEach((size, i) => {
    const width = size * step;
    const out = outputs[i] as TensorInfo;
    if (width > 0 && outer > 0) {
      copyBlocks(backend, source + column, inInner, heapOffset(backend, out) >> 2, width, outer, width);
    }
    column += width;
  });
  return outputs;
}

/**
 * SplitV on wasm by block copies: each output is a column band of the `[outer, inner]` view of x. Upstream slices
 * each output with a generic strided loop (~30 ms per output for a U-Net's concat gradient at 96×96).
 */
export const splitVWasmFunc: KernelFunc = (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  if (!copyable(x.dtype) || util.sizeFromShape(x.shape) === 0) {
    return stockWasmKernel(SplitV).kernelFunc(args) as TensorInfo[];
  }
  const { numOrSizeSplits, axis } = args.attrs as unknown as SplitVAttrs;
  const $axis = util.parseAxisParam(axis, x.shape)[0] as number;
  const sizes = backend_util.prepareSplitSize(x, numOrSizeSplits, $axis);
  return splitBands(wasmBackend(args.backend, SplitV), x, $axis, sizes, (size) =>
    x.shape.map((d, i) => (i === $axis ? size : d)),
  );
};

/** Unpack (unstack) on wasm: SplitV into size-1 bands with the axis dropped (the box losses unstack ltrb). */
export const unpackWasmFunc: KernelFunc = (args) => {
  const { value } = args.inputs as { value: TensorInfo };
  if (!copyable(value.dtype) || util.sizeFromShape(value.shape) === 0) {
    return stockWasmKernel(Unpack).kernelFunc(args) as TensorInfo[];
  }
  const { axis } = args.attrs as unknown as UnpackAttrs;
  const $axis = util.parseAxisParam(axis, value.shape)[0] as number;
  const sizes = new Array<number>(value.shape[$axis] as number).fill(1);
  const shape = value.shape.filter((_, i) => i !== $axis);
  return splitBands(wasmBackend(args.backend, Unpack), value, $axis, sizes, () => [...shape]);
};

/** Replaces upstream's wasm Concat (block copies for 4-byte dtypes; others delegate). */
export const concatWasm: KernelConfig = {
  kernelName: Concat,
  backendName: 'wasm',
  kernelFunc: concatWasmFunc,
  setupFunc: (backend) => stockWasmKernel(Concat).setupFunc?.(backend),
};

/** Replaces upstream's wasm Pack (block copies for 4-byte dtypes of equal shapes; others delegate). */
export const packWasm: KernelConfig = {
  kernelName: Pack,
  backendName: 'wasm',
  kernelFunc: packWasmFunc,
  setupFunc: (backend) => stockWasmKernel(Pack).setupFunc?.(backend),
};

/** Replaces upstream's wasm SplitV (block copies for 4-byte dtypes; others delegate). */
export const splitVWasm: KernelConfig = {
  kernelName: SplitV,
  backendName: 'wasm',
  kernelFunc: splitVWasmFunc,
  setupFunc: (backend) => stockWasmKernel(SplitV).setupFunc?.(backend),
};

/** Replaces upstream's wasm Unpack (block copies for 4-byte dtypes; others delegate). */
export const unpackWasm: KernelConfig = {
  kernelName: Unpack,
  backendName: 'wasm',
  kernelFunc: unpackWasmFunc,
  setupFunc: (backend) => stockWasmKernel(Unpack).setupFunc?.(backend),
};
