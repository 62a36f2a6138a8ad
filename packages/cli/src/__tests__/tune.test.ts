import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../..', import.meta.url));
const bin = fileURLToPath(new URL('../bin.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'optik-cli-tune-'));
const runsRoot = join(dir, 'runs');

/** Runs the real CLI in a child process (from source, through tsx), stderr not a terminal. */
function optik(...args: string[]) {
  const run = spawnSync(process.execPath, ['--conditions=@optik/source', '--import', 'tsx', bin, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, OPTIK_BACKEND: '' },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const TRAIN = `task: classification
seed: 4
backend: cpu
data:
  dataset: mnist
  batchSize: 32
  limit: { train: 96, validation: 48, test: 48 }
model:
  layers:
    - { type: conv, filters: 4, kernelSize: 3 }
    - { type: pool }
    - { type: flatten }
    - { type: dropout, rate: 0.2 }
train:
  epochs: 1
  optimizer: { type: adam, learningRate: 0.005 }
callbacks:
  checkpoint: { enabled: false }
output:
  root: ${runsRoot}
`;

const TUNE = `name: cli-grid
base: train.yaml
space:
  train.optimizer.learningRate: { type: float, low: 0.001, high: 0.01, grid: [0.001, 0.01] }
  model.layers.3.rate: { type: float, low: 0.1, high: 0.5, grid: [0.1, 0.5] }
sampler: { type: grid }
parallel: 2
retrain: false
`;

describe('optik tune', () => {
  writeFileSync(join(dir, 'train.yaml'), TRAIN);
  writeFileSync(join(dir, 'tune.yaml'), TUNE);

  it('--json ends stdout with { studyId, best: { params, metrics }, trials } and logs a line per trial', () => {
    // --trials 3 of the 2×2 grid; train.epochs=2 goes to the base config.
    const run = optik('tune', join(dir, 'tune.yaml'), 'train.epochs=2', '--trials', '3', '--json');
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1) as string);
    expect(typeof result.studyId).toBe('number');
    expect(result.studyName).toBe('cli-grid');
    expect(result.trials).toHaveLength(3);
    for (const trial of result.trials) {
      expect(trial).toMatchObject({ status: 'completed', epochs: 2 });
      for (const key of ['value', 'accuracy', 'precision', 'recall', 'f1', 'loss', 'seconds', 'runId']) {
        expect(typeof trial[key], key).toBe('number');
      }
      expect(Object.keys(trial.params).sort()).toEqual(['model.layers.3.rate', 'train.optimizer.learningRate']);
    }
    const bestValue = Math.max(...result.trials.map((t: { value: number }) => t.value));
    expect(result.best.metrics.val_accuracy).toBe(bestValue);
    expect(result.best.params).toEqual(result.trials.find((t: { value: number }) => t.value === bestValue).params);
    for (const key of ['accuracy', 'precision', 'recall', 'f1']) expect(typeof result.best.metrics[key]).toBe('number');
    expect(result.retrain).toBeNull();
    // Not a terminal: one line per finished trial on stderr, nothing but the JSON on stdout.
    expect(run.stderr.match(/^trial +\d+ +completed/gm)).toHaveLength(3);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(result.studyDir, 'trials.csv'))).toBe(true);
    expect(readFileSync(join(result.studyDir, 'trials.csv'), 'utf8').trim().split('\n')).toHaveLength(4);
  }, 120_000);

  it('resumes the study and prints the leaderboard without --json', () => {
    const run = optik('tune', join(dir, 'tune.yaml'), 'train.epochs=2');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('resumed with 3 trials');
    expect(run.stdout).toContain('4 trials (4 completed), 1 run now');
    expect(run.stdout).toContain('leaderboard');
    expect(run.stdout).toMatch(/best: trial \d/);
    const report = join(runsRoot, 'studies', 'cli-grid', 'report.html');
    expect(run.stdout).toContain(`study report: ${report}`);
    // optik runs report rewrites it on demand (by name or id); an unknown study is a coded user error
    const before = readFileSync(report, 'utf8');
    writeFileSync(report, 'stale');
    const again = optik('runs', 'report', 'cli-grid', '--root', runsRoot, '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout.trim().split('\n').at(-1) as string).file).toBe(report);
    expect(readFileSync(report, 'utf8').replace(/\d{4}-\d\d-\d\d \d\d:\d\d<\/p>/, '')).toBe(
      before.replace(/\d{4}-\d\d-\d\d \d\d:\d\d<\/p>/, ''),
    );
    expect(before).toContain('<h2>Trials (best first)</h2>');
    const unknown = optik('runs', 'report', 'nope', '--root', runsRoot);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('RUN_NOT_FOUND'); // the store's code for an unknown run or study
  }, 120_000);

  it('refuses bad usage (exit 2) and bad configs (exit 1, coded)', () => {
    expect(optik('tune').code).toBe(2);
    expect(optik('tune', join(dir, 'tune.yaml'), '--trails', '3').code).toBe(2);
    const zero = optik('tune', join(dir, 'tune.yaml'), '--trials', '0');
    expect(zero.code).toBe(1);
    expect(zero.stderr).toContain('ARGUMENT_INVALID');
    const typo = optik('tune', join(dir, 'tune.yaml'), 'samplr.type=grid');
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('CONFIG_UNKNOWN_KEY');
    expect(typo.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
