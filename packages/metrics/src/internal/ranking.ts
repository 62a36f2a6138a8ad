/**
 * Exact ranking metrics for one binary problem (a class against the rest), following scikit-learn's definitions:
 * samples are grouped by distinct score, so tied scores move the curve diagonally (ROC) or in one step (PR).
 */

/** Cumulative true/false positive counts at each distinct score, highest score first. */
export interface RankCounts {
  readonly thresholds: Float64Array;
  readonly tps: Float64Array;
  readonly fps: Float64Array;
  readonly positives: number;
  readonly negatives: number;
}

/** Counts for `scores` where `isPositive(i)` says whether sample `i` belongs to the positive class. */
export function rankCounts(scores: ArrayLike<number>, isPositive: (i: number) => boolean): RankCounts {
  const n = scores.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (scores[b] as number) - (scores[a] as number));
  const thresholds: number[] = [];
  const tps: number[] = [];
  const fps: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let r = 0; r < n; r++) {
    const i = order[r] as number;
    if (isPositive(i)) tp++;
    else fp++;
    const next = order[r + 1];
    if (next === undefined || scores[next] !== scores[i]) {
      thresholds.push(scores[i] as number);
      tps.push(tp);
      fps.push(fp);
    }
  }
  return {
    thresholds: Float64Array.from(thresholds),
    tps: Float64Array.from(tps),
    fps: Float64Array.from(fps),
    positives: tp,
    negatives: fp,
  };
}

/** Area under the ROC curve (trapezoids); NaN when either class is absent. */
export function rocAucFromCounts(counts: RankCounts): number {
  const { tps, fps, positives, negatives } = counts;
  if (positives === 0 || negatives === 0) return Number.NaN;
  let area = 0;
  let prevTp = 0;
  let prevFp = 0;
  for (let k = 0; k < tps.length; k++) {
    const tp = tps[k] as number;
    const fp = fps[k] as number;
    area += (fp - prevFp) * (tp + prevTp);
    prevTp = tp;
    prevFp = fp;
  }
  return area / (2 * positives * negatives);
}

/** Average precision, Σ (Rₙ − Rₙ₋₁) Pₙ over distinct thresholds (scikit-learn's definition); NaN without positives. */
export function averagePrecisionFromCounts(counts: RankCounts): number {
  const { tps, fps, positives } = counts;
  if (positives === 0) return Number.NaN;
  let ap = 0;
  let prevRecall = 0;
  for (let k = 0; k < tps.length; k++) {
    const tp = tps[k] as number;
    const predicted = tp + (fps[k] as number);
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = tp / positives;
    ap += (recall - prevRecall) * precision;
    prevRecall = recall;
  }
  return ap;
}

/** The precision–recall curve in scikit-learn's layout: recall decreasing, ending at (recall 0, precision 1). */
export function prCurveFromCounts(counts: RankCounts): { precision: number[]; recall: number[]; thresholds: number[] } {
  const { tps, fps, thresholds, positives } = counts;
  const m = tps.length;
  const precision: number[] = [];
  const recall: number[] = [];
  const ascending: number[] = [];
  for (let k = m - 1; k >= 0; k--) {
    const tp = tps[k] as number;
    const predicted = tp + (fps[k] as number);
    precision.push(predicted === 0 ? 0 : tp / predicted);
    recall.push(positives === 0 ? 1 : tp / positives);
    ascending.push(thresholds[k] as number);
  }
  precision.push(1);
  recall.push(0);
  return { precision, recall, thresholds: ascending };
}

/** The ROC curve with every distinct threshold, starting at (0, 0) with threshold +Infinity. */
export function rocCurveFromCounts(counts: RankCounts): { fpr: number[]; tpr: number[]; thresholds: number[] } {
  const { tps, fps, thresholds, positives, negatives } = counts;
  const fpr = [0];
  const tpr = [0];
  const out = [Number.POSITIVE_INFINITY];
  for (let k = 0; k < tps.length; k++) {
    fpr.push(negatives === 0 ? Number.NaN : (fps[k] as number) / negatives);
    tpr.push(positives === 0 ? Number.NaN : (tps[k] as number) / positives);
    out.push(thresholds[k] as number);
  }
  return { fpr, tpr, thresholds: out };
}
