import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TaskKind } from '@optik/core';
import { OptikError, parseOrThrow } from '@optik/core';
import { z } from 'zod';
import type { BuiltinDataset } from './builtin.js';
import { BUILTIN_DATASETS, loadBuiltinDataset } from './builtin-registry.js';
import { readCoco } from './coco.js';
import { readCsvManifest } from './csv.js';
import { scanImageFolder } from './folder.js';
import { readIdxPair } from './idx.js';
import { readMaskFolder } from './masks.js';
import { InMemoryDataset } from './memory.js';
import type { FileDataset } from './records.js';
import { readVoc } from './voc.js';
import { readYolo } from './yolo.js';

const ClassNames = z.array(z.string().min(1)).min(1);
const byte = z.number().int().min(0).max(255);
const RgbSchema = z.tuple([byte, byte, byte]);

/** A data source as written in a config file: one flat object per format, told apart by `format`. */
export const SourceConfigSchema = z.discriminatedUnion('format', [
  z.object({ format: z.literal('folder'), path: z.string().min(1), classNames: ClassNames.optional() }).strict(),
  z
    .object({
      format: z.literal('csv'),
      path: z.string().min(1),
      root: z.string().min(1).optional(),
      classNames: ClassNames.optional(),
    })
    .strict(),
  z
    .object({
      format: z.literal('coco'),
      path: z.string().min(1),
      imageRoot: z.string().min(1).optional(),
      strict: z.boolean().default(false),
      masks: z.boolean().default(true),
    })
    .strict(),
  z
    .object({
      format: z.literal('voc'),
      path: z.string().min(1),
      classNames: ClassNames.optional(),
      strict: z.boolean().default(false),
    })
    .strict(),
  z.object({ format: z.literal('yolo'), path: z.string().min(1), strict: z.boolean().default(false) }).strict(),
  z
    .object({
      format: z.literal('masks'),
      imagesDir: z.string().min(1),
      masksDir: z.string().min(1),
      classNames: ClassNames,
      /** Colour masks: the `[r, g, b]` of each class, in class order (without it, mask values are class ids). */
      palette: z.array(RgbSchema).min(1).optional(),
      /** Colours of pixels that count for nothing (VOC's boundary `[224, 224, 192]`); needs `palette`. */
      ignoreColors: z.array(RgbSchema).optional(),
    })
    .superRefine((o, ctx) => {
      if (o.palette !== undefined && o.palette.length !== o.classNames.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['palette'],
          message: `the palette has ${o.palette.length} colours for ${o.classNames.length} classes; give one colour per class`,
        });
      }
      if (o.ignoreColors !== undefined && o.palette === undefined) {
        ctx.addIssue({ code: 'custom', path: ['ignoreColors'], message: 'ignoreColors needs a palette' });
      }
    })
    .strict(),
  z
    .object({
      format: z.literal('idx'),
      images: z.string().min(1),
      labels: z.string().min(1),
      classNames: ClassNames.optional(),
    })
    .strict(),
  z.object({ format: z.literal('builtin'), name: z.enum(BUILTIN_DATASETS) }).strict(),
]);
export type SourceConfig = z.input<typeof SourceConfigSchema>;

/** What {@link openSource} gives: file records to decode, or arrays already in memory (IDX, built-ins). */
export type OpenedSource =
  | { readonly kind: 'files'; readonly dataset: FileDataset; readonly label: string }
  | {
      readonly kind: 'memory';
      readonly splits: Readonly<Record<string, InMemoryDataset>>;
      readonly classNames: readonly string[];
      readonly label: string;
      /** `classification`, or `localization` for fashion-mnist-localization (its splits carry box targets). */
      readonly task: TaskKind;
    };

/**
 * Guesses a source config from a path or name: a built-in name, `.json` (COCO), `.yaml`/`.yml` (YOLO), `.csv`,
 * a folder with `Annotations/` (VOC), or a class-per-folder tree.
 */
export function detectSource(input: string): SourceConfig {
  if ((BUILTIN_DATASETS as readonly string[]).includes(input))
    return { format: 'builtin', name: input as (typeof BUILTIN_DATASETS)[number] };
  const path = resolve(input);
  if (!existsSync(path)) {
    throw new OptikError('DATA_NOT_FOUND', 'No such file, folder or built-in dataset.', {
      received: input,
      hint: `Give a folder, a .json (COCO), data.yaml (YOLO), a .csv manifest, or one of: ${BUILTIN_DATASETS.join(', ')}.`,
    });
  }
  const lower = path.toLowerCase();
  if (statSync(path).isDirectory()) {
    if (existsSync(join(path, 'Annotations'))) return { format: 'voc', path };
    if (existsSync(join(path, 'data.yaml'))) return { format: 'yolo', path: join(path, 'data.yaml') };
    return { format: 'folder', path };
  }
  if (lower.endsWith('.json')) return { format: 'coco', path };
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return { format: 'yolo', path };
  if (lower.endsWith('.csv')) return { format: 'csv', path };
  throw new OptikError('DATA_FORMAT', 'Cannot tell the dataset format from the file name.', {
    file: path,
    hint: 'Pass a config with an explicit format (folder, csv, coco, voc, yolo, masks, idx, builtin).',
  });
}

/** Opens any source (config object, path or built-in name) without decoding images. */
export async function openSource(input: string | SourceConfig): Promise<OpenedSource> {
  const config = parseOrThrow(SourceConfigSchema, typeof input === 'string' ? detectSource(input) : input, {
    what: 'data source',
  });
  const label =
    typeof input === 'string'
      ? input
      : 'path' in config
        ? config.path
        : config.format === 'builtin'
          ? config.name
          : config.format === 'masks'
            ? config.imagesDir
            : config.images;
  const files = (dataset: FileDataset): OpenedSource => ({ kind: 'files', dataset, label });
  const opt = <K extends string, V>(key: K, value: V | undefined) =>
    value === undefined ? {} : ({ [key]: value } as Record<K, V>);
  switch (config.format) {
    case 'folder':
      return files(scanImageFolder(config.path, opt('classNames', config.classNames)));
    case 'csv':
      return files(
        readCsvManifest(config.path, { ...opt('root', config.root), ...opt('classNames', config.classNames) }),
      );
    case 'coco':
      return files(
        readCoco(config.path, { strict: config.strict, masks: config.masks, ...opt('imageRoot', config.imageRoot) }),
      );
    case 'voc':
      return files(readVoc(config.path, { strict: config.strict, ...opt('classNames', config.classNames) }));
    case 'yolo':
      return files(await readYolo(config.path, { strict: config.strict }));
    case 'masks':
      return files(readMaskFolder(config));
    case 'idx': {
      const pair = await readIdxPair(config.images, config.labels);
      let max = 0;
      for (const l of pair.labels) max = Math.max(max, l);
      const classNames = config.classNames ?? Array.from({ length: max + 1 }, (_, i) => String(i));
      if (pair.channels !== 1 && pair.channels !== 3 && pair.channels !== 4) {
        throw new OptikError('DATA_FORMAT', 'IDX images must have 1, 3 or 4 channels.', {
          file: config.images,
          received: pair.channels,
        });
      }
      const dataset = new InMemoryDataset({
        images: pair.images,
        height: pair.height,
        width: pair.width,
        channels: pair.channels,
        labels: Int32Array.from(pair.labels),
        classNames,
        sources: Array.from({ length: pair.count }, (_, i) => `${config.images}#${i}`),
      });
      return { kind: 'memory', splits: { all: dataset }, classNames, label, task: 'classification' };
    }
    case 'builtin': {
      const builtin: BuiltinDataset = await loadBuiltinDataset(config.name);
      return {
        kind: 'memory',
        splits:
          builtin.validation.length > 0
            ? { train: builtin.train, validation: builtin.validation, test: builtin.test }
            : { train: builtin.train, test: builtin.test },
        classNames: builtin.classNames,
        label,
        task: builtin.task,
      };
    }
  }
}
