import type { InMemoryDataset } from '@optik/data';
import * as tf from '@tensorflow/tfjs';

/** A (small) dataset's images as one float32 NHWC tensor in [0, 1], as batches feed them to the model. */
export function imagesTensor(images: InMemoryDataset): tf.Tensor4D {
  const pixels = new Float32Array(images.images.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (images.images[i] as number) / 255;
  return tf.tensor4d(pixels, [images.length, images.height, images.width, images.channels]);
}
