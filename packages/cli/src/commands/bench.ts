import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compose, RandomFlip, RandomTranslate } from '@optik/augment';
import { benchmarkReferenceCnn, initBackend } from '@optik/backend';
import { OptikError } from '@optik/core';
import { loadBuiltinDataset, makeBatches } from '@optik/data';
import * as tf from '@tensorflow/tfjs';
import type { Command } from '../internal/context.js';
import { UsageError } from '../internal/context.js';
import { type CommandHelp, parserOptions } from '../internal/help.js';

interface PeerResult {
  readonly peer: string;
  readonly version: string;
  readonly threads: number;
  readonly trainSamplesPerSec: number;
  readonly inferSamplesPerSec: number;
}

function findPython(): string | undefined {
  // Debian's python3-torch lives in the system interpreter, which may not be the first python3 on PATH.
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(candidate, ['-c', 'import torch'], { stdio: 'ignore' });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

function runPytorch(opts: { batchSize: number; steps: number; warmup: number; threads: number }): PeerResult | string {
  const python = findPython();
  if (python === undefined) return 'PyTorch is not importable (on Debian: apt-get install python3-torch)';
  const script = fileURLToPath(new URL('../../peers/torch_reference_cnn.py', import.meta.url));
  if (!existsSync(script)) return `peer script missing at ${script}`;
  const run = spawnSync(
    python,
    [
      script,
      '--threads',
      String(opts.threads),
      '--batch-size',
      String(opts.batchSize),
      '--steps',
      String(opts.steps),
      '--warmup',
      String(opts.warmup),
    ],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) return `PyTorch peer failed: ${(run.stderr || '').trim().split('\n').at(-1)}`;
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as PeerResult;
}

const FLAGS = {
  'batch-size': { type: 'string', value: 'N', description: 'images per training step (default 64)' },
  steps: { type: 'string', value: 'N', description: 'timed training steps (default 200)' },
  warmup: { type: 'string', value: 'N', description: 'untimed steps first, to warm up the backend (default 10)' },
  peer: { type: 'boolean', description: 'also time the same CNN in PyTorch, in the same run (python3-torch)' },
  data: { type: 'boolean', description: 'also time the data pipeline: decoding, augmentation, batching' },
  rounds: {
    type: 'string',
    value: 'N',
    description:
      'alternate Optik and the peer N times and report the medians, so one noisy round does not decide (default 1)',
  },
} as const;

/** `optik help bench`. */
export const benchHelp: CommandHelp = {
  summary: 'train the reference CNN and print samples/s (--peer: PyTorch in the same run)',
  usage:
    'usage: optik bench [--batch-size 64] [--steps 200] [--warmup 10] [--peer] [--rounds 1] [--data] [--json] [--backend NAME]',
  flags: FLAGS,
};

/** `optik bench`: trains the reference CNN and prints samples/s; `--peer` runs PyTorch in the same run. */
export const bench: Command = async (args, ctx) => {
  let values: {
    'batch-size'?: string;
    steps?: string;
    warmup?: string;
    peer?: boolean;
    data?: boolean;
    rounds?: string;
  };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: parserOptions(FLAGS),
      strict: true,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${benchHelp.usage}`);
  }
  const toInt = (name: string, text: string | undefined, fallback: number, min = 1) => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) {
      throw new OptikError('ARGUMENT_INVALID', `--${name} must be an integer ≥ ${min}.`, { received: text });
    }
    return n;
  };
  const batchSize = toInt('batch-size', values['batch-size'], 64);
  const steps = toInt('steps', values.steps, 200);
  const warmup = toInt('warmup', values.warmup, 10, 0);
  const roundCount = toInt('rounds', values.rounds, 1);

  const choice = await initBackend({ prefer: ctx.backend as never });
  ctx.info(
    `optik bench: reference CNN, batch ${batchSize}, ${warmup} warm-up + ${steps} timed steps on ${choice.name}` +
      (roundCount > 1 ? `, ${roundCount} rounds` : ''),
  );
  // Alternating rounds (Optik, then the peer, N times): a burst of other work on the machine lands in one round's
  // pair, and the medians below leave it out.
  const rounds: Round[] = [];
  let peerNote: string | undefined;
  for (let i = 0; i < roundCount; i++) {
    if (roundCount > 1) ctx.info(`optik bench: round ${i + 1} of ${roundCount}`);
    const optik = await benchmarkReferenceCnn({ batchSize, steps, warmupSteps: warmup });
    let peer: PeerResult | undefined;
    if (values.peer && peerNote === undefined) {
      ctx.info('optik bench: running the PyTorch peer (same model, batch, threads)');
      const outcome = runPytorch({ batchSize, steps, warmup, threads: availableParallelism() });
      if (typeof outcome === 'string') peerNote = outcome;
      else peer = outcome;
    }
    rounds.push({ optik, peer });
  }
  const result = medianRound(rounds);
  const peer = rounds.every((r) => r.peer !== undefined) ? rounds[0]?.peer : undefined;
  const peerMedian =
    peer === undefined
      ? undefined
      : {
          trainSamplesPerSec: median(rounds.map((r) => r.peer!.trainSamplesPerSec)),
          inferSamplesPerSec: median(rounds.map((r) => r.peer!.inferSamplesPerSec)),
        };
  // Each round's Optik ÷ PyTorch ratios, computed once: their medians are the headline, the list is in --json.
  const roundRatios = rounds.map((r) =>
    r.peer === undefined
      ? undefined
      : {
          train: r.optik.trainSamplesPerSec / r.peer.trainSamplesPerSec,
          infer: r.optik.inferSamplesPerSec / r.peer.inferSamplesPerSec,
        },
  );
  const ratios =
    peer === undefined
      ? undefined
      : {
          train: median(roundRatios.map((r) => r!.train)),
          infer: median(roundRatios.map((r) => r!.infer)),
        };

  const data = values.data ? await benchDataPipeline(batchSize, ctx.info) : undefined;
  const json = {
    backend: result.backend,
    model: result.model,
    batchSize: result.batchSize,
    trainSamplesPerSec: round(result.trainSamplesPerSec),
    inferSamplesPerSec: round(result.inferSamplesPerSec),
    tensorsLeaked: result.tensorsLeaked,
    ...(peer === undefined
      ? {}
      : {
          peer: {
            name: peer.peer,
            version: peer.version,
            threads: peer.threads,
            trainSamplesPerSec: round(peerMedian!.trainSamplesPerSec),
            inferSamplesPerSec: round(peerMedian!.inferSamplesPerSec),
          },
          ratio: { train: round(ratios!.train, 3), infer: round(ratios!.infer, 3) },
        }),
    ...(rounds.length > 1
      ? {
          rounds: rounds.map((r, i) => ({
            trainSamplesPerSec: round(r.optik.trainSamplesPerSec),
            inferSamplesPerSec: round(r.optik.inferSamplesPerSec),
            ...(r.peer === undefined
              ? {}
              : {
                  peerTrainSamplesPerSec: round(r.peer.trainSamplesPerSec),
                  peerInferSamplesPerSec: round(r.peer.inferSamplesPerSec),
                  ratio: { train: round(roundRatios[i]!.train, 3), infer: round(roundRatios[i]!.infer, 3) },
                }),
          })),
        }
      : {}),
    ...(peerNote === undefined ? {} : { peerSkipped: peerNote }),
    ...(data === undefined
      ? {}
      : {
          data: {
            dataset: data.dataset,
            augment: data.augment,
            samplesPerSec: round(data.samplesPerSec),
            ratioToTraining: round(data.samplesPerSec / result.trainSamplesPerSec, 2),
            tensorsLeaked: data.tensorsLeaked,
          },
        }),
  };
  const human = [
    `backend            ${result.backend}`,
    `train samples/s    ${json.trainSamplesPerSec}`,
    `infer samples/s    ${json.inferSamplesPerSec}`,
    `tensors            ${result.tensorsBefore} before, ${result.tensorsAfter} after (${result.tensorsLeaked === 0 ? 'no leak' : `LEAK of ${result.tensorsLeaked}`})`,
    ...(peer === undefined
      ? peerNote === undefined
        ? []
        : [`peer               skipped: ${peerNote}`]
      : [
          `pytorch ${peer.version} train ${round(peerMedian!.trainSamplesPerSec)}/s, infer ${round(peerMedian!.inferSamplesPerSec)}/s (${peer.threads} threads)`,
          `ratio Optik ÷ PyTorch: train ${round(ratios!.train, 3)}×, infer ${round(ratios!.infer, 3)}×` +
            (rounds.length > 1
              ? ` (median of ${rounds.length} rounds: train ${roundRatios.map((r) => round(r!.train, 2)).join(', ')})`
              : ''),
        ]),
    ...(data === undefined
      ? []
      : [
          `data pipeline      ${round(data.samplesPerSec)} samples/s (${data.dataset}, shuffle + ${data.augment}, batch ${batchSize}) = ${round(data.samplesPerSec / result.trainSamplesPerSec, 2)}× what training consumes`,
        ]),
  ].join('\n');
  ctx.result(json, human);
  if (result.tensorsLeaked !== 0 || (data !== undefined && data.tensorsLeaked !== 0)) process.exitCode = 1;
};

/**
 * Feeds Fashion-MNIST (MNIST where it is not found) through the batch iterator with shuffling and a typical
 * augmentation (flip + translate) and counts samples/s: the data side must outpace training several times over.
 */
async function benchDataPipeline(batchSize: number, info: (line: string) => void) {
  let loaded: Awaited<ReturnType<typeof loadBuiltinDataset>>;
  let dataset = 'fashion-mnist';
  try {
    loaded = await loadBuiltinDataset('fashion-mnist', { validationSplit: 0.1, seed: 0, download: false, apt: false });
  } catch {
    dataset = 'mnist';
    loaded = await loadBuiltinDataset('mnist', { validationSplit: 0.1, seed: 0 });
  }
  const augment = compose(
    [new RandomFlip({ mode: 'horizontal', p: 0.5 }), new RandomTranslate({ p: 0.5, x: [-0.1, 0.1], y: [-0.1, 0.1] })],
    { seed: 0 },
  );
  const batches = makeBatches(
    loaded.train,
    { batchSize, seed: 0, labelMode: 'categorical', shuffle: true },
    { augmentBatch: (batch, rng) => ({ ...batch, xs: augment.augmentBatch(batch.xs, rng) }) },
  );
  info(`optik bench: data pipeline on ${dataset} (${loaded.train.length} images, shuffle + flip + translate)`);
  const tensorsBefore = tf.memory().numTensors;
  const limit = Math.min(200, batches.length);
  let samples = 0;
  let count = 0;
  const t0 = performance.now();
  for await (const batch of batches) {
    // Read the pixels as training would, so lazily queued work is counted.
    await batch.xs.data();
    samples += batch.xs.shape[0];
    tf.dispose([batch.xs, batch.ys]);
    if (++count >= limit) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    dataset,
    augment: 'flip + translate',
    samplesPerSec: samples / seconds,
    tensorsLeaked: tf.memory().numTensors - tensorsBefore,
  };
}

interface Round {
  readonly optik: Awaited<ReturnType<typeof benchmarkReferenceCnn>>;
  readonly peer: PeerResult | undefined;
}

/** The median of a non-empty list (the mean of the middle two for an even count). */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Optik's result with the median speeds over the rounds and the largest tensor leak any round had. */
function medianRound(rounds: readonly Round[]): Round['optik'] {
  const first = rounds[0]!.optik;
  if (rounds.length === 1) return first;
  const worst = rounds.reduce((a, r) => (r.optik.tensorsLeaked > a.optik.tensorsLeaked ? r : a), rounds[0]!).optik;
  return {
    ...first,
    trainSamplesPerSec: median(rounds.map((r) => r.optik.trainSamplesPerSec)),
    inferSamplesPerSec: median(rounds.map((r) => r.optik.inferSamplesPerSec)),
    tensorsBefore: worst.tensorsBefore,
    tensorsAfter: worst.tensorsAfter,
    tensorsLeaked: worst.tensorsLeaked,
  };
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
