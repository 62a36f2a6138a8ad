import { join } from 'node:path';
import type { OptikError } from '@optik/core';
import { tempDir } from '@optik/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadImages, openSource, readCoco, readYolo, writeCoco } from '../index.js';
import { caught, writeImage, writeText } from './fixtures.js';

// Bad detection annotations, as COCO and YOLO tools meet them: each gives one coded, one-paragraph OptikError
// naming the file (and line or JSON path), or a counted skip listed with its place and reason.

let tmp: string;
beforeAll(() => {
  tmp = tempDir('optik-data-bad-');
});

/** A COCO JSON in its own folder with two 20×10 images `a.png`, `b.png` (ids 1, 2) and category 7 `car`. */
function coco(name: string, extra: Record<string, unknown>): string {
  const file = join(tmp, name, 'annotations.json');
  writeText(
    file,
    JSON.stringify({
      images: [
        { id: 1, file_name: 'a.png', width: 20, height: 10 },
        { id: 2, file_name: 'b.png', width: 20, height: 10 },
      ],
      categories: [{ id: 7, name: 'car' }],
      ...extra,
    }),
  );
  return file;
}

/** One paragraph: a single line, no blank line, ending in a sentence. */
function expectOneParagraph(error: OptikError): void {
  expect(error.message).not.toContain('\n');
  expect(error.message.length).toBeGreaterThan(20);
  expect(error.message).toMatch(/[.)]$/);
}

describe('COCO: an image file missing on disk', () => {
  it('is a listed skip when loading (as for an unreadable image), and an error with onError: throw', async () => {
    const file = coco('missing-image', {
      annotations: [
        { image_id: 1, category_id: 7, bbox: [1, 1, 4, 4] },
        { image_id: 2, category_id: 7, bbox: [2, 2, 4, 4] },
      ],
    });
    await writeImage(join(tmp, 'missing-image', 'a.png'), { width: 20, height: 10 });
    const opened = await openSource({ format: 'coco', path: file });
    if (opened.kind !== 'files') throw new Error('expected files');
    const loaded = await loadImages(opened.dataset, { imageSize: [10, 20], cache: false });
    expect(loaded.decoded).toBe(1);
    expect(loaded.dataset.sources).toEqual([join(tmp, 'missing-image', 'a.png')]);
    expect(loaded.skipped).toHaveLength(1);
    expect(loaded.skipped[0]?.file).toBe(join(tmp, 'missing-image', 'b.png'));
    expect(loaded.skipped[0]?.reason).toContain('Cannot read the file');

    const error = await caught(() =>
      loadImages(opened.dataset, { imageSize: [10, 20], cache: false, onError: 'throw' }),
    );
    expect(error.code).toBe('DATA_NOT_FOUND');
    expect(error.details.file).toBe(join(tmp, 'missing-image', 'b.png'));
    expectOneParagraph(error);
  });
});

describe('a box of zero width or height', () => {
  it('COCO: is dropped with its label and listed with its JSON path; the image stays', async () => {
    const file = coco('zero-width', {
      annotations: [
        { image_id: 1, category_id: 7, bbox: [3, 2, 0, 5] },
        { image_id: 1, category_id: 7, bbox: [5, 1, 6, 4], iscrowd: 0 },
        { image_id: 2, category_id: 7, bbox: [1, 1, 8, 0] },
      ],
    });
    const dataset = readCoco(file);
    expect(dataset.records.map((r) => r.boxes)).toEqual([[[5, 1, 11, 5]], []]);
    expect(dataset.records.map((r) => r.labels)).toEqual([[0], []]);
    expect(dataset.issues.droppedBoxes).toEqual([
      { file: `${file} annotations[0]`, reason: 'A box has zero width (3, 2, 3, 7); dropped.' },
      { file: `${file} annotations[2]`, reason: 'A box has zero height (1, 1, 9, 1); dropped.' },
    ]);
    expect(dataset.issues.skipped).toEqual([]);

    await writeImage(join(tmp, 'zero-width', 'a.png'), { width: 20, height: 10 });
    await writeImage(join(tmp, 'zero-width', 'b.png'), { width: 20, height: 10 });
    const loaded = await loadImages(dataset, { imageSize: [10, 20], cache: false });
    expect(loaded.droppedBoxes).toHaveLength(2);
    expect(loaded.dataset.length).toBe(2);
    expect(loaded.dataset.targets?.[1]).toEqual({ kind: 'detection', labels: [], boxes: [] });
  });

  it('COCO strict: is a DATA_FORMAT error naming the annotation', async () => {
    const file = coco('zero-width-strict', { annotations: [{ image_id: 2, category_id: 7, bbox: [3, 2, 0, 5] }] });
    const error = await caught(() => readCoco(file, { strict: true }));
    expect(error.code).toBe('DATA_FORMAT');
    expect(error.details.file).toBe(`${file} annotations[0]`);
    expect(error.message).toContain('zero width');
    expect(error.message).toContain('strict');
    expectOneParagraph(error);
  });

  it('YOLO: a line with w = 0 is dropped and listed as file:line', async () => {
    const root = join(tmp, 'yolo-zero');
    await writeImage(join(root, 'images', 'train', 'a.png'), { width: 20, height: 10 });
    writeText(join(root, 'labels', 'train', 'a.txt'), '0 0.5 0.5 0 0.2\n0 0.5 0.5 0.5 0.2\n');
    writeText(join(root, 'data.yaml'), 'train: images/train\nnames: [car]\n');
    const dataset = await readYolo(join(root, 'data.yaml'));
    expect(dataset.records[0]?.boxes).toEqual([[5, 4, 15, 6]]);
    expect(dataset.records[0]?.labels).toEqual([0]);
    expect(dataset.issues.droppedBoxes?.map((d) => d.file)).toEqual([join(root, 'labels', 'train', 'a.txt:1')]);
  });
});

describe('coded errors naming the place', () => {
  it('COCO: a category id not in categories is DATA_UNKNOWN_CLASS with the JSON path and the known ids', async () => {
    const file = coco('unknown-category', {
      annotations: [
        { image_id: 1, category_id: 7, bbox: [1, 1, 4, 4] },
        { image_id: 2, category_id: 3, bbox: [1, 1, 4, 4] },
      ],
    });
    const error = await caught(() => readCoco(file));
    expect(error.code).toBe('DATA_UNKNOWN_CLASS');
    expect(error.details).toMatchObject({ file, path: 'annotations[1].category_id', received: 3 });
    expect(error.message).toContain('7=car');
    expectOneParagraph(error);
  });

  it('COCO: an image id listed twice is DATA_FORMAT naming the second entry', async () => {
    const file = join(tmp, 'twice', 'annotations.json');
    writeText(
      file,
      JSON.stringify({
        images: [
          { id: 4, file_name: 'a.png', width: 20, height: 10 },
          { id: 4, file_name: 'b.png', width: 20, height: 10 },
        ],
        annotations: [],
        categories: [{ id: 1, name: 'car' }],
      }),
    );
    const error = await caught(() => openSource({ format: 'coco', path: file }));
    expect(error.code).toBe('DATA_FORMAT');
    expect(error.details).toMatchObject({ file, path: 'images[1].id' });
    expect(error.message).toContain('Image id 4 appears twice');
    expect(error.message).toContain('unique');
    expectOneParagraph(error);
  });

  it('COCO: an annotation of an image not listed is DATA_MISMATCH naming it', async () => {
    const file = coco('no-image', { annotations: [{ image_id: 9, category_id: 7, bbox: [1, 1, 4, 4] }] });
    const error = await caught(() => readCoco(file));
    expect(error.code).toBe('DATA_MISMATCH');
    expect(error.details).toMatchObject({ file, path: 'annotations[0].image_id' });
    expectOneParagraph(error);
  });

  it('YOLO: a label line with 4 numbers (class + 3) is DATA_FORMAT naming file:line and the line', async () => {
    const root = join(tmp, 'yolo-four');
    await writeImage(join(root, 'images', 'train', 'a.png'), { width: 20, height: 10 });
    writeText(join(root, 'labels', 'train', 'a.txt'), '0 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2\n');
    writeText(join(root, 'data.yaml'), 'train: images/train\nnames: [car]\n');
    const error = await caught(() => openSource({ format: 'yolo', path: join(root, 'data.yaml') }));
    expect(error.code).toBe('DATA_FORMAT');
    expect(error.details.file).toBe(join(root, 'labels', 'train', 'a.txt:2'));
    expect(error.details.received).toBe('0 0.5 0.5 0.2');
    expect(error.message).toContain('class cx cy w h');
    expectOneParagraph(error);
  });
});

describe('COCO crowd annotations (iscrowd: 1)', () => {
  it('are read as per-box crowd flags, follow their boxes into the sample target and survive writeCoco', async () => {
    const file = coco('crowd', {
      annotations: [
        { image_id: 1, category_id: 7, bbox: [1, 1, 4, 4], iscrowd: 0 },
        { image_id: 1, category_id: 7, bbox: [3, 2, 0, 4], iscrowd: 1 },
        { image_id: 1, category_id: 7, bbox: [8, 1, 10, 8], iscrowd: 1 },
        { image_id: 2, category_id: 7, bbox: [2, 2, 5, 5] },
      ],
    });
    await writeImage(join(tmp, 'crowd', 'a.png'), { width: 20, height: 10 });
    await writeImage(join(tmp, 'crowd', 'b.png'), { width: 20, height: 10 });
    const dataset = readCoco(file);
    // The zero-width crowd box is dropped with its flag; the others keep theirs.
    expect(dataset.records.map((r) => r.crowd)).toEqual([[false, true], [false]]);
    expect(dataset.records[0]?.boxes).toEqual([
      [1, 1, 5, 5],
      [8, 1, 18, 9],
    ]);
    const loaded = await loadImages(dataset, { imageSize: [5, 10], cache: false });
    expect(loaded.dataset.targets?.[0]).toEqual({
      kind: 'detection',
      labels: [0, 0],
      boxes: [
        [0.5, 0.5, 2.5, 2.5],
        [4, 0.5, 9, 4.5],
      ],
      crowd: [false, true],
    });

    const out = join(tmp, 'crowd', 'written.json');
    await writeCoco(dataset, out);
    const back = readCoco(out, { imageRoot: dataset.root });
    expect(back.records.map((r) => r.crowd)).toEqual([[false, true], [false]]);

    // A file without crowds gives records without flags.
    const plain = readCoco(coco('no-crowd', { annotations: [{ image_id: 1, category_id: 7, bbox: [1, 1, 4, 4] }] }));
    expect(plain.records[0]?.crowd).toBeUndefined();
  });
});
