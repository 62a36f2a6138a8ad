import { isOptikError } from '@optik/core';
import { describe, expect, it } from 'vitest';
import { diagnoseFit, type FitEpoch, type FitLogs } from '../index.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('diagnoseFit', () => {
  it('overfitting: validation loss rises for several epochs after its minimum while training loss falls', () => {
    const history: FitEpoch[] = range(12).map((i) => ({
      loss: 1.2 * 0.8 ** i,
      valLoss: i <= 5 ? 1.25 * 0.82 ** i : 1.25 * 0.82 ** 5 + 0.04 * (i - 5),
    }));
    const d = diagnoseFit(history);
    expect(d.verdict).toBe('overfitting');
    expect(d.reasons[0]).toMatch(/risen for 6 epochs since its minimum .* at epoch 6/);
    expect(d.remedies.join(' ')).toMatch(/dropout/i);
    expect(d.remedies.join(' ')).toMatch(/early stopping.*best epoch here was 6/i);
    expect(d.remedies.join(' ')).toMatch(/augmentation/i);
    expect(d.remedies.join(' ')).toMatch(/learning rate/i);
    // with more patience than the rise lasted, the same curves are not called overfitting
    expect(diagnoseFit(history, { patience: 7 }).verdict).not.toBe('overfitting');
  });

  it('overfitting: the train/validation accuracy gap is too large', () => {
    const history: FitEpoch[] = range(8).map((i) => ({
      loss: 0.5 * 0.7 ** i,
      valLoss: 0.45,
      accuracy: Math.min(0.99, 0.8 + 0.03 * i),
      valAccuracy: 0.84,
    }));
    const d = diagnoseFit(history);
    expect(d.verdict).toBe('overfitting');
    expect(d.reasons.join(' ')).toMatch(/Training accuracy 99\.0% is 15\.0% above validation accuracy 84\.0%/);
    expect(diagnoseFit(history, { maxAccuracyGap: 0.2 }).verdict).toBe('good-fit');
  });

  it('underfitting: training accuracy stays low', () => {
    const history: FitEpoch[] = range(10).map((i) => ({
      loss: 1.3 - 0.01 * i,
      valLoss: 1.32 - 0.01 * i,
      accuracy: 0.5 + 0.005 * i,
      valAccuracy: 0.49 + 0.005 * i,
    }));
    const d = diagnoseFit(history);
    expect(d.verdict).toBe('underfitting');
    expect(d.reasons[0]).toMatch(/Training accuracy is only 54\.5%/);
    expect(d.remedies.join(' ')).toMatch(/more epochs/i);
    expect(d.remedies.join(' ')).toMatch(/bigger model/i);
    expect(d.remedies.join(' ')).toMatch(/learning rate/i);
  });

  it('underfitting: training loss still falling fast and close to validation loss (no accuracy given)', () => {
    const history: FitEpoch[] = range(5).map((i) => ({ loss: 2 * 0.8 ** i, valLoss: 2 * 0.8 ** i + 0.03 }));
    const d = diagnoseFit(history);
    expect(d.verdict).toBe('underfitting');
    expect(d.reasons[0]).toMatch(/still falling/);
  });

  it('good fit: both losses plateau together and accuracies are close', () => {
    const history: FitEpoch[] = range(15).map((i) => ({
      loss: 0.25 + 0.6 * 0.5 ** i,
      valLoss: 0.28 + 0.6 * 0.5 ** i,
      accuracy: 0.93 - 0.3 * 0.5 ** i,
      valAccuracy: 0.91 - 0.3 * 0.5 ** i,
    }));
    const d = diagnoseFit(history);
    expect(d.verdict).toBe('good-fit');
    expect(d.reasons.length).toBeGreaterThan(0);
    expect(d.remedies.length).toBeGreaterThan(0);
  });

  it('writes the rule with the thresholds in use', () => {
    const d = diagnoseFit([{ loss: 0.3, valLoss: 0.31 }], { patience: 4, maxAccuracyGap: 0.05 });
    expect(d.rule).toContain('at least 4 epochs');
    expect(d.rule).toContain('more than 5.0%');
    expect(d.rule).toMatch(/Overfitting when .* underfitting when .* good fit/i);
  });

  it('rejects an empty history, malformed rows and bad options with coded errors', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return isOptikError(error) ? [error.code, error.message] : ['not-an-OptikError', ''];
      }
      return undefined;
    };
    expect(code(() => diagnoseFit([]))?.[0]).toBe('ARGUMENT_INVALID');
    const bad = code(() =>
      diagnoseFit([
        { loss: 0.3, valLoss: 0.3 },
        { loss: 0.2, valLoss: Number.NaN },
      ]),
    );
    expect(bad?.[0]).toBe('CONFIG_INVALID');
    expect(bad?.[1]).toContain('[1].valLoss');
    expect(code(() => diagnoseFit([{ loss: 0.3, valLoss: 0.3 }], { patience: 0 }))?.[0]).toBe('CONFIG_INVALID');
  });

  it("takes the trainer's snake_case history as it is, ignoring its other columns", () => {
    // The shape of @optik/train's EpochLogs: Record<string, number> & { epoch: number }.
    type EpochLogs = Record<string, number> & { epoch: number };
    const camel: FitEpoch[] = range(8).map((i) => ({
      loss: 0.5 * 0.7 ** i,
      valLoss: 0.45,
      accuracy: Math.min(0.99, 0.8 + 0.03 * i),
      valAccuracy: 0.84,
    }));
    const history: EpochLogs[] = camel.map((row, epoch) => ({
      epoch,
      loss: row.loss,
      accuracy: row.accuracy as number,
      val_loss: row.valLoss,
      val_accuracy: row.valAccuracy as number,
      val_binaryPrecision: 0.5,
      learning_rate: 1e-3,
    }));
    const fromTrainer = diagnoseFit(history);
    expect(fromTrainer).toEqual(diagnoseFit(camel));
    expect(fromTrainer.verdict).toBe('overfitting');
    expect(fromTrainer.reasons.join(' ')).toMatch(
      /Training accuracy 99\.0% is 15\.0% above validation accuracy 84\.0%/,
    );
    // without the accuracy gap rule biting, the same rows are a good fit in both forms
    expect(diagnoseFit(history, { maxAccuracyGap: 0.2 }).verdict).toBe('good-fit');
  });

  it('a loss-only history flat at chance level is not a good fit', () => {
    // a binary model stuck at ln 2: both losses flat, nothing rises, nothing still falls
    const atChance: FitLogs[] = range(10).map((epoch) => ({
      epoch,
      loss: Math.LN2 + 0.001 * Math.cos(epoch),
      val_loss: Math.LN2 + 0.002,
    }));
    const unsure = diagnoseFit(atChance);
    expect(unsure.verdict).toBe('insufficient-evidence');
    expect(unsure.reasons[0]).toMatch(/no accuracy and no chanceLoss/);
    expect(unsure.remedies.join(' ')).toMatch(/chanceLoss: ln\(numClasses\)/);
    expect(unsure.rule).toMatch(/insufficient evidence/);

    const known = diagnoseFit(atChance, { chanceLoss: Math.LN2 });
    expect(known.verdict).toBe('underfitting');
    expect(known.reasons[0]).toMatch(/99\.9% of the chance-level loss 0\.6931 .*no better than a constant guess/);
    expect(known.remedies.join(' ')).toMatch(/bigger model/i);
    expect(known.rule).toContain('chance-level loss 0.6931');
  });

  it('a loss-only history is a good fit once chanceLoss shows the loss is far below chance', () => {
    const converged: FitLogs[] = range(12).map((epoch) => ({
      loss: 0.08 + 0.5 * 0.5 ** epoch,
      val_loss: 0.085 + 0.5 * 0.5 ** epoch,
    }));
    expect(diagnoseFit(converged).verdict).toBe('insufficient-evidence');
    const d = diagnoseFit(converged, { chanceLoss: Math.log(10) });
    expect(d.verdict).toBe('good-fit');
    expect(d.reasons.join(' ')).toMatch(/3\.5% of the chance-level loss 2\.303/);
    // a loss halfway to chance is too little learning at the default ratio 0.5, enough at 0.8
    const halfway = converged.map((row) => ({
      loss: (row.loss as number) * 15,
      val_loss: (row.val_loss as number) * 15,
    }));
    expect(diagnoseFit(halfway, { chanceLoss: Math.log(10) }).verdict).toBe('underfitting');
    expect(diagnoseFit(halfway, { chanceLoss: Math.log(10), maxLossRatioToChance: 0.8 }).verdict).toBe('good-fit');
  });

  it("a loss-only history is a good fit when the task's validation metric (learnedMetric) rose enough", () => {
    // a detector's history: the FCOS loss plateaus as a cosine schedule ends, val_map50 climbs from 0.06 to 0.48
    const detector: FitLogs[] = range(12).map((epoch) => ({
      epoch,
      loss: 1.22 + 0.5 * 0.6 ** epoch,
      val_loss: 1.28 + 0.4 * 0.6 ** epoch,
      val_map50: 0.06 + 0.42 * (1 - 0.7 ** epoch),
      learning_rate: 0.001,
    }));
    expect(diagnoseFit(detector).verdict).toBe('insufficient-evidence');
    const d = diagnoseFit(detector, { learnedMetric: 'val_map50' });
    expect(d.verdict).toBe('good-fit');
    expect(d.reasons.join(' ')).toMatch(/val_map50 rose from 0\.06000 at epoch 1 to 0\.4717 \(best, epoch 12; 0\.4717/);
    expect(d.rule).toMatch(/val_map50 at its best at least 0\.05000 above/);
    // a metric that barely moved shows nothing: still insufficient, and the reason says by how much it rose
    const flat = detector.map((row) => ({ ...row, val_map50: 0.06 + 0.01 * Math.sin(row.epoch as number) }));
    const unsure = diagnoseFit(flat, { learnedMetric: 'val_map50' });
    expect(unsure.verdict).toBe('insufficient-evidence');
    expect(unsure.reasons[0]).toMatch(/val_map50 rose by only 0\.00\d+/);
    // a smaller threshold accepts it; a metric missing from some epoch counts as not given
    expect(diagnoseFit(flat, { learnedMetric: 'val_map50', minMetricRise: 0.005 }).verdict).toBe('good-fit');
    const gap = detector.map((row, i) =>
      i === 3 ? { loss: row.loss as number, val_loss: row.val_loss as number } : row,
    );
    expect(diagnoseFit(gap, { learnedMetric: 'val_map50' }).reasons[0]).toMatch(/no accuracy and no chanceLoss/);
  });

  it('high accuracy at chance on imbalanced classes is caught with chanceLoss', () => {
    // 90 % majority class: always predicting it gives accuracy 0.9 and loss = entropy(0.9, 0.1)
    const entropy = -(0.9 * Math.log(0.9) + 0.1 * Math.log(0.1));
    const history: FitLogs[] = range(6).map(() => ({
      loss: entropy,
      val_loss: entropy,
      accuracy: 0.9,
      val_accuracy: 0.9,
    }));
    expect(diagnoseFit(history).verdict).toBe('good-fit');
    const d = diagnoseFit(history, { chanceLoss: entropy });
    expect(d.verdict).toBe('underfitting');
    expect(d.reasons[0]).toMatch(/no better than a constant guess/);
  });

  it('rejects rows without a validation loss or with two different values for one column', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return isOptikError(error) ? [error.code, error.message, String(error.details.hint)] : ['not-an-OptikError'];
      }
      return undefined;
    };
    const noVal = code(() => diagnoseFit([{ epoch: 0, loss: 0.3, accuracy: 0.9 }]));
    expect(noVal?.[0]).toBe('CONFIG_INVALID');
    expect(noVal?.[1]).toContain('history[0] has no validation loss');
    expect(noVal?.[2]).toContain('valData');
    const twice = code(() => diagnoseFit([{ loss: 0.3, valLoss: 0.3, val_loss: 0.4 }]));
    expect(twice?.[0]).toBe('CONFIG_INVALID');
    expect(twice?.[1]).toContain('valLoss and val_loss');
    expect(diagnoseFit([{ loss: 0.3, valLoss: 0.3, val_loss: 0.3, accuracy: 0.9 }]).verdict).toBe('good-fit');
    const nan = code(() => diagnoseFit([{ loss: 0.3, val_loss: Number.NaN }]));
    expect(nan?.[1]).toContain('[0].val_loss');
    expect(code(() => diagnoseFit([{ loss: 0.3, valLoss: 0.3 }], { chanceLoss: 0 }))?.[0]).toBe('CONFIG_INVALID');
  });
});
