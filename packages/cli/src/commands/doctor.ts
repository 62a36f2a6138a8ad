import { listOptikKernels, nvidiaDriverVisible, probeBackends } from '@optik/backend';
import type { Command } from '../internal/context.js';
import type { CommandHelp } from '../internal/help.js';

/** `optik help doctor`. */
export const doctorHelp: CommandHelp = {
  summary: 'list every backend with its status and why, plus Node/N-API/platform',
  usage:
    'usage: optik doctor [--json]\n  which TensorFlow.js backends load here, which one Optik picks, and why the others do not',
  flags: {},
};

/** `optik doctor`: every backend candidate with its status and reason, plus Node/N-API/platform. */
export const doctor: Command = async (_args, ctx) => {
  const candidates = await probeBackends();
  const chosen = candidates.find((c) => c.available && !(c.name === 'tensorflow-gpu' && !nvidiaDriverVisible()));
  const gpu = candidates.find((c) => c.name === 'tensorflow-gpu');
  const warnings: string[] = [];
  if (gpu?.available && !nvidiaDriverVisible()) {
    warnings.push(
      '@tensorflow/tfjs-node-gpu is installed and loads, but no NVIDIA driver is visible: it would run on the CPU.',
    );
  }
  const kernels = listOptikKernels();
  const report = {
    node: process.version,
    napi: process.versions.napi ?? null,
    platform: `${process.platform}-${process.arch}`,
    cpus: (await import('node:os')).availableParallelism(),
    nvidiaDriver: nvidiaDriverVisible(),
    default: chosen?.name ?? null,
    backends: candidates,
    optikKernels: kernels.length,
    warnings,
  };
  const lines = [
    `node ${report.node}  N-API ${report.napi}  ${report.platform}  ${report.cpus} CPUs  NVIDIA driver: ${report.nvidiaDriver ? 'yes' : 'no'}`,
    '',
    ...candidates.map(
      (c) => `${c.available ? 'ok  ' : 'no  '} ${c.name.padEnd(15)} ${c.package.padEnd(32)} ${c.reason}`,
    ),
    '',
    `default backend: ${report.default}`,
    `Optik kernels registered on top of tfjs: ${kernels.length} (${[...new Set(kernels.map((k) => k.backendName))].join(', ') || 'none'})`,
    ...warnings.map((w) => `WARNING: ${w}`),
  ];
  ctx.result(report, lines.join('\n'));
};
