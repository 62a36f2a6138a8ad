import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../..', import.meta.url));
const bin = fileURLToPath(new URL('../bin.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'optik-cli-verbs-'));
const runsRoot = join(dir, 'runs');

/** Runs the real CLI in a child process, as a user would (from source, through tsx). */
function optik(...args: string[]) {
  const run = spawnSync(process.execPath, ['--conditions=@optik/source', '--import', 'tsx', bin, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, OPTIK_BACKEND: '' },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function lastJson(stdout: string) {
  return JSON.parse(stdout.trim().split('\n').at(-1) as string);
}

/** A user error: exit 1, the code, one paragraph, no stack trace. */
function expectUserError(run: ReturnType<typeof optik>, code: string) {
  expect(run.code, run.stderr).toBe(1);
  expect(run.stderr).toContain(code);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  const message = run.stderr.split('\n').filter((line) => line.includes(`error ${code}`));
  expect(message).toHaveLength(1);
}

/** A 28×28 grayscale PNG (a bright vertical bar), written without an image library. */
function writeDigitPng(file: string): void {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(28, 0);
  header.writeUInt32BE(28, 4);
  header[8] = 8;
  const raw = Buffer.alloc(29 * 28);
  for (let y = 4; y < 24; y++) for (let x = 12; x < 16; x++) raw[y * 29 + 1 + x] = 255;
  const signature = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  writeFileSync(
    file,
    Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]),
  );
}

const CONFIG = `task: classification
name: cli-tiny
seed: 2
data:
  dataset: mnist
  batchSize: 32
  limit: { train: 128, validation: 64, test: 64 }
augment:
  type: Compose
  transforms:
    - { type: RandomFlip, mode: horizontal, interpolation: nearest }
model:
  layers:
    - { type: conv, filters: 4, kernelSize: 3 }
    - { type: pool }
    - { type: flatten }
train:
  epochs: 1
output:
  root: ${runsRoot}
`;

describe('optik train / eval / predict', () => {
  const config = join(dir, 'tiny.yaml');
  let trained: ReturnType<typeof optik>;

  beforeAll(() => {
    writeFileSync(config, CONFIG);
    trained = optik('train', config, 'train.epochs=2', '--backend', 'cpu', '--json');
  }, 120_000);

  it('train --json ends stdout with { runId, runDir, backend, metrics } and applies overrides', () => {
    expect(trained.code, trained.stderr).toBe(0);
    const result = lastJson(trained.stdout);
    expect(result).toMatchObject({
      runId: 1,
      runDir: join(runsRoot, 'classification', 'cli-tiny'),
      backend: 'cpu',
      epochs: 2,
    });
    for (const key of ['accuracy', 'precision', 'recall', 'f1']) expect(typeof result.metrics[key]).toBe('number');
    expect(result.diagnosis.verdict).toMatch(/underfitting|overfitting|good-fit/);
    expect(trained.stderr).toContain('epoch 2/2');
    expect(existsSync(join(result.runDir, 'report.html'))).toBe(true);
  });

  it('train without --json prints accuracy, precision, recall, F1 and the diagnosis', () => {
    const run = optik('train', config, 'train.epochs=1', 'name=cli-human', '--backend', 'cpu');
    expect(run.code, run.stderr).toBe(0);
    for (const word of ['accuracy', 'precision', 'recall', 'F1', 'diagnosis:', 'rule:', 'report.html']) {
      expect(run.stdout).toContain(word);
    }
  }, 60_000);

  it('runs ls/show/compare: F1 not numSamples, the time train printed, overlaid curves as a PNG', () => {
    const result = lastJson(trained.stdout);
    const show = lastJson(optik('runs', 'show', String(result.runId), '--root', runsRoot, '--json').stdout);
    expect(Math.abs(show.run.durationMs / 1000 - result.seconds)).toBeLessThan(0.05);
    expect(show.run.epochs.map((e: { epoch: number }) => e.epoch)).toEqual([1, 2]);
    const ls = optik('runs', 'ls', '--root', runsRoot);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout.split('\n')[0]).toMatch(/\baccuracy\s+f1\s+precision\s+recall$/);
    expect(ls.stdout).not.toContain('numSamples');
    const plot = join(dir, 'plots', 'compare.png');
    const compare = optik('runs', 'compare', '1', '2', '--root', runsRoot, '--plot', plot, '--json');
    expect(compare.code, compare.stderr).toBe(0);
    expect(lastJson(compare.stdout).plot).toBe(plot);
    expect(readFileSync(plot).subarray(1, 4).toString()).toBe('PNG');
    const human = optik('runs', 'compare', '1', '2', '--root', runsRoot);
    expect(human.stdout).toMatch(/\nnumSamples\s+64\s+64\n/);
    expect(human.stdout).toMatch(/\nf1 \(↑\)/);
  }, 60_000);

  it('train refuses bad configs with coded one-paragraph errors (exit 1) and bad usage (exit 2)', () => {
    expectUserError(optik('train', config, 'model.layers.0.kernelSize=0', '--backend', 'cpu'), 'CONFIG_INVALID');
    expect(optik('train', config, 'model.layers.0.kernelSize=0').stderr).toContain('model.layers[0].kernelSize');
    const unknown = optik('train', config, 'train.epoch=3');
    expectUserError(unknown, 'CONFIG_UNKNOWN_KEY');
    expect(unknown.stderr).toContain('train.epoch');
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'task: classification\ndata: [1, 2\n');
    expectUserError(optik('train', broken), 'CONFIG_PARSE');
    const missing = optik('train', config, 'data.dataset=null', 'data.directory=./no/such/folder');
    expectUserError(missing, 'DATA_NOT_FOUND');
    expect(missing.stderr).toContain('data.directory');
    expect(optik('train').code).toBe(2);
    expect(optik('train', config, 'oops').code).toBe(2);
    expect(optik('train', '--resume', '1', config).code).toBe(2);
  }, 60_000);

  it('eval --json reproduces the training metrics; an unknown run is RUN_NOT_FOUND', () => {
    const result = lastJson(trained.stdout);
    const run = optik('eval', String(result.runId), '--root', runsRoot, '--json');
    expect(run.code, run.stderr).toBe(0);
    const evaluated = lastJson(run.stdout);
    expect(evaluated.metrics.accuracy).toBe(result.metrics.accuracy);
    expect(evaluated.perClass).toHaveLength(10);
    const human = optik('eval', result.runDir);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('precision');
    expectUserError(optik('eval', '42', '--root', runsRoot), 'RUN_NOT_FOUND');
    expect(optik('eval').code).toBe(2);
  }, 60_000);

  it('predict --json gives top-k classes with probabilities; a bad --top-k is a user error', () => {
    const image = join(dir, 'bar.png');
    writeDigitPng(image);
    const run = optik('predict', 'cli-tiny', image, '--root', runsRoot, '--top-k', '2', '--json');
    expect(run.code, run.stderr).toBe(0);
    const [prediction] = lastJson(run.stdout).predictions;
    expect(prediction.file).toBe(image);
    expect(prediction.top).toHaveLength(2);
    expect(prediction.top[0].probability).toBeGreaterThanOrEqual(prediction.top[1].probability);
    const human = optik('predict', 'cli-tiny', image, '--root', runsRoot);
    expect(human.stdout).toMatch(/%\s+\d/);
    expectUserError(optik('predict', 'cli-tiny', image, '--root', runsRoot, '--top-k', 'zero'), 'ARGUMENT_INVALID');
    expectUserError(optik('predict', 'cli-tiny', join(dir, 'none.png'), '--root', runsRoot), 'DATA_NOT_FOUND');
    expect(optik('predict', 'cli-tiny').code).toBe(2);
  }, 60_000);
});

describe('optik data inspect', () => {
  it('reports on a built-in dataset (exit 0) and refuses a missing source', () => {
    const run = optik('data', 'inspect', 'mnist', '--json');
    expect(run.code, run.stderr).toBe(0);
    const report = lastJson(run.stdout);
    expect(report.classNames).toHaveLength(10);
    const human = optik('data', 'inspect', join(dir, 'tiny.yaml'));
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('classes');
    expectUserError(optik('data', 'inspect', join(dir, 'no-such-folder')), 'DATA_NOT_FOUND');
    expect(optik('data', 'frob').code).toBe(2);
  }, 60_000);
});

describe('optik augment preview', () => {
  it('writes a PNG grid from an augmentation config or a pipeline config; refuses a bad transform', () => {
    const aug = join(dir, 'aug.yaml');
    writeFileSync(aug, 'type: Compose\ntransforms:\n  - { type: RandomRotate, degrees: [-20, 20] }\n');
    const out = join(dir, 'grid.png');
    const run = optik('augment', 'preview', aug, '--count', '4', '--seed', '1', '--out', out, '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(lastJson(run.stdout)).toMatchObject({ out, count: 4 });
    expect(readFileSync(out).subarray(1, 4).toString()).toBe('PNG');
    const fromPipeline = optik('augment', 'preview', join(dir, 'tiny.yaml'), '--out', join(dir, 'grid2.png'));
    expect(fromPipeline.code, fromPipeline.stderr).toBe(0);
    const bad = join(dir, 'bad-aug.yaml');
    writeFileSync(bad, 'type: RandomSpin\n');
    expectUserError(optik('augment', 'preview', bad, '--out', out), 'CONFIG_INVALID');
    expect(optik('augment', 'preview', aug).code).toBe(2);
  }, 60_000);

  it('takes an image or a class folder directly, at the size the network sees, with captions', () => {
    const aug = join(dir, 'aug2.yaml');
    writeFileSync(aug, 'type: Compose\ntransforms:\n  - { type: RandomRotate, degrees: [-20, 20] }\n');
    const digit = join(dir, 'digit.png');
    writeDigitPng(digit);
    const out = join(dir, 'grid3.png');
    const fromImage = optik('augment', 'preview', aug, digit, '--count', '4', '--out', out, '--json');
    expect(fromImage.code, fromImage.stderr).toBe(0);
    expect(lastJson(fromImage.stdout)).toMatchObject({ source: digit, size: [28, 28, 3] });
    // one row of 5 cells of 160 px, each with a 3-line caption band under it
    const png = readFileSync(out);
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([5 * 166 + 6, 160 + 40 + 12]); // IHDR

    // a training config on a class folder: its images at data.imageSize and data.colorMode
    const folder = join(dir, 'shapes');
    for (const c of ['a', 'b']) {
      mkdirSync(join(folder, c), { recursive: true });
      for (let i = 0; i < 2; i++) writeDigitPng(join(folder, c, `${i}.png`));
    }
    const train = join(dir, 'folder-train.yaml');
    writeFileSync(
      train,
      `task: classification\ndata: { directory: ${folder}, imageSize: [16, 12], colorMode: grayscale }\naugment: { type: RandomFlip, mode: horizontal }\nmodel: { preset: seed-cnn }\n`,
    );
    const fromConfig = optik('augment', 'preview', train, '--index', '3', '--out', out, '--json');
    expect(fromConfig.code, fromConfig.stderr).toBe(0);
    expect(lastJson(fromConfig.stdout)).toMatchObject({ source: folder, index: 3, size: [16, 12, 1] });
    expect(fromConfig.stdout).not.toContain('demo');
    expectUserError(optik('augment', 'preview', aug, join(dir, 'nope.png'), '--out', out), 'DATA_NOT_FOUND');
    expectUserError(optik('augment', 'preview', train, '--index', '9', '--out', out), 'ARGUMENT_INVALID');
  }, 90_000);
});
