import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Classifier, type ClassifierOptions, PRESET_NAMES } from '../index.js';

// The shared harness (Keras run_layer_test): every preset, shapes, config round-trip, one training step, no leaks.
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const cases: Array<{ label: string; options: ClassifierOptions }> = PRESET_NAMES.flatMap((preset) => [
  { label: `${preset} softmax`, options: { preset, inputShape: [16, 16, 3], numClasses: 4, seed: 1 } },
  { label: `${preset} sigmoid`, options: { preset, inputShape: [16, 20, 1], numClasses: 2, head: 'sigmoid' } },
]);

describe.each(cases)('preset harness: $label', ({ options }) => {
  it('builds with the right output shape, round-trips its config, trains one step without leaking', () => {
    const before = tf.memory().numTensors;
    const classifier = new Classifier(options);
    const [h, w, c] = options.inputShape;
    const units = options.head === 'sigmoid' ? 1 : options.numClasses;
    const batch = 3;

    const config = classifier.toConfig();
    const again = Classifier.fromConfig(config);
    expect(again.toConfig()).toEqual(config);
    expect(JSON.parse(JSON.stringify(config))).toEqual(config);
    expect(again.summary()).toEqual(classifier.summary());
    // Same seed, same initial weights.
    const wa = classifier.model.getWeights().map((t) => Array.from(t.dataSync()));
    const wb = again.model.getWeights().map((t) => Array.from(t.dataSync()));
    expect(wb).toEqual(wa);
    again.dispose();

    const summary = classifier.summary();
    expect(summary.outputShape).toEqual([units]);
    expect(summary.inputShape).toEqual([h, w, c]);
    expect(summary.totalParams).toBe(classifier.model.countParams());
    expect(summary.trainableParams).toBeGreaterThan(0);
    expect(classifier.summaryText()).toContain(`Total params: ${summary.totalParams.toLocaleString('en-US')}`);

    const withModel = tf.memory().numTensors;
    const xs = tf.randomUniform([batch, h, w, c], 0, 1, 'float32', 7);
    const ys =
      units === 1
        ? tf.tensor2d([[0], [1], [1]])
        : tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 3], 'int32'), options.numClasses).toFloat());
    const out = classifier.model.predict(xs) as tf.Tensor;
    expect(out.shape).toEqual([batch, units]);
    out.dispose();

    const optimizer = tf.train.sgd(0.01);
    const weightsBefore = classifier.model.trainableWeights.map((v) => v.read().clone());
    const cost = optimizer.minimize(() => {
      const pred = classifier.model.apply(xs, { training: true }) as tf.Tensor;
      return units === 1 ? tf.losses.sigmoidCrossEntropy(ys, pred) : tf.losses.softmaxCrossEntropy(ys, pred);
    }, true);
    expect(Number.isFinite(cost?.dataSync()[0])).toBe(true);
    cost?.dispose();
    const changed = classifier.model.trainableWeights.some(
      (v, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(v.read(), weightsBefore[i] as tf.Tensor))).dataSync()[0] ?? 0) > 0,
    );
    expect(changed).toBe(true);
    tf.dispose([...weightsBefore, xs, ys]);
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(withModel);

    classifier.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
