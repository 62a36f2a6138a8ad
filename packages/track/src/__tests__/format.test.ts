import { tempDir } from '@optik/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  formatComparison,
  formatDuration,
  formatNumber,
  formatRunDetails,
  formatRunList,
  formatStudyList,
  openStore,
  renderTable,
  runCompareJson,
  runListJson,
  runShowJson,
  type Store,
} from '../index.js';

let store: Store | undefined;
afterEach(() => store?.close());

function twoRuns(): Store {
  const root = tempDir();
  store = openStore({ root, gitCwd: root });
  const a = store.createRun({ task: 'classification', config: { lr: 0.01, epochs: 2 }, seed: 1, backend: 'cpu' });
  a.logEpoch(1, { loss: 0.9, accuracy: 0.6 });
  a.logEpoch(2, { loss: 0.5, accuracy: 0.8 });
  a.finish({ metrics: { accuracy: 0.8, loss: 0.5 } });
  const b = store.createRun({ task: 'classification', config: { lr: 0.001, epochs: 2 }, seed: 1, backend: 'cpu' });
  b.logEpoch(1, { loss: 0.7, accuracy: 0.7 });
  b.markInterrupted('received SIGINT');
  return store;
}

describe('renderTable', () => {
  it('aligns text left and numbers right, with a rule under the header and no trailing spaces', () => {
    expect(
      renderTable(
        ['name', 'acc', 'note'],
        [
          ['exp', '0.9123', 'ok'],
          ['exp10', '0.85', ''],
        ],
      ),
    ).toBe(['name      acc  note', '-----  ------  ----', 'exp    0.9123  ok', 'exp10    0.85'].join('\n'));
  });

  it('wraps long text cells onto continuation lines, at a separator where one is near', () => {
    const text = renderTable(
      ['key', 'value'],
      [
        ['model.layers', 'conv 32 3x3, pool 2, conv 64 3x3, pool 2, flatten, dense 128'],
        ['seed', '7'],
      ],
      { maxCellWidth: 24 },
    );
    const lines = text.split('\n');
    expect(lines.every((l) => l.length <= 'model.layers'.length + 2 + 24)).toBe(true);
    expect(lines[2]).toBe('model.layers  conv 32 3x3, pool 2,');
    expect(lines[3]).toBe('              conv 64 3x3, pool 2,');
    expect(lines[4]).toBe('              flatten, dense 128');
    expect(lines[5]).toBe('seed          7');
    // a word longer than the width is cut
    expect(
      renderTable(['k'], [['x'.repeat(20)]], { maxCellWidth: 8 })
        .split('\n')
        .slice(2),
    ).toEqual(['xxxxxxxx', 'xxxxxxxx', 'xxxx']);
  });

  it('formats numbers and durations for people', () => {
    expect([formatNumber(3), formatNumber(0.912345), formatNumber(12345.67), formatNumber(0.00001234)]).toEqual([
      '3',
      '0.9123',
      '12345.7',
      '0.0000123',
    ]);
    expect([formatNumber(null), formatNumber(Number.NaN)]).toEqual(['-', 'NaN']);
    expect([formatDuration(850), formatDuration(12_345), formatDuration(245_000), formatDuration(3_720_000)]).toEqual([
      '850ms',
      '12.3s',
      '4m05s',
      '1h02m',
    ]);
  });
});

describe('optik runs ls | show | compare', () => {
  it('lists runs with their status, epochs and the common metrics', () => {
    const s = twoRuns();
    const lines = formatRunList(s.listRuns()).split('\n');
    expect(lines[0]).toMatch(/^id\s+task\/name\s+status\s+epochs\s+time\s+created\s+accuracy\s+loss$/);
    expect(lines[2]).toMatch(
      /^ 1\s+classification\/exp\s+completed\s+2\s+\S+\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+0\.8000\s+0\.5000$/,
    );
    expect(lines[3]).toMatch(/^ 2\s+classification\/exp2\s+interrupted\s+1\s+.*\s+-\s+-$/);
    expect(formatRunList([])).toBe('No runs yet.');
    expect(formatRunList(s.listRuns(), { metrics: ['f1'] }).split('\n')[0]).toMatch(/created\s+f1$/);
  });

  it('shows one run with its facts, params, final metrics and epochs', () => {
    const s = twoRuns();
    const text = formatRunDetails(s.getRun(1));
    expect(text.split('\n')[0]).toBe('Run 1  classification/exp  completed');
    expect(text).toMatch(/seed\s+1\n/);
    expect(text).toMatch(/backend\s+cpu\n/);
    expect(text).toMatch(/Parameters\n\s+key\s+value\n[\s-]+\n\s+lr\s+0\.01\n\s+epochs\s+2/);
    expect(text).toMatch(/Final metrics\n\s+metric\s+value\n[\s-]+\n\s+accuracy\s+0\.8000\n\s+loss\s+0\.5000/);
    expect(text).toMatch(/Epochs\n\s+epoch\s+loss\s+accuracy\s+time\n[\s-]+\n\s+1\s+0\.9000\s+0\.6000/);
    expect(formatRunDetails(s.getRun(2))).toMatch(/error\s+received SIGINT/);
  });

  it('compares runs column by column and stars the best value', () => {
    const s = twoRuns();
    const text = formatComparison(s.compareRuns([1, 2]));
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^\s+1:exp\s+2:exp2$/);
    expect(text).toMatch(/\nlr\s+0\.01\s+0\.001\n/);
    expect(text).not.toMatch(/\nepochs\s+2\s+2\n/); // equal params are hidden …
    expect(formatComparison(s.compareRuns([1, 2]), { all: true })).toMatch(/\nepochs\s+2\s+2\n/); // … unless asked
    expect(text).toMatch(/\naccuracy \(↑\)\s+0\.8000 \*\s+0\.7000\n/);
    expect(text).toMatch(/\nloss \(↓\)\s+0\.5000 \*\s+0\.7000/);
    expect(text).toMatch(/no final metrics for 2:exp2: their last epoch is shown/);
  });

  it('shows scores (F1 first after accuracy), never counts, and ranks no count', () => {
    const root = tempDir();
    store = openStore({ root, gitCwd: root });
    const report = (accuracy: number, f1: number, numSamples: number) => ({
      numSamples,
      loss: 0.4,
      accuracy,
      precision: f1,
      recall: f1,
      f1,
      perClass: [{ name: 'cat', f1 }],
      timings: { trainSeconds: 12.5, evalSeconds: 1.5 },
      diagnosis: { verdict: 'good-fit', reasons: ['…'] },
    });
    for (const [accuracy, f1, n] of [
      [0.9, 0.85, 100],
      [0.8, 0.75, 120],
    ] as const) {
      const run = store.createRun({ task: 'classification', config: { lr: accuracy } });
      run.logEpoch(1, { loss: 0.5 });
      run.finish({ metrics: report(accuracy, f1, n) });
    }
    const header = formatRunList(store.listRuns()).split('\n')[0] as string;
    expect(header).toMatch(/created\s+accuracy\s+f1\s+precision\s+recall$/);
    const compare = formatComparison(store.compareRuns([1, 2]));
    expect(compare).toMatch(/\nnumSamples\s+100\s+120$/); // no arrow, no star
    expect(compare).toMatch(/\nloss \(↓\)\s+0\.4000 \*\s+0\.4000 \*\n/); // a tie stars both
    expect(compare).toMatch(/\nf1 \(↑\)\s+0\.8500 \*\s+0\.7500/);
    expect(compare.indexOf('accuracy (↑)')).toBeLessThan(compare.indexOf('numSamples'));
    expect(store.compareRuns([1, 2]).metrics.find((m) => m.key === 'numSamples')?.best).toBeNull();
    const show = formatRunDetails(store.getRun(1));
    expect(show).toMatch(/\n\s+accuracy\s+0\.9000\n\s+f1\s+0\.8500\n/);
    expect(show).toMatch(/\n\s+timings\.trainSeconds\s+12\.5000\n/);
    expect(show).toMatch(/\n\s+diagnosis\.verdict\s+good-fit\n/);
    expect(show).toMatch(/\n\s+perClass\s+\(a table: see metrics\.json\)\n/);
  });

  it('gives the --json shapes as plain JSON objects', () => {
    const s = twoRuns();
    const ls = JSON.parse(JSON.stringify(runListJson(s.listRuns())));
    expect(ls.runs).toHaveLength(2);
    expect(ls.runs[0]).toMatchObject({ id: 1, name: 'exp', status: 'completed', metrics: { accuracy: 0.8 } });
    expect(ls.runs[0]).not.toHaveProperty('config');
    const show = JSON.parse(JSON.stringify(runShowJson(s.getRun(1))));
    expect(show.run.config).toEqual({ lr: 0.01, epochs: 2 });
    expect(show.run.epochs).toHaveLength(2);
    const compare = JSON.parse(JSON.stringify(runCompareJson(s.compareRuns([1, 2]))));
    expect(compare.comparison.runs.map((r: { id: number }) => r.id)).toEqual([1, 2]);
  });

  it('lists studies with their trial counts', () => {
    const root = tempDir();
    store = openStore({ root, gitCwd: root });
    const study = store.createStudy({ name: 'grid', direction: 'maximize', objective: 'accuracy', sampler: {} });
    store.createRun({ task: 'classification', studyId: study.id }).finish({ metrics: { accuracy: 0.9 } });
    store.createRun({ task: 'classification', studyId: study.id }).finish({ status: 'pruned' });
    const lines = formatStudyList(store.listStudies()).split('\n');
    expect(lines[0]).toMatch(
      /^id\s+name\s+objective\s+status\s+trials\s+completed\s+pruned\s+failed\s+interrupted\s+running\s+best run$/,
    );
    expect(lines[2]).toMatch(/^ 1\s+grid\s+max accuracy\s+running\s+2\s+1\s+1\s+0\s+0\s+0\s+-$/);
  });
});
