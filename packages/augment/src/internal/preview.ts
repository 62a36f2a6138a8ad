import type { BoxXyxy, ImageSample, Mask } from '@optik/core';
import { createRng, parseOrThrow } from '@optik/core';
import sharp from 'sharp';
import { z } from 'zod';
import { targetMasks } from './sample.js';
import type { AugmentContext, Transform, TransformParams } from './types.js';

export const PreviewSchema = z.strictObject({
  /** Number of augmented variants shown after the original. */
  count: z.number().int().min(1).max(256).default(8),
  /** Seed of the variants; equal seeds draw equal grids. */
  seed: z.number().int().default(0),
  /** Grid columns (default: up to 5). */
  columns: z.number().int().min(1).max(64).optional(),
  /** Longest side of each cell in pixels; small images are scaled up with nearest neighbour. */
  cellSize: z.number().int().min(16).max(1024).default(160),
  /** Caption each variant with the parameters drawn for it (and the original with `originalCaption`). */
  captions: z.boolean().default(false),
  /** The original's caption (e.g. its size as the network sees it); default `original`. */
  originalCaption: z.string().max(200).optional(),
});

/** Options of {@link renderPreview}. */
export type PreviewOptions = z.input<typeof PreviewSchema> & {
  /** Samples that Mosaic and CopyPaste draw partners from (default: the sample alone). */
  readonly pool?: readonly ImageSample[];
};

const PALETTE: readonly (readonly [number, number, number])[] = [
  [230, 25, 75],
  [60, 180, 75],
  [255, 225, 25],
  [0, 130, 200],
  [245, 130, 48],
  [145, 30, 180],
  [70, 240, 240],
  [240, 50, 230],
];
const colour = (i: number) => PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length] as (typeof PALETTE)[0];

/** RGB bytes of a sample with its masks blended in. */
function toRgb(sample: ImageSample): Buffer {
  const { width, height, channels, data } = sample.image;
  const scale = data instanceof Uint8Array ? 1 : 255;
  const rgb = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) {
      const v = (data[i * channels + (channels >= 3 ? c : 0)] as number) * scale;
      rgb[i * 3 + c] = Math.min(255, Math.max(0, Math.round(v)));
    }
  }
  const blend = (mask: Mask, pick: (value: number) => readonly [number, number, number] | null) => {
    if (mask.width !== width || mask.height !== height) return;
    for (let i = 0; i < width * height; i++) {
      const value = mask.data[i] as number;
      const tint = value === 0 ? null : pick(value);
      if (tint === null) continue;
      for (let c = 0; c < 3; c++) rgb[i * 3 + c] = Math.round(0.55 * (rgb[i * 3 + c] as number) + 0.45 * tint[c]!);
    }
  };
  const target = sample.target;
  if (target.kind === 'semantic-segmentation') blend(target.mask, (v) => colour(v - 1));
  else {
    targetMasks(target).forEach((mask, k) => {
      blend(mask, () => colour(k));
    });
  }
  return rgb;
}

function boxesOf(sample: ImageSample): { box: BoxXyxy; label: number }[] {
  const t = sample.target;
  if (t.kind === 'localization') return [{ box: t.box, label: t.label }];
  if (t.kind === 'detection' || t.kind === 'instance-segmentation') {
    return t.boxes.map((box, i) => ({ box, label: t.labels[i] ?? 0 }));
  }
  return [];
}

async function renderCell(sample: ImageSample, cellSize: number, highlight: boolean): Promise<Buffer> {
  const { width, height } = sample.image;
  const scale = cellSize / Math.max(width, height);
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const rects = boxesOf(sample).map(({ box, label }, k) => {
    const [r, g, b] = colour(sample.target.kind === 'instance-segmentation' ? k : label);
    const x = (box[0] * w) / width;
    const y = (box[1] * h) / height;
    return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(((box[2] - box[0]) * w) / width).toFixed(1)}" height="${(((box[3] - box[1]) * h) / height).toFixed(1)}" fill="none" stroke="rgb(${r},${g},${b})" stroke-width="2"/>`;
  });
  if (highlight)
    rects.push(`<rect x="1" y="1" width="${w - 2}" height="${h - 2}" fill="none" stroke="white" stroke-width="2"/>`);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${rects.join('')}</svg>`;
  const resized = await sharp(toRgb(sample), { raw: { width, height, channels: 3 } })
    .resize(w, h, { kernel: 'nearest', fit: 'fill' })
    .png()
    .toBuffer();
  return sharp(resized)
    .composite([{ input: Buffer.from(svg), left: 0, top: 0 }])
    .png()
    .toBuffer();
}

const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 1 ? 2 : 1));

/**
 * The parameters a pipeline drew for one variant, in words: one entry per transform that ran (`Rotate
 * angle=4.03`, `Flip horizontal`, `Translate dx=-6 dy=3`); containers (Compose, OneOf, SomeOf) list their
 * children's. Seeds and nested values are left out.
 *
 * @example
 * ```ts
 * const words = describeParams(pipeline, pipeline.sampleParams(createRng(0), sample)); // ['Rotate angle=12.40']
 * ```
 */
export function describeParams(transform: Transform, params: TransformParams): string[] {
  if (params === null) return [];
  const children = (transform as { transforms?: unknown }).transforms;
  if (Array.isArray(children) && Array.isArray(params.children)) {
    return children.flatMap((child, i) =>
      describeParams(child as Transform, (params.children as TransformParams[])[i] ?? null),
    );
  }
  const parts = Object.entries(params).flatMap(([key, value]) => {
    if (key === 'seed') return [];
    if (typeof value === 'boolean') return value ? [key] : [];
    if (typeof value === 'number') return [`${key}=${num(value)}`];
    if (typeof value === 'string') return [`${key}=${value}`];
    return [];
  });
  return [[transform.type.replace(/^Random/, ''), ...parts].join(' ')];
}

/** SVG text lines (wrapped at about `width` pixels) for a caption band under a cell. */
function captionSvg(text: string, width: number, lines: number): Buffer {
  const perLine = Math.max(8, Math.floor(width / 6));
  const words = text.split(' ');
  const rows: string[] = [];
  let row = '';
  for (const word of words) {
    if (row !== '' && row.length + 1 + word.length > perLine) {
      rows.push(row);
      row = word;
    } else row = row === '' ? word : `${row} ${word}`;
  }
  if (row !== '') rows.push(row);
  const shown = rows.slice(0, lines);
  if (rows.length > lines) shown[lines - 1] = `${(shown[lines - 1] ?? '').slice(0, perLine - 1)}…`;
  const escapeXml = (t: string) => t.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] ?? c);
  const tspans = shown
    .map(
      (line, i) =>
        `<text x="2" y="${11 + i * 12}" font-family="DejaVu Sans, sans-serif" font-size="10" fill="#ddd">${escapeXml(line)}</text>`,
    )
    .join('');
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${lines * 12 + 4}">${tspans}</svg>`,
  );
}

/**
 * Renders one sample and `count` augmented variants in a grid (the original first, framed in white), with boxes
 * as SVG outlines and masks blended in colour. Returns PNG bytes.
 *
 * @example
 * ```ts
 * const png = await renderPreview(pipeline, sample, { count: 11, seed: 0 });
 * ```
 */
export async function renderPreview(
  pipeline: Transform,
  sample: ImageSample,
  options: PreviewOptions = {},
): Promise<Buffer> {
  const { pool, ...rest } = options;
  const { count, seed, columns, cellSize, captions, originalCaption } = parseOrThrow(PreviewSchema, rest, {
    what: 'preview options',
  });
  const rng = createRng(seed);
  const context: AugmentContext = { pool: pool ?? [sample] };
  const variants = Array.from({ length: count }, () => {
    const params = pipeline.sampleParams(rng, sample, context);
    const words = describeParams(pipeline, params);
    return {
      sample: pipeline.apply(sample, params, context),
      caption: words.length === 0 ? 'unchanged' : words.join(' · '),
    };
  });
  const all = [{ sample, caption: originalCaption ?? 'original' }, ...variants];
  const cells = await Promise.all(all.map((v, i) => renderCell(v.sample, cellSize, i === 0)));
  const cols = columns ?? Math.min(5, cells.length);
  const rows = Math.ceil(cells.length / cols);
  const pad = 6;
  const captionLines = 3;
  const band = captions ? captionLines * 12 + 4 : 0;
  const layers = cells.flatMap((input, i) => {
    const left = pad + (i % cols) * (cellSize + pad);
    const top = pad + Math.floor(i / cols) * (cellSize + band + pad);
    const cell = { input, left, top };
    if (!captions) return [cell];
    return [cell, { input: captionSvg(all[i]?.caption ?? '', cellSize, captionLines), left, top: top + cellSize }];
  });
  return sharp({
    create: {
      width: cols * (cellSize + pad) + pad,
      height: rows * (cellSize + band + pad) + pad,
      channels: 3,
      background: { r: 32, g: 32, b: 32 },
    },
  })
    .composite(layers)
    .png()
    .toBuffer();
}

/**
 * A generated RGB sample (a gradient with two coloured objects, instance masks and boxes) to preview a pipeline
 * when no dataset is given.
 *
 * @example
 * ```ts
 * const sample = createDemoSample({ width: 64, height: 64 });
 * ```
 */
export function createDemoSample(options: { width?: number; height?: number } = {}): ImageSample {
  const width = options.width ?? 64;
  const height = options.height ?? 64;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = Math.round((255 * x) / width);
      data[i + 1] = Math.round((255 * y) / height);
      data[i + 2] = 96;
    }
  }
  const boxes: BoxXyxy[] = [
    [Math.round(width * 0.15), Math.round(height * 0.2), Math.round(width * 0.5), Math.round(height * 0.55)],
    [Math.round(width * 0.55), Math.round(height * 0.5), Math.round(width * 0.9), Math.round(height * 0.85)],
  ];
  const masks: Mask[] = boxes.map((box, k) => {
    const mask = new Uint8Array(width * height);
    for (let y = box[1]; y < box[3]; y++) {
      for (let x = box[0]; x < box[2]; x++) {
        mask[y * width + x] = 1;
        data.set(k === 0 ? [250, 250, 250] : [20, 20, 20], (y * width + x) * 3);
      }
    }
    return { width, height, data: mask };
  });
  return {
    image: { width, height, channels: 3, data },
    target: { kind: 'instance-segmentation', labels: [0, 1], boxes, masks },
    source: 'demo',
  };
}
