import { OptikError, parseOrThrow } from '@optik/core';
import { z } from 'zod';

export const DiagnoseSchema = z.strictObject({
  /** Epochs validation loss must have risen since its minimum to call it overfitting; also the trend window. */
  patience: z.int().min(1).default(3),
  /** Relative rise of the final validation loss over its minimum that counts as rising (0.02 = 2 %). */
  minValLossRise: z.number().min(0).default(0.02),
  /** Final train − validation accuracy above which the model overfits (0.1 = 10 points). */
  maxAccuracyGap: z.number().gt(0).lt(1).default(0.1),
  /** Final training accuracy below which the model underfits. */
  minTrainAccuracy: z.number().gt(0).lt(1).default(0.8),
  /** Relative drop of training loss over the last `patience` epochs that means it is still learning (0.1 = 10 %). */
  stillLearningDrop: z.number().gt(0).lt(1).default(0.1),
  /** Largest relative gap |valLoss − loss| / loss for the two losses to count as close. */
  closeLossGap: z.number().gt(0).default(0.1),
  /**
   * The loss of a model that predicts at chance (the best constant prediction): ln(numClasses) for cross-entropy on
   * balanced classes, ln 2 for binary. Without accuracy in the history it is the only scale a loss can be judged on.
   */
  chanceLoss: z.number().gt(0).optional(),
  /** Without accuracy: final training loss above this fraction of `chanceLoss` means the model learned too little. */
  maxLossRatioToChance: z.number().gt(0).lt(1).default(0.5),
  /**
   * A validation metric of the history (its log key, higher is better: `val_map50`, `val_miou`, …) that shows the
   * model learned when there is no accuracy: its best value must be at least `minMetricRise` above its first.
   */
  learnedMetric: z.string().min(1).optional(),
  /** The least rise of `learnedMetric` from the first epoch to its best that shows learning (absolute). */
  minMetricRise: z.number().gt(0).default(0.05),
});

/**
 * Thresholds of the rule in `diagnoseFit`; every one has a default.
 *
 * @example
 * ```ts
 * const options: DiagnoseFitOptions = { patience: 5, maxAccuracyGap: 0.05 };
 * ```
 */
export type DiagnoseFitOptions = z.input<typeof DiagnoseSchema>;

const accuracy = z.number().min(0).max(1).optional();
// Not strict: the trainer's rows also carry `epoch`, `learning_rate` and `val_<metric>` columns, which are ignored.
const EpochSchema = z.object({
  loss: z.number(),
  valLoss: z.number().optional(),
  val_loss: z.number().optional(),
  accuracy,
  valAccuracy: accuracy,
  val_accuracy: accuracy,
});

/**
 * One epoch of a training history in camelCase (extra keys such as `epoch` or `learningRate` are ignored).
 *
 * @example
 * ```ts
 * const epoch: FitEpoch = { loss: 0.41, valLoss: 0.45, accuracy: 0.85, valAccuracy: 0.83 };
 * ```
 */
export interface FitEpoch {
  readonly loss: number;
  readonly valLoss: number;
  readonly accuracy?: number | undefined;
  readonly valAccuracy?: number | undefined;
}

/**
 * One epoch as the trainer's history (`TrainResult.history`) and results.csv hold it: snake_case keys `loss`,
 * `val_loss`, `accuracy`, `val_accuracy`; other keys (`epoch`, `learning_rate`, any `val_<metric>`) are ignored.
 *
 * @example
 * ```ts
 * const row: FitLogs = { epoch: 0, loss: 0.41, accuracy: 0.85, val_loss: 0.45, val_accuracy: 0.83, learning_rate: 1e-3 };
 * ```
 */
export type FitLogs = Readonly<Record<string, number>>;

interface Epoch {
  readonly loss: number;
  readonly valLoss: number;
  readonly accuracy: number | undefined;
  readonly valAccuracy: number | undefined;
}

/** Reads one row in either form; a value given under both names must agree. */
function readEpoch(row: FitEpoch | FitLogs, i: number): Epoch {
  const r = parseOrThrow(EpochSchema, row, { what: 'training history', prefix: `[${i}]` });
  const pick = (camel: number | undefined, snake: number | undefined, names: string): number | undefined => {
    if (camel !== undefined && snake !== undefined && camel !== snake) {
      throw new OptikError('CONFIG_INVALID', `training history[${i}] gives ${names} with two different values.`, {
        received: [camel, snake],
        hint: "Pass each row in one form: camelCase (valLoss) or the trainer's snake_case (val_loss).",
      });
    }
    return camel ?? snake;
  };
  const valLoss = pick(r.valLoss, r.val_loss, 'valLoss and val_loss');
  if (valLoss === undefined) {
    throw new OptikError('CONFIG_INVALID', `training history[${i}] has no validation loss (val_loss or valLoss).`, {
      received: Object.keys(row),
      hint: 'Train with validation data (valData) so every epoch logs val_loss; diagnoseFit compares it with loss.',
    });
  }
  return {
    loss: r.loss,
    valLoss,
    accuracy: r.accuracy,
    valAccuracy: pick(r.valAccuracy, r.val_accuracy, 'valAccuracy and val_accuracy'),
  };
}

/**
 * The verdict of {@link diagnoseFit}, the findings behind it, the course's remedies and the rule applied.
 *
 * @example
 * ```ts
 * const { verdict, reasons, remedies, rule }: FitDiagnosis = diagnoseFit(history);
 * ```
 */
export interface FitDiagnosis {
  /**
   * `insufficient-evidence` when nothing points to over- or underfitting but nothing shows the model learned either:
   * the history has no accuracy and no `chanceLoss` was given, so a loss stuck at chance level would look the same.
   */
  readonly verdict: 'underfitting' | 'overfitting' | 'good-fit' | 'insufficient-evidence';
  readonly reasons: readonly string[];
  readonly remedies: readonly string[];
  readonly rule: string;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const num = (x: number): string => x.toPrecision(4);

export function describeRule(o: z.output<typeof DiagnoseSchema>): string {
  return (
    `Overfitting when validation loss has risen for at least ${o.patience} epochs since its minimum ` +
    `(ending more than ${pct(o.minValLossRise)} above it) while training loss kept falling, or when final ` +
    `training accuracy exceeds validation accuracy by more than ${pct(o.maxAccuracyGap)}. Otherwise underfitting ` +
    `when final training accuracy is below ${pct(o.minTrainAccuracy)}, or when training loss is still falling ` +
    `(more than ${pct(o.stillLearningDrop)} over the last ${o.patience} epochs) and is within ` +
    `${pct(o.closeLossGap)} of validation loss${
      o.chanceLoss === undefined
        ? ''
        : `, or when there is no accuracy and final training loss is above ${pct(o.maxLossRatioToChance)} of ` +
          `the chance-level loss ${num(o.chanceLoss)}`
    }. Otherwise a good fit, if the history shows the model learned: final training accuracy of at least ` +
    `${pct(o.minTrainAccuracy)}, or, without accuracy, training loss at most ${pct(o.maxLossRatioToChance)} of ` +
    `chanceLoss${
      o.learnedMetric === undefined
        ? ''
        : `, or ${o.learnedMetric} at its best at least ${num(o.minMetricRise)} above its first epoch's value`
    }; without either, insufficient evidence.`
  );
}

const REMEDIES = {
  overfitting: (bestEpoch: number) => [
    'Add dropout (e.g. 0.25 after the conv blocks, 0.5 before the dense head).',
    `Use early stopping on val_loss with restore-best (the best epoch here was ${bestEpoch}).`,
    'Get more training data or use data augmentation (flips, shifts, small rotations, zoom).',
    'Lower the learning rate or add a schedule (ReduceLROnPlateau, cosine); add weight decay.',
    'Use a smaller model (fewer filters or dense units).',
  ],
  underfitting: [
    'Train for more epochs: the model has not finished learning.',
    'Use a bigger model: more conv blocks or filters, a wider dense layer.',
    'Tune the learning rate: too low learns slowly, too high bounces; try 3× up or down.',
    'Reduce regularisation (less dropout or augmentation) until training accuracy rises.',
  ],
  'good-fit': [
    'Keep this setup; use early stopping with restore-best so the best epoch is the one kept.',
    'For more accuracy, add data or augmentation and a slightly bigger model, watching the validation curve.',
  ],
  'insufficient-evidence': [
    'Log accuracy with the losses (the trainer records accuracy and val_accuracy for classification losses).',
    'Or pass chanceLoss: ln(numClasses) for cross-entropy on balanced classes (ln 2 ≈ 0.693 for binary), so the ' +
      'loss can be compared with what a constant prediction scores.',
    "For other tasks, judge the run on the task's own validation metric (e.g. localization accuracy at IoU 0.5).",
  ],
} as const;

/**
 * Says whether a run underfits, overfits or fits well, from its per-epoch history. The rule (see `rule` in the
 * result for the thresholds used):
 *
 * 1. **Overfitting** when validation loss has risen for ≥ `patience` epochs since its minimum (ending more than
 *    `minValLossRise` above it) while training loss kept falling, or the final train − validation accuracy gap is
 *    more than `maxAccuracyGap`.
 * 2. Otherwise **underfitting** when final training accuracy is below `minTrainAccuracy`, or training loss is still
 *    falling (by more than `stillLearningDrop` over the last `patience` epochs) and is close to validation loss
 *    (within `closeLossGap`, relative).
 *    With `chanceLoss` (the loss of a constant prediction) it is also underfitting when the final training loss is
 *    above `maxLossRatioToChance` of it.
 * 3. Otherwise a **good fit**, but only with evidence that the model learned: training accuracy (checked in 2), or,
 *    for a history of losses only, `chanceLoss` to compare the loss with. A flat loss means nothing on its own (a
 *    model stuck at chance and a converged one both plateau), so without either the verdict is
 *    **insufficient-evidence**.
 *
 * Overfitting wins over underfitting: a model with low training accuracy and a large gap overfits what it learns.
 * The history may be the trainer's own (`TrainResult.history`, snake_case: `loss`, `val_loss`, `accuracy`,
 * `val_accuracy`, other `val_<metric>` columns ignored) or camelCase rows. On imbalanced classes accuracy can be
 * high at chance (always the majority class): pass `chanceLoss` = the entropy of the class frequencies as well.
 *
 * @example
 * ```ts
 * const diagnosis = diagnoseFit([
 *   { loss: 0.9, valLoss: 0.8, accuracy: 0.70, valAccuracy: 0.72 },
 *   { loss: 0.5, valLoss: 0.5, accuracy: 0.82, valAccuracy: 0.81 },
 *   { loss: 0.3, valLoss: 0.6, accuracy: 0.90, valAccuracy: 0.80 },
 * ]);
 * console.log(diagnosis.verdict, diagnosis.reasons.join(' '), diagnosis.remedies);
 *
 * const { history } = await trainer.fit({ model, trainData, valData });
 * diagnoseFit(history, { chanceLoss: Math.log(10) }); // the trainer's rows as they are
 * ```
 */
export function diagnoseFit(history: readonly (FitEpoch | FitLogs)[], options: DiagnoseFitOptions = {}): FitDiagnosis {
  const o = parseOrThrow(DiagnoseSchema, options, { what: 'diagnoseFit options' });
  if (history.length === 0) {
    throw new OptikError('ARGUMENT_INVALID', 'diagnoseFit needs at least one epoch of history.', {
      hint: "Pass the trainer's history (TrainResult.history) or rows { loss, valLoss, accuracy?, valAccuracy? }.",
    });
  }
  const rows = history.map(readEpoch);
  const last = rows.length - 1;
  const final = rows[last]!;
  let best = 0;
  for (let i = 1; i < rows.length; i++) if (rows[i]!.valLoss < rows[best]!.valLoss) best = i;
  const minValLoss = rows[best]!.valLoss;

  const overfit: string[] = [];
  const underfit: string[] = [];
  const notes: string[] = [];

  const risingEpochs = last - best;
  const rise = minValLoss > 0 ? (final.valLoss - minValLoss) / minValLoss : final.valLoss - minValLoss;
  if (risingEpochs >= o.patience && rise > o.minValLossRise && final.loss < rows[best]!.loss) {
    overfit.push(
      `Validation loss has risen for ${risingEpochs} epochs since its minimum ${num(minValLoss)} at epoch ${best + 1} ` +
        `(now ${num(final.valLoss)}, +${pct(rise)}) while training loss kept falling ` +
        `(${num(rows[best]!.loss)} → ${num(final.loss)}).`,
    );
  }
  const hasAccuracy = final.accuracy !== undefined && final.valAccuracy !== undefined;
  if (hasAccuracy) {
    const gap = final.accuracy! - final.valAccuracy!;
    if (gap > o.maxAccuracyGap) {
      overfit.push(
        `Training accuracy ${pct(final.accuracy!)} is ${pct(gap)} above validation accuracy ` +
          `${pct(final.valAccuracy!)} (more than ${pct(o.maxAccuracyGap)}).`,
      );
    }
  }
  if (final.accuracy !== undefined && final.accuracy < o.minTrainAccuracy) {
    underfit.push(
      `Training accuracy is only ${pct(final.accuracy)} at the last epoch (below ${pct(o.minTrainAccuracy)}): ` +
        'the model does not even fit the training data.',
    );
  }
  if (o.chanceLoss !== undefined && final.loss > o.maxLossRatioToChance * o.chanceLoss) {
    const ratio = final.loss / o.chanceLoss;
    underfit.push(
      `Training loss ${num(final.loss)} is ${pct(ratio)} of the chance-level loss ${num(o.chanceLoss)} ` +
        `(above ${pct(o.maxLossRatioToChance)})` +
        (ratio >= 0.95
          ? ': the model predicts no better than a constant guess.'
          : ': the model has learned little beyond a constant guess.'),
    );
  }
  const from = rows[Math.max(0, last - o.patience)]!;
  const drop = from.loss > 0 ? (from.loss - final.loss) / from.loss : 0;
  const lossGap = final.loss > 0 ? Math.abs(final.valLoss - final.loss) / final.loss : Number.POSITIVE_INFINITY;
  if (last > 0 && drop > o.stillLearningDrop && lossGap <= o.closeLossGap) {
    underfit.push(
      `Training loss is still falling (${num(from.loss)} → ${num(final.loss)}, −${pct(drop)} over the last ` +
        `${last - Math.max(0, last - o.patience)} epochs) and is close to validation loss ${num(final.valLoss)}: ` +
        'training stopped before the model finished learning.',
    );
  }

  const rule = describeRule(o);
  if (overfit.length > 0) {
    return {
      verdict: 'overfitting',
      reasons: [...overfit, ...underfit],
      remedies: REMEDIES.overfitting(best + 1),
      rule,
    };
  }
  if (underfit.length > 0)
    return { verdict: 'underfitting', reasons: underfit, remedies: [...REMEDIES.underfitting], rule };
  const metric = o.learnedMetric === undefined ? undefined : metricRise(history, o.learnedMetric);
  const metricShowsLearning = metric !== undefined && metric.best - metric.first >= o.minMetricRise;
  const learned = final.accuracy !== undefined || o.chanceLoss !== undefined || metricShowsLearning;
  if (!learned) {
    const why =
      metric === undefined
        ? 'the history has no accuracy and no chanceLoss was given, and a loss stuck at chance level plateaus just ' +
          'like a converged one.'
        : `the history has no accuracy and ${o.learnedMetric} rose by only ${num(metric.best - metric.first)} ` +
          `(${num(metric.first)} at epoch 1, best ${num(metric.best)}; at least ${num(o.minMetricRise)} shows ` +
          'learning).';
    return {
      verdict: 'insufficient-evidence',
      reasons: [
        `Neither over- nor underfitting shows in the losses (final training loss ${num(final.loss)}, validation ` +
          `loss ${num(final.valLoss)}), but nothing shows the model learned either: ${why}`,
      ],
      remedies: [...REMEDIES['insufficient-evidence']],
      rule,
    };
  }
  notes.push(
    `Validation loss reached its minimum ${num(minValLoss)} at epoch ${best + 1} of ${rows.length} without a ` +
      `sustained rise afterwards (final training loss ${num(final.loss)}, validation loss ${num(final.valLoss)}).`,
  );
  if (hasAccuracy) {
    notes.push(
      `Training accuracy ${pct(final.accuracy!)} and validation accuracy ${pct(final.valAccuracy!)} are within ` +
        `${pct(o.maxAccuracyGap)}.`,
    );
  } else if (final.accuracy !== undefined) {
    notes.push(`Training accuracy ${pct(final.accuracy)} is at least ${pct(o.minTrainAccuracy)}.`);
  }
  if (o.chanceLoss !== undefined) {
    notes.push(
      `Training loss ${num(final.loss)} is ${pct(final.loss / o.chanceLoss)} of the chance-level loss ` +
        `${num(o.chanceLoss)} (at most ${pct(o.maxLossRatioToChance)}).`,
    );
  }
  if (metric !== undefined && metricShowsLearning) {
    notes.push(
      `${o.learnedMetric} rose from ${num(metric.first)} at epoch 1 to ${num(metric.best)} (best, epoch ` +
        `${metric.bestEpoch}; ${num(metric.final)} at the last).`,
    );
  }
  return { verdict: 'good-fit', reasons: notes, remedies: [...REMEDIES['good-fit']], rule };
}

/** The first, best (highest), last value of a metric column, when every epoch has it; else undefined. */
function metricRise(
  history: readonly (FitEpoch | FitLogs)[],
  key: string,
): { first: number; best: number; bestEpoch: number; final: number } | undefined {
  const values = history.map((row) => (row as Readonly<Record<string, unknown>>)[key]);
  if (!values.every((v): v is number => typeof v === 'number' && Number.isFinite(v))) return undefined;
  let bestEpoch = 0;
  values.forEach((v, i) => {
    if (v > (values[bestEpoch] as number)) bestEpoch = i;
  });
  return {
    first: values[0] as number,
    best: values[bestEpoch] as number,
    bestEpoch: bestEpoch + 1,
    final: values[values.length - 1] as number,
  };
}
