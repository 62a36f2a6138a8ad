import { OptikError } from './errors.js';

/**
 * A binary mask in COCO's run-length encoding: `size` is `[height, width]`, `counts` are run lengths over the
 * pixels in **column-major** order (down the first column, then the next), alternating 0-runs and 1-runs and
 * starting with a (possibly empty) 0-run — the uncompressed form of a COCO `segmentation`.
 *
 * @example
 * ```ts
 * // 3×2 mask, row-major [[0, 1], [1, 1], [0, 0]]: column 0 is 0,1,0; column 1 is 1,1,0.
 * const rle: Rle = { size: [3, 2], counts: [1, 1, 1, 2, 1] };
 * ```
 */
export interface Rle {
  readonly size: readonly [height: number, width: number];
  readonly counts: readonly number[];
}

function checkSize(height: number, width: number, what: string): void {
  if (!(Number.isSafeInteger(height) && Number.isSafeInteger(width) && height >= 0 && width >= 0)) {
    throw new OptikError('ARGUMENT_INVALID', `${what}: height and width must be non-negative integers.`, {
      received: { height, width },
    });
  }
}

/** Checks an RLE's shape and that its runs cover exactly height × width pixels. */
function checkRle(rle: Rle, what: string): void {
  const size = rle?.size;
  if (!Array.isArray(size) || size.length !== 2 || !Array.isArray(rle.counts)) {
    throw new OptikError('DATA_FORMAT', `${what}: not an RLE { size: [height, width], counts: number[] }.`, {
      received: rle,
      hint: 'Decode a compressed COCO string with rleFromString first.',
    });
  }
  checkSize(size[0], size[1], what);
  let total = 0;
  for (const run of rle.counts) {
    if (!(Number.isSafeInteger(run) && run >= 0)) {
      throw new OptikError('DATA_FORMAT', `${what}: RLE counts must be non-negative integers.`, { received: run });
    }
    total += run;
  }
  if (total !== size[0] * size[1]) {
    throw new OptikError(
      'DATA_FORMAT',
      `${what}: the RLE runs cover ${total} pixels, the ${size[0]}×${size[1]} (height×width) mask has ${size[0] * size[1]}.`,
      { hint: 'Check that size is [height, width] (COCO order), not [width, height].' },
    );
  }
}

/**
 * Run-length encodes a row-major mask (`data[y * width + x]`, as `Mask` from `@optik/core`; any non-zero value is
 * foreground) into COCO's column-major {@link Rle}, like pycocotools `mask.encode`.
 *
 * @example
 * ```ts
 * rleEncode(new Uint8Array([0, 1, 1, 1, 0, 0]), 3, 2); // { size: [3, 2], counts: [1, 1, 1, 2, 1] }
 * ```
 */
export function rleEncode(mask: Uint8Array, height: number, width: number): Rle {
  checkSize(height, width, 'rleEncode');
  if (!(mask instanceof Uint8Array) || mask.length !== height * width) {
    throw new OptikError('ARGUMENT_INVALID', `rleEncode: the mask must be a Uint8Array of height × width values.`, {
      received: { length: (mask as { length?: unknown } | undefined)?.length, height, width },
    });
  }
  const counts: number[] = [];
  let current = 0;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const value = mask[y * width + x] === 0 ? 0 : 1;
      if (value !== current) {
        counts.push(run);
        run = 0;
        current = value;
      }
      run++;
    }
  }
  counts.push(run);
  return { size: [height, width], counts };
}

/**
 * Decodes an {@link Rle} to a row-major 0/1 mask of `height × width` bytes (`data[y * width + x]`). Throws a
 * `DATA_FORMAT` error when the runs do not cover the mask exactly.
 *
 * @example
 * ```ts
 * rleDecode({ size: [3, 2], counts: [1, 1, 1, 2, 1] }); // Uint8Array [0, 1, 1, 1, 0, 0]
 * ```
 */
export function rleDecode(rle: Rle): Uint8Array {
  checkRle(rle, 'rleDecode');
  const [height, width] = rle.size;
  const out = new Uint8Array(height * width);
  let pos = 0;
  rle.counts.forEach((run, i) => {
    if (i % 2 === 1) {
      for (let p = pos; p < pos + run; p++) out[(p % height) * width + Math.floor(p / height)] = 1;
    }
    pos += run;
  });
  return out;
}

/**
 * Number of foreground pixels of an {@link Rle} (pycocotools `mask.area`).
 *
 * @example
 * ```ts
 * rleArea({ size: [3, 2], counts: [1, 1, 1, 2, 1] }); // 3
 * ```
 */
export function rleArea(rle: Rle): number {
  checkRle(rle, 'rleArea');
  let area = 0;
  for (let i = 1; i < rle.counts.length; i += 2) area += rle.counts[i] as number;
  return area;
}

/**
 * The tight box `[x, y, width, height]` around an {@link Rle}'s foreground pixels, in whole pixels (a single pixel
 * at column 2, row 5 gives `[2, 5, 1, 1]`), like pycocotools `mask.toBbox`; `[0, 0, 0, 0]` for an empty mask.
 *
 * @example
 * ```ts
 * rleToBbox({ size: [3, 2], counts: [1, 1, 1, 2, 1] }); // [0, 0, 2, 2]
 * ```
 */
export function rleToBbox(rle: Rle): [number, number, number, number] {
  checkRle(rle, 'rleToBbox');
  const height = rle.size[0];
  let xMin = Number.POSITIVE_INFINITY;
  let yMin = Number.POSITIVE_INFINITY;
  let xMax = -1;
  let yMax = -1;
  let pos = 0;
  rle.counts.forEach((run, i) => {
    if (i % 2 === 1 && run > 0) {
      const first = pos;
      const last = pos + run - 1;
      const x0 = Math.floor(first / height);
      const x1 = Math.floor(last / height);
      xMin = Math.min(xMin, x0);
      xMax = Math.max(xMax, x1);
      // A run that wraps into a later column covers every row between.
      yMin = Math.min(yMin, x1 > x0 ? 0 : first % height);
      yMax = Math.max(yMax, x1 > x0 ? height - 1 : last % height);
    }
    pos += run;
  });
  if (xMax < 0) return [0, 0, 0, 0];
  return [xMin, yMin, xMax - xMin + 1, yMax - yMin + 1];
}

/** Runs of `a op b` for two RLEs of the same size, walking both run lists once. */
function combine(a: readonly number[], b: readonly number[], intersect: boolean): number[] {
  const out: number[] = [];
  let ia = 0;
  let ib = 0;
  let leftA = a[0] ?? 0;
  let leftB = b[0] ?? 0;
  let valueA = 0;
  let valueB = 0;
  let current = 0;
  let run = 0;
  for (;;) {
    while (leftA === 0 && ia < a.length) {
      ia++;
      valueA ^= 1;
      leftA = a[ia] ?? 0;
    }
    while (leftB === 0 && ib < b.length) {
      ib++;
      valueB ^= 1;
      leftB = b[ib] ?? 0;
    }
    if (ia >= a.length || ib >= b.length) break;
    const step = Math.min(leftA, leftB);
    const value = intersect ? valueA & valueB : valueA | valueB;
    if (value !== current) {
      out.push(run);
      run = 0;
      current = value;
    }
    run += step;
    leftA -= step;
    leftB -= step;
  }
  out.push(run);
  return out;
}

function checkSameSize(rles: readonly Rle[], what: string): void {
  const first = rles[0];
  for (const rle of rles) {
    checkRle(rle, what);
    if (first !== undefined && (rle.size[0] !== first.size[0] || rle.size[1] !== first.size[1])) {
      throw new OptikError('DATA_MISMATCH', `${what}: every mask must have the same size.`, {
        received: rles.map((r) => r.size),
        hint: 'Encode the masks of one image at that image size.',
      });
    }
  }
}

/**
 * The union of several same-size {@link Rle}s, or their intersection with `intersect = true` (pycocotools
 * `mask.merge`). The result is canonical (no empty runs except a leading 0-run).
 *
 * @example
 * ```ts
 * const a = rleEncode(new Uint8Array([1, 0, 0, 0]), 2, 2);
 * const b = rleEncode(new Uint8Array([1, 1, 0, 0]), 2, 2);
 * rleArea(rleMerge([a, b])); // 2
 * rleArea(rleMerge([a, b], true)); // 1
 * ```
 */
export function rleMerge(rles: readonly Rle[], intersect = false): Rle {
  if (!Array.isArray(rles) || rles.length === 0) {
    throw new OptikError('ARGUMENT_INVALID', 'rleMerge: give at least one RLE.', { received: rles });
  }
  checkSameSize(rles, 'rleMerge');
  const first = rles[0] as Rle;
  let counts = combine(first.counts, [first.size[0] * first.size[1]], false);
  for (const rle of rles.slice(1)) counts = combine(counts, rle.counts, intersect);
  return { size: [first.size[0], first.size[1]], counts };
}

/** Pixels set in both. */
function intersection(a: readonly number[], b: readonly number[]): number {
  let area = 0;
  let ia = 0;
  let ib = 0;
  let leftA = a[0] ?? 0;
  let leftB = b[0] ?? 0;
  for (;;) {
    while (leftA === 0 && ia < a.length) leftA = a[++ia] ?? 0;
    while (leftB === 0 && ib < b.length) leftB = b[++ib] ?? 0;
    if (ia >= a.length || ib >= b.length) return area;
    const step = Math.min(leftA, leftB);
    if (ia % 2 === 1 && ib % 2 === 1) area += step;
    leftA -= step;
    leftB -= step;
  }
}

/**
 * Mask IoU of every detection with every ground truth (pycocotools `mask.iou`), as a row-major
 * `detections.length × groundTruths.length` matrix: entry `d * groundTruths.length + g`. For a crowd ground truth
 * (`iscrowd[g]`) the value is intersection / detection area instead of intersection / union, as in COCO; 0 where
 * the denominator is 0. Every mask must have the same size.
 *
 * @example
 * ```ts
 * const det = rleEncode(new Uint8Array([1, 1, 0, 0]), 2, 2);
 * const gt = rleEncode(new Uint8Array([1, 1, 1, 0]), 2, 2);
 * rleIou([det], [gt], [false]); // Float64Array [2 / 3]
 * rleIou([det], [gt], [true]); // Float64Array [1]
 * ```
 */
export function rleIou(
  detections: readonly Rle[],
  groundTruths: readonly Rle[],
  iscrowd: readonly boolean[],
): Float64Array {
  if (!Array.isArray(detections) || !Array.isArray(groundTruths) || !Array.isArray(iscrowd)) {
    throw new OptikError('ARGUMENT_INVALID', 'rleIou: detections, groundTruths and iscrowd must be arrays.', {
      received: { detections: typeof detections, groundTruths: typeof groundTruths, iscrowd: typeof iscrowd },
    });
  }
  if (iscrowd.length !== groundTruths.length) {
    throw new OptikError('ARGUMENT_INVALID', 'rleIou: iscrowd needs one flag per ground truth.', {
      received: { groundTruths: groundTruths.length, iscrowd: iscrowd.length },
    });
  }
  checkSameSize([...detections, ...groundTruths], 'rleIou');
  const out = new Float64Array(detections.length * groundTruths.length);
  const area = (rle: Rle) => rle.counts.reduce((sum, run, i) => (i % 2 === 1 ? sum + run : sum), 0);
  const gtAreas = groundTruths.map(area);
  detections.forEach((det, d) => {
    const detArea = area(det);
    groundTruths.forEach((gt, g) => {
      const inter = intersection(det.counts, gt.counts);
      const union = iscrowd[g] === true ? detArea : detArea + (gtAreas[g] as number) - inter;
      out[d * groundTruths.length + g] = union > 0 ? inter / union : 0;
    });
  });
  return out;
}

/**
 * COCO's compressed string form of an {@link Rle}'s counts (pycocotools `rleToString`): each run, from the fourth
 * on as the difference to the run two before, in 5-bit groups with a continuation bit, offset into printable ASCII.
 * This is what COCO JSON stores as `segmentation.counts` for compressed masks.
 *
 * @example
 * ```ts
 * rleToString({ size: [3, 2], counts: [1, 1, 1, 2, 1] }); // '11110'
 * ```
 */
export function rleToString(rle: Rle): string {
  checkRle(rle, 'rleToString');
  let out = '';
  rle.counts.forEach((count, i) => {
    let x = i > 2 ? count - (rle.counts[i - 2] as number) : count;
    let more = true;
    while (more) {
      // Arithmetic on numbers, not 32-bit bit operations, so runs above 2^31 survive.
      let c = ((x % 32) + 32) % 32;
      x = (x - c) / 32;
      more = (c & 0x10) !== 0 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      out += String.fromCharCode(c + 48);
    }
  });
  return out;
}

/**
 * Decodes COCO's compressed counts string (pycocotools `rleFrString`) into an {@link Rle} of `height × width`.
 * Throws a `DATA_FORMAT` error on a character outside the alphabet, a truncated string or runs that do not cover
 * the mask.
 *
 * @example
 * ```ts
 * rleFromString('11110', 3, 2); // { size: [3, 2], counts: [1, 1, 1, 2, 1] }
 * ```
 */
export function rleFromString(text: string, height: number, width: number): Rle {
  checkSize(height, width, 'rleFromString');
  if (typeof text !== 'string') {
    throw new OptikError('DATA_FORMAT', 'rleFromString: the compressed counts must be a string.', { received: text });
  }
  const counts: number[] = [];
  let p = 0;
  while (p < text.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= text.length) {
        throw new OptikError('DATA_FORMAT', 'rleFromString: the compressed RLE string is truncated.', {
          received: text,
        });
      }
      const c = text.charCodeAt(p) - 48;
      if (c < 0 || c > 63) {
        throw new OptikError('DATA_FORMAT', `rleFromString: invalid character in an RLE string at ${p}.`, {
          received: text[p],
          hint: 'Compressed COCO counts use the characters 0 (code 48) to o (code 111).',
        });
      }
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && (c & 0x10) !== 0) x -= 2 ** (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2] as number;
    counts.push(x);
  }
  const rle: Rle = { size: [height, width], counts };
  checkRle(rle, 'rleFromString');
  return rle;
}
