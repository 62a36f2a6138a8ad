/**
 * Grayscale resampling in plain JavaScript, so that generated datasets are byte-identical on every machine (a
 * native resizer's output may change with its version). The filter is Pillow's antialiased bilinear
 * (`Image.resize(…, BILINEAR)`, `libImaging/Resample.c`): a triangle whose support widens by the scale factor
 * when shrinking, so downscaled pixels average their whole footprint instead of aliasing.
 */

/** Gray pixels, row-major, one byte each. */
export interface GrayImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

interface Taps {
  readonly first: Int32Array;
  readonly count: Int32Array;
  readonly weights: Float64Array;
  readonly stride: number;
}

const tapCache = new Map<string, Taps>();

/** Filter taps mapping input positions `[start, start + span)` (within `[0, limit)`) onto `out` pixels. */
function taps(start: number, span: number, out: number, limit: number): Taps {
  const key = `${start},${span},${out},${limit}`;
  const hit = tapCache.get(key);
  if (hit !== undefined) return hit;
  const scale = span / out;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const stride = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(out);
  const count = new Int32Array(out);
  const weights = new Float64Array(out * stride);
  for (let o = 0; o < out; o++) {
    const center = start + (o + 0.5) * scale;
    const lo = Math.max(Math.floor(center - support + 0.5), 0);
    const hi = Math.min(Math.floor(center + support + 0.5), limit);
    let total = 0;
    const n = Math.min(hi - lo, stride);
    for (let k = 0; k < n; k++) {
      const w = Math.max(0, 1 - Math.abs((lo + k - center + 0.5) / filterScale));
      weights[o * stride + k] = w;
      total += w;
    }
    if (total > 0) for (let k = 0; k < n; k++) weights[o * stride + k] = (weights[o * stride + k] as number) / total;
    first[o] = lo;
    count[o] = n;
  }
  const result = { first, count, weights, stride };
  if (tapCache.size > 4096) tapCache.clear();
  tapCache.set(key, result);
  return result;
}

/**
 * Resamples the square-or-not region `(x, y, width, height)` of `src` to `outWidth × outHeight`, optionally
 * mirrored left–right. Pixels outside the region but inside the image take part in the filter at its edges.
 */
export function resampleGray(
  src: GrayImage,
  region: { x: number; y: number; width: number; height: number },
  outWidth: number,
  outHeight: number,
  flip = false,
): Uint8Array {
  const h = taps(region.x, region.width, outWidth, src.width);
  const v = taps(region.y, region.height, outHeight, src.height);
  let rowLo = src.height;
  let rowHi = 0;
  for (let o = 0; o < outHeight; o++) {
    rowLo = Math.min(rowLo, v.first[o] as number);
    rowHi = Math.max(rowHi, (v.first[o] as number) + (v.count[o] as number));
  }
  const rows = Math.max(rowHi - rowLo, 0);
  const tmp = new Float64Array(rows * outWidth);
  const data = src.data;
  const srcWidth = src.width;
  const { first: hFirst, count: hCount, weights: hWeights, stride: hStride } = h;
  for (let r = 0; r < rows; r++) {
    const base = (rowLo + r) * srcWidth;
    const row = r * outWidth;
    for (let o = 0; o < outWidth; o++) {
      const start = base + (hFirst[o] as number);
      const n = hCount[o] as number;
      const w = o * hStride;
      let sum = 0;
      for (let k = 0; k < n; k++) sum += (data[start + k] as number) * (hWeights[w + k] as number);
      tmp[row + (flip ? outWidth - 1 - o : o)] = sum;
    }
  }
  const out = new Uint8Array(outWidth * outHeight);
  const { first: vFirst, count: vCount, weights: vWeights, stride: vStride } = v;
  const line = new Float64Array(outWidth);
  for (let o = 0; o < outHeight; o++) {
    const lo = (vFirst[o] as number) - rowLo;
    const n = vCount[o] as number;
    line.fill(0);
    for (let k = 0; k < n; k++) {
      const weight = vWeights[o * vStride + k] as number;
      const row = (lo + k) * outWidth;
      for (let x = 0; x < outWidth; x++) line[x] = (line[x] as number) + (tmp[row + x] as number) * weight;
    }
    const at = o * outWidth;
    for (let x = 0; x < outWidth; x++) out[at + x] = Math.min(255, Math.max(0, Math.round(line[x] as number)));
  }
  return out;
}
