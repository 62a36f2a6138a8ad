import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isOptikError, type OptikError } from '@optik/core';
import { readVoc, writeCoco, writeYolo } from '@optik/data';
import { type BoxImage, boxImages, expectJsonClose, readCsv, tempDir, writePng, writeVocFolder } from '@optik/testing';
import { openStore } from '@optik/track';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type PipelineConfig, resolvePipelineConfig, runTraining, type TrainingResult } from '../index.js';

// Localization from files: the same images through VOC, COCO and YOLO train to the same metrics, and bad
// annotations are a coded one-paragraph error or a counted skip that loses nothing already in the store.

const dir = tempDir('optik-localization-');
const root = join(dir, 'runs');

const CLASSES = ['dim', 'bright'];
const images = boxImages({ count: 36, height: 32, width: 48, classes: CLASSES, seed: 4 });
/** The same images plus one without a box (a counted skip in every format). */
const withUnboxed: BoxImage[] = [...images, { ...(images[0] as BoxImage), name: 'unboxed.png', objects: [] }];

function config(source: Record<string, unknown>, name: string): PipelineConfig {
  return resolvePipelineConfig({
    task: 'localization',
    name,
    seed: 3,
    backend: 'cpu',
    data: { source, imageSize: [32, 48], colorMode: 'grayscale', batchSize: 8 },
    model: {
      layers: [
        { type: 'conv', filters: 4, kernelSize: 3 },
        { type: 'pool', poolSize: 2 },
        { type: 'flatten' },
        { type: 'dense', units: 16 },
      ],
    },
    train: { epochs: 1 },
    output: { root },
  });
}

/** A VOC folder of six good images and `bad` (written as given). */
function vocWith(name: string, bad: BoxImage): string {
  const path = join(dir, name);
  writeVocFolder(path, [...images.slice(0, 6), bad]);
  return path;
}

async function trainingError(cfg: () => PipelineConfig): Promise<OptikError> {
  try {
    await runTraining(cfg(), { progress: false });
  } catch (error) {
    if (isOptikError(error)) return error;
    throw error;
  }
  throw new Error('expected runTraining to fail');
}

/** A coded error whose message is one paragraph naming what was wrong. */
function expectOneParagraph(error: OptikError, code: string, mentions: RegExp): void {
  expect(error.code).toBe(code);
  expect(error.message).not.toContain('\n');
  expect(error.message).toMatch(mentions);
}

describe('localization from VOC, COCO and YOLO', () => {
  const results: Record<'voc' | 'coco' | 'yolo', TrainingResult> = {} as never;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    const voc = join(dir, 'voc');
    writeVocFolder(voc, withUnboxed);
    const dataset = readVoc(voc);
    const coco = await writeCoco(dataset, join(dir, 'coco', 'instances.json'));
    const yolo = await writeYolo(dataset, join(dir, 'yolo'));
    results.voc = await runTraining(config({ format: 'voc', path: voc }, 'voc'), { progress: false });
    results.coco = await runTraining(config({ format: 'coco', path: coco, imageRoot: voc }, 'coco'), {
      progress: false,
    });
    results.yolo = await runTraining(config({ format: 'yolo', path: yolo }, 'yolo'), { progress: false });
  }, 120_000);

  it('trains to the same metrics from each format', () => {
    expect(results.voc.metrics.numSamples).toBeGreaterThan(0);
    expectJsonClose(results.coco.metrics, results.voc.metrics, 1e-5, 'COCO vs VOC headline');
    expectJsonClose(results.yolo.metrics, results.voc.metrics, 1e-5, 'YOLO vs VOC headline');
    expectJsonClose(results.coco.report, results.voc.report, 1e-5, 'COCO vs VOC report');
    expectJsonClose(results.yolo.report, results.voc.report, 1e-5, 'YOLO vs VOC report');
  });

  it('skips the image without a box, counted in metrics.json and listed in skipped.csv', () => {
    for (const result of Object.values(results)) {
      expect(result.skipped.map((s) => s.file.split(/[\\/]/).at(-1))).toEqual(['unboxed.png']);
      const { header, rows } = readCsv(readFileSync(join(result.runDir, 'skipped.csv'), 'utf8'));
      expect(header).toEqual(['file', 'reason']);
      expect(rows).toHaveLength(1);
      expect(rows[0]?.[0]).toMatch(/unboxed\.png$/);
      expect(rows[0]?.[1]).toMatch(/no box/);
      const metrics = JSON.parse(readFileSync(join(result.runDir, 'metrics.json'), 'utf8'));
      expect(metrics.dataset.skipped).toBe(1);
      expect(metrics.dataset.train + metrics.dataset.validation + metrics.dataset.test).toBe(images.length);
    }
  });

  it('refuses bad annotations with coded one-paragraph errors, and loses no run already in the store', async () => {
    const listed = () => {
      const store = openStore({ root });
      try {
        return store.listRuns().map((r) => `${r.task}/${r.name} ${r.status}`);
      } finally {
        store.close();
      }
    };
    const before = listed();
    expect(before).toEqual(
      expect.arrayContaining([
        'localization/voc completed',
        'localization/coco completed',
        'localization/yolo completed',
      ]),
    );
    const good = images[6] as BoxImage;

    const outside = vocWith('outside', {
      ...good,
      name: 'outside.png',
      objects: [{ label: 'dim', box: [60, 40, 70, 50] }],
    });
    expectOneParagraph(
      await trainingError(() => config({ format: 'voc', path: outside }, 'outside')),
      'DATA_FORMAT',
      /entirely outside the 48×32 image.*outside\.xml/,
    );

    const degenerate = vocWith('degenerate', {
      ...good,
      name: 'degenerate.png',
      objects: [{ label: 'dim', box: [10, 5, 10, 20] }],
    });
    // A zero-width box is dropped and listed when read (as COCO tools drop degenerate boxes); strict refuses it.
    expectOneParagraph(
      await trainingError(() => config({ format: 'voc', path: degenerate, strict: true }, 'degenerate')),
      'DATA_FORMAT',
      /zero width.*degenerate\.xml/,
    );

    const unknown = vocWith('unknown', {
      ...good,
      name: 'unknown.png',
      objects: [{ label: 'other', box: [1, 1, 20, 20] }],
    });
    expectOneParagraph(
      await trainingError(() => config({ format: 'voc', path: unknown, classNames: CLASSES }, 'unknown')),
      'DATA_UNKNOWN_CLASS',
      /"other".*unknown\.xml.*dim, bright/,
    );

    // A class-per-folder (classification) tree: refused as a localization source, and not mistaken for VOC.
    const folders = join(dir, 'folders');
    for (const name of CLASSES) {
      mkdirSync(join(folders, name), { recursive: true });
      writePng(join(folders, name, '0.png'), 48, 32, 1, good.pixels);
    }
    let refused: unknown;
    try {
      config({ format: 'folder', path: folders }, 'folders');
    } catch (error) {
      refused = error;
    }
    expect(isOptikError(refused, 'CONFIG_INVALID')).toBe(true);
    expectOneParagraph(refused as OptikError, 'CONFIG_INVALID', /data\.source\.format.*voc, coco, yolo or csv/);
    const asVoc = await trainingError(() => config({ format: 'voc', path: folders }, 'folders'));
    expect(asVoc.code).toMatch(/^DATA_/);
    expect(asVoc.message).not.toContain('\n');

    expect(listed()).toEqual(before);
    for (const name of ['outside', 'degenerate', 'unknown', 'folders']) {
      expect(existsSync(join(root, 'localization', name)), name).toBe(false);
    }
  });
});
