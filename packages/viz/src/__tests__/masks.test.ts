import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { classColors, imageToPng, maskToPng, overlayMask } from '../index.js';

describe('semantic mask overlays', () => {
  it('uses the Pascal VOC colour map', () => {
    expect(classColors(5)).toEqual([
      [0, 0, 0],
      [128, 0, 0],
      [0, 128, 0],
      [128, 128, 0],
      [0, 0, 128],
    ]);
    expect(classColors(16)[15]).toEqual([192, 128, 128]); // VOC person
  });

  it('blends class colours into the image, leaving background and ignored pixels alone', () => {
    const image = { width: 2, height: 2, channels: 1 as const, data: Uint8Array.from([100, 100, 100, 100]) };
    const mask = { width: 2, height: 2, data: Uint8Array.from([0, 1, 2, 255]) };
    const out = overlayMask(image, mask, { alpha: 0.5 });
    expect(Array.from(out.data)).toEqual([100, 100, 100, 114, 50, 50, 50, 114, 50, 100, 100, 100]);
    const float = { width: 2, height: 2, channels: 3 as const, data: new Float32Array(12).fill(1) };
    expect(Array.from(overlayMask(float, mask, { alpha: 0 }).data)).toEqual(new Array(12).fill(255));
    expect(() => overlayMask(image, { width: 1, height: 4, data: new Uint8Array(4) })).toThrow(
      expect.objectContaining({ code: 'DATA_MISMATCH' }),
    );
  });

  it('writes class-id, colour and overlay PNGs that decode back exactly', async () => {
    const mask = { width: 3, height: 2, data: Uint8Array.from([0, 1, 2, 3, 255, 0]) };
    const png = await maskToPng(mask);
    expect((await sharp(png).metadata()).channels).toBe(1);
    expect(Array.from(await sharp(png).extractChannel(0).raw().toBuffer())).toEqual([0, 1, 2, 3, 255, 0]);
    const colour = await sharp(await maskToPng(mask, { colors: true }))
      .raw()
      .toBuffer();
    expect(Array.from(colour.subarray(3, 9))).toEqual([128, 0, 0, 0, 128, 0]);
    const overlay = overlayMask({ width: 3, height: 2, channels: 3 as const, data: new Uint8Array(18) }, mask);
    expect(
      Array.from(
        await sharp(await imageToPng(overlay))
          .raw()
          .toBuffer(),
      ),
    ).toEqual(Array.from(overlay.data));
  });
});
