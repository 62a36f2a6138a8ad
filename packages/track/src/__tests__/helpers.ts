// Shared test helpers for @optik/track (not a test file: vitest only runs *.test.ts).
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const childScript = fileURLToPath(new URL('./fixtures/child.ts', import.meta.url));

/** Forks the child fixture (TypeScript through tsx, workspace packages from source). */
export function forkChild(args: readonly string[]): ChildProcess {
  return fork(childScript, [...args], {
    cwd: repoRoot,
    execArgv: ['--conditions=@optik/source', '--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
}

/** Resolves when the child exits, with its code, signal and stderr. */
export function exited(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

/** Resolves with the first IPC message of the child that has `key`. */
export function message<T>(child: ChildProcess, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    child.on('message', (m) => {
      if (m !== null && typeof m === 'object' && key in m) resolve((m as Record<string, T>)[key] as T);
    });
    child.on('exit', (code) => reject(new Error(`child exited (${code}) before sending "${key}"`)));
  });
}
