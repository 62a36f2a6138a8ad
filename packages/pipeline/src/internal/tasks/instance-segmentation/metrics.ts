import type { DetectionGrid, Mask } from '@optik/core';
import { DetectionMetrics, type DetectionReport, type DetectionTruth } from '@optik/metrics';
import type { StreamingMetric, Tensors } from '@optik/train';
import { type DecodeInstancesOptions, decodeInstances } from '@optik/zoo';
import type * as tf from '@tensorflow/tfjs';
import { truthsOf } from '../detection/metrics.js';

/**
 * Each image's true boxes and masks from the encoder's ground-truth rows `[B, maxBoxes, 6]` and true masks
 * `[B, maxBoxes, H, W]` (padding rows, label −1, are left out).
 */
export function instanceTruthsOf(rows: ArrayLike<number>, masks: ArrayLike<number>, shape: readonly number[]) {
  const [batch, maxBoxes, height, width] = shape as [number, number, number, number];
  const pixels = height * width;
  return truthsOf(rows, batch, maxBoxes).map((truth, i): DetectionTruth & { masks: Mask[] } => {
    const kept: Mask[] = [];
    for (let k = 0; k < maxBoxes && kept.length < truth.boxes.length; k++) {
      if ((rows[(i * maxBoxes + k) * 6 + 4] as number) < 0) continue;
      const data = new Uint8Array(pixels);
      const at = (i * maxBoxes + k) * pixels;
      for (let p = 0; p < pixels; p++) data[p] = masks[at + p] as number;
      kept.push({ width, height, data });
    }
    return { ...truth, masks: kept };
  });
}

/**
 * COCO mask AP and box AP of an instance segmenter on the validation batches, as four validation metrics sharing
 * one decoding and one evaluation per epoch: `mask_map50`, `mask_map` (`iouType: 'segm'`, mask IoU on RLE) and
 * `map50`, `map` (boxes), logged with the `val_` prefix. Each batch's three outputs are decoded on the host
 * (`decodeInstances`) and matched with the batch's ground-truth rows and masks (targets 2 and 6 of
 * `encodeInstanceTargets`).
 */
export function instanceMapMetrics(
  grid: DetectionGrid,
  numClasses: number,
  decode: DecodeInstancesOptions,
): StreamingMetric[] {
  const masks = new DetectionMetrics({ numClasses, iouType: 'segm' });
  const boxes = new DetectionMetrics({ numClasses });
  let reports: { segm: DetectionReport; bbox: DetectionReport } | undefined;
  const evaluated = () => {
    reports ??= { segm: masks.result(), bbox: boxes.result() };
    return reports;
  };
  const score = (value: number) => Math.max(0, value);
  const follower = (name: string, read: () => number): StreamingMetric => ({
    name,
    reset() {},
    update() {},
    result: () => score(read()),
  });
  return [
    {
      name: 'mask_map50',
      reset() {
        masks.reset();
        boxes.reset();
        reports = undefined;
      },
      async update(yTrue: Tensors, yPred: Tensors) {
        const targets = yTrue as readonly tf.Tensor[];
        const truth = targets[1] as tf.Tensor;
        const trueMasks = targets[5] as tf.Tensor;
        const outputs = await Promise.all(
          (yPred as readonly tf.Tensor[]).map(async (t) => ({ data: await t.data(), shape: t.shape })),
        );
        const found = decodeInstances(outputs as { data: Float32Array; shape: number[] }[], grid, decode);
        const truths = instanceTruthsOf(await truth.data(), await trueMasks.data(), trueMasks.shape);
        masks.update(truths, found);
        boxes.update(truths, found);
        reports = undefined;
      },
      result: () => score(evaluated().segm.ap50),
    },
    follower('mask_map', () => evaluated().segm.ap),
    follower('map50', () => evaluated().bbox.ap50),
    follower('map', () => evaluated().bbox.ap),
  ];
}
