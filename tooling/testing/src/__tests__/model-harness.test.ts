import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkConfigRoundTrip,
  checkOutputShapes,
  checkTrainingStep,
  describeModelHarness,
  type HarnessModel,
  type ModelHarnessCase,
} from '../index.js';

// The harness must fail on the faults it is there to catch: each broken model below breaks one check.

interface TinyConfig {
  seed: number;
  /** A second output that the loss can ignore (its weights then get no gradient). */
  twoOutputs: boolean;
  /** Build keeps a tensor it never disposes. */
  leak: boolean;
}

const leaked: tf.Tensor[] = [];

function tiny(config: TinyConfig, inputShape: readonly [number, number, number]): HarnessModel {
  const init = () => tf.initializers.glorotUniform({ seed: config.seed });
  const input = tf.input({ shape: [...inputShape] });
  // Named layers: tfjs numbers unnamed ones globally, so a rebuilt model's weights would not match by name.
  const conv = tf.layers.conv2d({ name: 'conv', filters: 2, kernelSize: 3, kernelInitializer: init() }).apply(input);
  const flat = tf.layers.flatten({ name: 'flat' }).apply(conv);
  const outputs = [
    tf.layers
      .dense({ name: 'head', units: 3, activation: 'softmax', kernelInitializer: init() })
      .apply(flat) as tf.SymbolicTensor,
  ];
  if (config.twoOutputs) {
    outputs.push(
      tf.layers.dense({ units: 2, name: 'unused', kernelInitializer: init() }).apply(flat) as tf.SymbolicTensor,
    );
  }
  const model = tf.model({ inputs: input, outputs });
  if (config.leak) leaked.push(tf.zeros([1]));
  return { model, toConfig: () => ({ ...config }), dispose: () => model.dispose() };
}

function tinyCase(overrides: Partial<ModelHarnessCase> & { config?: Partial<TinyConfig> } = {}): ModelHarnessCase {
  const config: TinyConfig = { seed: 1, twoOutputs: false, leak: false, ...overrides.config };
  const inputShape = overrides.inputShape ?? ([6, 8, 1] as const);
  return {
    label: 'tiny',
    inputShape,
    outputShapes: config.twoOutputs ? [[3], [2]] : [[3]],
    build: () => tiny(config, inputShape),
    rebuild: (c) => tiny(c as TinyConfig, inputShape),
    ...overrides,
  };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('the model harness checks', () => {
  it('pass on a sound model', () => {
    const c = tinyCase();
    checkOutputShapes(c);
    checkConfigRoundTrip(c);
    checkTrainingStep(c);
  });

  it('refuse a square input and a batch of one', () => {
    expect(() => checkOutputShapes(tinyCase({ inputShape: [8, 8, 1] }))).toThrow(/square input/);
    expect(() => checkOutputShapes(tinyCase(), { batchSize: 1 })).toThrow(/batchSize must be an integer ≥ 2/);
  });

  it('fail on a wrong output shape', () => {
    expect(() => checkOutputShapes(tinyCase({ outputShapes: [[4]] }))).toThrow(/output shapes/);
  });

  it('fail when the rebuilt model differs (another seed) or its config does', () => {
    const reseeded = tinyCase({ rebuild: (c) => tiny({ ...(c as TinyConfig), seed: 2 }, [6, 8, 1]) });
    expect(() => checkConfigRoundTrip(reseeded)).toThrow(/rebuilt config/);
    const sameConfigOtherWeights = tinyCase({
      rebuild: (c) => {
        const built = tiny({ ...(c as TinyConfig), seed: 2 }, [6, 8, 1]);
        return { ...built, toConfig: () => c };
      },
    });
    expect(() => checkConfigRoundTrip(sameConfigOtherWeights)).toThrow(/same seed/);
  });

  it('fail on a weight the loss does not reach or whose gradient is zero, naming it', () => {
    const unreached = tinyCase({
      config: { twoOutputs: true },
      loss: ([probabilities], [target]) => tf.losses.meanSquaredError(target as tf.Tensor, probabilities as tf.Tensor),
    });
    expect(() => checkTrainingStep(unreached)).toThrow(/does not reach[\s\S]*unused\/kernel/);
    const zero = tinyCase({
      config: { twoOutputs: true },
      loss: ([probabilities, other], [target]) =>
        tf.add(
          tf.losses.meanSquaredError(target as tf.Tensor, probabilities as tf.Tensor),
          tf.mul(0, tf.sum(other as tf.Tensor)),
        ),
    });
    expect(() => checkTrainingStep(zero)).toThrow(/gradient is zero[\s\S]*unused\/kernel/);
  });

  it('fail on a NaN loss, and on a NaN gradient of a finite loss', () => {
    const nanLoss = tinyCase({ loss: ([probabilities]) => tf.sum(tf.sqrt(tf.neg(probabilities as tf.Tensor))) });
    expect(() => checkTrainingStep(nanLoss)).toThrow(/the loss is finite/);
    // sqrt(relu(p − 2)) is 0, but its gradient is ∞ · 0 = NaN.
    const nanGradient = tinyCase({
      loss: ([probabilities]) => tf.sum(tf.sqrt(tf.relu(tf.sub(probabilities as tf.Tensor, 2)))),
    });
    expect(() => checkTrainingStep(nanGradient)).toThrow(/NaN or infinite gradient[\s\S]*conv\/kernel/);
  });

  it('fail on a tensor the model leaks', () => {
    expect(() => checkOutputShapes(tinyCase({ config: { leak: true } }))).toThrow(/tensors left after dispose/);
    tf.dispose(leaked.splice(0));
  });

  it('refuse duplicate case labels', () => {
    expect(() => describeModelHarness([tinyCase(), tinyCase()])).toThrow(/duplicate case labels tiny/);
  });
});

// The harness itself, registered on the sound model (two outputs, default loss: both heads trained).
describeModelHarness([tinyCase({ label: 'tiny two outputs', config: { twoOutputs: true } })]);
