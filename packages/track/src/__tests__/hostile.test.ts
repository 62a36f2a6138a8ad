// Hostile inputs and faults for the run store (issue #11): a second owner of a study, formula injection in CSV
// files, a mistyped --root, a corrupt, read-only or full store.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isOptikError, type OptikError } from '@optik/core';
import { mountSmallDisk, parseCsv, tempDir } from '@optik/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../index.js';
import { exited, forkChild, message } from './helpers.js';

function caught(fn: () => unknown): OptikError {
  try {
    fn();
  } catch (error) {
    if (isOptikError(error)) return error;
    throw error;
  }
  throw new Error('expected an OptikError');
}

describe('a study has one owner at a time', () => {
  it('a second process is refused with STUDY_BUSY while the owner lives, and the owner trial stays running', async () => {
    const root = tempDir();
    const owner = forkChild(['study-owner', root, 'shared']);
    const ended = exited(owner);
    const { studyId, runId } = await message<{ studyId: number; runId: number }>(owner, 'ready');

    const store = openStore({ root, gitCwd: root });
    try {
      const create = () =>
        store.createStudy({
          name: 'shared',
          direction: 'maximize',
          objective: 'val_accuracy',
          sampler: { type: 'random' },
          loadIfExists: true,
        });
      const refused = caught(create);
      expect(refused.code).toBe('STUDY_BUSY');
      expect(refused.message).toContain(`process ${owner.pid}`);
      expect(refused.message).toMatch(/run the same command again to resume/);
      expect(caught(() => store.updateStudy(studyId, { status: 'running' })).code).toBe('STUDY_BUSY');
      expect(store.getStudy(studyId).status).toBe('running');
      expect(store.getRun(runId).status).toBe('running');

      owner.kill('SIGKILL');
      await ended;
      // A dead owner holds nothing: the study is taken over (resumed) by this process.
      expect(create()).toMatchObject({ id: studyId, status: 'running' });
    } finally {
      store.close();
    }
  });
});

describe('CSV files are safe to open in a spreadsheet', () => {
  it('predictions.csv and the export escape cells that begin with = + - @ tab or CR, and keep numbers', () => {
    const root = tempDir();
    const store = openStore({ root, gitCwd: root });
    try {
      const classNames = ['=HYPERLINK("http://x","y")', '+1+2', '-2+3', '@SUM(A1)', '\tcat', '\rdog', 'plain'];
      const run = store.createRun({ task: 'classification', tags: ['=1+1'] });
      const probabilities = classNames.map(() => 1 / classNames.length);
      const file = run.writePredictions(
        [
          { id: '=cmd|/c calc', trueLabel: classNames[0] as string, predictedLabel: '@SUM(A1)', probabilities },
          { id: 'ok.png', trueLabel: 'plain', predictedLabel: '-2+3', probabilities },
        ],
        { classNames },
      );
      run.logEpoch(0, { loss: -0.5 });
      const rows = parseCsv(readFileSync(file, 'utf8'));
      expect(rows[1]?.slice(0, 3)).toEqual(["'=cmd|/c calc", '\'=HYPERLINK("http://x","y")', "'@SUM(A1)"]);
      expect(rows[2]?.slice(0, 3)).toEqual(['ok.png', 'plain', "'-2+3"]);
      // Every text cell a spreadsheet would evaluate now starts with a quote.
      for (const cell of rows.flat()) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
      expect(readFileSync(run.paths.results, 'utf8')).toContain('\n0,-0.5\n');
      const exported = parseCsv(store.exportCsv());
      expect(exported[1]).toContain("'=1+1");
    } finally {
      store.close();
    }
  });
});

describe('a store that is missing, corrupt or read-only', () => {
  it('create: false refuses a missing store with STORE_NOT_FOUND and creates nothing', () => {
    const root = join(tempDir(), 'rnus');
    const error = caught(() => openStore({ root, create: false }));
    expect(error.code).toBe('STORE_NOT_FOUND');
    expect(error.message).toContain(root);
    expect(error.message).toMatch(/Check the --root folder/);
    expect(existsSync(root)).toBe(false);
    expect(caught(() => openStore({ root, readOnly: true })).code).toBe('STORE_NOT_FOUND');
    expect(existsSync(root)).toBe(false);
  });

  it('a database file that is not a database is STORE_CORRUPT, naming the file, the cause and the fix', () => {
    const root = tempDir();
    writeFileSync(join(root, 'optik.db'), 'this is not an SQLite database, it was overwritten by mistake '.repeat(100));
    for (const options of [{ root }, { root, readOnly: true }]) {
      const error = caught(() => openStore(options));
      expect(error.code).toBe('STORE_CORRUPT');
      expect(error.message).toContain(join(root, 'optik.db'));
      expect(error.message).toMatch(/Cause: SQLITE_NOTADB/);
      expect(error.message).toMatch(/move it aside/);
    }
  });

  it('a truncated database is STORE_CORRUPT when read', () => {
    const root = tempDir();
    const store = openStore({ root, gitCwd: root });
    for (let i = 0; i < 40; i++) store.createRun({ task: 'classification', config: { i, pad: 'x'.repeat(2000) } });
    store.close();
    const file = join(root, 'optik.db');
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const error = caught(() => {
      const again = openStore({ root, gitCwd: root });
      try {
        again.listRuns();
      } finally {
        again.close();
      }
    });
    expect(['STORE_CORRUPT']).toContain(error.code);
    expect(error.message).toMatch(/Cause: SQLITE_CORRUPT/);
  });
});

const disk = mountSmallDisk(1024);
if (!disk.ok) console.log(`hostile.test.ts (track): full and read-only disk cases skipped: ${disk.reason}`);
afterAll(() => {
  if (disk.ok) disk.release();
});

describe.skipIf(!disk.ok)('a full or read-only disk (a 1 MiB tmpfs)', () => {
  const dir = disk.ok ? disk.dir : '';
  const fs = disk.ok ? disk : undefined;

  it('a full disk: writes fail with DISK_FULL and leave no partial file; listing still works, read-only', async () => {
    const root = join(dir, 'full');
    // A process killed mid-run leaves its last commits in the WAL file, not yet in optik.db.
    const child = forkChild(['crash', root, '3']);
    const ended = exited(child);
    const crashed = await message<number>(child, 'ready');
    child.kill('SIGKILL');
    await ended;
    expect(readFileSync(join(root, 'optik.db-wal')).length).toBeGreaterThan(32);

    const store = openStore({ root, gitCwd: root });
    const run = store.createRun({ task: 'classification', name: 'before' });
    run.logEpoch(0, { loss: 1 });
    fs?.fill();
    try {
      const full = caught(() => {
        for (let epoch = 1; epoch < 200; epoch++) {
          run.logEpoch(epoch, { loss: 1 / epoch, padding: epoch });
          run.updateParams({ [`p${epoch}`]: 'x'.repeat(4000) });
        }
      });
      expect(full.code).toBe('DISK_FULL');
      expect(full.message).toMatch(/No space left on the disk/);
      expect(full.message).toMatch(/Free disk space/);
      expect(caught(() => store.createRun({ task: 'classification' })).code).toBe('DISK_FULL');
      const leftovers = readdirSync(run.dir, { recursive: true }).filter((f) => String(f).endsWith('.tmp'));
      expect(leftovers).toEqual([]);
      store.close();

      // Listing needs no write: a read-write open falls back to nothing, a read-only open works.
      const reader = openStore({ root, readOnly: true });
      try {
        const names = reader.listRuns().map((r) => r.name);
        expect(names).toContain('before');
        expect(names).toContain('crash');
        expect(reader.getRun(crashed).epochs.map((e) => e.epoch)).toEqual([0, 1, 2]);
        expect(caught(() => reader.createRun({ task: 'classification' })).code).toMatch(/STORE_READONLY|DISK_FULL/);
      } finally {
        reader.close();
      }
    } finally {
      fs?.unfill();
    }
    // With room again, everything recorded before is intact and the store takes writes.
    const again = openStore({ root, gitCwd: root });
    try {
      expect(again.getRun('classification/before').epochs.length).toBeGreaterThanOrEqual(1);
      expect(again.getRun(crashed).status).toBe('interrupted');
      again.createRun({ task: 'classification', name: 'after' }).finish();
    } finally {
      again.close();
    }
  });

  it('a read-only disk: writing is STORE_READONLY with cause and fix; listing works', () => {
    const root = join(dir, 'readonly');
    const store = openStore({ root, gitCwd: root });
    store.createRun({ task: 'classification', name: 'kept' }).finish({ metrics: { accuracy: 0.75 } });
    store.close();
    fs?.remount(false);
    try {
      const error = caught(() => openStore({ root, gitCwd: root }).createRun({ task: 'classification' }));
      expect(error.code).toBe('STORE_READONLY');
      expect(error.message).toMatch(/Cause: (EROFS|SQLITE_READONLY|SQLITE_CANTOPEN)/);
      expect(error.message).toMatch(/writable/);
      const reader = openStore({ root, readOnly: true });
      try {
        expect(reader.listRuns().map((r) => [r.name, r.metrics.accuracy])).toEqual([['kept', 0.75]]);
      } finally {
        reader.close();
      }
    } finally {
      fs?.remount(true);
    }
  });
});
