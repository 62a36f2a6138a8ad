import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isOptikError } from '@optik/core';
import { tempDir } from '@optik/testing';
import { describe, expect, it } from 'vitest';
import { InMemoryDataset, loadImages, scanImageFolder, writeClassFolders } from '../index.js';

/** 3 classes × 3 grey 4×5 images, each pixel value unique to its image. */
function dataset(): InMemoryDataset {
  const n = 9;
  const images = new Uint8Array(n * 20);
  for (let i = 0; i < n; i++) images.fill(10 + 20 * i, i * 20, (i + 1) * 20);
  return new InMemoryDataset({
    images,
    height: 4,
    width: 5,
    channels: 1,
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
    classNames: ['T-shirt/top', 'Sneaker', 'Ankle boot'],
  });
}

describe('writeClassFolders', () => {
  it('writes the chosen classes as <split>/<class>/ PNG folders that read back pixel for pixel', async () => {
    const out = tempDir();
    const counts = await writeClassFolders({ train: dataset(), test: dataset() }, out, {
      classes: ['Ankle boot', 'T-shirt/top'],
      limit: 2,
    });
    expect(counts).toEqual({
      train: { 'Ankle boot': 2, 'T-shirt/top': 2 },
      test: { 'Ankle boot': 2, 'T-shirt/top': 2 },
    });
    expect(readdirSync(join(out, 'train')).sort()).toEqual(['Ankle boot', 'T-shirt-top']); // no slash in a folder name
    const source = scanImageFolder(out);
    expect(source.classNames).toEqual(['Ankle boot', 'T-shirt-top']);
    expect(source.records.filter((r) => r.split === 'test')).toHaveLength(4);
    const { dataset: back } = await loadImages(source, { imageSize: [4, 5], colorMode: 'grayscale', cache: false });
    // image 2 (value 50) is the first Ankle boot, image 0 (value 10) the first T-shirt
    const first = back.sources?.findIndex((s) => s.endsWith(join('train', 'Ankle boot', '00002.png'))) ?? -1;
    expect(Array.from(back.sample(first).image.data)).toEqual(new Array(20).fill(50));
    await expect(writeClassFolders({ train: dataset() }, out, { classes: ['Boot'] })).rejects.toSatisfy((e) =>
      isOptikError(e, 'DATA_UNKNOWN_CLASS'),
    );
  });
});
