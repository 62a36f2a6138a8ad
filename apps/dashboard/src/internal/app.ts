import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { isOptikError, OptikError } from '@optik/core';
import { type Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { timing } from 'hono/timing';
import { contentType, readJson, safeFile } from './files.js';
import { AnswerCache, etagOf, parseRunsQuery, storeSort } from './query.js';
import { StoreReader } from './store.js';
import { compareView, epochRows, learningCurves, predictionImage, runRow, runView, studyView } from './views.js';

/** Options of the dashboard app (the routes, without a listening server). */
export interface DashboardAppOptions {
  /** The run store folder (holds optik.db and the run folders). */
  readonly root: string;
  /** The built single-page app (index.html and assets); without it only /api and /files answer. */
  readonly webDir?: string;
  /** How often the live endpoints look for new epochs, in milliseconds (default 100). */
  readonly pollMs?: number;
}

/** Pages served from this machine (e.g. apps/try's dev server) may fetch run files across ports. */
const LOCAL_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/;

const HTTP_STATUS: Partial<Record<string, 400 | 404 | 503>> = {
  RUN_NOT_FOUND: 404,
  STUDY_NOT_FOUND: 404,
  ARGUMENT_INVALID: 400,
  STORE_NOT_FOUND: 503,
  STORE_CORRUPT: 503,
  STORE_ERROR: 503,
  STORE_READONLY: 503,
};

/** The error body every /api route answers with: `{ error: { code, message, details } }`. */
function errorResponse(c: Context, error: unknown) {
  if (isOptikError(error)) return c.json({ error: error.toJSON() }, HTTP_STATUS[error.code] ?? 500);
  const message = error instanceof Error ? error.message : String(error);
  return c.json({ error: { code: 'INTERNAL', message, details: {} } }, 500);
}

function idParam(text: string | undefined, what: string): number {
  if (text === undefined || !/^\d+$/.test(text)) {
    throw new OptikError('ARGUMENT_INVALID', `The ${what} id must be a whole number.`, { received: text ?? '' });
  }
  return Number(text);
}

/**
 * The dashboard's routes on Hono: the JSON API under /api, run files under /files/:runId/*, the built app at /.
 * Every route only reads; a store that is missing or corrupt answers 503 with the reason and the server keeps going.
 */
export function createDashboardApp(options: DashboardAppOptions): { app: Hono; close: () => void } {
  const reader = new StoreReader(options.root);
  const pollMs = options.pollMs ?? 100;
  const app = new Hono();
  const answers = new AnswerCache();
  app.onError((error, c) => errorResponse(c, error));
  // Server-Timing on every answered request (scripts and the benchmark read it); not on the live event streams.
  const serverTiming = timing({ crossOrigin: false });
  app.use('/api/*', (c, next) => (c.req.path.endsWith('/events') ? next() : serverTiming(c, next)));

  app.get('/api', (c) =>
    c.json({
      endpoints: [
        'GET /api/runs?task=&status=&study=&q=&sort=id&order=desc&limit=100&offset=0 (one page: { root, total, offset, limit, sort, order, runs }; sort: id, name, task, status, createdAt, durationMs, epochCount, trialNumber or metrics.<key>)',
        'GET /api/runs/:id',
        'GET /api/runs/:id/events (text/event-stream: epoch, status)',
        'GET /api/runs/:id/predictions/:row/image',
        'GET /api/compare?ids=1,2,3',
        'GET /api/studies',
        'GET /api/studies/:id',
        'GET /api/datasets',
        'GET /files/:runId/<path inside the run folder>',
      ],
    }),
  );

  app.get('/api/health', (c) => {
    try {
      reader.get();
      return c.json({ ok: true, root: options.root });
    } catch (error) {
      return errorResponse(c, error);
    }
  });

  app.get('/api/runs', async (c) => {
    const query = parseRunsQuery(c.req.query());
    // The Runs page polls its page: an unchanged store answers 304 from one small query instead of the page again.
    const stamp = reader.read((store) => store.changeStamp());
    const etag = etagOf(stamp, query.key);
    c.header('cache-control', 'no-cache');
    c.header('etag', etag);
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    // Paged, sorted and filtered in SQL: one page of runs (top-level numeric metrics only) and one COUNT.
    const body = await answers.get(stamp, `runs ${query.key}`, () =>
      reader.read((store) => ({
        root: options.root,
        total: store.countRuns(query.filter),
        offset: query.offset,
        limit: query.limit,
        sort: query.sort,
        order: query.order,
        runs: store
          .listRuns({
            ...query.filter,
            sortBy: storeSort(query.sort),
            order: query.order,
            limit: query.limit,
            offset: query.offset,
            metrics: 'numbers',
          })
          .map(runRow),
      })),
    );
    return c.body(body, 200, { 'content-type': 'application/json' });
  });

  app.get('/api/runs/:id', (c) => {
    const id = idParam(c.req.param('id'), 'run');
    return c.json(runView(reader.read((store) => store.getRun(id))));
  });

  app.get('/api/runs/:id/events', (c) => {
    const id = idParam(c.req.param('id'), 'run');
    reader.read((store) => store.getRun(id));
    return streamSSE(c, async (stream) => {
      let sent = -1;
      let status = '';
      let open = true;
      stream.onAbort(() => {
        open = false;
      });
      let stamp = '';
      while (open) {
        try {
          // One small query per tick; the run is read again only when something in the store changed.
          const now = reader.read((store) => store.changeStamp());
          if (now === stamp) {
            await stream.sleep(pollMs);
            continue;
          }
          stamp = now;
          const record = reader.read((store) => store.getRun(id));
          if (record.epochCount !== sent) {
            sent = record.epochCount;
            await stream.writeSSE({
              event: 'epochs',
              data: JSON.stringify({ epochs: epochRows(record.epochs), learningCurves: learningCurves(record.epochs) }),
            });
          }
          if (record.status !== status) {
            status = record.status;
            await stream.writeSSE({ event: 'status', data: JSON.stringify({ status, durationMs: record.durationMs }) });
          }
        } catch (error) {
          await stream.writeSSE({
            event: 'problem',
            data: JSON.stringify(isOptikError(error) ? error.toJSON() : { message: String(error) }),
          });
        }
        await stream.sleep(pollMs);
      }
    });
  });

  app.get('/api/runs/:id/predictions/:row/image', (c) => {
    const id = idParam(c.req.param('id'), 'run');
    const row = idParam(c.req.param('row'), 'prediction row');
    const dir = reader.read((store) => store.getRun(id)).dir;
    const file = predictionImage(dir, row);
    if (file === undefined) return c.notFound();
    return c.body(readFileSync(file), 200, { 'content-type': contentType(file) });
  });

  app.get('/api/compare', (c) => {
    const ids = (c.req.query('ids') ?? '')
      .split(',')
      .filter((s) => s !== '')
      .map((s) => idParam(s, 'run'));
    if (ids.length < 2) {
      throw new OptikError('ARGUMENT_INVALID', 'Compare needs two or more runs.', {
        received: ids,
        hint: 'Pass ids=1,2 (run ids from /api/runs).',
      });
    }
    return c.json(reader.read((store) => compareView(store, ids)));
  });

  app.get('/api/studies', (c) => c.json({ studies: reader.read((store) => store.listStudies()) }));

  app.get('/api/studies/:id', async (c) => {
    const id = idParam(c.req.param('id'), 'study');
    const stamp = reader.read((store) => store.changeStamp());
    const etag = etagOf(stamp, `study ${id}`);
    c.header('cache-control', 'no-cache');
    c.header('etag', etag);
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    const body = await answers.get(stamp, `study ${id}`, () => {
      const { store, study } = reader.read((s) => ({ store: s, study: s.getStudy(id) }));
      return studyView(store, study);
    });
    return c.body(body, 200, { 'content-type': 'application/json' });
  });

  app.get('/api/datasets', (c) =>
    c.json({ folder: join(options.root, 'datasets'), datasets: readDatasets(options.root) }),
  );

  app.get('/files/datasets/:name/*', (c) => {
    const name = c.req.param('name');
    const base = join(options.root, 'datasets');
    const parts = pathParts(c.req.url, 3);
    const file = parts === undefined ? undefined : safeFile(base, [name, ...parts]);
    if (file === undefined) return c.notFound();
    return c.body(readFileSync(file), 200, { 'content-type': contentType(file) });
  });

  app.get('/files/:runId/*', (c) => {
    const runId = c.req.param('runId');
    if (!/^\d+$/.test(runId)) return c.notFound();
    let dir: string;
    try {
      dir = reader.read((store) => store.getRun(Number(runId))).dir;
    } catch {
      return c.notFound();
    }
    const parts = pathParts(c.req.url, 2);
    const file = parts === undefined ? undefined : safeFile(dir, parts);
    if (file === undefined) return c.notFound();
    // report.html embeds its plots; it runs no script of ours and must not reach the API as the app's origin.
    const headers: Record<string, string> = { 'content-type': contentType(file), 'x-content-type-options': 'nosniff' };
    if (file.endsWith('.html') || file.endsWith('.svg')) headers['content-security-policy'] = 'sandbox';
    // apps/try (another local port) loads weights/best from here; pages of other sites may not read run files.
    const origin = c.req.header('origin');
    if (origin !== undefined && LOCAL_ORIGIN.test(origin)) {
      headers['access-control-allow-origin'] = origin;
      headers.vary = 'origin';
    }
    return c.body(readFileSync(file), 200, headers);
  });

  if (options.webDir !== undefined && existsSync(join(options.webDir, 'index.html'))) {
    app.use('/assets/*', serveStatic({ root: options.webDir }));
    app.get('/', serveStatic({ root: options.webDir, path: 'index.html' }));
  }
  app.notFound((c) =>
    c.req.path.startsWith('/api/')
      ? c.json({ error: { code: 'NOT_FOUND', message: `No route ${c.req.path}.`, details: {} } }, 404)
      : c.text('Not found', 404),
  );
  return { app, close: () => reader.close() };
}

/**
 * The raw (still percent-encoded) path segments after the first `skip` ones, taken from the request line itself:
 * routers decode and normalise paths, and the file check must see `..` and `%2e%2e` exactly as they came.
 */
function pathParts(url: string, skip: number): string[] | undefined {
  const raw = url.replace(/^[a-z]+:\/\/[^/]*/i, '').replace(/[?#].*$/, '');
  const parts = raw.split('/').slice(1 + skip);
  return parts.length === 0 ? undefined : parts;
}

/** The `optik data inspect --out <root>/datasets/<name>` reports: each folder's report.json and its images. */
function readDatasets(root: string) {
  const folder = join(root, 'datasets');
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const dir = join(folder, d.name);
      const report = readJson(join(dir, 'report.json'));
      const images = readdirSync(dir).filter((f) => /\.(png|svg|jpe?g)$/i.test(f));
      return {
        name: d.name,
        report: 'value' in report ? report.value : null,
        problem: 'problem' in report ? `report.json is ${report.problem}` : null,
        images: images.map((f) => `/files/datasets/${encodeURIComponent(d.name)}/${encodeURIComponent(f)}`),
      };
    });
}
