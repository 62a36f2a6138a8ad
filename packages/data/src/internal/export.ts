import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { OptikError, xyxyToCoco, xyxyToYolo } from '@optik/core';
import sharp from 'sharp';
import { stringify } from 'yaml';
import { escapeXml } from './charts.js';
import { imageDimensions } from './decode.js';
import type { InMemoryDataset } from './memory.js';
import type { DatasetRecord, FileDataset } from './records.js';
import { yoloLabelPath } from './yolo.js';

function requireBoxes(dataset: FileDataset, what: string): void {
  if (dataset.task !== 'detection' && dataset.task !== 'instance-segmentation' && dataset.task !== 'localization') {
    throw new OptikError(
      'ARGUMENT_INVALID',
      `Only localization, detection and instance-segmentation datasets can be written as ${what}.`,
      {
        received: dataset.task,
      },
    );
  }
}

async function sizeOf(record: DatasetRecord): Promise<{ width: number; height: number }> {
  return record.width !== undefined && record.height !== undefined
    ? { width: record.width, height: record.height }
    : imageDimensions(record.file);
}

/**
 * Writes a box dataset in YOLO layout: `images/<split>/…` (copies), `labels/<split>/….txt` with normalised
 * `class cx cy w h` lines (polygon lines where a record has polygon masks), and `data.yaml`. Numbers are written
 * with full precision, so reading back gives the same boxes up to float rounding.
 */
export async function writeYolo(dataset: FileDataset, outDir: string): Promise<string> {
  requireBoxes(dataset, 'YOLO');
  const out = resolve(outDir);
  const splits = new Set<string>();
  for (const record of dataset.records) {
    const split = record.split === 'val' || record.split === 'test' ? record.split : 'train';
    splits.add(split);
    // A source that already keeps its images under `images/` must not nest a second one (YOLO finds labels by
    // swapping the last `/images/` for `/labels/`).
    const rel = relative(dataset.root, record.file).replace(/^images[\\/]/, '');
    const image = join(out, 'images', split, rel);
    const label = yoloLabelPath(image);
    mkdirSync(dirname(image), { recursive: true });
    mkdirSync(dirname(label), { recursive: true });
    copyFileSync(record.file, image);
    const { width, height } = await sizeOf(record);
    const lines = (record.boxes ?? []).map((box, i) => {
      const cls = record.labels?.[i] ?? 0;
      const segment = record.segments?.[i];
      if (segment?.type === 'polygon' && segment.polygons.length === 1) {
        const poly = segment.polygons[0] ?? [];
        return [cls, ...poly.map((v, k) => v / (k % 2 === 0 ? width : height))].join(' ');
      }
      return [cls, ...xyxyToYolo(box, width, height)].join(' ');
    });
    writeFileSync(label, lines.length > 0 ? `${lines.join('\n')}\n` : '');
  }
  const yamlFile = join(out, 'data.yaml');
  const doc: Record<string, unknown> = { path: '.', names: [...dataset.classNames], nc: dataset.classNames.length };
  for (const split of ['train', 'val', 'test']) if (splits.has(split)) doc[split] = `images/${split}`;
  if (doc.train === undefined) doc.train = doc.val ?? doc.test;
  writeFileSync(yamlFile, stringify(doc));
  return yamlFile;
}

/**
 * Writes a box dataset as COCO JSON; `file_name`s are relative to the dataset root (pass it as `imageRoot` when
 * reading back). Category ids are `1..n` in class order.
 */
export async function writeCoco(dataset: FileDataset, outFile: string): Promise<string> {
  requireBoxes(dataset, 'COCO');
  const images: unknown[] = [];
  const annotations: unknown[] = [];
  for (const [i, record] of dataset.records.entries()) {
    const { width, height } = await sizeOf(record);
    images.push({ id: i + 1, file_name: relative(dataset.root, record.file).split('\\').join('/'), width, height });
    (record.boxes ?? []).forEach((box, k) => {
      const segment = record.segments?.[k];
      const coco = xyxyToCoco(box);
      annotations.push({
        id: annotations.length + 1,
        image_id: i + 1,
        category_id: (record.labels?.[k] ?? 0) + 1,
        bbox: coco,
        area: coco[2] * coco[3],
        iscrowd: record.crowd?.[k] === true ? 1 : 0,
        ...(segment?.type === 'polygon' ? { segmentation: segment.polygons } : {}),
        ...(segment?.type === 'rle'
          ? { segmentation: { counts: segment.counts, size: [segment.height, segment.width] } }
          : {}),
      });
    });
  }
  const categories = dataset.classNames.map((name, i) => ({ id: i + 1, name }));
  const file = resolve(outFile);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ images, annotations, categories }));
  return file;
}

/**
 * Writes a box dataset as a Pascal VOC folder: `JPEGImages/` (copies, keeping their paths below the dataset root
 * or its own `JPEGImages/`),
 * one `Annotations/<id>.xml` per image (`<id>` = that path without extension, `/` → `__`) and, where records
 * carry splits, `ImageSets/Main/<split>.txt`. Boxes are written 1-based (`xmin = x0 + 1`, `xmax = x1`), the
 * inverse of {@link readVoc}'s convention, so integer boxes read back exactly.
 */
export async function writeVoc(dataset: FileDataset, outDir: string): Promise<string> {
  requireBoxes(dataset, 'Pascal VOC');
  const out = resolve(outDir);
  const annotations = join(out, 'Annotations');
  mkdirSync(annotations, { recursive: true });
  const ids = new Map<string, string>();
  const splits = new Map<string, string[]>();
  for (const record of dataset.records) {
    // A source already laid out as VOC must not nest a second JPEGImages/ (as writeYolo does for images/).
    const rel = relative(dataset.root, record.file)
      .split('\\')
      .join('/')
      .replace(/^JPEGImages\//, '');
    const id = rel
      .replace(/\.[^./]*$/, '')
      .split('/')
      .join('__');
    const clash = ids.get(id);
    if (clash !== undefined) {
      throw new OptikError('ARGUMENT_INVALID', `Two images map to the VOC id "${id}".`, {
        file: record.file,
        received: [clash, rel],
        hint: 'Rename one of them: VOC names each annotation after its image.',
      });
    }
    ids.set(id, rel);
    const image = join(out, 'JPEGImages', rel);
    mkdirSync(dirname(image), { recursive: true });
    copyFileSync(record.file, image);
    const { width, height } = await sizeOf(record);
    const objects = (record.boxes ?? []).map((box, i) => {
      const name = dataset.classNames[record.labels?.[i] ?? 0] ?? String(record.labels?.[i] ?? 0);
      return [
        '  <object>',
        `    <name>${escapeXml(name)}</name>`,
        '    <pose>Unspecified</pose>',
        '    <truncated>0</truncated>',
        `    <difficult>${record.difficult?.[i] === true ? 1 : 0}</difficult>`,
        '    <bndbox>',
        `      <xmin>${box[0] + 1}</xmin>`,
        `      <ymin>${box[1] + 1}</ymin>`,
        `      <xmax>${box[2]}</xmax>`,
        `      <ymax>${box[3]}</ymax>`,
        '    </bndbox>',
        '  </object>',
      ].join('\n');
    });
    const xml = [
      '<annotation>',
      '  <folder>JPEGImages</folder>',
      `  <filename>${escapeXml(rel)}</filename>`,
      `  <size><width>${width}</width><height>${height}</height></size>`,
      '  <segmented>0</segmented>',
      ...objects,
      '</annotation>',
      '',
    ].join('\n');
    writeFileSync(join(annotations, `${id}.xml`), xml);
    if (record.split !== undefined) splits.set(record.split, [...(splits.get(record.split) ?? []), id]);
  }
  for (const [split, list] of splits) {
    const file = join(out, 'ImageSets', 'Main', `${split}.txt`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${list.join('\n')}\n`);
  }
  return out;
}

/**
 * Writes in-memory splits (e.g. a built-in dataset's `{ train, val, test }`) as PNG files
 * `<outDir>/<split>/<index>.png` and returns them as a file source whose records keep each image's split, class
 * and box(es) — ready for {@link writeVoc}, {@link writeCoco} or {@link writeYolo} (which knows the split names
 * `train`, `val` and `test`). PNG is lossless, so the pixels read back exactly.
 */
export async function writeImageFiles(
  splits: Readonly<Record<string, InMemoryDataset>>,
  outDir: string,
): Promise<FileDataset> {
  const root = resolve(outDir);
  const entries = Object.entries(splits);
  const first = entries[0]?.[1];
  if (first === undefined) {
    throw new OptikError('ARGUMENT_INVALID', 'No splits to write.', { hint: 'Pass e.g. { train, val, test }.' });
  }
  const kinds = new Set<string>();
  const records: DatasetRecord[] = [];
  for (const [split, ds] of entries) {
    if (ds.classNames.join('\n') !== first.classNames.join('\n')) {
      throw new OptikError('DATA_MISMATCH', `Split "${split}" has other class names than the first split.`, {
        received: ds.classNames,
      });
    }
    const digits = String(Math.max(ds.length - 1, 0)).length;
    mkdirSync(join(root, split), { recursive: true });
    for (let i = 0; i < ds.length; i++) {
      const { image, target } = ds.sample(i);
      const file = join(root, split, `${String(i).padStart(digits, '0')}.png`);
      await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
        .png()
        .toFile(file);
      kinds.add(target.kind);
      const base = { file, split, width: image.width, height: image.height };
      if (target.kind === 'classification') records.push({ ...base, label: target.label });
      else if (target.kind === 'localization') {
        records.push({ ...base, label: target.label, boxes: [target.box], labels: [target.label] });
      } else if (target.kind === 'detection') records.push({ ...base, boxes: target.boxes, labels: target.labels });
      else {
        throw new OptikError('ARGUMENT_INVALID', `Cannot write ${target.kind} targets as image files.`, {
          received: target.kind,
          hint: 'writeImageFiles handles classification, localization and detection datasets.',
        });
      }
    }
  }
  if (kinds.size > 1) {
    throw new OptikError('DATA_MISMATCH', 'The splits mix target kinds.', { received: [...kinds] });
  }
  const task = ([...kinds][0] ?? 'classification') as 'classification' | 'localization' | 'detection';
  return {
    format: 'generated',
    root,
    task,
    classNames: first.classNames,
    records,
    issues: { clippedBoxes: 0, skipped: [] },
  };
}
