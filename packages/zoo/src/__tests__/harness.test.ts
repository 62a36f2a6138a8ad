import { initBackend } from '@optik/backend';
import { describeModelHarness, type ModelHarnessCase } from '@optik/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Classifier, Localizer, PRESET_NAMES } from '../index.js';

// The model harness (Keras run_layer_test) over every preset × model: output shapes at batch 2 on a non-square
// input, config round trip (same config, weights, predictions), one training step with a finite, non-zero gradient
// for every trainable weight, no tensor left after dispose. A new preset or head is covered the day it is added.

type Preset = (typeof PRESET_NAMES)[number];

/** Cross-entropy of probabilities against soft targets (the seeded targets, normalised per row). */
function crossEntropy(targets: tf.Tensor, probabilities: tf.Tensor): tf.Scalar {
  const t = tf.div(targets, tf.sum(targets, -1, true));
  return tf.mean(tf.neg(tf.sum(tf.mul(t, tf.log(tf.add(probabilities, 1e-7))), -1)));
}

function softmaxCase(preset: Preset, backend?: string): ModelHarnessCase<Classifier> {
  const inputShape = [16, 20, 3] as const;
  return {
    label: `Classifier ${preset} softmax`,
    inputShape,
    outputShapes: [[4]],
    backend,
    build: () => new Classifier({ preset, inputShape: [...inputShape], numClasses: 4, seed: 1 }),
    rebuild: (config) => Classifier.fromConfig(config),
    loss: ([probabilities], [targets]) => crossEntropy(targets as tf.Tensor, probabilities as tf.Tensor),
  };
}

function sigmoidCase(preset: Preset, backend?: string): ModelHarnessCase<Classifier> {
  // Taller than wide (the softmax case is wider than tall), one channel.
  const inputShape = [20, 16, 1] as const;
  return {
    label: `Classifier ${preset} sigmoid`,
    inputShape,
    outputShapes: [[1]],
    backend,
    build: () => new Classifier({ preset, inputShape: [...inputShape], numClasses: 2, head: 'sigmoid', seed: 2 }),
    rebuild: (config) => Classifier.fromConfig(config),
    loss: ([probability], [target]) => tf.losses.logLoss(target as tf.Tensor, probability as tf.Tensor),
  };
}

function localizerCase(preset: Preset, backend?: string): ModelHarnessCase<Localizer> {
  // loc-cnn needs at least 16×16; a hidden box layer on every other preset covers both box heads.
  const inputShape = [16, 24, 1] as const;
  const boxHiddenUnits = PRESET_NAMES.indexOf(preset) % 2 === 0 ? 8 : 0;
  return {
    label: `Localizer ${preset} (box hidden ${boxHiddenUnits})`,
    inputShape,
    outputShapes: [[3], [4]],
    backend,
    build: () => new Localizer({ preset, inputShape: [...inputShape], numClasses: 3, boxHiddenUnits, seed: 3 }),
    rebuild: (config) => Localizer.fromConfig(config),
    // The task's loss in miniature: cross-entropy on the class, L1 on the box.
    loss: ([probabilities, box], [classTarget, boxTarget]) =>
      tf.add(
        crossEntropy(classTarget as tf.Tensor, probabilities as tf.Tensor),
        tf.mean(tf.abs(tf.sub(boxTarget as tf.Tensor, box as tf.Tensor))),
      ),
  };
}

const models = (preset: Preset, backend: string) => [
  softmaxCase(preset, backend),
  sigmoidCase(preset, backend),
  localizerCase(preset, backend),
];
// On cpu (tfjs's reference kernels), one training step of vgg-small or resnet-small takes seconds; those two run on
// wasm only.
const CPU_PRESETS: readonly Preset[] = ['seed-cnn', 'mobilenet-small', 'loc-cnn'];

describeModelHarness(
  [
    // Every preset × model on Optik's own wasm training kernels (conv/pool backprop, batch matmul).
    ...PRESET_NAMES.flatMap((preset) => models(preset, 'wasm')),
    ...CPU_PRESETS.flatMap((preset) => models(preset, 'cpu')),
  ],
  {
    batchSize: 2,
    setBackend: (name) =>
      name === 'wasm' ? initBackend({ prefer: 'wasm', threads: 1, log: false }) : tf.setBackend(name),
  },
);

describe('model summaries of every preset', () => {
  it.each(PRESET_NAMES)('%s: summary shapes, parameter counts and text agree with the tfjs model', async (preset) => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const classifier = new Classifier({ preset, inputShape: [16, 20, 3], numClasses: 4 });
    const localizer = new Localizer({ preset, inputShape: [16, 20, 3], numClasses: 4 });
    for (const model of [classifier, localizer]) {
      const summary = model.summary();
      expect(summary.inputShape).toEqual([16, 20, 3]);
      expect(summary.totalParams).toBe(model.model.countParams());
      expect(summary.trainableParams).toBeGreaterThan(0);
      expect(model.summaryText()).toContain(`Total params: ${summary.totalParams.toLocaleString('en-US')}`);
      expect(model.bodyLayers().length).toBeGreaterThan(0);
    }
    expect(classifier.summary().outputShape).toEqual([4]);
    // The localizer is the classifier's backbone plus a box head: 4 more sigmoid units on the same features.
    expect(localizer.bodyLayers()).toEqual(classifier.bodyLayers());
    expect(localizer.model.outputs.map((o) => o.shape)).toEqual([
      [null, 4],
      [null, 4],
    ]);
    classifier.dispose();
    localizer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
