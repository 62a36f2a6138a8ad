import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@optik/backend';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../index.js';

let dir: string;
beforeAll(async () => {
  await initBackend({ prefer: 'cpu', log: false });
  dir = mkdtempSync(join(tmpdir(), 'optik-io-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function convNet(): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 1] });
  let x = tf.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization().apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

const predict = (model: tf.LayersModel, x: tf.Tensor) =>
  tf.tidy(() => Array.from((model.predict(x) as tf.Tensor).dataSync()));

describe('model files', () => {
  it('save → loadModel gives the same predictions; the files are the layers-model format', async () => {
    const model = convNet();
    const x = tf.randomUniform([2, 6, 6, 1], 0, 1, 'float32', 3);
    const folder = join(dir, 'a');
    await saveModel(model, folder);
    const json = JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.modelTopology.class_name).toBe('Model');
    expect(json.weightsManifest[0].paths).toEqual(['./weights.bin']);
    expect(readFileSync(join(folder, 'weights.bin')).byteLength).toBe(model.countParams() * 4);
    const loaded = await loadModel(folder);
    expect(predict(loaded, x)).toEqual(predict(model, x));
    tf.dispose([x]);
    model.dispose();
    loaded.dispose();
  });

  it('the saved files load through tf.io.fromMemory and through the browser HTTP loader', async () => {
    const model = convNet();
    const x = tf.randomUniform([2, 6, 6, 1], 0, 1, 'float32', 4);
    const folder = join(dir, 'b');
    await saveModel(model, folder);
    const json = JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8'));
    const bin = readFileSync(join(folder, 'weights.bin'));
    const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);

    const viaMemory = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }),
    );
    expect(predict(viaMemory, x)).toEqual(predict(model, x));

    // tf.loadLayersModel('https://…/model.json') in a browser: the same http handler, served from the folder.
    const served: string[] = [];
    const fetchFunc = async (url: string | URL | Request) => {
      const name = String(url).split('/').pop() as string;
      served.push(name);
      return new Response(readFileSync(join(folder, name)), { status: 200 });
    };
    const viaHttp = await tf.loadLayersModel(tf.io.http('https://example.test/models/b/model.json', { fetchFunc }));
    expect(served).toEqual(['model.json', 'weights.bin']);
    expect(predict(viaHttp, x)).toEqual(predict(model, x));

    tf.dispose([x]);
    for (const m of [model, viaMemory, viaHttp]) m.dispose();
  });

  it('loading a folder without a model is a coded error', async () => {
    await expect(loadModel(join(dir, 'missing'))).rejects.toMatchObject({ code: 'DATA_NOT_FOUND' });
  });
});
