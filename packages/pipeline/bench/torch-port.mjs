// What the benches of an Optik example against a PyTorch port of it share (bench:localize, bench:detect,
// bench:segment): the common options, training the example (or reusing a run), reading the run's record, running
// the port in a child python3 and printing the comparison table.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadPipelineConfig, runTraining } from '@optik/pipeline';
import { parse as parseYaml } from 'yaml';

/**
 * Prints `bench: <message>` and exits with status 1. Not a throw: tfjs-wasm's uncaught-exception handler would
 * print its whole module source.
 */
export function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(1);
}

/**
 * Parses the command line (`--run DIR`, `--config FILE` default `config`, `--threads N` default ≤ 2, and the bench's
 * own `options`), then trains `config` with Optik (with `overrides(values)` merged into it, on `--threads` wasm
 * threads unless OPTIK_THREADS says otherwise, as the port gets), or takes the `--run` folder instead, and returns
 * the parsed values, the run folder and its record ({@link readRun}).
 */
export async function startPortBench({ name, config, options = {}, overrides = () => ({}) }) {
  const { values } = parseArgs({
    options: {
      run: { type: 'string' },
      config: { type: 'string', default: config },
      threads: { type: 'string', default: String(Math.min(2, availableParallelism())) },
      ...options,
    },
  });
  let runDir = values.run === undefined ? undefined : resolve(values.run);
  if (runDir === undefined) {
    process.env.OPTIK_THREADS ??= values.threads;
    const resolved = loadPipelineConfig(values.config, { ...overrides(values), name: `${name}-${Date.now()}` });
    console.error(`bench: training ${values.config} with Optik …`);
    const onEpoch = ({ epoch, epochs, logs }) => {
      const scores = Object.entries(logs).filter(([key]) => key === 'loss' || key.startsWith('val_'));
      const shown = scores.map(([key, value]) => `${key} ${value.toFixed(4)}`).join(' ');
      console.error(`optik: epoch ${epoch + 1}/${epochs} ${shown} ${logs.samples_per_second.toFixed(1)} samples/s`);
    };
    runDir = (await runTraining(resolved, { log: (line) => console.error(line), progress: false, onEpoch })).runDir;
  }
  return { values, runDir, ...readRun(runDir) };
}

/**
 * A finished run's record: its resolved config, test metrics, each epoch's learning rate and the mean training
 * samples/s over its epochs (validation excluded), from config.yaml, metrics.json and results.csv.
 */
export function readRun(runDir) {
  for (const file of ['config.yaml', 'metrics.json', 'results.csv']) {
    if (!existsSync(join(runDir, file))) fail(`${runDir} has no ${file}: give the folder of a finished run`);
  }
  const config = parseYaml(readFileSync(join(runDir, 'config.yaml'), 'utf8'));
  const metrics = JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8'));
  const rows = readFileSync(join(runDir, 'results.csv'), 'utf8').trim().split('\n');
  const header = rows[0].split(',');
  const column = (name) => rows.slice(1).map((row) => Number(row.split(',')[header.indexOf(name)]));
  const speeds = column('samples_per_second');
  return {
    config,
    metrics,
    learningRates: column('learning_rate'),
    samplesPerSecond: speeds.reduce((a, b) => a + b, 0) / speeds.length,
  };
}

/**
 * Runs a port script with `python3` (its stderr, the per-epoch progress, shown as it comes) and returns the JSON
 * object of its last stdout line. On failure removes `cleanup` (the export folder) and exits.
 */
export function runPort(script, args, { cleanup } = {}) {
  const python = spawnSync('python3', [script, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (python.status !== 0) {
    if (cleanup !== undefined) rmSync(cleanup, { recursive: true, force: true });
    fail(`the PyTorch port failed (${python.error?.message ?? `exit status ${python.status}`}; its error is above)`);
  }
  return JSON.parse(python.stdout.trim().split('\n').at(-1));
}

const score = (v) => (v === undefined || v === null ? '–' : v.toFixed(4));

/** Prints rows of cells as left-aligned columns (the first row is the header). */
function printTable(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => String(row[c] ?? '').length)));
  for (const row of rows)
    console.log(
      row
        .map((cell, c) => String(cell ?? '').padEnd(widths[c]))
        .join('  ')
        .trimEnd(),
    );
}

/**
 * Prints the comparison: `title`, a table of the test `scores` (`[name, optik, port]`, 4 decimals) and the training
 * samples/s of both (`speedDigits` decimals), then the gap in the first score (points) and the speed ratio (Optik
 * samples/s ÷ PyTorch samples/s), each against its goal when `goals` names one (`gap` in points, `ratio`).
 */
export function printComparison({ title, scores, run, port, speedDigits = 1, goals = {} }) {
  console.log(title);
  printTable([
    ['', ...scores.map(([name]) => name), 'train samples/s'],
    [
      `optik (${run.metrics.backend?.name ?? 'wasm'})`,
      ...scores.map(([, optik]) => score(optik)),
      run.samplesPerSecond.toFixed(speedDigits),
    ],
    [
      `pytorch ${port.torch} (${port.threads} threads)`,
      ...scores.map(([, , ported]) => score(ported)),
      port.trainSamplesPerSecond.toFixed(speedDigits),
    ],
  ]);
  const [name, optik, ported] = scores[0];
  const gap = (optik - ported) * 100;
  const ratio = run.samplesPerSecond / port.trainSamplesPerSecond;
  const against = (goal, value, unit) =>
    goal === undefined ? '' : ` (goal ≥ ${goal}${unit}: ${value >= goal ? 'met' : 'missed'})`;
  console.log(
    `gap (optik − pytorch) in ${name}: ${gap.toFixed(2)} points${against(goals.gap, gap, '')}; speed ratio optik/pytorch: ${ratio.toFixed(2)}×${against(goals.ratio, ratio, '×')}`,
  );
}
