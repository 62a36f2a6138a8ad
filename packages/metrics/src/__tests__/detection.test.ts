import { isOptikError, type OptikErrorCode, rleEncode } from '@optik/core';
import { describe, expect, it } from 'vitest';
import {
  type CocoDetection,
  type CocoGroundTruth,
  cocoBoxIou,
  DetectionMetrics,
  evaluateCoco,
  evaluateVoc,
  vocAp,
} from '../index.js';

function code(fn: () => unknown): OptikErrorCode {
  try {
    fn();
  } catch (error) {
    if (isOptikError(error)) return error.code;
    throw error;
  }
  throw new Error('expected an OptikError');
}

// Two images, two classes (1 = A, 2 = B), one crowd region. Worked by hand below.
const handGts: CocoGroundTruth[] = [
  { imageId: 1, categoryId: 1, bbox: [0, 0, 10, 10] }, // g1, area 100 (small)
  { imageId: 1, categoryId: 1, bbox: [20, 0, 20, 20], iscrowd: true }, // crowd region
  { imageId: 2, categoryId: 1, bbox: [0, 0, 20, 10] }, // g2, area 200 (small)
  { imageId: 2, categoryId: 2, bbox: [50, 50, 40, 40] }, // g3, area 1600 (medium)
];
const handDts: CocoDetection[] = [
  { imageId: 1, categoryId: 1, bbox: [0, 0, 10, 10], score: 0.9 }, // d1: IoU 1 with g1
  { imageId: 1, categoryId: 1, bbox: [25, 5, 10, 10], score: 0.8 }, // d2: inside the crowd (100/100) → ignored
  { imageId: 2, categoryId: 1, bbox: [0, 0, 10, 10], score: 0.7 }, // d3: IoU 100/200 = 0.5 with g2
  { imageId: 2, categoryId: 1, bbox: [100, 100, 5, 5], score: 0.95 }, // d4: false positive
  { imageId: 2, categoryId: 2, bbox: [50, 50, 40, 32], score: 0.6 }, // d5: IoU 1280/1600 = 0.8 with g3
];
// Class A, score order d4 (FP), d1 (TP), d2 (ignored), d3 (TP only at t = 0.5), 2 ground truths:
//   t = 0.5: recall 0, .5, .5, 1; precision 0, .5, .5, 2/3 → made monotone: 2/3 everywhere → AP 2/3.
//   t > 0.5: d3 is a FP: recall 0, .5, .5, .5; precision 0, .5, .5, 1/3 → .5 up to recall .5 (51 of the 101
//   recall points), 0 beyond → AP 0.5 · 51/101.
// Class B: one hit at IoU 0.8 → AP 1 for the 7 thresholds ≤ 0.8, 0 for 0.85, 0.9, 0.95 → AP 0.7.
const apA50 = 2 / 3;
const apAHigh = (0.5 * 51) / 101;
const apA = (apA50 + 9 * apAHigh) / 10;
const handStats = [
  (apA + 0.7) / 2, // AP
  (apA50 + 1) / 2, // AP50
  (apAHigh + 1) / 2, // AP75
  apA, // AP small: only class A has small ground truths
  0.7, // AP medium: only class B (1600 px²)
  -1, // AP large: none
  (0.5 + 0.7) / 2, // AR@1: A keeps d1 and d4 (one per image) → recall .5 at every t; B 0.7
  (0.55 + 0.7) / 2, // AR@10: A recall 1 at t = .5, .5 at the 9 others → .55
  (0.55 + 0.7) / 2, // AR@100
  0.55, // AR small
  0.7, // AR medium
  -1, // AR large
];

describe('evaluateCoco (bbox)', () => {
  it('matches the hand-computed 2-image, 2-class case with a crowd region', () => {
    const result = evaluateCoco({ groundTruths: handGts, detections: handDts });
    result.stats.forEach((value, i) => {
      expect(value, `stats[${i}]`).toBeCloseTo(handStats[i] as number, 12);
    });
    expect(result.ap).toBe(result.stats[0]);
    expect(result.arLarge).toBe(-1);
    expect(result.imageIds).toEqual([1, 2]);
    expect(result.categoryIds).toEqual([1, 2]);
    expect(result.perCategory).toHaveLength(2);
    expect(result.perCategory[0]?.ap).toBeCloseTo(apA, 12);
    expect(result.perCategory[0]?.ap50).toBeCloseTo(apA50, 12);
    expect(result.perCategory[0]?.ap75).toBeCloseTo(apAHigh, 12);
    expect(result.perCategory[0]?.numGroundTruths).toBe(2);
    expect(result.perCategory[1]).toMatchObject({ categoryId: 2, numGroundTruths: 1 });
    // Precision is tp / (tp + fp + eps), as pycocotools: 1 / (1 + 2^-52), not quite 1.
    expect(result.perCategory[1]?.ap50).toBeCloseTo(1, 15);
    expect(result.perCategory[1]?.ap75).toBeCloseTo(1, 15);
    const curve = result.prCurve(1, 0.75);
    expect(curve.recall).toHaveLength(101);
    expect(curve.precision.slice(0, 51).every((p) => p === 0.5)).toBe(true);
    expect(curve.precision.slice(51).every((p) => p === 0)).toBe(true);
    expect(result.prCurve(2, 0.85).precision.every((p) => p === 0)).toBe(true);
  });

  it('uses numpy-linspace thresholds: an IoU of exactly 0.85 (17/20) matches at 0.85', () => {
    expect(evaluateCoco({ groundTruths: [], detections: [] }).iouThresholds[7]).toBe(0.85);
    const result = evaluateCoco({
      groundTruths: [{ imageId: 1, categoryId: 1, bbox: [0, 0, 20, 10] }],
      detections: [{ imageId: 1, categoryId: 1, bbox: [0, 0, 17, 10], score: 0.5 }],
    });
    // IoU 170/200 = 0.85: a hit for the 8 thresholds up to 0.85, a miss at 0.9 and 0.95.
    expect(result.ap).toBeCloseTo(0.8, 12);
  });

  it('gives −1 for categories without ground truth and leaves them out of the means', () => {
    const result = evaluateCoco({
      groundTruths: [{ imageId: 1, categoryId: 1, bbox: [0, 0, 10, 10] }],
      detections: [
        { imageId: 1, categoryId: 1, bbox: [0, 0, 10, 10], score: 0.9 },
        { imageId: 1, categoryId: 7, bbox: [0, 0, 10, 10], score: 0.9 },
      ],
      imageIds: [1, 2],
      categoryIds: [1, 5, 7],
    });
    expect(result.ap).toBeCloseTo(1, 15);
    expect(result.perCategory.map((c) => Math.round(c.ap * 1e9) / 1e9)).toEqual([1, -1, -1]);
    expect(result.prCurve(5, 0.5).precision.every((p) => p === -1)).toBe(true);
    expect(evaluateCoco({ groundTruths: [], detections: [] }).stats).toEqual(new Array(12).fill(-1));
  });

  it('keeps only the top maxDets per image and class, ties in input order', () => {
    // 3 equal-score detections, only the second hits; with maxDets [1, 2, 3] it is the 2nd in the ranking.
    const gt: CocoGroundTruth = { imageId: 1, categoryId: 1, bbox: [0, 0, 10, 10] };
    const miss = { imageId: 1, categoryId: 1, bbox: [50, 50, 10, 10] as const, score: 0.5 };
    const hit = { ...miss, bbox: [0, 0, 10, 10] as const };
    const result = evaluateCoco({ groundTruths: [gt], detections: [miss, hit, miss], maxDets: [1, 2, 3] });
    expect(result.ar1).toBe(0);
    expect(result.ar10).toBe(1); // AR@maxDets[1] = 2
    expect(result.stats[0]).toBe(-1); // COCO's stats[0] reads maxDets = 100, absent here
    expect(result.stats[1]).toBeCloseTo(0.5, 12); // precision 1/2 at every recall point
  });

  it('rejects bad input with coded errors', () => {
    const gt = handGts[0] as CocoGroundTruth;
    const dt = handDts[0] as CocoDetection;
    expect(code(() => evaluateCoco({ groundTruths: [gt], detections: [dt], categoryIds: [2] }))).toBe(
      'DATA_UNKNOWN_CLASS',
    );
    expect(code(() => evaluateCoco({ groundTruths: [gt], detections: [{ ...dt, bbox: [0, 0, Number.NaN, 1] }] }))).toBe(
      'ARGUMENT_INVALID',
    );
    expect(code(() => evaluateCoco({ groundTruths: [gt], detections: [{ ...dt, bbox: [0, 0, -3, 1] }] }))).toBe(
      'ARGUMENT_INVALID',
    );
    expect(code(() => evaluateCoco({ groundTruths: [gt], detections: [{ ...dt, score: Number.NaN }] }))).toBe(
      'ARGUMENT_INVALID',
    );
    expect(code(() => evaluateCoco({ groundTruths: [gt], detections: [dt], imageIds: [5] }))).toBe('DATA_MISMATCH');
    expect(code(() => evaluateCoco({ groundTruths: [gt], detections: [dt], maxDets: [10, 1, 100] }))).toBe(
      'CONFIG_INVALID',
    );
    expect(code(() => evaluateCoco({ groundTruths: [gt], detections: [dt], iouType: 'segm' }))).toBe(
      'ARGUMENT_INVALID',
    );
    expect(code(() => evaluateCoco({ groundTruths: [gt], detections: [dt] }).prCurve(1, 0.52))).toBe(
      'ARGUMENT_INVALID',
    );
  });
});

describe('evaluateCoco (segm)', () => {
  it('uses mask IoU and mask areas', () => {
    const h = 8;
    const w = 8;
    const maskOf = (x0: number, y0: number, x1: number, y1: number) => {
      const data = new Uint8Array(h * w);
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[y * w + x] = 1;
      return rleEncode(data, h, w);
    };
    // Boxes agree perfectly, masks overlap 12 of 16 + 16 − 12 = 20 pixels (IoU 0.6).
    const result = evaluateCoco({
      iouType: 'segm',
      groundTruths: [{ imageId: 1, categoryId: 1, bbox: [0, 0, 4, 4], segmentation: maskOf(0, 0, 4, 4) }],
      detections: [{ imageId: 1, categoryId: 1, bbox: [0, 0, 4, 4], segmentation: maskOf(1, 0, 5, 4), score: 1 }],
    });
    expect(result.ap50).toBeCloseTo(1, 15);
    expect(result.ap75).toBe(0);
    expect(result.ap).toBeCloseTo(0.3, 12); // hits at 0.5, 0.55, 0.6
    // VOC AP on masks too: a hit at IoU 0.6 > 0.5, none at 0.7; the same boxes with masks that barely overlap
    // (4 of 28 pixels) miss on masks while their boxes still match exactly.
    const gt = { imageId: 1, categoryId: 1, bbox: [0, 0, 4, 4] as const, segmentation: maskOf(0, 0, 4, 4) };
    const dt = { imageId: 1, categoryId: 1, bbox: [0, 0, 4, 4] as const, score: 1 };
    const shifted = [{ ...dt, segmentation: maskOf(1, 0, 5, 4) }];
    const corner = [{ ...dt, segmentation: maskOf(3, 0, 7, 4) }];
    expect(evaluateVoc({ iouType: 'segm', groundTruths: [gt], detections: shifted }).map).toBe(1);
    expect(evaluateVoc({ iouType: 'segm', iouThreshold: 0.7, groundTruths: [gt], detections: shifted }).map).toBe(0);
    expect(evaluateVoc({ iouType: 'segm', groundTruths: [gt], detections: corner }).map).toBe(0);
    expect(evaluateVoc({ groundTruths: [gt], detections: corner }).map).toBe(1);
    expect(code(() => evaluateVoc({ iouType: 'segm', groundTruths: [gt], detections: [dt] }))).toBe('ARGUMENT_INVALID');
    expect(
      code(() =>
        evaluateCoco({
          iouType: 'segm',
          groundTruths: [{ imageId: 1, categoryId: 1, bbox: [0, 0, 4, 4], segmentation: maskOf(0, 0, 4, 4) }],
          detections: [
            {
              imageId: 1,
              categoryId: 1,
              bbox: [0, 0, 4, 4],
              segmentation: rleEncode(new Uint8Array(4), 2, 2),
              score: 1,
            },
          ],
        }),
      ),
    ).toBe('DATA_MISMATCH');
    const broken = { size: [8, 8] as const, counts: [10, 4] }; // 14 of 64 pixels
    const error = (() => {
      try {
        evaluateCoco({
          iouType: 'segm',
          groundTruths: [{ imageId: 1, categoryId: 1, bbox: [0, 0, 4, 4], segmentation: broken }],
          detections: [],
        });
      } catch (e) {
        return e;
      }
    })();
    expect(isOptikError(error, 'DATA_FORMAT')).toBe(true);
    expect(String((error as Error).message)).toContain('groundTruths[0].segmentation');
  });
});

describe('cocoBoxIou and VOC AP', () => {
  it('computes box IoU like maskApi bbIou, crowds over the detection area', () => {
    const out = cocoBoxIou(
      [[0, 0, 10, 10]],
      [
        [5, 0, 10, 10],
        [0, 0, 20, 20],
        [10, 0, 5, 5],
      ],
      [false, true, false],
    );
    expect(out[0]).toBeCloseTo(1 / 3, 15);
    expect(out[1]).toBe(1);
    expect(out[2]).toBe(0); // touching
    expect(code(() => cocoBoxIou([[0, 0, 1, 1]], [[0, 0, 1, 1]], [true, false]))).toBe('ARGUMENT_INVALID');
  });

  it('interpolates all points (VOC2010+)', () => {
    expect(vocAp([0.5, 0.5, 1], [1, 0.5, 2 / 3])).toBeCloseTo(0.5 + 0.5 * (2 / 3), 15);
    expect(vocAp([], [])).toBe(0);
    expect(code(() => vocAp([0.5], []))).toBe('ARGUMENT_INVALID');
  });

  it('evaluates VOC AP50 with crowds as "difficult" and a strict > threshold', () => {
    // Class A: d4 FP, d1 TP, d2 hits the crowd (neither), d3 IoU exactly 0.5 is not > 0.5 → FP.
    // recall 0, .5, .5, .5; precision 0, .5, .5, 1/3 → AP 0.5 · 0.5 = 0.25. Class B: IoU 0.8 → AP 1.
    const { map, perCategory } = evaluateVoc({ groundTruths: handGts, detections: handDts });
    expect(perCategory.map((c) => c.ap)).toEqual([0.25, 1]);
    expect(map).toBeCloseTo(0.625, 15);
  });
});

describe('DetectionMetrics', () => {
  const toTruth = (imageId: number) => {
    const own = handGts.filter((g) => g.imageId === imageId);
    return {
      boxes: own.map((g) => [g.bbox[0], g.bbox[1], g.bbox[0] + g.bbox[2], g.bbox[1] + g.bbox[3]] as const),
      labels: own.map((g) => g.categoryId - 1),
      crowd: own.map((g) => g.iscrowd === true),
    };
  };
  const toPrediction = (imageId: number) => {
    const own = handDts.filter((d) => d.imageId === imageId);
    return {
      boxes: own.map((d) => [d.bbox[0], d.bbox[1], d.bbox[0] + d.bbox[2], d.bbox[1] + d.bbox[3]] as const),
      labels: own.map((d) => d.categoryId - 1),
      scores: own.map((d) => d.score),
    };
  };

  it('streams images into the COCO evaluation, chunked or at once', () => {
    const once = new DetectionMetrics({ numClasses: 3, classNames: ['a', 'b', 'c'] });
    once.update([toTruth(1), toTruth(2)], [toPrediction(1), toPrediction(2)]);
    const chunked = new DetectionMetrics({ numClasses: 3 });
    chunked.update([toTruth(1)], [toPrediction(1)]);
    chunked.update([toTruth(2)], [toPrediction(2)]);
    const report = once.result();
    report.stats.forEach((value, i) => {
      expect(value).toBeCloseTo(handStats[i] as number, 12);
    });
    expect(chunked.result().stats).toEqual(report.stats);
    expect(report.vocAp50).toBeCloseTo(0.625, 15);
    expect(report.numImages).toBe(2);
    expect(report.perCategory.map((c) => c.ap)[2]).toBe(-1); // class c has no ground truth
    expect(report.classNames).toEqual(['a', 'b', 'c']);
    once.reset();
    expect(once.result().stats).toEqual(new Array(12).fill(-1));
    expect(DetectionMetrics.fromConfig(chunked.toConfig()).toConfig()).toEqual(chunked.toConfig());
  });

  it('takes masks (Mask or Rle) for segm', () => {
    const data = new Uint8Array(16).fill(1);
    const metrics = new DetectionMetrics({ numClasses: 1, iouType: 'segm' });
    metrics.update(
      [{ boxes: [[0, 0, 4, 4]], labels: [0], masks: [{ width: 4, height: 4, data }] }],
      [{ boxes: [[0, 0, 4, 4]], labels: [0], scores: [0.5], masks: [rleEncode(data, 4, 4)] }],
    );
    expect(metrics.result().ap).toBeCloseTo(1, 15);
    expect(
      code(() => metrics.update([{ boxes: [[0, 0, 4, 4]], labels: [0] }], [{ boxes: [], labels: [], scores: [] }])),
    ).toBe('ARGUMENT_INVALID');
  });

  it("takes a ground truth's area from its mask also for bbox (COCO's area)", () => {
    // A 40×40 box (1600 px², medium) whose mask has 20×20 = 400 pixels (small).
    const data = new Uint8Array(64 * 64);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 20; x++) data[y * 64 + x] = 1;
    const metrics = new DetectionMetrics({ numClasses: 1 });
    metrics.update(
      [{ boxes: [[0, 0, 40, 40]], labels: [0], masks: [{ width: 64, height: 64, data }] }],
      [{ boxes: [[0, 0, 40, 40]], labels: [0], scores: [0.9] }],
    );
    const report = metrics.result();
    expect(report.apSmall).toBeCloseTo(1, 15);
    expect(report.apMedium).toBe(-1);
  });

  it('rejects bad boxes, labels and lengths', () => {
    const metrics = new DetectionMetrics({ numClasses: 2 });
    const truth = { boxes: [[0, 0, 4, 4] as const], labels: [0] };
    const pred = (over: object) => ({ boxes: [[0, 0, 4, 4] as const], labels: [0], scores: [0.5], ...over });
    expect(code(() => metrics.update([truth], [pred({ labels: [2] })]))).toBe('DATA_UNKNOWN_CLASS');
    expect(code(() => metrics.update([truth], [pred({ boxes: [[0, 0, Number.POSITIVE_INFINITY, 4]] })]))).toBe(
      'ARGUMENT_INVALID',
    );
    expect(code(() => metrics.update([truth], [pred({ boxes: [[5, 0, 4, 4]] })]))).toBe('ARGUMENT_INVALID');
    expect(code(() => metrics.update([truth], [pred({ scores: [] })]))).toBe('DATA_MISMATCH');
    expect(code(() => metrics.update([truth], []))).toBe('DATA_MISMATCH');
    expect(code(() => new DetectionMetrics({ numClasses: 2, classNames: ['a'] }))).toBe('CONFIG_INVALID');
    // Nothing of the rejected batches was kept.
    expect(metrics.result().stats).toEqual(new Array(12).fill(-1));
  });
});
