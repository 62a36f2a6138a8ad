import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { resolvePipelineConfig, runTraining } from '@optik/pipeline';
import { boxImages, tempDir, writeVocFolder } from '@optik/testing';
import { openStore, type Store } from '@optik/track';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboardApp, type Dashboard, startDashboard } from '../index.js';
import { type Fixture, makeFixture, readStore } from './fixture.js';

// biome-ignore lint/suspicious/noExplicitAny: API answers are JSON, checked field by field by the expectations.
type Json = Record<string, any>;

let fx: Fixture;
let dashboard: ReturnType<typeof createDashboardApp>;
const get = async (path: string) => {
  const response = await dashboard.app.request(path);
  return { status: response.status, body: (await response.json()) as Json };
};

beforeAll(async () => {
  fx = await makeFixture();
  dashboard = createDashboardApp({ root: fx.root, pollMs: 20 });
}, 120_000);
afterAll(() => {
  dashboard?.close();
  fx?.close();
});

describe('GET /api/runs', () => {
  const stored = <T>(read: (store: Store) => T): T => readStore(fx.root, read);
  const ids = (body: Json) => body.runs.map((r: { id: number }) => r.id);

  it('gives the first page of runs, newest first, with the total, status, dataset and headline metrics', async () => {
    const { status, body } = await get('/api/runs');
    expect(status).toBe(200);
    const runs = stored((s) => s.listRuns({ order: 'desc' }));
    expect(body).toMatchObject({ root: fx.root, total: runs.length, offset: 0, limit: 100, sort: 'id', order: 'desc' });
    expect(ids(body)).toEqual(runs.map((r) => r.id));
    const tiny = body.runs.find((r: { id: number }) => r.id === fx.trainedId);
    expect(tiny).toMatchObject({ name: 'tiny', task: 'classification', status: 'completed', epochCount: 3 });
    expect(tiny.dataset).toContain('data');
    expect(tiny.metrics.accuracy).toBe(runs.find((r) => r.id === fx.trainedId)?.metrics.accuracy);
    expect(body.runs.find((r: { id: number }) => r.id === fx.runningId).status).toBe('running');
  });

  it('pages through the runs with limit and offset, the total counting every match', async () => {
    const all = stored((s) => s.listRuns({ order: 'desc' })).map((r) => r.id);
    expect(all.length).toBeGreaterThan(6);
    const pages: number[] = [];
    for (let offset = 0; offset < all.length; offset += 3) {
      const { body } = await get(`/api/runs?limit=3&offset=${offset}`);
      expect(body).toMatchObject({ total: all.length, offset, limit: 3 });
      expect(body.runs.length).toBe(Math.min(3, all.length - offset));
      pages.push(...ids(body));
    }
    expect(pages).toEqual(all);
    const past = await get(`/api/runs?offset=${all.length}`);
    expect(past.body).toMatchObject({ total: all.length, runs: [] });
  });

  it('sorts on the server by a column or a headline metric, either way, before paging', async () => {
    const byName = await get('/api/runs?sort=name&order=asc&limit=1000');
    const names = byName.body.runs.map((r: { name: string }) => r.name);
    expect(names).toEqual(stored((s) => s.listRuns({ sortBy: 'name' })).map((r) => r.name));
    expect([...names].sort()).toEqual(names);
    const best = stored((s) => s.listRuns({ sortBy: 'metrics.val_accuracy', order: 'desc' }));
    const top = await get('/api/runs?sort=metrics.val_accuracy&order=desc&limit=2&offset=1');
    expect(ids(top.body)).toEqual(best.slice(1, 3).map((r) => r.id));
    // runs without the metric come last whichever the order
    const up = await get('/api/runs?sort=metrics.val_accuracy&order=asc&limit=1000');
    const values = up.body.runs.map((r: { metrics: Record<string, number> }) => r.metrics.val_accuracy ?? null);
    const present = values.filter((v: number | null) => v !== null);
    expect(present.length).toBeGreaterThan(1);
    expect(present.length).toBeLessThan(values.length);
    expect(values.slice(0, present.length)).toEqual([...present].sort((x: number, y: number) => x - y));
    const epochs = await get('/api/runs?sort=epochCount&order=desc');
    const counts = epochs.body.runs.map((r: { epochCount: number }) => r.epochCount);
    expect(counts).toEqual([...counts].sort((x: number, y: number) => y - x));
  });

  it('filters by status, study and text in the name, task or tags, and counts what matches', async () => {
    const failed = await get('/api/runs?status=failed');
    expect(ids(failed.body)).toEqual([fx.brokenId]);
    expect(failed.body.total).toBe(1);
    const tiny = await get('/api/runs?q=TINY');
    expect(ids(tiny.body).sort()).toEqual([fx.trainedId, fx.secondId].sort());
    expect(tiny.body.total).toBe(2);
    const trials = await get(`/api/runs?study=${fx.studyId}&q=trial&limit=5`);
    expect(trials.body.total).toBe(8);
    expect(trials.body.runs).toHaveLength(5);
    expect(trials.body.runs.every((r: { studyId: number }) => r.studyId === fx.studyId)).toBe(true);
    // % and _ are plain text, not LIKE wildcards
    expect((await get('/api/runs?q=%25')).body.total).toBe(0);
    expect((await get('/api/runs?q=_')).body.total).toBe(0);
  });

  it('refuses a bad status, sort, order, limit or offset with a coded error that names what works', async () => {
    for (const [query, says] of [
      ['status=sleeping', 'running, completed'],
      ['sort=colour', 'metrics.<name>'],
      ['sort=metrics.a%22b', 'metrics.<name>'],
      ['order=up', 'asc or desc'],
      ['limit=0', 'from 1 to 1000'],
      ['limit=1001', 'from 1 to 1000'],
      ['limit=ten', 'from 1 to 1000'],
      ['offset=-1', 'offset must be'],
      ['study=abc', 'study must be'],
    ]) {
      const bad = await get(`/api/runs?${query}`);
      expect([query, bad.status, bad.body.error.code]).toEqual([query, 400, 'ARGUMENT_INVALID']);
      expect(`${bad.body.error.message} ${bad.body.error.details.hint}`).toContain(says);
    }
  });

  it('answers 304 while nothing changed for the same page, 200 for another page or once an epoch is logged', async () => {
    const first = await dashboard.app.request('/api/runs?limit=2');
    const etag = first.headers.get('etag') as string;
    const again = await dashboard.app.request('/api/runs?limit=2', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const other = await dashboard.app.request('/api/runs?limit=2&offset=2', { headers: { 'if-none-match': etag } });
    expect(other.status).toBe(200);
    expect(other.headers.get('etag')).not.toBe(etag);
    const before = ((await first.json()) as Json).runs.find((r: { id: number }) => r.id === fx.runningId);
    await new Promise((resolve) => setTimeout(resolve, 3));
    fx.appendEpoch();
    const changed = await dashboard.app.request('/api/runs?limit=2', { headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    // the cached page of the old store state is not served again: the running run shows its new epoch
    const after = ((await changed.json()) as Json).runs.find((r: { id: number }) => r.id === fx.runningId);
    expect(after.epochCount).toBe(before.epochCount + 1);
    expect(changed.headers.get('server-timing')).toMatch(/total;dur=/);
  });
});

describe('GET /api/runs/:id', () => {
  it('reads the run folder generically: curves, per-class table, confusion matrix, model summary, files', async () => {
    const { body } = await get(`/api/runs/${fx.trainedId}`);
    const metrics = JSON.parse(readFileSync(join(body.run.dir, 'metrics.json'), 'utf8'));
    expect(body.epochs.map((e: { epoch: number }) => e.epoch)).toEqual([1, 2, 3]);
    expect(body.curveMetrics).toEqual(expect.arrayContaining(['loss', 'accuracy']));
    expect(body.charts.learningCurves.data.values.length).toBeGreaterThanOrEqual(12);
    expect(body.confusion.matrix).toEqual(metrics.confusionMatrix);
    expect(body.confusion.classNames).toEqual(['bright', 'dark']);
    expect(body.perClass).toHaveLength(2);
    expect(body.diagnosis.verdict).toBe(metrics.diagnosis.verdict);
    expect(body.model.layers.length).toBeGreaterThan(0);
    expect(body.model.totalParams).toBe(8 * 8 * 4 + 4 + 4 * 2 + 2);
    expect(body.files.report).toBe('report.html');
    expect(body.files.plots).toEqual(
      expect.arrayContaining(['plots/confusion-matrix.png', 'plots/learning-curves.png']),
    );
    expect(body.files.weights.some((f: string) => f.startsWith('weights/best/'))).toBe(true);
    expect(body.problems).toEqual([]);
    // Every test image lands in one cell; a cell's image route serves the file predictions.csv names.
    const cells = body.confusion.images.flat();
    expect(cells.reduce((n: number, c: unknown[]) => n + c.length, 0)).toBe(metrics.numSamples);
    const first = cells.find((c: unknown[]) => c.length > 0)[0];
    const image = await dashboard.app.request(`/api/runs/${fx.trainedId}/predictions/${first.row}/image`);
    expect(image.status).toBe(200);
    expect(Buffer.from(await image.arrayBuffer())).toEqual(readFileSync(first.id));
  });

  it('says what is missing for a run whose folder is gone, and 404s an unknown run', async () => {
    const broken = await get(`/api/runs/${fx.brokenId}`);
    expect(broken.status).toBe(200);
    expect(broken.body.run.status).toBe('failed');
    expect(broken.body.run.error).toBe('out of memory');
    expect(broken.body.problems[0]).toMatch(/run folder .* is missing/);
    const missing = await get('/api/runs/9999');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('RUN_NOT_FOUND');
  });
});

describe('GET /api/runs/:id/events', () => {
  it('streams the epochs, then each new epoch as it is logged', async () => {
    const response = await dashboard.app.request(`/api/runs/${fx.runningId}/events`);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await until(/event: epochs\ndata: .*\n\n/);
    const first = JSON.parse(/event: epochs\ndata: (.*)\n/.exec(text)?.[1] ?? '{}');
    const before = first.epochs.length;
    const epoch = fx.appendEpoch();
    text = '';
    await until(/event: epochs\ndata: .*\n\n/);
    const next = JSON.parse(/event: epochs\ndata: (.*)\n/.exec(text)?.[1] ?? '{}');
    expect(next.epochs.length).toBe(before + 1);
    expect(next.epochs.at(-1).epoch).toBe(epoch);
    await reader.cancel();
  });
});

describe('GET /api/compare', () => {
  it('diffs only the differing config keys and overlays one curve per run', async () => {
    const { body } = await get(`/api/compare?ids=${fx.trainedId},${fx.secondId}`);
    const keys = body.configDiff.map((p: { key: string }) => p.key);
    expect(keys).toContain('train.optimizer.learningRate');
    expect(keys).not.toContain('data.imageSize');
    expect(body.configDiff.every((p: { differs: boolean }) => p.differs)).toBe(true);
    expect(body.metrics.find((m: { key: string }) => m.key === 'accuracy').values).toHaveLength(2);
    const loss = body.curves.find((c: { metric: string }) => c.metric === 'loss');
    expect(new Set(loss.spec.data.values.map((v: { run: string }) => v.run)).size).toBe(2);
    expect((await get(`/api/compare?ids=${fx.trainedId}`)).status).toBe(400);
  });
});

describe('GET /api/studies', () => {
  it('lists the studies and gives one study with trials, best trial, importance and charts', async () => {
    const list = await get('/api/studies');
    expect(list.body.studies.map((s: { name: string }) => s.name)).toEqual(['search']);
    const { body } = await get(`/api/studies/${fx.studyId}`);
    expect(body.trials).toHaveLength(8);
    const values = body.trials.map((t: { value: number }) => t.value);
    expect(body.best.value).toBe(Math.max(...values));
    expect(body.best.runId).toBeGreaterThan(0);
    expect(body.trials[0].params).toHaveProperty('learningRate');
    expect(body.importance.map((p: { name: string }) => p.name).sort()).toEqual(['learningRate', 'units']);
    expect(body.charts.parallel).not.toBeNull();
    expect(body.charts.history.data.values.filter((v: { series: string }) => v.series === 'trial')).toHaveLength(8);
    expect((await get('/api/studies/77')).status).toBe(404);
  });
});

describe('GET /api/datasets', () => {
  it('lists the inspect reports kept under <root>/datasets', async () => {
    const folder = join(fx.root, 'datasets', 'shapes');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'report.json'), JSON.stringify({ source: 'shapes', totalImages: 24 }));
    const { body } = await get('/api/datasets');
    expect(body.datasets).toEqual([
      { name: 'shapes', report: { source: 'shapes', totalImages: 24 }, problem: null, images: [] },
    ]);
  });
});

describe('GET /files/:runId/*', () => {
  it('lets local pages (apps/try on another port) read run files, and no other site', async () => {
    const url = `/files/${fx.trainedId}/config.yaml`;
    const local = await dashboard.app.request(url, { headers: { origin: 'http://localhost:5174' } });
    expect(local.headers.get('access-control-allow-origin')).toBe('http://localhost:5174');
    const other = await dashboard.app.request(url, { headers: { origin: 'https://example.com' } });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
  it('serves files of the run folder', async () => {
    const response = await dashboard.app.request(`/files/${fx.trainedId}/config.yaml`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('classification');
    const report = await dashboard.app.request(`/files/${fx.trainedId}/report.html`);
    expect(report.headers.get('content-security-policy')).toBe('sandbox');
  });

  it('answers 404 to traversal, encoded traversal and symlinks out of the run folder', async () => {
    const { body } = await get(`/api/runs/${fx.trainedId}`);
    const outside = join(tempDir(), 'secret.txt');
    writeFileSync(outside, 'secret');
    symlinkSync(outside, join(body.run.dir, 'plots', 'link.txt'));
    // Raw request lines (not normalised by a URL parser) reach the real server as they are.
    const served = await startWithoutApp(fx.root);
    try {
      for (const path of [
        `/files/${fx.trainedId}/../../../etc/passwd`,
        `/files/${fx.trainedId}/%2e%2e/%2e%2e/%2e%2e/etc/passwd`,
        `/files/${fx.trainedId}/..%2f..%2f..%2fetc%2fpasswd`,
        `/files/${fx.trainedId}/%252e%252e/config.yaml`,
        `/files/${fx.trainedId}/plots/link.txt`,
        `/files/${fx.trainedId}/plots`,
        `/files/${fx.brokenId}/config.yaml`,
        '/files/abc/config.yaml',
      ]) {
        expect([path, await rawStatus(served.port, path)]).toEqual([path, 404]);
      }
      expect(await rawStatus(served.port, `/files/${fx.trainedId}/plots/confusion-matrix.png`)).toBe(200);
    } finally {
      await served.close();
    }
  });
});

describe('a missing or corrupt store', () => {
  it('answers 503 with the reason, and serves once the store appears', async () => {
    const root = join(tempDir(), 'runs');
    const app = createDashboardApp({ root });
    const missing = await app.app.request('/api/runs');
    expect(missing.status).toBe(503);
    expect(((await missing.json()) as Json).error.code).toBe('STORE_NOT_FOUND');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'optik.db'), 'this is not a database, just some text that is long enough'.repeat(100));
    const corrupt = await app.app.request('/api/runs');
    expect(corrupt.status).toBe(503);
    expect(((await corrupt.json()) as Json).error.code).toBe('STORE_CORRUPT');
    writeFileSync(join(root, 'optik.db'), '');
    openStore({ root }).close();
    const fine = await app.app.request('/api/runs');
    expect(fine.status).toBe(200);
    app.close();
  });
});

describe('a localization run (the artifacts are read generically, whatever the task)', () => {
  it('lists it and shows its curves, metrics, box plots and model, with nothing reported missing', async () => {
    const base = tempDir();
    const voc = join(base, 'voc');
    writeVocFolder(voc, boxImages({ count: 24, height: 32, width: 48, classes: ['dim', 'bright'], seed: 4 }));
    const trained = await runTraining(
      resolvePipelineConfig({
        task: 'localization',
        name: 'boxes',
        seed: 3,
        backend: 'cpu',
        data: { source: { format: 'voc', path: voc }, imageSize: [32, 48], colorMode: 'grayscale', batchSize: 8 },
        model: { layers: [{ type: 'flatten' }, { type: 'dense', units: 8 }] },
        train: { epochs: 2 },
        output: { root: join(base, 'runs') },
      }),
      { progress: false, log: () => {} },
    );
    const local = createDashboardApp({ root: join(base, 'runs') });
    try {
      const list = (await (await local.app.request('/api/runs')).json()) as Json;
      expect(list.runs).toHaveLength(1);
      expect(list.runs[0]).toMatchObject({ id: trained.runId, task: 'localization', status: 'completed' });
      const headline = Object.keys(list.runs[0].metrics);
      expect(headline.length).toBeGreaterThan(0);
      const view = (await (await local.app.request(`/api/runs/${trained.runId}`)).json()) as Json;
      expect(view.epochs.map((e: { epoch: number }) => e.epoch)).toEqual([1, 2]);
      expect(view.charts.learningCurves).not.toBeNull();
      expect(view.files.plots).toEqual(expect.arrayContaining(['plots/test-predictions.png']));
      expect(view.model.layers.length).toBeGreaterThan(0);
      // Localization classifies each box too: its confusion matrix is the one in metrics.json.
      const metricsFile = JSON.parse(readFileSync(join(trained.runDir, 'metrics.json'), 'utf8'));
      expect(view.confusion?.matrix ?? null).toEqual(metricsFile.confusionMatrix ?? null);
      expect(view.problems).toEqual([]);
      for (const key of headline) expect(view.metrics[key]).toBe(list.runs[0].metrics[key]);
    } finally {
      local.close();
    }
  }, 120_000);
});

describe('startDashboard', () => {
  it('binds 127.0.0.1 quietly, warns for any other host, and serves the built app at /', async () => {
    const local = await startDashboard({ root: fx.root, port: 0 });
    try {
      expect(local.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(local.warnings).toEqual([]);
      const page = await fetch(local.url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<main id="app">');
      expect((await fetch(`${local.url}api/runs`)).status).toBe(200);
    } finally {
      await local.close();
    }
    const open = await startDashboard({ root: fx.root, port: 0, host: '0.0.0.0' });
    try {
      expect(open.warnings.join(' ')).toMatch(/anyone who can reach this address can read every run/);
    } finally {
      await open.close();
    }
  }, 120_000);
});

/** A real server without the built app (the API tests must not need `vite build`). */
async function startWithoutApp(root: string): Promise<Dashboard> {
  const { serve } = await import('@hono/node-server');
  const { app, close } = createDashboardApp({ root });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((done) => server.once('listening', done));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    warnings: [],
    close: () =>
      new Promise((done) => {
        close();
        server.close(() => done());
      }),
  };
}

function rawStatus(port: number, path: string): Promise<number> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on('error', fail);
    req.end();
  });
}
