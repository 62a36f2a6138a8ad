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
    store<f32>(out + ((<usize>d) << 2), <f32>acc);
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
 * im2col: x `[batch, inH, inW, depth]` → `[batch·outH·outW, filterH·filterW·depth]`, zero where the window leaves x.
 */
export function im2col(
  x: usize,
  out: usize,
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
  const row = (<usize>depth) << 2;
  let p = out;
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < outH; i++) {
      for (let j = 0; j < outW; j++) {
        for (let a = 0; a < filterH; a++) {
          const r = i * strideH - top + a;
          for (let c = 0; c < filterW; c++, p += row) {
            const cc = j * strideW - left + c;
            if (r < 0 || r >= inH || cc < 0 || cc >= inW) memory.fill(p, 0, row);
            else if (depth === 1) store<f32>(p, load<f32>(x + ((<usize>((b * inH + r) * inW + cc)) << 2)));
            else memory.copy(p, x + ((<usize>(((b * inH + r) * inW + cc) * depth)) << 2), row);
          }
        }
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
