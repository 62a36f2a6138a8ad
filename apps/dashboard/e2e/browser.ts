// Helpers of the end-to-end tests and the benchmark: find the system Chromium, start `optik ui` as a user would.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The Chromium to drive (one finder for every app's e2e tests). */
export { findChromium } from '../../../tooling/scripts/chromium.mjs';

/** In CI (or with OPTIK_REQUIRE_CHROMIUM=1) a missing Chromium fails the tests instead of skipping them. */
export function chromiumRequired(): boolean {
  return Boolean(process.env.CI) || process.env.OPTIK_REQUIRE_CHROMIUM === '1';
}

export interface UiProcess {
  readonly url: string;
  readonly child: ChildProcess;
  readonly stderr: () => string;
  stop(): Promise<number | null>;
}

/** Starts `pnpm optik ui --root <root> --port 0 --json` (the repo's CLI from source) and waits for its URL. */
export function startUi(root: string, extra: readonly string[] = []): Promise<UiProcess> {
  const child = spawn(
    process.execPath,
    [
      fileURLToPath(new URL('../../../tooling/cli-dev/optik.mjs', import.meta.url)),
      'ui',
      '--root',
      root,
      '--port',
      '0',
      '--json',
      ...extra,
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`optik ui did not start within 60 s:\n${stderr}`)), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`optik ui exited (${code}) before listening:\n${stderr}`));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line === undefined) return;
      clearTimeout(timer);
      const { url } = JSON.parse(line) as { url: string };
      resolve({
        url,
        child,
        stderr: () => stderr,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done(child.exitCode);
            child.removeAllListeners('exit');
            child.once('exit', (code) => done(code));
            child.kill('SIGTERM');
          }),
      });
    });
  });
}
