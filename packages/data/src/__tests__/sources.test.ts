import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isOptikError } from '@optik/core';
import { tempDir } from '@optik/testing';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  type InMemoryDataset,
  imageDatasetFromDirectory,
  loadImages,
  openSource,
  readCoco,
  readCsvManifest,
  readIdxDataset,
  readMaskFolder,
  readSample,
  readVoc,
  readYolo,
  scanImageFolder,
  writeCoco,
  writeYolo,
} from '../index.js';
import { encodeRleString, idxBytes, maskToRle, writeImage, writeText } from './fixtures.js';

let tmp: string;
beforeAll(() => {
  tmp = tempDir('optik-data-');
});

describe('class-per-folder source (Keras image_dataset_from_directory semantics)', () => {
  it('sorts class names, decodes to imageSize and splits with a seed', async () => {
    const root = join(tmp, 'folder');
    for (let i = 0; i < 6; i++) await writeImage(join(root, 'b_dog', `d${i}.png`), { seed: i, width: 20, height: 10 });
    for (let i = 0; i < 4; i++)
      await writeImage(join(root, 'a_cat', 'nested', `c${i}.jpg`), { seed: 10 + i, format: 'jpeg' });
    writeText(join(root, 'a_cat', 'notes.txt'), 'not an image');
    const cacheDir = join(tmp, 'cache');
    const first = await imageDatasetFromDirectory({
      directory: root,
      imageSize: [8, 6],
      colorMode: 'grayscale',
      cacheDir,
    });
    const all = first.all.dataset;
    expect(all.classNames).toEqual(['a_cat', 'b_dog']);
    expect([all.length, all.height, all.width, all.channels]).toEqual([10, 8, 6, 1]);
    expect(all.classCounts()).toEqual([4, 6]);
    expect(first.all.fromCache).toBe(false);
    expect(first.all.decoded).toBe(10);

    const again = await imageDatasetFromDirectory({
      directory: root,
      imageSize: [8, 6],
      colorMode: 'grayscale',
      cacheDir,
    });
    expect(again.all.fromCache).toBe(true);
    expect(again.all.decoded).toBe(0);
    expect(Buffer.from(again.all.dataset.images).equals(Buffer.from(all.images))).toBe(true);
    expect(Array.from(again.all.dataset.labels)).toEqual(Array.from(all.labels));

    // Touching one file (new mtime) invalidates the cache.
    utimesSync(join(root, 'b_dog', 'd0.png'), new Date(), new Date(Date.now() + 5000));
    const touched = await imageDatasetFromDirectory({
      directory: root,
      imageSize: [8, 6],
      colorMode: 'grayscale',
      cacheDir,
    });
    expect(touched.all.fromCache).toBe(false);

    const split = await imageDatasetFromDirectory({
      directory: root,
      imageSize: [8, 8],
      validationSplit: 0.3,
      subset: 'both',
      seed: 3,
      cropToAspectRatio: true,
      labelMode: 'binary',
      cache: false,
    });
    // subset 'both' types both splits as present: no `?.` or `!` (a type error here if the overloads go)
    expectTypeOf(split.training).toEqualTypeOf<InMemoryDataset>();
    expectTypeOf(split.validation).toEqualTypeOf<InMemoryDataset>();
    expect(split.training.length).toBe(7);
    expect(split.validation.length).toBe(3);
    expect(split.training.channels).toBe(3);
    expect(split.training.labelMode).toBe('binary');
    const sameSeed = await imageDatasetFromDirectory({
      directory: root,
      imageSize: [8, 8],
      validationSplit: 0.3,
      subset: 'validation',
      seed: 3,
      cache: false,
    });
    expectTypeOf(sameSeed).not.toHaveProperty('training');
    expect(sameSeed.validation.sources).toEqual(split.validation.sources);
    expect('training' in sameSeed).toBe(false);
  });

  it('validates its options like Keras (subset needs validationSplit, a split needs a seed)', async () => {
    await expect(
      imageDatasetFromDirectory({ directory: tmp, validationSplit: 0.2, subset: 'training' }),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    await expect(imageDatasetFromDirectory({ directory: tmp, subset: 'training', seed: 1 })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });

  it('detects train/val/test split folders', async () => {
    const root = join(tmp, 'splits');
    await writeImage(join(root, 'train', 'x', '1.png'), { seed: 1 });
    await writeImage(join(root, 'train', 'y', '2.png'), { seed: 2 });
    await writeImage(join(root, 'test', 'y', '3.png'), { seed: 3 });
    const source = scanImageFolder(root);
    expect(source.classNames).toEqual(['x', 'y']);
    expect(source.records.map((r) => [r.split, r.label])).toEqual([
      ['test', 1],
      ['train', 0],
      ['train', 1],
    ]);
  });
});

describe('IDX source', () => {
  it('reads .gz and raw files', async () => {
    const images = new Uint8Array(3 * 4 * 5).map((_, i) => i);
    writeText(join(tmp, 'idx', 'img.gz'), gzipSync(idxBytes([3, 4, 5], images)));
    writeText(join(tmp, 'idx', 'lab'), idxBytes([3], new Uint8Array([2, 0, 1])));
    const ds = await readIdxDataset(join(tmp, 'idx', 'img.gz'), join(tmp, 'idx', 'lab'));
    expect([ds.length, ds.height, ds.width, ds.channels]).toEqual([3, 4, 5, 1]);
    expect(Array.from(ds.labels)).toEqual([2, 0, 1]);
    expect(Array.from(ds.sample(1).image.data.slice(0, 3))).toEqual([20, 21, 22]);
    expect(ds.classNames).toEqual(['0', '1', '2']);
  });
});

describe('CSV manifest', () => {
  it('reads path,label rows with a header and quoted fields', async () => {
    const root = join(tmp, 'csv');
    await writeImage(join(root, 'img', 'a.png'), { seed: 1 });
    await writeImage(join(root, 'img', 'b c.png'), { seed: 2 });
    writeText(join(root, 'labels.csv'), 'path,label\nimg/a.png,dog\n"img/b c.png",cat\n');
    const source = readCsvManifest(join(root, 'labels.csv'));
    expect(source.classNames).toEqual(['cat', 'dog']);
    expect(source.records.map((r) => r.label)).toEqual([1, 0]);
    const { dataset } = await loadImages(source, { imageSize: [4, 4], cache: false });
    expect(dataset.length).toBe(2);
  });
});

const W = 40;
const H = 30;

async function cocoFixture(masks: boolean): Promise<string> {
  const root = join(tmp, masks ? 'coco-masks' : 'coco-boxes');
  await writeImage(join(root, 'images', 'a.png'), { width: W, height: H, seed: 1 });
  await writeImage(join(root, 'images', 'b.png'), { width: W, height: H, seed: 2 });
  const rect = new Uint8Array(W * H);
  for (let y = 5; y < 15; y++) for (let x = 10; x < 30; x++) rect[y * W + x] = 1;
  const counts = maskToRle(rect, H, W);
  const annotations: Record<string, unknown>[] = [
    { id: 1, image_id: 1, category_id: 7, bbox: [1.25, 2.5, 10.125, 20] },
    { id: 2, image_id: 1, category_id: 3, bbox: [20, 10, 15, 10] },
    { id: 3, image_id: 2, category_id: 7, bbox: [10, 5, 20, 10] },
    { id: 4, image_id: 2, category_id: 3, bbox: [10, 5, 20, 10] },
  ];
  if (masks) {
    annotations[1] = { ...annotations[1], segmentation: [[20, 10, 35, 10, 35, 20, 20, 20]] };
    annotations[2] = { ...annotations[2], segmentation: { counts: encodeRleString(counts), size: [H, W] }, iscrowd: 1 };
    annotations[3] = { ...annotations[3], segmentation: { counts, size: [H, W] }, iscrowd: 1 };
  }
  const file = join(root, 'instances.json');
  writeText(
    file,
    JSON.stringify({
      images: [
        { id: 1, file_name: 'images/a.png', width: W, height: H },
        { id: 2, file_name: 'images/b.png', width: W, height: H },
      ],
      annotations,
      categories: [
        { id: 7, name: 'dog' },
        { id: 3, name: 'cat' },
      ],
    }),
  );
  return file;
}

describe('COCO source', () => {
  it('maps category ids to contiguous classes and converts xywh boxes', async () => {
    const source = readCoco(await cocoFixture(false));
    expect(source.task).toBe('detection');
    expect(source.classNames).toEqual(['cat', 'dog']);
    expect(source.categoryIds).toEqual([3, 7]);
    expect(source.records[0]?.labels).toEqual([1, 0]);
    expect(source.records[0]?.boxes?.[0]).toEqual([1.25, 2.5, 11.375, 22.5]);
  });

  it('decodes polygon, compressed RLE and uncompressed RLE masks', async () => {
    const source = readCoco(await cocoFixture(true));
    expect(source.task).toBe('instance-segmentation');
    const a = await readSample(source, 0);
    const b = await readSample(source, 1);
    if (a.target.kind !== 'instance-segmentation' || b.target.kind !== 'instance-segmentation') throw new Error('kind');
    const sum = (d: Uint8Array) => d.reduce((s, v) => s + v, 0);
    expect(sum(a.target.masks[0]?.data ?? new Uint8Array())).toBe(0); // no segmentation → empty mask
    expect(sum(a.target.masks[1]?.data ?? new Uint8Array())).toBe(15 * 10); // polygon 20..35 × 10..20
    const compressed = b.target.masks[0]?.data ?? new Uint8Array();
    const plain = b.target.masks[1]?.data ?? new Uint8Array();
    expect(sum(compressed)).toBe(200);
    expect(Buffer.from(compressed).equals(Buffer.from(plain))).toBe(true);
    expect(compressed[5 * W + 10]).toBe(1);
    expect(compressed[4 * W + 10]).toBe(0);
    expect(compressed[5 * W + 30]).toBe(0);
  });

  it('decodes the pycocotools string for an all-zero mask', async () => {
    const root = join(tmp, 'coco-zero');
    await writeImage(join(root, 'z.png'), { width: 4, height: 4 });
    writeText(
      join(root, 'z.json'),
      JSON.stringify({
        images: [{ id: 1, file_name: 'z.png', width: 4, height: 4 }],
        annotations: [
          { image_id: 1, category_id: 1, bbox: [0, 0, 1, 1], segmentation: { counts: '`0', size: [4, 4] } },
        ],
        categories: [{ id: 1, name: 'x' }],
      }),
    );
    const sample = await readSample(readCoco(join(root, 'z.json')), 0);
    if (sample.target.kind !== 'instance-segmentation') throw new Error('kind');
    expect(Array.from(sample.target.masks[0]?.data ?? [])).toEqual(new Array(16).fill(0));
  });

  it('moves boxes with the pixels when resizing', async () => {
    const source = readCoco(await cocoFixture(false));
    const sample = await readSample(source, 1, { imageSize: [15, 20] });
    if (sample.target.kind !== 'detection') throw new Error('kind');
    expect(sample.target.boxes[0]).toEqual([5, 2.5, 15, 7.5]);
    expect([sample.image.width, sample.image.height]).toEqual([20, 15]);
  });

  it('round-trips COCO → internal → YOLO → internal with the same boxes (1e-6)', async () => {
    const coco = readCoco(await cocoFixture(false));
    const yamlFile = await writeYolo(coco, join(tmp, 'as-yolo'));
    const yolo = await readYolo(yamlFile);
    expect(yolo.classNames).toEqual(coco.classNames);
    expect(yolo.records.length).toBe(coco.records.length);
    const maxDiff = (a: typeof coco.records, b: typeof coco.records) => {
      let worst = 0;
      a.forEach((record, i) => {
        expect(b[i]?.labels).toEqual(record.labels);
        expect(b[i]?.boxes?.length).toBe(record.boxes?.length);
        for (const [k, box] of (record.boxes ?? []).entries()) {
          for (const [j, v] of box.entries())
            worst = Math.max(worst, Math.abs((b[i]?.boxes?.[k]?.[j] ?? Number.NaN) - v));
        }
      });
      return worst;
    };
    expect(maxDiff(coco.records, yolo.records)).toBeLessThan(1e-6);
    const cocoAgain = readCoco(await writeCoco(yolo, join(tmp, 'again', 'coco.json')), { imageRoot: yolo.root });
    expect(maxDiff(coco.records, cocoAgain.records)).toBeLessThan(1e-6);
  });
});

describe('Pascal VOC source', () => {
  it('reads boxes and difficult flags (1-based → continuous xyxy)', async () => {
    const root = join(tmp, 'voc');
    await writeImage(join(root, 'JPEGImages', '0001.jpg'), { width: 50, height: 40, format: 'jpeg' });
    writeText(
      join(root, 'Annotations', '0001.xml'),
      `<?xml version="1.0"?>
<!-- a comment -->
<annotation>
  <filename>0001.jpg</filename>
  <size><width>50</width><height>40</height><depth>3</depth></size>
  <object><name>person</name><difficult>0</difficult>
    <bndbox><xmin>1</xmin><ymin>1</ymin><xmax>20</xmax><ymax>30</ymax></bndbox></object>
  <object><name>car &amp; bus</name><difficult>1</difficult>
    <bndbox><xmin>11</xmin><ymin>5</ymin><xmax>60</xmax><ymax>40</ymax></bndbox></object>
</annotation>`,
    );
    const source = readVoc(root);
    expect(source.classNames).toEqual(['car & bus', 'person']);
    const record = source.records[0];
    expect(record?.labels).toEqual([1, 0]);
    expect(record?.boxes).toEqual([
      [0, 0, 20, 30],
      [10, 4, 50, 40],
    ]);
    expect(record?.difficult).toEqual([false, true]);
    expect(source.issues.clippedBoxes).toBe(1);
    const sample = await readSample(source, 0);
    expect(sample.target.kind).toBe('detection');
  });
});

describe('YOLO source', () => {
  it('reads boxes and polygons per split from data.yaml', async () => {
    const root = join(tmp, 'yolo');
    await writeImage(join(root, 'images', 'train', 'x.png'), { width: 100, height: 50 });
    await writeImage(join(root, 'images', 'val', 'y.png'), { width: 100, height: 50, seed: 3 });
    writeText(join(root, 'labels', 'train', 'x.txt'), '0 0.5 0.5 0.2 0.4\n1 0.1 0.2 0.3 0.2 0.3 0.6 0.1 0.6\n');
    writeText(join(root, 'data.yaml'), 'path: .\ntrain: images/train\nval: images/val\nnames:\n  0: box\n  1: blob\n');
    const source = await readYolo(join(root, 'data.yaml'));
    expect(source.task).toBe('instance-segmentation');
    expect(source.classNames).toEqual(['box', 'blob']);
    const [x, y] = source.records;
    expect(x?.split).toBe('train');
    expect(y?.split).toBe('val');
    expect(y?.boxes).toEqual([]);
    expect(x?.labels).toEqual([0, 1]);
    const close = (a: readonly number[] | undefined, b: number[]) =>
      b.forEach((v, i) => {
        expect(a?.[i]).toBeCloseTo(v, 9);
      });
    close(x?.boxes?.[0], [40, 15, 60, 35]);
    close(x?.boxes?.[1], [10, 10, 30, 30]);
    const sample = await readSample(source, 0);
    if (sample.target.kind !== 'instance-segmentation') throw new Error('kind');
    expect(sample.target.masks[1]?.data.reduce((s, v) => s + v, 0)).toBe(400);
  });
});

describe('semantic mask folder', () => {
  it('pairs images with mask PNGs and resizes masks with nearest neighbour', async () => {
    const root = join(tmp, 'masks');
    await writeImage(join(root, 'images', 'm1.jpg'), { width: 8, height: 8, format: 'jpeg' });
    const mask = new Uint8Array(64).map((_, i) => (i % 8 < 4 ? 0 : i < 32 ? 1 : 2));
    const sharp = (await import('sharp')).default;
    writeText(
      join(root, 'masks', 'm1.png'),
      await sharp(mask, { raw: { width: 8, height: 8, channels: 1 } })
        .png()
        .toBuffer(),
    );
    const source = readMaskFolder({
      imagesDir: join(root, 'images'),
      masksDir: join(root, 'masks'),
      classNames: ['bg', 'a', 'b'],
    });
    const sample = await readSample(source, 0, { imageSize: [4, 4] });
    if (sample.target.kind !== 'semantic-segmentation') throw new Error('kind');
    expect(new Set(sample.target.mask.data)).toEqual(new Set([0, 1, 2]));
    expect(sample.target.mask.width).toBe(4);
    const opened = await openSource({
      format: 'masks',
      imagesDir: join(root, 'images'),
      masksDir: join(root, 'masks'),
      classNames: ['bg', 'a'],
    });
    if (opened.kind !== 'files') throw new Error('kind');
    const error = await readSample(opened.dataset, 0).catch((e: unknown) => e);
    expect(isOptikError(error, 'DATA_UNKNOWN_CLASS')).toBe(true);
  });
});
