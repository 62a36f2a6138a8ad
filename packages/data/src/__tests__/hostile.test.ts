import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tempDir } from '@optik/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  loadImages,
  readCoco,
  readCsvManifest,
  readIdxDataset,
  readSample,
  readVoc,
  readYolo,
  scanImageFolder,
  stratifiedSplit,
} from '../index.js';
import { caught, idxBytes, writeImage, writeText } from './fixtures.js';

let tmp: string;
beforeAll(() => {
  tmp = tempDir('optik-data-');
});

describe('broken image files', () => {
  it('skips zero-byte, truncated JPEG/PNG and non-image files with a counted, listed reason', async () => {
    const root = join(tmp, 'broken');
    await writeImage(join(root, 'ok', 'good.png'), { seed: 1 });
    const jpeg = await writeImage(join(root, 'ok', 'good.jpg'), { seed: 2, format: 'jpeg', width: 64, height: 64 });
    const png = await writeImage(join(root, 'ok', 'good2.png'), { seed: 3, width: 64, height: 64 });
    writeText(join(root, 'bad', 'empty.png'), new Uint8Array(0));
    writeText(join(root, 'bad', 'truncated.jpg'), jpeg.subarray(0, Math.floor(jpeg.length * 0.6)));
    writeText(join(root, 'bad', 'truncated.png'), png.subarray(0, Math.floor(png.length * 0.6)));
    writeText(join(root, 'bad', 'text.png'), 'this is not a png');
    const source = scanImageFolder(root);
    const result = await loadImages(source, { imageSize: [8, 8], cache: false });
    expect(result.dataset.length).toBe(3);
    expect(result.skipped.map((s) => s.file.split('/').pop()).sort()).toEqual([
      'empty.png',
      'text.png',
      'truncated.jpg',
      'truncated.png',
    ]);
    for (const s of result.skipped) expect(s.reason).toContain(s.file);

    const index = source.records.findIndex((r) => r.file.endsWith('empty.png'));
    const error = await caught(() => readSample(source, index));
    expect(error.code).toBe('DATA_CORRUPT');
    expect(error.details.file).toContain('empty.png');
    await expect(loadImages(source, { imageSize: [8, 8], cache: false, onError: 'throw' })).rejects.toMatchObject({
      code: 'DATA_CORRUPT',
    });
  });
});

describe('IDX', () => {
  it('refuses a wrong magic number', async () => {
    const file = join(tmp, 'idx', 'bad-magic');
    writeText(file, Uint8Array.from([1, 2, 8, 3, 0, 0, 0, 0]));
    writeText(join(tmp, 'idx', 'labels'), idxBytes([1], new Uint8Array([0])));
    const error = await caught(() => readIdxDataset(file, join(tmp, 'idx', 'labels')));
    expect(error.code).toBe('DATA_FORMAT');
    expect(error.details.file).toBe(file);
  });

  it('refuses a label count different from the image count', async () => {
    writeText(join(tmp, 'idx', 'img.gz'), gzipSync(idxBytes([2, 2, 2], new Uint8Array(8))));
    writeText(join(tmp, 'idx', 'lab3'), idxBytes([3], new Uint8Array(3)));
    const error = await caught(() => readIdxDataset(join(tmp, 'idx', 'img.gz'), join(tmp, 'idx', 'lab3')));
    expect(error.code).toBe('DATA_MISMATCH');
    expect(error.message).toMatch(/label count \(3\) differs from the image count \(2\)/);
  });

  it('refuses a truncated body', async () => {
    const bytes = idxBytes([2, 2, 2], new Uint8Array(8));
    writeText(join(tmp, 'idx', 'short'), bytes.subarray(0, bytes.length - 3));
    const error = await caught(() => readIdxDataset(join(tmp, 'idx', 'short'), join(tmp, 'idx', 'lab3')));
    expect(error.code).toBe('DATA_CORRUPT');
  });
});

function cocoWith(fileName: string, extra: Record<string, unknown> = {}): string {
  const file = join(tmp, 'coco', `${Math.abs(hash(fileName + JSON.stringify(extra)))}.json`);
  writeText(
    file,
    JSON.stringify({
      images: [{ id: 1, file_name: fileName, width: 20, height: 10 }],
      annotations: [{ image_id: 1, category_id: 1, bbox: [0, 0, 5, 5] }],
      categories: [{ id: 1, name: 'a' }],
      ...extra,
    }),
  );
  return file;
}

function hash(text: string): number {
  let h = 0;
  for (const c of text) h = (h * 31 + c.charCodeAt(0)) | 0;
  return h;
}

describe('paths escaping the dataset root', () => {
  it('refuses COCO file_names with ../ or an absolute path, naming the JSON path', async () => {
    for (const name of ['../../etc/passwd', '/etc/passwd', 'images/../../x.png']) {
      const error = await caught(() => readCoco(cocoWith(name)));
      expect(error.code).toBe('DATA_PATH_ESCAPE');
      expect(error.message).toContain('images[0].file_name');
    }
  });

  it('refuses CSV paths that escape, naming file:line', async () => {
    const file = join(tmp, 'csv', 'm.csv');
    writeText(file, 'path,label\nok.png,a\n../secret.png,b\n');
    const error = await caught(() => readCsvManifest(file));
    expect(error.code).toBe('DATA_PATH_ESCAPE');
    expect(error.details.file).toBe(`${file}:3`);
    writeText(file, '/etc/hosts,a\n');
    expect((await caught(() => readCsvManifest(file))).code).toBe('DATA_PATH_ESCAPE');
  });
});

describe('boxes outside the image', () => {
  it('clips and counts them, or refuses them in strict mode', async () => {
    const file = cocoWith('a.png', {
      annotations: [
        { image_id: 1, category_id: 1, bbox: [-5, 2, 10, 4] },
        { image_id: 1, category_id: 1, bbox: [15, 5, 10, 10] },
        { image_id: 1, category_id: 1, bbox: [1, 1, 2, 2] },
      ],
    });
    const source = readCoco(file);
    expect(source.issues.clippedBoxes).toBe(2);
    expect(source.records[0]?.boxes).toEqual([
      [0, 2, 5, 6],
      [15, 5, 20, 10],
      [1, 1, 3, 3],
    ]);
    const error = await caught(() => readCoco(file, { strict: true }));
    expect(error.code).toBe('DATA_FORMAT');
    expect(error.message).toContain('annotations[0]');
  });
});

describe('unknown class ids', () => {
  it('YOLO: names file:line', async () => {
    const root = join(tmp, 'yolo-bad');
    await writeImage(join(root, 'images', 'train', 'a.png'));
    writeText(join(root, 'labels', 'train', 'a.txt'), '0 0.5 0.5 0.1 0.1\n\n2 0.5 0.5 0.1 0.1\n');
    writeText(join(root, 'data.yaml'), 'train: images/train\nnames: [a, b]\n');
    const error = await caught(() => readYolo(join(root, 'data.yaml')));
    expect(error.code).toBe('DATA_UNKNOWN_CLASS');
    expect(error.details.file).toBe(join(root, 'labels', 'train', 'a.txt:3'));
  });

  it('YOLO: a malformed line names file:line too', async () => {
    const root = join(tmp, 'yolo-bad');
    writeText(join(root, 'labels', 'train', 'a.txt'), '0 0.5 0.5\n');
    const error = await caught(() => readYolo(join(root, 'data.yaml')));
    expect(error.code).toBe('DATA_FORMAT');
    expect(error.details.file).toBe(join(root, 'labels', 'train', 'a.txt:1'));
  });

  it('COCO: names the JSON path', async () => {
    const file = cocoWith('a.png', { annotations: [{ image_id: 1, category_id: 9, bbox: [0, 0, 1, 1] }] });
    const error = await caught(() => readCoco(file));
    expect(error.code).toBe('DATA_UNKNOWN_CLASS');
    expect(error.details.path).toBe('annotations[0].category_id');
  });

  it('CSV: names file:line', async () => {
    const file = join(tmp, 'csv', 'u.csv');
    writeText(file, 'a.png,cat\nb.png,zebra\n');
    const error = await caught(() => readCsvManifest(file, { classNames: ['cat', 'dog'] }));
    expect(error.code).toBe('DATA_UNKNOWN_CLASS');
    expect(error.details.file).toBe(`${file}:2`);
  });

  it('VOC: names file:line of the <name> element', async () => {
    const root = join(tmp, 'voc-bad');
    writeText(
      join(root, 'Annotations', 'x.xml'),
      '<annotation>\n<filename>x.jpg</filename>\n<size><width>9</width><height>9</height></size>\n<object>\n<name>ufo</name>\n<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox>\n</object>\n</annotation>\n',
    );
    const error = await caught(() => readVoc(root, { classNames: ['car'] }));
    expect(error.code).toBe('DATA_UNKNOWN_CLASS');
    expect(error.details.file).toBe(join(root, 'Annotations', 'x.xml:5'));
  });
});

describe('malformed annotation files', () => {
  it('COCO schema errors name the file and JSON path', async () => {
    const file = join(tmp, 'coco', 'schema.json');
    writeText(
      file,
      JSON.stringify({
        images: [{ id: 1, file_name: 'a.png', width: -3, height: 2 }],
        categories: [{ id: 1, name: 'a' }],
      }),
    );
    const error = await caught(() => readCoco(file));
    expect(error.code).toBe('DATA_FORMAT');
    expect(error.message).toContain('images[0].width');
    expect(error.details.file).toBe(file);
  });

  it('invalid JSON and malformed XML are coded errors', async () => {
    const file = join(tmp, 'coco', 'broken.json');
    writeText(file, '{"images": [');
    expect((await caught(() => readCoco(file))).code).toBe('DATA_FORMAT');
    const root = join(tmp, 'voc-xml');
    writeText(join(root, 'Annotations', 'y.xml'), '<annotation>\n<filename>y.jpg</file>\n</annotation>');
    const error = await caught(() => readVoc(root));
    expect(error.code).toBe('DATA_FORMAT');
    expect(error.details.file).toBe(join(root, 'Annotations', 'y.xml:2'));
  });

  it('a CSV row with the wrong number of fields names file:line', async () => {
    const file = join(tmp, 'csv', 'f.csv');
    writeText(file, 'a.png,cat\nb.png,dog,extra\n');
    const error = await caught(() => readCsvManifest(file));
    expect(error.code).toBe('DATA_FORMAT');
    expect(error.details.file).toBe(`${file}:2`);
    expect(readFileSync(file, 'utf8')).toContain('extra');
  });
});

// Issue #11: manifests that lead out of the dataset through links, or to files that never end.
describe('CSV manifest rows that are links, FIFOs, devices or huge files', () => {
  it('refuses a row that is a symbolic link out of the root (to /etc/passwd, /dev/zero) or through a linked folder', async () => {
    const root = join(tmp, 'links');
    await writeImage(join(root, 'ok.png'), { seed: 4 });
    mkdirSync(join(root, 'inside'), { recursive: true });
    symlinkSync(join(root, 'ok.png'), join(root, 'inside', 'alias.png'));
    symlinkSync('/etc/passwd', join(root, 'passwd.png'));
    symlinkSync('/dev/zero', join(root, 'zero.png'));
    symlinkSync('/etc', join(root, 'etc'));
    const file = join(root, 'm.csv');
    // A link that stays inside the root is fine.
    writeText(file, 'path,label\nok.png,a\ninside/alias.png,b\n');
    expect((await readCsvManifest(file)).records).toHaveLength(2);
    for (const [row, target] of [
      ['passwd.png', '/etc/passwd'],
      ['zero.png', '/dev/zero'],
      ['etc/hostname', '/etc/hostname'],
    ] as const) {
      writeText(file, `path,label\nok.png,a\n${row},b\n`);
      const error = await caught(() => readCsvManifest(file));
      expect(error.code, row).toBe('DATA_PATH_ESCAPE');
      expect(error.details.file).toBe(`${file}:3`);
      expect(error.message).toContain(`to ${target}`);
      expect(error.message).toMatch(/Copy the file into/);
    }
  });

  it('a FIFO named by a row is refused at once (DATA_NOT_A_FILE) instead of blocking forever', {
    timeout: 15_000,
  }, async () => {
    const root = join(tmp, 'fifo');
    await writeImage(join(root, 'ok.png'), { seed: 5 });
    execFileSync('mkfifo', [join(root, 'pipe.png')]);
    const file = join(root, 'm.csv');
    writeText(file, 'ok.png,a\npipe.png,b\n');
    const dataset = await readCsvManifest(file);
    const error = await caught(() => readSample(dataset, 1, { colorMode: 'rgb' }));
    expect(error.code).toBe('DATA_NOT_A_FILE');
    expect(error.message).toMatch(/is a FIFO \(named pipe\), not a regular file/);
    // Not a damaged image to skip: the whole load stops with the coded error.
    expect((await caught(() => loadImages(dataset, { imageSize: [8, 8] }))).code).toBe('DATA_NOT_A_FILE');
  });

  it.skipIf(process.getuid?.() !== 0)('a character device inside the root (mknod, as root) is refused', async () => {
    const root = join(tmp, 'device');
    mkdirSync(root, { recursive: true });
    execFileSync('mknod', [join(root, 'zero.png'), 'c', '1', '5']);
    const file = join(root, 'm.csv');
    writeText(file, 'zero.png,a\n');
    const error = await caught(async () => readSample(await readCsvManifest(file), 0, {}));
    expect(error.code).toBe('DATA_NOT_A_FILE');
    expect(error.message).toMatch(/is a device/);
  });

  it('a file above the size cap is DATA_TOO_LARGE, without reading it', async () => {
    const root = join(tmp, 'huge');
    const big = join(root, 'big.png');
    writeText(big, new Uint8Array(16));
    truncateSync(big, 600 * 1024 * 1024); // sparse: no disk used
    const file = join(root, 'm.csv');
    writeText(file, 'big.png,a\n');
    const error = await caught(async () => readSample(await readCsvManifest(file), 0, {}));
    expect(error.code).toBe('DATA_TOO_LARGE');
    expect(error.message).toMatch(/600 MiB, above the 512 MiB/);
  });
});

// Issue #11: `limit.validation: 100` gave 101 images (each class rounded on its own).
describe('a stratified split takes exactly the asked count', () => {
  it('test: limit / N gives exactly limit images for every limit, over uneven classes', () => {
    for (const sizes of [
      [34, 33, 33],
      [50, 7, 1, 42, 3],
      [101, 99, 100, 100, 1, 3, 17, 35, 45, 99],
    ]) {
      const labels = sizes.flatMap((n, c) => Array.from({ length: n }, () => c));
      for (let limit = 1; limit < labels.length; limit++) {
        const split = stratifiedSplit(labels, { test: limit / labels.length, seed: 3 });
        expect(split.test.length, `${sizes} limit ${limit}`).toBe(limit);
        expect(split.train.length + split.test.length).toBe(labels.length);
      }
    }
    // The case reported: 100 of 3 classes (334 + 333 + 333) → 100, not 101.
    const labels = [334, 333, 333].flatMap((n, c) => Array.from({ length: n }, () => c));
    expect(stratifiedSplit(labels, { test: 100 / labels.length }).test.length).toBe(100);
  });

  it('validation and test both come out exact, stay stratified and disjoint', () => {
    const labels = [13, 27, 9, 51].flatMap((n, c) => Array.from({ length: n }, () => c));
    const split = stratifiedSplit(labels, { validation: 0.15, test: 0.2, seed: 7 });
    expect(split.test.length).toBe(Math.round(labels.length * 0.2));
    expect(split.validation.length).toBe(Math.round(labels.length * 0.15));
    const all = [...split.train, ...split.validation, ...split.test];
    expect(new Set(all).size).toBe(labels.length);
    for (let c = 0; c < 4; c++) {
      const inTest = Array.from(split.test).filter((i) => labels[i] === c).length;
      const share = labels.filter((l) => l === c).length * 0.2;
      expect(Math.abs(inTest - share)).toBeLessThan(1);
    }
  });
});
