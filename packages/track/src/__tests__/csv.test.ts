import { describe, expect, it } from 'vitest';
import { csvLine, parseCsv, predictionsCsv } from '../index.js';

describe('parseCsv', () => {
  it('reads back what csvLine writes: commas, quotes, line breaks and formula-like text', () => {
    const rows = [
      ['id', 'true', 'note'],
      ['a,b.png', 'cat "tabby"', 'line\nbreak'],
      ['=HYPERLINK("x")', '-dog', '@home'],
      ['', '0.5', '-0.25'],
    ];
    const text = rows.map((r) => csvLine(r)).join('');
    expect(parseCsv(text)).toEqual(rows);
    expect(parseCsv(text.replaceAll('\n', '\r\n')).length).toBe(rows.length);
  });

  it('reads a predictions.csv row by row, skipping blank lines', () => {
    const text = predictionsCsv(
      [
        { id: '/data/cat 1.png', trueLabel: 'cat', predictedLabel: 'dog', probabilities: [0.25, 0.75] },
        { id: '/data/dog,2.png', trueLabel: 'dog', predictedLabel: 'dog', probabilities: [0.1, 0.9] },
      ],
      { classNames: ['cat', 'dog'] },
    );
    expect(parseCsv(`${text}\n\n`)).toEqual([
      ['id', 'true', 'predicted', 'prob_cat', 'prob_dog'],
      ['/data/cat 1.png', 'cat', 'dog', '0.25', '0.75'],
      ['/data/dog,2.png', 'dog', 'dog', '0.1', '0.9'],
    ]);
  });
});
