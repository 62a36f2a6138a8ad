import { computeLoss, Optimizer, perSampleLoss } from '@optik/train';
import { Classifier, type ClassifierOptions } from '@optik/zoo';
import * as tf from '@tensorflow/tfjs';
import { type FeatureName, featureVector, type Point, RADIUS } from './data.js';

/** Everything that shapes a 2-D network and its training (the playground's left column). */
export interface TwoDSettings {
  readonly features: readonly FeatureName[];
  /** Neurons per hidden layer; empty = one neuron on the inputs (the perceptron). */
  readonly hidden: readonly number[];
  readonly activation: 'relu' | 'tanh' | 'sigmoid' | 'linear';
  readonly learningRate: number;
  readonly batchSize: number;
  readonly l1: number;
  readonly l2: number;
  readonly dropout: number;
  readonly seed: number;
}

/** The zoo config of a 2-D network: the features as a 1×1×F "image", flattened, dense layers, a sigmoid head. */
export function twoDClassifierOptions(s: TwoDSettings): ClassifierOptions {
  const layers: NonNullable<ClassifierOptions['layers']> = [{ type: 'flatten' }];
  for (const units of s.hidden) {
    layers.push({ type: 'dense', units, activation: s.activation });
    if (s.dropout > 0) layers.push({ type: 'dropout', rate: s.dropout });
  }
  return {
    name: 'playground',
    inputShape: [1, 1, s.features.length],
    layers,
    numClasses: 2,
    head: 'sigmoid',
    seed: s.seed,
  };
}

function toTensors(points: readonly Point[], features: readonly FeatureName[]): { x: tf.Tensor4D; y: tf.Tensor2D } {
  return tf.tidy(() => ({
    x: tf.tensor4d(
      points.flatMap((p) => featureVector(p.x, p.y, features)),
      [points.length, 1, 1, features.length],
    ),
    y: tf.tensor2d(
      points.map((p) => p.label),
      [points.length, 1],
    ),
  }));
}

/**
 * A 2-D classifier built by @optik/zoo and trained step by step with @optik/train's loss and optimizer; one step
 * is one mini-batch (drawn in order through a shuffled epoch, as the TensorFlow Playground does).
 */
export class TwoDNetwork {
  readonly classifier: Classifier;
  readonly settings: TwoDSettings;
  readonly #optimizer: Optimizer;
  readonly #train: { x: tf.Tensor4D; y: tf.Tensor2D };
  readonly #test: { x: tf.Tensor4D; y: tf.Tensor2D };
  readonly #all: { x: tf.Tensor4D; y: tf.Tensor2D };
  readonly #grid: tf.Tensor4D;
  readonly #probe: tf.LayersModel;
  readonly #trainCount: number;
  #order: number[] = [];
  #cursor = 0;
  #epoch = 0;
  step = 0;

  /** Points per side of the decision-boundary grid. */
  static readonly GRID = 40;

  constructor(settings: TwoDSettings, data: { train: readonly Point[]; test: readonly Point[] }) {
    this.settings = settings;
    this.classifier = new Classifier(twoDClassifierOptions(settings));
    this.#optimizer = new Optimizer({ type: 'adam', learningRate: settings.learningRate });
    this.#train = toTensors(data.train, settings.features);
    this.#test = toTensors(data.test, settings.features);
    this.#trainCount = data.train.length;
    // Train and test points in one tensor: the losses of both come from one forward pass.
    this.#all = tf.tidy(() => ({
      x: tf.concat([this.#train.x, this.#test.x]) as tf.Tensor4D,
      y: tf.concat([this.#train.y, this.#test.y]) as tf.Tensor2D,
    }));
    const n = TwoDNetwork.GRID;
    const grid: number[] = [];
    for (let row = 0; row < n; row++) {
      for (let col = 0; col < n; col++) {
        const x = -RADIUS + ((col + 0.5) / n) * 2 * RADIUS;
        const y = RADIUS - ((row + 0.5) / n) * 2 * RADIUS;
        grid.push(...featureVector(x, y, settings.features));
      }
    }
    this.#grid = tf.tensor4d(grid, [n * n, 1, 1, settings.features.length]);
    const model = this.classifier.model;
    const neurons = model.layers.filter((l) => l.getClassName() === 'Dense');
    this.#probe = tf.model({ inputs: model.inputs, outputs: neurons.map((l) => l.output as tf.SymbolicTensor) });
  }

  /** The dense layers' kernels: what L1/L2 penalise (biases are not regularised, as in Keras). */
  #kernels(): tf.Variable[] {
    return this.classifier.model.trainableWeights
      .filter((w) => w.name.endsWith('kernel'))
      .map((w) => (w as unknown as { val: tf.Variable }).val);
  }

  #nextBatch(): tf.Tensor1D {
    const size = Math.min(this.settings.batchSize, this.#trainCount);
    if (this.#cursor + size > this.#order.length) {
      // A new epoch: a fresh order from a seeded generator, so a run replays exactly from its URL.
      let s = (this.settings.seed * 7919 + this.#epoch * 104729) >>> 0;
      const order = Array.from({ length: this.#trainCount }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        const j = s % (i + 1);
        [order[i], order[j]] = [order[j] as number, order[i] as number];
      }
      this.#order = order;
      this.#cursor = 0;
      this.#epoch++;
    }
    const batch = this.#order.slice(this.#cursor, this.#cursor + size);
    this.#cursor += size;
    return tf.tensor1d(batch, 'int32');
  }

  /** Regularisation penalty: l1·Σ|w| + l2·Σw² over the kernels. */
  #penalty(): tf.Scalar {
    const { l1, l2 } = this.settings;
    let total: tf.Scalar = tf.scalar(0);
    if (l1 === 0 && l2 === 0) return total;
    for (const k of this.#kernels()) {
      if (l1 > 0) total = tf.add(total, tf.mul(l1, tf.sum(tf.abs(k))));
      if (l2 > 0) total = tf.add(total, tf.mul(l2, tf.sum(tf.square(k))));
    }
    return total;
  }

  /** Runs `count` training steps (mini-batches). */
  trainSteps(count: number): void {
    const model = this.classifier.model;
    const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    for (let i = 0; i < count; i++) {
      tf.tidy(() => {
        const index = this.#nextBatch();
        const x = tf.gather(this.#train.x, index);
        const y = tf.gather(this.#train.y, index);
        const { grads } = tf.variableGrads(() => {
          const pred = model.apply(x, { training: true }) as tf.Tensor;
          return tf.add(computeLoss('binaryCrossentropy', y, pred), this.#penalty()) as tf.Scalar;
        }, vars);
        this.#optimizer.applyGradients(grads);
      });
      this.step++;
    }
  }

  /** Mean binary cross-entropy on the training and the test points (no dropout, no penalty). */
  losses(): { train: number; test: number } {
    const n = this.#trainCount;
    const total = this.#all.y.shape[0];
    const sums = tf.tidy(() => {
      // `apply`, not `predict`: the same inference pass without predict's per-call overhead (several times slower
      // on tensors this small).
      const output = this.classifier.model.apply(this.#all.x) as tf.Tensor;
      const perSample = perSampleLoss('binaryCrossentropy', this.#all.y, output);
      const [train, test] = tf.split(perSample, [n, total - n]);
      return tf.stack([tf.sum(train as tf.Tensor), tf.sum(test as tf.Tensor)]);
    });
    const [train = Number.NaN, test = Number.NaN] = sums.dataSync();
    sums.dispose();
    return { train: train / n, test: total > n ? test / (total - n) : Number.NaN };
  }

  /**
   * Every dense unit's output over the grid (row-major, GRID×GRID): one array per hidden neuron, then the output
   * neuron last (the decision boundary).
   */
  neuronMaps(): Float32Array[] {
    const outs = tf.tidy(() => {
      const raw = this.#probe.apply(this.#grid);
      return (Array.isArray(raw) ? raw : [raw]) as tf.Tensor2D[];
    });
    const maps: Float32Array[] = [];
    for (const out of outs) {
      const [rows, units] = out.shape;
      const data = out.dataSync();
      for (let u = 0; u < units; u++) {
        const map = new Float32Array(rows);
        for (let r = 0; r < rows; r++) map[r] = data[r * units + u] as number;
        maps.push(map);
      }
    }
    tf.dispose(outs);
    return maps;
  }

  /** The weights of the output neuron and its bias (what the perceptron view writes out). */
  outputNeuron(): { weights: number[]; bias: number } {
    const head = this.classifier.model.getLayer('head');
    const [kernel, bias] = head.getWeights();
    return { weights: Array.from(kernel?.dataSync() ?? []), bias: bias?.dataSync()[0] ?? 0 };
  }

  dispose(): void {
    tf.dispose([this.#train.x, this.#train.y, this.#test.x, this.#test.y, this.#all.x, this.#all.y, this.#grid]);
    this.#optimizer.dispose();
    this.classifier.model.dispose();
  }
}
