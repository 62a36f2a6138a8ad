import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isOptikError, OptikError } from '@optik/core';
import { writeStudyReport } from '@optik/pipeline';
import {
  formatComparison,
  formatRunDetails,
  formatRunList,
  formatStudyList,
  openStore,
  RUN_STATUSES,
  type RunFilter,
  type RunRecord,
  type RunStatus,
  runCompareJson,
  runListJson,
  runShowJson,
  type Store,
} from '@optik/track';
import { compareCurvesChart, renderPng } from '@optik/viz';
import type { Command } from '../internal/context.js';
import { UsageError } from '../internal/context.js';
import { type CommandHelp, parserOptions } from '../internal/help.js';

const USAGE = `usage: optik runs <ls|show|compare|export|studies|report> [options]
  optik runs ls [--task T] [--status S] [--study ID] [--sort KEY] [--desc] [--limit N]
  optik runs show <run>                  (run = id, name or task/name)
  optik runs compare <run> <run> [...] [--plot curves.png]
  optik runs export --csv [filters as for ls]
  optik runs studies
  optik runs report <study>               (re)write the study's report.html (id or name)
  common: --root DIR (default runs)`;

const SUBCOMMANDS = ['ls', 'list', 'show', 'compare', 'export', 'studies', 'report'];
const FLAGS = {
  root: { type: 'string', value: 'DIR', description: 'the run store (default runs)' },
  task: { type: 'string', value: 'T', description: 'ls/export: only runs of this task' },
  status: {
    type: 'string',
    value: 'S',
    description: `ls/export: only runs with this status (${RUN_STATUSES.join(', ')})`,
  },
  study: { type: 'string', value: 'ID', description: 'ls/export: only the trials of this study' },
  sort: { type: 'string', value: 'KEY', description: 'ls/export: sort by this column or metric' },
  desc: { type: 'boolean', description: 'ls/export: sort descending' },
  limit: { type: 'string', value: 'N', description: 'ls/export: at most N runs' },
  csv: { type: 'boolean', description: 'export: as CSV (the only format so far)' },
  plot: {
    type: 'string',
    value: 'FILE',
    description: 'compare: also write the learning curves of the runs, overlaid, to this PNG',
  },
} as const;

/** `optik help runs`. */
export const runsHelp: CommandHelp = {
  summary: 'list, show, compare and export recorded runs (ls | show | compare | export --csv | studies | report)',
  usage: USAGE,
  flags: FLAGS,
};

/** `optik runs`: list, show, compare and export the runs in the store. */
export const runs: Command = async (args, ctx) => {
  const [sub, ...rest] = args;
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(rest);
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (sub === undefined || !SUBCOMMANDS.includes(sub)) {
    throw new UsageError(sub === undefined ? USAGE : `unknown subcommand "${sub}".\n${USAGE}`);
  }
  if (sub === 'report') {
    const ref = positionals[0];
    if (ref === undefined) throw new UsageError(`optik runs report needs a study (id or name).\n${USAGE}`);
    const { file } = writeStudyReport(refOf(ref), { root: values.root ?? 'runs' });
    ctx.result({ file }, `wrote ${file}`);
    return;
  }
  const store = openForReading(values.root ?? 'runs');
  try {
    const filter: RunFilter = {
      ...(values.task === undefined ? {} : { task: values.task }),
      ...(values.status === undefined ? {} : { status: statusOf(values.status) }),
      ...(values.study === undefined ? {} : { studyId: Number(values.study) }),
      ...(values.sort === undefined ? {} : { sortBy: values.sort }),
      ...(values.desc ? { order: 'desc' as const } : {}),
      ...(values.limit === undefined ? {} : { limit: Number(values.limit) }),
    };
    switch (sub) {
      case 'ls':
      case 'list': {
        const list = store.listRuns(filter);
        ctx.result(runListJson(list), formatRunList(list));
        return;
      }
      case 'show': {
        const ref = positionals[0];
        if (ref === undefined) throw new UsageError(`optik runs show needs a run.\n${USAGE}`);
        const record = store.getRun(refOf(ref));
        ctx.result(runShowJson(record), formatRunDetails(record));
        return;
      }
      case 'compare': {
        if (positionals.length < 2) throw new UsageError(`optik runs compare needs two or more runs.\n${USAGE}`);
        const refs = positionals.map(refOf);
        const comparison = store.compareRuns(refs);
        const plot =
          values.plot === undefined
            ? undefined
            : await writeCurves(
                refs.map((ref) => store.getRun(ref)),
                values.plot,
              );
        ctx.result(
          { ...runCompareJson(comparison), ...(plot === undefined ? {} : { plot }) },
          `${formatComparison(comparison)}${plot === undefined ? '' : `\nlearning curves: ${plot}`}`,
        );
        return;
      }
      case 'export': {
        const csv = store.exportCsv(filter);
        if (ctx.json) ctx.result({ csv }, csv);
        else process.stdout.write(csv.endsWith('\n') ? csv : `${csv}\n`);
        return;
      }
      case 'studies': {
        const studies = store.listStudies();
        ctx.result({ studies }, formatStudyList(studies));
        return;
      }
      default:
        throw new UsageError(sub === undefined ? USAGE : `unknown subcommand "${sub}".\n${USAGE}`);
    }
  } finally {
    store.close();
  }
};

/**
 * Every `runs` verb only reads. A missing store is refused (a typo in --root must not create one); a store that
 * cannot be written now (full disk, read-only folder) is listed read-only, without the sweep of dead runs.
 */
function openForReading(root: string): Store {
  try {
    return openStore({ root, create: false });
  } catch (error) {
    if (!isOptikError(error, 'DISK_FULL') && !isOptikError(error, 'STORE_READONLY')) throw error;
    process.stderr.write(
      `optik runs: note: ${error.code === 'DISK_FULL' ? 'the disk is full' : 'the store cannot be written'}; reading it as it is (runs of dead processes may still show as running).\n`,
    );
    return openStore({ root, readOnly: true });
  }
}

/**
 * Writes the runs' learning curves overlaid (one colour per run) to `file`: loss, then every metric the runs
 * log with a validation twin (`accuracy` next to `val_accuracy`), at most three panels.
 */
async function writeCurves(records: readonly RunRecord[], file: string): Promise<string> {
  const keys = new Set(records.flatMap((r) => r.epochs.flatMap((e) => Object.keys(e.metrics))));
  const metrics = ['loss', ...[...keys].filter((k) => k !== 'loss' && keys.has(`val_${k}`))].slice(0, 3);
  const spec = compareCurvesChart(
    records.map((r) => ({ name: `${r.id}:${r.name}`, rows: r.epochs.map((e) => ({ ...e.metrics, epoch: e.epoch })) })),
    { metrics, title: `Learning curves of runs ${records.map((r) => r.id).join(', ')}` },
  );
  const out = resolve(file);
  try {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, await renderPng(spec));
  } catch (cause) {
    throw new OptikError(
      'ARGUMENT_INVALID',
      `Cannot write the learning curves to ${out}: ${(cause as Error).message}.`,
      { received: file, hint: 'Give --plot a writable .png file path, e.g. --plot curves.png.' },
      { cause },
    );
  }
  return out;
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: parserOptions(FLAGS),
  });
}

function refOf(text: string): number | string {
  return /^\d+$/.test(text) ? Number(text) : text;
}

function statusOf(text: string): RunStatus {
  if (!(RUN_STATUSES as readonly string[]).includes(text)) {
    throw new UsageError(`--status must be one of ${RUN_STATUSES.join(', ')}; got "${text}".`);
  }
  return text as RunStatus;
}
