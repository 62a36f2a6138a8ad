import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { OptikError } from '@optik/core';
import sharp from 'sharp';

/** Writes a solid-colour image (with a lighter square so images differ by `seed`). */
export async function writeImage(
  file: string,
  options: { width?: number; height?: number; seed?: number; format?: 'png' | 'jpeg'; channels?: 1 | 3 } = {},
): Promise<Buffer> {
  const { width = 16, height = 12, seed = 0, format = 'png', channels = 3 } = options;
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        data[(y * width + x) * channels + c] = (seed * 37 + x * 11 + y * 7 + c * 50) % 256;
      }
    }
  }
  const image = sharp(data, { raw: { width, height, channels } });
  const bytes = format === 'png' ? await image.png().toBuffer() : await image.jpeg({ quality: 90 }).toBuffer();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  return bytes;
}

export function writeText(file: string, text: string | Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/**
 * A COCO JSON (`<root>/instances.json`) over two width×height images a.png (id 1) and b.png (id 2); `a` overrides
 * the size a.png is written with (the JSON keeps width×height), `seeds` the images' pixels.
 */
export async function writeCocoPair(
  root: string,
  options: {
    width: number;
    height: number;
    annotations: readonly Record<string, unknown>[];
    categories: readonly { id: number; name: string }[];
    a?: [number, number];
    seeds?: [number, number];
  },
): Promise<string> {
  const { width, height, seeds = [2, 3] } = options;
  const [aw, ah] = options.a ?? [width, height];
  await writeImage(join(root, 'a.png'), { width: aw, height: ah, seed: seeds[0] });
  await writeImage(join(root, 'b.png'), { width, height, seed: seeds[1] });
  const file = join(root, 'instances.json');
  const images = ['a.png', 'b.png'].map((file_name, i) => ({ id: i + 1, file_name, width, height }));
  writeText(file, JSON.stringify({ images, annotations: options.annotations, categories: options.categories }));
  return file;
}

/** IDX bytes: magic 0x0000 08 ndim, big-endian dims, then the values. */
export function idxBytes(dims: number[], values: Uint8Array, magicType = 0x08): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = magicType;
  header[3] = dims.length;
  dims.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d, false);
  });
  const out = new Uint8Array(header.length + values.length);
  out.set(header);
  out.set(values, header.length);
  return out;
}

/** pycocotools `rleToString`: run lengths → compressed COCO RLE text. */
export function encodeRleString(counts: readonly number[]): string {
  let out = '';
  counts.forEach((count, i) => {
    let x = i > 2 ? count - (counts[i - 2] as number) : count;
    let more = true;
    while (more) {
      let c = x & 0x1f;
      x >>= 5;
      more = (c & 0x10) !== 0 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      out += String.fromCharCode(c + 48);
    }
  });
  return out;
}

/** Column-major run lengths of a row-major 0/1 mask (COCO RLE order). */
export function maskToRle(data: Uint8Array, height: number, width: number): number[] {
  const counts: number[] = [];
  let current = 0;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const v = data[y * width + x] as number;
      if (v !== current) {
        counts.push(run);
        run = 0;
        current = v;
      }
      run++;
    }
  }
  counts.push(run);
  return counts;
}

/** The error `fn` throws (or rejects with); fails the test when it succeeds. */
export async function caught(fn: () => unknown): Promise<OptikError> {
  try {
    await fn();
  } catch (error) {
    return error as OptikError;
  }
  throw new Error('expected an error');
}

/** Writes raw pixels (`width × height × channels`, row-major) as a PNG: a greyscale id mask or a colour mask. */
export async function writeRawPng(
  file: string,
  data: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3,
): Promise<void> {
  writeText(file, await sharp(data, { raw: { width, height, channels } }).png().toBuffer());
}
