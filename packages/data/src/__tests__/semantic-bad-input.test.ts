import { join } from 'node:path';
import type { OptikError } from '@optik/core';
import { tempDir } from '@optik/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type FileDataset,
  loadImages,
  openSource,
  readCoco,
  readMaskFolder,
  toSemanticSegmentation,
} from '../index.js';
import { caught, encodeRleString, maskToRle, writeCocoPair, writeImage, writeRawPng } from './fixtures.js';

// Bad semantic-segmentation input (issue #14), reader by reader: a mask whose size differs from its image, a colour
// not in the palette, a class id above the class count, an empty polygon, an RLE whose runs do not sum to h·w.
// Malformed files are coded errors naming the file (and JSON path) and the value, with a fix; an object whose mask
// covers nothing leaves its image out, listed in the dataset's issues (detectron2 filters "instances without valid
// segmentation" the same way), since painting it as background would teach the wrong class.

let tmp: string;
beforeAll(() => {
  tmp = tempDir('optik-semantic-bad-');
});

const W = 6;
const H = 4;
const PALETTE: [number, number, number][] = [
  [0, 0, 0],
  [128, 0, 0],
  [0, 128, 0],
];

const load = (dataset: FileDataset) => loadImages(dataset, { imageSize: [H, W], cache: false });

/** One paragraph naming the file, ending in a sentence. */
function expectActionable(error: OptikError, code: string, file: string): void {
  expect(error.code).toBe(code);
  expect(error.message).toContain(file);
  expect(error.message).not.toContain('\n');
  expect(error.message).toMatch(/[.)]$/);
  expect(error.details.hint ?? '').not.toBe('');
}

/** A mask folder with one W×H image `a.png` and its mask (greyscale ids, or RGB for a palette). */
async function maskFolder(name: string, mask: { data: Uint8Array; width: number; height: number; channels: 1 | 3 }) {
  const root = join(tmp, name);
  await writeImage(join(root, 'images', 'a.png'), { width: W, height: H, seed: 1 });
  const maskFile = join(root, 'masks', 'a.png');
  await writeRawPng(maskFile, mask.data, mask.width, mask.height, mask.channels);
  return { imagesDir: join(root, 'images'), masksDir: join(root, 'masks'), maskFile };
}

/** RGB pixels of palette classes `ids` (one id per pixel). */
const paint = (ids: readonly number[], colors: readonly (readonly number[])[] = PALETTE) =>
  Uint8Array.from(ids.flatMap((id) => [...(colors[id] ?? [])]));

describe('mask folder, greyscale index masks', () => {
  it('a mask whose size differs from its image: DATA_MISMATCH naming the mask and both sizes', async () => {
    const { maskFile, ...dirs } = await maskFolder('index-size', {
      data: new Uint8Array(W * H),
      width: H,
      height: W,
      channels: 1,
    });
    const source = readMaskFolder({ ...dirs, classNames: ['bg', 'a'] });
    // Not an unreadable image: it is not skipped by loadImages' default onError: skip.
    const error = await caught(() => load(source));
    expectActionable(error, 'DATA_MISMATCH', maskFile);
    expect(error.message).toContain(`The mask is ${H}×${W}, the image ${W}×${H}`);
    expect(error.details.received).toEqual({ mask: [H, W], image: [W, H] });
  });

  it('a class id above the class count: DATA_UNKNOWN_CLASS naming the pixel, the id and the class count', async () => {
    const ids = new Uint8Array(W * H);
    ids[W + 2] = 3; // pixel (2, 1)
    ids[W + 3] = 7;
    ids[2 * W] = 255; // ignore: allowed
    const { maskFile, ...dirs } = await maskFolder('index-above', { data: ids, width: W, height: H, channels: 1 });
    const error = await caught(() => load(readMaskFolder({ ...dirs, classNames: ['bg', 'a', 'b'] })));
    expectActionable(error, 'DATA_UNKNOWN_CLASS', maskFile);
    expect(error.message).toContain('Mask pixel (2, 1) holds class id 3, but the source has 3 classes (ids 0..2');
    expect(error.message).toContain('2 pixels hold ids outside that range (3, 7)');
    expect(error.details.received).toBe(3);
    // With four classes, id 3 is fine and id 7 is the first one out of range.
    const four = await caught(() => load(readMaskFolder({ ...dirs, classNames: ['bg', 'a', 'b', 'c'] })));
    expect(four.message).toContain('Mask pixel (3, 1) holds class id 7');
    // With eight classes every id is known (255 is ignore).
    const eight = await load(readMaskFolder({ ...dirs, classNames: ['0', '1', '2', '3', '4', '5', '6', '7'] }));
    const target = eight.dataset.targets?.[0];
    if (target?.kind !== 'semantic-segmentation') throw new Error('kind');
    expect([target.mask.data[W + 2], target.mask.data[W + 3], target.mask.data[2 * W]]).toEqual([3, 7, 255]);
  });

  it('a colour mask read as index masks (no palette): DATA_FORMAT pointing at the palette', async () => {
    const { maskFile, ...dirs } = await maskFolder('index-colour', {
      data: paint(new Array(W * H).fill(1)),
      width: W,
      height: H,
      channels: 3,
    });
    const error = await caught(() => load(readMaskFolder({ ...dirs, classNames: ['bg', 'a', 'b'] })));
    expectActionable(error, 'DATA_FORMAT', maskFile);
    expect(error.message).toContain('not grey');
    expect(error.message).toContain('palette');
  });
});

describe('mask folder, colour masks with a palette', () => {
  it('a mask whose size differs from its image: DATA_MISMATCH, as for index masks', async () => {
    const { maskFile, ...dirs } = await maskFolder('palette-size', {
      data: paint(new Array(W * (H + 1)).fill(2)),
      width: W,
      height: H + 1,
      channels: 3,
    });
    const error = await caught(() => load(readMaskFolder({ ...dirs, classNames: ['bg', 'a', 'b'], palette: PALETTE })));
    expectActionable(error, 'DATA_MISMATCH', maskFile);
    expect(error.message).toContain(`The mask is ${W}×${H + 1}, the image ${W}×${H}`);
  });

  it('a colour not in the palette: DATA_UNKNOWN_CLASS naming the pixel and the colour', async () => {
    const ids = new Array(W * H).fill(0);
    ids[3 * W + 5] = 3; // pixel (5, 3): a colour no class has
    const colors = [...PALETTE, [10, 20, 30]];
    const { maskFile, ...dirs } = await maskFolder('palette-colour', {
      data: paint(ids, colors),
      width: W,
      height: H,
      channels: 3,
    });
    const error = await caught(() => load(readMaskFolder({ ...dirs, classNames: ['bg', 'a', 'b'], palette: PALETTE })));
    expectActionable(error, 'DATA_UNKNOWN_CLASS', maskFile);
    expect(error.message).toContain('Mask pixel (5, 3) has the colour rgb(10, 20, 30), which is not in the palette');
    expect(error.details.received).toEqual([10, 20, 30]);
    // As an ignore colour it counts for nothing (255).
    const ignored = await load(
      readMaskFolder({ ...dirs, classNames: ['bg', 'a', 'b'], palette: PALETTE, ignoreColors: [[10, 20, 30]] }),
    );
    const target = ignored.dataset.targets?.[0];
    if (target?.kind !== 'semantic-segmentation') throw new Error('kind');
    expect(target.mask.data[3 * W + 5]).toBe(255);
  });

  it('a palette with more colours than classes (ids above the class count): refused before any mask is read', async () => {
    const { maskFile: _, ...dirs } = await maskFolder('palette-above', {
      data: paint(new Array(W * H).fill(2)),
      width: W,
      height: H,
      channels: 3,
    });
    const error = await caught(() => readMaskFolder({ ...dirs, classNames: ['bg', 'a'], palette: PALETTE }));
    expect(error.code).toBe('ARGUMENT_INVALID');
    expect(error.message).toContain('the palette has 3 colours for 2 classes, so colour 2 would be a class id above');
    expect(error.details.hint).toContain('one colour per class');
    const config = await caught(() =>
      openSource({ format: 'masks', ...dirs, classNames: ['bg', 'a'], palette: PALETTE }),
    );
    expect(config.code).toBe('CONFIG_INVALID');
    expect(config.message).toContain('palette');
    expect((await caught(() => readMaskFolder({ ...dirs, classNames: ['bg'], ignoreColors: [[1, 2, 3]] }))).code).toBe(
      'ARGUMENT_INVALID',
    );
  });
});

describe('COCO polygons and RLE', () => {
  /** A COCO JSON with W×H images a.png (id 1) and b.png (id 2) — `sizes` overrides what is written to disk. */
  const coco = (name: string, annotations: Record<string, unknown>[], sizes: { a?: [number, number] } = {}) =>
    writeCocoPair(join(tmp, name), {
      width: W,
      height: H,
      ...sizes,
      annotations: annotations.map((a, i) => ({ id: i + 1, bbox: [1, 1, 2, 2], category_id: 5, ...a })),
      categories: [{ id: 5, name: 'cat' }],
    });
  const square = [1, 1, 3, 1, 3, 3, 1, 3];
  const full = () => {
    const m = new Uint8Array(W * H);
    m.fill(1, W, 3 * W);
    return maskToRle(m, H, W);
  };

  it('polygons: an image whose size differs from the annotated one is DATA_MISMATCH naming the image', async () => {
    const file = await coco('coco-poly-size', [{ image_id: 1, segmentation: [square] }], { a: [W + 2, H] });
    const error = await caught(() => load(toSemanticSegmentation(readCoco(file)).dataset));
    expectActionable(error, 'DATA_MISMATCH', join(tmp, 'coco-poly-size', 'a.png'));
    expect(error.message).toContain(`The annotation says ${W}×${H} but the image is ${W + 2}×${H}`);
  });

  it('RLE: a size other than its image is DATA_MISMATCH naming the annotation, compressed or not', async () => {
    for (const counts of [maskToRle(new Uint8Array(W * (H + 1)), W, H + 1), encodeRleString([W * (H + 1)])]) {
      const file = await coco('coco-rle-size', [
        { image_id: 2, segmentation: [square] },
        { image_id: 1, segmentation: { counts, size: [W, H + 1] } },
      ]);
      const error = await caught(() => readCoco(file));
      expectActionable(error, 'DATA_MISMATCH', file);
      expect(error.details.path).toBe('annotations[1].segmentation.size');
      expect(error.message).toContain(`The RLE mask is ${W}×${H + 1} (height×width) but its image is ${H}×${W}`);
      expect(error.details.received).toEqual([W, H + 1]);
    }
  });

  it('a category id not in categories (a class above the class count): DATA_UNKNOWN_CLASS, polygon or RLE', async () => {
    for (const segmentation of [[square], { counts: full(), size: [H, W] }]) {
      const file = await coco('coco-unknown', [
        { image_id: 1, segmentation },
        { image_id: 2, segmentation, category_id: 6 },
      ]);
      const error = await caught(() => toSemanticSegmentation(readCoco(file)));
      expectActionable(error, 'DATA_UNKNOWN_CLASS', file);
      expect(error.details).toMatchObject({ path: 'annotations[1].category_id', received: 6 });
      expect(error.message).toContain('Categories: 5=cat');
    }
  });

  it('RLE runs that do not sum to h·w: DATA_FORMAT naming the annotation and the sum, compressed or not', async () => {
    const short = [5, 10, 3]; // 18 of 24 pixels
    for (const counts of [short, encodeRleString(short)]) {
      const file = await coco('coco-rle-sum', [
        { image_id: 1, segmentation: [square] },
        { image_id: 2, segmentation: { counts, size: [H, W] } },
      ]);
      const error = await caught(() => readCoco(file));
      expect(error.code).toBe('DATA_FORMAT');
      expect(error.message).toContain(file);
      expect(error.details.path).toBe('annotations[1].segmentation.counts');
      expect(error.message).toMatch(/RLE runs cover 18 pixels, (but its|the) 4×6 \(height×width\) mask has 24/);
      expect(error.message).toMatch(/re-encode|size is \[height, width\]/);
    }
    // Read without masks (for detection), the segmentation is not looked at.
    const boxesOnly = await coco('coco-rle-sum-boxes', [
      { image_id: 2, segmentation: { counts: short, size: [H, W] } },
    ]);
    expect(readCoco(boxesOnly, { masks: false }).records[1]?.boxes).toHaveLength(1);
    // Runs that sum to h·w are read (a control for the fixture).
    const good = await coco('coco-rle-ok', [{ image_id: 2, segmentation: { counts: [5, 10, 9], size: [H, W] } }]);
    expect(readCoco(good).records[1]?.segments?.[0]).toMatchObject({ type: 'rle', counts: [5, 10, 9] });
  });

  it('a polygon with an odd number of coordinates: DATA_FORMAT naming the polygon', async () => {
    const file = await coco('coco-odd', [{ image_id: 1, segmentation: [square, [1, 1, 3, 1, 3]] }]);
    const error = await caught(() => readCoco(file));
    expectActionable(error, 'DATA_FORMAT', file);
    expect(error.details.path).toBe('annotations[0].segmentation[1]');
    expect(error.message).toContain('Polygon 1 has 5 coordinates');
  });

  it('an empty polygon (or an empty RLE): the image is skipped and listed in issues, the rest loads', async () => {
    const empties: [unknown, string][] = [
      [[], 'no segmentation (an empty polygon list)'],
      [[[]], 'a polygon of fewer than 3 points ([[]])'],
      [[[1, 1, 3, 3]], 'a polygon of fewer than 3 points ([[1,1,3,3]])'],
      [[[0, 0, 2, 2, 4, 4]], 'polygons that enclose no area'],
      [{ counts: [W * H], size: [H, W] }, 'an RLE mask with no foreground pixel'],
      [{ counts: encodeRleString([W * H]), size: [H, W] }, 'an RLE mask with no foreground pixel'],
    ];
    for (const [segmentation, why] of empties) {
      const file = await coco('coco-empty', [
        { image_id: 1, segmentation: [square] },
        { image_id: 1, segmentation, bbox: [0, 0, 4, 3] },
        { image_id: 2, segmentation: { counts: full(), size: [H, W] } },
      ]);
      const source = readCoco(file);
      const { dataset, skipped } = toSemanticSegmentation(source);
      const a = join(tmp, 'coco-empty', 'a.png');
      expect(skipped).toEqual([
        { file: a, reason: expect.stringContaining(`object 1 (cat, box 0, 0, 4, 3) has ${why}`) },
      ]);
      expect(skipped[0]?.reason).toContain('Draw its mask or remove the annotation');
      expect(dataset.issues.skipped).toEqual(skipped);
      expect(dataset.records.map((r) => r.file)).toEqual([join(tmp, 'coco-empty', 'b.png')]);
      const loaded = await load(dataset);
      expect(loaded.decoded).toBe(1);
      expect(loaded.skipped).toEqual(skipped);
    }
    // A polygon list with one usable polygon beside a degenerate one keeps its image.
    const mixed = await coco('coco-mixed', [{ image_id: 1, segmentation: [[], square] }]);
    expect(toSemanticSegmentation(readCoco(mixed)).skipped).toEqual([]);
  });
});
