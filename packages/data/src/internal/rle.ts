import type { BoxXyxy, Mask } from '@optik/core';
import { isOptikError, OptikError, rleDecode, rleFromString } from '@optik/core';
import type { Segmentation } from './records.js';

/** Rethrows core's RLE errors with the annotation they came from (file, and JSON path when known). */
function inAnnotation<T>(where: string | { file: string; path: string }, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (isOptikError(error)) {
      const details = typeof where === 'string' ? { file: where } : where;
      throw new OptikError(error.code, error.message, details, { cause: error });
    }
    throw error;
  }
}

/** Decodes a COCO compressed RLE string (pycocotools `rleFrString`) to run lengths. */
export function decodeRleString(
  text: string,
  height: number,
  width: number,
  where: string | { file: string; path: string },
): number[] {
  return [...inAnnotation(where, () => rleFromString(text, height, width)).counts];
}

/** Run lengths (column-major, starting with zeros) → mask. */
export function rleToMask(counts: readonly number[], height: number, width: number, where: string): Mask {
  const data = inAnnotation(where, () => rleDecode({ size: [height, width], counts }));
  return { width, height, data };
}

/** Fills polygons (even-odd rule, pixel centres) into a 0/1 mask. */
export function polygonsToMask(polygons: readonly (readonly number[])[], height: number, width: number): Mask {
  const data = new Uint8Array(height * width);
  for (const poly of polygons) {
    const n = Math.floor(poly.length / 2);
    if (n < 3) continue;
    for (let y = 0; y < height; y++) {
      const cy = y + 0.5;
      const xs: number[] = [];
      for (let i = 0; i < n; i++) {
        const x0 = poly[2 * i] as number;
        const y0 = poly[2 * i + 1] as number;
        const j = (i + 1) % n;
        const x1 = poly[2 * j] as number;
        const y1 = poly[2 * j + 1] as number;
        if (y0 <= cy !== y1 <= cy) xs.push(x0 + ((cy - y0) / (y1 - y0)) * (x1 - x0));
      }
      xs.sort((a, b) => a - b);
      for (let k = 0; k + 1 < xs.length; k += 2) {
        const from = Math.max(0, Math.ceil((xs[k] as number) - 0.5));
        const to = Math.min(width - 1, Math.floor((xs[k + 1] as number) - 0.5));
        for (let x = from; x <= to; x++) data[y * width + x] = 1;
      }
    }
  }
  return { width, height, data };
}

export function segmentationToMask(seg: Segmentation, height: number, width: number, where: string): Mask {
  if (seg.type === 'polygon') return polygonsToMask(seg.polygons, height, width);
  if (seg.height !== height || seg.width !== width) {
    throw new OptikError('DATA_MISMATCH', `The RLE size ${seg.width}×${seg.height} differs from the image's.`, {
      file: where,
      received: { width, height },
    });
  }
  return rleToMask(seg.counts, height, width, where);
}

/**
 * Why an instance mask covers nothing, or `undefined` when it covers something: no polygon of 3 or more points, or
 * polygons that enclose no area (all points on a line), or an RLE without a foreground run.
 */
export function emptySegmentation(seg: Segmentation | null): string | undefined {
  if (seg === null) return 'no segmentation (an empty polygon list)';
  if (seg.type === 'rle') {
    return seg.counts.some((run, i) => i % 2 === 1 && run > 0) ? undefined : 'an RLE mask with no foreground pixel';
  }
  const closed = seg.polygons.filter((p) => p.length >= 6);
  if (closed.length === 0) {
    return `${seg.polygons.length === 1 ? 'a polygon' : 'polygons'} of fewer than 3 points (${JSON.stringify(seg.polygons).slice(0, 60)})`;
  }
  const area = closed.reduce((sum, p) => {
    const n = Math.floor(p.length / 2);
    let twice = 0;
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      twice += (p[2 * i] as number) * (p[2 * j + 1] as number) - (p[2 * j] as number) * (p[2 * i + 1] as number);
    }
    return sum + Math.abs(twice) / 2;
  }, 0);
  return area > 0 ? undefined : 'polygons that enclose no area (every point on one line)';
}

/** Tight xyxy box of a polygon list. */
export function polygonBounds(polygons: readonly (readonly number[])[]): BoxXyxy {
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const poly of polygons) {
    for (let i = 0; i + 1 < poly.length; i += 2) {
      x0 = Math.min(x0, poly[i] as number);
      x1 = Math.max(x1, poly[i] as number);
      y0 = Math.min(y0, poly[i + 1] as number);
      y1 = Math.max(y1, poly[i + 1] as number);
    }
  }
  return [x0, y0, x1, y1];
}
