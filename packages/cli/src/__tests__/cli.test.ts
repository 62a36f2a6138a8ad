import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { openStore } from '@optik/track';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../..', import.meta.url));
const bin = fileURLToPath(new URL('../bin.ts', import.meta.url));

/** Runs the real CLI in a child process, as a user would (from source, through tsx). */
function optik(...args: string[]) {
  const run = spawnSync(process.execPath, ['--conditions=@optik/source', '--import', 'tsx', bin, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, OPTIK_BACKEND: '' },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('optik CLI contract', () => {
  it('prints usage and exits 2 without a command or with an unknown one', () => {
    expect(optik().code).toBe(2);
    const unknown = optik('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  });

  it('doctor --json prints one JSON object as the last stdout line, listing every backend', () => {
    const run = optik('doctor', '--json');
    expect(run.code).toBe(0);
    const last = JSON.parse(run.stdout.trim().split('\n').at(-1) as string);
    expect(last.backends.map((b: { name: string }) => b.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
    expect(last.backends.find((b: { name: string }) => b.name === 'cpu').available).toBe(true);
    expect(typeof last.node).toBe('string');
  });

  it('bench --json reports samples/s, the backend and no leaked tensors', () => {
    const run = optik('bench', '--backend', 'wasm', '--steps', '1', '--warmup', '0', '--batch-size', '8', '--json');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1) as string);
    expect(result).toMatchObject({ backend: 'wasm', model: 'reference-cnn', batchSize: 8, tensorsLeaked: 0 });
    expect(result.trainSamplesPerSec).toBeGreaterThan(0);
    expect(result.inferSamplesPerSec).toBeGreaterThan(0);
    expect(run.stderr).toContain('optik: backend wasm');
  });

  it('bench --rounds N reports each round and the median of them', () => {
    const run = optik(
      'bench',
      '--backend',
      'wasm',
      '--steps',
      '1',
      '--warmup',
      '0',
      '--batch-size',
      '8',
      '--rounds',
      '3',
      '--json',
    );
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1) as string);
    expect(result.rounds).toHaveLength(3);
    const train = result.rounds
      .map((r: { trainSamplesPerSec: number }) => r.trainSamplesPerSec)
      .sort((a: number, b: number) => a - b);
    expect(result.trainSamplesPerSec).toBeCloseTo(train[1], 0);
    expect(result.tensorsLeaked).toBe(0);
    expect(run.stderr).toContain('round 3 of 3');
    expect(optik('bench', '--rounds', '0').stderr).toContain('ARGUMENT_INVALID');
  });

  it('a bad argument is a coded one-paragraph error with exit 1 and no stack trace', () => {
    const run = optik('bench', '--steps', 'zero');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ARGUMENT_INVALID');
    expect(run.stderr).toContain('Received: "zero"');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unknown flag is a usage error (exit 2)', () => {
    expect(optik('bench', '--stepz', '3').code).toBe(2);
  });

  it('an unavailable backend is refused with the reason', () => {
    const run = optik('bench', '--backend', 'tensorflow', '--steps', '1');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('BACKEND_UNAVAILABLE');
  });
});

describe('optik runs', () => {
  it('lists an empty store and refuses an unknown run with a coded error', () => {
    const dir = `${tmpdir()}/optik-cli-runs-${process.pid}`;
    // `runs` only reads: the store must exist (a missing one is refused, see hostile.test.ts).
    openStore({ root: dir }).close();
    const ls = optik('runs', 'ls', '--root', dir, '--json');
    expect(ls.code).toBe(0);
    expect(JSON.parse(ls.stdout.trim().split('\n').at(-1) as string)).toEqual({ runs: [] });
    const show = optik('runs', 'show', '42', '--root', dir);
    expect(show.code).toBe(1);
    expect(show.stderr).toContain('RUN_NOT_FOUND');
    expect(optik('runs', 'frob', '--root', dir).code).toBe(2);
  });
});
