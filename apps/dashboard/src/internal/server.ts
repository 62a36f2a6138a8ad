import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { OptikError, parseOrThrow } from '@optik/core';
import { z } from 'zod';
import { createDashboardApp } from './app.js';

/** The package folder (apps/dashboard), from src/internal or dist/internal alike. */
const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));
/** Where `vite build` puts the single-page app. */
export const WEB_DIR = join(PACKAGE_DIR, 'dist', 'web');

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export const StartOptionsSchema = z.strictObject({
  /** The run store folder (default `runs`). */
  root: z.string().min(1).default('runs'),
  /** TCP port; 0 picks a free one (default 4747). */
  port: z.int().min(0).max(65535).default(4747),
  /** Interface to listen on; anything but loopback exposes the runs to the network. */
  host: z.string().min(1).default('127.0.0.1'),
  /** Build the app with Vite when dist/web is missing (default true). */
  build: z.boolean().default(true),
  /** How often the live endpoints look for new epochs, in milliseconds. */
  pollMs: z.int().min(10).max(10_000).default(100),
});

/** A started dashboard. */
export interface Dashboard {
  /** `http://host:port/` */
  readonly url: string;
  readonly port: number;
  /** Warnings to show the user (a non-loopback host). */
  readonly warnings: readonly string[];
  /** Stops listening and closes the store. */
  close(): Promise<void>;
}

/** Builds the single-page app with Vite into dist/web (a few seconds; once per clone). */
export async function buildWeb(): Promise<void> {
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch (cause) {
    throw new OptikError(
      'BACKEND_UNAVAILABLE',
      'The dashboard app is not built and Vite is not installed to build it.',
      { hint: 'Run `pnpm install` and `pnpm --filter @optik/dashboard build` in the Optik repository.' },
      { cause },
    );
  }
  await vite.build({ configFile: join(PACKAGE_DIR, 'vite.config.ts'), logLevel: 'warn' });
}

export async function startServer(
  options: z.input<typeof StartOptionsSchema>,
  log: (line: string) => void = () => {},
): Promise<Dashboard> {
  const o = parseOrThrow(StartOptionsSchema, options, { what: 'dashboard options' });
  if (!existsSync(join(WEB_DIR, 'index.html'))) {
    if (!o.build) {
      throw new OptikError('DATA_NOT_FOUND', `The dashboard app is not built (no ${join(WEB_DIR, 'index.html')}).`, {
        hint: 'Run `pnpm --filter @optik/dashboard build`.',
      });
    }
    log('building the dashboard app (first start) …');
    await buildWeb();
  }
  const root = resolve(o.root);
  const { app, close } = createDashboardApp({ root, webDir: WEB_DIR, pollMs: o.pollMs });
  const warnings = LOOPBACK.has(o.host)
    ? []
    : [
        `listening on ${o.host}: anyone who can reach this address can read every run, config and image under ${root}. Use --host 127.0.0.1 (the default) to keep it on this machine.`,
      ];
  const server = await new Promise<ReturnType<typeof serve>>((done, fail) => {
    const s = serve({ fetch: app.fetch, port: o.port, hostname: o.host }, () => done(s));
    s.once('error', (error: NodeJS.ErrnoException) =>
      fail(
        new OptikError(
          'ARGUMENT_INVALID',
          `Cannot listen on ${o.host}:${o.port} (${error.code ?? error.message}).`,
          {
            received: o.port,
            hint:
              error.code === 'EADDRINUSE'
                ? 'Another program uses this port: pass --port 0 or another number.'
                : 'Check --host and --port.',
          },
          { cause: error },
        ),
      ),
    );
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    warnings,
    close: () =>
      new Promise<void>((done) => {
        close();
        // Live event streams keep connections open; end them so close() returns promptly.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => done());
      }),
  };
}
