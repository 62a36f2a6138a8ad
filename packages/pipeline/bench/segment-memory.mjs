// Memory of a real semantic-segmentation training run (issue #14): peak RSS and tf.memory() per epoch.
//
//   pnpm bench:segment-memory [--config examples/segmentation/train.yaml] [--size 256] [--epochs 3]
//                             [--train 256] [--validation 64] [--test 64] [--batch 4] [--backend wasm]
//
// It runs what `optik train <config> data.imageSize=[S,S] train.epochs=E data.limit.train=N …` runs
// (loadPipelineConfig with those overrides, then runTraining) in a child process under `/usr/bin/time -v`, so the
// peak RSS is the kernel's count for the whole training process (data loading, model, optimizer, validation,
// checkpoints, test evaluation, report). After each epoch the child prints tf.memory()'s tensor count and bytes and
// the process RSS; the parent prints one row per epoch, the peak RSS, the machine's load (`uptime`, since the
// machine is shared) and whether the tensor count stayed flat. Exit code 1 when it grew. The example's early
// stopping restores the best weights, so it holds one copy of them from the end of epoch 1 — after that epoch's
// probe — and the count is judged from epoch 2 on (hence 3 epochs by default).
// Note: `data.limit` subsets each split after it is decoded, so the whole decoded synth split counts in the peak.
// Batch 4 by default: at 256×256 the example's batch 16 fails its first step on wasm (the heap's 4 GiB run out:
// 'memory access out of bounds'), and batch 8 had not finished epoch 1 of 256 images after 23 minutes (RSS 3.1 GB).
//
// Measured (2026-12-07, shared 2-core machine, load average ~5, wasm with 2 threads, defaults above): peak RSS
// 2269 MB (/usr/bin/time -v); RSS 2039/2040/2040 MB after epochs 1–3; tensors 180, 258, 258 (flat from epoch 2);
// epochs of 256 images took 176/140/117 s; 477 s in all.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'examples/segmentation/train.yaml' },
    size: { type: 'string', default: '256' },
    epochs: { type: 'string', default: '3' },
    train: { type: 'string', default: '256' },
    validation: { type: 'string', default: '64' },
    test: { type: 'string', default: '64' },
    batch: { type: 'string', default: '4' },
    backend: { type: 'string' },
    child: { type: 'string' },
  },
});

const MB = 1024 * 1024;

if (values.child !== undefined) {
  // The training process: the two calls `optik train` makes, with a probe after each epoch on stdout.
  const { loadPipelineConfig, runTraining } = await import('@optik/pipeline');
  const tf = await import('@tensorflow/tfjs');
  const size = Number(values.size);
  const config = loadPipelineConfig(values.config, {
    name: `bench-segment-memory-${Date.now()}`,
    data: {
      imageSize: [size, size],
      batchSize: Number(values.batch),
      limit: { train: Number(values.train), validation: Number(values.validation), test: Number(values.test) },
    },
    train: { epochs: Number(values.epochs) },
    // The example's 30-minute limit would end a slow 256×256 run before the epochs asked for.
    callbacks: { timeLimit: null },
    output: { root: values.child },
  });
  const probe = (what) => {
    const memory = tf.memory();
    return {
      what,
      tensors: memory.numTensors,
      tensorMB: memory.numBytes / MB,
      rssMB: process.memoryUsage().rss / MB,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
    };
  };
  const result = await runTraining(config, {
    ...(values.backend === undefined ? {} : { backend: values.backend }),
    progress: false,
    log: (line) => process.stderr.write(`${line}\n`),
    onEpoch: ({ epoch, logs }) => {
      const row = { ...probe(`epoch ${epoch + 1}`), seconds: logs.epoch_seconds, loss: logs.loss };
      process.stdout.write(`${JSON.stringify(row)}\n`);
    },
  });
  process.stdout.write(
    `${JSON.stringify({
      ...probe('after test'),
      backend: result.backend,
      miou: result.metrics.miou ?? null,
      restoreBestWeights: config.callbacks.earlyStopping?.restoreBestWeights === true,
    })}\n`,
  );
} else {
  const root = mkdtempSync(join(tmpdir(), 'optik-seg-memory-'));
  const timeFile = join(root, 'time.txt');
  const script = fileURLToPath(import.meta.url);
  const node = [process.execPath, '--conditions=@optik/source', '--import', 'tsx', script];
  const args = [
    ...['--config', values.config, '--size', values.size, '--epochs', values.epochs],
    ...['--train', values.train, '--validation', values.validation, '--test', values.test],
    ...(values.backend === undefined ? [] : ['--backend', values.backend]),
    ...['--batch', values.batch],
    ...['--child', join(root, 'runs')],
  ];
  const timed = existsSync('/usr/bin/time');
  const [command, ...rest] = timed ? ['/usr/bin/time', '-v', '-o', timeFile, ...node, ...args] : [...node, ...args];
  console.error(
    `bench: ${values.config} at ${values.size}×${values.size}, ${values.epochs} epochs, data.limit train/val/test ` +
      `${values.train}/${values.validation}/${values.test}, batch ${values.batch}${timed ? ' under /usr/bin/time -v' : ''} …`,
  );
  const started = Date.now();
  const child = spawnSync(command, rest, {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * MB,
  });
  const wall = (Date.now() - started) / 1000;
  const load = spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
  const rows = child.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
  const peakKb = timed
    ? Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(readFileSync(timeFile, 'utf8'))?.[1])
    : NaN;
  rmSync(root, { recursive: true, force: true });
  if (child.status !== 0) {
    const peak = Number.isFinite(peakKb) ? `; peak RSS until then ${(peakKb / 1024).toFixed(0)} MB` : '';
    console.error(`bench: the training process failed (exit ${child.status}, signal ${child.signal})${peak}`);
    for (const r of rows) console.error(`  ${r.what}: ${r.tensors} tensors, RSS ${r.rssMB.toFixed(0)} MB`);
    process.exit(1);
  }
  const fixed = (v, d = 1) => (typeof v === 'number' ? v.toFixed(d) : '–');
  console.log('when        tensors  tensor MB  RSS MB  max RSS MB  epoch s  loss');
  for (const r of rows) {
    console.log(
      `${r.what.padEnd(11)} ${String(r.tensors).padStart(7)}  ${fixed(r.tensorMB).padStart(9)}  ${fixed(r.rssMB, 0).padStart(6)}` +
        `  ${fixed(r.maxRssMB, 0).padStart(10)}  ${fixed(r.seconds).padStart(7)}  ${fixed(r.loss, 4)}`,
    );
  }
  const epochs = rows.filter((r) => r.what.startsWith('epoch'));
  const last = rows.at(-1);
  // The probe runs in the run's first epoch-end callback; with restoreBestWeights, early stopping then takes its one
  // copy of the model's weights, so the count is held from epoch 2 on (epoch 1 reads lower by that copy).
  const from = last?.restoreBestWeights ? 1 : 0;
  const judged = epochs.length >= from + 2;
  const flat = !judged || epochs.slice(from).every((r) => r.tensors === epochs[from].tensors);
  console.log(`backend: ${last?.backend}; test mIoU ${fixed(last?.miou, 3)}; wall ${wall.toFixed(0)} s`);
  console.log(
    `peak RSS: ${Number.isFinite(peakKb) ? `${(peakKb / 1024).toFixed(0)} MB (/usr/bin/time -v)` : `${fixed(last?.maxRssMB, 0)} MB (process maxRSS)`}`,
  );
  console.log(
    `tensor count after each epoch: ${epochs.map((r) => r.tensors).join(', ')} (${judged ? (flat ? 'flat' : 'GROWS') : 'too few epochs to judge'}` +
      `${from > 0 ? ` from epoch ${from + 1}: epoch 1's probe precedes early stopping's copy of the best weights` : ''})`,
  );
  console.log(`load: ${load}`);
  if (!flat) process.exit(1);
}
