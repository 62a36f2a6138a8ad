import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng } from '@optik/core';
import { writePng } from './files.js';

/** One object of a {@link BoxImage}: its class name and box `[xMin, yMin, xMax, yMax]` in pixels (max exclusive). */
export interface BoxObject {
  readonly label: string;
  readonly box: readonly [number, number, number, number];
}

/** A generated grayscale image and the objects drawn on it. */
export interface BoxImage {
  /** File name, e.g. `07.png`. */
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** `height × width` grayscale pixels, row-major. */
  readonly pixels: Uint8Array;
  readonly objects: readonly BoxObject[];
}

/** Options of {@link boxImages}. */
export interface BoxImagesOptions {
  readonly count: number;
  readonly height: number;
  readonly width: number;
  /** Class names; image `i` gets class `i mod classes.length`, class `k` a rectangle of its own brightness. */
  readonly classes: readonly string[];
  readonly seed?: number | undefined;
}

/**
 * Generates `count` grayscale images, each with one bright filled rectangle on dark noise: its class decides its
 * brightness (so a tiny model can tell the classes apart), its size (a quarter to a half of each side) and place
 * come from the seed. The same options give the same images.
 */
export function boxImages(options: BoxImagesOptions): BoxImage[] {
  const { count, height, width, classes } = options;
  const rng = createRng(options.seed ?? 1);
  const digits = String(Math.max(count - 1, 0)).length;
  return Array.from({ length: count }, (_, i) => {
    const classId = i % classes.length;
    const level = classes.length === 1 ? 240 : Math.round(120 + (135 * classId) / (classes.length - 1));
    const boxWidth = rng.int(Math.ceil(width / 4), Math.floor(width / 2));
    const boxHeight = rng.int(Math.ceil(height / 4), Math.floor(height / 2));
    const x0 = rng.int(0, width - boxWidth);
    const y0 = rng.int(0, height - boxHeight);
    const pixels = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const inside = x >= x0 && x < x0 + boxWidth && y >= y0 && y < y0 + boxHeight;
        pixels[y * width + x] = inside ? level : rng.int(0, 60);
      }
    }
    return {
      name: `${String(i).padStart(digits, '0')}.png`,
      width,
      height,
      pixels,
      objects: [{ label: classes[classId] as string, box: [x0, y0, x0 + boxWidth, y0 + boxHeight] }],
    };
  });
}

/**
 * Writes images as a Pascal VOC folder: `JPEGImages/<name>` (PNG) and `Annotations/<stem>.xml` with each object's
 * box in VOC's 1-based pixel coordinates (`xmin + 1`, `ymin + 1`, `xmax`, `ymax`), exactly as given — a test can
 * pass boxes that are empty, degenerate or outside the image. Returns the image files in order.
 */
export function writeVocFolder(root: string, images: readonly BoxImage[]): string[] {
  mkdirSync(join(root, 'JPEGImages'), { recursive: true });
  mkdirSync(join(root, 'Annotations'), { recursive: true });
  return images.map((image) => {
    const file = join(root, 'JPEGImages', image.name);
    writePng(file, image.width, image.height, 1, image.pixels);
    const objects = image.objects.map(
      ({ label, box: [x0, y0, x1, y1] }) =>
        `  <object><name>${label}</name><bndbox><xmin>${x0 + 1}</xmin><ymin>${y0 + 1}</ymin><xmax>${x1}</xmax><ymax>${y1}</ymax></bndbox></object>\n`,
    );
    writeFileSync(
      join(root, 'Annotations', image.name.replace(/\.[^.]+$/, '.xml')),
      `<annotation>\n  <filename>${image.name}</filename>\n  <size><width>${image.width}</width><height>${image.height}</height><depth>1</depth></size>\n${objects.join('')}</annotation>\n`,
    );
    return file;
  });
}
