import { OptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import type { DropRule } from './sample.js';
import { type Affine, applyAffine, composeAffine, IDENTITY, invertAffine } from './warp.js';

// Why the batch path runs in plain JavaScript (measured on the tfjs wasm and cpu backends, 128×28×28×1 images):
// the earlier warp built a sampling grid and did four `tf.gather`s with bounds masks, some 40 small tensor ops
// per transform, and took ~80 ms per bilinear transform per batch (a horizontal flip included), more than a
// whole training step of the reference CNN. A batch of small images is ~100k–400k values, so reading it once
// (`dataSync`), running every per-image step in tight typed-array loops, and uploading the result once costs
// a few milliseconds. It uses no backend kernel at all, so it runs on every backend (tfjs has no `Transform`
// kernel on cpu/wasm); on a GPU backend `dataSync` is one read-back per batch.

/** One image's pixels on the host: interleaved channels, row-major (`[height, width, channels]`). */
export interface HostImage {
  data: Float32Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

/** One geometric step for one image: where each output pixel comes from, and how it is sampled. */
export interface WarpStage {
  /** Output → input continuous pixel coordinates (pixel `i` covers `[i, i + 1)`). */
  readonly inverse: Affine;
  readonly width: number;
  readonly height: number;
  readonly interpolation: 'nearest' | 'bilinear';
  /** The value of pixels that come from outside the input, in the batch's value scale. */
  readonly fill: number;
}

/**
 * A geometric step of one image. Steps of geometric transforms also carry how they move targets: `forward`
 * (input → output coordinates) and the box drop `rule`, which `augmentBatchWithTargets` reads; pixels ignore them.
 */
export interface HostWarpOp {
  readonly kind: 'warp';
  readonly stage: WarpStage;
  readonly forward?: Affine;
  readonly rule?: DropRule;
}

/** One per-image step of a batch: a geometric stage, or an in-place pixel change. */
export type HostOp = HostWarpOp | HostPixelOp;

export interface HostPixelOp {
  readonly kind: 'pixel';
  apply(image: HostImage): void;
}

/** A stage placed on its input canvas; lattice stages (see {@link latticeOf}) carry their exact integer matrix. */
interface PlacedStage extends WarpStage {
  readonly inWidth: number;
  readonly inHeight: number;
  /** The exact integer matrix when the stage maps pixel centres onto pixel centres, else `null`. */
  readonly lattice: Affine | null;
}

/**
 * The exact matrix of a map that sends pixel centres to pixel centres (flips, whole-pixel shifts and crops,
 * quarter turns whose centre is on the lattice), or `null`. Such a stage only moves values: any interpolation
 * of it is exact, so it can be folded into a neighbouring stage without changing a single output value.
 */
export function latticeOf(m: Affine): Affine | null {
  const snapped = m.map(Math.round) as unknown as Affine;
  for (let k = 0; k < 6; k++) if (Math.abs((m[k] as number) - (snapped[k] as number)) > 1e-9) return null;
  const [a, b, , d, e] = snapped;
  const unit = (v: number) => v === 1 || v === -1;
  const permutation = (unit(a) && b === 0 && d === 0 && unit(e)) || (a === 0 && unit(b) && unit(d) && e === 0);
  return permutation ? snapped : null;
}

/**
 * Splits a run of geometric stages into segments that each hold at most one interpolating stage; lattice stages
 * join the current segment. Each segment is one sampling pass, and gives exactly what applying its stages one by
 * one gives (canvas bounds and fills of every stage are kept), so fusing never changes the result.
 */
function segments(stages: readonly PlacedStage[]): PlacedStage[][] {
  const out: PlacedStage[][] = [];
  let current: PlacedStage[] = [];
  let interpolating = false;
  for (const stage of stages) {
    if (stage.lattice === null) {
      if (interpolating) {
        out.push(current);
        current = [];
      }
      interpolating = true;
    }
    current.push(stage);
  }
  if (current.length > 0) out.push(current);
  return out;
}

// Scratch buffers, grown as needed and reused across calls (JavaScript runs this single-threaded).
let scratchTable = new Int32Array(0);
let scratchSource = new Float32Array(0);

/**
 * Packs lattice stages `from`..`to` (inclusive, walked backwards: output side first) as `[a, b, c, d, e, f, inWidth,
 * inHeight, stageIndex]` rows of a Float64Array, so the per-pixel loops read one monomorphic array.
 */
function packChain(stages: readonly PlacedStage[], from: number, to: number): Float64Array {
  const rows = Math.max(0, to - from + 1);
  const packed = new Float64Array(rows * 9);
  for (let r = 0; r < rows; r++) {
    const k = to - r;
    const s = stages[k] as PlacedStage;
    packed.set(s.lattice as Affine, r * 9);
    packed[r * 9 + 6] = s.inWidth;
    packed[r * 9 + 7] = s.inHeight;
    packed[r * 9 + 8] = k;
  }
  return packed;
}

/**
 * Fills `lookup` (a `tableWidth × tableHeight` canvas) with the source pixel index each pixel comes from through
 * a chain of lattice stages (packed by {@link packChain}), or `pixels + k` when it left stage `k`'s input canvas
 * (the first such stage from the output side, as running the stages one by one would find). The chain composes
 * to one signed permutation plus an integer shift, and each stage's canvas pulls back to an axis-aligned
 * rectangle, so every row is one run of consecutive source indices between per-pixel fills at its ends.
 */
function latticeTable(
  lookup: Int32Array,
  chain: Float64Array,
  tableWidth: number,
  tableHeight: number,
  srcWidth: number,
  pixels: number,
): void {
  let m: Affine = [1, 0, 0, 0, 1, 0];
  const rects: number[] = [];
  for (let r = 0; r < chain.length; r += 9) {
    m = composeAffine(Array.from(chain.subarray(r, r + 6)) as unknown as Affine, m);
    const back = invertAffine(m);
    const [x1, y1] = applyAffine(back, 0, 0);
    const [x2, y2] = applyAffine(back, chain[r + 6] as number, chain[r + 7] as number);
    rects.push(
      Math.round(Math.min(x1, x2)),
      Math.round(Math.max(x1, x2)),
      Math.round(Math.min(y1, y2)),
      Math.round(Math.max(y1, y2)),
      pixels + (chain[r + 8] as number),
    );
  }
  const [m0, m1, m2, m3, m4, m5] = m;
  const step = m3 * srcWidth + m0;
  for (let ty = 0; ty < tableHeight; ty++) {
    let lo = 0;
    let hi = tableWidth;
    for (let q = 0; q < rects.length; q += 5) {
      if (ty < (rects[q + 2] as number) || ty >= (rects[q + 3] as number)) hi = lo;
      lo = Math.max(lo, rects[q] as number);
      hi = Math.min(hi, rects[q + 1] as number);
    }
    const rowStart = ty * tableWidth;
    // Outside the run: the fill of the first stage (from the output side) whose canvas the pixel left.
    for (let tx = 0; tx < tableWidth; tx++) {
      if (tx >= lo && tx < hi) {
        tx = hi - 1;
        continue;
      }
      for (let q = 0; q < rects.length; q += 5) {
        if (tx < (rects[q] as number) || tx >= (rects[q + 1] as number)) {
          lookup[rowStart + tx] = rects[q + 4] as number;
          break;
        }
        if (ty < (rects[q + 2] as number) || ty >= (rects[q + 3] as number)) {
          lookup[rowStart + tx] = rects[q + 4] as number;
          break;
        }
      }
    }
    if (lo >= hi) continue;
    const x = m0 * (lo + 0.5) + m1 * (ty + 0.5) + m2;
    const y = m3 * (lo + 0.5) + m4 * (ty + 0.5) + m5;
    let index = Math.round(y - 0.5) * srcWidth + Math.round(x - 0.5);
    for (let tx = lo; tx < hi; tx++) {
      lookup[rowStart + tx] = index;
      index += step;
    }
  }
}

/**
 * One sampling pass: `left` lattice stages, then at most one interpolating `middle` stage, then `right` lattice
 * stages. The source is copied into a scratch buffer followed by one pixel per stage holding that stage's fill,
 * so every lookup is a plain index: the lattice stages before the middle become a table of source pixel indices
 * over the middle's input canvas (a pixel that leaves some stage's canvas points at that stage's fill pixel), and
 * the ones after it map each output pixel back onto the middle's output canvas. Writes into `target` (large
 * enough; it may be the buffer `src` lives in).
 */
function runSegment(src: HostImage, stages: readonly PlacedStage[], target: Float32Array): HostImage {
  const channels = src.channels;
  const middleIndex = stages.findIndex((s) => s.lattice === null);
  const last = stages[stages.length - 1] as PlacedStage;
  const outWidth = last.width;
  const outHeight = last.height;
  // `target` may hold `src` itself: the source is copied to the scratch buffer before anything is written.
  const out = target.subarray(0, outWidth * outHeight * channels);

  const pixels = src.width * src.height;
  const sourceLength = (pixels + stages.length) * channels;
  if (scratchSource.length < sourceLength) scratchSource = new Float32Array(sourceLength);
  const source = scratchSource;
  source.set(src.data.subarray(0, pixels * channels));
  stages.forEach((s, k) => {
    source.fill(s.fill, (pixels + k) * channels, (pixels + k + 1) * channels);
  });

  // Lattice stages before the middle (all of them when there is no middle): a table over their output canvas.
  const leftEnd = middleIndex < 0 ? stages.length : middleIndex;
  const tableWidth = leftEnd === 0 ? src.width : (stages[leftEnd - 1] as PlacedStage).width;
  const tableHeight = leftEnd === 0 ? src.height : (stages[leftEnd - 1] as PlacedStage).height;
  // No lattice stage before the middle: the table is the identity, so taps index the source directly.
  const direct = leftEnd === 0;
  if (scratchTable.length < tableWidth * tableHeight) scratchTable = new Int32Array(tableWidth * tableHeight);
  const lookup = scratchTable;
  if (!direct) latticeTable(lookup, packChain(stages, 0, leftEnd - 1), tableWidth, tableHeight, src.width, pixels);

  if (middleIndex < 0) {
    for (let p = 0; p < outWidth * outHeight; p++) {
      const from = (lookup[p] as number) * channels;
      for (let ch = 0; ch < channels; ch++) out[p * channels + ch] = source[from + ch] as number;
    }
    return { data: out, width: outWidth, height: outHeight, channels };
  }

  const middle = stages[middleIndex] as PlacedStage;
  const [a, b, c, d, e, f] = middle.inverse;
  const bilinear = middle.interpolation === 'bilinear';
  const middleFill = (pixels + middleIndex) * channels;
  // Index (times channels) of tap (tx, ty) on the middle's input canvas.
  const tap = (tx: number, ty: number): number => {
    if (tx < 0 || tx >= tableWidth || ty < 0 || ty >= tableHeight) return middleFill;
    const index = ty * tableWidth + tx;
    return (direct ? index : (lookup[index] as number)) * channels;
  };

  const rightChain = packChain(stages, middleIndex + 1, stages.length - 1);
  const hasRight = rightChain.length > 0;
  const row = tableWidth * channels;
  for (let v = 0; v < outHeight; v++) {
    for (let u = 0; u < outWidth; u++) {
      const o = (v * outWidth + u) * channels;
      let x = u + 0.5;
      let y = v + 0.5;
      if (hasRight) {
        // Lattice stages after the middle: back to a pixel centre of the middle's output canvas.
        let left = -1;
        for (let r = 0; r < rightChain.length; r += 9) {
          const nx = (rightChain[r] as number) * x + (rightChain[r + 1] as number) * y + (rightChain[r + 2] as number);
          const ny =
            (rightChain[r + 3] as number) * x + (rightChain[r + 4] as number) * y + (rightChain[r + 5] as number);
          if (!(nx >= 0 && nx < (rightChain[r + 6] as number) && ny >= 0 && ny < (rightChain[r + 7] as number))) {
            left = rightChain[r + 8] as number;
            break;
          }
          x = nx;
          y = ny;
        }
        if (left >= 0) {
          const from = (pixels + left) * channels;
          for (let ch = 0; ch < channels; ch++) out[o + ch] = source[from + ch] as number;
          continue;
        }
      }
      const px = a * x + b * y + c;
      const py = d * x + e * y + f;
      if (!bilinear) {
        const from = tap(Math.floor(px), Math.floor(py));
        for (let ch = 0; ch < channels; ch++) out[o + ch] = source[from + ch] as number;
        continue;
      }
      const sx = px - 0.5;
      const sy = py - 0.5;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const wx = sx - x0;
      const wy = sy - y0;
      let t00: number;
      let t10: number;
      let t01: number;
      let t11: number;
      if (x0 >= 0 && x0 + 1 < tableWidth && y0 >= 0 && y0 + 1 < tableHeight) {
        // All four taps inside the middle's input canvas: no bounds checks.
        const i00 = y0 * tableWidth + x0;
        if (direct) {
          t00 = i00 * channels;
          t10 = t00 + channels;
          t01 = t00 + row;
          t11 = t01 + channels;
        } else {
          t00 = (lookup[i00] as number) * channels;
          t10 = (lookup[i00 + 1] as number) * channels;
          t01 = (lookup[i00 + tableWidth] as number) * channels;
          t11 = (lookup[i00 + tableWidth + 1] as number) * channels;
        }
      } else {
        t00 = tap(x0, y0);
        t10 = tap(x0 + 1, y0);
        t01 = tap(x0, y0 + 1);
        t11 = tap(x0 + 1, y0 + 1);
      }
      for (let ch = 0; ch < channels; ch++) {
        const top = (source[t00 + ch] as number) * (1 - wx) + (source[t10 + ch] as number) * wx;
        const bottom = (source[t01 + ch] as number) * (1 - wx) + (source[t11 + ch] as number) * wx;
        out[o + ch] = top * (1 - wy) + bottom * wy;
      }
    }
  }
  return { data: out, width: outWidth, height: outHeight, channels };
}

/** Applies pending geometric stages to an image, into `target`: one pass per segment (see {@link segments}). */
function warpStages(image: HostImage, stages: readonly PlacedStage[], target: Float32Array): HostImage {
  let current = image;
  for (const segment of segments(stages)) current = runSegment(current, segment, target);
  return current;
}

// The per-image working buffer of runHostBatch, grown as needed and reused.
let scratchWork = new Float32Array(0);

/**
 * Runs per-image host ops on a `[batch, h, w, c]` tensor: reads it once, runs each image's ops (consecutive
 * geometric stages fused into as few sampling passes as is exact), and uploads one `[batch, H, W, c]` float
 * tensor of size `out`. Images without ops are copied as they are. When no image has an op, returns a clone.
 */
export function runHostBatch(
  xs: tf.Tensor4D,
  opsFor: (index: number) => readonly HostOp[],
  out: { readonly width: number; readonly height: number },
): tf.Tensor4D {
  const [batch, height, width, channels] = xs.shape;
  const ops = Array.from({ length: batch }, (_, i) => opsFor(i));
  if (ops.every((list) => list.length === 0)) return tf.tidy(() => tf.clone(xs));
  const raw = xs.dataSync();
  const input = raw instanceof Float32Array ? raw : Float32Array.from(raw as ArrayLike<number>);
  const inPer = height * width * channels;
  const outPer = out.height * out.width * channels;
  const result = new Float32Array(batch * outPer);
  // The largest canvas any image passes through, for the working buffer.
  let largest = Math.max(inPer, outPer);
  for (const list of ops) {
    for (const op of list) {
      if (op.kind === 'warp') largest = Math.max(largest, op.stage.width * op.stage.height * channels);
    }
  }
  if (scratchWork.length < largest) scratchWork = new Float32Array(largest);
  const work = scratchWork;
  ops.forEach((list, i) => {
    // The image starts as a view of the input (never written); warps and pixel steps then work in `work`.
    let image: HostImage = { data: input.subarray(i * inPer, (i + 1) * inPer), width, height, channels };
    let owned = false;
    let pending: PlacedStage[] = [];
    const flush = () => {
      if (pending.length === 0) return;
      image = warpStages(image, pending, work);
      owned = true;
      pending = [];
    };
    let size = { width, height };
    for (const op of list) {
      if (op.kind === 'warp') {
        const { stage } = op;
        pending.push({ ...stage, inWidth: size.width, inHeight: size.height, lattice: latticeOf(stage.inverse) });
        size = { width: stage.width, height: stage.height };
        continue;
      }
      flush();
      if (!owned) {
        work.set(image.data);
        image = { ...image, data: work.subarray(0, image.data.length) };
        owned = true;
      }
      op.apply(image);
    }
    flush();
    if (image.width !== out.width || image.height !== out.height) {
      throw new OptikError('INTERNAL', `Image ${i} of the batch came out ${image.width}×${image.height}.`, {
        received: { expected: [out.width, out.height] },
      });
    }
    result.set(image.data, i * outPer);
  });
  return tf.tidy(() => tf.tensor4d(result, [batch, out.height, out.width, channels]));
}

/**
 * Warps a batch of images, each with its own affine map, on the host (typed-array loops; see `host.ts` for why
 * this beats tensor gathers and runs on every backend). `inverse[i]` maps output coordinates of image `i` to its
 * input coordinates. Pixels that fall outside the input take `fill`. Returns a float tensor.
 */
export function warpAffine(
  xs: tf.Tensor4D,
  inverse: readonly Affine[],
  outHeight: number,
  outWidth: number,
  interpolation: 'nearest' | 'bilinear',
  fill: number,
): tf.Tensor4D {
  const batch = xs.shape[0];
  if (inverse.length !== batch) {
    throw new OptikError('INTERNAL', `warpAffine needs one matrix per image (${batch}).`, {
      received: inverse.length,
    });
  }
  return runHostBatch(
    xs,
    (i) => [
      {
        kind: 'warp',
        stage: { inverse: inverse[i] ?? IDENTITY, width: outWidth, height: outHeight, interpolation, fill },
      },
    ],
    { width: outWidth, height: outHeight },
  );
}
