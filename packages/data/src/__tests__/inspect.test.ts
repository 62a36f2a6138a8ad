import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@optik/testing';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatInspectReport, inspectDataset } from '../index.js';
import { writeImage, writeText } from './fixtures.js';

let tmp: string;
beforeAll(() => {
  tmp = tempDir('optik-data-');
});

describe('inspectDataset', () => {
  it('reports a corrupt image, a duplicate and a 10:1 imbalance, and writes JSON and PNG charts', async () => {
    const root = join(tmp, 'pets');
    for (let i = 0; i < 20; i++) await writeImage(join(root, 'cat', `c${i}.png`), { seed: i, width: 16 + (i % 2) * 8 });
    await writeImage(join(root, 'dog', 'd0.png'), { seed: 100 });
    await writeImage(join(root, 'dog', 'd1.png'), { seed: 101 });
    copyFileSync(join(root, 'cat', 'c3.png'), join(root, 'cat', 'c3-copy.png'));
    writeText(join(root, 'dog', 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46]));
    const outDir = join(tmp, 'report');
    const report = await inspectDataset(root, { outDir });

    expect(report.format).toBe('folder');
    expect(report.classNames).toEqual(['cat', 'dog']);
    expect(report.totalImages).toBe(24);
    expect(report.readableImages).toBe(23);
    expect(report.classCounts).toEqual([21, 2]);
    expect(report.perSplit).toEqual({ all: [21, 2] });
    expect(report.imbalance.ratio).toBeCloseTo(10.5);
    expect(report.imbalance.warning).toBe(true);
    expect(report.classWeights[0]).toBeCloseTo(23 / (2 * 21));
    expect(report.classWeights[1]).toBeCloseTo(23 / (2 * 2));
    expect(report.corrupt.map((c) => c.file)).toEqual(['dog/broken.jpg']);
    expect(report.duplicates).toHaveLength(1);
    expect(report.duplicates[0]?.files).toEqual(['cat/c3-copy.png', 'cat/c3.png']);
    expect(report.leakage).toEqual([]);
    expect(report.imageSizes).toEqual([
      { label: '16×12', count: 12 },
      { label: '24×12', count: 11 },
    ]);
    expect(report.warnings.join('\n')).toMatch(/imbalance/i);

    for (const name of ['report.json', 'class-counts.png', 'image-sizes.png', 'samples.png']) {
      expect(existsSync(join(outDir, name))).toBe(true);
    }
    const json = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8'));
    expect(json.corrupt).toHaveLength(1);
    expect(json.duplicates).toHaveLength(1);
    expect(json.imbalance.warning).toBe(true);
    const meta = await sharp(join(outDir, 'class-counts.png')).metadata();
    expect(meta.format).toBe('png');
    const grid = await sharp(join(outDir, 'samples.png')).metadata();
    expect(grid.width).toBeGreaterThan(64 * 8);

    const text = formatInspectReport(report);
    expect(text).toContain('imbalance (max/min): 10.50  WARNING');
    expect(text).toContain('dog/broken.jpg');
    expect(text).toContain('cat/c3-copy.png = cat/c3.png');
  });

  it('finds duplicates across splits (leakage) and reports boxes for detection', async () => {
    const root = join(tmp, 'yolo');
    await writeImage(join(root, 'images', 'train', 'a.png'), { width: 100, height: 100, seed: 1 });
    await writeImage(join(root, 'images', 'train', 'b.png'), { width: 100, height: 100, seed: 2 });
    writeText(join(root, 'images', 'val', 'a-again.png'), readFileSync(join(root, 'images', 'train', 'a.png')));
    writeText(join(root, 'labels', 'train', 'a.txt'), '0 0.5 0.5 0.1 0.1\n1 0.5 0.5 0.5 0.5\n0 0.9 0.9 0.4 0.4\n');
    writeText(join(root, 'labels', 'train', 'b.txt'), '1 0.5 0.5 0.9 0.9\n');
    writeText(join(root, 'data.yaml'), 'train: images/train\nval: images/val\nnames: [small, big]\n');
    const report = await inspectDataset(
      { format: 'yolo', path: join(root, 'data.yaml') },
      { outDir: join(tmp, 'yolo-report') },
    );
    expect(report.task).toBe('detection');
    expect(report.leakage).toHaveLength(1);
    expect(report.leakage[0]?.files.map((f) => f.split).sort()).toEqual(['train', 'val']);
    expect(report.boxes?.total).toBe(4);
    expect(report.boxes?.clipped).toBe(1);
    expect(report.boxes?.perImage).toEqual([
      { label: '0', count: 1 },
      { label: '1', count: 1 },
      { label: '3', count: 1 },
    ]);
    expect(report.boxes?.sizes).toEqual([
      { label: '<16', count: 1 },
      { label: '<32', count: 1 },
      { label: '<64', count: 1 },
      { label: '<96', count: 1 },
    ]);
    expect(report.perSplit).toEqual({ train: [1, 2], val: [0, 0] });
    expect(existsSync(join(tmp, 'yolo-report', 'box-sizes.png'))).toBe(true);
    expect(existsSync(join(tmp, 'yolo-report', 'boxes-per-image.png'))).toBe(true);
  });

  it('rejects unknown options and unknown sources with coded errors', async () => {
    await expect(inspectDataset(join(tmp, 'missing'))).rejects.toMatchObject({ code: 'DATA_NOT_FOUND' });
    await expect(inspectDataset(tmp, { imbalanceThreshold: 0.5 })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });
});
