import { parseArgs } from 'node:util';
import { OptikError } from '@optik/core';
import type { Command } from '../internal/context.js';
import { UsageError } from '../internal/context.js';
import { type CommandHelp, parserOptions } from '../internal/help.js';

const USAGE = `usage: optik ui [--root DIR] [--port N] [--host ADDRESS]
  a local dashboard of the run store: runs, live learning curves, comparisons, studies, datasets (read-only)`;

const FLAGS = {
  root: { type: 'string', value: 'DIR', description: 'the run store (default runs)' },
  port: { type: 'string', value: 'N', description: 'port to listen on (default 4747; 0 picks a free one)' },
  host: {
    type: 'string',
    value: 'ADDRESS',
    description: 'interface to listen on (default 127.0.0.1; anything else exposes your runs and prints a warning)',
  },
} as const;

/** `optik help ui`. */
export const uiHelp: CommandHelp = {
  summary: 'open the dashboard in the browser: runs, live curves, compare, studies, datasets',
  usage: USAGE,
  flags: FLAGS,
};

/**
 * `optik ui`: starts the dashboard (apps/dashboard, a private part of the Optik repository) on the run store and
 * serves until Ctrl-C. With --json, the URL is printed as the one JSON line once the server listens.
 */
export const ui: Command = async (args, ctx) => {
  let values: { root?: string; port?: string; host?: string };
  try {
    const parsed = parseArgs({ args: [...args], allowPositionals: false, strict: true, options: parserOptions(FLAGS) });
    values = parsed.values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  const port = values.port === undefined ? 4747 : /^\d{1,5}$/.test(values.port) ? Number(values.port) : -1;
  if (port < 0 || port > 65535) {
    throw new UsageError(`--port must be a whole number from 0 to 65535; got "${values.port}".`);
  }
  // A variable specifier: the dashboard is a private workspace app, not a dependency of the published CLI.
  const specifier = '@optik/dashboard';
  let dashboardModule: typeof import('@optik/dashboard');
  try {
    dashboardModule = (await import(specifier)) as typeof import('@optik/dashboard');
  } catch (cause) {
    throw new OptikError(
      'BACKEND_UNAVAILABLE',
      'The dashboard (@optik/dashboard) is not installed here: it ships with the Optik repository, not with the npm package.',
      { hint: 'Clone the Optik repository, run `bash tooling/scripts/setup.sh`, then `pnpm optik ui`.' },
      { cause },
    );
  }
  const dashboard = await dashboardModule.startDashboard(
    { root: values.root ?? 'runs', port, host: values.host ?? '127.0.0.1' },
    (line) => process.stderr.write(`optik ui: ${line}\n`),
  );
  for (const warning of dashboard.warnings) process.stderr.write(`optik ui: WARNING: ${warning}\n`);
  ctx.result(
    { url: dashboard.url, port: dashboard.port, root: values.root ?? 'runs', readOnly: true },
    `Optik dashboard: ${dashboard.url}  (store ${values.root ?? 'runs'}, read-only; Ctrl-C to stop)`,
  );
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await dashboard.close();
};
