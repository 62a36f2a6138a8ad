// End to end in a real Chromium: `optik ui` on a fixture store made by tiny real trainings; each page is opened,
// its table rows and chart data points are checked against the store, and screenshots are saved for a person.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspectDataset } from '@optik/data';
import { tempDir } from '@optik/testing';
import type { RunRecord, Store } from '@optik/track';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fixture, makeFixture, readStore } from '../src/__tests__/fixture.js';
import { chromiumRequired, findChromium, startUi, type UiProcess } from './browser.js';

const executablePath = findChromium();
if (executablePath === undefined) {
  const message =
    'dashboard e2e: no Chromium found (install Debian `chromium`, as tooling/scripts/setup.sh does as root, or set OPTIK_CHROMIUM).';
  if (chromiumRequired()) throw new Error(`${message} CI needs it, so this fails.`);
  console.warn(`${message} Skipping the browser tests.`);
}

const SHOTS = fileURLToPath(new URL('../docs/screenshots/latest/', import.meta.url));

describe.skipIf(executablePath === undefined)('the dashboard in Chromium', () => {
  let fx: Fixture;
  let ui: UiProcess;
  let browser: Browser;
  let page: Page;

  const stored = <T>(read: (store: Store) => T): T => readStore(fx.root, read);
  const open = async (hash: string) => {
    await page.goto(`${ui.url}#${hash}`);
    await page.waitForSelector('main[data-ready="true"]');
  };
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  /** The data rows of a named chart's source, as plotted. */
  const points = (chart: string) =>
    page.evaluate((name) => window.optikCharts[name]?.data('source_0') ?? null, chart) as Promise<
      Record<string, unknown>[] | null
    >;
  const waitForChart = (chart: string) =>
    page.waitForFunction((name) => window.optikCharts?.[name] !== undefined, chart, { timeout: 10_000 });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    fx = await makeFixture();
    const data = join(fx.root, '..', 'data');
    await inspectDataset({ format: 'folder', path: data }, { outDir: join(fx.root, 'datasets', 'dark-bright') });
    ui = await startUi(fx.root);
    browser = await chromium.launch({ executablePath: executablePath as string, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });
  afterAll(async () => {
    await browser?.close();
    await ui?.stop();
    fx?.close();
  });

  const runRows = () =>
    page.$$eval('table[data-table="runs"] tbody tr', (rows) =>
      rows.map((r) => Number((r as HTMLElement).dataset.runId)),
    );
  /** After a click or a keystroke: the page the server answered is drawn. */
  const drawn = () => page.waitForSelector('.table-wrap[data-loading="false"]');
  const range = async () => ({
    text: await page.locator('[data-range]').textContent(),
    total: Number(await page.locator('[data-range]').getAttribute('data-total')),
  });

  it('Runs: one row per stored run, with status and headline metrics; filter and sort go to the server', async () => {
    await open('/');
    const runs = stored((s) => s.listRuns({ order: 'desc' }));
    expect(await runRows()).toEqual(runs.map((r) => r.id));
    expect(await range()).toEqual({ text: `1–${runs.length} of ${runs.length} runs`, total: runs.length });
    const row = page.locator(`tr[data-run-id="${fx.trainedId}"]`);
    expect(await row.locator('[data-status]').textContent()).toBe('completed');
    const accuracy = runs.find((r) => r.id === fx.trainedId)?.metrics.accuracy as number;
    expect(Number(await row.locator('td[data-metric="accuracy"]').textContent())).toBeCloseTo(accuracy, 4);
    expect(await page.locator(`tr[data-run-id="${fx.runningId}"] [data-status]`).textContent()).toBe('running');
    await shot('runs');

    // The filter box asks the server (name, task or tag), and the address keeps it for Back and reloads.
    await page.fill('input[data-filter="text"]', 'TINY');
    await drawn();
    expect((await runRows()).sort()).toEqual([fx.trainedId, fx.secondId].sort());
    expect(await range()).toEqual({ text: '1–2 of 2 matching runs', total: 2 });
    expect(page.url()).toContain('q=TINY');
    await page.fill('input[data-filter="text"]', '');
    await drawn();
    await page.selectOption('select[data-filter="status"]', 'failed');
    await drawn();
    expect(await runRows()).toEqual([fx.brokenId]);
    await page.selectOption('select[data-filter="status"]', '');
    await drawn();

    // Sorting is the server's: by name up, then down; by a headline metric, best first, runs without it last.
    await page.click('th[data-sort="name"]');
    await drawn();
    expect(await runRows()).toEqual(stored((s) => s.listRuns({ sortBy: 'name' })).map((r) => r.id));
    expect(await page.getAttribute('th[data-sort="name"]', 'aria-sort')).toBe('ascending');
    await page.click('th[data-sort="name"]');
    await drawn();
    expect(await runRows()).toEqual(stored((s) => s.listRuns({ sortBy: 'name', order: 'desc' })).map((r) => r.id));
    await page.click('th[data-sort="metrics.accuracy"]');
    await drawn();
    expect(await runRows()).toEqual(
      stored((s) => s.listRuns({ sortBy: 'metrics.accuracy', order: 'desc' })).map((r) => r.id),
    );
  });

  it('Runs: pages through the server, five runs at a time, in the sorted order', async () => {
    const all = stored((s) => s.listRuns({ sortBy: 'name' })).map((r) => r.id);
    expect(all.length).toBeGreaterThan(10);
    await open('/?sort=name&order=asc&limit=5');
    expect(await runRows()).toEqual(all.slice(0, 5));
    expect(await range()).toEqual({ text: `1–5 of ${all.length} runs`, total: all.length });
    expect(await page.isDisabled('button[data-page="previous"]')).toBe(true);
    await page.click('button[data-page="next"]');
    await drawn();
    expect(await runRows()).toEqual(all.slice(5, 10));
    expect(page.url()).toContain('offset=5');
    await page.click('button[data-page="last"]');
    await drawn();
    const lastStart = Math.floor((all.length - 1) / 5) * 5;
    expect(await runRows()).toEqual(all.slice(lastStart));
    expect(await range()).toEqual({ text: `${lastStart + 1}–${all.length} of ${all.length} runs`, total: all.length });
    expect(await page.isDisabled('button[data-page="next"]')).toBe(true);
    // A reload keeps the page; a new filter starts again at the first page.
    await page.reload();
    await page.waitForSelector('main[data-ready="true"]');
    expect(await runRows()).toEqual(all.slice(lastStart));
    await page.fill('input[data-filter="text"]', 'trial');
    await drawn();
    expect(await range()).toEqual({ text: '1–5 of 8 matching runs', total: 8 });
    await page.selectOption('select[data-page-size]', '50');
    await drawn();
    expect((await runRows()).length).toBe(8);
  });

  it('Runs (live): an epoch logged by the training shows in its row within a poll, with no reload', async () => {
    await open('/');
    const cell = page.locator(`tr[data-run-id="${fx.runningId}"] td[data-epoch-count]`);
    const before = Number(await cell.textContent());
    // Choosing runs to compare meanwhile: the checked box keeps its tick and the focus through the redraw.
    const box = `tr[data-run-id="${fx.runningId}"] input[type="checkbox"]`;
    await page.check(box);
    fx.appendEpoch();
    await page.waitForFunction(
      ([id, n]) => document.querySelector(`tr[data-run-id="${id}"] td[data-epoch-count]`)?.textContent === String(n),
      [fx.runningId, before + 1] as const,
      { timeout: 5000 },
    );
    expect(await page.isChecked(box)).toBe(true);
    expect(await page.$eval(box, (el) => el === document.activeElement)).toBe(true);
  });

  it('Run: learning-curve points, confusion matrix, per-class table and model summary match the run folder', async () => {
    await open(`/runs/${fx.trainedId}`);
    await waitForChart('learningCurves');
    const record: RunRecord = stored((s) => s.getRun(fx.trainedId));
    const plotted = (await points('learningCurves')) ?? [];
    const expected = record.epochs.flatMap((e) =>
      ['loss', 'accuracy'].flatMap((m) => [
        { epoch: e.epoch, metric: m, split: 'train', value: e.metrics[m] },
        { epoch: e.epoch, metric: m, split: 'validation', value: e.metrics[`val_${m}`] },
      ]),
    );
    for (const point of expected) {
      expect(plotted).toContainEqual(expect.objectContaining(point));
    }
    const metrics = JSON.parse(readFileSync(join(record.dir, 'metrics.json'), 'utf8'));
    const matrix = await page.$$eval('table[data-table="confusion"] tbody tr', (rows) =>
      rows.map((r) => [...r.querySelectorAll('td')].map((td) => Number(td.dataset.count))),
    );
    expect(matrix).toEqual(metrics.confusionMatrix);
    expect(await page.locator('table[data-table="per-class"] tbody tr').count()).toBe(metrics.perClass.length);
    const model = JSON.parse(readFileSync(join(record.dir, 'model-summary.json'), 'utf8'));
    expect(await page.locator('table[data-table="model"] tbody tr').count()).toBe(model.layers.length);
    expect(await page.locator('.verdict').textContent()).toBeTruthy();
    // A cell with images: clicking it shows that many thumbnails, each a real image from predictions.csv.
    const cell = page.locator('td.cell.clickable').first();
    const count = Number(await cell.getAttribute('data-count'));
    await cell.click();
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('[data-cell-images] img')].every(
        (i) => i.complete && i.naturalWidth > 0,
      ),
    );
    expect(await page.locator('[data-cell-images] img').count()).toBe(Math.min(count, 48));
    const report = await page.request.get(`${ui.url}files/${fx.trainedId}/report.html`);
    expect(report.status()).toBe(200);
    await shot('run');
  });

  it('Run (live): a new epoch written by the training process shows on the curve within 2 s', async () => {
    await open(`/runs/${fx.runningId}`);
    await waitForChart('learningCurves');
    const before = (await points('learningCurves'))?.length ?? 0;
    const epoch = fx.appendEpoch();
    await page.waitForFunction(
      ([n, e]) => {
        const rows = window.optikCharts.learningCurves?.data('source_0') ?? [];
        return rows.length > n && rows.some((r) => r.epoch === e);
      },
      [before, epoch] as const,
      { timeout: 2000 },
    );
    const after = (await points('learningCurves')) ?? [];
    // loss and accuracy, train and validation: four new points.
    expect(after.length).toBe(before + 4);
    expect(await page.locator('[data-epochs]').textContent()).toBe(String(epoch));
    await shot('run-live');
  });

  it('Run: training keeps writing at full speed while the dashboard streams it', async () => {
    await open(`/runs/${fx.runningId}`);
    await waitForChart('learningCurves');
    const slowest = Array.from({ length: 20 }, () => {
      const started = performance.now();
      fx.appendEpoch();
      return performance.now() - started;
    }).reduce((a, b) => Math.max(a, b), 0);
    // A reader holding a lock would make a write wait for SQLite's 30 s busy timeout; WAL readers never do.
    expect(slowest).toBeLessThan(5000);
    const epochs = stored((s) => s.getRun(fx.runningId).epochCount);
    await page.waitForFunction((n) => document.querySelector('[data-epochs]')?.textContent === String(n), epochs, {
      timeout: 2000,
    });
  });

  it('Run: a run whose folder is gone shows what is missing', async () => {
    await open(`/runs/${fx.brokenId}`);
    expect(await page.locator('.problem').allTextContents()).toEqual(
      expect.arrayContaining([
        expect.stringContaining('out of memory'),
        expect.stringMatching(/run folder .* is missing/),
      ]),
    );
  });

  it('Compare: differing config keys only, the metric table, and one overlaid line per run', async () => {
    await open(`/compare?ids=${fx.trainedId},${fx.secondId}`);
    await waitForChart('compare.loss');
    const keys = await page.$$eval('table[data-table="config-diff"] tbody tr td:first-child', (c) =>
      c.map((x) => x.textContent),
    );
    expect(keys).toContain('train.optimizer.learningRate');
    expect(keys).not.toContain('data.imageSize');
    const comparison = stored((s) => s.compareRuns([fx.trainedId, fx.secondId]));
    expect(await page.locator('table[data-table="compare-metrics"] tbody tr').count()).toBe(comparison.metrics.length);
    for (const table of ['compare-metrics', 'config-diff']) {
      expect(await page.locator(`table[data-table="${table}"] thead th`).allTextContents()).toEqual([
        table === 'config-diff' ? 'key' : 'metric',
        `tiny #${fx.trainedId}`,
        `tiny-slow #${fx.secondId}`,
      ]);
    }
    const plotted = (await points('compare.loss')) ?? [];
    const epochs = stored((s) => s.getRun(fx.trainedId).epochCount + s.getRun(fx.secondId).epochCount);
    expect(plotted.length).toBe(epochs);
    expect(new Set(plotted.map((p) => p.run)).size).toBe(2);
    await shot('compare');
  });

  it('Studies: the list, then the trials table, best trial, history and importance of one study', async () => {
    await open('/studies');
    expect(await page.locator('table[data-table="studies"] tbody tr').count()).toBe(1);
    await page.click('table[data-table="studies"] a');
    await page.waitForSelector('main[data-ready="true"]');
    await waitForChart('study.history');
    const trials = stored((s) => s.listRuns({ studyId: fx.studyId }));
    expect(await page.locator('table[data-table="trials"] tbody tr').count()).toBe(trials.length);
    const history = (await points('study.history')) ?? [];
    expect(history.filter((p) => p.series === 'trial').length).toBe(
      trials.filter((t) => t.status === 'completed').length,
    );
    const best = Math.max(...trials.map((t) => t.metrics.val_accuracy as number));
    expect(Number(await page.locator('[data-best-trial]').getAttribute('data-best-trial'))).toBe(
      trials.find((t) => t.metrics.val_accuracy === best)?.trialNumber,
    );
    await waitForChart('study.importance');
    await waitForChart('study.parallel');
    await shot('study');
    await page.click('[data-best-trial] a');
    await page.waitForSelector('main[data-ready="true"]');
    expect(page.url()).toMatch(/#\/runs\/\d+$/);
  });

  it('Datasets: the inspect report with its class counts and charts', async () => {
    await open('/datasets');
    const report = JSON.parse(readFileSync(join(fx.root, 'datasets', 'dark-bright', 'report.json'), 'utf8'));
    const counts = await page.$$eval('table[data-table="class-counts"] tbody tr td:nth-child(2)', (c) =>
      c.map((x) => Number(x.textContent)),
    );
    expect(counts).toEqual(report.classCounts);
    await page.waitForFunction(() => [...document.querySelectorAll('.gallery img')].length > 0);
    await shot('datasets');
  });

  it('a missing store: the page says so, and the server keeps serving', async () => {
    const empty = await startUi(join(tempDir(), 'nothing-here'));
    try {
      await page.goto(`${empty.url}#/`);
      await page.waitForSelector('main[data-ready="true"]');
      expect(await page.locator('.problem').textContent()).toContain('STORE_NOT_FOUND');
      await shot('missing-store');
      const again = await page.request.get(`${empty.url}api/runs`);
      expect(again.status()).toBe(503);
      expect((await page.request.get(empty.url)).status()).toBe(200);
    } finally {
      await empty.stop();
    }
  });
});
