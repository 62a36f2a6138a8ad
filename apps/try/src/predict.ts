import { OptikError } from '@optik/core';
import { decodeDetections } from '@optik/zoo';
import * as tf from '@tensorflow/tfjs';
import type { LoadedRun } from './run.js';

/** One class and its probability. */
export interface Ranked {
  readonly label: string;
  readonly classId: number;
  readonly probability: number;
}

/** What the model says about one image: the top-k classes and, for localization, the box in image fractions. */
export interface Prediction {
  readonly top: readonly Ranked[];
  readonly box?: { cx: number; cy: number; w: number; h: number };
}

/** Decodes a dropped file (or blob) into a bitmap; anything that is not an image gets a clear error. */
export async function decodeImage(file: Blob, name: string): Promise<ImageBitmap> {
  try {
    return await createImageBitmap(file);
  } catch (cause) {
    throw new OptikError(
      'DATA_FORMAT',
      `${name} is not an image this browser can decode (type "${file.type || 'unknown'}").`,
      { hint: 'Drop a PNG, JPEG, GIF, BMP or WebP file.' },
      { cause },
    );
  }
}

/**
 * The model's input from an image, as `optik predict` prepares it: resized to the model's height × width (fill,
 * as @optik/data's decoder does), converted to the model's channels (grey = Rec. 709 luma, as libvips' b-w),
 * pixels ÷ 255. Returns the bytes too, to show what the model sees.
 */
export function preprocess(image: CanvasImageSource, run: LoadedRun): { input: tf.Tensor4D; pixels: ImageData } {
  const { height, width, channels, scale } = run.preprocessing;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d');
  if (ctx === null) throw new OptikError('INTERNAL', 'No 2-D canvas in this browser.');
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, width, height);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(image, 0, 0, width, height);
  const pixels = ctx.getImageData(0, 0, width, height);
  const rgba = pixels.data;
  const values = new Float32Array(height * width * channels);
  for (let i = 0; i < height * width; i++) {
    const [r, g, b, a] = [rgba[i * 4] ?? 0, rgba[i * 4 + 1] ?? 0, rgba[i * 4 + 2] ?? 0, rgba[i * 4 + 3] ?? 255];
    if (channels === 1) values[i] = Math.round(0.2126 * r + 0.7152 * g + 0.0722 * b) * scale;
    else {
      values.set([r * scale, g * scale, b * scale], i * channels);
      if (channels === 4) values[i * 4 + 3] = a * scale;
    }
  }
  return { input: tf.tensor4d(values, [1, height, width, channels]), pixels };
}

/** Runs the model on one image and ranks the classes (a sigmoid head's one unit is the positive class). */
export function predict(run: LoadedRun, image: CanvasImageSource, topK: number): Prediction {
  const { input } = preprocess(image, run);
  try {
    const outputs = tf.tidy(() => {
      const raw = run.model.predict(input);
      return (Array.isArray(raw) ? raw : [raw]).map((t) => Array.from(t.dataSync()));
    });
    const probs = outputs[0] ?? [];
    const row = probs.length === 1 ? [1 - (probs[0] as number), probs[0] as number] : probs;
    const top = row
      .map((probability, classId) => ({ label: run.classNames[classId] ?? String(classId), classId, probability }))
      .sort((a, b) => b.probability - a.probability || a.classId - b.classId)
      .slice(0, topK);
    const boxValues = run.task === 'localization' ? outputs[1] : undefined;
    if (boxValues !== undefined && boxValues.length === 4) {
      const [cx, cy, w, h] = boxValues as [number, number, number, number];
      return { top, box: { cx, cy, w, h } };
    }
    return { top };
  } finally {
    input.dispose();
  }
}

/** One detection in the image's own pixels (`optik predict`'s `detections[]`): class, score and xyxy box. */
export interface Detection {
  readonly label: string;
  readonly classId: number;
  readonly score: number;
  readonly box: readonly [number, number, number, number];
}

/** A detector's raw output on one image, kept so that a new confidence threshold needs no new forward pass. */
export interface RawDetections {
  readonly data: Float32Array;
  readonly shape: readonly number[];
  /** The image's own size: boxes are scaled from the model's input back to it. */
  readonly imageWidth: number;
  readonly imageHeight: number;
}

/** Runs a detection run's model on one image (preprocessed as {@link preprocess}) and keeps its raw output. */
export function detectRaw(run: LoadedRun, image: CanvasImageSource & { width: number; height: number }): RawDetections {
  if (run.detection === undefined) {
    throw new OptikError('ARGUMENT_INVALID', `The run ${run.name} is a ${run.task} run, not a detector.`, {
      hint: 'Load a detection run (runs/detection/<name>/) to draw detections.',
    });
  }
  const { input } = preprocess(image, run);
  try {
    const output = run.model.predict(input) as tf.Tensor;
    try {
      return {
        data: output.dataSync() as Float32Array,
        shape: output.shape,
        imageWidth: image.width,
        imageHeight: image.height,
      };
    } finally {
      output.dispose();
    }
  } finally {
    input.dispose();
  }
}

/**
 * The detections of a raw output, as `optik predict --conf` gives them: @optik/zoo's `decodeDetections` on the
 * run's grid with its `postprocess` and `conf` as the score threshold, boxes scaled from the model's input to the
 * image (the model saw it stretched to its input).
 */
export function decodeRaw(run: LoadedRun, raw: RawDetections, conf: number): Detection[] {
  const head = run.detection;
  if (head === undefined) return [];
  const [d] = decodeDetections({ data: raw.data, shape: raw.shape }, head.grid, {
    ...head.postprocess,
    scoreThreshold: conf,
  });
  if (d === undefined) return [];
  const sx = raw.imageWidth / run.preprocessing.width;
  const sy = raw.imageHeight / run.preprocessing.height;
  return d.boxes.map((box, k) => {
    const classId = d.labels[k] as number;
    return {
      label: run.classNames[classId] ?? String(classId),
      classId,
      score: d.scores[k] as number,
      box: [box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy] as const,
    };
  });
}
