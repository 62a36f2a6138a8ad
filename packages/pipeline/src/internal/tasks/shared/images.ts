import type { BoxXyxy } from '@optik/core';
import { type InMemoryDataset, imageDimensions } from '@optik/data';
import * as tf from '@tensorflow/tfjs';

/** A (small) dataset's images as one float32 NHWC tensor in [0, 1], as batches feed them to the model. */
export function imagesTensor(images: InMemoryDataset): tf.Tensor4D {
  const pixels = new Float32Array(images.images.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (images.images[i] as number) / 255;
  return tf.tensor4d(pixels, [images.length, images.height, images.width, images.channels]);
}

/**
 * A box predicted on a model input of `images`' size, in the pixels of the original `file`: the model saw the image
 * resized to its input (stretched: `fit: fill`).
 */
export async function boxInFile(
  box: BoxXyxy,
  file: string,
  images: { readonly height: number; readonly width: number },
): Promise<BoxXyxy> {
  const size = await imageDimensions(file);
  const sx = size.width / images.width;
  const sy = size.height / images.height;
  return [box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy];
}
