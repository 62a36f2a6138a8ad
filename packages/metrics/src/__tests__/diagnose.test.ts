import { isOptikError } from '@optik/core';
import { describe, expect, it } from 'vitest';
import { diagnoseFit, type FitEpoch } from '../index.js';

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
});
