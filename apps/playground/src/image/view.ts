import uPlot from 'uplot';
import { drawMap, mapRange } from '../colors.js';
import type { PageState } from '../state.js';
import { describeError, el, numberInput, showMessage } from '../ui.js';
import { AUGMENTATIONS, previewVariants, trainingPipeline } from './augment.js';
import { BLOCK_SYNTAX } from './blocks.js';
import { type DigitSet, loadDigits } from './data.js';
import { type ImageResult, ImageSession } from './session.js';

/** Draws a 28×28 grey digit (bytes) at `scale`. */
function digitCanvas(pixels: Uint8Array, scale = 2): HTMLCanvasElement {
  const canvas = el('canvas', { width: String(28 * scale), height: String(28 * scale) });
  const small = new OffscreenCanvas(28, 28);
  const ctx = small.getContext('2d');
  if (ctx === null) return canvas;
  const image = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) image.data.set([pixels[i] ?? 0, pixels[i] ?? 0, pixels[i] ?? 0, 255], i * 4);
  ctx.putImageData(image, 0, 0);
  const out = canvas.getContext('2d');
  if (out !== null) {
    out.imageSmoothingEnabled = false;
    out.drawImage(small, 0, 0, canvas.width, canvas.height);
  }
  return canvas;
}

function mapsGrid(title: string, id: string, maps: { size: number; maps: Float32Array[] } | undefined, px: number) {
  const box = el('div', { class: 'maps', id });
  for (const map of maps?.maps ?? []) {
    const c = el('canvas', { width: String(px), height: String(px) });
    const [lo, hi] = mapRange(map);
    drawMap(c, map, maps?.size ?? 1, lo, hi);
    box.append(c);
  }
  return el('div', {}, el('h2', {}, title), box);
}

/**
 * Image mode: the CNN's blocks and every layer's output shape before training, training with a live curve and
 * early stopping, then filters, feature maps, confusion matrix, diagnosis, and the augmentation preview.
 */
export async function mountImage(
  root: HTMLElement,
  state: PageState,
  update: (patch: Partial<PageState>) => void,
): Promise<() => void> {
  let session: ImageSession | undefined;
  const controls = el('section', { class: 'controls' }, el('h2', {}, 'Blocks'));
  const blocks = el('textarea', { id: 'blocks', rows: '8', cols: '22' });
  blocks.value = state.blocks.join('\n');
  const applyBlocks = el('button', { id: 'apply-blocks' }, 'Apply blocks');
  applyBlocks.addEventListener('click', () => {
    const lines = blocks.value
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    update({ blocks: lines });
  });
  controls.append(
    blocks,
    el('small', {}, Object.values(BLOCK_SYNTAX).join(' · ')),
    applyBlocks,
    el('h2', {}, 'Training'),
    numberInput('Train images', 'train-images', state.trainImages, { min: 100, max: 2000, step: 100 }, (v) =>
      update({ trainImages: v }),
    ),
    numberInput('Epochs', 'epochs', state.epochs, { min: 1, max: 50, step: 1 }, (v) => update({ epochs: v })),
    numberInput('Batch size', 'image-batch', state.imageBatch, { min: 1, max: 512, step: 1 }, (v) =>
      update({ imageBatch: v }),
    ),
    numberInput('Learning rate', 'image-lr', state.imageLearningRate, { min: 0.00001, max: 1, step: 0.0005 }, (v) =>
      update({ imageLearningRate: v }),
    ),
    numberInput('Early-stopping patience', 'patience', state.patience, { min: 1, max: 20, step: 1 }, (v) =>
      update({ patience: v }),
    ),
    el('h2', {}, 'Augmentation'),
  );
  const augmentBox = el('div', { class: 'features' });
  for (const name of AUGMENTATIONS) {
    const box = el('input', { type: 'checkbox', id: `augment-${name}` });
    box.checked = state.augment.includes(name);
    box.addEventListener('change', () =>
      update({ augment: AUGMENTATIONS.filter((n) => (n === name ? box.checked : state.augment.includes(n))) }),
    );
    augmentBox.append(el('label', {}, box, ` ${name}`));
  }
  controls.append(augmentBox);

  const model = el('section', { class: 'model' }, el('h2', {}, 'Layers and output shapes'));
  const results = el('section', { class: 'results' });
  const preview = el('section', { class: 'preview' }, el('h2', {}, 'Augmentation preview'));
  root.append(controls, model, results, preview);

  let data: DigitSet;
  try {
    data = await loadDigits(import.meta.env.BASE_URL);
  } catch (error) {
    showMessage(describeError(error));
    return () => {};
  }

  // ── augmentation preview: one digit, six variants under each transform ──
  const digit = data.test.images.subarray(0, 784);
  const rows = el('table', { id: 'augment-preview' });
  for (const name of AUGMENTATIONS) {
    const row = el('tr', {}, el('th', {}, name), el('td', {}, digitCanvas(digit)));
    for (const variant of previewVariants(name, digit, 6, state.seed)) row.append(el('td', {}, digitCanvas(variant)));
    rows.append(row);
  }
  preview.append(rows, el('small', {}, `Data: ${data.origin}`));

  // ── the model and its shapes, before any training ──
  try {
    session = new ImageSession({
      blocks: state.blocks,
      trainImages: state.trainImages,
      epochs: state.epochs,
      batchSize: state.imageBatch,
      learningRate: state.imageLearningRate,
      patience: state.patience,
      seed: state.seed,
    });
  } catch (error) {
    blocks.classList.add('invalid');
    showMessage(describeError(error));
    return () => {};
  }
  const shapes = el(
    'table',
    { class: 'shapes', id: 'shapes' },
    el('tr', {}, el('th', {}, 'layer'), el('th', {}, 'output'), el('th', {}, 'params')),
  );
  shapes.append(el('tr', {}, el('td', {}, 'input'), el('td', {}, '28×28×1'), el('td', {}, '0')));
  for (const layer of session.summary()) {
    if (layer.className === 'InputLayer') continue;
    shapes.append(
      el(
        'tr',
        {},
        el('td', {}, `${layer.name} (${layer.className})`),
        el('td', {}, layer.outputShape.join('×')),
        el('td', {}, String(layer.params)),
      ),
    );
  }
  model.append(shapes);

  // ── training ──
  const train = el('button', { id: 'train-image' }, '▶ Train');
  const stats = el('div', { id: 'image-stats', class: 'stats' }, 'Not trained yet.');
  const chartBox = el('div', { id: 'image-chart' });
  const after = el('div', { id: 'after-training' });
  results.append(el('div', { class: 'buttons' }, train), stats, chartBox, after);
  const curve: [number[], number[], number[]] = [[], [], []];
  const chart = new uPlot(
    {
      width: 420,
      height: 200,
      scales: { x: { time: false }, acc: { range: [0, 1] } },
      axes: [{ label: 'step' }, { label: 'loss' }, { side: 1, scale: 'acc', label: 'accuracy', grid: { show: false } }],
      series: [
        {},
        { label: 'batch loss', stroke: '#0877bd', width: 1.5 },
        { label: 'batch accuracy', stroke: '#f59322', width: 1.5, scale: 'acc' },
      ],
    },
    curve,
    chartBox,
  );

  const showResult = (r: ImageResult, current: ImageSession) => {
    stats.textContent = `test accuracy ${(r.testAccuracy * 100).toFixed(1)}% on ${data.test.labels.length} digits · ${r.samplesPerSecond.toFixed(0)} samples/s${r.stopReason === undefined ? '' : ` · stopped early (${r.stopReason})`}`;
    stats.dataset.testAccuracy = String(r.testAccuracy);
    stats.dataset.samplesPerSecond = String(r.samplesPerSecond);
    stats.dataset.epochs = String(r.history.length);
    const table = el('table', { class: 'confusion', id: 'confusion' });
    const max = Math.max(1, ...r.confusion.flat());
    table.append(el('tr', {}, el('th', {}, 'true \\ pred'), ...data.classNames.map((n) => el('th', {}, n))));
    r.confusion.forEach((row, i) => {
      table.append(
        el(
          'tr',
          {},
          el('th', {}, data.classNames[i] ?? String(i)),
          ...row.map((v) => el('td', { style: `background: rgba(8,119,189,${(v / max).toFixed(2)})` }, String(v))),
        ),
      );
    });
    const diagnosis = el(
      'div',
      { id: 'diagnosis' },
      el('h2', {}, `Diagnosis: ${r.diagnosis.verdict}`),
      el('ul', {}, ...r.diagnosis.reasons.map((t) => el('li', {}, t))),
      ...(r.diagnosis.remedies.length > 0 ? [el('p', {}, `Try: ${r.diagnosis.remedies.join('; ')}`)] : []),
    );
    const sampleIndex = 0;
    after.replaceChildren(
      mapsGrid('Learned filters (first convolution)', 'filters', current.filters(), 40),
      el('h2', {}, 'Feature maps of one test digit'),
      digitCanvas(data.test.images.subarray(sampleIndex * 784, sampleIndex * 784 + 784), 3),
      mapsGrid('', 'feature-maps', current.featureMaps(data, sampleIndex), 56),
      el('h2', {}, 'Confusion matrix (test)'),
      table,
      diagnosis,
    );
  };

  let running = false;
  train.addEventListener('click', async () => {
    if (running || session === undefined) return;
    running = true;
    train.disabled = true;
    stats.textContent = 'Training…';
    try {
      const current = session;
      const result = await current.train(
        data,
        {
          onBatch: (step, logs, samplesPerSecond) => {
            curve[0].push(step);
            curve[1].push(logs.loss ?? Number.NaN);
            curve[2].push(logs.accuracy ?? Number.NaN);
            chart.setData(curve);
            stats.textContent = `step ${step} · loss ${(logs.loss ?? Number.NaN).toFixed(3)} · ${samplesPerSecond.toFixed(0)} samples/s`;
          },
          onEpoch: (epoch, logs) => {
            stats.textContent = `epoch ${epoch + 1}: val_loss ${(logs.val_loss ?? Number.NaN).toFixed(3)} · val_accuracy ${((logs.val_accuracy ?? 0) * 100).toFixed(1)}%`;
          },
        },
        trainingPipeline(state.augment, state.seed),
      );
      showResult(result, current);
    } catch (error) {
      showMessage(describeError(error));
      stats.textContent = 'Training failed.';
    } finally {
      running = false;
      train.disabled = false;
    }
  });

  return () => {
    chart.destroy();
    session?.dispose();
  };
}
