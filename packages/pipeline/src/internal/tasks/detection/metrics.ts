import type { BoxXyxy } from '@optik/core';
import { OptikError } from '@optik/core';
import type { DetectionGrid } from '@optik/data';
import { DetectionMetrics, type DetectionReport, type DetectionTruth } from '@optik/metrics';
import type { StreamingMetric, Tensors } from '@optik/train';
import { type DecodeDetectionsOptions, decodeDetections } from '@optik/zoo';
import type * as tf from '@tensorflow/tfjs';

/**
 * Each image's true boxes and crowd flags from the padded ground-truth rows `[B, maxBoxes, 6]`
 * (`x0, y0, x1, y1, label, crowd`; label −1 marks padding).
 */
export function truthsOf(rows: ArrayLike<number>, batch: number, maxBoxes: number): DetectionTruth[] {
  const columns = 6;
  return Array.from({ length: batch }, (_, i) => {
    const boxes: BoxXyxy[] = [];
    const labels: number[] = [];
    const crowd: boolean[] = [];
    for (let k = 0; k < maxBoxes; k++) {
      const at = (i * maxBoxes + k) * columns;
      const label = rows[at + 4] as number;
      if (label < 0) continue;
      boxes.push([rows[at] as number, rows[at + 1] as number, rows[at + 2] as number, rows[at + 3] as number]);
      labels.push(label);
      crowd.push(rows[at + 5] === 1);
    }
    return { boxes, labels, crowd };
  });
}

/**
 * COCO mAP of a detector on the validation batches, as two validation metrics sharing one evaluation: `map50`
 * (AP at IoU 0.5) and `map` (AP at IoU 0.5:0.95), logged as `val_map50` and `val_map`. Each batch's output is
 * decoded on the host (score threshold, class-aware NMS) and matched with the batch's ground-truth tensor (the
 * second target of `encodeDetectionTargets`); `@optik/metrics`' DetectionMetrics does the COCO evaluation once per
 * epoch. Only for validation: training batches never pay for it.
 */
export function mapMetrics(
  grid: DetectionGrid,
  numClasses: number,
  decode: DecodeDetectionsOptions,
): [StreamingMetric, StreamingMetric] {
  const evaluator = new DetectionMetrics({ numClasses });
  let report: DetectionReport | undefined;
  const evaluated = () => {
    report ??= evaluator.result();
    return report;
  };
  const score = (value: number) => Math.max(0, value);
  const map50: StreamingMetric = {
    name: 'map50',
    reset() {
      evaluator.reset();
      report = undefined;
    },
    async update(yTrue: Tensors, yPred: Tensors) {
      const truth = (yTrue as readonly tf.Tensor[])[1] as tf.Tensor;
      const output = (Array.isArray(yPred) ? yPred[0] : yPred) as tf.Tensor;
      const [batch, maxBoxes, columns] = truth.shape as [number, number, number];
      if (columns !== 6) {
        throw new OptikError('DATA_MISMATCH', `The ground-truth rows have ${columns} columns, expected 6.`, {
          received: truth.shape,
          hint: "Encode targets with @optik/data's encodeDetectionTargets (rows x0, y0, x1, y1, label, crowd).",
        });
      }
      const detections = decodeDetections({ data: await output.data(), shape: output.shape }, grid, decode);
      evaluator.update(truthsOf(await truth.data(), batch, maxBoxes), detections);
      report = undefined;
    },
    result: () => score(evaluated().ap50),
  };
  const map: StreamingMetric = {
    name: 'map',
    reset() {},
    update() {},
    result: () => score(evaluated().ap),
  };
  return [map50, map];
}
