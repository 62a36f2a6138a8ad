import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import type { ImageData, Mask } from '@optik/core';
import { OptikError, parseOrThrow } from '@optik/core';
import sharp, { type OutputInfo } from 'sharp';
import { z } from 'zod';

/** How an image is decoded: colour mode, optional `[height, width]` resize and how it fits. */
export const DecodeOptionsSchema = z
  .object({
    colorMode: z.enum(['grayscale', 'rgb', 'rgba']).default('rgb'),
    /** `[height, width]` (Keras order); omitted keeps the original size. */
    imageSize: z.tuple([z.number().int().min(1).max(16384), z.number().int().min(1).max(16384)]).optional(),
    /** `fill` stretches, `cover` crops to the aspect ratio, `contain` pads with black. */
    fit: z.enum(['fill', 'cover', 'contain']).default('fill'),
  })
  .strict();
export type DecodeOptions = z.input<typeof DecodeOptionsSchema>;
export type ResolvedDecodeOptions = z.output<typeof DecodeOptionsSchema>;

export function resolveDecodeOptions(options: DecodeOptions = {}): ResolvedDecodeOptions {
  return parseOrThrow(DecodeOptionsSchema, options, { what: 'decode options' });
}

export function channelsOf(colorMode: ResolvedDecodeOptions['colorMode']): 1 | 3 | 4 {
  return colorMode === 'grayscale' ? 1 : colorMode === 'rgb' ? 3 : 4;
}

function corrupt(file: string, cause: unknown): OptikError {
  const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
  return new OptikError(
    'DATA_CORRUPT',
    `Cannot decode the image: ${reason}.`,
    {
      file,
      hint: 'Remove or replace the file; a zero-byte, truncated or non-image file cannot be read.',
    },
    { cause },
  );
}

/**
 * The most bytes one image or mask file may have. Far above any real photo (the decoder's pixel limit bounds the
 * decoded size); it stops a manifest row from reading a huge or endless file into memory.
 */
export const MAX_IMAGE_FILE_BYTES = 512 * 1024 * 1024;

function fileKind(stat: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Reads a dataset file that must be a regular file of at most `maxBytes`: a FIFO (which would block forever), a
 * device such as `/dev/zero` (which never ends) or a folder is `DATA_NOT_A_FILE`, a larger file `DATA_TOO_LARGE`.
 * The file is opened without blocking and checked on the open handle, so a swap after a check changes nothing.
 */
export async function readRegularFile(file: string, maxBytes = MAX_IMAGE_FILE_BYTES): Promise<Buffer> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    throw new OptikError('DATA_NOT_FOUND', 'Cannot read the file.', { file }, { cause });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      throw new OptikError('DATA_NOT_A_FILE', `${file} is ${fileKind(stat)}, not a regular file.`, {
        file,
        hint: 'Dataset entries must name image files; remove the entry or replace it with the image file itself.',
      });
    }
    if (stat.size > maxBytes) {
      throw new OptikError(
        'DATA_TOO_LARGE',
        `${file} is ${(stat.size / 1024 / 1024).toFixed(0)} MiB, above the ${(maxBytes / 1024 / 1024).toFixed(0)} MiB an image file may have.`,
        { file, hint: 'Remove the entry, or downscale the image before adding it to the dataset.' },
      );
    }
    const buffer = Buffer.alloc(stat.size);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === buffer.length ? buffer : buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/** Reads an image file (see {@link readRegularFile}), refusing zero-byte files with a coded error. */
export async function readBytes(file: string): Promise<Buffer> {
  const bytes = await readRegularFile(file);
  if (bytes.length === 0) throw corrupt(file, new Error('the file is empty (0 bytes)'));
  return bytes;
}

/**
 * Decodes an image file or buffer with sharp: EXIF orientation applied (`rotate()`), converted to the colour mode,
 * resized to `imageSize` with the fit mode. The whole image is decoded (`failOn: 'warning'`), so truncated files
 * fail here rather than later.
 */
export async function decodeImage(
  input: string | Uint8Array,
  options: ResolvedDecodeOptions,
  label = typeof input === 'string' ? input : '(buffer)',
): Promise<ImageData & { data: Uint8Array; originalWidth: number; originalHeight: number }> {
  const bytes = typeof input === 'string' ? await readBytes(input) : input;
  if (bytes.length === 0) throw corrupt(label, new Error('the buffer is empty (0 bytes)'));
  const channels = channelsOf(options.colorMode);
  try {
    const base = sharp(bytes, { failOn: 'warning' }).rotate();
    const meta = await base.clone().metadata();
    const orientedSwap = (meta.orientation ?? 1) >= 5;
    const originalWidth = (orientedSwap ? meta.height : meta.width) ?? 0;
    const originalHeight = (orientedSwap ? meta.width : meta.height) ?? 0;
    let pipeline = base;
    if (options.imageSize !== undefined) {
      const [height, width] = options.imageSize;
      pipeline = pipeline.resize({ width, height, fit: options.fit, background: { r: 0, g: 0, b: 0, alpha: 1 } });
    }
    if (channels === 1) pipeline = pipeline.toColourspace('b-w').removeAlpha();
    else if (channels === 3) pipeline = pipeline.toColourspace('srgb').removeAlpha();
    else pipeline = pipeline.toColourspace('srgb').ensureAlpha();
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== channels) {
      throw new Error(`expected ${channels} channels after conversion, got ${info.channels}`);
    }
    return {
      width: info.width,
      height: info.height,
      channels,
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      originalWidth,
      originalHeight,
    };
  } catch (cause) {
    throw corrupt(label, cause);
  }
}

/** Width and height after EXIF orientation, without decoding pixels (used for YOLO normalisation). */
export async function imageDimensions(file: string): Promise<{ width: number; height: number }> {
  const bytes = await readBytes(file);
  try {
    const meta = await sharp(bytes).metadata();
    const swap = (meta.orientation ?? 1) >= 5;
    const width = (swap ? meta.height : meta.width) ?? 0;
    const height = (swap ? meta.width : meta.height) ?? 0;
    if (width <= 0 || height <= 0) throw new Error('no dimensions in the header');
    return { width, height };
  } catch (cause) {
    throw corrupt(file, cause);
  }
}

/** The colours of a colour-coded mask: class `i` is `colors[i]`; `ignore` pixels become 255 (not scored). */
export interface MaskPalette {
  readonly colors: readonly (readonly [number, number, number])[];
  readonly ignore?: readonly (readonly [number, number, number])[] | undefined;
}

const rgbKey = (r: number, g: number, b: number) => (r << 16) | (g << 8) | b;

/**
 * Reads a mask PNG without resampling. Without a palette each pixel's value is its class id (a greyscale index
 * PNG); a colour mask then is refused, since its red channel would be read as class ids. With a palette each pixel's
 * colour is looked up (VOC's colour PNGs): a colour not in the palette is `DATA_UNKNOWN_CLASS` naming the pixel.
 */
export async function decodeMask(file: string, palette?: MaskPalette): Promise<Mask> {
  const bytes = await readBytes(file);
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(bytes, { failOn: 'warning' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  } catch (cause) {
    throw corrupt(file, cause);
  }
  const { data, info } = decoded;
  const n = info.width * info.height;
  const c = info.channels;
  const out = new Uint8Array(n);
  const at = (i: number) => `(${i % info.width}, ${Math.floor(i / info.width)})`;
  if (palette === undefined) {
    for (let i = 0; i < n; i++) {
      const v = data[i * c] as number;
      if (c >= 3 && (data[i * c + 1] !== v || data[i * c + 2] !== v)) {
        throw new OptikError('DATA_FORMAT', `The mask is a colour image (pixel ${at(i)} is not grey).`, {
          file,
          received: [v, data[i * c + 1], data[i * c + 2]],
          hint: "Give the class colours as the source's `palette` (class i = palette[i]), or save masks as greyscale PNGs whose values are class ids.",
        });
      }
      out[i] = v;
    }
    return { width: info.width, height: info.height, data: out };
  }
  const ids = new Map<number, number>();
  palette.colors.forEach(([r, g, b], id) => {
    ids.set(rgbKey(r, g, b), id);
  });
  for (const [r, g, b] of palette.ignore ?? []) ids.set(rgbKey(r, g, b), 255);
  for (let i = 0; i < n; i++) {
    const r = data[i * c] as number;
    const g = c >= 3 ? (data[i * c + 1] as number) : r;
    const b = c >= 3 ? (data[i * c + 2] as number) : r;
    const id = ids.get(rgbKey(r, g, b));
    if (id === undefined) {
      throw new OptikError(
        'DATA_UNKNOWN_CLASS',
        `Mask pixel ${at(i)} has the colour rgb(${r}, ${g}, ${b}), which is not in the palette.`,
        {
          file,
          received: [r, g, b],
          hint: `The palette maps ${palette.colors.length} colours to classes${palette.ignore?.length ? ` and ${palette.ignore.length} to ignore` : ''}; add this colour (to \`palette\` or \`ignoreColors\`) or fix the mask.`,
        },
      );
    }
    out[i] = id;
  }
  return { width: info.width, height: info.height, data: out };
}

/** Resizes a mask with nearest-neighbour (class ids never blend) using the same fit as the image. */
export async function resizeMask(mask: Mask, options: ResolvedDecodeOptions): Promise<Mask> {
  if (options.imageSize === undefined) return mask;
  const [height, width] = options.imageSize;
  if (mask.width === width && mask.height === height) return mask;
  const { data, info } = await sharp(mask.data, { raw: { width: mask.width, height: mask.height, channels: 1 } })
    .resize({ width, height, fit: options.fit, kernel: 'nearest', background: { r: 0, g: 0, b: 0, alpha: 1 } })
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}
