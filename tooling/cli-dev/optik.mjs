#!/usr/bin/env node
// `pnpm optik …` in this repository: the optik command from TypeScript source (the `@optik/source` export
// condition, loaded through tsx), so no build is needed. It is a bin, not a root package.json script, because pnpm
// prints a script's command line before running it and pnpm 12 has no setting to hide that; a bin of a workspace
// dependency runs through pnpm's implicit `exec`, which prints nothing of its own.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = fileURLToPath(new URL('../../packages/cli/src/bin.ts', import.meta.url));
// Absolute, so `pnpm optik` works from any folder of the repository, not only where `tsx` resolves from the cwd.
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const child = spawn(process.execPath, ['--conditions=@optik/source', '--import', tsx, cli, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
// Ctrl-C reaches the child directly (same process group), which saves its run and exits; wait for it rather than
// die first. A signal sent to this process alone (a `timeout`, a CI cancel) is passed on.
process.on('SIGINT', () => {});
for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  if (signal !== null) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else process.exit(code ?? 1);
});
