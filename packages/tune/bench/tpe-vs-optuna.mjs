// Compares @optik/tune's TPE and random samplers with Optuna's TPESampler and RandomSampler on the same cheap
// synthetic objectives (known optima, no training), the same budget and several seeds; prints mean best values.
//
//   node --conditions=@optik/source --import tsx packages/tune/bench/tpe-vs-optuna.mjs [--trials 60] [--seeds 10]
//
// The Optuna side runs objectives.py with Debian's Python (`apt-get install python3-optuna`); without it only our
// numbers are printed. Both sides use their defaults (TPE: 10 startup trials, 24 EI candidates, gamma 0.1).
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStudy } from '@optik/tune';

const QUAD_OFFSETS = { a: 1, b: 0, c: 0.5, d: 2 };
const BRANIN_OFFSETS = { a: 2, b: 0, c: 1 };
const H6_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
  [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
  [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.665],
  [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
];

/** Same formulas as objectives.py. */
const OBJECTIVES = {
  'shifted-quadratic': {
    optimum: 0,
    fn: (t) => {
      const x = t.suggestFloat('x', -5, 5);
      const y = t.suggestFloat('y', -5, 5);
      const lr = t.suggestFloat('lr', 1e-5, 1, { log: true });
      const k = t.suggestInt('k', 1, 9);
      const c = t.suggestCategorical('c', ['a', 'b', 'c', 'd']);
      return (x - 1.3) ** 2 + (y + 0.7) ** 2 + (Math.log10(lr) + 2.5) ** 2 + 0.1 * (k - 6) ** 2 + QUAD_OFFSETS[c];
    },
  },
  branin: {
    optimum: 0.397887,
    fn: (t) => {
      const x1 = t.suggestFloat('x1', -5, 10);
      const x2 = t.suggestFloat('x2', 0, 15);
      const c = t.suggestCategorical('c', ['a', 'b', 'c']);
      const b = 5.1 / (4 * Math.PI ** 2);
      const r = 5 / Math.PI;
      const s = 1 / (8 * Math.PI);
      return (x2 - b * x1 ** 2 + r * x1 - 6) ** 2 + 10 * (1 - s) * Math.cos(x1) + 10 + BRANIN_OFFSETS[c];
    },
  },
  hartmann6: {
    optimum: -3.32237,
    fn: (t) => {
      const xs = Array.from({ length: 6 }, (_, i) => t.suggestFloat(`x${i}`, 0, 1));
      let total = 0;
      for (let i = 0; i < 4; i++) {
        let inner = 0;
        for (let j = 0; j < 6; j++) inner += H6_A[i][j] * (xs[j] - H6_P[i][j]) ** 2;
        total -= H6_ALPHA[i] * Math.exp(-inner);
      }
      return total;
    },
  },
  conditional: {
    optimum: 0,
    fn: (t) => {
      const blocks = t.suggestInt('blocks', 1, 4);
      const pooling = t.suggestCategorical('pooling', ['max', 'avg']);
      const lr = t.suggestFloat('lr', 1e-4, 1e-1, { log: true });
      const base = (Math.log10(lr) + 2) ** 2 + (pooling === 'max' ? 0 : 0.3);
      if (blocks >= 3) {
        const width = t.suggestInt('width', 8, 128, { step: 8 });
        return base + ((width - 96) / 64) ** 2;
      }
      return base + 1 + 0.1 * (3 - blocks);
    },
  },
};

function argValue(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const nTrials = argValue('--trials', 60);
const seeds = Array.from({ length: argValue('--seeds', 10) }, (_, i) => i);
const names = Object.keys(OBJECTIVES);

const ours = {};
const started = performance.now();
for (const name of names) {
  ours[name] = {};
  for (const type of ['tpe', 'random']) {
    const bests = [];
    for (const seed of seeds) {
      const study = await createStudy({ direction: 'minimize', sampler: { type, seed } });
      await study.optimize(OBJECTIVES[name].fn, { nTrials });
      bests.push(study.bestTrial.value);
    }
    ours[name][type] = bests;
  }
}
const oursSeconds = (performance.now() - started) / 1000;

let optuna;
let optunaSeconds;
try {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'objectives.py');
  const t0 = performance.now();
  const out = execFileSync('/usr/bin/python3', [script, JSON.stringify({ objectives: names, seeds, nTrials })], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  optunaSeconds = (performance.now() - t0) / 1000;
  optuna = JSON.parse(out.trim().split('\n').at(-1));
} catch (error) {
  console.error(`Optuna peer unavailable (${error.message.split('\n')[0]}); printing @optik/tune only.`);
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const cell = (xs) => (xs === undefined ? '—' : `${mean(xs).toFixed(3)} ± ${std(xs).toFixed(3)}`);

console.log(
  `Mean best value (± std over ${seeds.length} seeds) after ${nTrials} trials, minimising.` +
    (optuna ? ` Optuna ${optuna.optunaVersion}.` : ''),
);
const header = ['objective', 'optimum', 'optik tpe', 'optuna tpe', 'optik random', 'optuna random'];
const rows = names.map((name) => [
  name,
  String(OBJECTIVES[name].optimum),
  cell(ours[name].tpe),
  cell(optuna?.[name]?.tpe),
  cell(ours[name].random),
  cell(optuna?.[name]?.random),
]);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
console.log(
  `wall time: optik ${oursSeconds.toFixed(1)} s` +
    (optunaSeconds === undefined ? '' : `, optuna ${optunaSeconds.toFixed(1)} s`),
);
