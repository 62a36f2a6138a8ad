// Per-kernel profile of one U-Net training step (the segmentation example's model), to see where the time goes.
//   node --conditions=@optik/source --import tsx packages/pipeline/bench/unet-profile.mts [--preset unet-tiny]
//        [--batch 16] [--size 96] [--classes 9]
// Prints the step time (median of 5 after 3 warm-up steps), then the kernels by summed time (tf.profile's
// kernelTimeMs on the active backend) and the 25 costliest convolution/concat/split calls with their input shapes.
import { parseArgs } from 'node:util';
import { initBackend } from '@optik/backend';
import { segmentationLoss } from '@optik/train';
import { Segmenter } from '@optik/zoo';
import * as tf from '@tensorflow/tfjs';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'unet-tiny' },
    batch: { type: 'string', default: '16' },
    size: { type: 'string', default: '96' },
    classes: { type: 'string', default: '9' },
  },
});
const [batch, size, classes] = [Number(values.batch), Number(values.size), Number(values.classes)];
await initBackend({ log: false });
const segmenter = new Segmenter({
  preset: values.preset as 'unet-tiny' | 'unet-small',
  inputShape: [size, size, 3],
  numClasses: classes,
});
const loss = segmentationLoss({ crossEntropy: 1, dice: 1 });
const optimizer = tf.train.adam(0.002);
const x = tf.randomUniform([batch, size, size, 3]);
const y = tf.tidy(() => tf.oneHot(tf.randomUniform([batch, size, size], 0, classes, 'int32'), classes).toFloat());
const step = () =>
  tf.tidy(() => {
    optimizer.minimize(() => loss(y, segmenter.model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
  });
for (let i = 0; i < 3; i++) step();
const times: number[] = [];
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  step();
  times.push(performance.now() - t0);
}
const stepMs = times.sort((a, b) => a - b)[2] as number;
const profile = await tf.profile(() => {
  step();
});
const byName = new Map<string, { ms: number; calls: number }>();
const byCall = new Map<string, number>();
for (const kernel of profile.kernels) {
  const ms = typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0;
  const entry = byName.get(kernel.name) ?? { ms: 0, calls: 0 };
  entry.ms += ms;
  entry.calls++;
  byName.set(kernel.name, entry);
  if (/Conv|Concat|Split|Slice/.test(kernel.name)) {
    const key = `${kernel.name} ${JSON.stringify(kernel.inputShapes)}`;
    byCall.set(key, (byCall.get(key) ?? 0) + ms);
  }
}
const total = [...byName.values()].reduce((sum, e) => sum + e.ms, 0);
console.log(
  `${values.preset} ${size}×${size}, batch ${batch}, ${classes} classes on ${tf.getBackend()}: step ${stepMs.toFixed(1)} ms ` +
    `(${((batch / stepMs) * 1000).toFixed(1)} samples/s); kernels sum ${total.toFixed(1)} ms in the profiled step`,
);
for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20)) {
  console.log(`  ${name.padEnd(28)} ${e.ms.toFixed(1).padStart(8)} ms  ${String(e.calls).padStart(4)} calls`);
}
console.log('costliest convolution / concat / split calls (input shapes):');
for (const [key, ms] of [...byCall].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`  ${ms.toFixed(1).padStart(8)} ms  ${key}`);
}
process.exit(0);
