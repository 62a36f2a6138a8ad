import { OptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { fusedAdam } from './internal/fused-optimizers.js';

/** Options of {@link benchmarkReferenceCnn}. */
export interface ReferenceBenchOptions {
  /** Training batch size. Default 64. */
  readonly batchSize?: number;
  /** Untimed steps first (kernel set-up, JIT). Default 3. */
  readonly warmupSteps?: number;
  /** Timed training steps. Default 20. */
  readonly steps?: number;
  /** Timed inference batches (of `batchSize * 4`). Default 10. */
  readonly inferBatches?: number;
  /** Seed of the weights and the random data. Default 0. */
  readonly seed?: number;
}

/** What {@link benchmarkReferenceCnn} measured. */
export interface ReferenceBenchResult {
  readonly backend: string;
  readonly model: 'reference-cnn';
  readonly batchSize: number;
  readonly steps: number;
  readonly trainSamplesPerSec: number;
  readonly inferSamplesPerSec: number;
  readonly tensorsBefore: number;
  readonly tensorsAfter: number;
  readonly tensorsLeaked: number;
  /** Mean training loss over the timed steps (a sanity check that it trained). */
  readonly meanLoss: number;
}

/**
 * Builds the course's reference CNN — conv2d(32, 3×3, relu) → maxPool 2 → conv2d(64, 3×3, relu) → maxPool 2 →
 * flatten → dropout 0.25 → dense(128, relu) → dense(10, softmax), input 28×28×1 — compiled with Adam 1e-3
 * ({@link fusedAdam}: tfjs's Adam, one fused kernel per variable) and categorical cross-entropy. The model
 * `optik bench` measures; the same net as the zoo's `seed-cnn` preset.
 *
 * @example
 * ```ts
 * const model = buildReferenceCnn(0);
 * model.summary();
 * ```
 */
export function buildReferenceCnn(seed = 0): tf.LayersModel {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 16 + k });
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 32,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dropout({ rate: 0.25, seed }),
      tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init(3) }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(4) }),
    ],
  });
  model.compile({ optimizer: fusedAdam(1e-3), loss: 'categoricalCrossentropy' });
  return model;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new OptikError('ARGUMENT_INVALID', `${name} must be a positive integer.`, { received: value });
  }
  return value;
}

/**
 * Trains and runs the reference CNN ({@link buildReferenceCnn}) on random data on the current backend and
 * reports samples per second for training and inference, and the tensor count before and after (they must be
 * equal). Call {@link initBackend} first.
 *
 * @example
 * ```ts
 * await initBackend();
 * const result = await benchmarkReferenceCnn({ steps: 30 });
 * console.log(result.trainSamplesPerSec);
 * ```
 */
export async function benchmarkReferenceCnn(options: ReferenceBenchOptions = {}): Promise<ReferenceBenchResult> {
  const batchSize = positiveInt('batchSize', options.batchSize ?? 64);
  const warmupSteps = Math.max(0, Math.trunc(options.warmupSteps ?? 3));
  const steps = positiveInt('steps', options.steps ?? 20);
  const inferBatches = positiveInt('inferBatches', options.inferBatches ?? 10);
  const seed = options.seed ?? 0;

  const tensorsBefore = tf.memory().numTensors;
  const model = buildReferenceCnn(seed);
  const xs = tf.randomUniform([batchSize, 28, 28, 1], 0, 1, 'float32', seed);
  const ys = tf.tidy(() => tf.oneHot(tf.randomUniform([batchSize], 0, 10, 'int32', seed + 1), 10).toFloat());
  const inferXs = tf.randomUniform([batchSize * 4, 28, 28, 1], 0, 1, 'float32', seed + 2);

  let measured: { trainSeconds: number; inferSeconds: number; meanLoss: number };
  try {
    for (let i = 0; i < warmupSteps; i++) await model.trainOnBatch(xs, ys);
    let lossSum = 0;
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) lossSum += (await model.trainOnBatch(xs, ys)) as number;
    const trainSeconds = (performance.now() - t0) / 1000;

    const predictOnce = async () => {
      const out = model.predict(inferXs) as tf.Tensor;
      await out.data();
      out.dispose();
    };
    await predictOnce();
    const t1 = performance.now();
    for (let i = 0; i < inferBatches; i++) await predictOnce();
    measured = { trainSeconds, inferSeconds: (performance.now() - t1) / 1000, meanLoss: lossSum / steps };
  } finally {
    xs.dispose();
    ys.dispose();
    inferXs.dispose();
    model.optimizer.dispose();
    model.dispose();
  }
  const tensorsAfter = tf.memory().numTensors;
  return {
    backend: tf.getBackend(),
    model: 'reference-cnn',
    batchSize,
    steps,
    trainSamplesPerSec: (steps * batchSize) / measured.trainSeconds,
    inferSamplesPerSec: (inferBatches * batchSize * 4) / measured.inferSeconds,
    tensorsBefore,
    tensorsAfter,
    tensorsLeaked: tensorsAfter - tensorsBefore,
    meanLoss: measured.meanLoss,
  };
}
