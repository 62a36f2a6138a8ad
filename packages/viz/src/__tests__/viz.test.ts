import { isOptikError } from '@optik/core';
import { AveragePrecision } from '@optik/metrics';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  barChart,
  type ChartSpec,
  compareCurvesChart,
  confusionMatrixChart,
  imageGrid,
  learningCurvesChart,
  lineChart,
  parallelCoordinatesChart,
  prCurvesChart,
  renderPng,
  renderSvg,
  scatterChart,
} from '../index.js';

// No chart may touch the network: any fetch fails the test run.
const fetchSpy = vi.fn(async () => {
  throw new Error('network access during a viz test');
});
const realFetch = globalThis.fetch;
beforeAll(() => {
  globalThis.fetch = fetchSpy as unknown as typeof fetch;
});
afterAll(() => {
  globalThis.fetch = realFetch;
  expect(fetchSpy).not.toHaveBeenCalled();
});

async function pngSize(png: Buffer): Promise<{ width: number; height: number; format: string }> {
  const meta = await sharp(png).metadata();
  return { width: meta.width ?? 0, height: meta.height ?? 0, format: meta.format ?? '' };
}

/** How many marks of one kind (`line mark`, `rect mark`, `point`, …) the SVG draws. */
function marks(svg: string, role: string): number {
  return svg.split(`aria-roledescription="${role}"`).length - 1;
}

function svgSize(svg: string): { width: number; height: number } {
  const match = /<svg[^>]* width="(\d+(?:\.\d+)?)" height="(\d+(?:\.\d+)?)"/.exec(svg);
  expect(match).not.toBeNull();
  return { width: Number(match![1]), height: Number(match![2]) };
}

async function errorCode(promise: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    return isOptikError(error) ? error.code : `not-an-OptikError: ${String(error)}`;
  }
  return undefined;
}

const history = [
  { epoch: '1', loss: '0.90', val_loss: '0.80', accuracy: '0.70', val_accuracy: '0.72', lr: '0.001' },
  { epoch: '2', loss: '0.50', val_loss: '0.55', accuracy: '0.83', val_accuracy: '0.81', lr: '0.001' },
  { epoch: '3', loss: '0.35', val_loss: '0.50', accuracy: '0.88', val_accuracy: '0.84', lr: '0.0005' },
];

describe('charts render to SVG and PNG offline', () => {
  it('learning curves: train and validation lines per metric, from CSV-like rows', async () => {
    const svg = await renderSvg(learningCurvesChart(history));
    expect(svg).toContain('Learning curves');
    for (const text of ['loss', 'accuracy', 'train', 'validation', 'epoch']) expect(svg).toContain(`>${text}<`);
    // two panels × (train, validation) = four lines of three points each
    expect(marks(svg, 'line mark')).toBe(4);
    expect(marks(svg, 'point')).toBe(12);
    const png = await renderPng(learningCurvesChart(history));
    const size = await pngSize(png);
    expect(size.format).toBe('png');
    expect(size).toMatchObject(svgSize(svg));
    const doubled = await pngSize(await renderPng(learningCurvesChart(history), { scale: 2 }));
    expect(doubled.width).toBe(2 * size.width);
  });

  it('learning curves accept camelCase keys and a single metric', async () => {
    const rows = [
      { loss: 1, valLoss: 1.1 },
      { loss: 0.6, valLoss: 0.8 },
    ];
    const svg = await renderSvg(learningCurvesChart(rows, { title: 'Run 7' }));
    expect(svg).toContain('Run 7');
    expect(svg).toContain('>validation<');
    expect(svg).not.toContain('>accuracy<');
    expect(await errorCode(() => learningCurvesChart([{ foo: 1 }]))).toBe('ARGUMENT_INVALID');
  });

  it('compare curves: the runs overlaid, one colour each, train dashed and validation solid', async () => {
    const other = history.map((row) => ({ ...row, val_loss: String(Number(row.val_loss) + 0.1) }));
    const svg = await renderSvg(
      compareCurvesChart([
        { name: '3:baseline', rows: history },
        { name: '4:dropout', rows: other },
        { name: '5:empty', rows: [] },
      ]),
    );
    for (const text of ['3:baseline', '4:dropout', 'loss', 'accuracy', 'train', 'validation']) {
      expect(svg).toContain(`>${text}<`);
    }
    // two panels × two runs × (train, validation); the run without epochs draws nothing
    expect(marks(svg, 'line mark')).toBe(8);
    expect(svg).toContain('stroke-dasharray="5,3"');
    expect((await pngSize(await renderPng(compareCurvesChart([{ name: 'a', rows: history }])))).format).toBe('png');
    expect(await errorCode(() => compareCurvesChart([]))).toBe('ARGUMENT_INVALID');
    expect(
      await errorCode(() =>
        compareCurvesChart([
          { name: 'a', rows: history },
          { name: 'a', rows: history },
        ]),
      ),
    ).toBe('ARGUMENT_INVALID');
    expect(await errorCode(() => compareCurvesChart([{ name: 'a', rows: [] }]))).toBe('ARGUMENT_INVALID');
  });

  it('confusion matrix heatmap: class names, counts and normalised shares', async () => {
    const names = ['T-shirt', 'Trouser', 'Bag'];
    const matrix = [
      [8, 1, 1],
      [0, 10, 0],
      [3, 0, 7],
    ];
    const spec = confusionMatrixChart(matrix, names, { cellSize: 40 });
    const svg = await renderSvg(spec);
    for (const name of names) expect(svg).toContain(`>${name}<`);
    expect(svg).toContain('Confusion matrix');
    expect(svg).toContain('>80%<');
    expect(svg).toContain('>100%<');
    expect(marks(svg, 'rect mark')).toBe(9);
    expect(marks(svg, 'text mark')).toBe(9);
    expect(svg).toContain('d="M0,0h40v40h-40Z"');
    const png = await renderPng(spec);
    expect(await pngSize(png)).toMatchObject(svgSize(svg));
    expect(await errorCode(() => confusionMatrixChart([[1, 2]], names))).toBe('DATA_MISMATCH');
  });

  it('PR curves from @optik/metrics, labelled with average precision, thinned when long', async () => {
    const ap = new AveragePrecision({ numClasses: 3 });
    ap.update(
      [0, 1, 2, 0, 1, 2, 0, 2],
      [
        [0.7, 0.2, 0.1],
        [0.2, 0.5, 0.3],
        [0.1, 0.3, 0.6],
        [0.4, 0.4, 0.2],
        [0.3, 0.3, 0.4],
        [0.2, 0.2, 0.6],
        [0.5, 0.1, 0.4],
        [0.6, 0.1, 0.3],
      ],
    );
    const curves = ap.curves();
    const svg = await renderSvg(prCurvesChart(curves, ['cat', 'dog', 'fox']));
    expect(svg).toContain(`cat (AP ${curves[0]!.averagePrecision.toFixed(3)})`);
    expect(svg).toContain('>recall<');
    expect(svg).toContain('>precision<');
    expect(marks(svg, 'line mark')).toBe(3);
    const long = { classId: 0, recall: [], precision: [], thresholds: [], averagePrecision: 0.5 } as {
      classId: number;
      recall: number[];
      precision: number[];
      thresholds: number[];
      averagePrecision: number;
    };
    for (let i = 1000; i >= 0; i--) {
      long.recall.push(i / 1000);
      long.precision.push(1 - i / 2000);
    }
    const thinned = prCurvesChart([long], ['x'], { maxPoints: 50 });
    expect((thinned.data as { values: unknown[] }).values.length).toBe(50);
  });

  it('generic line, bar, scatter and parallel-coordinates charts', async () => {
    const trials = Array.from({ length: 8 }, (_, i) => ({
      trial: i,
      value: 0.6 + 0.04 * i - 0.01 * (i % 3),
      'model.dropout': 0.1 * (i % 4),
      learningRate: 10 ** -(1 + (i % 4)),
      state: i % 2 === 0 ? 'complete' : 'pruned',
    }));
    const line = await renderSvg(
      lineChart(trials, { x: 'trial', y: 'value', series: 'state', title: 'Optimisation history' }),
    );
    expect(line).toContain('Optimisation history');
    expect(line).toContain('>complete<');
    expect(marks(line, 'line mark')).toBe(2);
    expect(marks(line, 'point')).toBe(8);

    const bars = await renderSvg(
      barChart(
        [
          { parameter: 'learningRate', importance: 0.7 },
          { parameter: 'model.dropout', importance: 0.3 },
        ],
        { category: 'parameter', value: 'importance', title: 'Parameter importance' },
      ),
    );
    expect(bars).toContain('>model.dropout<');
    expect(bars).toContain('Parameter importance');
    expect(marks(bars, 'bar')).toBe(2);

    const scatterSpec = scatterChart(trials, { x: 'model.dropout', y: 'value', color: 'trial', title: 'Slice' });
    const scatter = await renderSvg(scatterSpec);
    expect(scatter).toContain('>model.dropout<');
    expect(marks(scatter, 'point')).toBe(8);
    const sliced = await renderSvg(scatterChart(trials, { x: 'learningRate', y: 'value', facet: 'state', logX: true }));
    expect(sliced).toContain('>pruned<');
    expect(marks(sliced, 'point')).toBe(8);

    const parallel = await renderSvg(
      parallelCoordinatesChart(trials, { dimensions: ['learningRate', 'model.dropout', 'value'], color: 'value' }),
    );
    expect(parallel).toContain('>model.dropout<');
    expect(parallel).toContain('>learningRate<');
    expect(marks(parallel, 'line mark')).toBe(8);
    expect(marks(parallel, 'rule mark')).toBe(3);
    const png = await renderPng(scatterSpec);
    expect(await pngSize(png)).toMatchObject(svgSize(scatter));
  });

  it('tied values (every trial 0.5, a parameter with one value) get a padded axis with readable ticks', async () => {
    const tied = [0, 1, 2, 3].map((trial) => ({ trial, learningRate: 0.001, value: 0.5 }));
    for (const spec of [
      lineChart(tied, { x: 'trial', y: 'value' }),
      scatterChart(tied, { x: 'learningRate', y: 'value', logX: true }),
      scatterChart(tied, { x: 'learningRate', y: 'value' }),
    ]) {
      const svg = await renderSvg(spec);
      expect(svg).not.toContain('0.500000');
      const ticks = [...svg.matchAll(/>(0\.\d+)</g)].map((m) => Number(m[1]));
      expect(Math.min(...ticks)).toBeLessThan(0.5);
      expect(Math.max(...ticks)).toBeGreaterThan(0.5);
    }
  });

  it('rejects unknown columns and bad options with coded errors', async () => {
    expect(await errorCode(() => lineChart([{ a: 1 }], { x: 'a', y: 'b' }))).toBe('ARGUMENT_INVALID');
    expect(await errorCode(() => barChart([], { category: 'a', value: 'b' }))).toBe('ARGUMENT_INVALID');
    expect(await errorCode(() => lineChart([{ a: 1, b: 2 }], { x: 'a', y: 'b', width: 10 }))).toBe('CONFIG_INVALID');
    expect(await errorCode(() => scatterChart([{ a: 1, b: 2 }], { x: 'a', y: 'b', colour: 'a' } as never))).toBe(
      'CONFIG_UNKNOWN_KEY',
    );
    expect(await errorCode(() => parallelCoordinatesChart([{ a: 1 }], { dimensions: ['a'] }))).toBe('CONFIG_INVALID');
  });

  it('never loads remote data: a spec with a data URL is refused without fetching', async () => {
    const spec: ChartSpec = {
      data: { url: 'https://example.com/data.json' },
      mark: 'point',
      encoding: { x: { field: 'a', type: 'quantitative' } },
    };
    await expect(renderSvg(spec)).rejects.toThrow(/render offline.*https:\/\/example\.com\/data\.json/);
    expect(fetchSpy).not.toHaveBeenCalled();
  });
});

describe('imageGrid', () => {
  function digit(value: number, size = 8): Uint8Array {
    const data = new Uint8Array(size * size);
    for (let y = 2; y < size - 2; y++) data[y * size + 3] = value;
    return data;
  }

  it('composes grayscale and RGB tiles with labels; wrong predictions are framed in red', async () => {
    const rgb = new Float32Array(8 * 8 * 3).fill(0.5);
    const items = [
      {
        image: { width: 8, height: 8, channels: 1 as const, data: digit(255) },
        trueLabel: 'one',
        predictedLabel: 'one',
      },
      {
        image: { width: 8, height: 8, channels: 1 as const, data: digit(200) },
        trueLabel: 'one',
        predictedLabel: 'seven',
      },
      {
        image: { width: 8, height: 8, channels: 3 as const, data: rgb },
        trueLabel: '<cat & dog>',
        predictedLabel: '<cat & dog>',
      },
    ];
    const png = await imageGrid(items, { columns: 2, cellSize: 32, title: 'Predictions' });
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    // GAP 8, cell = 32 + 2·3 border wide, + 32 label rows; title 26
    const cellWidth = 38;
    const cellHeight = 38 + 32;
    expect(info.width).toBe(8 + 2 * (cellWidth + 8));
    expect(info.height).toBe(26 + 8 + 2 * (cellHeight + 8));
    const pixel = (x: number, y: number) => {
      const i = (y * info.width + x) * info.channels;
      return [data[i]!, data[i + 1]!, data[i + 2]!] as const;
    };
    const frameY = 26 + 8 + 1; // middle of the top frame line
    const correctFrame = pixel(8 + 10, frameY);
    const wrongFrame = pixel(8 + cellWidth + 8 + 10, frameY);
    expect(wrongFrame[0]).toBeGreaterThan(180);
    expect(wrongFrame[1]).toBeLessThan(80);
    expect(correctFrame[0] - correctFrame[1]).toBeLessThan(20);
    // the bright stroke of the first digit is scaled up without smoothing: column 3 of 8 → x 12..15 of 32
    const inside = pixel(8 + 3 + 13, 26 + 8 + 3 + 16);
    expect(inside).toEqual([255, 255, 255]);
    const background = pixel(8 + 3 + 2, 26 + 8 + 3 + 16);
    expect(background).toEqual([0, 0, 0]);
    // the RGB tile (0.5 → 128)
    expect(pixel(8 + 3 + 16, 26 + 8 + cellHeight + 8 + 3 + 16)).toEqual([128, 128, 128]);
  });

  it('rejects mismatched pixel buffers and empty input', async () => {
    const bad = {
      image: { width: 8, height: 8, channels: 3 as const, data: new Uint8Array(64) },
      trueLabel: 'a',
      predictedLabel: 'a',
    };
    expect(await errorCode(imageGrid([bad]))).toBe('DATA_MISMATCH');
    expect(await errorCode(imageGrid([]))).toBe('ARGUMENT_INVALID');
  });
});
