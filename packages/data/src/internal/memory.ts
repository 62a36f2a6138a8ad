import type { ImageSample, SampleTarget } from '@optik/core';
import { OptikError } from '@optik/core';

/** How class labels are presented: Keras `label_mode`. */
export type LabelMode = 'int' | 'categorical' | 'binary';

/** The parts an {@link InMemoryDataset} is built from. */
export interface InMemoryDatasetInit {
  /** `count × height × width × channels` bytes, row-major HWC per image. */
  readonly images: Uint8Array;
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3 | 4;
  /** One class id per image; `-1` where an image has no single class label (detection, segmentation). */
  readonly labels: Int32Array;
  readonly classNames: readonly string[];
  /** Full targets (boxes, masks) in this array's pixel coordinates, for non-classification tasks. */
  readonly targets?: readonly SampleTarget[];
  /** Where each image came from (file path or `dataset#index`). */
  readonly sources?: readonly string[];
  /** The label mode batches use unless told otherwise. */
  readonly labelMode?: LabelMode;
}

/**
 * Images of one size held as one `Uint8Array` plus labels: the fast path for IDX-style data (Fashion-MNIST's 60k
 * images are 47 MB) and the result of decoding any file source. Batching copies straight from the bytes.
 *
 * @example
 * ```ts
 * const ds = new InMemoryDataset({ images, height: 28, width: 28, channels: 1, labels, classNames });
 * const { image, target } = ds.sample(0);
 * ```
 */
export class InMemoryDataset {
  readonly images: Uint8Array;
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3 | 4;
  readonly labels: Int32Array;
  readonly classNames: readonly string[];
  readonly targets: readonly SampleTarget[] | undefined;
  readonly sources: readonly string[] | undefined;
  readonly labelMode: LabelMode;

  constructor(init: InMemoryDatasetInit) {
    const { images, height, width, channels, labels } = init;
    if (!(Number.isInteger(height) && height > 0 && Number.isInteger(width) && width > 0)) {
      throw new OptikError('ARGUMENT_INVALID', 'Image height and width must be positive integers.', {
        received: { height, width },
      });
    }
    const pixels = height * width * channels;
    if (images.length !== labels.length * pixels) {
      throw new OptikError(
        'DATA_MISMATCH',
        `${labels.length} labels need ${labels.length * pixels} image bytes (${height}×${width}×${channels} each).`,
        { received: images.length },
      );
    }
    for (const [what, list] of [
      ['targets', init.targets],
      ['sources', init.sources],
    ] as const) {
      if (list !== undefined && list.length !== labels.length) {
        throw new OptikError('DATA_MISMATCH', `There must be one entry in ${what} per image.`, {
          received: { [what]: list.length, images: labels.length },
        });
      }
    }
    const classCount = init.classNames.length;
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i] ?? -1;
      if (label < -1 || (classCount > 0 && label >= classCount)) {
        throw new OptikError('DATA_UNKNOWN_CLASS', `Label ${label} at index ${i} is not a class id.`, {
          received: label,
          hint: `Class ids run from 0 to ${classCount - 1} (${classCount} class names).`,
        });
      }
    }
    this.images = images;
    this.height = height;
    this.width = width;
    this.channels = channels;
    this.labels = labels;
    this.classNames = init.classNames;
    this.targets = init.targets;
    this.sources = init.sources;
    this.labelMode = init.labelMode ?? 'int';
  }

  /** Number of images. */
  get length(): number {
    return this.labels.length;
  }

  /** Bytes per image. */
  get imageSize(): number {
    return this.height * this.width * this.channels;
  }

  /** One sample as raw pixels (a view, not a copy) and its target. */
  sample(index: number): ImageSample {
    if (!(Number.isInteger(index) && index >= 0 && index < this.length)) {
      throw new OptikError('ARGUMENT_INVALID', `Sample index must be in [0, ${this.length - 1}].`, { received: index });
    }
    const size = this.imageSize;
    const target: SampleTarget = this.targets?.[index] ?? { kind: 'classification', label: this.labels[index] ?? -1 };
    const source = this.sources?.[index];
    return {
      image: {
        width: this.width,
        height: this.height,
        channels: this.channels,
        data: this.images.subarray(index * size, (index + 1) * size),
      },
      target,
      ...(source === undefined ? {} : { source }),
    };
  }

  /** Images per class id (length = number of classes). */
  classCounts(): number[] {
    const counts = new Array<number>(this.classNames.length).fill(0);
    for (const label of this.labels) if (label >= 0) counts[label] = (counts[label] ?? 0) + 1;
    return counts;
  }

  /** A new dataset holding copies of the images at `indices`, in that order. */
  subset(indices: ArrayLike<number>): InMemoryDataset {
    const size = this.imageSize;
    const images = new Uint8Array(indices.length * size);
    const labels = new Int32Array(indices.length);
    const targets: SampleTarget[] | undefined = this.targets === undefined ? undefined : [];
    const sources: string[] | undefined = this.sources === undefined ? undefined : [];
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k] ?? -1;
      if (!(Number.isInteger(i) && i >= 0 && i < this.length)) {
        throw new OptikError('ARGUMENT_INVALID', `Subset index must be in [0, ${this.length - 1}].`, { received: i });
      }
      images.set(this.images.subarray(i * size, (i + 1) * size), k * size);
      labels[k] = this.labels[i] ?? -1;
      targets?.push(this.targets?.[i] as SampleTarget);
      sources?.push(this.sources?.[i] as string);
    }
    return new InMemoryDataset({
      images,
      height: this.height,
      width: this.width,
      channels: this.channels,
      labels,
      classNames: this.classNames,
      labelMode: this.labelMode,
      ...(targets === undefined ? {} : { targets }),
      ...(sources === undefined ? {} : { sources }),
    });
  }
}
