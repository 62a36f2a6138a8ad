import type { Compose } from '@optik/augment';
import { createRng } from '@optik/core';
import { ConfusionMatrix, diagnoseFit, type FitDiagnosis } from '@optik/metrics';
import { type Batch, type Callback, EarlyStopping, type EpochLogs, type Logs, Trainer } from '@optik/train';
import { Classifier, type LayerSummary, summarizeModel } from '@optik/zoo';
import * as tf from '@tensorflow/tfjs';
import { imageClassifierOptions } from './blocks.js';
import type { DigitSet } from './data.js';

/** The settings image mode trains with (from the URL). */
export interface ImageSettings {
  readonly blocks: readonly string[];
  readonly trainImages: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly patience: number;
  readonly seed: number;
}

/** What one training run reports as it goes. */
export interface ImageProgress {
  onBatch(step: number, logs: Logs, samplesPerSecond: number): void;
  onEpoch(epoch: number, logs: EpochLogs): void;
}

/** The result of a run: history, test accuracy, confusion matrix, diagnosis and speed. */
export interface ImageResult {
  readonly history: readonly EpochLogs[];
  readonly testAccuracy: number;
  readonly confusion: number[][];
  readonly diagnosis: FitDiagnosis;
  readonly samplesPerSecond: number;
  readonly stopReason: string | undefined;
}

function toImages(images: Uint8Array, from: number, count: number): tf.Tensor4D {
  return tf.tidy(() =>
    tf.div(tf.tensor4d(images.subarray(from * 784, (from + count) * 784), [count, 28, 28, 1], 'float32'), 255),
  );
}

/**
 * A CNN from the course's blocks (@optik/zoo), trained in the page by @optik/train's Trainer with early stopping,
 * evaluated with @optik/metrics; augmentation (if any) runs on each training batch through @optik/augment.
 */
export class ImageSession {
  readonly classifier: Classifier;
  readonly settings: ImageSettings;

  constructor(settings: ImageSettings) {
    this.settings = settings;
    this.classifier = new Classifier(imageClassifierOptions(settings.blocks, settings.seed));
  }

  /** Every layer with its output shape and parameters, known before training. */
  summary(): LayerSummary[] {
    return summarizeModel(this.classifier.model).layers;
  }

  async train(data: DigitSet, progress: ImageProgress, augment?: Compose): Promise<ImageResult> {
    const { trainImages, batchSize, seed } = this.settings;
    const count = Math.min(trainImages, data.train.labels.length);
    const xs = toImages(data.train.images, 0, count);
    const ys = tf.tensor1d(data.train.labels.subarray(0, count), 'int32');
    const testCount = data.test.labels.length;
    const testXs = toImages(data.test.images, 0, testCount);
    const testYs = tf.tensor1d(data.test.labels, 'int32');
    const augmentRng = createRng(seed).fork('augment');

    const trainData = function* (epoch: number): Generator<Batch> {
      const order = createRng(seed)
        .fork(`epoch-${epoch}`)
        .shuffle(Array.from({ length: count }, (_, i) => i));
      for (let start = 0; start < count; start += batchSize) {
        const index = tf.tensor1d(order.slice(start, start + batchSize), 'int32');
        const batch = tf.tidy(() => {
          const images = tf.gather(xs, index) as tf.Tensor4D;
          return {
            xs: augment === undefined ? images : augment.augmentBatch(images, augmentRng),
            ys: tf.gather(ys, index),
          };
        });
        index.dispose();
        yield batch;
      }
    };
    const valData = function* (): Generator<Batch> {
      for (let start = 0; start < testCount; start += 250) {
        const size = Math.min(250, testCount - start);
        yield { xs: tf.slice(testXs, start, size), ys: tf.slice(testYs, start, size) };
      }
    };

    let seen = 0;
    let started = 0;
    let samplesPerSecond = 0;
    const live: Callback = {
      name: 'playground',
      onTrainBegin: () => {
        started = performance.now();
      },
      onBatchEnd: async (_batch, logs, ctx) => {
        seen += Math.min(batchSize, count);
        samplesPerSecond = seen / ((performance.now() - started) / 1000);
        progress.onBatch(ctx.globalStep, logs, samplesPerSecond);
        // Give the page a frame to draw the curve between batches.
        await new Promise((resolve) => requestAnimationFrame(resolve));
      },
      onEpochEnd: (epoch, logs) => progress.onEpoch(epoch, logs as EpochLogs),
    };
    const trainer = new Trainer({
      epochs: this.settings.epochs,
      optimizer: { type: 'adam', learningRate: this.settings.learningRate },
      loss: 'sparseCategoricalCrossentropy',
      seed,
    });
    try {
      const result = await trainer.fit({
        model: this.classifier.model,
        trainData,
        valData,
        callbacks: [
          live,
          new EarlyStopping({ monitor: 'val_loss', patience: this.settings.patience, restoreBestWeights: true }),
        ],
      });
      const confusion = new ConfusionMatrix({ numClasses: 10 });
      const accuracy = tf.tidy(() => {
        const probs = this.classifier.model.predict(testXs) as tf.Tensor2D;
        confusion.update(testYs, probs);
        return tf.mean(tf.cast(tf.equal(tf.argMax(probs, -1), testYs), 'float32'));
      });
      const testAccuracy = accuracy.dataSync()[0] ?? 0;
      accuracy.dispose();
      return {
        history: result.history,
        testAccuracy,
        confusion: confusion.result(),
        diagnosis: diagnoseFit(result.history, { chanceLoss: Math.log(10) }),
        samplesPerSecond,
        stopReason: result.stopReason,
      };
    } finally {
      tf.dispose([xs, ys, testXs, testYs]);
    }
  }

  /** The first convolution's learned kernels, one `k×k` map per filter (input channel 0). */
  filters(): { size: number; maps: Float32Array[] } | undefined {
    const conv = this.classifier.model.layers.find((l) => l.getClassName() === 'Conv2D');
    const kernel = conv?.getWeights()[0];
    if (kernel === undefined) return undefined;
    const [k, , , filters] = kernel.shape as [number, number, number, number];
    const data = kernel.dataSync();
    const maps = Array.from({ length: filters }, (_, f) => {
      const map = new Float32Array(k * k);
      for (let i = 0; i < k * k; i++) map[i] = data[i * filters + f] as number;
      return map;
    });
    return { size: k, maps };
  }

  /** The first convolution's feature maps of one test image (the model as it is now). */
  featureMaps(data: DigitSet, index: number): { size: number; maps: Float32Array[] } | undefined {
    const model = this.classifier.model;
    const conv = model.layers.find((l) => l.getClassName() === 'Conv2D');
    if (conv === undefined) return undefined;
    const probe = tf.model({ inputs: model.inputs, outputs: conv.output as tf.SymbolicTensor });
    const out = tf.tidy(() => probe.predict(toImages(data.test.images, index, 1)) as tf.Tensor4D);
    const [, h, w, c] = out.shape;
    const values = out.dataSync();
    out.dispose();
    const maps = Array.from({ length: c }, (_, f) => {
      const map = new Float32Array(h * w);
      for (let i = 0; i < h * w; i++) map[i] = values[i * c + f] as number;
      return map;
    });
    return { size: h, maps };
  }

  dispose(): void {
    this.classifier.model.dispose();
  }
}
