import type { Rng } from '@optik/core';
import { type GrayImage, resampleGray } from '../resample.js';
import type { Cutout } from './cutouts.js';
import type { ResolvedSynthOptions } from './options.js';

/** A background photo as three colour planes. */
export interface Photo {
  readonly name: string;
  readonly planes: readonly [GrayImage, GrayImage, GrayImage];
}

/** One object as it ended up in the scene: its class, its visible mask's box and area, and where it came from. */
export interface PlacedObject {
  /** 0-based class index (COCO category id − 1). */
  readonly classIndex: number;
  /** Tight box of the visible mask, `[x, y, width, height]` in whole pixels. */
  readonly bbox: [number, number, number, number];
  /** Visible mask pixels. */
  readonly area: number;
  /** The whole pasted mask's pixels, before later objects covered part of it. */
  readonly fullArea: number;
  /** COCO uncompressed RLE of the visible mask: column-major run lengths, starting with background. */
  readonly counts: number[];
  readonly cutout: string;
}

export interface Scene {
  readonly width: number;
  readonly height: number;
  /** RGB, row-major. */
  readonly rgb: Uint8Array;
  /** Per pixel: 0 background, else the COCO category id of the visible object. */
  readonly classMap: Uint8Array;
  readonly objects: PlacedObject[];
  readonly background: string;
}

/** Resamples an RGBA cut-out to `width × height` (premultiplied, so edges do not pick up the transparent colour). */
function resampleCutout(c: Cutout, width: number, height: number, flip: boolean) {
  const n = c.width * c.height;
  const planes = [0, 1, 2, 3].map(() => new Uint8Array(n));
  const [r, g, b, a] = planes as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  for (let p = 0; p < n; p++) {
    const alpha = c.rgba[p * 4 + 3] as number;
    r[p] = Math.round(((c.rgba[p * 4] as number) * alpha) / 255);
    g[p] = Math.round(((c.rgba[p * 4 + 1] as number) * alpha) / 255);
    b[p] = Math.round(((c.rgba[p * 4 + 2] as number) * alpha) / 255);
    a[p] = alpha;
  }
  const region = { x: 0, y: 0, width: c.width, height: c.height };
  const [pr, pg, pb, pa] = planes.map((data) =>
    resampleGray({ width: c.width, height: c.height, data }, region, width, height, flip),
  ) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  return { r: pr, g: pg, b: pb, a: pa };
}

/** A random crop (a third to all of the photo's largest window of the scene's aspect), mirrored or not. */
function background(photo: Photo, width: number, height: number, rng: Rng): Uint8Array {
  const [pr] = photo.planes;
  const maxW = Math.min(pr.width, (pr.height * width) / height);
  const cropW = maxW * rng.uniform(1 / 3, 1);
  const cropH = (cropW * height) / width;
  const x = Math.floor(rng.uniform(0, pr.width - cropW));
  const y = Math.floor(rng.uniform(0, pr.height - cropH));
  const region = {
    x,
    y,
    width: Math.max(1, Math.min(pr.width - x, Math.round(cropW))),
    height: Math.max(1, Math.min(pr.height - y, Math.round(cropH))),
  };
  const flip = rng.bool();
  const rgb = new Uint8Array(width * height * 3);
  photo.planes.forEach((plane, channel) => {
    const out = resampleGray(plane, region, width, height, flip);
    for (let p = 0; p < out.length; p++) rgb[p * 3 + channel] = out[p] as number;
  });
  return rgb;
}

/** Column-major run lengths of `instances == id` (COCO uncompressed RLE: the first run counts background). */
function runLengths(instances: Uint16Array, width: number, height: number, id: number): number[] {
  const counts: number[] = [];
  let value = false;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const inside = instances[y * width + x] === id;
      if (inside !== value) {
        counts.push(run);
        run = 0;
        value = inside;
      }
      run++;
    }
  }
  counts.push(run);
  return counts;
}

/**
 * Composes one scene: a background crop, then objects pasted one over another. An object's mask is its resampled
 * alpha ≥ 128; it is placed (up to 10 tries at other positions) only where it leaves every earlier object at least
 * `1 − maxOcclusion` of its own mask and `minArea` pixels visible, so boxes and masks describe the visible parts.
 */
export function composeScene(
  o: ResolvedSynthOptions,
  pools: readonly (readonly Cutout[])[],
  photos: readonly Photo[],
  rng: Rng,
): Scene {
  const width = rng.int(o.imageSize[0], o.imageSize[1]);
  const height = rng.int(o.imageSize[0], o.imageSize[1]);
  const photo = rng.choice(photos);
  const rgb = background(photo, width, height, rng);
  const instances = new Uint16Array(width * height);
  const visible: number[] = [0];
  const full: number[] = [0];
  const placed: { classIndex: number; cutout: string }[] = [];
  const wanted = rng.int(o.objectsPerImage[0], o.objectsPerImage[1]);
  const short = Math.min(width, height);
  for (let k = 0; k < wanted; k++) {
    const classIndex = rng.int(0, pools.length - 1);
    const cut = rng.choice(pools[classIndex] as readonly Cutout[]);
    const side = Math.max(2, Math.min(short, Math.round(rng.uniform(o.scale[0], o.scale[1]) * short)));
    const wide = cut.width >= cut.height;
    const w = wide ? side : Math.max(1, Math.round((side * cut.width) / cut.height));
    const h = wide ? Math.max(1, Math.round((side * cut.height) / cut.width)) : side;
    const pix = resampleCutout(cut, w, h, rng.bool());
    let area = 0;
    for (let p = 0; p < pix.a.length; p++) if ((pix.a[p] as number) >= 128) area++;
    const tries = Array.from({ length: 10 }, () => [rng.int(0, width - w), rng.int(0, height - h)] as const);
    if (area < o.minArea) continue;
    const id = placed.length + 1;
    const spot = tries.find(([left, top]) => {
      const covered = new Map<number, number>();
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          if ((pix.a[y * w + x] as number) < 128) continue;
          const under = instances[(top + y) * width + left + x] as number;
          if (under !== 0) covered.set(under, (covered.get(under) ?? 0) + 1);
        }
      }
      for (const [j, n] of covered) {
        const remains = (visible[j] as number) - n;
        if (remains < o.minArea || remains < (1 - o.maxOcclusion) * (full[j] as number)) return false;
      }
      return true;
    });
    if (spot === undefined) continue;
    const [left, top] = spot;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const q = y * w + x;
        const alpha = pix.a[q] as number;
        if (alpha === 0) continue;
        const at = (top + y) * width + left + x;
        const keep = 255 - alpha;
        rgb[at * 3] = (pix.r[q] as number) + Math.round(((rgb[at * 3] as number) * keep) / 255);
        rgb[at * 3 + 1] = (pix.g[q] as number) + Math.round(((rgb[at * 3 + 1] as number) * keep) / 255);
        rgb[at * 3 + 2] = (pix.b[q] as number) + Math.round(((rgb[at * 3 + 2] as number) * keep) / 255);
        if (alpha >= 128) {
          const under = instances[at] as number;
          if (under !== 0) visible[under] = (visible[under] as number) - 1;
          instances[at] = id;
        }
      }
    }
    visible.push(area);
    full.push(area);
    placed.push({ classIndex, cutout: cut.name });
  }
  const classMap = new Uint8Array(width * height);
  const boxes = placed.map(() => [width, height, -1, -1]);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const id = instances[y * width + x] as number;
      if (id === 0) continue;
      classMap[y * width + x] = (placed[id - 1]?.classIndex as number) + 1;
      const box = boxes[id - 1] as number[];
      if (x < (box[0] as number)) box[0] = x;
      if (y < (box[1] as number)) box[1] = y;
      if (x > (box[2] as number)) box[2] = x;
      if (y > (box[3] as number)) box[3] = y;
    }
  }
  const objects = placed.map((p, i): PlacedObject => {
    const [x0, y0, x1, y1] = boxes[i] as [number, number, number, number];
    return {
      classIndex: p.classIndex,
      bbox: [x0, y0, x1 - x0 + 1, y1 - y0 + 1],
      area: visible[i + 1] as number,
      fullArea: full[i + 1] as number,
      counts: runLengths(instances, width, height, i + 1),
      cutout: p.cutout,
    };
  });
  return { width, height, rgb, classMap, objects, background: photo.name };
}
