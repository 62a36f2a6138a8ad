import { fixed } from './args.js';

/** Labels of the headline metrics the pipeline's tasks report, in the order they are printed. */
const HEADLINE_LABELS: readonly (readonly [key: string, label: string, note?: string])[] = [
  ['maskMap50', 'mask mAP@0.5', '(COCO segm, mask IoU ≥ 0.5)'],
  ['maskMap', 'mask mAP@[.5:.95]', '(COCO segm)'],
  ['map50', 'mAP@0.5', '(COCO, IoU ≥ 0.5)'],
  ['map', 'mAP@[.5:.95]', '(COCO)'],
  ['map75', 'mAP@0.75'],
  ['ar100', 'AR@100', '(recall, 100 detections per image)'],
  ['locAccuracy50', 'loc. accuracy @0.5', '(right class and IoU ≥ 0.5)'],
  ['locAccuracy75', 'loc. accuracy @0.75', '(right class and IoU ≥ 0.75)'],
  ['meanIou', 'mean IoU'],
  ['miou', 'mIoU', '(mean IoU over the classes present)'],
  ['pixelAccuracy', 'pixel accuracy'],
  ['meanDice', 'mean Dice'],
  ['frequencyWeightedIou', 'freq.-weighted IoU'],
  ['positivePrecision', 'precision', '(positive class)'],
  ['positiveRecall', 'recall', '(positive class)'],
  ['positiveF1', 'F1', '(positive class)'],
  ['accuracy', 'accuracy'],
  ['precision', 'precision', '(macro)'],
  ['recall', 'recall', '(macro)'],
  ['f1', 'F1', '(macro)'],
];

/** The lines of a task's headline metrics (whatever the task reports of the known keys), aligned. */
export function headlineLines(metrics: Readonly<Record<string, unknown>>, indent = '  '): string[] {
  const present = HEADLINE_LABELS.filter(([key]) => typeof metrics[key] === 'number');
  const width = Math.max(...present.map(([, label]) => label.length));
  const positive =
    typeof metrics.positiveClass === 'string' ? `(positive class "${metrics.positiveClass}")` : undefined;
  return present.map(([key, label, note]) => {
    const shown = note === '(positive class)' && positive !== undefined ? positive : note;
    return `${indent}${label.padEnd(width)}  ${fixed(metrics[key] as number)}${shown === undefined ? '' : `  ${shown}`}`;
  });
}

/** The headline metrics on one line (`accuracy 0.9248  precision …`). */
export function headlineInline(metrics: Readonly<Record<string, unknown>>): string {
  return HEADLINE_LABELS.filter(([key]) => typeof metrics[key] === 'number')
    .map(
      ([key, label, note]) =>
        `${note === '(positive class)' ? 'positive ' : ''}${label} ${fixed(metrics[key] as number)}`,
    )
    .join('  ');
}
