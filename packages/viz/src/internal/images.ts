import { type ImageData, OptikError, parseOrThrow } from '@optik/core';
import sharp from 'sharp';
import { z } from 'zod';
import { CHART_FONT } from './render.js';

/**
 * One tile of {@link imageGrid}: the pixels and the two labels. A tile whose labels differ is marked in red.
 *
 * @example
 * ```ts
 * const item: LabeledImage = { image: { width: 28, height: 28, channels: 1, data: pixels }, trueLabel: 'Shirt', predictedLabel: 'T-shirt' };
 * ```
 */
export interface LabeledImage {
  readonly image: ImageData;
  readonly trueLabel: string;
  readonly predictedLabel: string;
}

const GridSchema = z.strictObject({
  columns: z.int().min(1).max(64).default(8),
  /** Side of each image in pixels; small images are enlarged without smoothing so pixels stay crisp. */
  cellSize: z.int().min(16).max(512).default(96),
  title: z.string().optional(),
});

/**
 * Options of {@link imageGrid}.
 *
 * @example
 * ```ts
 * const options: ImageGridOptions = { columns: 6, cellSize: 84, title: 'Test predictions' };
 * ```
 */
export type ImageGridOptions = z.input<typeof GridSchema>;

const BORDER = 3;
const GAP = 8;
const FONT_SIZE = 11;
const LABEL_HEIGHT = 2 * (FONT_SIZE + 4) + 2;
const TITLE_HEIGHT = 26;
const RED = '#d62728';
const GREEN = '#1a7f37';

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function fit(text: string, width: number): string {
  const maxChars = Math.max(4, Math.floor(width / (FONT_SIZE * 0.6)));
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 1)}…`;
}

/** 8-bit pixels from an ImageData: Uint8Array as is, Float32Array read as 0–1 (or 0–255 when any value exceeds 1). */
function toBytes(image: ImageData, index: number): Buffer {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new OptikError('DATA_CORRUPT', `imageGrid: image ${index} has an invalid size ${width}×${height}.`);
  }
  if (data.length !== width * height * channels) {
    throw new OptikError(
      'DATA_MISMATCH',
      `imageGrid: image ${index} holds ${data.length} values, expected ${width}×${height}×${channels} = ${width * height * channels}.`,
      { hint: 'Pixels are row-major HWC.' },
    );
  }
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let max = 0;
  for (const v of data) if (v > max) max = v;
  const scale = max > 1 ? 1 : 255;
  const out = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Math.max(0, Math.min(255, Math.round((data[i] as number) * scale)));
  return out;
}

/**
 * A PNG grid of images with their true and predicted labels; wrong predictions get a red frame and a red
 * predicted label. Pixels come as raw grayscale, RGB or RGBA arrays ({@link ImageData} from @optik/core).
 *
 * @example
 * ```ts
 * const png = await imageGrid(
 *   samples.map((s, i) => ({ image: s.image, trueLabel: classNames[yTrue[i]], predictedLabel: classNames[yPred[i]] })),
 *   { columns: 8, title: 'Test set predictions' },
 * );
 * await writeFile(join(runDir, 'predictions.png'), png);
 * ```
 */
export async function imageGrid(items: readonly LabeledImage[], options: ImageGridOptions = {}): Promise<Buffer> {
  const o = parseOrThrow(GridSchema, options, { what: 'image grid options' });
  if (items.length === 0) {
    throw new OptikError('ARGUMENT_INVALID', 'imageGrid: there are no images to show.', { hint: 'Pass at least one.' });
  }
  const columns = Math.min(o.columns, items.length);
  const rows = Math.ceil(items.length / columns);
  const cellWidth = o.cellSize + 2 * BORDER;
  const cellHeight = o.cellSize + 2 * BORDER + LABEL_HEIGHT;
  const top = o.title === undefined ? GAP : TITLE_HEIGHT + GAP;
  const width = GAP + columns * (cellWidth + GAP);
  const height = top + rows * (cellHeight + GAP);

  const tiles = await Promise.all(
    items.map(async (item, i) => {
      const { width: w, height: h, channels } = item.image;
      const input = toBytes(item.image, i);
      const tile = await sharp(input, { raw: { width: w, height: h, channels } })
        .resize(o.cellSize, o.cellSize, {
          fit: 'contain',
          kernel: w < o.cellSize && h < o.cellSize ? 'nearest' : 'lanczos3',
          background: { r: 255, g: 255, b: 255, alpha: 1 },
        })
        .flatten({ background: '#ffffff' })
        .toColourspace('srgb')
        .png()
        .toBuffer();
      const left = GAP + (i % columns) * (cellWidth + GAP);
      const y = top + Math.floor(i / columns) * (cellHeight + GAP);
      return { input: tile, left: left + BORDER, top: y + BORDER };
    }),
  );

  const svg: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">`];
  svg.push(`<g font-family="${CHART_FONT}" font-size="${FONT_SIZE}">`);
  if (o.title !== undefined) {
    svg.push(`<text x="${GAP}" y="${TITLE_HEIGHT - 6}" font-size="15" font-weight="bold">${escapeXml(o.title)}</text>`);
  }
  items.forEach((item, i) => {
    const x = GAP + (i % columns) * (cellWidth + GAP);
    const y = top + Math.floor(i / columns) * (cellHeight + GAP);
    const wrong = item.trueLabel !== item.predictedLabel;
    const frame = wrong ? RED : '#cccccc';
    svg.push(
      `<rect x="${x + BORDER / 2}" y="${y + BORDER / 2}" width="${cellWidth - BORDER}" height="${o.cellSize + BORDER}" fill="none" stroke="${frame}" stroke-width="${BORDER}"/>`,
    );
    const textY = y + o.cellSize + 2 * BORDER + FONT_SIZE + 2;
    svg.push(`<text x="${x}" y="${textY}" fill="#222">${escapeXml(fit(`true: ${item.trueLabel}`, cellWidth))}</text>`);
    svg.push(
      `<text x="${x}" y="${textY + FONT_SIZE + 4}" fill="${wrong ? RED : GREEN}">${escapeXml(fit(`pred: ${item.predictedLabel}`, cellWidth))}</text>`,
    );
  });
  svg.push('</g></svg>');

  return sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite([...tiles, { input: Buffer.from(svg.join('')), left: 0, top: 0 }])
    .png()
    .toBuffer();
}
