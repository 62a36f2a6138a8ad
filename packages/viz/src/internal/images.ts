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
  /** Boxes to draw on the image (pixel xyxy): true boxes in green, predicted ones in orange (dashed). */
  readonly boxes?: readonly OverlayBox[];
  /** Whether the prediction is right (default: the two labels are equal); a wrong one is framed in red. */
  readonly correct?: boolean;
}

/** A box drawn over an image: pixel `[xMin, yMin, xMax, yMax]`, whether it is the truth or a prediction. */
export interface OverlayBox {
  readonly box: readonly [number, number, number, number];
  readonly kind: 'true' | 'predicted';
}

const BOX_COLORS = { true: '#1a7f37', predicted: '#ff7f0e' } as const;

/** SVG rectangles of `boxes` on an image of `width × height` shown at `scale` from `(left, top)`. */
function boxesSvg(
  boxes: readonly OverlayBox[],
  placement: { left: number; top: number; scale: number },
  strokeWidth = 2,
): string {
  return boxes
    .map(({ box, kind }) => {
      const [x0, y0, x1, y1] = box;
      const { left, top, scale } = placement;
      const dash = kind === 'predicted' ? ` stroke-dasharray="${3 * strokeWidth},${2 * strokeWidth}"` : '';
      return `<rect x="${left + x0 * scale}" y="${top + y0 * scale}" width="${Math.max(0, (x1 - x0) * scale)}" height="${Math.max(0, (y1 - y0) * scale)}" fill="none" stroke="${BOX_COLORS[kind]}" stroke-width="${strokeWidth}"${dash}/>`;
    })
    .join('');
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
    const wrong = !(item.correct ?? item.trueLabel === item.predictedLabel);
    const frame = wrong ? RED : '#cccccc';
    svg.push(
      `<rect x="${x + BORDER / 2}" y="${y + BORDER / 2}" width="${cellWidth - BORDER}" height="${o.cellSize + BORDER}" fill="none" stroke="${frame}" stroke-width="${BORDER}"/>`,
    );
    if (item.boxes !== undefined && item.boxes.length > 0) {
      // The tile is the image fitted ('contain') into the cell, centred.
      const { width: w, height: h } = item.image;
      const scale = Math.min(o.cellSize / w, o.cellSize / h);
      svg.push(
        boxesSvg(item.boxes, {
          left: x + BORDER + (o.cellSize - w * scale) / 2,
          top: y + BORDER + (o.cellSize - h * scale) / 2,
          scale,
        }),
      );
    }
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

/**
 * One image as a PNG with boxes drawn on it (true boxes green, predictions orange and dashed) and an optional
 * caption per box — what `optik predict --out` writes. Small images are enlarged to `minSize` without smoothing.
 *
 * @example
 * ```ts
 * const png = await drawBoxes(image, [{ box: [4, 6, 30, 40], kind: 'predicted', caption: 'Sneaker 0.97' }]);
 * ```
 */
export async function drawBoxes(
  image: ImageData,
  boxes: readonly (OverlayBox & { readonly caption?: string })[],
  options: { readonly minSize?: number } = {},
): Promise<Buffer> {
  const { width: w, height: h, channels } = image;
  const scale = Math.max(1, Math.ceil((options.minSize ?? 256) / Math.max(w, h)));
  const width = w * scale;
  const height = h * scale;
  const base = await sharp(toBytes(image, 0), { raw: { width: w, height: h, channels } })
    .resize(width, height, { kernel: 'nearest' })
    .toColourspace('srgb')
    .png()
    .toBuffer();
  const captions = boxes
    .filter((b) => b.caption !== undefined)
    .map(({ box, kind, caption }) => {
      const x = Math.max(0, box[0] * scale);
      const y = Math.max(FONT_SIZE + 2, box[1] * scale - 3);
      return `<text x="${x}" y="${y}" fill="${BOX_COLORS[kind]}" font-family="${CHART_FONT}" font-size="${FONT_SIZE + 2}" font-weight="bold" stroke="#fff" stroke-width="0.6">${escapeXml(caption as string)}</text>`;
    })
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${boxesSvg(boxes, { left: 0, top: 0, scale }, Math.max(2, scale / 2))}${captions}</svg>`;
  return sharp(base)
    .composite([{ input: Buffer.from(svg), left: 0, top: 0 }])
    .png()
    .toBuffer();
}
