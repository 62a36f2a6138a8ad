import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import type { BoxXyxy } from '@optik/core';
import { isOptikError, OptikError, yoloToXyxy } from '@optik/core';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseDataFile } from './coco.js';
import { imageDimensions } from './decode.js';
import { at, isImageFile, resolveInside } from './paths.js';
import { BoxChecker, type DatasetRecord, type FileDataset, type Segmentation } from './records.js';
import { polygonBounds } from './rle.js';

const SplitPaths = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const DataYamlSchema = z.object({
  path: z.string().optional(),
  train: SplitPaths,
  val: SplitPaths.optional(),
  test: SplitPaths.optional(),
  nc: z.number().int().min(1).optional(),
  names: z.union([z.array(z.string().min(1)).min(1), z.record(z.string(), z.string().min(1))]),
});

/** Ultralytics' rule: the label of `…/images/…/x.jpg` is `…/labels/…/x.txt`. */
export function yoloLabelPath(imagePath: string): string {
  const marker = `${sep}images${sep}`;
  const i = imagePath.lastIndexOf(marker);
  const swapped =
    i === -1 ? imagePath : `${imagePath.slice(0, i)}${sep}labels${sep}${imagePath.slice(i + marker.length)}`;
  const dot = swapped.lastIndexOf('.');
  return `${dot > swapped.lastIndexOf(sep) ? swapped.slice(0, dot) : swapped}.txt`;
}

function listImagesRecursive(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) listImagesRecursive(full, out);
    else if (entry.isFile() && isImageFile(entry.name)) out.push(full);
  }
}

function splitImages(root: string, entries: string | string[], yamlFile: string, key: string): string[] {
  const out: string[] = [];
  for (const entry of Array.isArray(entries) ? entries : [entries]) {
    const full = resolveInside(root, entry, `${yamlFile} ${key}`);
    if (!existsSync(full)) throw new OptikError('DATA_NOT_FOUND', `The ${key} images are missing.`, { file: full });
    if (statSync(full).isDirectory()) listImagesRecursive(full, out);
    else {
      const lines = readFileSync(full, 'utf8').split(/\r?\n/);
      lines.forEach((line, i) => {
        if (line.trim() !== '') out.push(resolveInside(root, line.trim().replace(/^\.\//, ''), at(full, i + 1)));
      });
    }
  }
  return out;
}

/**
 * Reads a YOLO dataset from its `data.yaml` (`path`, `train`/`val`/`test` image folders or list files, `names`).
 * Each label line is `class cx cy w h` (normalised box) or `class x1 y1 x2 y2 …` (normalised polygon, ≥ 3 points);
 * an image without a label file has no objects. A class id outside `names` is `DATA_UNKNOWN_CLASS` naming
 * `file:line`; unreadable images are skipped and listed.
 */
export async function readYolo(dataYaml: string, options: { strict?: boolean } = {}): Promise<FileDataset> {
  const yamlFile = resolve(dataYaml);
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(yamlFile, 'utf8'));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'DATA_NOT_FOUND' : 'DATA_FORMAT';
    throw new OptikError(
      code,
      `Cannot read data.yaml: ${(cause as Error).message.split('\n')[0]}.`,
      { file: yamlFile },
      { cause },
    );
  }
  const data = parseDataFile(DataYamlSchema, doc, yamlFile, 'YOLO data.yaml');
  const root = resolve(dirname(yamlFile), data.path ?? '.');
  let classNames: string[];
  if (Array.isArray(data.names)) classNames = data.names;
  else {
    const entries = Object.entries(data.names).map(([k, v]) => [Number(k), v] as const);
    classNames = [];
    for (const [k, v] of entries) {
      if (!Number.isInteger(k) || k < 0 || k >= entries.length) {
        throw new OptikError('DATA_FORMAT', 'names keys must be the ids 0..n-1.', {
          file: yamlFile,
          path: 'names',
          received: k,
        });
      }
      classNames[k] = v;
    }
  }
  if (data.nc !== undefined && data.nc !== classNames.length) {
    throw new OptikError('DATA_MISMATCH', `nc=${data.nc} but names lists ${classNames.length} classes.`, {
      file: yamlFile,
      path: 'nc',
    });
  }
  const checker = new BoxChecker(options.strict ?? false);
  const records: DatasetRecord[] = [];
  const skipped: { file: string; reason: string }[] = [];
  let anyPolygon = false;
  for (const split of ['train', 'val', 'test'] as const) {
    const entries = data[split];
    if (entries === undefined) continue;
    for (const image of splitImages(root, entries, yamlFile, split)) {
      let size: { width: number; height: number };
      try {
        size = await imageDimensions(image);
      } catch (error) {
        if (!isOptikError(error)) throw error;
        skipped.push({ file: image, reason: error.message });
        continue;
      }
      const labelFile = yoloLabelPath(image);
      const boxes: BoxXyxy[] = [];
      const labels: number[] = [];
      const segments: (Segmentation | null)[] = [];
      if (existsSync(labelFile)) {
        readFileSync(labelFile, 'utf8')
          .split(/\r?\n/)
          .forEach((text, i) => {
            const where = at(labelFile, i + 1);
            const tokens = text
              .trim()
              .split(/\s+/)
              .filter((t) => t !== '');
            if (tokens.length === 0) return;
            const values = tokens.map(Number);
            if (!values.every(Number.isFinite))
              throw new OptikError('DATA_FORMAT', 'Non-numeric value in a label line.', {
                file: where,
                received: text,
              });
            const cls = values[0] as number;
            if (!Number.isInteger(cls) || cls < 0 || cls >= classNames.length) {
              throw new OptikError('DATA_UNKNOWN_CLASS', `Unknown class id ${tokens[0]}.`, {
                file: where,
                received: tokens[0],
                hint: `data.yaml names ${classNames.length} classes (ids 0..${classNames.length - 1}).`,
              });
            }
            const coords = values.slice(1);
            let box: BoxXyxy;
            let segment: Segmentation | null = null;
            if (coords.length === 4) {
              box = yoloToXyxy(coords as unknown as [number, number, number, number], size.width, size.height);
            } else if (coords.length >= 6 && coords.length % 2 === 0) {
              const polygon = coords.map(
                (v, k) => Math.min(Math.max(v, 0), 1) * (k % 2 === 0 ? size.width : size.height),
              );
              if (polygon.some((v, k) => v !== (coords[k] as number) * (k % 2 === 0 ? size.width : size.height))) {
                if (options.strict)
                  throw new OptikError('DATA_FORMAT', 'A polygon point lies outside the image.', { file: where });
              }
              segment = { type: 'polygon', polygons: [polygon] };
              box = polygonBounds([coords.map((v, k) => v * (k % 2 === 0 ? size.width : size.height))]);
              anyPolygon = true;
            } else {
              throw new OptikError(
                'DATA_FORMAT',
                'A label line needs "class cx cy w h" or "class x1 y1 … xn yn" (n ≥ 3).',
                {
                  file: where,
                  received: text.trim(),
                },
              );
            }
            const checked = checker.check(box, size.width, size.height, where);
            if (checked === undefined) return;
            boxes.push(checked);
            labels.push(cls);
            segments.push(segment);
          });
      }
      records.push({ file: image, split, width: size.width, height: size.height, boxes, labels, segments });
    }
  }
  const task = anyPolygon ? 'instance-segmentation' : 'detection';
  return {
    format: 'yolo',
    root,
    task,
    classNames,
    records: anyPolygon ? records : records.map(({ segments: _, ...rest }) => rest),
    issues: { clippedBoxes: checker.clipped, skipped, droppedBoxes: checker.dropped },
  };
}
