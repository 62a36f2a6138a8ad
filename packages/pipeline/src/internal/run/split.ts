import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OptikError } from '@optik/core';
import type { InMemoryDataset } from '@optik/data';
import { concatDatasets } from '../tasks/shared/splits.js';
import type { TaskData } from '../tasks/types.js';

/** What `split.json` records of a run's test split: which images, and a hash of their pixels. */
interface RecordedSplit {
  readonly test: { readonly count: number; readonly sha256: string; readonly sources: readonly string[] | null };
}

function pixelsHash(dataset: InMemoryDataset): string {
  return createHash('sha256').update(dataset.images).update(Int32Array.from(dataset.labels)).digest('hex');
}

/** Writes `split.json`: the test split's image ids (file paths or `dataset#index`) and a hash of its pixels. */
export function recordSplit(runDir: string, data: TaskData): void {
  const record: RecordedSplit = {
    test: { count: data.test.length, sha256: pixelsHash(data.test), sources: data.test.sources ?? null },
  };
  writeFileSync(join(runDir, 'split.json'), `${JSON.stringify(record)}\n`);
}

/**
 * The test split a run was evaluated on at training time, from what its data source holds now: the same split when
 * nothing changed; else the recorded images that are still there (picked from all splits as loaded now), with a
 * warning — so files added to a folder since training can never move training images into the test set.
 */
export function recordedTestSplit(runDir: string, data: TaskData): { test: InMemoryDataset; warnings: string[] } {
  const file = join(runDir, 'split.json');
  if (!existsSync(file)) {
    return {
      test: data.test,
      warnings: ['the run has no split.json (trained before it was recorded): test split recomputed'],
    };
  }
  const recorded = (JSON.parse(readFileSync(file, 'utf8')) as RecordedSplit).test;
  if (data.test.length === recorded.count && pixelsHash(data.test) === recorded.sha256)
    return { test: data.test, warnings: [] };
  if (recorded.sources === null) {
    return {
      test: data.test,
      warnings: ['the data changed since training and the run recorded no image ids: test split recomputed'],
    };
  }
  const all = concatDatasets(concatDatasets(data.train, data.validation), data.test);
  const at = new Map((all.sources ?? []).map((source, i) => [source, i]));
  const found = recorded.sources.map((source) => at.get(source)).filter((i): i is number => i !== undefined);
  if (found.length === 0) {
    throw new OptikError('DATA_MISMATCH', "None of the run's recorded test images is in its data source any more.", {
      file,
      hint: 'Evaluate on other data with --data, or restore the images the run was trained with.',
    });
  }
  const missing = recorded.count - found.length;
  return {
    test: all.subset(found),
    warnings: [
      `the data changed since training: evaluated on the ${found.length} recorded test images still there${missing > 0 ? ` (${missing} missing)` : ''}, not on a recomputed split`,
    ],
  };
}
