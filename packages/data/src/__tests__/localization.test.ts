import { join } from 'node:path';
import { tempDir } from '@optik/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  formatInspectReport,
  inspectDataset,
  loadImages,
  readCoco,
  readCsvManifest,
  readSample,
  readVoc,
  readYolo,
  scanImageFolder,
  toLocalization,
  writeCoco,
  writeVoc,
  writeYolo,
} from '../index.js';
import { caught, writeImage, writeText } from './fixtures.js';

let tmp: string;
beforeAll(() => {
  tmp = tempDir('optik-data-');
});

type Obj = { name: string; box: [number, number, number, number] };

/** A VOC folder: one annotation per image, VOC's 1-based pixel coordinates written from xyxy boxes. */
async function vocFolder(root: string, images: { name: string; width: number; height: number; objects: Obj[] }[]) {
  for (const image of images) {
    await writeImage(join(root, 'JPEGImages', image.name), { width: image.width, height: image.height });
    const objects = image.objects
      .map(
        (o) =>
          `<object><name>${o.name}</name><bndbox><xmin>${o.box[0] + 1}</xmin><ymin>${o.box[1] + 1}</ymin><xmax>${o.box[2]}</xmax><ymax>${o.box[3]}</ymax></bndbox></object>`,
      )
      .join('\n');
    writeText(
      join(root, 'Annotations', image.name.replace(/\.png$/, '.xml')),
      `<annotation><filename>${image.name}</filename><size><width>${image.width}</width><height>${image.height}</height></size>\n${objects}\n</annotation>\n`,
    );
  }
  return root;
}

describe('toLocalization: one class and one box per image', () => {
  it('converts VOC, and readSample/loadImages move the box with the resized image', async () => {
    const root = await vocFolder(join(tmp, 'voc'), [
      { name: 'a.png', width: 40, height: 20, objects: [{ name: 'cat', box: [4, 2, 24, 12] }] },
      { name: 'b.png', width: 40, height: 20, objects: [{ name: 'dog', box: [10, 5, 30, 15] }] },
    ]);
    const { dataset, skipped } = toLocalization(readVoc(root));
    expect(skipped).toEqual([]);
    expect(dataset.task).toBe('localization');
    expect(dataset.classNames).toEqual(['cat', 'dog']);
    expect(dataset.records.map((r) => [r.label, r.boxes])).toEqual([
      [0, [[4, 2, 24, 12]]],
      [1, [[10, 5, 30, 15]]],
    ]);
    // 40×20 → 20×10 (fill): every coordinate halves.
    const sample = await readSample(dataset, 0, { imageSize: [10, 20] });
    expect(sample.target).toEqual({ kind: 'localization', label: 0, box: [2, 1, 12, 6] });
    // contain into 40×40: scale 1, the image is centred 10 px down.
    const padded = await readSample(dataset, 1, { imageSize: [40, 40], fit: 'contain' });
    expect(padded.target).toEqual({ kind: 'localization', label: 1, box: [10, 15, 30, 25] });

    const { dataset: images } = await loadImages(dataset, { imageSize: [10, 20], colorMode: 'grayscale' });
    expect(Array.from(images.labels)).toEqual([0, 1]);
    expect(images.targets).toEqual([
      { kind: 'localization', label: 0, box: [2, 1, 12, 6] },
      { kind: 'localization', label: 1, box: [5, 2.5, 15, 7.5] },
    ]);
    expect(images.sample(1).target).toEqual({ kind: 'localization', label: 1, box: [5, 2.5, 15, 7.5] });
  });

  it('reads the same boxes from COCO and YOLO', async () => {
    const root = join(tmp, 'coco-yolo');
    await writeImage(join(root, 'images', 'train', 'a.png'), { width: 64, height: 32 });
    writeText(
      join(root, 'coco.json'),
      JSON.stringify({
        images: [{ id: 7, file_name: 'images/train/a.png', width: 64, height: 32 }],
        annotations: [{ image_id: 7, category_id: 3, bbox: [8, 4, 16, 8] }],
        categories: [
          { id: 1, name: 'cat' },
          { id: 3, name: 'dog' },
        ],
      }),
    );
    writeText(join(root, 'labels', 'train', 'a.txt'), '1 0.25 0.25 0.25 0.25\n');
    writeText(join(root, 'data.yaml'), 'train: images/train\nnames: [cat, dog]\n');
    const coco = toLocalization(readCoco(join(root, 'coco.json'))).dataset;
    const yolo = toLocalization(await readYolo(join(root, 'data.yaml'))).dataset;
    for (const ds of [coco, yolo]) {
      expect(ds.records.map((r) => [r.file, r.label, r.boxes])).toEqual([
        [join(root, 'images', 'train', 'a.png'), 1, [[8, 4, 24, 12]]],
      ]);
      expect((await readSample(ds, 0)).target).toEqual({ kind: 'localization', label: 1, box: [8, 4, 24, 12] });
    }
  });

  it('reads a CSV manifest with path,label,xmin,ymin,xmax,ymax columns', async () => {
    const root = join(tmp, 'csv');
    await writeImage(join(root, 'img', 'a.png'), { width: 30, height: 30 });
    await writeImage(join(root, 'img', 'b.png'), { width: 30, height: 30, seed: 1 });
    await writeImage(join(root, 'img', 'c.png'), { width: 30, height: 30, seed: 2 });
    const file = join(root, 'boxes.csv');
    writeText(
      file,
      'path,label,xmin,ymin,xmax,ymax\nimg/a.png,shoe,1,2,11,12\n"img/b.png",bag,0,0,30,30\nimg/c.png,,,,,\n',
    );
    const source = readCsvManifest(file);
    expect(source.task).toBe('detection');
    expect(source.classNames).toEqual(['bag', 'shoe']);
    expect(source.records.map((r) => r.boxes?.length)).toEqual([1, 1, 0]);
    const { dataset, skipped } = toLocalization(source);
    expect(skipped).toEqual([{ file: join(root, 'img', 'c.png'), reason: expect.stringContaining('no box') }]);
    expect(dataset.issues.skipped).toEqual(skipped);
    const { dataset: images } = await loadImages(dataset, { imageSize: [15, 15], cache: false });
    expect(images.targets).toEqual([
      { kind: 'localization', label: 1, box: [0.5, 1, 5.5, 6] },
      { kind: 'localization', label: 0, box: [0, 0, 15, 15] },
    ]);
    // The classification layout is unchanged.
    writeText(join(root, 'labels.csv'), 'path,label\nimg/a.png,shoe\n');
    expect(readCsvManifest(join(root, 'labels.csv')).task).toBe('classification');
  });
});

describe('toLocalization: bad input', () => {
  it('an image with no box: skipped and listed by default, an error with noBox: "error"', async () => {
    const root = await vocFolder(join(tmp, 'nobox'), [
      { name: 'a.png', width: 20, height: 20, objects: [{ name: 'cat', box: [1, 1, 9, 9] }] },
      { name: 'empty.png', width: 20, height: 20, objects: [] },
    ]);
    const { dataset, skipped } = toLocalization(readVoc(root));
    expect(dataset.records).toHaveLength(1);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]?.file).toBe(join(root, 'JPEGImages', 'empty.png'));
    const { skipped: listed } = await loadImages(dataset, { imageSize: [8, 8], cache: false });
    expect(listed.map((s) => s.file)).toEqual([join(root, 'JPEGImages', 'empty.png')]);

    const error = await caught(() => toLocalization(readVoc(root), { noBox: 'error' }));
    expect(error.code).toBe('DATA_FORMAT');
    expect(error.message).toContain('has no box');
    expect(error.message).toContain('empty.png');
    expect(error.message).toContain('noBox: "skip"');
  });

  it('several boxes: an error by default, or skipped, or the largest kept with its class', async () => {
    const root = await vocFolder(join(tmp, 'several'), [
      {
        name: 'two.png',
        width: 40,
        height: 40,
        objects: [
          { name: 'cat', box: [0, 0, 10, 10] },
          { name: 'dog', box: [5, 5, 35, 25] },
          { name: 'cat', box: [20, 20, 30, 30] },
        ],
      },
      { name: 'one.png', width: 40, height: 40, objects: [{ name: 'cat', box: [2, 2, 8, 8] }] },
    ]);
    const error = await caught(() => toLocalization(readVoc(root)));
    expect(error.code).toBe('DATA_FORMAT');
    expect(error.message).toContain('3 boxes');
    expect(error.message).toContain('two.png');
    expect(error.message).toContain('multipleBoxes: "largest"');

    const skipped = toLocalization(readVoc(root), { multipleBoxes: 'skip' });
    expect(skipped.dataset.records.map((r) => r.file)).toEqual([join(root, 'JPEGImages', 'one.png')]);
    expect(skipped.skipped).toEqual([
      { file: join(root, 'JPEGImages', 'two.png'), reason: expect.stringContaining('3 boxes') },
    ]);

    const largest = toLocalization(readVoc(root), { multipleBoxes: 'largest' });
    const two = largest.dataset.records.find((r) => r.file.endsWith('two.png'));
    expect([two?.label, two?.boxes, two?.labels]).toEqual([1, [[5, 5, 35, 25]], [1]]);
    expect(largest.skipped).toEqual([]);
  });

  it('a box partly outside is clipped and counted; one entirely outside is an error', async () => {
    const partly = await vocFolder(join(tmp, 'partly'), [
      { name: 'a.png', width: 20, height: 20, objects: [{ name: 'cat', box: [10, -4, 30, 10] }] },
    ]);
    const { dataset } = toLocalization(readVoc(partly));
    expect(dataset.issues.clippedBoxes).toBe(1);
    expect(dataset.records[0]?.boxes).toEqual([[10, 0, 20, 10]]);

    const outside = await vocFolder(join(tmp, 'outside'), [
      { name: 'a.png', width: 20, height: 20, objects: [{ name: 'cat', box: [25, 2, 40, 10] }] },
    ]);
    const error = await caught(() => readVoc(outside));
    expect(error.code).toBe('DATA_FORMAT');
    expect(error.message).toContain('entirely outside the 20×20 image');
    expect(error.message).toContain('a.xml');

    // A CSV states no image size, so the decoded image is the judge.
    const root = join(tmp, 'csv-outside');
    await writeImage(join(root, 'a.png'), { width: 20, height: 20 });
    writeText(join(root, 'in.csv'), 'path,label,xmin,ymin,xmax,ymax\na.png,cat,-5,5,10,25\n');
    writeText(join(root, 'out.csv'), 'path,label,xmin,ymin,xmax,ymax\na.png,cat,0.2,0.2,0.8,0.8\n');
    writeText(join(root, 'far.csv'), 'path,label,xmin,ymin,xmax,ymax\na.png,cat,100,100,150,150\n');
    const clipped = await readSample(toLocalization(readCsvManifest(join(root, 'in.csv'))).dataset, 0);
    expect(clipped.target).toEqual({ kind: 'localization', label: 0, box: [0, 5, 10, 20] });
    const far = await caught(() => readSample(toLocalization(readCsvManifest(join(root, 'far.csv'))).dataset, 0));
    expect(far.code).toBe('DATA_FORMAT');
    expect(far.message).toContain('entirely outside the 20×20 image');
    expect(far.message).toContain('a.png');
    // A normalised box is a valid, tiny pixel box: readable, and visibly tiny in the inspect report.
    expect((await readSample(toLocalization(readCsvManifest(join(root, 'out.csv'))).dataset, 0)).target).toEqual({
      kind: 'localization',
      label: 0,
      box: [0.2, 0.2, 0.8, 0.8],
    });
  });

  it('a degenerate box: zero width is dropped and listed (an error with strict), negative is an error', async () => {
    const root = join(tmp, 'degenerate');
    await writeImage(join(root, 'a.png'), { width: 20, height: 20 });
    writeText(
      join(root, 'zero.json'),
      JSON.stringify({
        images: [{ id: 1, file_name: 'a.png', width: 20, height: 20 }],
        annotations: [{ image_id: 1, category_id: 1, bbox: [5, 5, 0, 8] }],
        categories: [{ id: 1, name: 'cat' }],
      }),
    );
    const read = readCoco(join(root, 'zero.json'));
    expect(read.records[0]?.boxes).toEqual([]);
    expect(read.issues.droppedBoxes).toEqual([
      { file: `${join(root, 'zero.json')} annotations[0]`, reason: 'A box has zero width (5, 5, 5, 13); dropped.' },
    ]);
    const zero = await caught(() => readCoco(join(root, 'zero.json'), { strict: true }));
    expect(zero.code).toBe('DATA_FORMAT');
    expect(zero.message).toContain('zero width');
    expect(zero.message).toContain('zero.json annotations[0]');

    const negative = await vocFolder(join(tmp, 'negative'), [
      { name: 'a.png', width: 20, height: 20, objects: [{ name: 'cat', box: [10, 2, 4, 8] }] },
    ]);
    const error = await caught(() => readVoc(negative));
    expect(error.code).toBe('DATA_FORMAT');
    expect(error.message).toContain('xMax < xMin');

    writeText(join(root, 'neg.csv'), 'path,label,xmin,ymin,xmax,ymax\na.png,cat,5,9,8,3\n');
    const csv = await caught(() => readCsvManifest(join(root, 'neg.csv')));
    expect(csv.code).toBe('DATA_FORMAT');
    expect(csv.message).toContain('neg.csv:2');
    writeText(join(root, 'nan.csv'), 'path,label,xmin,ymin,xmax,ymax\na.png,cat,5,x,8,3\n');
    expect((await caught(() => readCsvManifest(join(root, 'nan.csv')))).message).toContain('must be numbers');
  });

  it('a class missing from the class list is DATA_UNKNOWN_CLASS naming the file and line', async () => {
    const root = join(tmp, 'unknown');
    await writeImage(join(root, 'a.png'));
    writeText(join(root, 'boxes.csv'), 'path,label,xmin,ymin,xmax,ymax\na.png,cat,1,1,5,5\na.png,zebra,2,2,6,6\n');
    const csv = await caught(() => readCsvManifest(join(root, 'boxes.csv'), { classNames: ['cat', 'dog'] }));
    expect(csv.code).toBe('DATA_UNKNOWN_CLASS');
    expect(csv.details.file).toBe(`${join(root, 'boxes.csv')}:3`);
    expect(csv.message).toContain('Known classes: cat, dog');

    const voc = await vocFolder(join(tmp, 'unknown-voc'), [
      { name: 'a.png', width: 20, height: 20, objects: [{ name: 'zebra', box: [1, 1, 5, 5] }] },
    ]);
    expect((await caught(() => readVoc(voc, { classNames: ['cat'] }))).code).toBe('DATA_UNKNOWN_CLASS');

    // A hand-made source whose label is outside its class list.
    const source = readCsvManifest(join(root, 'boxes.csv'));
    const broken = {
      ...source,
      classNames: ['cat'],
      records: [{ file: join(root, 'a.png'), boxes: [[1, 1, 5, 5] as const], labels: [3] }],
    };
    const error = await caught(() => toLocalization(broken));
    expect(error.code).toBe('DATA_UNKNOWN_CLASS');
    expect(error.message).toContain('Class id 3');
  });

  it('refuses a class-per-folder tree, saying it is a classification folder', async () => {
    const root = join(tmp, 'folders');
    await writeImage(join(root, 'cat', 'a.png'));
    await writeImage(join(root, 'dog', 'b.png'));
    const error = await caught(() => toLocalization(scanImageFolder(root)));
    expect(error.code).toBe('DATA_FORMAT');
    expect(error.message).toContain('class-per-folder (classification) tree');
    expect(error.message).toContain('has no boxes at all');
    expect(error.message).toContain(root);
    expect(error.message).toContain('path,label,xmin,ymin,xmax,ymax');
  });

  it('rejects bad options, and a source where every image is skipped', async () => {
    const root = await vocFolder(join(tmp, 'all-empty'), [{ name: 'a.png', width: 20, height: 20, objects: [] }]);
    const source = readVoc(join(tmp, 'several'));
    expect((await caught(() => toLocalization(source, { multipleBoxes: 'first' as 'skip' }))).code).toBe(
      'CONFIG_INVALID',
    );
    const none = await caught(() => toLocalization(readVoc(root)));
    expect(none.code).toBe('DATA_NOT_FOUND');
    expect(none.message).toContain('1 skipped');
  });
});

describe('writeVoc and the box report', () => {
  it('writes VOC that reads back to the same localization records; COCO and YOLO agree', async () => {
    const root = await vocFolder(join(tmp, 'export-src'), [
      { name: 'a.png', width: 32, height: 16, objects: [{ name: 'cat', box: [3, 2, 17, 9] }] },
      { name: 'b.png', width: 32, height: 16, objects: [{ name: 'dog', box: [0, 0, 32, 16] }] },
    ]);
    const source = toLocalization(readVoc(root)).dataset;
    const vocDir = await writeVoc(source, join(tmp, 'export-voc'));
    const cocoFile = await writeCoco(source, join(tmp, 'export-coco', 'instances.json'));
    const yoloFile = await writeYolo(source, join(tmp, 'export-yolo'));
    const expected = source.records.map((r) => [r.label, r.boxes]);
    const fromVoc = toLocalization(readVoc(vocDir)).dataset;
    const fromCoco = toLocalization(readCoco(cocoFile, { imageRoot: source.root })).dataset;
    const fromYolo = toLocalization(await readYolo(yoloFile)).dataset;
    for (const ds of [fromVoc, fromCoco, fromYolo]) {
      expect(ds.classNames).toEqual(['cat', 'dog']);
      expect(ds.records.map((r) => [r.label, r.boxes])).toEqual(expected);
    }
    expect(fromVoc.records.map((r) => r.file)).toEqual([
      join(vocDir, 'JPEGImages', 'a.png'),
      join(vocDir, 'JPEGImages', 'b.png'),
    ]);
    await expect(writeVoc(scanImageFolder(join(tmp, 'folders')), join(tmp, 'x'))).rejects.toMatchObject({
      code: 'ARGUMENT_INVALID',
    });
  });

  it('inspect reports box sizes relative to the image and box centre positions', async () => {
    const root = join(tmp, 'inspect-yolo');
    await writeImage(join(root, 'images', 'train', 'a.png'), { width: 100, height: 50 });
    await writeImage(join(root, 'images', 'train', 'b.png'), { width: 100, height: 50, seed: 1 });
    writeText(join(root, 'labels', 'train', 'a.txt'), '0 0.1 0.5 0.2 0.3\n');
    writeText(join(root, 'labels', 'train', 'b.txt'), '1 0.7 0.9 0.5 0.2\n');
    writeText(join(root, 'data.yaml'), 'train: images/train\nnames: [small, big]\n');
    const report = await inspectDataset({ format: 'yolo', path: join(root, 'data.yaml') });
    const count = (bins: readonly { label: string; count: number }[]) => bins.filter((b) => b.count > 0);
    expect(count(report.boxes?.positions.x ?? [])).toEqual([
      { label: '0.0–0.2', count: 1 },
      { label: '0.6–0.8', count: 1 },
    ]);
    expect(count(report.boxes?.positions.y ?? [])).toEqual([
      { label: '0.4–0.6', count: 1 },
      { label: '0.8–1.0', count: 1 },
    ]);
    // √(0.2·0.3) ≈ 0.245 and √(0.5·0.2) ≈ 0.316.
    expect(count(report.boxes?.relativeSizes ?? [])).toEqual([
      { label: '0.2–0.3', count: 1 },
      { label: '0.3–0.4', count: 1 },
    ]);
    expect(formatInspectReport(report)).toContain('box centres x (of width): 0.0–0.2:1');
  });
});
