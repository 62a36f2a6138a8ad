// Optik's WebAssembly SIMD training kernels, in AssemblyScript (not part of the TypeScript build).
// Built by `node scripts/build-wasm.mjs` into src/internal/wasm/kernels-binary.ts, which is committed, so users and
// CI never need the compiler. The module imports tfjs's own WebAssembly memory: every pointer is the byte offset of
// a tensor on the tfjs heap (zero copies). It must never allocate or hold static data — that would overwrite tfjs's
// heap — and the build script checks that the binary has no data segment.

/** dx[...] = 0; dx[argmax of each window] += dy. First maximum in row-major window order wins (as tfjs cpu). */
export function maxPoolGrad(
  x: usize,
  dy: usize,
  dx: usize,
  batch: i32,
  inH: i32,
  inW: i32,
  depth: i32,
  outH: i32,
  outW: i32,
  filterH: i32,
  filterW: i32,
  strideH: i32,
  strideW: i32,
  top: i32,
  left: i32,
): void {
  const vecDepth = depth & ~3;
  if (
    filterH === strideH &&
    filterW === strideW &&
    top === 0 &&
    left === 0 &&
    outH * strideH === inH &&
    outW * strideW === inW &&
    vecDepth === depth
  ) {
    tiledMaxPoolGrad(x, dy, dx, batch, inH, inW, depth, outH, outW, filterH, filterW);
    return;
  }
  memory.fill(dx, 0, (<usize>(batch * inH * inW * depth)) << 2);
  const lane = i32x4(0, 1, 2, 3);
  let g = dy;
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const r0 = max(0, oh * strideH - top);
      const r1 = min(inH, oh * strideH - top + filterH);
      for (let ow = 0; ow < outW; ow++) {
        const c0 = max(0, ow * strideW - left);
        const c1 = min(inW, ow * strideW - left + filterW);
        if (r0 < r1 && c0 < c1) {
          let d = 0;
          for (; d < vecDepth; d += 4) {
            let best = f32x4.splat(-Infinity);
            let bestIdx = i32x4.splat(-1);
            for (let r = r0; r < r1; r++) {
              let idx = ((b * inH + r) * inW + c0) * depth + d;
              for (let c = c0; c < c1; c++, idx += depth) {
                const v = v128.load(x + ((<usize>idx) << 2));
                const gt = f32x4.gt(v, best);
                best = v128.bitselect(v, best, gt);
                bestIdx = v128.bitselect(i32x4.add(i32x4.splat(idx), lane), bestIdx, gt);
              }
            }
            const gv = v128.load(g + ((<usize>d) << 2));
            const i0 = i32x4.extract_lane(bestIdx, 0);
            const i1 = i32x4.extract_lane(bestIdx, 1);
            const i2 = i32x4.extract_lane(bestIdx, 2);
            const i3 = i32x4.extract_lane(bestIdx, 3);
            if (i0 >= 0)
              store<f32>(dx + ((<usize>i0) << 2), load<f32>(dx + ((<usize>i0) << 2)) + f32x4.extract_lane(gv, 0));
            if (i1 >= 0)
              store<f32>(dx + ((<usize>i1) << 2), load<f32>(dx + ((<usize>i1) << 2)) + f32x4.extract_lane(gv, 1));
            if (i2 >= 0)
              store<f32>(dx + ((<usize>i2) << 2), load<f32>(dx + ((<usize>i2) << 2)) + f32x4.extract_lane(gv, 2));
            if (i3 >= 0)
              store<f32>(dx + ((<usize>i3) << 2), load<f32>(dx + ((<usize>i3) << 2)) + f32x4.extract_lane(gv, 3));
          }
          for (; d < depth; d++) {
            let best: f32 = -Infinity;
            let bestIdx = -1;
            for (let r = r0; r < r1; r++) {
              let idx = ((b * inH + r) * inW + c0) * depth + d;
              for (let c = c0; c < c1; c++, idx += depth) {
                const v = load<f32>(x + ((<usize>idx) << 2));
                if (v > best) {
                  best = v;
                  bestIdx = idx;
                }
              }
            }
            if (bestIdx >= 0) {
              const p = dx + ((<usize>bestIdx) << 2);
              store<f32>(p, load<f32>(p) + load<f32>(g + ((<usize>d) << 2)));
            }
          }
        }
        g += (<usize>depth) << 2;
      }
    }
  }
}

/**
 * maxPoolGrad when the windows tile the input exactly (pool size = stride, no padding, depth a multiple of 4):
 * every input element is written once — dy at its window's first maximum, 0 elsewhere — with no zero-fill pass
 * and no read-modify-write.
 */
function tiledMaxPoolGrad(
  x: usize,
  dy: usize,
  dx: usize,
  batch: i32,
  inH: i32,
  inW: i32,
  depth: i32,
  outH: i32,
  outW: i32,
  filterH: i32,
  filterW: i32,
): void {
  const zero = f32x4.splat(0);
  let g = dy;
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const base = ((b * inH + oh * filterH) * inW + ow * filterW) * depth;
        for (let d = 0; d < depth; d += 4) {
          let best = f32x4.splat(-Infinity);
          let bestPos = i32x4.splat(-1);
          for (let r = 0; r < filterH; r++) {
            for (let c = 0; c < filterW; c++) {
              const v = v128.load(x + ((<usize>(base + (r * inW + c) * depth + d)) << 2));
              const gt = f32x4.gt(v, best);
              best = v128.bitselect(v, best, gt);
              bestPos = v128.bitselect(i32x4.splat(r * filterW + c), bestPos, gt);
            }
          }
          const gv = v128.load(g + ((<usize>d) << 2));
          for (let r = 0; r < filterH; r++) {
            for (let c = 0; c < filterW; c++) {
              const hit = i32x4.eq(bestPos, i32x4.splat(r * filterW + c));
              v128.store(dx + ((<usize>(base + (r * inW + c) * depth + d)) << 2), v128.bitselect(gv, zero, hit));
            }
          }
        }
        g += (<usize>depth) << 2;
      }
    }
  }
}

/** out[d] = Σ_r x[r, d] over `rows` rows of `depth` values, accumulated in float64. */
export function sumRows(x: usize, out: usize, rows: i32, depth: i32): void {
  reduceRows(x, out, rows, depth, 1.0);
}

/** out[d] = (Σ_r x[r, d]) / rows: the mean over every axis but the last, accumulated in float64. */
export function meanRows(x: usize, out: usize, rows: i32, depth: i32): void {
  reduceRows(x, out, rows, depth, 1.0 / <f64>rows);
}

function reduceRows(x: usize, out: usize, rows: i32, depth: i32, scale: f64): void {
  let d = 0;
  // Blocks of 8 channels: four f64x2 accumulators in registers across all rows.
  for (; d + 8 <= depth; d += 8) {
    let a0 = f64x2.splat(0),
      a1 = f64x2.splat(0),
      a2 = f64x2.splat(0),
      a3 = f64x2.splat(0);
    let p = x + ((<usize>d) << 2);
    const stride = (<usize>depth) << 2;
    for (let r = 0; r < rows; r++, p += stride) {
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v0));
      a1 = f64x2.add(a1, f64x2.promote_low_f32x4(i32x4.shuffle(v0, v0, 2, 3, 0, 1)));
      a2 = f64x2.add(a2, f64x2.promote_low_f32x4(v1));
      a3 = f64x2.add(a3, f64x2.promote_low_f32x4(i32x4.shuffle(v1, v1, 2, 3, 0, 1)));
    }
    const s = f64x2.splat(scale);
    a0 = f64x2.mul(a0, s);
    a1 = f64x2.mul(a1, s);
    a2 = f64x2.mul(a2, s);
    a3 = f64x2.mul(a3, s);
    const o = out + ((<usize>d) << 2);
    store<f32>(o, <f32>f64x2.extract_lane(a0, 0));
    store<f32>(o, <f32>f64x2.extract_lane(a0, 1), 4);
    store<f32>(o, <f32>f64x2.extract_lane(a1, 0), 8);
    store<f32>(o, <f32>f64x2.extract_lane(a1, 1), 12);
    store<f32>(o, <f32>f64x2.extract_lane(a2, 0), 16);
    store<f32>(o, <f32>f64x2.extract_lane(a2, 1), 20);
    store<f32>(o, <f32>f64x2.extract_lane(a3, 0), 24);
    store<f32>(o, <f32>f64x2.extract_lane(a3, 1), 28);
  }
  for (; d < depth; d++) {
    let acc: f64 = 0;
    let p = x + ((<usize>d) << 2);
    const stride = (<usize>depth) << 2;
    for (let r = 0; r < rows; r++, p += stride) acc += <f64>load<f32>(p);
    store<f32>(out + ((<usize>d) << 2), <f32>(acc * scale));
  }
}

function applyOp(op: i32, a: v128, b: v128): v128 {
  if (op === 0) return f32x4.add(a, b);
  if (op === 1) return f32x4.sub(a, b);
  if (op === 2) return f32x4.mul(a, b);
  return f32x4.div(a, b);
}

function applyOpScalar(op: i32, a: f32, b: f32): f32 {
  if (op === 0) return a + b;
  if (op === 1) return a - b;
  if (op === 2) return a * b;
  return a / b;
}

/**
 * A binary op between a `[rows, depth]` matrix and a `[depth]` row broadcast over it (a per-channel op in NHWC):
 * `out = full ∘ row`, or `row ∘ full` when `rowFirst`. op: 0 add, 1 sub, 2 mul, 3 div.
 */
export function binaryRows(full: usize, row: usize, out: usize, rows: i32, depth: i32, op: i32, rowFirst: bool): void {
  const vecDepth = depth & ~3;
  const stride = (<usize>depth) << 2;
  let p = full;
  let q = out;
  for (let r = 0; r < rows; r++, p += stride, q += stride) {
    let d = 0;
    for (; d < vecDepth; d += 4) {
      const o = (<usize>d) << 2;
      const a = v128.load(p + o);
      const b = v128.load(row + o);
      v128.store(q + o, rowFirst ? applyOp(op, b, a) : applyOp(op, a, b));
    }
    for (; d < depth; d++) {
      const o = (<usize>d) << 2;
      const a = load<f32>(p + o);
      const b = load<f32>(row + o);
      store<f32>(q + o, rowFirst ? applyOpScalar(op, b, a) : applyOpScalar(op, a, b));
    }
  }
}

/** A binary op between `size` values and one scalar: `out = x ∘ s`, or `s ∘ x` when `scalarFirst`. */
export function binaryScalar(x: usize, scalar: usize, out: usize, size: i32, op: i32, scalarFirst: bool): void {
  const s1 = load<f32>(scalar);
  const sv = f32x4.splat(s1);
  const vec = size & ~3;
  let i = 0;
  for (; i < vec; i += 4) {
    const o = (<usize>i) << 2;
    const a = v128.load(x + o);
    v128.store(out + o, scalarFirst ? applyOp(op, sv, a) : applyOp(op, a, sv));
  }
  for (; i < size; i++) {
    const o = (<usize>i) << 2;
    const a = load<f32>(x + o);
    store<f32>(out + o, scalarFirst ? applyOpScalar(op, s1, a) : applyOpScalar(op, a, s1));
  }
}

/**
 * A binary op between a `[rows, depth]` matrix and a `[rows]` column broadcast along each row (`[…, c] ∘ […, 1]`,
 * as a per-pixel weight or mask on per-class maps): `out = full ∘ col`, or `col ∘ full` when `colFirst`.
 */
export function binaryCols(full: usize, col: usize, out: usize, rows: i32, depth: i32, op: i32, colFirst: bool): void {
  const vecDepth = depth & ~3;
  const stride = (<usize>depth) << 2;
  let p = full;
  let q = out;
  for (let r = 0; r < rows; r++, p += stride, q += stride) {
    const s1 = load<f32>(col + ((<usize>r) << 2));
    const sv = f32x4.splat(s1);
    let d = 0;
    for (; d < vecDepth; d += 4) {
      const o = (<usize>d) << 2;
      const a = v128.load(p + o);
      v128.store(q + o, colFirst ? applyOp(op, sv, a) : applyOp(op, a, sv));
    }
    for (; d < depth; d++) {
      const o = (<usize>d) << 2;
      const a = load<f32>(p + o);
      store<f32>(q + o, colFirst ? applyOpScalar(op, s1, a) : applyOpScalar(op, a, s1));
    }
  }
}

/**
 * Copies `rows` blocks of `width` 4-byte values from `src` (rows `srcStride` values apart) to `dst` (rows
 * `dstStride` apart): concatenation and splitting along any axis, seen as `[outer, inner]` matrices.
 */
export function copyBlocks(src: usize, srcStride: i32, dst: usize, dstStride: i32, rows: i32, width: i32): void {
  const bytes = (<usize>width) << 2;
  const srcStep = (<usize>srcStride) << 2;
  const dstStep = (<usize>dstStride) << 2;
  let p = src;
  let q = dst;
  if (width >= 16) {
    for (let r = 0; r < rows; r++, p += srcStep, q += dstStep) memory.copy(q, p, bytes);
    return;
  }
  const vec = (<usize>(width & ~3)) << 2;
  for (let r = 0; r < rows; r++, p += srcStep, q += dstStep) {
    let o: usize = 0;
    for (; o < vec; o += 16) v128.store(q + o, v128.load(p + o));
    for (; o < bytes; o += 4) store<u32>(q + o, load<u32>(p + o));
  }
}

/**
 * Batch normalization in NHWC: `out = offset + (x − mean) · factor` per channel, with `factor = scale /
 * sqrt(variance + ε)` precomputed by the caller into `factor` (`[depth]`), `offset` `[depth]`.
 */
export function batchNormRows(
  x: usize,
  mean: usize,
  factor: usize,
  offset: usize,
  out: usize,
  rows: i32,
  depth: i32,
): void {
  const vecDepth = depth & ~3;
  const stride = (<usize>depth) << 2;
  let p = x;
  let q = out;
  for (let r = 0; r < rows; r++, p += stride, q += stride) {
    let d = 0;
    for (; d < vecDepth; d += 4) {
      const o = (<usize>d) << 2;
      const centered = f32x4.sub(v128.load(p + o), v128.load(mean + o));
      v128.store(q + o, f32x4.add(v128.load(offset + o), f32x4.mul(centered, v128.load(factor + o))));
    }
    for (; d < depth; d++) {
      const o = (<usize>d) << 2;
      store<f32>(q + o, load<f32>(offset + o) + (load<f32>(p + o) - load<f32>(mean + o)) * load<f32>(factor + o));
    }
  }
}

/**
 * The two per-channel sums of batch norm's gradient over a `[rows, depth]` layout, accumulated in float64:
 * `sums[d] = Σ_r dy[r, d]` and `sums[depth + d] = Σ_r (x[r, d] − mean[d]) · dy[r, d]`.
 */
export function batchNormGradSums(dy: usize, x: usize, mean: usize, sums: usize, rows: i32, depth: i32): void {
  const stride = (<usize>depth) << 2;
  let d = 0;
  for (; d + 4 <= depth; d += 4) {
    const o = (<usize>d) << 2;
    const mv = v128.load(mean + o);
    let s0 = f64x2.splat(0),
      s1 = f64x2.splat(0),
      t0 = f64x2.splat(0),
      t1 = f64x2.splat(0);
    let p = dy + o;
    let q = x + o;
    for (let r = 0; r < rows; r++, p += stride, q += stride) {
      const g = v128.load(p);
      const c = f32x4.mul(f32x4.sub(v128.load(q), mv), g);
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(g));
      s1 = f64x2.add(s1, f64x2.promote_low_f32x4(i32x4.shuffle(g, g, 2, 3, 0, 1)));
      t0 = f64x2.add(t0, f64x2.promote_low_f32x4(c));
      t1 = f64x2.add(t1, f64x2.promote_low_f32x4(i32x4.shuffle(c, c, 2, 3, 0, 1)));
    }
    const a = sums + o;
    const b = sums + stride + o;
    store<f32>(a, <f32>f64x2.extract_lane(s0, 0));
    store<f32>(a, <f32>f64x2.extract_lane(s0, 1), 4);
    store<f32>(a, <f32>f64x2.extract_lane(s1, 0), 8);
    store<f32>(a, <f32>f64x2.extract_lane(s1, 1), 12);
    store<f32>(b, <f32>f64x2.extract_lane(t0, 0));
    store<f32>(b, <f32>f64x2.extract_lane(t0, 1), 4);
    store<f32>(b, <f32>f64x2.extract_lane(t1, 0), 8);
    store<f32>(b, <f32>f64x2.extract_lane(t1, 1), 12);
  }
  for (; d < depth; d++) {
    const o = (<usize>d) << 2;
    const m = load<f32>(mean + o);
    let s: f64 = 0;
    let t: f64 = 0;
    let p = dy + o;
    let q = x + o;
    for (let r = 0; r < rows; r++, p += stride, q += stride) {
      const g = load<f32>(p);
      s += <f64>g;
      t += <f64>((load<f32>(q) - m) * g);
    }
    store<f32>(sums + o, <f32>s);
    store<f32>(sums + stride + o, <f32>t);
  }
}

/**
 * One Adam step over `size` values, in the exact float32 operation order of tfjs's AdamOptimizer (so results are
 * bit-identical): m' = m·β1 + g·(1−β1); v' = v·β2 + g²·(1−β2); x' = (m'/c1) / (sqrt(v'/c2) + ε) · (−lr) + x, with
 * c1 = 1 − β1ᵗ, c2 = 1 − β2ᵗ. Outputs may alias inputs.
 */
export function adam(
  x: usize,
  g: usize,
  m: usize,
  v: usize,
  xOut: usize,
  mOut: usize,
  vOut: usize,
  size: i32,
  beta1: f32,
  oneMinusBeta1: f32,
  beta2: f32,
  oneMinusBeta2: f32,
  c1: f32,
  c2: f32,
  epsilon: f32,
  negLearningRate: f32,
): void {
  const b1 = f32x4.splat(beta1);
  const k1 = f32x4.splat(oneMinusBeta1);
  const b2 = f32x4.splat(beta2);
  const k2 = f32x4.splat(oneMinusBeta2);
  const c1v = f32x4.splat(c1);
  const c2v = f32x4.splat(c2);
  const ev = f32x4.splat(epsilon);
  const lv = f32x4.splat(negLearningRate);
  const vec = size & ~3;
  let i = 0;
  for (; i < vec; i += 4) {
    const o = (<usize>i) << 2;
    const gv = v128.load(g + o);
    const m1 = f32x4.add(f32x4.mul(v128.load(m + o), b1), f32x4.mul(gv, k1));
    const v1 = f32x4.add(f32x4.mul(v128.load(v + o), b2), f32x4.mul(f32x4.mul(gv, gv), k2));
    const step = f32x4.div(f32x4.div(m1, c1v), f32x4.add(f32x4.sqrt(f32x4.div(v1, c2v)), ev));
    v128.store(xOut + o, f32x4.add(f32x4.mul(step, lv), v128.load(x + o)));
    v128.store(mOut + o, m1);
    v128.store(vOut + o, v1);
  }
  for (; i < size; i++) {
    const o = (<usize>i) << 2;
    const gs = load<f32>(g + o);
    const m1 = load<f32>(m + o) * beta1 + gs * oneMinusBeta1;
    const v1 = load<f32>(v + o) * beta2 + gs * gs * oneMinusBeta2;
    const step = m1 / c1 / (sqrt<f32>(v1 / c2) + epsilon);
    store<f32>(xOut + o, step * negLearningRate + load<f32>(x + o));
    store<f32>(mOut + o, m1);
    store<f32>(vOut + o, v1);
  }
}

/**
 * The input of the filter-gradient convolution: x `[batch, inH, inW, depth]` → `[depth, spanH, spanW, batch]`,
 * shifted by the padding (`top`, `left`) and zero outside x.
 */
export function toChannelMajor(
  x: usize,
  out: usize,
  batch: i32,
  inH: i32,
  inW: i32,
  depth: i32,
  spanH: i32,
  spanW: i32,
  top: i32,
  left: i32,
): void {
  const plane = (<usize>(spanH * spanW * batch)) << 2;
  memory.fill(out, 0, plane * <usize>depth);
  for (let r = 0; r < spanH; r++) {
    const sr = r - top;
    if (sr < 0 || sr >= inH) continue;
    for (let c = 0; c < spanW; c++) {
      const sc = c - left;
      if (sc < 0 || sc >= inW) continue;
      const dst = out + ((<usize>((r * spanW + c) * batch)) << 2);
      for (let b = 0; b < batch; b++) {
        let src = x + ((<usize>(((b * inH + sr) * inW + sc) * depth)) << 2);
        let d = dst + ((<usize>b) << 2);
        for (let k = 0; k < depth; k++, src += 4, d += plane) store<f32>(d, load<f32>(src));
      }
    }
  }
}

/**
 * col2im, the adjoint of im2col: dx `[batch, inH, inW, depth]` = Σ over windows of cols
 * `[batch·outH·outW, filterH·filterW·depth]`, each row added back where its window reads x.
 */
export function col2im(
  cols: usize,
  dx: usize,
  batch: i32,
  inH: i32,
  inW: i32,
  depth: i32,
  outH: i32,
  outW: i32,
  filterH: i32,
  filterW: i32,
  strideH: i32,
  strideW: i32,
  top: i32,
  left: i32,
): void {
  memory.fill(dx, 0, (<usize>(batch * inH * inW * depth)) << 2);
  const vecDepth = depth & ~3;
  let p = cols;
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < outH; i++) {
      for (let j = 0; j < outW; j++) {
        for (let a = 0; a < filterH; a++) {
          const r = i * strideH - top + a;
          for (let c = 0; c < filterW; c++, p += (<usize>depth) << 2) {
            const cc = j * strideW - left + c;
            if (r < 0 || r >= inH || cc < 0 || cc >= inW) continue;
            const q = dx + ((<usize>(((b * inH + r) * inW + cc) * depth)) << 2);
            let d = 0;
            for (; d < vecDepth; d += 4) {
              const o = (<usize>d) << 2;
              v128.store(q + o, f32x4.add(v128.load(q + o), v128.load(p + o)));
            }
            for (; d < depth; d++) {
              const o = (<usize>d) << 2;
              store<f32>(q + o, load<f32>(q + o) + load<f32>(p + o));
            }
          }
        }
      }
    }
  }
}

/**
 * One momentum-SGD step over `size` values in the float32 operation order of tfjs's MomentumOptimizer:
 * a' = m·a + g; x' = c·a' + x, or with Nesterov x' = c·(g + a'·m) + x, where c = −lr. Outputs may alias inputs.
 */
export function momentum(
  x: usize,
  g: usize,
  a: usize,
  xOut: usize,
  aOut: usize,
  size: i32,
  m: f32,
  negLearningRate: f32,
  nesterov: bool,
): void {
  const mv = f32x4.splat(m);
  const cv = f32x4.splat(negLearningRate);
  const vec = size & ~3;
  let i = 0;
  for (; i < vec; i += 4) {
    const o = (<usize>i) << 2;
    const gv = v128.load(g + o);
    const a1 = f32x4.add(f32x4.mul(mv, v128.load(a + o)), gv);
    const step = nesterov ? f32x4.add(gv, f32x4.mul(a1, mv)) : a1;
    v128.store(xOut + o, f32x4.add(f32x4.mul(cv, step), v128.load(x + o)));
    v128.store(aOut + o, a1);
  }
  for (; i < size; i++) {
    const o = (<usize>i) << 2;
    const gs = load<f32>(g + o);
    const a1 = m * load<f32>(a + o) + gs;
    const step = nesterov ? gs + a1 * m : a1;
    store<f32>(xOut + o, negLearningRate * step + load<f32>(x + o));
    store<f32>(aOut + o, a1);
  }
}

/**
 * The filter gradient of a convolution with few taps (fh·fw·inC, e.g. a first layer on grey images), directly:
 * dw[a, c, i, o] = Σ_{b,y,x} x[b, y·sh − top + a, x·sw − left + c, i] · dy[b, y, x, o]. dw `[taps, outC]` stays in
 * L1 while each dy row is read once; output channels four per SIMD lane.
 */
export function filterGradFewTaps(
  x: usize,
  dy: usize,
  dw: usize,
  batch: i32,
  inH: i32,
  inW: i32,
  inC: i32,
  outH: i32,
  outW: i32,
  outC: i32,
  filterH: i32,
  filterW: i32,
  strideH: i32,
  strideW: i32,
  top: i32,
  left: i32,
): void {
  const row = (<usize>outC) << 2;
  memory.fill(dw, 0, <usize>(filterH * filterW * inC) * row);
  const vecC = outC & ~3;
  let g = dy;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < outH; y++) {
      for (let xo = 0; xo < outW; xo++, g += row) {
        for (let a = 0; a < filterH; a++) {
          const r = y * strideH - top + a;
          if (r < 0 || r >= inH) continue;
          for (let c = 0; c < filterW; c++) {
            const cc = xo * strideW - left + c;
            if (cc < 0 || cc >= inW) continue;
            const src = x + ((<usize>(((b * inH + r) * inW + cc) * inC)) << 2);
            let acc = dw + <usize>((a * filterW + c) * inC) * row;
            for (let i = 0; i < inC; i++, acc += row) {
              const xv = load<f32>(src + ((<usize>i) << 2));
              const xs = f32x4.splat(xv);
              let o = 0;
              for (; o < vecC; o += 4) {
                const off = (<usize>o) << 2;
                v128.store(acc + off, f32x4.add(v128.load(acc + off), f32x4.mul(xs, v128.load(g + off))));
              }
              for (; o < outC; o++) {
                const off = (<usize>o) << 2;
                store<f32>(acc + off, load<f32>(acc + off) + xv * load<f32>(g + off));
              }
            }
          }
        }
      }
    }
  }
}

/**
 * The filter gradient of a convolution with many taps, register-blocked: `dW[a, c, i, o] = Σ_{b,y,x} x[b, y·sh +
 * a − top, x·sw + c − left, i] · dy[b, y, x, o]`, each 4 (input channel) × 8 (output channel) tile of dW held in
 * eight SIMD registers while it sweeps batch b's positions. `outC` must be a multiple of 4 and dw zeroed by the
 * caller. Work units are (tap, 8-column block) pairs: this call does those with `unit % parts == part`, so that
 * `parts` threads can share one gradient without overlapping writes.
 */
export function filterGradTiled(
  x: usize,
  dy: usize,
  dw: usize,
  batch: i32,
  inH: i32,
  inW: i32,
  inC: i32,
  outH: i32,
  outW: i32,
  outC: i32,
  filterH: i32,
  filterW: i32,
  strideH: i32,
  strideW: i32,
  top: i32,
  left: i32,
  part: i32,
  parts: i32,
): void {
  const oBlocks = (outC + 7) >> 3;
  const units = filterH * filterW * oBlocks;
  const rowBytes = (<usize>outC) << 2;
  const xStep = (<usize>(strideW * inC)) << 2;
  const xRow = (<usize>(inW * inC)) << 2;
  const gRow = (<usize>(outW * outC)) << 2;
  for (let b = 0; b < batch; b++) {
    const xImage = x + ((<usize>(b * inH * inW * inC)) << 2);
    const gImage = dy + ((<usize>(b * outH * outW * outC)) << 2);
    for (let u = part; u < units; u += parts) {
      const tap = u / oBlocks;
      const o0 = (u - tap * oBlocks) << 3;
      const a = tap / filterW;
      const c = tap - a * filterW;
      // Output columns whose tap-c input column lies inside x: xo·sw − left + c ∈ [0, inW).
      const lo = left - c;
      const xo0 = lo <= 0 ? 0 : (lo + strideW - 1) / strideW;
      const hiCol = inW - 1 + left - c;
      if (hiCol < 0) continue;
      let xo1 = hiCol / strideW + 1;
      if (xo1 > outW) xo1 = outW;
      if (xo1 <= xo0) continue;
      const wide = outC - o0 >= 8;
      const colOffset = xo0 * strideW - left + c;
      const gBase = gImage + ((<usize>(xo0 * outC + o0)) << 2);
      let acc = dw + ((<usize>(tap * inC * outC + o0)) << 2);
      let i0 = 0;
      for (; i0 + 4 <= inC; i0 += 4, acc += rowBytes << 2) {
        const xBase = xImage + ((<usize>(colOffset * inC + i0)) << 2);
        if (wide) tile4x8(xBase, gBase, acc, rowBytes, xStep, xRow, gRow, inH, outH, strideH, a - top, xo1 - xo0);
        else tile4x4(xBase, gBase, acc, rowBytes, xStep, xRow, gRow, inH, outH, strideH, a - top, xo1 - xo0);
      }
      for (; i0 < inC; i0++, acc += rowBytes) {
        const xBase = xImage + ((<usize>(colOffset * inC + i0)) << 2);
        tile1x8(xBase, gBase, acc, wide, rowBytes, xStep, xRow, gRow, inH, outH, strideH, a - top, xo1 - xo0);
      }
    }
  }
}

// The tiles of filterGradTiled. xBase: x at row 0 of the image, the tap's first valid column, channel i0; gBase:
// dy at row 0, the first valid output column, channel o0; acc: dW at (tap, i0, o0). Row y reads x row y·sh + shift.
function tile4x8(
  xBase: usize,
  gBase: usize,
  acc: usize,
  rowBytes: usize,
  xStep: usize,
  xRow: usize,
  gRow: usize,
  inH: i32,
  outH: i32,
  strideH: i32,
  shift: i32,
  count: i32,
): void {
  let a00 = v128.load(acc);
  let a01 = v128.load(acc, 16);
  let a10 = v128.load(acc + rowBytes);
  let a11 = v128.load(acc + rowBytes, 16);
  let a20 = v128.load(acc + rowBytes * 2);
  let a21 = v128.load(acc + rowBytes * 2, 16);
  let a30 = v128.load(acc + rowBytes * 3);
  let a31 = v128.load(acc + rowBytes * 3, 16);
  for (let y = 0; y < outH; y++) {
    const r = y * strideH + shift;
    if (r < 0 || r >= inH) continue;
    let xs = xBase + <usize>r * xRow;
    let g = gBase + <usize>y * gRow;
    for (let k = 0; k < count; k++, xs += xStep, g += rowBytes) {
      const d0 = v128.load(g);
      const d1 = v128.load(g, 16);
      let s = v128.load32_splat(xs);
      a00 = f32x4.add(a00, f32x4.mul(s, d0));
      a01 = f32x4.add(a01, f32x4.mul(s, d1));
      s = v128.load32_splat(xs, 4);
      a10 = f32x4.add(a10, f32x4.mul(s, d0));
      a11 = f32x4.add(a11, f32x4.mul(s, d1));
      s = v128.load32_splat(xs, 8);
      a20 = f32x4.add(a20, f32x4.mul(s, d0));
      a21 = f32x4.add(a21, f32x4.mul(s, d1));
      s = v128.load32_splat(xs, 12);
      a30 = f32x4.add(a30, f32x4.mul(s, d0));
      a31 = f32x4.add(a31, f32x4.mul(s, d1));
    }
  }
  v128.store(acc, a00);
  v128.store(acc, a01, 16);
  v128.store(acc + rowBytes, a10);
  v128.store(acc + rowBytes, a11, 16);
  v128.store(acc + rowBytes * 2, a20);
  v128.store(acc + rowBytes * 2, a21, 16);
  v128.store(acc + rowBytes * 3, a30);
  v128.store(acc + rowBytes * 3, a31, 16);
}

function tile4x4(
  xBase: usize,
  gBase: usize,
  acc: usize,
  rowBytes: usize,
  xStep: usize,
  xRow: usize,
  gRow: usize,
  inH: i32,
  outH: i32,
  strideH: i32,
  shift: i32,
  count: i32,
): void {
  let a0 = v128.load(acc);
  let a1 = v128.load(acc + rowBytes);
  let a2 = v128.load(acc + rowBytes * 2);
  let a3 = v128.load(acc + rowBytes * 3);
  for (let y = 0; y < outH; y++) {
    const r = y * strideH + shift;
    if (r < 0 || r >= inH) continue;
    let xs = xBase + <usize>r * xRow;
    let g = gBase + <usize>y * gRow;
    for (let k = 0; k < count; k++, xs += xStep, g += rowBytes) {
      const d = v128.load(g);
      a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(xs), d));
      a1 = f32x4.add(a1, f32x4.mul(v128.load32_splat(xs, 4), d));
      a2 = f32x4.add(a2, f32x4.mul(v128.load32_splat(xs, 8), d));
      a3 = f32x4.add(a3, f32x4.mul(v128.load32_splat(xs, 12), d));
    }
  }
  v128.store(acc, a0);
  v128.store(acc + rowBytes, a1);
  v128.store(acc + rowBytes * 2, a2);
  v128.store(acc + rowBytes * 3, a3);
}

/** One input channel against 8 (wide) or 4 output channels. */
function tile1x8(
  xBase: usize,
  gBase: usize,
  acc: usize,
  wide: bool,
  rowBytes: usize,
  xStep: usize,
  xRow: usize,
  gRow: usize,
  inH: i32,
  outH: i32,
  strideH: i32,
  shift: i32,
  count: i32,
): void {
  let a0 = v128.load(acc);
  let a1 = wide ? v128.load(acc, 16) : f32x4.splat(0);
  for (let y = 0; y < outH; y++) {
    const r = y * strideH + shift;
    if (r < 0 || r >= inH) continue;
    let xs = xBase + <usize>r * xRow;
    let g = gBase + <usize>y * gRow;
    if (wide) {
      for (let k = 0; k < count; k++, xs += xStep, g += rowBytes) {
        const s = v128.load32_splat(xs);
        a0 = f32x4.add(a0, f32x4.mul(s, v128.load(g)));
        a1 = f32x4.add(a1, f32x4.mul(s, v128.load(g, 16)));
      }
    } else {
      for (let k = 0; k < count; k++, xs += xStep, g += rowBytes) {
        a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(xs), v128.load(g)));
      }
    }
  }
  v128.store(acc, a0);
  if (wide) v128.store(acc, a1, 16);
}
