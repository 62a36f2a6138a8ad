import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runMain } from './run-main.js';

const optik = runMain;

interface ConfigKeyJson {
  key: string;
  type: string;
  default: string | null;
  description: string | null;
  variants: string[];
}

const VERBS = ['train', 'eval', 'predict', 'tune', 'data', 'augment', 'bench', 'runs', 'doctor', 'ui'];

afterEach(() => {
  process.exitCode = undefined;
});

describe('optik help <verb> / optik <verb> --help', () => {
  it.each(VERBS)('%s: usage, flags and global flags, the same both ways, exit 0', async (verb) => {
    const help = await optik('help', verb);
    expect(help.code).toBe(0);
    expect(help.stdout.startsWith(`optik ${verb}: `)).toBe(true);
    expect(help.stdout).toContain(`usage: optik ${verb}`);
    expect(help.stdout).toContain('global flags:\n  --json');
    const flag = await optik(verb, '--help');
    expect(flag).toEqual(help);
  });

  it('train lists its flags and every config key with a description, its type and its default', async () => {
    const { stdout } = await optik('train', '--help');
    expect(stdout).toContain('--resume RUN');
    expect(stdout).toMatch(/\n {2}train\.epochs +passes over the training set \[integer ≥ 1; default 10\]\n/);
    expect(stdout).toMatch(/\n {2}data\.batchSize +images per optimizer step \[integer ≥ 1; default 64\]\n/);
    // A key chosen by `type` shows each variant ready to copy, with its defaults.
    expect(stdout).toContain('{ type: adam, learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }');
    expect(stdout).toContain('{ type: dropout, name: <text, optional>, rate: <number in [0, 1)> }'); // a layer may be named
  });

  it.each(['train', 'tune'])('%s --help --json: every config key of the schema is described', async (verb) => {
    const run = await optik('help', verb, '--json');
    expect(run.code).toBe(0);
    const help = JSON.parse(run.stdout.trim().split('\n').at(-1) as string) as { configKeys: ConfigKeyJson[] };
    expect(help.configKeys.length).toBeGreaterThan(verb === 'train' ? 50 : 10);
    const undescribed = help.configKeys.filter((k) => k.description === null || k.description.trim() === '');
    expect(undescribed.map((k) => k.key)).toEqual([]);
  });

  it('tune lists its own keys and points at train for the base config', async () => {
    const { stdout } = await optik('help', 'tune');
    expect(stdout).toContain('--parallel K');
    expect(stdout).toMatch(/\n {2}retrainTop +retrain the k best trials.*\[integer ≥ 1; default 1\]/s);
    expect(stdout).toContain('see optik help train');
  });

  it('works after a subcommand too (optik runs ls --help)', async () => {
    const run = await optik('runs', 'ls', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--status S');
  });

  it('an unknown command is a usage error with a suggestion', async () => {
    for (const argv of [
      ['help', 'trian'],
      ['trian', 'x.yaml'],
    ]) {
      const run = await optik(...argv);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('unknown command "trian" (did you mean train?)');
    }
    expect((await optik('frobnicate')).stderr).not.toContain('did you mean');
  });

  it('the global usage points at the per-command help', async () => {
    const run = await optik('help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('optik help <command>');
  });
});

describe('did you mean, for config keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'optik-help-'));

  it('train: a misspelt key in an override or the file names the key it resembles', async () => {
    const config = join(dir, 'train.yaml');
    writeFileSync(
      config,
      'task: classification\ndata: { dataset: mnist, batch_size: 32 }\nmodel: { preset: seed-cnn }\n',
    );
    const run = await optik('train', config, 'train.epoch=3');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('CONFIG_UNKNOWN_KEY');
    expect(run.stderr).toContain('data.batch_size (did you mean data.batchSize?)');
    expect(run.stderr).toContain('train.epoch (did you mean train.epochs?)');
    expect(run.stderr).toContain('`optik help train` lists every key.');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('train: a key far from any gets the list of the keys allowed there', async () => {
    const config = join(dir, 'far.yaml');
    writeFileSync(config, 'task: classification\ndata: { dataset: mnist }\nmodel: { preset: seed-cnn }\n');
    const run = await optik('train', config, 'output.folder=x');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('output.folder (allowed here: root)');
  });

  it('tune: a misspelt study key', async () => {
    const config = join(dir, 'tune.yaml');
    writeFileSync(
      config,
      [
        'base: { task: classification, data: { dataset: mnist }, model: { preset: seed-cnn } }',
        'space: [{ name: model.dropout, type: float, low: 0, high: 0.5 }]',
        'trials: 2',
        'retrainTopp: 2',
      ].join('\n'),
    );
    const run = await optik('tune', config);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('retrainTopp (did you mean retrainTop?)');
    expect(run.stderr).toContain('`optik help tune` lists every key.');
  });
});

describe('pnpm optik, inside the repository', () => {
  it('runs the CLI from source without echoing a command line, and passes the exit code on', () => {
    const root = fileURLToPath(new URL('../../../..', import.meta.url));
    const run = spawnSync('pnpm', ['optik', 'help', 'doctor'], { cwd: root, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.startsWith('optik doctor: ')).toBe(true);
    expect(`${run.stdout}${run.stderr}`).not.toContain('--conditions');
    expect(spawnSync('pnpm', ['optik', 'frobnicate'], { cwd: root, encoding: 'utf8' }).status).toBe(2);
  }, 60_000);
});
