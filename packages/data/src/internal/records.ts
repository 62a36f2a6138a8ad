import type { BoxXyxy, TaskKind } from '@optik/core';
import { clipBox, OptikError } from '@optik/core';
import type { MaskPalette } from './decode.js';

/** An instance mask as annotated: polygons (flat `[x0, y0, x1, y1, …]` lists) or a decoded COCO RLE. */
export type Segmentation =
  | { readonly type: 'polygon'; readonly polygons: readonly (readonly number[])[] }
  | { readonly type: 'rle'; readonly counts: readonly number[]; readonly height: number; readonly width: number };

/** One annotated image of a file source. Boxes are absolute-pixel xyxy in the original image. */
export interface DatasetRecord {
  /** Absolute path of the image. */
  readonly file: string;
  /** Split the source assigned (`train`, `val`, `test`), if any. */
  readonly split?: string;
  /** Image size as stated by the annotation (COCO, VOC), when it states one. */
  readonly width?: number;
  readonly height?: number;
  /** Class id, for classification. */
  readonly label?: number;
  /** Boxes and their class ids, for detection. */
  readonly boxes?: readonly BoxXyxy[];
  readonly labels?: readonly number[];
  /** VOC's `difficult` flag per box. */
  readonly difficult?: readonly boolean[];
  /**
   * COCO's `iscrowd` flag per box: a crowd region is never a training positive and, in evaluation, never a false
   * negative, and detections inside it are ignored (COCOeval).
   */
  readonly crowd?: readonly boolean[];
  /** Instance masks per box (COCO polygons/RLE, YOLO polygons); `null` where a box has none. */
  readonly segments?: readonly (Segmentation | null)[];
  /** Semantic mask PNG (class id per pixel). */
  readonly maskFile?: string;
}

/** What a file source read: records plus the problems it fixed or skipped. */
export interface FileDataset {
  /** Where the records came from; `generated`: in-memory images written out as files (`writeImageFiles`). */
  readonly format: 'folder' | 'csv' | 'coco' | 'voc' | 'yolo' | 'masks' | 'generated';
  /** The dataset root all image paths are inside. */
  readonly root: string;
  readonly task: TaskKind;
  readonly classNames: readonly string[];
  readonly records: readonly DatasetRecord[];
  /**
   * Boxes clipped to the image, files skipped with the reason, and boxes dropped with the reason (zero width or
   * height: no pixel to learn from, as torchvision's COCO reference and Ultralytics drop them), each named by
   * `file:line` or `file annotations[i]`.
   */
  readonly issues: {
    readonly clippedBoxes: number;
    readonly skipped: readonly { file: string; reason: string }[];
    readonly droppedBoxes?: readonly { file: string; reason: string }[];
  };
  /** Colour-coded semantic masks: the colour of each class (and of ignored pixels). */
  readonly maskPalette?: MaskPalette | undefined;
}

/**
 * Collects clip counts while a source is read: a box partly outside its image is clipped and counted (an error in
 * strict mode); a box entirely outside it is always an error, since clipping would leave an empty box. A box of
 * zero width or height is dropped and listed in `dropped` with its place (an error in strict mode): `check` then
 * returns `undefined` and the reader leaves the box's label, mask and flags out with it.
 */
export class BoxChecker {
  clipped = 0;
  readonly dropped: { file: string; reason: string }[] = [];
  constructor(private readonly strict: boolean) {}

  check(box: BoxXyxy, width: number | undefined, height: number | undefined, where: string): BoxXyxy | undefined {
    if (!box.every(Number.isFinite)) {
      throw new OptikError('DATA_FORMAT', 'A box coordinate is not a finite number.', { file: where, received: box });
    }
    if (box[2] < box[0] || box[3] < box[1]) {
      throw new OptikError('DATA_FORMAT', 'A box has xMax < xMin or yMax < yMin.', { file: where, received: box });
    }
    if (box[2] === box[0] || box[3] === box[1]) {
      const what = `A box has zero ${box[2] === box[0] ? 'width' : 'height'}`;
      if (this.strict) {
        throw new OptikError('DATA_FORMAT', `${what}.`, {
          file: where,
          received: box,
          hint: 'Give the box a positive width and height or remove it, or read without strict: true to drop such boxes (they are listed).',
        });
      }
      this.dropped.push({ file: where, reason: `${what} (${box.join(', ')}); dropped.` });
      return undefined;
    }
    if (width === undefined || height === undefined) return box;
    if (box[0] >= width || box[1] >= height || box[2] <= 0 || box[3] <= 0) {
      throw new OptikError('DATA_FORMAT', `A box lies entirely outside the ${width}×${height} image.`, {
        file: where,
        received: box,
        hint: 'Clipping would leave nothing: check that the coordinates are absolute pixels of this image (not normalised, not of another image).',
      });
    }
    const { box: clipped, clipped: changed } = clipBox(box, width, height);
    if (!changed) return box;
    if (this.strict) {
      throw new OptikError('DATA_FORMAT', `A box lies outside the ${width}×${height} image.`, {
        file: where,
        received: box,
        hint: 'Fix the annotation, or read without strict: true to clip such boxes (they are counted).',
      });
    }
    this.clipped++;
    return clipped;
  }
}
