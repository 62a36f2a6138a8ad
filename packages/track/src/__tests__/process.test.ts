import { readFileSync } from 'node:fs';
import { parseCsv, tempDir } from '@optik/testing';
import { describe, expect, it } from 'vitest';
import { openStore } from '../index.js';
import { exited, forkChild, message } from './helpers.js';

describe('several processes, one store', () => {
  it('two processes writing runs, trials and epochs at once lose nothing', async () => {
    const root = tempDir();
    const setup = openStore({ root, gitCwd: root });
    const study = setup.createStudy({ name: 'race', direction: 'maximize', objective: 'accuracy', sampler: {} });
    setup.close();
    const runCount = 6;
    const epochCount = 15;
    const children = ['a', 'b'].map((tag) =>
      forkChild(['concurrent', root, String(study.id), tag, String(runCount), String(epochCount)]),
    );
    const finished = Promise.all(children.map(exited));
    await Promise.all(children.map((child) => message<boolean>(child, 'ready')));
    for (const child of children) child.send('go');
    const results = await finished;
    for (const result of results) expect(result, result.stderr).toMatchObject({ code: 0 });

    const store = openStore({ root, gitCwd: root });
    try {
      const runs = store.listRuns();
      expect(runs).toHaveLength(2 * runCount);
      expect(new Set(runs.map((r) => r.name)).size).toBe(runs.length);
      expect(new Set(runs.map((r) => r.dir)).size).toBe(runs.length);
      for (const tag of ['a', 'b']) expect(store.listRuns({ tags: [tag] })).toHaveLength(runCount);
      const trials = store.listRuns({ studyId: study.id, sortBy: 'trialNumber' });
      expect(trials.map((t) => t.trialNumber)).toEqual(Array.from({ length: runCount }, (_, i) => i));
      for (const run of runs) {
        expect(run.status).toBe('completed');
        const record = store.getRun(run.id);
        expect(record.epochs.map((e) => e.epoch)).toEqual(Array.from({ length: epochCount }, (_, e) => e));
        const rows = parseCsv(readFileSync(`${run.dir}/results.csv`, 'utf8')).slice(1);
        expect(rows.map((r) => Number(r[0]))).toEqual(record.epochs.map((e) => e.epoch));
      }
    } finally {
      store.close();
    }
  });
});

describe('a process that dies mid-run', () => {
  it('kill -9 keeps the epochs logged so far, and the next open sweeps the run to interrupted', async () => {
    const root = tempDir();
    const child = forkChild(['crash', root, '3']);
    const done = exited(child);
    const runId = await message<number>(child, 'ready');
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');

    const store = openStore({ root, sweep: false, gitCwd: root });
    try {
      expect(store.getRun(runId).status).toBe('running');
      expect(store.sweep()).toEqual({ runs: [runId], studies: [] });
      const record = store.getRun(runId);
      expect(record.status).toBe('interrupted');
      expect(record.error).toMatch(/stopped without finishing the run/);
      expect(record.epochs.map((e) => e.epoch)).toEqual([0, 1, 2]);
      expect(
        parseCsv(readFileSync(`${record.dir}/results.csv`, 'utf8'))
          .slice(1)
          .map((r) => r[0]),
      ).toEqual(['0', '1', '2']);
      expect(JSON.parse(readFileSync(`${record.dir}/run.json`, 'utf8')).status).toBe('interrupted');
      // a second sweep finds nothing more, and opening the store sweeps by default
      expect(store.sweep().runs).toEqual([]);
    } finally {
      store.close();
    }
  });

  it('the default sweep on open leaves runs of live processes alone', async () => {
    const root = tempDir();
    const child = forkChild(['crash', root, '1']);
    const done = exited(child);
    const runId = await message<number>(child, 'ready');
    const store = openStore({ root, gitCwd: root });
    try {
      expect(store.getRun(runId).status).toBe('running');
      child.kill('SIGKILL');
      await done;
      const reopened = openStore({ root, gitCwd: root });
      expect(reopened.getRun(runId).status).toBe('interrupted');
      reopened.close();
    } finally {
      store.close();
    }
  });

  it('guardRun marks the run interrupted on SIGTERM, and the process still ends by the signal', async () => {
    const root = tempDir();
    const child = forkChild(['signal', root, '2']);
    const done = exited(child);
    const runId = await message<number>(child, 'ready');
    child.kill('SIGTERM');
    expect((await done).signal).toBe('SIGTERM');
    const store = openStore({ root, sweep: false, gitCwd: root });
    try {
      expect(store.getRun(runId)).toMatchObject({ status: 'interrupted', error: 'received SIGTERM', epochCount: 2 });
    } finally {
      store.close();
    }
  });

  it('guardRun marks the run failed on an uncaught exception, and Node still crashes with code 1', async () => {
    const root = tempDir();
    const child = forkChild(['throw', root, '2']);
    const result = await exited(child);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/boom in epoch 3/);
    const store = openStore({ root, sweep: false, gitCwd: root });
    try {
      const [run] = store.listRuns();
      expect(run).toMatchObject({ status: 'failed', error: 'Error: boom in epoch 3', epochCount: 2 });
    } finally {
      store.close();
    }
  });

  it('guardRun marks the run interrupted when the process exits before finishing', async () => {
    const root = tempDir();
    const result = await exited(forkChild(['exit', root, '1']));
    expect(result.code).toBe(3);
    const store = openStore({ root, sweep: false, gitCwd: root });
    try {
      expect(store.listRuns()[0]).toMatchObject({
        status: 'interrupted',
        error: 'process exited (code 3) before the run finished',
        epochCount: 1,
      });
    } finally {
      store.close();
    }
  });
});
