// Public entry of @optik/dashboard (private app, never published): what `optik ui` starts, and the routes alone for
// tests and scripts.
import type { z } from 'zod';
import type { StartOptionsSchema } from './internal/server.js';

export type { DashboardAppOptions } from './internal/app.js';
/**
 * The dashboard's routes as a Hono app (no listening socket): `app.request('/api/runs')` answers as the server
 * would. `close()` closes the read-only store handle.
 *
 * @example
 * ```ts
 * const { app, close } = createDashboardApp({ root: 'runs' });
 * const { runs } = await (await app.request('/api/runs')).json();
 * close();
 * ```
 */
export { createDashboardApp } from './internal/app.js';
export type { Dashboard } from './internal/server.js';
/**
 * Builds the single-page app into `dist/web` with Vite (what `optik ui` does on its first start).
 *
 * @example
 * ```ts
 * await buildWeb();
 * ```
 */
export { buildWeb } from './internal/server.js';

/** Options of {@link startDashboard}: `root` (default runs), `port` (4747, 0 = any free), `host` (127.0.0.1). */
export type DashboardOptions = z.input<typeof StartOptionsSchema>;

/**
 * Starts the dashboard server on the run store at `root`: the built app at `/`, the JSON API under `/api`, run
 * files under `/files/:runId/`. Reads only; binds 127.0.0.1 unless `host` says otherwise (then `warnings` says why
 * that is risky).
 *
 * @example
 * ```ts
 * const dashboard = await startDashboard({ root: 'runs', port: 4747 });
 * console.log(dashboard.url);
 * await dashboard.close();
 * ```
 */
export { startServer as startDashboard } from './internal/server.js';
