import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BoxXyxy, iou, type Rle } from '@optik/core';
import { describe, expect, it } from 'vitest';
import {
  type CocoDetection,
  type CocoGroundTruth,
  cocoBoxIou,
  DetectionMetrics,
  evaluateCoco,
  evaluateVoc,
} from '../index.js';

// Fixtures from scripts/make-coco-fixtures.py: an independent numpy COCOeval / VOC oracle and torchvision box_iou.
interface CocoFixture {
  name: string;
  input: {
    iouType: 'bbox' | 'segm';
    imageIds: number[];
    categoryIds: number[];
    maxDets: number[];
    groundTruths: CocoGroundTruth[];
    detections: CocoDetection[];
  };
  expected: {
    stats: number[];
    perCategory: { categoryId: number; ap: number; ap50: number; ap75: number; numGroundTruths: number }[];
    prCurves: { categoryId: number; iouThreshold: number; precision: number[] }[];
    voc: { map: number; perCategory: { categoryId: number; ap: number; numGroundTruths: number }[] };
  };
}

const fixtureDir = join(import.meta.dirname, 'fixtures');
const read = (file: string) => JSON.parse(readFileSync(join(fixtureDir, file), 'utf8'));
const cocoFixtures = readdirSync(fixtureDir)
  .filter((f) => f.startsWith('coco-'))
  .map((f) => read(f) as CocoFixture);

function expectClose(actual: readonly number[], expected: readonly number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((value, i) => {
    expect(Math.abs(value - (expected[i] as number)), `${what}[${i}]: ${value} vs ${expected[i]}`).toBeLessThan(1e-6);
  });
}

describe('COCO parity fixtures are present', () => {
  it('has the five COCO cases', () => {
    expect(cocoFixtures.map((f) => f.name).sort()).toEqual([
      'coco-bbox-adversarial',
      'coco-bbox-many',
      'coco-bbox-maxdets',
      'coco-bbox-random',
      'coco-segm-random',
    ]);
  });
});

describe.each(cocoFixtures.map((f) => [f.name, f] as const))('%s equals the numpy COCOeval oracle', (_, fixture) => {
  const result = evaluateCoco(fixture.input);

  it('gives the 12 stats to 1e-6', () => {
    expectClose(result.stats, fixture.expected.stats, 'stats');
  });

  it('gives per-category AP, AP50, AP75 and ground-truth counts', () => {
    expect(result.perCategory.map((c) => c.categoryId)).toEqual(fixture.expected.perCategory.map((c) => c.categoryId));
    expect(result.perCategory.map((c) => c.numGroundTruths)).toEqual(
      fixture.expected.perCategory.map((c) => c.numGroundTruths),
    );
    for (const key of ['ap', 'ap50', 'ap75'] as const) {
      expectClose(
        result.perCategory.map((c) => c[key]),
        fixture.expected.perCategory.map((c) => c[key]),
        key,
      );
    }
  });

  it('gives the 101-point precision curves', () => {
    for (const curve of fixture.expected.prCurves) {
      const actual = result.prCurve(curve.categoryId, curve.iouThreshold);
      expectClose(actual.precision, curve.precision, `category ${curve.categoryId} @ ${curve.iouThreshold}`);
    }
  });

  it('gives the VOC AP50 of the py-faster-rcnn-style oracle', () => {
    const voc = evaluateVoc(fixture.input);
    expectClose(
      voc.perCategory.map((c) => c.ap),
      fixture.expected.voc.perCategory.map((c) => c.ap),
      'voc ap',
    );
    expect(Math.abs(voc.map - fixture.expected.voc.map)).toBeLessThan(1e-6);
  });

  it('gives the same result through DetectionMetrics, streamed image by image', () => {
    const { input } = fixture;
    const metrics = new DetectionMetrics({
      numClasses: Math.max(...input.categoryIds) + 1,
      iouType: input.iouType,
      maxDets: input.maxDets,
    });
    const xyxy = (b: readonly number[]): BoxXyxy => [
      b[0] as number,
      b[1] as number,
      (b[0] as number) + (b[2] as number),
      (b[1] as number) + (b[3] as number),
    ];
    for (const imageId of input.imageIds) {
      const gts = input.groundTruths.filter((g) => g.imageId === imageId);
      const dts = input.detections.filter((d) => d.imageId === imageId);
      metrics.update(
        [
          {
            boxes: gts.map((g) => xyxy(g.bbox)),
            labels: gts.map((g) => g.categoryId),
            crowd: gts.map((g) => g.iscrowd === true),
            ...(input.iouType === 'segm' ? { masks: gts.map((g) => g.segmentation as Rle) } : {}),
          },
        ],
        [
          {
            boxes: dts.map((d) => xyxy(d.bbox)),
            labels: dts.map((d) => d.categoryId),
            scores: dts.map((d) => d.score),
            ...(input.iouType === 'segm' ? { masks: dts.map((d) => d.segmentation as Rle) } : {}),
          },
        ],
      );
    }
    const report = metrics.result();
    if (input.groundTruths.every((g) => g.area === undefined)) {
      expectClose(report.stats, fixture.expected.stats, 'DetectionMetrics stats');
    }
    // VOC breaks score ties by input order; DetectionMetrics sees the detections image by image.
    const byImage = input.imageIds.flatMap((id) => input.detections.filter((d) => d.imageId === id));
    expect(report.vocAp50).toBeCloseTo(evaluateVoc({ ...input, detections: byImage }).map, 12);
    if (byImage.every((d, i) => d === input.detections[i])) {
      expect(Math.abs(report.vocAp50 - fixture.expected.voc.map)).toBeLessThan(1e-6);
    }
    expect(report.numImages).toBe(input.imageIds.length);
  });
});

describe('box IoU equals torchvision.ops.box_iou', () => {
  const fixture = read('box-iou-torchvision.json') as {
    boxesA: BoxXyxy[];
    boxesB: BoxXyxy[];
    iou: (number | null)[][];
  };
  const coco = (b: BoxXyxy) => [b[0], b[1], b[2] - b[0], b[3] - b[1]] as const;

  it('cocoBoxIou and core iou agree to 1e-6 (0 where torchvision divides 0 by 0)', () => {
    const matrix = cocoBoxIou(fixture.boxesA.map(coco), fixture.boxesB.map(coco));
    const numB = fixture.boxesB.length;
    fixture.iou.forEach((row, i) => {
      row.forEach((expected, j) => {
        const want = expected ?? 0;
        expect(Math.abs((matrix[i * numB + j] as number) - want), `${i},${j}`).toBeLessThan(1e-6);
        expect(Math.abs(iou(fixture.boxesA[i] as BoxXyxy, fixture.boxesB[j] as BoxXyxy) - want)).toBeLessThan(1e-6);
      });
    });
    expect(fixture.iou.flat().some((v) => v === null)).toBe(true);
  });
});
