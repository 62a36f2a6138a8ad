// Hostile inputs and faults through the `optik` command (issue #11): prototype pollution in overrides and tune
// keys, a second `optik tune` on a live study, interrupted trials counted one way, bad --out and --root, Ctrl-C,
// and a full disk during training.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mountSmallDisk } from '@optik/testing';
import { openStore } from '@optik/track';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../index.js';

const repo = fileURLToPath(new URL('../../../..', import.meta.url));
const bin = fileURLToPath(new URL('../bin.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'optik-cli-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `main` in this process, with stdout and stderr captured. */
async function optik(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.exitCode = undefined;
  }
}

/** The real CLI in a child process (from source, through tsx). */
function spawnOptik(args: string[]): {
  child: ChildProcess;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  stderr: () => string;
} {
  const child = spawn(process.execPath, ['--conditions=@optik/source', '--import', 'tsx', bin, ...args], {
    cwd: repo,
    env: { ...process.env, OPTIK_BACKEND: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done, stderr: () => stderr };
}

function trainYaml(root: string, extra = ''): string {
  return `task: classification
seed: 4
backend: cpu
data:
  dataset: mnist
  batchSize: 16
  limit: { train: 64, validation: 32, test: 32 }
model:
  layers:
    - { type: conv, filters: 4, kernelSize: 3 }
    - { type: pool }
    - { type: flatten }
    - { type: dropout, rate: 0.2 }
train:
  epochs: 2
  optimizer: { type: adam, learningRate: 0.005 }
output:
  root: ${root}
${extra}`;
}

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

afterEach(() => {
  expect(({} as Record<string, unknown>).polluted, 'Object.prototype was polluted').toBeUndefined();
});

describe('prototype pollution is refused with CONFIG_UNSAFE_KEY', () => {
  const config = write('pollute-train.yaml', trainYaml(join(dir, 'pollute-runs')));

  it('key=value overrides through __proto__, constructor or prototype', async () => {
    for (const override of [
      '__proto__.polluted=1',
      'model.constructor.prototype.polluted=1',
      'train.__proto__.polluted=yes',
      'data={"__proto__":{"polluted":1}}',
      'data.limit=[{"constructor":{"prototype":{"polluted":1}}}]',
    ]) {
      const run = await optik('train', config, override);
      expect(run.code, override).toBe(1);
      expect(run.stderr).toMatch(/error CONFIG_UNSAFE_KEY: The key "(__proto__|constructor)" is not allowed/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it("the tune config's dotted keys: space names, trialOverrides and overrides", async () => {
    write('pollute-base.yaml', trainYaml(join(dir, 'pollute-runs')));
    const space = write(
      'pollute-space.yaml',
      `name: pollute
base: pollute-base.yaml
space:
  __proto__.polluted: { type: float, low: 0.1, high: 0.5 }
retrain: false
`,
    );
    const overrides = write(
      'pollute-overrides.yaml',
      `name: pollute
base: pollute-base.yaml
space:
  train.epochs: { type: int, low: 1, high: 2 }
trialOverrides:
  constructor.prototype.polluted: 1
retrain: false
`,
    );
    for (const args of [[space], [overrides], [overrides, '__proto__.polluted=1']]) {
      const run = await optik('tune', ...args);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr, args.join(' ')).toContain('CONFIG_UNSAFE_KEY');
    }
  });
});

describe('mistyped or unusable output paths', () => {
  it('runs ls --root <typo> refuses (STORE_NOT_FOUND) and creates nothing', async () => {
    const typo = join(dir, 'rnus');
    for (const sub of ['ls', 'studies', 'export']) {
      const run = await optik('runs', sub, '--root', typo, ...(sub === 'export' ? ['--csv'] : []));
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('error STORE_NOT_FOUND: There is no run store at');
      expect(existsSync(typo)).toBe(false);
    }
  });

  it('augment preview --out <folder> writes into the folder; an unwritable --out is a coded error', async () => {
    const pipeline = write(
      'augment.yaml',
      'type: Compose\ntransforms:\n  - { type: RandomRotate, degrees: [-20, 20] }\n',
    );
    const folder = join(dir, 'previews');
    mkdirSync(folder);
    const run = await optik('augment', 'preview', pipeline, '--out', folder, '--count', '2');
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(folder, 'augment-preview.png')).subarray(1, 4).toString()).toBe('PNG');
    const blocked = await optik('augment', 'preview', pipeline, '--out', join(pipeline, 'grid.png'), '--count', '2');
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toMatch(/error ARGUMENT_INVALID: Cannot write the preview to/);
    expect(blocked.stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it('data inspect --out <file> is a coded error before any work', async () => {
    const file = write('report.txt', 'not a folder');
    const run = await optik('data', 'inspect', 'mnist', '--out', file);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /error ARGUMENT_INVALID: outDir: The report folder .*report\.txt is a file, not a folder/,
    );
    expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(readFileSync(file, 'utf8')).toBe('not a folder');
  });
});

const TUNE = `name: shared
base: tune-base.yaml
space:
  train.optimizer.learningRate: { type: float, low: 0.001, high: 0.01, grid: [0.001, 0.01] }
sampler: { type: grid }
parallel: 1
retrain: false
`;

describe('studies', () => {
  it('a second optik tune on a study that a live process runs is refused (STUDY_BUSY) and touches nothing', async () => {
    const root = join(dir, 'busy-runs');
    write('tune-base.yaml', trainYaml(root));
    const tune = write('tune-busy.yaml', TUNE);
    const owner = fork(
      fileURLToPath(new URL('./fixtures/study-owner.ts', import.meta.url)),
      [root, 'shared', 'val_accuracy'],
      {
        cwd: repo,
        execArgv: ['--conditions=@optik/source', '--import', 'tsx'],
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      },
    );
    try {
      const { studyId, runId } = await new Promise<{ studyId: number; runId: number }>((resolve, reject) => {
        owner.on('message', (m) => resolve((m as { ready: { studyId: number; runId: number } }).ready));
        owner.on('exit', (code) => reject(new Error(`owner exited ${code}`)));
      });
      const run = await optik('tune', tune, '--trials', '2');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`error STUDY_BUSY: Study "shared" is being run by process ${owner.pid}`);
      expect(run.stderr).toMatch(/stop it .* run the same command again to resume/);
      const store = openStore({ root, readOnly: true });
      try {
        expect(store.getStudy(studyId)).toMatchObject({ status: 'running', pid: owner.pid });
        expect(store.getRun(runId)).toMatchObject({ status: 'running', pid: owner.pid, epochCount: 1 });
        expect(store.listRuns({ studyId })).toHaveLength(1);
      } finally {
        store.close();
      }
    } finally {
      owner.kill('SIGKILL');
    }
  });

  it('an interrupted trial counts as interrupted in runs studies, runs ls and the leaderboard alike', async () => {
    const root = join(dir, 'counted-runs');
    write('tune-base.yaml', trainYaml(root));
    const tune = write('tune-counted.yaml', TUNE.replace('name: shared', 'name: counted'));
    // What an interrupted session leaves: one trial completed, one stopped with the study, one failed.
    const store = openStore({ root });
    const study = store.createStudy({
      name: 'counted',
      direction: 'maximize',
      objective: 'val_accuracy',
      sampler: { type: 'grid' },
    });
    const trial = (n: number) =>
      store.createRun({ task: 'classification', studyId: study.id, trialNumber: n, params: { n }, tags: ['trial'] });
    trial(0).finish({ status: 'completed', metrics: { val_accuracy: 0.5 } });
    trial(1).markInterrupted('the study was stopped');
    trial(2).finish({ status: 'failed', error: 'boom' });
    store.updateStudy(study.id, { status: 'interrupted' });
    store.close();

    // Resumed with no trials left to run: only the reports.
    const tuned = await optik('tune', tune, '--trials', '3', '--json');
    expect(tuned.code, tuned.stderr).toBe(0);
    const result = JSON.parse(tuned.stdout.trim().split('\n').at(-1) as string);
    const board = Object.fromEntries(
      result.trials.map((t: { number: number; status: string }) => [t.number, t.status]),
    );
    const studies = await optik('runs', 'studies', '--root', root, '--json');
    const counts = JSON.parse(studies.stdout.trim().split('\n').at(-1) as string).studies[0].trials;
    const listed = await optik('runs', 'ls', '--root', root, '--json');
    const ls = Object.fromEntries(
      JSON.parse(listed.stdout.trim().split('\n').at(-1) as string).runs.map(
        (r: { trialNumber: number; status: string }) => [r.trialNumber, r.status],
      ),
    );
    expect(board).toEqual({ 0: 'completed', 1: 'interrupted', 2: 'failed' });
    expect(ls).toEqual(board);
    expect(counts).toMatchObject({ total: 3, completed: 1, interrupted: 1, failed: 1, running: 0 });
    const table = (await optik('runs', 'studies', '--root', root)).stdout.split('\n');
    expect(table[0]).toMatch(/trials\s+completed\s+pruned\s+failed\s+interrupted\s+running/);
    expect(table.find((line) => line.includes('counted'))).toMatch(/counted .* 3\s+1\s+0\s+1\s+1\s+0\s/);
  });
});

describe('Ctrl-C during optik train', () => {
  it('stops after the batch, exits 130 and prints the --resume command, which continues the run', async () => {
    const root = join(dir, 'sigint-runs');
    const config = write('sigint.yaml', trainYaml(root).replace('epochs: 2', 'epochs: 6'));
    const first = spawnOptik(['train', config]);
    const deadline = Date.now() + 120_000;
    while (!/epoch 1\/6/.test(first.stderr())) {
      if (Date.now() > deadline || first.child.exitCode !== null) throw new Error(`no epoch: ${first.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    first.child.kill('SIGINT');
    const stopped = await first.done;
    expect(stopped.code).toBe(130);
    const match = /Continue it with: (optik train --resume (\d+) --root (\S+))/.exec(stopped.stderr);
    expect(match, stopped.stderr).not.toBeNull();
    expect(stopped.stderr).toMatch(
      /optik train: interrupted\. Run classification\/exp \(id \d+\) keeps its \d+ finished epoch/,
    );
    const runId = Number(match?.[2]);
    expect(match?.[3]).toBe(root);
    const store = openStore({ root, readOnly: true });
    expect(store.getRun(runId).status).toBe('interrupted');
    store.close();
    // The printed command works as printed, and the run then completes.
    const again = spawnOptik(['train', '--resume', String(runId), '--root', root]);
    const resumed = await again.done;
    expect(resumed.code, resumed.stderr).toBe(0);
    const after = openStore({ root, readOnly: true });
    expect(after.getRun(runId)).toMatchObject({ status: 'completed', epochCount: 6 });
    after.close();
  });
});

const disk = mountSmallDisk(4096);
if (!disk.ok) console.log(`hostile.test.ts (cli): full-disk training case skipped: ${disk.reason}`);
afterAll(() => {
  if (disk.ok) disk.release();
});

describe.skipIf(!disk.ok)('a full disk during optik train (a 4 MiB tmpfs)', () => {
  it('reports DISK_FULL (not an internal error), leaves no partial files, marks the run failed; runs ls still lists', async () => {
    if (!disk.ok) return;
    const root = join(disk.dir, 'runs');
    // A dense layer of ~330k weights: one checkpoint (weights + Adam's two slots) is ~4 MiB.
    const config = write(
      'full.yaml',
      trainYaml(root).replace('    - { type: dropout, rate: 0.2 }', '    - { type: dense, units: 512 }'),
    );
    const run = spawnOptik(['train', config]);
    const ended = await run.done;
    expect(ended.code).toBe(1);
    expect(ended.stderr).toMatch(/error DISK_FULL: No space left on the disk while saving the checkpoint of epoch 1/);
    expect(ended.stderr).not.toMatch(/internal error|please report it/);
    const runDir = join(root, 'classification', 'exp');
    const files = readdirSync(runDir, { recursive: true }).map(String);
    expect(files.filter((f) => /\.tmp|tmp-/.test(f))).toEqual([]);
    expect(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'))).toMatchObject({ status: 'failed' });

    disk.fill();
    try {
      const listed = await optik('runs', 'ls', '--root', root, '--json');
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stderr).toMatch(/the disk is full; reading it as it is/);
      const runs = JSON.parse(listed.stdout.trim().split('\n').at(-1) as string).runs;
      expect(runs.map((r: { name: string; status: string; error: string }) => [r.name, r.status])).toEqual([
        ['exp', 'failed'],
      ]);
      expect(runs[0].error).toMatch(/DISK_FULL/);
    } finally {
      disk.unfill();
    }
  });
});
