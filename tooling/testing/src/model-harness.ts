import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

/** What the model harness needs of a model: the tfjs model, its config round trip and `dispose` (every zoo model). */
export interface HarnessModel {
  readonly model: tf.LayersModel;
  toConfig(): unknown;
  dispose(): void;
}

/** One model the harness checks: how to build it, rebuild it from its config, and what it must output. */
export interface ModelHarnessCase<M extends HarnessModel = HarnessModel> {
  /** The test name, e.g. `Classifier resnet-small softmax`. */
  readonly label: string;
  /** `[height, width, channels]` the case builds for. Must not be square, so a transposed H/W shows up. */
  readonly inputShape: readonly [number, number, number];
  /** Each output's shape without the batch axis, in the model's output order (`[[4]]`, `[[3], [4]]`). */
  readonly outputShapes: readonly (readonly number[])[];
  /** Builds the model with a fixed seed (the same weights each call). */
  build(): M;
  /** Rebuilds the model from `build().toConfig()` (e.g. `Classifier.fromConfig`). */
  rebuild(config: ReturnType<M['toConfig']>): M;
  /**
   * The training loss of the outputs (`training: true`, in output order) against seeded targets drawn uniformly
   * from [0, 1) in each output's shape; default: the mean squared error, summed over the outputs. A case whose
   * outputs are probabilities should use the loss its task trains with (cross-entropy, box losses).
   */
  loss?(outputs: readonly tf.Tensor[], targets: readonly tf.Tensor[]): tf.Scalar;
  /** The backend the case runs on (default `cpu`), made current by {@link ModelHarnessOptions.setBackend}. */
  readonly backend?: string | undefined;
}

/** Options of {@link describeModelHarness}. */
export interface ModelHarnessOptions {
  /** The batch of every check (default 2; at least 2, so batch statistics and per-sample reductions are exercised). */
  readonly batchSize?: number | undefined;
  /** Seed of the inputs and targets (default 1). */
  readonly seed?: number | undefined;
  /**
   * Makes a case's backend current before its checks; default `tf.setBackend(name)`. Pass Optik's `initBackend`
   * for `wasm`, so the checks run on Optik's own training kernels.
   */
  readonly setBackend?: ((name: string) => Promise<unknown>) | undefined;
}

interface Resolved {
  readonly batchSize: number;
  readonly seed: number;
}

function resolveOptions(options: ModelHarnessOptions): Resolved {
  const batchSize = options.batchSize ?? 2;
  if (!Number.isInteger(batchSize) || batchSize < 2) {
    throw new Error(`model harness: batchSize must be an integer ≥ 2 (received ${batchSize})`);
  }
  return { batchSize, seed: options.seed ?? 1 };
}

function checkCase(c: ModelHarnessCase): void {
  const [height, width] = c.inputShape;
  if (height === width) {
    throw new Error(
      `model harness: ${c.label} has a square input (${c.inputShape.join('×')}); use height ≠ width so a swapped H/W fails`,
    );
  }
  if (c.outputShapes.length === 0) throw new Error(`model harness: ${c.label} declares no output shapes`);
}

function asList(value: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(value) ? value : [value];
}

/** Seeded inputs `[batch, h, w, c]` in [0, 1). */
function inputs(c: ModelHarnessCase, o: Resolved): tf.Tensor4D {
  return tf.randomUniform([o.batchSize, ...c.inputShape], 0, 1, 'float32', o.seed) as tf.Tensor4D;
}

/** Runs `check` on a freshly built model and asserts that building, checking and disposing leaves no tensor. */
function withModel(c: ModelHarnessCase, check: (model: HarnessModel) => void): void {
  const before = tf.memory().numTensors;
  const built = c.build();
  try {
    check(built);
  } finally {
    built.dispose();
  }
  expect(tf.memory().numTensors, `${c.label}: tensors left after dispose`).toBe(before);
}

/** The outputs at batch `o.batchSize` on the case's (non-square) input have the declared shapes and are finite. */
export function checkOutputShapes(c: ModelHarnessCase, options: ModelHarnessOptions = {}): void {
  checkCase(c);
  const o = resolveOptions(options);
  withModel(c, (built) => {
    const shapes = tf.tidy(() => {
      const outputs = asList(built.model.predict(inputs(c, o)) as tf.Tensor | tf.Tensor[]);
      return outputs.map((t) => ({ shape: t.shape, finite: tf.all(tf.isFinite(t)).dataSync()[0] === 1 }));
    });
    expect(
      shapes.map((s) => s.shape),
      `${c.label}: output shapes`,
    ).toEqual(c.outputShapes.map((s) => [o.batchSize, ...s]));
    shapes.forEach((s, i) => {
      expect(s.finite, `${c.label}: output ${i} has NaN or Infinity`).toBe(true);
    });
  });
}

/**
 * `rebuild(toConfig())` gives the same config (also through JSON, as a run stores it), the same weights — names
 * (saved weights load by name, so layers must be named, not numbered by tfjs), shapes and values (same seed) — and
 * the same predictions.
 */
export function checkConfigRoundTrip(c: ModelHarnessCase, options: ModelHarnessOptions = {}): void {
  checkCase(c);
  const o = resolveOptions(options);
  withModel(c, (built) => {
    const config = built.toConfig();
    expect(JSON.parse(JSON.stringify(config)), `${c.label}: config survives JSON`).toEqual(config);
    const again = c.rebuild(config);
    try {
      expect(again.toConfig(), `${c.label}: rebuilt config`).toEqual(config);
      const names = (m: tf.LayersModel) => m.weights.map((w) => `${w.originalName} ${w.shape.join('×')}`);
      expect(names(again.model), `${c.label}: rebuilt weights`).toEqual(names(built.model));
      const values = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
      expect(values(again.model), `${c.label}: rebuilt weight values (same seed)`).toEqual(values(built.model));
      const [a, b] = tf.tidy(() => {
        const xs = inputs(c, o);
        const flat = (m: tf.LayersModel) =>
          asList(m.predict(xs) as tf.Tensor | tf.Tensor[]).map((t) => Array.from(t.dataSync()));
        return [flat(built.model), flat(again.model)];
      });
      expect(b, `${c.label}: rebuilt predictions`).toEqual(a);
    } finally {
      again.dispose();
    }
  });
}

function meanSquaredError(outputs: readonly tf.Tensor[], targets: readonly tf.Tensor[]): tf.Scalar {
  return tf.addN(outputs.map((out, i) => tf.losses.meanSquaredError(targets[i] as tf.Tensor, out))) as tf.Scalar;
}

/**
 * One training step: `tf.variableGrads` of the loss over every trainable weight gives a finite, non-zero gradient
 * for each (a weight that gets none is cut off from the loss), and applying them with SGD changes every weight.
 */
export function checkTrainingStep(c: ModelHarnessCase, options: ModelHarnessOptions = {}): void {
  checkCase(c);
  const o = resolveOptions(options);
  withModel(c, (built) => {
    const trainable = built.model.trainableWeights;
    expect(trainable.length, `${c.label}: trainable weights`).toBeGreaterThan(0);
    const variables = trainable.map((w) => w.read() as tf.Variable);
    const xs = inputs(c, o);
    const targets = c.outputShapes.map((shape, i) =>
      tf.randomUniform([o.batchSize, ...shape], 0, 1, 'float32', o.seed + 1 + i),
    );
    const loss = c.loss?.bind(c) ?? meanSquaredError;
    const before = variables.map((v) => v.clone());
    const optimizer = tf.train.sgd(0.1);
    try {
      const { value, grads } = tf.variableGrads(() => {
        const outputs = asList(built.model.apply(xs, { training: true }) as tf.Tensor | tf.Tensor[]);
        return loss(outputs, targets);
      }, variables);
      try {
        expect(Number.isFinite(value.dataSync()[0]), `${c.label}: the loss is finite`).toBe(true);
        const report = variables.map((v, i) => {
          const g = grads[v.name];
          const name = trainable[i]?.originalName ?? v.name;
          if (g === undefined) return { name, reached: false, finite: true, nonZero: false };
          return tf.tidy(() => ({
            name,
            reached: true,
            finite: tf.all(tf.isFinite(g)).dataSync()[0] === 1,
            nonZero: (tf.max(tf.abs(g)).dataSync()[0] ?? 0) > 0,
          }));
        });
        const names = (keep: (r: (typeof report)[number]) => boolean) => report.filter(keep).map((r) => r.name);
        expect(
          names((r) => !r.reached),
          `${c.label}: weights the loss does not reach (no gradient)`,
        ).toEqual([]);
        expect(
          names((r) => !r.finite),
          `${c.label}: weights with a NaN or infinite gradient`,
        ).toEqual([]);
        expect(
          names((r) => !r.nonZero),
          `${c.label}: weights whose gradient is zero`,
        ).toEqual([]);
        optimizer.applyGradients(grads);
      } finally {
        tf.dispose([value, ...Object.values(grads)]);
      }
      const unchanged = variables
        .filter((v, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(v, before[i] as tf.Tensor))).dataSync()[0] ?? 0) === 0)
        .map((v) => v.name);
      expect(unchanged, `${c.label}: weights the step did not change`).toEqual([]);
    } finally {
      optimizer.dispose();
      tf.dispose([xs, ...targets, ...before]);
    }
  });
}

/**
 * Registers the model harness (Keras `run_layer_test`) for each case, one `describe` per case: output shapes at
 * batch ≥ 2 on a non-square input, the config round trip (same config, weights and predictions), one training step
 * with finite non-zero gradients for every trainable weight, and no tensor left after `dispose` in any of them.
 *
 * @example
 * ```ts
 * describeModelHarness(
 *   [
 *     {
 *       label: 'Classifier seed-cnn',
 *       inputShape: [16, 20, 1],
 *       outputShapes: [[3]],
 *       build: () => new Classifier({ preset: 'seed-cnn', inputShape: [16, 20, 1], numClasses: 3 }),
 *       rebuild: (config) => Classifier.fromConfig(config),
 *     },
 *   ],
 *   { setBackend: (name) => initBackend({ prefer: name, log: false }) },
 * );
 * ```
 */
export function describeModelHarness(cases: readonly ModelHarnessCase[], options: ModelHarnessOptions = {}): void {
  resolveOptions(options);
  const setBackend = options.setBackend ?? ((name: string) => tf.setBackend(name));
  const labels = cases.map((c) => `${c.label} (${c.backend ?? 'cpu'})`);
  const twice = labels.filter((l, i) => labels.indexOf(l) !== i);
  if (twice.length > 0) throw new Error(`model harness: duplicate case labels ${twice.join(', ')}`);
  for (const c of cases) {
    checkCase(c);
    const backend = c.backend ?? 'cpu';
    describe(`model harness: ${c.label} (${backend})`, () => {
      beforeAll(async () => {
        await setBackend(backend);
        expect(tf.getBackend()).toBe(backend);
      });
      it('gives the declared output shapes on a non-square input', () => checkOutputShapes(c, options));
      it('rebuilds from its config with the same config, weights and predictions', () =>
        checkConfigRoundTrip(c, options));
      it('trains one step: a finite, non-zero gradient for every trainable weight', () =>
        checkTrainingStep(c, options));
    });
  }
}
