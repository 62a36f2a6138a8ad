import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { OptikError, xyxyToCoco, xyxyToYolo } from '@optik/core';
import { stringify } from 'yaml';
import { imageDimensions } from './decode.js';
import type { FileDataset } from './records.js';
import { yoloLabelPath } from './yolo.js';

function requireBoxes(dataset: FileDataset, what: string): void {
  if (dataset.task !== 'detection' && dataset.task !== 'instance-segmentation') {
    throw new OptikError(
      'ARGUMENT_INVALID',
      `Only detection and instance-segmentation datasets can be written as ${what}.`,
      {
        received: dataset.task,
      },
    );
  }
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
    const { width, height } =
      record.width !== undefined && record.height !== undefined
        ? { width: record.width, height: record.height }
        : await imageDimensions(record.file);
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
    const { width, height } =
      record.width !== undefined && record.height !== undefined
        ? { width: record.width, height: record.height }
        : await imageDimensions(record.file);
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
        iscrowd: segment?.type === 'rle' ? 1 : 0,
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
