import {
  BatchMatMul,
  type BatchMatMulAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { release, runWasmKernel, stockWasmKernel, wasmBackend } from '../wasm-heap.js';

/**
 * Matrix product on wasm that keeps to XNNPACK's fast path. Upstream's kernel uses XNNPACK only without
 * transposes; with `transposeA` or `transposeB` (every dense layer's backward pass) it falls back to a scalar loop
 * ~10× slower. Here transposed operands are transposed explicitly (memory-bound, cheap) first.
 */
export const batchMatMulWasmFunc: KernelFunc = (args) => {
  const { inputs, attrs } = args;
  const backend = wasmBackend(args.backend, BatchMatMul);
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
  const stock = stockWasmKernel(BatchMatMul);
  const batchA = a.shape.slice(0, -2).reduce((n, d) => n * d, 1);
  const batchB = b.shape.slice(0, -2).reduce((n, d) => n * d, 1);
  // XNNPACK runs only unbatched products; batched ones take upstream's loop either way.
  if (batchA !== 1 || batchB !== 1) return stock.kernelFunc(args) as TensorInfo;
  const rank = a.shape.length;
  const m = a.shape[transposeA ? rank - 1 : rank - 2] as number;
  const k = a.shape[transposeA ? rank - 2 : rank - 1] as number;
  const n = b.shape[transposeB ? b.shape.length - 2 : b.shape.length - 1] as number;
  // XNNPACK packs B (k×n) anew for every new B tensor — in training, every step. When B is much larger than A
  // (dy·Wᵀ in a dense layer's backward pass: a 64-row batch against a 1600×128 weight), computing
  // (A·B)ᵀ = Bᵀ·Aᵀ packs the small operand instead.
  if (k * n > PACK_LIMIT && n >= 4 * m) return transposedProduct(backend, a, b, transposeA, transposeB, args.attrs);
  if (!transposeA && !transposeB) return stock.kernelFunc(args) as TensorInfo;
  const at = transposeA ? swapLastTwo(backend, a) : a;
  const bt = transposeB ? swapLastTwo(backend, b) : b;
  const out = stock.kernelFunc({
    inputs: { a: at, b: bt },
    attrs: { ...attrs, transposeA: false, transposeB: false },
    backend: backend as never,
  }) as TensorInfo;
  if (transposeA) release(backend, at);
  if (transposeB) release(backend, bt);
  return out;
};

/** Above this many elements in B, packing it costs more than transposing the operands (measured on the CNN). */
const PACK_LIMIT = 32 * 1024;

function swapLastTwo(backend: ReturnType<typeof wasmBackend>, t: TensorInfo): TensorInfo {
  const perm = t.shape.map((_, i) => i);
  const rank = perm.length;
  perm[rank - 1] = rank - 2;
  perm[rank - 2] = rank - 1;
  return runWasmKernel(backend, 'Transpose', { x: t }, { perm });
}

/** A·B as (Bᵀ·Aᵀ)ᵀ on the no-transpose fast path: packs Aᵀ instead of B. */
function transposedProduct(
  backend: ReturnType<typeof wasmBackend>,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  attrs: unknown,
): TensorInfo {
  // Bᵀ is b itself when transposeB, else b transposed; likewise Aᵀ.
  const bt = transposeB ? b : swapLastTwo(backend, b);
  const at = transposeA ? a : swapLastTwo(backend, a);
  const productT = stockWasmKernel(BatchMatMul).kernelFunc({
    inputs: { a: bt, b: at },
    attrs: { ...(attrs as object), transposeA: false, transposeB: false },
    backend: backend as never,
  }) as TensorInfo;
  if (!transposeB) release(backend, bt);
  if (!transposeA) release(backend, at);
  const product = swapLastTwo(backend, productT);
  release(backend, productT);
  return product;
}

/** Replaces upstream's wasm BatchMatMul so transposed products stay on XNNPACK. */
export const batchMatMulWasm: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: 'wasm',
  kernelFunc: batchMatMulWasmFunc,
  // Upstream's kernel binds its WebAssembly function in its setup; it still runs through this one.
  setupFunc: (backend) => stockWasmKernel(BatchMatMul).setupFunc?.(backend),
};
