import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOptikError, type OptikError } from '@optik/core';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadPipelineConfig, resolvePipelineConfig } from '../index.js';
import { mergeOverrides } from '../internal/config.js';

const dir = mkdtempSync(join(tmpdir(), 'optik-pipeline-config-'));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const BASE = `task: classification
seed: 3
data:
  dataset: mnist
  limit: { train: 64 }
model:
  layers:
    - { type: conv, filters: 4, kernelSize: 3 }
    - { type: pool }
    - { type: flatten }
train:
  epochs: 2
`;

function errorOf(fn: () => unknown): OptikError {
  try {
    fn();
  } catch (error) {
    if (isOptikError(error)) return error;
    throw error;
  }
  throw new Error('expected an OptikError');
}

function expectOneParagraph(error: OptikError): void {
  expect(error.message).not.toContain('\n');
  expect(error.message).not.toMatch(/ZodError|"code":/);
}

describe('loadPipelineConfig', () => {
  it('fills every default and applies key=value overrides before validation', () => {
    const path = file('base.yaml', BASE);
    const config = loadPipelineConfig(path, { train: { epochs: 5 }, model: { layers: { 0: { filters: 8 } } } });
    if (config.task !== 'classification') throw new Error(`task ${config.task}`);
    expect(config.train.epochs).toBe(5);
    expect(config.model.layers?.[0]).toMatchObject({ type: 'conv', filters: 8, kernelSize: 3, padding: 'valid' });
    expect(config.model.layers).toHaveLength(3);
    // Seeds and the loss come from the top level and the head.
    expect(config.model.seed).toBe(3);
    expect(config.train.seed).toBe(3);
    expect(config.task === 'classification' && config.train.loss).toBe('categoricalCrossentropy');
    expect(config.train.optimizer).toMatchObject({ type: 'adam', learningRate: 0.001 });
    expect(config.data).toMatchObject({ validationSplit: 0.1, batchSize: 64, limit: { train: 64 } });
    expect(config.callbacks.checkpoint).toMatchObject({ enabled: true, monitor: 'val_loss' });
    expect(config.callbacks.terminateOnNan).toBe(true);
    expect(config.output.root).toBe('runs');
    expect(config.backend).toBe('auto');
  });

  it('an override of null removes a key (switching the data source)', () => {
    const config = loadPipelineConfig(file('switch.yaml', BASE), { data: { dataset: null, directory: dir } });
    expect('dataset' in config.data ? config.data.dataset : undefined).toBeUndefined();
    expect(config.data).toMatchObject({ directory: dir, imageSize: [64, 64], colorMode: 'rgb' });
  });

  it('is idempotent: the resolved config (as config.yaml stores it) resolves to itself', () => {
    const config = loadPipelineConfig(
      file(
        'aug.yaml',
        `${BASE}augment:\n  type: RandomFlip\n  mode: horizontal\ncallbacks:\n  earlyStopping: { patience: 2 }\n  reduceLrOnPlateau: { patience: 1, factor: 0.5 }\n`,
      ),
    );
    expect(config.augment).toMatchObject({ type: 'Compose', transforms: [{ type: 'RandomFlip', mode: 'horizontal' }] });
    expect(config.callbacks.earlyStopping).toMatchObject({ patience: 2, restoreBestWeights: true });
    const again = resolvePipelineConfig(JSON.parse(JSON.stringify(config)));
    expect(again).toEqual(config);
  });

  it('reads JSON too', () => {
    const json = JSON.stringify(parseYaml(BASE));
    expect(loadPipelineConfig(file('base.json', json)).train.epochs).toBe(2);
  });

  it('a malformed file is CONFIG_PARSE naming the file and the line', () => {
    const path = file('broken.yaml', 'task: classification\ndata: [1, 2\nmodel: {}\n');
    const error = errorOf(() => loadPipelineConfig(path));
    expect(error.code).toBe('CONFIG_PARSE');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/line \d+/);
    expectOneParagraph(error);
  });

  it('an unknown key is CONFIG_UNKNOWN_KEY naming its path', () => {
    const error = errorOf(() => loadPipelineConfig(file('typo.yaml', BASE), { train: { epoch: 3 } }));
    expect(error.code).toBe('CONFIG_UNKNOWN_KEY');
    expect(error.message).toContain('train.epoch');
    expectOneParagraph(error);
    const nested = errorOf(() =>
      loadPipelineConfig(file('typo2.yaml', BASE), { model: { layers: { 0: { kernel: 3 } } } }),
    );
    expect(nested.message).toContain('model.layers[0].kernel');
  });

  it('kernelSize: 0 is CONFIG_INVALID naming model.layers[0].kernelSize and the value', () => {
    const error = errorOf(() =>
      loadPipelineConfig(file('k0.yaml', BASE), { model: { layers: { 0: { kernelSize: 0 } } } }),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('model.layers[0].kernelSize');
    expect(error.message).toContain('kernelSize=0');
    expect(error.message).toContain(join(dir, 'k0.yaml'));
    expectOneParagraph(error);
  });

  it('a missing dataset folder is DATA_NOT_FOUND naming data.directory', () => {
    const text = BASE.replace('dataset: mnist', 'directory: ./no/such/folder');
    const error = errorOf(() => loadPipelineConfig(file('missing.yaml', text)));
    expect(error.code).toBe('DATA_NOT_FOUND');
    expect(error.details.path).toBe('data.directory');
    expect(error.message).toContain('data.directory');
    expect(error.message).toContain('no/such/folder');
    expectOneParagraph(error);
  });

  it('refuses contradictions with the key at fault', () => {
    const both = errorOf(() =>
      resolvePipelineConfig({ ...parseYaml(BASE), data: { dataset: 'mnist', directory: dir } }),
    );
    expect(both.message).toContain('data.directory');
    const neither = errorOf(() => resolvePipelineConfig({ ...parseYaml(BASE), model: { head: 'softmax' } }));
    expect(neither.message).toContain('model.preset');
    const loss = errorOf(() =>
      resolvePipelineConfig({
        ...parseYaml(BASE),
        model: { preset: 'seed-cnn', head: 'sigmoid' },
        train: { loss: 'categoricalCrossentropy' },
      }),
    );
    expect(loss.message).toContain('train.loss');
    const schedules = errorOf(() =>
      resolvePipelineConfig({
        ...parseYaml(BASE),
        callbacks: { reduceLrOnPlateau: {}, schedule: { type: 'cosine' } },
      }),
    );
    expect(schedules.message).toContain('callbacks.schedule');
    const augment = errorOf(() => resolvePipelineConfig({ ...parseYaml(BASE), augment: { type: 'RandomSpin' } }));
    expect(augment.message).toContain('augment.type');
    const builtinSize = errorOf(() =>
      resolvePipelineConfig({ ...parseYaml(BASE), data: { dataset: 'mnist', imageSize: [32, 32] } }),
    );
    expect(builtinSize.message).toContain('data.imageSize');
  });

  it('a file that is not a mapping is refused', () => {
    expect(errorOf(() => loadPipelineConfig(file('list.yaml', '- 1\n- 2\n'))).code).toBe('CONFIG_INVALID');
    expect(errorOf(() => loadPipelineConfig(join(dir, 'nope.yaml'))).code).toBe('DATA_NOT_FOUND');
  });
});

describe('prototype pollution through a config file', () => {
  it('refuses __proto__ keys in the file and in merged overrides, and Object.prototype stays clean', () => {
    const dir = mkdtempSync(join(tmpdir(), 'optik-proto-'));
    const file = join(dir, 'train.yaml');
    writeFileSync(
      file,
      'task: classification\ndata: { dataset: mnist }\nmodel: { preset: seed-cnn }\n"__proto__": { polluted: 1 }\n',
    );
    expect(() => loadPipelineConfig(file)).toThrow(expect.objectContaining({ code: 'CONFIG_UNSAFE_KEY' }));
    expect(() => mergeOverrides({}, JSON.parse('{"constructor": {"prototype": {"polluted": 1}}}'))).toThrow(
      expect.objectContaining({ code: 'CONFIG_UNSAFE_KEY' }),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
