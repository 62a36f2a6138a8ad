import { join } from 'node:path';
import { isOptikError, type SampleTarget } from '@optik/core';
import { tempDir } from '@optik/testing';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  encodeMaskTargets,
  IGNORE_INDEX,
  loadImages,
  openSource,
  readCoco,
  readMaskFolder,
  readSample,
  toSemanticSegmentation,
} from '../index.js';
import { maskToRle, writeCocoPair, writeImage, writeRawPng } from './fixtures.js';

// Semantic masks: greyscale id PNGs and colour PNGs with a palette, COCO instance masks rasterised to class masks,
// masks resized with their images (nearest neighbour) and the target encoder. Bad masks, reader by reader:
// semantic-bad-input.test.ts.

let tmp: string;
beforeAll(() => {
  tmp = tempDir('optik-semantic-');
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return isOptikError(error) ? error.code : String(error);
}

const PALETTE: [number, number, number][] = [
  [0, 0, 0],
  [128, 0, 0],
  [0, 128, 0],
];

describe('mask folder: ids, palettes, sizes', () => {
  it('maps palette colours to class ids and ignore colours to 255', async () => {
    const root = join(tmp, 'palette');
    await writeImage(join(root, 'images', 'a.png'), { width: 6, height: 4, seed: 1 });
    const rgb = new Uint8Array(6 * 4 * 3);
    const ids = [0, 1, 2, 1, 0, 255];
    for (let p = 0; p < 24; p++) {
      const id = ids[p % 6] as number;
      rgb.set(id === 255 ? [224, 224, 192] : (PALETTE[id] as number[]), p * 3);
    }
    await writeRawPng(join(root, 'masks', 'a.png'), rgb, 6, 4, 3);
    const source = readMaskFolder({
      imagesDir: join(root, 'images'),
      masksDir: join(root, 'masks'),
      classNames: ['bg', 'a', 'b'],
      palette: PALETTE,
      ignoreColors: [[224, 224, 192]],
    });
    const sample = await readSample(source, 0);
    if (sample.target.kind !== 'semantic-segmentation') throw new Error('kind');
    expect(Array.from(sample.target.mask.data.slice(0, 6))).toEqual(ids);
    // Without the palette the colour mask is refused (its red channel is not a class id).
    const plain = readMaskFolder({
      imagesDir: join(root, 'images'),
      masksDir: join(root, 'masks'),
      classNames: ['bg', 'a', 'b'],
    });
    expect(await codeOf(readSample(plain, 0))).toBe('DATA_FORMAT');
    // A colour not in the palette names the pixel.
    const noIgnore = readMaskFolder({
      imagesDir: join(root, 'images'),
      masksDir: join(root, 'masks'),
      classNames: ['bg', 'a', 'b'],
      palette: PALETTE,
    });
    const error = await readSample(noIgnore, 0).catch((e: unknown) => e);
    expect(isOptikError(error, 'DATA_UNKNOWN_CLASS')).toBe(true);
    expect((error as Error).message).toContain('pixel (5, 0)');
    expect((error as Error).message).toContain('rgb(224, 224, 192)');
  });

  it('checks the palette against the classes in the source config', async () => {
    const config = { format: 'masks' as const, imagesDir: 'i', masksDir: 'm', classNames: ['bg', 'a'] };
    expect(await codeOf(openSource({ ...config, palette: PALETTE }))).toBe('CONFIG_INVALID');
    expect(await codeOf(openSource({ ...config, ignoreColors: [[1, 2, 3]] }))).toBe('CONFIG_INVALID');
  });

  it('resizes masks with their images by nearest neighbour: only class ids, bands in place', async () => {
    const root = join(tmp, 'resize');
    // Vertical bands of classes 0,1,2 (4 px each) on a 12×8 image; at 6×4 each band is 2 px wide.
    const mask = new Uint8Array(12 * 8).map((_, p) => Math.floor((p % 12) / 4));
    await writeImage(join(root, 'images', 'a.png'), { width: 12, height: 8, seed: 4 });
    await writeRawPng(join(root, 'masks', 'a.png'), mask, 12, 8, 1);
    const source = readMaskFolder({
      imagesDir: join(root, 'images'),
      masksDir: join(root, 'masks'),
      classNames: ['a', 'b', 'c'],
    });
    const { dataset } = await loadImages(source, { imageSize: [4, 6], cache: false });
    const target = dataset.targets?.[0];
    if (target?.kind !== 'semantic-segmentation') throw new Error('kind');
    expect([target.mask.width, target.mask.height]).toEqual([6, 4]);
    for (let y = 0; y < 4; y++) {
      expect(Array.from(target.mask.data.slice(y * 6, y * 6 + 6))).toEqual([0, 0, 1, 1, 2, 2]);
    }
  });
});

describe('COCO polygons and RLE rasterised to class masks', () => {
  const W = 20;
  const H = 10;

  const cocoFile = (name: string, annotations: Record<string, unknown>[]) =>
    writeCocoPair(join(tmp, name), {
      width: W,
      height: H,
      seeds: [5, 6],
      annotations,
      categories: [
        { id: 3, name: 'cat' },
        { id: 7, name: 'dog' },
      ],
    });

  it('paints each object with its class (background 0, larger objects first) from polygons and RLE', async () => {
    const big = new Uint8Array(W * H);
    for (let y = 0; y < 10; y++) for (let x = 0; x < 10; x++) big[y * W + x] = 1;
    const file = await cocoFile('coco-semantic', [
      // A small cat polygon (x 2..6, y 2..6) on top of a large dog RLE (x 0..10, y 0..10).
      { id: 1, image_id: 1, category_id: 3, bbox: [2, 2, 4, 4], segmentation: [[2, 2, 6, 2, 6, 6, 2, 6]] },
      {
        id: 2,
        image_id: 1,
        category_id: 7,
        bbox: [0, 0, 10, 10],
        segmentation: { counts: maskToRle(big, H, W), size: [H, W] },
      },
    ]);
    const { dataset, skipped } = toSemanticSegmentation(readCoco(file));
    expect(dataset.classNames).toEqual(['background', 'cat', 'dog']);
    expect(skipped).toEqual([]);
    const { dataset: images } = await loadImages(dataset, { imageSize: [H, W], cache: false });
    const maskOf = (i: number) => {
      const t = images.targets?.[i];
      if (t?.kind !== 'semantic-segmentation') throw new Error('kind');
      return t.mask;
    };
    const mask = maskOf(0);
    const counts = [0, 0, 0];
    for (const v of mask.data) counts[v] = (counts[v] as number) + 1;
    expect(counts).toEqual([W * H - 100, 16, 100 - 16]);
    expect(mask.data[3 * W + 3]).toBe(1);
    expect(mask.data[8 * W + 8]).toBe(2);
    // The image without annotations is all background.
    const empty = maskOf(1);
    expect(empty.data.every((v) => v === 0)).toBe(true);
  });

  it('refuses a source without instance masks', async () => {
    const file = await cocoFile('coco-boxes', [{ id: 1, image_id: 1, category_id: 3, bbox: [2, 2, 4, 4] }]);
    expect(() => toSemanticSegmentation(readCoco(file, { masks: false }))).toThrow(
      expect.objectContaining({ code: 'DATA_FORMAT' }),
    );
  });
});

describe('encodeMaskTargets', () => {
  const target = (data: number[], width = 3, height = 2): SampleTarget => ({
    kind: 'semantic-segmentation',
    mask: { width, height, data: Uint8Array.from(data) },
  });

  it('one-hot [n, h, w, K] with ignored pixels all zero, or int32 ids with 255 kept', () => {
    const before = tf.memory().numTensors;
    const targets = [target([0, 1, 2, 2, IGNORE_INDEX, 0]), target([1, 1, 1, 0, 0, 2])];
    const size = { height: 2, width: 3 };
    const oneHot = encodeMaskTargets(3)(targets, size) as tf.Tensor;
    expect(oneHot.shape).toEqual([2, 2, 3, 3]);
    const values = Array.from(oneHot.dataSync());
    expect(values.slice(0, 9)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(values.slice(12, 15)).toEqual([0, 0, 0]); // ignored pixel
    const ids = encodeMaskTargets(3, { mode: 'ids' })(targets, size) as tf.Tensor;
    expect(ids.dtype).toBe('int32');
    expect(Array.from(ids.dataSync())).toEqual([0, 1, 2, 2, 255, 0, 1, 1, 1, 0, 0, 2]);
    // A binary model (numClasses 1): two columns, background and foreground.
    const binary = encodeMaskTargets(1)([target([0, 1, 1, 0, 255, 1])], size) as tf.Tensor;
    expect(binary.shape).toEqual([1, 2, 3, 2]);
    expect(Array.from(binary.dataSync()).slice(0, 4)).toEqual([1, 0, 0, 1]);
    tf.dispose([oneHot, ids, binary]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a mask of another size, an unknown class id and a target that is not a mask', () => {
    const encode = encodeMaskTargets(2);
    const size = { height: 2, width: 3 };
    expect(() => encode([target([0, 0, 0, 0, 0, 0], 2, 3)], size)).toThrow(
      expect.objectContaining({ code: 'DATA_MISMATCH' }),
    );
    expect(() => encode([target([0, 0, 5, 0, 0, 0])], size)).toThrow(
      expect.objectContaining({ code: 'DATA_UNKNOWN_CLASS' }),
    );
    expect(() => encode([{ kind: 'classification', label: 0 }], size)).toThrow(
      expect.objectContaining({ code: 'DATA_FORMAT' }),
    );
    expect(() => encodeMaskTargets(0)).toThrow(expect.objectContaining({ code: 'ARGUMENT_INVALID' }));
  });
});
