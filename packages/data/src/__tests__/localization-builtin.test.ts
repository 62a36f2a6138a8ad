import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BoxXyxy, OptikError, SampleTarget } from '@optik/core';
import { tempDir } from '@optik/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  FASHION_MNIST_CLASSES,
  type InMemoryDataset,
  inspectDataset,
  loadBuiltinDataset,
  loadImages,
  readCoco,
  readVoc,
  readYolo,
  toLocalization,
  writeCoco,
  writeImageFiles,
  writeVoc,
  writeYolo,
} from '../index.js';

const NAME = 'fashion-mnist-localization';
const FASHION = '/usr/share/datasets/fashion-mnist';
const PHOTOS = '/usr/share/doc/opencv-doc/examples/data';
const hasFashion = existsSync(join(FASHION, 'train-images-idx3-ubyte.gz'));
const hasPhotos = ['aero1.jpg', 'squirrel_cls.jpg', 'stuff.jpg'].every((f) => existsSync(join(PHOTOS, f)));
const missing = !hasFashion
  ? `Fashion-MNIST is not in ${FASHION} (apt-get install dataset-fashion-mnist)`
  : !hasPhotos
    ? `the background photos are not in ${PHOTOS} (apt-get install opencv-doc)`
    : undefined;
if (missing !== undefined) console.warn(`${NAME} real-data tests skipped: ${missing}.`);
const realData = it.skipIf(missing !== undefined);

/** Offline: the installed packages or nothing. */
const local = { download: false, apt: false } as const;

let tmp: string;
beforeAll(() => {
  tmp = tempDir('optik-data-');
  process.env.OPTIK_CACHE_DIR = join(tmp, 'default-cache');
});

function boxOf(target: SampleTarget | undefined): BoxXyxy {
  if (target?.kind !== 'localization') throw new Error(`expected a localization target, got ${target?.kind}`);
  return target.box;
}

function itemOf(source: string | undefined): { split: string; index: number } {
  const match = / item=fashion-mnist\/(train|test)#(\d+) /.exec(source ?? '');
  if (match === null) throw new Error(`no item in ${source}`);
  return { split: match[1] as string, index: Number(match[2]) };
}

const backgroundOf = (source: string | undefined) => / background=(.+)$/.exec(source ?? '')?.[1] ?? '';

describe(NAME, () => {
  realData(
    'pastes real Fashion-MNIST items on real photos: 12k/2k/2k balanced 64×64 canvases with boxes that fit each item',
    async () => {
      // Seed 0 and the default cache dir, which the inspect test below then reads.
      const data = await loadBuiltinDataset(NAME, local);
      expect(data.task).toBe('localization');
      expect(data.classNames).toEqual(FASHION_MNIST_CLASSES);
      expect(data.origin).toEqual({ kind: 'system', location: FASHION });
      expect(data.backgrounds).toEqual({ kind: 'system', location: PHOTOS });
      expect([data.train.length, data.validation.length, data.test.length]).toEqual([12000, 2000, 2000]);
      expect(data.train.classCounts()).toEqual(new Array(10).fill(1200));
      expect(data.validation.classCounts()).toEqual(new Array(10).fill(200));
      expect(data.test.classCounts()).toEqual(new Array(10).fill(200));
      for (const split of [data.train, data.validation, data.test]) {
        expect([split.height, split.width, split.channels]).toEqual([64, 64, 1]);
        split.targets?.forEach((target, i) => {
          const [x0, y0, x1, y1] = boxOf(target);
          expect(target).toMatchObject({ label: split.labels[i] });
          expect(x0 >= 0 && y0 >= 0 && x1 <= 64 && y1 <= 64).toBe(true);
          expect(x1 - x0 >= 1 && x1 - x0 <= 44 && y1 - y0 >= 1 && y1 - y0 <= 44).toBe(true);
        });
      }

      // No item is used twice, and no test item (nor a test background) is seen in training.
      const items = (ds: InMemoryDataset) => new Set((ds.sources ?? []).map((s) => JSON.stringify(itemOf(s))));
      const [train, validation, test] = [items(data.train), items(data.validation), items(data.test)];
      expect([train.size, validation.size, test.size]).toEqual([12000, 2000, 2000]);
      expect([...validation].some((k) => train.has(k))).toBe(false);
      expect([...train].every((k) => k.includes('"train"'))).toBe(true);
      expect([...test].every((k) => k.includes('"test"'))).toBe(true);
      const trainPhotos = new Set((data.train.sources ?? []).map(backgroundOf));
      const testPhotos = new Set((data.test.sources ?? []).map(backgroundOf));
      expect(trainPhotos.size).toBeGreaterThan(10);
      expect([...testPhotos].some((p) => trainPhotos.has(p))).toBe(false);

      // Each box has the shape of its item's own bounds in the 28×28 original, scaled by one factor in 14/28..44/28
      // (the resampling filter may widen the support by a pixel on each side).
      const fashion = await loadBuiltinDataset('fashion-mnist', local);
      const checked = [data.train, data.test].flatMap((ds) =>
        Array.from({ length: 150 }, (_, k) => ({ ds, k: k * 13 })),
      );
      for (const { ds, k } of checked) {
        const { split, index } = itemOf(ds.sources?.[k]);
        const item = (split === 'train' ? fashion.train : fashion.test).sample(index);
        expect(item.target).toEqual({ kind: 'classification', label: ds.labels[k] });
        let [ix0, iy0, ix1, iy1] = [28, 28, -1, -1];
        item.image.data.forEach((v, p) => {
          if (v === 0) return;
          ix0 = Math.min(ix0, p % 28);
          ix1 = Math.max(ix1, p % 28);
          iy0 = Math.min(iy0, Math.floor(p / 28));
          iy1 = Math.max(iy1, Math.floor(p / 28));
        });
        const [x0, y0, x1, y1] = boxOf(ds.targets?.[k]);
        const fits = Array.from({ length: 31 }, (_, s) => (14 + s) / 28).some(
          (scale) =>
            Math.abs(x1 - x0 - (ix1 - ix0 + 1) * scale) <= 2.5 && Math.abs(y1 - y0 - (iy1 - iy0 + 1) * scale) <= 2.5,
        );
        expect(fits, `${ds.sources?.[k]}: box ${[x0, y0, x1, y1]} vs item bounds ${[ix0, iy0, ix1, iy1]}`).toBe(true);
      }
    },
  );

  realData('the same seed gives byte-identical images, labels and boxes; another seed does not', async () => {
    const small = { ...local, trainSize: 300, validationSize: 50, testSize: 50 };
    const a = await loadBuiltinDataset(NAME, { ...small, seed: 7, cacheDir: join(tmp, 'a') });
    const b = await loadBuiltinDataset(NAME, { ...small, seed: 7, cacheDir: join(tmp, 'b') });
    const cached = await loadBuiltinDataset(NAME, { ...small, seed: 7, cacheDir: join(tmp, 'a') });
    const other = await loadBuiltinDataset(NAME, { ...small, seed: 8, cacheDir: join(tmp, 'a') });
    expect(readdirSync(join(tmp, 'a', 'datasets', NAME)).filter((f) => f.endsWith('.bin'))).toHaveLength(2);
    for (const split of ['train', 'validation', 'test'] as const) {
      for (const again of [b, cached]) {
        expect(Buffer.from(again[split].images).equals(Buffer.from(a[split].images))).toBe(true);
        expect(Array.from(again[split].labels)).toEqual(Array.from(a[split].labels));
        expect(again[split].targets).toEqual(a[split].targets);
        expect(again[split].sources).toEqual(a[split].sources);
      }
      expect(Buffer.from(other[split].images).equals(Buffer.from(a[split].images))).toBe(false);
      expect(other[split].targets).not.toEqual(a[split].targets);
    }
  });

  realData(
    'exports as VOC, COCO and YOLO; each reads back with toLocalization to the same pixels, labels and boxes',
    async () => {
      const data = await loadBuiltinDataset(NAME, {
        ...local,
        trainSize: 30,
        validationSize: 10,
        testSize: 10,
        seed: 3,
      });
      const files = await writeImageFiles(
        { train: data.train, val: data.validation, test: data.test },
        join(tmp, 'png'),
      );
      expect(files.task).toBe('localization');
      const expected = [data.train, data.validation, data.test].flatMap((ds) =>
        (ds.targets ?? []).map((t) => [t.kind === 'localization' ? t.label : -1, [boxOf(t)]]),
      );
      const voc = readVoc(await writeVoc(files, join(tmp, 'voc')), { classNames: FASHION_MNIST_CLASSES });
      const coco = readCoco(await writeCoco(files, join(tmp, 'coco', 'instances.json')), { imageRoot: files.root });
      const yolo = await readYolo(await writeYolo(files, join(tmp, 'yolo')));
      const order = (ds: typeof files) =>
        [...ds.records].sort((p, q) => {
          const rank = (f: string) => ['train', 'val', 'test'].findIndex((s) => f.includes(`/${s}/`));
          return rank(p.file) - rank(q.file) || (p.file < q.file ? -1 : 1);
        });
      for (const source of [voc, coco, yolo]) {
        const { dataset, skipped } = toLocalization(source);
        expect(skipped).toEqual([]);
        expect(dataset.classNames).toEqual(FASHION_MNIST_CLASSES);
        expect(order(dataset).map((r) => [r.label, r.boxes])).toEqual(expected);
      }
      const { dataset: reread } = await loadImages(
        { ...toLocalization(coco).dataset, records: order(toLocalization(coco).dataset) },
        { imageSize: [64, 64], colorMode: 'grayscale', cache: false },
      );
      const original = new Uint8Array([...data.train.images, ...data.validation.images, ...data.test.images]);
      expect(Buffer.from(reread.images).equals(Buffer.from(original))).toBe(true);
      expect(reread.targets).toEqual([
        ...(data.train.targets ?? []),
        ...(data.validation.targets ?? []),
        ...(data.test.targets ?? []),
      ]);
    },
  );

  realData('inspect reports its boxes: one per image, sizes and positions', async () => {
    const report = await inspectDataset(NAME);
    expect(report.task).toBe('localization');
    expect(report.totalImages).toBe(16000);
    expect(Object.keys(report.perSplit)).toEqual(['train', 'validation', 'test']);
    expect(report.boxes?.total).toBe(16000);
    expect(report.boxes?.perImage).toEqual([{ label: '1', count: 16000 }]);
    const sum = (bins: readonly { count: number }[] | undefined) => (bins ?? []).reduce((n, b) => n + b.count, 0);
    expect(sum(report.boxes?.positions.x)).toBe(16000);
    expect(sum(report.boxes?.positions.y)).toBe(16000);
    // Boxes are 1–44 px of a 64 px canvas: √(area share) below 0.7, and spread over the canvas.
    const used = (report.boxes?.relativeSizes ?? []).filter((b) => b.count > 0).map((b) => b.label);
    expect(used.every((l) => Number(l.split('–')[0]) < 0.7)).toBe(true);
    // Centres reach every fifth of the canvas (the outer fifths only with small items).
    for (const axis of [report.boxes?.positions.x, report.boxes?.positions.y]) {
      expect(axis?.every((b) => b.count > 200)).toBe(true);
    }
    expect(report.leakage).toEqual([]);
  });

  realData('names the Debian package when the background photos are missing', async () => {
    const error = await loadBuiltinDataset(NAME, {
      ...local,
      cacheDir: join(tmp, 'empty-cache'),
      backgroundDirs: [join(tmp, 'no-photos')],
    }).then(
      () => undefined,
      (e: unknown) => e as OptikError,
    );
    expect(error?.code).toBe('DATA_NOT_FOUND');
    expect(error?.message).toContain('Debian package opencv-doc');
    expect(error?.message).toContain(join(tmp, 'no-photos'));
    expect(error?.message).toContain('apt-get install opencv-doc');
  });
});

it('rejects options that do not fit the dataset', async () => {
  await expect(loadBuiltinDataset(NAME, { validationSplit: 0.1 })).rejects.toMatchObject({
    code: 'CONFIG_INVALID',
    message: expect.stringContaining('validationSize'),
  });
  await expect(loadBuiltinDataset(NAME, { itemSize: [30, 70] })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  await expect(loadBuiltinDataset(NAME, { itemSize: [40, 20] })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  await expect(loadBuiltinDataset('fashion-mnist', { canvasSize: 64 })).rejects.toMatchObject({
    code: expect.stringMatching(/^CONFIG_/),
  });
});
