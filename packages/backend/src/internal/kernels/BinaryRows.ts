import {
  Add,
  type BinaryInputs,
  type KernelConfig,
  type KernelFunc,
  Multiply,
  RealDiv,
  Sub,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs';
import { optikSimdKernels } from '../wasm/kernels.js';
import { allocF32, heapF32, heapOffset, stockWasmKernel, wasmBackend } from '../wasm-heap.js';

/** How {@link rowBroadcast} lays a binary op out: a per-channel row, a scalar, or a per-position column. */
export interface BroadcastPlan {
  /** `a` is the smaller operand (the row, scalar or column), so the op runs as `small ∘ full`. */
  readonly rowFirst: boolean;
  readonly rows: number;
  readonly depth: number;
  /** `row`: `[rows, depth] ∘ [depth]`; `scalar`: `depth` 1; `column`: `[rows, depth] ∘ [rows, 1]`. */
  readonly kind: 'row' | 'scalar' | 'column';
}

/**
 * How a binary op broadcasts a per-channel row (`[…, c] ∘ [c]`), a scalar, or a per-position column (`[…, c] ∘
 * […, 1]`, e.g. a pixel mask over per-class maps) over a `[rows, depth]` tensor, or undefined for other shapes
 * (same shapes included: upstream's XNNPACK path is fast there).
 */
export function rowBroadcast(a: readonly number[], b: readonly number[]): BroadcastPlan | undefined {
  const rowFirst = util.sizeFromShape([...a]) < util.sizeFromShape([...b]);
  const [full, row] = rowFirst ? [b, a] : [a, b];
  if (full.length === 0 || row.length > full.length) return undefined;
  const size = util.sizeFromShape([...full]);
  if (util.sizeFromShape([...row]) === 1 && size >= 2) return { rowFirst, rows: size, depth: 1, kind: 'scalar' };
  const depth = full[full.length - 1] as number;
  if (full.length < 2 || row.length === 0 || depth === 0) return undefined;
  const rows = size / depth;
  if (
    row.length === full.length &&
    row[row.length - 1] === 1 &&
    depth >= 2 &&
    rows >= 2 &&
    row.slice(0, -1).every((d, i) => d === full[i])
  ) {
    return { rowFirst, rows, depth, kind: 'column' };
  }
  if (row[row.length - 1] !== depth || row.slice(0, -1).some((d) => d !== 1)) return undefined;
  if (rows < 2) return undefined;
  return { rowFirst, rows, depth, kind: 'row' };
}

const OPS = { [Add]: 0, [Sub]: 1, [Multiply]: 2, [RealDiv]: 3 } as const;
const scalarOps = [
  (p: number, q: number) => p + q,
  (p: number, q: number) => p - q,
  (p: number, q: number) => p * q,
  (p: number, q: number) => p / q,
];

function binaryRowsFunc(kernelName: keyof typeof OPS): KernelFunc {
  const op = OPS[kernelName];
  return (args) => {
    const { a, b } = args.inputs as unknown as Required<{ [K in keyof BinaryInputs]: TensorInfo }>;
    const plan = a.dtype === 'float32' && b.dtype === 'float32' ? rowBroadcast(a.shape, b.shape) : undefined;
    if (plan === undefined) return stockWasmKernel(kernelName).kernelFunc(args) as TensorInfo;
    const backend = wasmBackend(args.backend, kernelName);
    const [full, row] = plan.rowFirst ? [b, a] : [a, b];
    const out = allocF32(backend, [...full.shape], false);
    const simd = optikSimdKernels(backend);
    if (simd !== undefined) {
      const at = (t: TensorInfo) => heapOffset(backend, t);
      if (plan.kind === 'scalar') simd.binaryScalar(at(full), at(row), at(out), plan.rows, op, plan.rowFirst);
      else if (plan.kind === 'column')
        simd.binaryCols(at(full), at(row), at(out), plan.rows, plan.depth, op, plan.rowFirst);
      else simd.binaryRows(at(full), at(row), at(out), plan.rows, plan.depth, op, plan.rowFirst);
      return out;
    }
    const fn = scalarOps[op] as (p: number, q: number) => number;
    const [x, r, y] = [heapF32(backend, full), heapF32(backend, row), heapF32(backend, out)];
    for (let i = 0; i < x.length; i++) {
      const p = x[i] as number;
      const q = r[plan.kind === 'column' ? Math.floor(i / plan.depth) : i % plan.depth] as number;
      y[i] = plan.rowFirst ? fn(q, p) : fn(p, q);
    }
    return out;
  };
}

function config(kernelName: keyof typeof OPS): KernelConfig {
  return {
    kernelName,
    backendName: 'wasm',
    kernelFunc: binaryRowsFunc(kernelName),
    setupFunc: (backend) => stockWasmKernel(kernelName).setupFunc?.(backend),
  };
}

/**
 * Add, Sub, Multiply and RealDiv on wasm with fast paths for a per-channel row, a scalar or a per-position column
 * broadcast over an NHWC tensor (`[n, h, w, c] ∘ [c]`, `x ∘ 2`, as batch norm, its gradient and mean's gradient
 * do; `[n, h, w, c] ∘ [n, h, w, 1]`, as a pixel mask or weight in a segmentation loss does): one SIMD pass.
 * Upstream's broadcasting is up to several times slower. Other shapes go to upstream's kernels (XNNPACK).
 */
export const addWasm = config(Add);
/** See {@link addWasm}. */
export const subWasm = config(Sub);
/** See {@link addWasm}. */
export const multiplyWasm = config(Multiply);
/** See {@link addWasm}. */
export const realDivWasm = config(RealDiv);
