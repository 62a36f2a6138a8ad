import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCsv } from '@optik/testing';
import { openStore } from '@optik/track';
import { readCheckpoint } from '@optik/train';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../../..', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'optik-resume-'));

/** The real `optik` CLI from source, as a user runs it. */
function optik(args: string[]): {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>;
} {
  const child = spawn(
    process.execPath,
    ['--conditions=@optik/source', '--import', 'tsx', 'packages/cli/src/bin.ts', ...args],
    { cwd: repo, env: { ...process.env, OPTIK_BACKEND: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>(
    (resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
    },
  );
  return { child, done };
}

function checkpointEpoch(dir: string): number | null {
  try {
    return readCheckpoint(dir).epoch;
  } catch {
    return null;
  }
}

describe('kill -9 during an epoch, then optik train --resume', () => {
  it('continues from the last checkpoint; the store still lists the run and no earlier epoch is lost', async () => {
    const config = join(root, 'tiny.yaml');
    writeFileSync(
      config,
      `task: classification
name: killed
seed: 5
data:
  dataset: mnist
  batchSize: 16
  limit: { train: 256, validation: 64, test: 64 }
model:
  layers:
    - { type: conv, filters: 4, kernelSize: 3 }
    - { type: pool }
    - { type: flatten }
    - { type: dense, units: 16 }
train:
  epochs: 5
output:
  root: ${root}
`,
    );
    const runDir = join(root, 'classification', 'killed');
    const lastDir = join(runDir, 'weights', 'last');
    const k = 2;
    const first = optik(['train', config, '--backend', 'cpu', '--json']);
    // Wait until epoch k-1 is checkpointed, i.e. the child is inside epoch k.
    const deadline = Date.now() + 90_000;
    while (checkpointEpoch(lastDir) !== k - 1) {
      if (Date.now() > deadline || first.child.exitCode !== null)
        throw new Error(`no checkpoint: ${(await first.done).stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');

    const store = openStore({ root }); // the sweep sees the dead pid
    let runId: number;
    let before: { epoch: number; metrics: Record<string, number> }[];
    try {
      const record = store.getRun('classification/killed');
      runId = record.id;
      expect(record.status).toBe('interrupted');
      expect(record.epochs.map((e) => e.epoch)).toEqual([1, 2]);
      before = record.epochs.map((e) => ({ epoch: e.epoch, metrics: { ...e.metrics } }));
      expect(store.listRuns({ task: 'classification' }).map((r) => r.id)).toContain(runId);
    } finally {
      store.close();
    }
    expect(readCsv(readFileSync(join(runDir, 'results.csv'), 'utf8')).rows.map((r) => r[0])).toEqual(['1', '2']);

    const second = await optik(['train', '--resume', String(runId), '--root', root, '--backend', 'cpu', '--json']).done;
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(`resuming after epoch ${k}`);
    // The first epoch this process ran is epoch k (printed 1-based).
    expect(second.stderr.match(/^epoch \d+\/5/m)?.[0]).toBe(`epoch ${k + 1}/5`);
    const result = JSON.parse(second.stdout.trim().split('\n').at(-1) as string);
    expect(result.runId).toBe(runId);
    expect(result.runDir).toBe(runDir);
    expect(result.metrics.accuracy).toBeGreaterThan(0);

    const after = openStore({ root });
    try {
      const record = after.getRun(runId);
      expect(record.status).toBe('completed');
      expect(record.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5]);
      expect(record.epochs.slice(0, k).map((e) => ({ epoch: e.epoch, metrics: e.metrics }))).toEqual(before);
    } finally {
      after.close();
    }
    const csv = readCsv(readFileSync(join(runDir, 'results.csv'), 'utf8')).rows;
    expect(csv.map((r) => r[0])).toEqual(['1', '2', '3', '4', '5']);
    expect(checkpointEpoch(lastDir)).toBe(4);
  }, 180_000);
});
