import { type WasmBackendLike, type WasmMemoryLike, wasmMemoryOf } from '../wasm-heap.js';
import { kernelsWasmPlain, kernelsWasmShared } from './kernels-binary.js';

/** Heap offsets of x, dy and dw, then the convolution's geometry: what both filter-gradient kernels take. */
export type FilterGradArgs = [
  x: number,
  dy: number,
  dw: number,
  batch: number,
  inHeight: number,
  inWidth: number,
  inChannels: number,
  outHeight: number,
  outWidth: number,
  outChannels: number,
  filterHeight: number,
  filterWidth: number,
  strideHeight: number,
  strideWidth: number,
  padTop: number,
  padLeft: number,
];

/**
 * Optik's WebAssembly SIMD kernels (source: `assembly/kernels.ts`), instantiated on tfjs's own memory so that they
 * read and write tensors in place. Pointers are byte offsets on the tfjs heap ({@link heapOffset}).
 */
export interface OptikSimdKernels {
  /** MaxPool's input gradient: zeroes dx, then adds each dy to its window's first maximum. NHWC. */
  maxPoolGrad(
    x: number,
    dy: number,
    dx: number,
    batch: number,
    inHeight: number,
    inWidth: number,
    depth: number,
    outHeight: number,
    outWidth: number,
    filterHeight: number,
    filterWidth: number,
    strideHeight: number,
    strideWidth: number,
    padTop: number,
    padLeft: number,
  ): void;
  /** `out[d] = Σ_r x[r, d]` over a `[rows, depth]` matrix, accumulated in float64. */
  sumRows(x: number, out: number, rows: number, depth: number): void;
  /** `out[d] = Σ_r x[r, d] / rows`, accumulated in float64. */
  meanRows(x: number, out: number, rows: number, depth: number): void;
  /** `out = full ∘ row` (or `row ∘ full`) for a `[rows, depth]` matrix and a `[depth]` row; op 0 add, 1 sub, 2 mul, 3 div. */
  binaryRows(full: number, row: number, out: number, rows: number, depth: number, op: number, rowFirst: boolean): void;
  /** `out = full ∘ col` (or `col ∘ full`) for a `[rows, depth]` matrix and a `[rows]` column; op as in binaryRows. */
  binaryCols(full: number, col: number, out: number, rows: number, depth: number, op: number, colFirst: boolean): void;
  /** Copies `rows` blocks of `width` 4-byte values, rows `srcStride` / `dstStride` values apart. */
  copyBlocks(src: number, srcStride: number, dst: number, dstStride: number, rows: number, width: number): void;
  /** `out = x ∘ s` (or `s ∘ x`) for `size` values and the scalar at `scalar`; op as in binaryRows. */
  binaryScalar(x: number, scalar: number, out: number, size: number, op: number, scalarFirst: boolean): void;
  /** `out = offset + (x − mean) · factor`, per channel of a `[rows, depth]` matrix. */
  batchNormRows(
    x: number,
    mean: number,
    factor: number,
    offset: number,
    out: number,
    rows: number,
    depth: number,
  ): void;
  /** Batch norm's gradient sums per channel: `sums[d] = Σ dy`, `sums[depth + d] = Σ (x − mean)·dy` (float64). */
  batchNormGradSums(dy: number, x: number, mean: number, sums: number, rows: number, depth: number): void;
  /** One momentum-SGD step in tfjs's float32 operation order (outputs may alias inputs). */
  momentum(
    x: number,
    g: number,
    a: number,
    xOut: number,
    aOut: number,
    size: number,
    m: number,
    negLearningRate: number,
    nesterov: boolean,
  ): void;
  /** The filter gradient of a convolution with few taps, directly (dw `[fh, fw, inC, outC]`, zeroed first). */
  filterGradFewTaps(...args: FilterGradArgs): void;
  /**
   * The filter gradient of a convolution with many taps, register-blocked (dw `[fh, fw, inC, outC]`, zeroed by the
   * caller; outC a multiple of 4). Does the (tap, 8-column block) units with `unit % parts == part`.
   */
  filterGradTiled(...args: [...FilterGradArgs, part: number, parts: number]): void;
  /** One Adam step in tfjs's float32 operation order (outputs may alias inputs); c1 = 1 − β1ᵗ, c2 = 1 − β2ᵗ. */
  adam(
    x: number,
    g: number,
    m: number,
    v: number,
    xOut: number,
    mOut: number,
    vOut: number,
    size: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    c1: number,
    c2: number,
    epsilon: number,
    negLearningRate: number,
  ): void;
  /** x `[batch, inH, inW, depth]` → `[depth, spanH, spanW, batch]`, shifted by the padding, zero outside x. */
  toChannelMajor(
    x: number,
    out: number,
    batch: number,
    inHeight: number,
    inWidth: number,
    depth: number,
    spanHeight: number,
    spanWidth: number,
    padTop: number,
    padLeft: number,
  ): void;
  /** col2im (the adjoint of im2col): zeroes dx, then adds each row of cols back where its window reads x. */
  col2im(
    cols: number,
    dx: number,
    batch: number,
    inHeight: number,
    inWidth: number,
    depth: number,
    outHeight: number,
    outWidth: number,
    filterHeight: number,
    filterWidth: number,
    strideHeight: number,
    strideWidth: number,
    padTop: number,
    padLeft: number,
  ): void;
}

/** The kernels of {@link OptikSimdKernels} whose last two arguments are `part, parts` (their work is split). */
export type PartitionedKernel = 'filterGradTiled';

/**
 * Runs a partitioned kernel on several threads at once: part 0 on the calling thread, the others on workers that
 * share tfjs's memory; returns when all are done. Installed by the Node entry when tfjs runs threaded.
 */
export interface SimdKernelPool {
  readonly parts: number;
  run(kernel: PartitionedKernel, args: readonly number[]): void;
}

/** Makes a pool for one tfjs memory, given the kernels' binary and the calling thread's instance. */
export type SimdKernelPoolFactory = (
  memory: WasmMemoryLike,
  bytes: Uint8Array,
  local: OptikSimdKernels,
) => SimdKernelPool | undefined;

let poolFactory: SimdKernelPoolFactory | undefined;
const pools = new WeakMap<object, SimdKernelPool | null>();

/** Installs (or with `undefined` removes) the factory of {@link simdKernelPool}; pools made before are kept. */
export function setSimdKernelPoolFactory(factory: SimdKernelPoolFactory | undefined): void {
  poolFactory = factory;
}

/**
 * The thread pool for this backend's memory, or `undefined` (no factory installed, a single-threaded memory, or
 * the SIMD module unavailable): then callers run every part themselves.
 */
export function simdKernelPool(backend: WasmBackendLike): SimdKernelPool | undefined {
  const cached = pools.get(backend.wasm);
  if (cached !== undefined) return cached ?? undefined;
  if (poolFactory === undefined) return undefined;
  const local = optikSimdKernels(backend);
  const memory = wasmMemoryOf(backend);
  let pool: SimdKernelPool | null = null;
  if (local !== undefined && memory !== undefined && isShared(memory)) {
    pool = poolFactory(memory, kernelBytes(true), local) ?? null;
  }
  pools.set(backend.wasm, pool);
  return pool ?? undefined;
}

/**
 * One call of a partitioned kernel: on the pool when there is one and the call does at least `minWork` (FLOPs or a
 * like measure; waking threads costs tens of microseconds), else every part here, in order.
 */
export function runPartitioned(
  backend: WasmBackendLike,
  kernels: OptikSimdKernels,
  kernel: PartitionedKernel,
  args: readonly number[],
  work: number,
  minWork: number,
): void {
  const pool = work >= minWork ? simdKernelPool(backend) : undefined;
  if (pool !== undefined && pool.parts > 1) {
    pool.run(kernel, args);
    return;
  }
  (kernels[kernel] as (...a: number[]) => void)(...args, 0, 1);
}

function isShared(memory: WasmMemoryLike): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

/** The kernels' binary for a shared (threaded tfjs) or an ordinary memory. */
function kernelBytes(shared: boolean): Uint8Array {
  // atob, not Buffer: the same code runs in browsers.
  return Uint8Array.from(atob(shared ? kernelsWasmShared : kernelsWasmPlain), (c) => c.charCodeAt(0));
}

interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

const instances = new WeakMap<object, OptikSimdKernels | null>();

/**
 * The SIMD kernels bound to this backend's memory, or `undefined` where they cannot be instantiated (then the
 * callers use their TypeScript loops). Compiled once per backend (the binaries are ~1.3 kB).
 */
export function optikSimdKernels(backend: WasmBackendLike): OptikSimdKernels | undefined {
  const cached = instances.get(backend.wasm);
  if (cached !== undefined) return cached ?? undefined;
  let kernels: OptikSimdKernels | null = null;
  try {
    const memory = wasmMemoryOf(backend);
    const api = (globalThis as unknown as { WebAssembly?: WebAssemblyApi }).WebAssembly;
    if (memory !== undefined && api !== undefined) {
      const instance = new api.Instance(new api.Module(kernelBytes(isShared(memory))), { env: { memory } });
      kernels = instance.exports as OptikSimdKernels;
    }
  } catch {
    kernels = null;
  }
  instances.set(backend.wasm, kernels);
  return kernels ?? undefined;
}
