import { createRng, type Rng } from '@optik/core';

/** The TensorFlow Playground's four 2-D datasets. */
export const DATASETS = ['circle', 'xor', 'gauss', 'spiral'] as const;
export type DatasetName = (typeof DATASETS)[number];

/** A point in [-6, 6]² with its class (0 or 1). */
export interface Point {
  readonly x: number;
  readonly y: number;
  readonly label: 0 | 1;
}

/** The inputs a network may see, as in the TensorFlow Playground. */
export const FEATURES = {
  x1: (x: number, _y: number) => x,
  x2: (_x: number, y: number) => y,
  x1sq: (x: number, _y: number) => x * x,
  x2sq: (_x: number, y: number) => y * y,
  x1x2: (x: number, y: number) => x * y,
  sinx1: (x: number, _y: number) => Math.sin(x),
  sinx2: (_x: number, y: number) => Math.sin(y),
} as const;
export type FeatureName = keyof typeof FEATURES;
export const FEATURE_NAMES = Object.keys(FEATURES) as FeatureName[];
export const FEATURE_LABELS: Record<FeatureName, string> = {
  x1: 'x₁',
  x2: 'x₂',
  x1sq: 'x₁²',
  x2sq: 'x₂²',
  x1x2: 'x₁x₂',
  sinx1: 'sin(x₁)',
  sinx2: 'sin(x₂)',
};

/** The half-width of the plane the points live on. */
export const RADIUS = 6;

function circle(n: number, noise: number, rng: Rng): Point[] {
  const points: Point[] = [];
  const r = 5;
  const draw = (lo: number, hi: number, label: 0 | 1) => {
    for (let i = 0; i < n / 2; i++) {
      const radius = rng.uniform(lo, hi);
      const angle = rng.uniform(0, 2 * Math.PI);
      const x = radius * Math.sin(angle) + rng.uniform(-r, r) * noise;
      const y = radius * Math.cos(angle) + rng.uniform(-r, r) * noise;
      points.push({ x, y, label });
    }
  };
  draw(0, r * 0.5, 1);
  draw(r * 0.7, r, 0);
  return points;
}

function xor(n: number, noise: number, rng: Rng): Point[] {
  const points: Point[] = [];
  for (let i = 0; i < n; i++) {
    const pad = 0.3;
    let x = rng.uniform(-5, 5);
    x += x > 0 ? pad : -pad;
    let y = rng.uniform(-5, 5);
    y += y > 0 ? pad : -pad;
    const label = x * y >= 0 ? 1 : 0;
    points.push({ x: x + rng.uniform(-5, 5) * noise, y: y + rng.uniform(-5, 5) * noise, label });
  }
  return points;
}

function gauss(n: number, noise: number, rng: Rng): Point[] {
  const points: Point[] = [];
  const spread = 0.5 + noise * 3.5;
  for (let i = 0; i < n; i++) {
    const label: 0 | 1 = i < n / 2 ? 1 : 0;
    const c = label === 1 ? 2 : -2;
    points.push({ x: rng.normal(c, spread), y: rng.normal(c, spread), label });
  }
  return points;
}

function spiral(n: number, noise: number, rng: Rng): Point[] {
  const points: Point[] = [];
  const half = n / 2;
  const arm = (delta: number, label: 0 | 1) => {
    for (let i = 0; i < half; i++) {
      const r = (i / half) * 5;
      const t = ((1.75 * i) / half) * 2 * Math.PI + delta;
      const x = r * Math.sin(t) + rng.uniform(-1, 1) * noise;
      const y = r * Math.cos(t) + rng.uniform(-1, 1) * noise;
      points.push({ x, y, label });
    }
  };
  arm(0, 1);
  arm(Math.PI, 0);
  return points;
}

const GENERATORS: Record<DatasetName, (n: number, noise: number, rng: Rng) => Point[]> = {
  circle,
  xor,
  gauss,
  spiral,
};

/** The dataset's points, shuffled and split into train and test by `trainRatio`; the same seed gives the same split. */
export function makeDataset(
  name: DatasetName,
  options: { count: number; noise: number; trainRatio: number; seed: number },
): { train: Point[]; test: Point[] } {
  const rng = createRng(options.seed);
  const points = rng.shuffle(GENERATORS[name](options.count, options.noise, rng.fork('points')));
  const cut = Math.round(points.length * options.trainRatio);
  return { train: points.slice(0, cut), test: points.slice(cut) };
}

/** The feature vector of one point, in the order of `features`. */
export function featureVector(x: number, y: number, features: readonly FeatureName[]): number[] {
  return features.map((f) => FEATURES[f](x, y));
}
