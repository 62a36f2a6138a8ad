import { type ImageData, type Mask, OptikError } from '@optik/core';
import sharp from 'sharp';

/**
 * Distinct colours for class ids, Pascal VOC's colour map (the bits of the id spread over r, g and b): class 0
 * black, 1 dark red, 2 dark green, 3 olive, …; the same colours VOC's mask PNGs use.
 */
export function classColors(count: number): [number, number, number][] {
  return Array.from({ length: count }, (_, id) => {
    let r = 0;
    let g = 0;
    let b = 0;
    let c = id;
    for (let bit = 7; bit >= 0 && c > 0; bit--) {
      r |= (c & 1) << bit;
      g |= ((c >> 1) & 1) << bit;
      b |= ((c >> 2) & 1) << bit;
      c >>= 3;
    }
    return [r, g, b];
  });
}

function checkSize(image: ImageData, mask: Mask): void {
  if (image.width !== mask.width || image.height !== mask.height || mask.data.length !== mask.width * mask.height) {
    throw new OptikError(
      'DATA_MISMATCH',
      `overlayMask: the mask is ${mask.width}×${mask.height}, the image ${image.width}×${image.height}.`,
      { hint: 'Resize the mask with its image (nearest neighbour) first.' },
    );
  }
}

/**
 * The image (grey, RGB or RGBA; 0–255 or 0–1) as RGB bytes with each class's colour blended in at `alpha` — class 0
 * (background) and `ignoreIndex` pixels left as they are — for showing a true or predicted mask on its image.
 */
export function overlayMask(
  image: ImageData,
  mask: Mask,
  options: {
    readonly alpha?: number;
    readonly ignoreIndex?: number;
    readonly colors?: readonly (readonly number[])[];
  } = {},
): ImageData & { data: Uint8Array } {
  checkSize(image, mask);
  const alpha = options.alpha ?? 0.5;
  const ignore = options.ignoreIndex ?? 255;
  let max = 0;
  for (const v of mask.data) if (v !== ignore && v > max) max = v;
  const colors = options.colors ?? classColors(max + 1);
  const scale = image.data instanceof Uint8Array ? 1 : 255;
  const n = image.width * image.height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const id = mask.data[i] as number;
    const color = id === 0 || id === ignore ? undefined : colors[id];
    for (let k = 0; k < 3; k++) {
      const v = (image.data[i * image.channels + (image.channels >= 3 ? k : 0)] as number) * scale;
      out[i * 3 + k] = Math.round(color === undefined ? v : (1 - alpha) * v + alpha * (color[k] as number));
    }
  }
  return { width: image.width, height: image.height, channels: 3, data: out };
}

/** A mask as a PNG: greyscale, each pixel its class id (what mask folders hold), or in {@link classColors}. */
export async function maskToPng(mask: Mask, options: { readonly colors?: boolean } = {}): Promise<Buffer> {
  if (options.colors !== true) {
    return sharp(mask.data, { raw: { width: mask.width, height: mask.height, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toBuffer();
  }
  const colors = classColors(256);
  const rgb = new Uint8Array(mask.data.length * 3);
  mask.data.forEach((id, i) => {
    rgb.set(colors[id] as number[], i * 3);
  });
  return sharp(rgb, { raw: { width: mask.width, height: mask.height, channels: 3 } })
    .png()
    .toBuffer();
}

/** RGB/grey/RGBA bytes as a PNG (an overlay from {@link overlayMask}). */
export async function imageToPng(image: ImageData & { data: Uint8Array }): Promise<Buffer> {
  const channels = image.channels as 1 | 2 | 3 | 4;
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels } })
    .png()
    .toBuffer();
}
