/**
 * Raw pixels in row-major HWC order. `Uint8Array` holds 0–255 values, `Float32Array` anything (usually 0–1).
 *
 * @example
 * ```ts
 * const image: ImageData = { width: 28, height: 28, channels: 1, data: new Uint8Array(784) };
 * ```
 */
export interface ImageData {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3 | 4;
  readonly data: Uint8Array | Float32Array;
}

/**
 * A single-channel mask in row-major order, `width × height` values. A semantic mask holds class ids (0 is
 * background); an instance mask holds 0/1.
 *
 * @example
 * ```ts
 * const mask: Mask = { width: 4, height: 4, data: new Uint8Array(16) };
 * ```
 */
export interface Mask {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** The task families a sample can carry targets for. */
export type TaskKind =
  | 'classification'
  | 'localization'
  | 'detection'
  | 'semantic-segmentation'
  | 'instance-segmentation';

/** The target of one sample, one variant per task family. Boxes are absolute-pixel xyxy ({@link BoxXyxy}). */
export type SampleTarget =
  | { readonly kind: 'classification'; readonly label: number }
  | { readonly kind: 'localization'; readonly label: number; readonly box: BoxXyxy }
  | {
      readonly kind: 'detection';
      readonly labels: readonly number[];
      readonly boxes: readonly BoxXyxy[];
      /** COCO `iscrowd` per box: a crowd region is never a training positive nor, in evaluation, a miss. */
      readonly crowd?: readonly boolean[];
    }
  | { readonly kind: 'semantic-segmentation'; readonly mask: Mask }
  | {
      readonly kind: 'instance-segmentation';
      readonly labels: readonly number[];
      readonly boxes: readonly BoxXyxy[];
      readonly masks: readonly Mask[];
    };

/**
 * One sample shared by every task: an image and its target, plus where it came from.
 *
 * @example
 * ```ts
 * const sample: ImageSample = { image, target: { kind: 'classification', label: 3 }, source: 'train/cat/001.png' };
 * ```
 */
export interface ImageSample {
  readonly image: ImageData;
  readonly target: SampleTarget;
  /** File path or `dataset#index` the sample was read from, for error messages and reports. */
  readonly source?: string;
}

/** An absolute-pixel box `[xMin, yMin, xMax, yMax]`: Optik's one internal box format. */
export type BoxXyxy = readonly [number, number, number, number];
