import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { OptikError } from '@optik/core';

/** A parsed IDX file: its dimensions and its values (IDX type 0x08, unsigned bytes). */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

/** Gunzips when the bytes start with the gzip magic, so `.gz` and raw files read the same way. */
export function maybeGunzip(bytes: Uint8Array, file: string): Uint8Array {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      const out = gunzipSync(bytes);
      return new Uint8Array(out.buffer, out.byteOffset, out.length);
    } catch (cause) {
      throw new OptikError('DATA_CORRUPT', 'The gzip stream is corrupt or truncated.', { file }, { cause });
    }
  }
  return bytes;
}

/**
 * Parses IDX bytes (the MNIST format): magic `0x00 0x00 0x08 ndim`, `ndim` big-endian uint32 sizes, then the
 * values. Only unsigned-byte data (type 0x08) is accepted: that is what image and label files use.
 */
export function parseIdx(raw: Uint8Array, file: string): IdxArray {
  const bytes = maybeGunzip(raw, file);
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new OptikError('DATA_FORMAT', 'Not an IDX file: the magic number must start with two zero bytes.', {
      file,
      received: Array.from(bytes.subarray(0, 4)),
      hint: 'IDX files start with 0x00 0x00 0x08 <ndim> (e.g. 0x00000803 for images, 0x00000801 for labels).',
    });
  }
  if (bytes[2] !== 0x08) {
    throw new OptikError('DATA_FORMAT', 'Unsupported IDX value type: only unsigned bytes (0x08) are read.', {
      file,
      received: bytes[2],
    });
  }
  const ndim = bytes[3] ?? 0;
  if (ndim < 1 || ndim > 4) {
    throw new OptikError('DATA_FORMAT', 'IDX files must have 1 to 4 dimensions.', { file, received: ndim });
  }
  const headerLength = 4 + 4 * ndim;
  if (bytes.length < headerLength) {
    throw new OptikError('DATA_CORRUPT', 'The IDX header is truncated.', { file, received: bytes.length });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const available = bytes.length - headerLength;
  if (available !== expected) {
    throw new OptikError(
      'DATA_CORRUPT',
      `The IDX body has ${available} bytes but its header [${dims.join(', ')}] promises ${expected}.`,
      { file, hint: 'The file is truncated or not the file it claims to be; download it again.' },
    );
  }
  return { dims, data: bytes.subarray(headerLength) };
}

export async function readIdxFile(file: string): Promise<IdxArray> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (cause) {
    throw new OptikError('DATA_NOT_FOUND', 'Cannot read the IDX file.', { file }, { cause });
  }
  return parseIdx(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), file);
}

/** Reads an images file (`[n, h, w]` or `[n, h, w, c]`) and a labels file (`[n]`), checking that the counts agree. */
export async function readIdxPair(
  imagesFile: string,
  labelsFile: string,
): Promise<{ images: Uint8Array; labels: Uint8Array; count: number; height: number; width: number; channels: number }> {
  const [images, labels] = await Promise.all([readIdxFile(imagesFile), readIdxFile(labelsFile)]);
  if (images.dims.length < 3) {
    throw new OptikError('DATA_FORMAT', 'An IDX images file needs 3 or 4 dimensions [n, height, width(, channels)].', {
      file: imagesFile,
      received: images.dims,
    });
  }
  if (labels.dims.length !== 1) {
    throw new OptikError('DATA_FORMAT', 'An IDX labels file needs exactly 1 dimension [n].', {
      file: labelsFile,
      received: labels.dims,
    });
  }
  const [count = 0, height = 0, width = 0, channels = 1] = images.dims;
  if (labels.dims[0] !== count) {
    throw new OptikError(
      'DATA_MISMATCH',
      `The label count (${labels.dims[0]}) differs from the image count (${count}).`,
      { file: labelsFile, hint: `Pair it with the labels file that belongs to ${imagesFile}.` },
    );
  }
  return { images: images.data, labels: labels.data, count, height, width, channels };
}
