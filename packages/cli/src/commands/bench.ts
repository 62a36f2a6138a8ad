import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchmarkReferenceCnn, initBackend } from '@optik/backend';
import { OptikError } from '@optik/core';
import type { Command } from '../internal/context.js';
import { UsageError } from '../internal/context.js';

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

/** `optik bench`: trains the reference CNN and prints samples/s; `--peer` runs PyTorch in the same run. */
export const bench: Command = async (args, ctx) => {
  let values: { 'batch-size'?: string; steps?: string; warmup?: string; peer?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        'batch-size': { type: 'string' },
        steps: { type: 'string' },
        warmup: { type: 'string' },
        peer: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
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
  const steps = toInt('steps', values.steps, 30);
  const warmup = toInt('warmup', values.warmup, 3, 0);

  const choice = await initBackend({ prefer: ctx.backend as never });
  ctx.info(
    `optik bench: reference CNN, batch ${batchSize}, ${warmup} warm-up + ${steps} timed steps on ${choice.name}`,
  );
  const result = await benchmarkReferenceCnn({ batchSize, steps, warmupSteps: warmup });

  let peer: PeerResult | undefined;
  let peerNote: string | undefined;
  if (values.peer) {
    ctx.info('optik bench: running the PyTorch peer (same model, batch, threads)');
    const outcome = runPytorch({ batchSize, steps, warmup, threads: availableParallelism() });
    if (typeof outcome === 'string') peerNote = outcome;
    else peer = outcome;
  }
  const ratios =
    peer === undefined
      ? undefined
      : {
          train: result.trainSamplesPerSec / peer.trainSamplesPerSec,
          infer: result.inferSamplesPerSec / peer.inferSamplesPerSec,
        };
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
            trainSamplesPerSec: round(peer.trainSamplesPerSec),
            inferSamplesPerSec: round(peer.inferSamplesPerSec),
          },
          ratio: { train: round(ratios!.train, 3), infer: round(ratios!.infer, 3) },
        }),
    ...(peerNote === undefined ? {} : { peerSkipped: peerNote }),
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
          `pytorch ${peer.version} train ${round(peer.trainSamplesPerSec)}/s, infer ${round(peer.inferSamplesPerSec)}/s (${peer.threads} threads)`,
          `ratio Optik ÷ PyTorch: train ${round(ratios!.train, 3)}×, infer ${round(ratios!.infer, 3)}×`,
        ]),
  ].join('\n');
  ctx.result(json, human);
  if (result.tensorsLeaked !== 0) process.exitCode = 1;
};

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
