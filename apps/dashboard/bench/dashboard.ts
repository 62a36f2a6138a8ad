// Benchmark (not a test): a generated store of 10,000 runs and a study of 1,000 trials, written through
// @optik/track's and @optik/tune's real writer APIs; then the server time (Server-Timing) of pages of /api/runs
// (first request, cached, a 304 poll) and of /api/studies/:id, and the time Chromium takes to render the Runs page
// (and to sort, page and filter it through the server) and the Study page.
//   pnpm bench:dashboard [--runs 10000] [--trials 1000] [--keep DIR]
// The store is written on /dev/shm when there is one (each run folder file is fsync'd; a disk makes generation slow).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TrackStudyStorage } from '@optik/pipeline';
import { openStore } from '@optik/track';
import { createStudy } from '@optik/tune';
import { chromium } from 'playwright-core';
import { findChromium } from '../e2e/browser.js';
import { buildWeb, startDashboard } from '../src/index.js';

const { values } = parseArgs({
  options: { runs: { type: 'string' }, trials: { type: 'string' }, keep: { type: 'string' } },
});
const RUNS = Number(values.runs ?? 10_000);
const TRIALS = Number(values.trials ?? 1_000);
const CLASSES = ['T-shirt', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Boot'];

/** A deterministic stream of numbers in [0, 1) (no Math.random). */
function* lcg(seed: number): Generator<number> {
  let s = seed >>> 0;
  for (;;) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    yield s / 2 ** 32;
  }
}

async function generate(root: string): Promise<void> {
  const rng = lcg(42);
  const next = () => rng.next().value as number;
  const store = openStore({ root, gitCwd: null });
  const started = performance.now();
  for (let i = 0; i < RUNS; i++) {
    const learningRate = 10 ** (-4 + 3 * next());
    const run = store.createRun({
      task: i % 10 === 9 ? 'localization' : 'classification',
      config: {
        data: { dataset: i % 3 === 0 ? 'mnist' : 'fashion-mnist' },
        train: { epochs: 3, optimizer: { learningRate } },
      },
      tags: i % 7 === 0 ? ['baseline'] : [],
      gitCommit: null,
    });
    for (let e = 0; e < 3; e++) {
      run.logEpoch(e, {
        loss: 1 / (e + 1 + next()),
        accuracy: 0.6 + 0.1 * e,
        val_loss: 1.1 / (e + 1),
        val_accuracy: 0.55 + 0.1 * e,
      });
    }
    const accuracy = 0.7 + 0.25 * next();
    // Final metrics the size a real classification run stores: per-class rows and a 10×10 confusion matrix.
    run.finish({
      status: i % 50 === 0 ? 'failed' : 'completed',
      metrics: {
        accuracy,
        f1: accuracy - 0.01,
        precision: accuracy - 0.02,
        recall: accuracy,
        classNames: CLASSES,
        perClass: CLASSES.map((name) => ({ name, precision: next(), recall: next(), f1: next(), support: 100 })),
        confusionMatrix: CLASSES.map((_, t) => CLASSES.map((__, p) => (t === p ? 80 : 2))),
      },
    });
    if ((i + 1) % 1000 === 0)
      console.error(`bench: ${i + 1} runs (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  const storage = new TrackStudyStorage({ store, objective: 'val_accuracy' });
  const study = await createStudy({
    name: 'big-search',
    direction: 'maximize',
    sampler: { type: 'random', seed: 1 },
    storage,
  });
  await study.optimize(
    (trial) => {
      const learningRate = trial.suggestFloat('learningRate', 1e-4, 1e-1, { log: true });
      const dropout = trial.suggestFloat('dropout', 0, 0.6);
      const filters = trial.suggestInt('filters', 8, 128, { step: 8 });
      trial.suggestCategorical('optimizer', ['adam', 'sgd', 'rmsprop']);
      return 0.92 - 0.04 * Math.abs(Math.log10(learningRate) + 2.5) - 0.05 * Math.abs(dropout - 0.3) - filters * 1e-5;
    },
    {
      nTrials: TRIALS,
      onTrialEnd: (t) => (t.number + 1) % 200 === 0 && console.error(`bench: ${t.number + 1} trials`),
    },
  );
  store.close();
  console.error(`bench: store generated in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/**
 * Server time (Server-Timing) of the first request (nothing cached), the median of 5 more (a reload or a second tab:
 * served from the answer cache) and of a poll that sends the ETag back (304 while nothing changed).
 */
async function serverTime(url: string): Promise<{
  coldMs: number;
  coldCpuMs: number;
  serverMs: number;
  wallMs: number;
  pollMs: number;
  bytes: number;
  total: number | undefined;
}> {
  const server: number[] = [];
  const cpu: number[] = [];
  const wall: number[] = [];
  const poll: number[] = [];
  let bytes = 0;
  let total: number | undefined;
  let etag = '';
  const timingOf = (response: Response) => {
    const timing = /total;dur=([\d.]+)/.exec(response.headers.get('server-timing') ?? '');
    if (timing === null) throw new Error(`${url}: ${response.status} ${response.headers.get('server-timing')}`);
    return Number(timing[1]);
  };
  for (let i = 0; i < 6; i++) {
    const t = performance.now();
    const cpuBefore = process.cpuUsage();
    const response = await fetch(url);
    const body = await response.arrayBuffer();
    wall.push(performance.now() - t);
    // CPU time of this process (server and the fetch), which a busy machine inflates far less than wall time.
    const used = process.cpuUsage(cpuBefore);
    cpu.push((used.user + used.system) / 1000);
    bytes = body.byteLength;
    if (!response.ok) throw new Error(`${url}: ${response.status} ${new TextDecoder().decode(body).slice(0, 300)}`);
    server.push(timingOf(response));
    etag = response.headers.get('etag') ?? '';
    if (i === 0) total = (JSON.parse(new TextDecoder().decode(body)) as { total?: number }).total;
  }
  for (let i = 0; i < 5; i++) {
    const response = await fetch(url, { headers: { 'if-none-match': etag } });
    await response.arrayBuffer();
    if (response.status !== 304) throw new Error(`${url}: a poll with the ETag answered ${response.status}, not 304`);
    poll.push(timingOf(response));
  }
  return {
    coldMs: server[0] as number,
    coldCpuMs: cpu[0] as number,
    serverMs: median(server.slice(1)),
    wallMs: median(wall.slice(1)),
    pollMs: median(poll),
    bytes,
    total,
  };
}

const load = () => {
  const [one, five, fifteen] = loadavg().map((x) => x.toFixed(2));
  return `load average ${one}, ${five}, ${fifteen} on ${availableParallelism()} CPUs`;
};

const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const root = values.keep ?? join(mkdtempSync(join(base, 'optik-dashboard-bench-')), 'runs');
if (!existsSync(join(root, 'optik.db'))) await generate(root);
await buildWeb();
const dashboard = await startDashboard({ root, port: 0 });
const studyId = (() => {
  const store = openStore({ root, readOnly: true });
  const id = store.getStudy('big-search').id;
  store.close();
  return id;
})();
console.log(`bench: ${load()} (before the timings)`);
// The Runs page's first page (what opening it asks), then pages sorted, filtered and deep in the list.
const timings: [string, string][] = [
  ['/api/runs', 'first page, newest first'],
  ['/api/runs?sort=metrics.accuracy&order=desc', 'sorted by accuracy'],
  ['/api/runs?sort=name&order=asc&offset=5000', 'sorted by name, offset 5000'],
  ['/api/runs?q=baseline&status=completed', 'text filter and status'],
  [`/api/studies/${studyId}`, `the ${TRIALS}-trial study`],
];
for (const [path, what] of timings) {
  const t = await serverTime(`${dashboard.url}${path.slice(1)}`);
  const matched = t.total === undefined ? '' : ` of ${t.total} matching`;
  console.log(
    `${path} (${what}${matched}): server ${t.coldMs.toFixed(0)} ms first (CPU ${t.coldCpuMs.toFixed(0)} ms), ${t.serverMs.toFixed(0)} ms cached (median of 5; request ${t.wallMs.toFixed(0)} ms), poll with ETag ${t.pollMs.toFixed(1)} ms (304), ${(t.bytes / 1e6).toFixed(2)} MB`,
  );
}

const executablePath = findChromium();
if (executablePath === undefined) console.log('page render: skipped (no Chromium; install Debian chromium)');
else {
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const render = async (hash: string, ready: string) => {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      await page.goto('about:blank');
      const t = performance.now();
      await page.goto(`${dashboard.url}#${hash}`);
      await page.waitForFunction(ready, undefined, { timeout: 60_000 });
      times.push(performance.now() - t);
    }
    // Where the last load spent its time, in page time: the API answer (resource timing) and the page drawn.
    const split = await page.evaluate(() => {
      const api = performance
        .getEntriesByType('resource')
        .filter((r) => r.name.includes('/api/'))
        .map((r) => (r as unknown as { responseEnd: number }).responseEnd)[0];
      const drawn = performance.getEntriesByName('optik:ready').at(-1)?.startTime;
      const charts = performance
        .getEntriesByType('mark')
        .filter((m) => m.name.startsWith('optik:chart:'))
        .map((m) => m.startTime);
      return {
        api: api ?? Number.NaN,
        drawn: drawn ?? Number.NaN,
        charts: charts.length === 0 ? null : Math.max(...charts),
      };
    });
    const chartsDrawn = split.charts === null ? '' : `, last chart at ${split.charts.toFixed(0)} ms`;
    console.log(
      `  ${hash}: in page time, API answer at ${split.api.toFixed(0)} ms, page drawn at ${split.drawn.toFixed(0)} ms${chartsDrawn}`,
    );
    return median(times);
  };
  const runsPage = await render('/', 'document.querySelectorAll("table[data-table=runs] tbody tr").length > 0');
  // On the open Runs page: each click or filter asks the server for another page; timed until it is drawn.
  const interactions: string[] = [];
  const drawn = async (what: string, act: () => Promise<unknown>, extra = '') => {
    const t = performance.now();
    await act();
    await page.waitForSelector(`.table-wrap[data-loading="false"]${extra}`, { timeout: 60_000 });
    interactions.push(`${what} ${(performance.now() - t).toFixed(0)} ms`);
  };
  const metric = await page.getAttribute('th[data-sort^="metrics."]', 'data-sort');
  if (metric !== null) {
    await drawn(`sort by ${metric} (down)`, () => page.click(`th[data-sort="${metric}"]`));
    await drawn(`sort by ${metric} (up)`, () => page.click(`th[data-sort="${metric}"]`));
  }
  await drawn('next page', () => page.click('button[data-page="next"]'));
  await drawn('last page', () => page.click('button[data-page="last"]'));
  await drawn('filter "baseline" (after the 250 ms pause for typing)', () =>
    page.fill('input[data-filter="text"]', 'baseline'),
  );
  await drawn('1000 per page', () => page.selectOption('select[data-page-size]', '1000'));
  const studyPage = await render(
    `/studies/${studyId}`,
    '["study.history","study.importance","study.parallel"].every((n) => window.optikCharts?.[n]) && document.querySelectorAll("table[data-table=trials] tbody tr").length > 0',
  );
  console.log(`Runs page in Chromium (load → first page of the table drawn): ${runsPage.toFixed(0)} ms`);
  console.log(`  then, each until drawn: ${interactions.join(', ')}`);
  console.log(`Study page in Chromium (load → trials table and 3 charts drawn): ${studyPage.toFixed(0)} ms`);
  await browser.close();
}
console.log(`bench: ${load()} (after)`);
await dashboard.close();
if (values.keep === undefined) rmSync(join(root, '..'), { recursive: true, force: true });
