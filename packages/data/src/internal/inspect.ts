import { createHash } from 'node:crypto';
import { mkdirSync, type Stats, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { BoxXyxy } from '@optik/core';
import { boxArea, createRng, OptikError, parseOrThrow } from '@optik/core';
import sharp, { type OverlayOptions } from 'sharp';
import { z } from 'zod';
import { barChartSvg, escapeXml, writeSvgPng } from './charts.js';
import { readRegularFile } from './decode.js';
import type { InMemoryDataset } from './memory.js';
import { openSource, type SourceConfig } from './sources.js';

export const InspectOptionsSchema = z
  .object({
    /** Folder for report.json, the charts and the sample grid; nothing is written without it. */
    outDir: z.string().min(1).optional(),
    /** Warn when max/min images per class exceeds this. */
    imbalanceThreshold: z.number().gt(1).default(3),
    /** Sample images per class in the grid. */
    samplesPerClass: z.number().int().min(1).max(32).default(8),
    seed: z.number().int().default(0),
    /** Files read and decoded at once. */
    concurrency: z.number().int().min(1).max(64).default(4),
  })
  .strict();
export type InspectOptions = z.input<typeof InspectOptionsSchema>;

/** A histogram bin: a label and a count. */
export interface HistogramBin {
  readonly label: string;
  readonly count: number;
}

/** The dataset quality report: counts, balance, broken files, duplicates, leakage, sizes and boxes. */
export interface InspectReport {
  readonly source: string;
  readonly format: string;
  readonly task: string;
  readonly classNames: readonly string[];
  /** Images listed by the source, and how many could be read. */
  readonly totalImages: number;
  readonly readableImages: number;
  /** Images per class per split (`all` when the source has no splits). */
  readonly perSplit: Readonly<Record<string, readonly number[]>>;
  /** Images per class over all splits (for detection: images containing the class). */
  readonly classCounts: readonly number[];
  readonly imbalance: {
    readonly ratio: number;
    readonly threshold: number;
    readonly warning: boolean;
    readonly mostFrequent: string;
    readonly leastFrequent: string;
  };
  /** sklearn `class_weight='balanced'`: `n_samples / (n_classes × count)`; 0 for an empty class. */
  readonly classWeights: readonly number[];
  readonly corrupt: readonly { readonly file: string; readonly reason: string }[];
  /** Groups of byte-identical images (two or more files with one content hash). */
  readonly duplicates: readonly { readonly hash: string; readonly files: readonly string[] }[];
  /** Duplicate groups that span more than one split: test images also seen in training. */
  readonly leakage: readonly {
    readonly hash: string;
    readonly files: readonly { readonly file: string; readonly split: string }[];
  }[];
  /** Image sizes as `W×H` with counts, most frequent first. */
  readonly imageSizes: readonly HistogramBin[];
  readonly boxes?: {
    readonly total: number;
    readonly clipped: number;
    readonly perImage: readonly HistogramBin[];
    /** By √area in pixels (COCO small < 32, medium < 96). */
    readonly sizes: readonly HistogramBin[];
    /** By √(box area / image area), in tenths: how much of its image a box covers. */
    readonly relativeSizes: readonly HistogramBin[];
    /** Box centres as a fraction of the image width (`x`) and height (`y`), in fifths. */
    readonly positions: { readonly x: readonly HistogramBin[]; readonly y: readonly HistogramBin[] };
  };
  readonly warnings: readonly string[];
  /** Files written under `outDir`. */
  readonly outputs: readonly string[];
}

interface Item {
  file: string;
  split: string;
  labels: number[];
  boxes: BoxXyxy[];
  load: () => Promise<Uint8Array>;
  raw?: { data: Uint8Array; width: number; height: number; channels: number };
  /** The full image size the boxes refer to, once known. */
  size?: { width: number; height: number };
}

/** Counts of `value` (clamped to [0, 1]) in `bins` equal bins labelled `lo–hi`, every bin listed. */
function fractionBins(values: readonly number[], bins: number): HistogramBin[] {
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    const i = Math.min(bins - 1, Math.max(0, Math.floor(v * bins)));
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return counts.map((count, i) => ({ label: `${(i / bins).toFixed(1)}–${((i + 1) / bins).toFixed(1)}`, count }));
}

const SIZE_BINS = [8, 16, 32, 64, 96, 128, 256, 512];

function sizeBin(side: number): string {
  for (let i = 0; i < SIZE_BINS.length; i++) if (side < (SIZE_BINS[i] as number)) return `<${SIZE_BINS[i]}`;
  return `≥${SIZE_BINS[SIZE_BINS.length - 1]}`;
}

async function mapPool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/** Creates the report folder, or says in a coded error why it cannot be one (a file of that name, no permission). */
function prepareOutDir(out: string): void {
  let stat: Stats | undefined;
  try {
    stat = statSync(out);
  } catch {
    stat = undefined;
  }
  if (stat !== undefined && !stat.isDirectory()) {
    throw new OptikError('ARGUMENT_INVALID', `The report folder ${out} is a file, not a folder.`, {
      path: 'outDir',
      received: out,
      hint: 'Give a folder for report.json, the charts and the sample grid (it is created when missing), e.g. --out inspect-report.',
    });
  }
  try {
    mkdirSync(out, { recursive: true });
  } catch (cause) {
    throw new OptikError(
      'ARGUMENT_INVALID',
      `Cannot create the report folder ${out}: ${(cause as Error).message}.`,
      { path: 'outDir', received: out, hint: 'Give a folder that can be created and written.' },
      { cause },
    );
  }
}

/**
 * Inspects a dataset for the problems that spoil training: class imbalance (with suggested weights), unreadable
 * files, exact duplicates and train/test leakage, odd image sizes and box statistics. Unreadable files are skipped
 * and listed, never fatal. With `outDir` it writes `report.json`, bar charts as PNG and a grid of samples.
 */
export async function inspectDataset(
  input: string | SourceConfig,
  options: InspectOptions = {},
): Promise<InspectReport> {
  const o = parseOrThrow(InspectOptionsSchema, options, { what: 'inspect options' });
  // Before the (possibly long) analysis: the report folder must be a folder that can be written.
  if (o.outDir !== undefined) prepareOutDir(resolve(o.outDir));
  const opened = await openSource(input);
  const items: Item[] = [];
  let clipped = 0;
  let format: string;
  let task: string;
  let classNames: readonly string[];
  if (opened.kind === 'files') {
    const ds = opened.dataset;
    format = ds.format;
    task = ds.task;
    classNames = ds.classNames;
    clipped = ds.issues.clippedBoxes;
    for (const r of ds.records) {
      items.push({
        file: r.file,
        split: r.split ?? 'all',
        labels: r.label !== undefined ? [r.label] : [...(r.labels ?? [])],
        boxes: [...(r.boxes ?? [])],
        load: async () => new Uint8Array(await readRegularFile(r.file)),
      });
    }
  } else {
    format = 'arrays';
    task = opened.task;
    classNames = opened.classNames;
    for (const [split, ds] of Object.entries(opened.splits)) addMemory(items, split, ds);
  }
  const splitNames = [...new Set(items.map((i) => i.split))];
  const corrupt: { file: string; reason: string }[] = [];
  const hashes = new Map<string, Item[]>();
  const sizes = new Map<string, number>();
  const readable = new Set<Item>();
  await mapPool(items, o.concurrency, async (item) => {
    let bytes: Uint8Array;
    try {
      bytes = await item.load();
    } catch (cause) {
      corrupt.push({ file: item.file, reason: (cause as Error).message });
      return;
    }
    if (item.raw === undefined) {
      if (bytes.length === 0) {
        corrupt.push({ file: item.file, reason: 'empty file (0 bytes)' });
        return;
      }
      try {
        const { data, info } = await sharp(bytes, { failOn: 'warning' })
          .rotate()
          .resize(64, 64, { fit: 'inside' })
          .removeAlpha()
          .raw()
          .toBuffer({ resolveWithObject: true });
        const meta = await sharp(bytes).metadata();
        const swap = (meta.orientation ?? 1) >= 5;
        const width = (swap ? meta.height : meta.width) ?? 0;
        const height = (swap ? meta.width : meta.height) ?? 0;
        item.size = { width, height };
        const key = `${width}×${height}`;
        sizes.set(key, (sizes.get(key) ?? 0) + 1);
        item.raw = { data: new Uint8Array(data), width: info.width, height: info.height, channels: info.channels };
      } catch (cause) {
        corrupt.push({ file: item.file, reason: ((cause as Error).message.split('\n')[0] ?? 'unreadable').trim() });
        return;
      }
    } else {
      item.size = { width: item.raw.width, height: item.raw.height };
      const key = `${item.raw.width}×${item.raw.height}`;
      sizes.set(key, (sizes.get(key) ?? 0) + 1);
    }
    readable.add(item);
    const hash = createHash('sha256').update(bytes).digest('hex');
    const group = hashes.get(hash);
    if (group === undefined) hashes.set(hash, [item]);
    else group.push(item);
  });
  corrupt.sort((a, b) => (a.file < b.file ? -1 : 1));

  const perSplit: Record<string, number[]> = {};
  for (const split of splitNames) perSplit[split] = new Array<number>(classNames.length).fill(0);
  const classCounts = new Array<number>(classNames.length).fill(0);
  for (const item of readable) {
    for (const label of new Set(item.labels)) {
      if (label < 0 || label >= classNames.length) continue;
      (perSplit[item.split] as number[])[label] = ((perSplit[item.split] as number[])[label] ?? 0) + 1;
      classCounts[label] = (classCounts[label] ?? 0) + 1;
    }
  }
  const nonEmpty = classCounts.filter((c) => c > 0);
  const maxCount = Math.max(0, ...classCounts);
  const minCount = nonEmpty.length === classCounts.length && classCounts.length > 0 ? Math.min(...classCounts) : 0;
  const ratio = classCounts.length === 0 ? 1 : minCount === 0 ? Number.POSITIVE_INFINITY : maxCount / minCount;
  const samples = classCounts.reduce((a, b) => a + b, 0);
  const classWeights = classCounts.map((c) => (c === 0 ? 0 : samples / (classCounts.length * c)));
  const imbalance = {
    ratio,
    threshold: o.imbalanceThreshold,
    warning: ratio > o.imbalanceThreshold,
    mostFrequent: classNames[classCounts.indexOf(maxCount)] ?? '',
    leastFrequent: classNames[classCounts.indexOf(Math.min(...classCounts))] ?? '',
  };
  const display = (file: string) => (opened.kind === 'files' ? relative(opened.dataset.root, file) || file : file);
  const duplicates: { hash: string; files: string[] }[] = [];
  const leakage: { hash: string; files: { file: string; split: string }[] }[] = [];
  for (const [hash, group] of hashes) {
    if (group.length < 2) continue;
    duplicates.push({ hash, files: group.map((g) => display(g.file)).sort() });
    if (new Set(group.map((g) => g.split)).size > 1) {
      leakage.push({
        hash,
        files: group.map((g) => ({ file: display(g.file), split: g.split })).sort((a, b) => (a.file < b.file ? -1 : 1)),
      });
    }
  }
  duplicates.sort((a, b) => ((a.files[0] ?? '') < (b.files[0] ?? '') ? -1 : 1));
  leakage.sort((a, b) => ((a.files[0]?.file ?? '') < (b.files[0]?.file ?? '') ? -1 : 1));
  const imageSizes = [...sizes.entries()]
    .map(([label, count]) => ({ label, count }))
    .sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : 1));

  let boxes: InspectReport['boxes'];
  if (task === 'detection' || task === 'instance-segmentation' || task === 'localization') {
    const perImage = new Map<number, number>();
    const sizeCounts = new Map<string, number>();
    const relative: number[] = [];
    const centersX: number[] = [];
    const centersY: number[] = [];
    let total = 0;
    for (const item of readable) {
      perImage.set(item.boxes.length, (perImage.get(item.boxes.length) ?? 0) + 1);
      for (const box of item.boxes) {
        total++;
        const bin = sizeBin(Math.sqrt(boxArea(box)));
        sizeCounts.set(bin, (sizeCounts.get(bin) ?? 0) + 1);
        const size = item.size;
        if (size === undefined || size.width <= 0 || size.height <= 0) continue;
        relative.push(Math.sqrt(boxArea(box) / (size.width * size.height)));
        centersX.push((box[0] + box[2]) / 2 / size.width);
        centersY.push((box[1] + box[3]) / 2 / size.height);
      }
    }
    const order = [...SIZE_BINS.map((b) => `<${b}`), `≥${SIZE_BINS[SIZE_BINS.length - 1]}`];
    boxes = {
      total,
      clipped,
      perImage: [...perImage.entries()].sort((a, b) => a[0] - b[0]).map(([n, count]) => ({ label: String(n), count })),
      sizes: order.filter((l) => sizeCounts.has(l)).map((label) => ({ label, count: sizeCounts.get(label) ?? 0 })),
      relativeSizes: fractionBins(relative, 10),
      positions: { x: fractionBins(centersX, 5), y: fractionBins(centersY, 5) },
    };
  }

  const warnings: string[] = [];
  if (imbalance.warning) {
    warnings.push(
      `Class imbalance: "${imbalance.mostFrequent}" has ${Number.isFinite(ratio) ? `${ratio.toFixed(1)}×` : 'infinitely'} as many images as "${imbalance.leastFrequent}" (threshold ${o.imbalanceThreshold}); collect more, resample, or use the suggested class weights.`,
    );
  }
  if (corrupt.length > 0) warnings.push(`${corrupt.length} unreadable file(s) were skipped; remove or replace them.`);
  if (duplicates.length > 0) warnings.push(`${duplicates.length} group(s) of exact duplicate images.`);
  if (leakage.length > 0)
    warnings.push(`${leakage.length} duplicate group(s) span splits: evaluation data leaks into training.`);
  if (clipped > 0) warnings.push(`${clipped} box(es) lay outside their image and were clipped.`);
  if (imageSizes.length > 1)
    warnings.push(`Images come in ${imageSizes.length} different sizes; they are resized when loaded.`);

  const outputs: string[] = [];
  const report: InspectReport = {
    source: opened.label,
    format,
    task,
    classNames,
    totalImages: items.length,
    readableImages: readable.size,
    perSplit,
    classCounts,
    imbalance,
    classWeights,
    corrupt: corrupt.map((c) => ({ file: display(c.file), reason: c.reason })),
    duplicates,
    leakage,
    imageSizes,
    ...(boxes === undefined ? {} : { boxes }),
    warnings,
    outputs,
  };
  if (o.outDir !== undefined) {
    const out = resolve(o.outDir);
    const chart = async (name: string, title: string, bars: { label: string; value: number }[], yLabel: string) => {
      const file = join(out, name);
      await writeSvgPng(barChartSvg(title, bars, { yLabel }), file);
      outputs.push(file);
    };
    await chart(
      'class-counts.png',
      'Images per class',
      classNames.map((label, i) => ({ label, value: classCounts[i] ?? 0 })),
      'images',
    );
    await chart(
      'image-sizes.png',
      'Image sizes (W×H)',
      imageSizes.slice(0, 20).map((b) => ({ label: b.label, value: b.count })),
      'images',
    );
    if (boxes !== undefined) {
      await chart(
        'boxes-per-image.png',
        'Boxes per image',
        boxes.perImage.map((b) => ({ label: b.label, value: b.count })),
        'images',
      );
      await chart(
        'box-sizes.png',
        'Box size (√area, px)',
        boxes.sizes.map((b) => ({ label: b.label, value: b.count })),
        'boxes',
      );
    }
    const grid = await sampleGrid([...readable], classNames, o.samplesPerClass, o.seed);
    if (grid !== undefined) {
      const file = join(out, 'samples.png');
      await grid.toFile(file);
      outputs.push(file);
    }
    const jsonFile = join(out, 'report.json');
    outputs.push(jsonFile);
    writeFileSync(jsonFile, `${JSON.stringify(reportToJson(report), null, 2)}\n`);
  }
  return report;
}

/** The report as plain JSON (an infinite imbalance ratio becomes `null`). */
export function reportToJson(report: InspectReport): unknown {
  return JSON.parse(JSON.stringify(report, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
}

function addMemory(items: Item[], split: string, ds: InMemoryDataset): void {
  const size = ds.imageSize;
  for (let i = 0; i < ds.length; i++) {
    const data = ds.images.subarray(i * size, (i + 1) * size);
    const target = ds.targets?.[i];
    const label = ds.labels[i] ?? -1;
    items.push({
      file: ds.sources?.[i] ?? `${split}#${i}`,
      split,
      labels: label >= 0 ? [label] : target !== undefined && 'labels' in target ? [...target.labels] : [],
      boxes:
        target === undefined
          ? []
          : target.kind === 'localization'
            ? [target.box]
            : 'boxes' in target
              ? [...target.boxes]
              : [],
      load: async () => data,
      raw: { data, width: ds.width, height: ds.height, channels: ds.channels },
    });
  }
}

const THUMB = 64;

async function sampleGrid(items: Item[], classNames: readonly string[], perClass: number, seed: number) {
  const rng = createRng(seed);
  const rows: { label: string; items: Item[] }[] = [];
  const byClass = new Map<number, Item[]>();
  for (const item of items.sort((a, b) => (a.file < b.file ? -1 : 1))) {
    const key = item.labels[0] ?? -1;
    const list = byClass.get(key) ?? [];
    list.push(item);
    byClass.set(key, list);
  }
  for (const [key, list] of [...byClass.entries()].sort((a, b) => a[0] - b[0]).slice(0, 20)) {
    rows.push({ label: classNames[key] ?? 'unlabelled', items: rng.shuffle(list).slice(0, perClass) });
  }
  if (rows.length === 0) return undefined;
  const labelWidth = 130;
  const cols = Math.max(...rows.map((r) => r.items.length));
  const width = labelWidth + cols * (THUMB + 4);
  const height = rows.length * (THUMB + 4) + 4;
  const composites: OverlayOptions[] = [];
  const text: string[] = [];
  for (const [r, row] of rows.entries()) {
    const y = 4 + r * (THUMB + 4);
    text.push(
      `<text x="6" y="${y + THUMB / 2 + 5}" font-family="DejaVu Sans, sans-serif" font-size="13">${escapeXml(row.label.slice(0, 16))}</text>`,
    );
    for (const [c, item] of row.items.entries()) {
      const raw = item.raw;
      if (raw === undefined) continue;
      const thumb = await sharp(raw.data, {
        raw: { width: raw.width, height: raw.height, channels: raw.channels as 1 | 3 | 4 },
      })
        .resize(THUMB, THUMB, { fit: 'contain', background: { r: 240, g: 240, b: 240, alpha: 1 }, kernel: 'nearest' })
        .removeAlpha()
        .toColourspace('srgb')
        .png()
        .toBuffer();
      composites.push({ input: thumb, left: labelWidth + c * (THUMB + 4), top: y });
    }
  }
  composites.push({
    input: Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${text.join('')}</svg>`,
    ),
    left: 0,
    top: 0,
  });
  return sharp({ create: { width, height, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite(composites)
    .png();
}

/** Renders a report as a short human-readable text summary (what `optik data inspect` prints). */
export function formatInspectReport(report: InspectReport): string {
  const lines: string[] = [];
  lines.push(`Dataset ${report.source} (${report.format}, ${report.task})`);
  lines.push(
    `  images: ${report.readableImages} readable of ${report.totalImages}; ${report.classNames.length} classes`,
  );
  const splits = Object.keys(report.perSplit);
  const nameWidth = Math.max(5, ...report.classNames.map((n) => n.length));
  lines.push(
    `  ${'class'.padEnd(nameWidth)}  ${splits.map((s) => s.padStart(8)).join(' ')}  ${'total'.padStart(8)}  ${'weight'.padStart(7)}`,
  );
  report.classNames.forEach((name, i) => {
    const cells = splits.map((s) => String(report.perSplit[s]?.[i] ?? 0).padStart(8)).join(' ');
    lines.push(
      `  ${name.padEnd(nameWidth)}  ${cells}  ${String(report.classCounts[i] ?? 0).padStart(8)}  ${(report.classWeights[i] ?? 0).toFixed(3).padStart(7)}`,
    );
  });
  const ratio = Number.isFinite(report.imbalance.ratio) ? report.imbalance.ratio.toFixed(2) : '∞';
  lines.push(
    `  imbalance (max/min): ${ratio}${report.imbalance.warning ? `  WARNING: above ${report.imbalance.threshold}` : ''}`,
  );
  lines.push(
    `  image sizes: ${report.imageSizes
      .slice(0, 5)
      .map((b) => `${b.label} ×${b.count}`)
      .join(', ')}${report.imageSizes.length > 5 ? ', …' : ''}`,
  );
  if (report.boxes !== undefined) {
    lines.push(
      `  boxes: ${report.boxes.total} (${report.boxes.clipped} clipped); per image: ${report.boxes.perImage.map((b) => `${b.label}:${b.count}`).join(' ')}`,
    );
    const bins = (list: readonly HistogramBin[]) => list.map((b) => `${b.label}:${b.count}`).join(' ');
    lines.push(`  box sizes (√area px): ${bins(report.boxes.sizes)}`);
    lines.push(`  box sizes (√ of the image's area): ${bins(report.boxes.relativeSizes)}`);
    lines.push(`  box centres x (of width): ${bins(report.boxes.positions.x)}`);
    lines.push(`  box centres y (of height): ${bins(report.boxes.positions.y)}`);
  }
  lines.push(`  corrupt/unreadable: ${report.corrupt.length}`);
  for (const c of report.corrupt.slice(0, 10)) lines.push(`    ${c.file}: ${c.reason}`);
  lines.push(`  exact duplicates: ${report.duplicates.length} group(s)`);
  for (const d of report.duplicates.slice(0, 10)) lines.push(`    ${d.files.join(' = ')}`);
  lines.push(`  duplicates across splits (leakage): ${report.leakage.length} group(s)`);
  for (const l of report.leakage.slice(0, 10))
    lines.push(`    ${l.files.map((f) => `${f.split}:${f.file}`).join(' = ')}`);
  for (const w of report.warnings) lines.push(`  ! ${w}`);
  if (report.outputs.length > 0) lines.push(`  wrote: ${report.outputs.join(', ')}`);
  return lines.join('\n');
}
