import uPlot from 'uplot';
import { diverging, drawMap, mapRange } from '../colors.js';
import type { PageState } from '../state.js';
import { describeError, el, numberInput, select, showMessage } from '../ui.js';
import { DATASETS, FEATURE_LABELS, FEATURE_NAMES, makeDataset, type Point, RADIUS } from './data.js';
import { TwoDNetwork } from './model.js';

/** What the page shows about training; also read by the end-to-end test through `data-*` attributes. */
interface Progress {
  steps: number[];
  train: number[];
  test: number[];
}

/**
 * The 2-D mode: the TensorFlow Playground's controls on the left, the network's neurons as heatmaps in the middle,
 * the decision boundary and the loss curves on the right.
 */
export function mountTwoD(
  root: HTMLElement,
  state: PageState,
  update: (patch: Partial<PageState>) => void,
): () => void {
  let data = makeDataset(state.dataset, {
    count: state.points,
    noise: state.noise,
    trainRatio: state.trainRatio,
    seed: state.seed,
  });
  let net: TwoDNetwork;
  try {
    net = new TwoDNetwork(
      {
        features: state.features,
        hidden: state.hidden,
        activation: state.activation,
        learningRate: state.learningRate,
        batchSize: state.batchSize,
        l1: state.l1,
        l2: state.l2,
        dropout: state.dropout,
        seed: state.seed,
      },
      data,
    );
  } catch (error) {
    showMessage(describeError(error));
    return () => {};
  }
  const progress: Progress = { steps: [], train: [], test: [] };
  let playing = false;
  let frame = 0;
  let stepsPerSecond = 0;

  // ── controls ──
  const controls = el('section', { class: 'controls' });
  controls.append(el('h2', {}, 'Data'));
  const datasets = el('div', { class: 'datasets' });
  for (const name of DATASETS) {
    const b = el('button', { id: `dataset-${name}`, class: name === state.dataset ? 'chosen' : '' }, name);
    b.addEventListener('click', () => update({ dataset: name }));
    datasets.append(b);
  }
  controls.append(
    datasets,
    numberInput('Noise', 'noise', state.noise, { min: 0, max: 0.5, step: 0.05 }, (v) => update({ noise: v })),
    numberInput('Train ratio', 'train-ratio', state.trainRatio, { min: 0.1, max: 0.9, step: 0.1 }, (v) =>
      update({ trainRatio: v }),
    ),
    numberInput('Points', 'points', state.points, { min: 20, max: 2000, step: 10 }, (v) => update({ points: v })),
    el('h2', {}, 'Features'),
  );
  const features = el('div', { class: 'features' });
  for (const f of FEATURE_NAMES) {
    const box = el('input', { type: 'checkbox', id: `feature-${f}` });
    box.checked = state.features.includes(f);
    box.addEventListener('change', () => {
      const next = FEATURE_NAMES.filter((n) => (n === f ? box.checked : state.features.includes(n)));
      if (next.length === 0) {
        box.checked = true;
        showMessage('Keep at least one input feature.');
        return;
      }
      update({ features: next });
    });
    features.append(el('label', {}, box, ` ${FEATURE_LABELS[f]}`));
  }
  controls.append(features, el('h2', {}, 'Network'));
  const layers = el('input', { id: 'hidden', type: 'text', value: state.hidden.join(',') });
  layers.title = 'Neurons per hidden layer, e.g. 8,8; empty for a single neuron (the perceptron)';
  layers.addEventListener('change', () => {
    const text = layers.value.trim();
    const hidden = text === '' ? [] : text.split(',').map((t) => Number(t.trim()));
    if (hidden.some((n) => !Number.isInteger(n) || n < 1 || n > 16) || hidden.length > 6) {
      layers.classList.add('invalid');
      showMessage(`Hidden layers "${text}": give up to 6 layer sizes from 1 to 16, e.g. 8,8 (empty: one neuron).`);
      return;
    }
    update({ hidden });
  });
  controls.append(
    el('label', {}, 'Hidden layers ', layers),
    select('Activation', 'activation', ['relu', 'tanh', 'sigmoid', 'linear'] as const, state.activation, (v) =>
      update({ activation: v }),
    ),
    el('h2', {}, 'Training'),
    numberInput('Learning rate', 'learning-rate', state.learningRate, { min: 0.0001, max: 10, step: 0.001 }, (v) =>
      update({ learningRate: v }),
    ),
    numberInput('Batch size', 'batch-size', state.batchSize, { min: 1, max: 2000, step: 1 }, (v) =>
      update({ batchSize: v }),
    ),
    numberInput('L1', 'l1', state.l1, { min: 0, max: 1, step: 0.001 }, (v) => update({ l1: v })),
    numberInput('L2', 'l2', state.l2, { min: 0, max: 1, step: 0.001 }, (v) => update({ l2: v })),
    numberInput('Dropout', 'dropout', state.dropout, { min: 0, max: 0.9, step: 0.05 }, (v) => update({ dropout: v })),
    numberInput('Seed', 'seed', state.seed, { min: 0, max: 2 ** 31, step: 1 }, (v) => update({ seed: v })),
  );

  // ── network: one column of neuron heatmaps per layer ──
  const network = el('section', { class: 'network' }, el('h2', {}, 'Neurons'));
  const columns = el('div', { class: 'columns' });
  const neuronCanvases: HTMLCanvasElement[] = [];
  const sizes = [...state.hidden, 1];
  sizes.forEach((units, layer) => {
    const col = el(
      'div',
      { class: 'column' },
      el('div', { class: 'caption' }, layer < state.hidden.length ? `hidden ${layer + 1}` : 'output'),
    );
    for (let u = 0; u < units; u++) {
      const c = el('canvas', {
        width: '48',
        height: '48',
        class: 'neuron',
        title: `layer ${layer + 1}, neuron ${u + 1}`,
      });
      neuronCanvases.push(c);
      col.append(c);
    }
    columns.append(col);
  });
  const perceptron = el('div', { id: 'perceptron', class: 'perceptron' });
  network.append(columns, perceptron);

  // ── output: boundary, buttons, losses ──
  const boundary = el('canvas', { id: 'boundary', width: '360', height: '360' });
  const stats = el('div', { id: 'stats', class: 'stats' });
  const play = el('button', { id: 'play' }, '▶ Train');
  const step = el('button', { id: 'step' }, 'Step');
  const stepsInput = el('input', {
    id: 'steps-per-click',
    type: 'number',
    min: '1',
    max: '10000',
    value: String(state.stepsPerClick),
  });
  stepsInput.addEventListener('change', () => {
    const v = Number(stepsInput.value);
    if (Number.isInteger(v) && v >= 1 && v <= 10000) update({ stepsPerClick: v });
    else showMessage('Steps per click: an integer from 1 to 10000.');
  });
  const reset = el('button', { id: 'reset' }, 'Reset');
  const chartBox = el('div', { id: 'loss-chart' });
  const output = el(
    'section',
    { class: 'output' },
    el('div', { class: 'buttons' }, play, step, el('label', {}, '× ', stepsInput), reset),
    boundary,
    stats,
    chartBox,
  );
  root.append(controls, network, output);

  const chart = new uPlot(
    {
      width: 360,
      height: 180,
      scales: { x: { time: false } },
      axes: [{ label: 'step' }, { label: 'loss' }],
      series: [{}, { label: 'train', stroke: '#0877bd', width: 2 }, { label: 'test', stroke: '#f59322', width: 2 }],
    },
    [[], [], []],
    chartBox,
  );

  const drawPoints = (points: readonly Point[], ctx: CanvasRenderingContext2D, outline: boolean) => {
    const scale = boundary.width / (2 * RADIUS);
    for (const p of points) {
      const [r, g, b] = diverging(p.label);
      ctx.beginPath();
      ctx.arc((p.x + RADIUS) * scale, (RADIUS - p.y) * scale, 3, 0, 2 * Math.PI);
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      ctx.fill();
      ctx.strokeStyle = outline ? '#000' : '#fff';
      ctx.lineWidth = 1;
      ctx.stroke();
    }
  };

  const render = () => {
    const maps = net.neuronMaps();
    const grid = TwoDNetwork.GRID;
    maps.forEach((map, i) => {
      const canvas = neuronCanvases[i];
      if (canvas === undefined) return;
      const [lo, hi] = i === maps.length - 1 ? [0, 1] : mapRange(map);
      drawMap(canvas, map, grid, lo, hi);
    });
    const out = maps.at(-1);
    if (out !== undefined) drawMap(boundary, out, grid, 0, 1);
    const ctx = boundary.getContext('2d');
    if (ctx !== null) {
      drawPoints(data.train, ctx, false);
      drawPoints(data.test, ctx, true);
    }
    const last = progress.test.length - 1;
    const trainLoss = progress.train[last] ?? Number.NaN;
    const testLoss = progress.test[last] ?? Number.NaN;
    stats.textContent = `step ${net.step} · train loss ${trainLoss.toFixed(3)} · test loss ${testLoss.toFixed(3)} · ${stepsPerSecond.toFixed(0)} steps/s`;
    stats.dataset.step = String(net.step);
    stats.dataset.trainLoss = String(trainLoss);
    stats.dataset.testLoss = String(testLoss);
    stats.dataset.startTestLoss = String(progress.test[0] ?? Number.NaN);
    stats.dataset.stepsPerSecond = String(stepsPerSecond);
    chart.setData([progress.steps, progress.train, progress.test]);
    if (state.hidden.length === 0) {
      const { weights, bias } = net.outputNeuron();
      const terms = weights.map((w, i) => `${w.toFixed(2)}·${FEATURE_LABELS[state.features[i] ?? 'x1']}`).join(' + ');
      perceptron.textContent = `Perceptron: ŷ = sigmoid(${terms} + ${bias.toFixed(2)}) — a weighted sum plus a bias, then the activation; its boundary is the line where the sum is 0.`;
    }
  };

  const record = () => {
    const { train, test } = net.losses();
    progress.steps.push(net.step);
    progress.train.push(train);
    progress.test.push(test);
  };

  /** Trains `count` steps, recording the losses after each, and measures the rate. */
  const train = (count: number) => {
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      net.trainSteps(1);
      record();
    }
    const seconds = (performance.now() - started) / 1000;
    if (seconds > 0) stepsPerSecond = count / seconds;
  };

  const loop = () => {
    if (!playing) return;
    train(5);
    render();
    frame = requestAnimationFrame(loop);
  };
  play.addEventListener('click', () => {
    playing = !playing;
    play.textContent = playing ? '⏸ Pause' : '▶ Train';
    if (playing) frame = requestAnimationFrame(loop);
  });
  step.addEventListener('click', () => {
    try {
      train(state.stepsPerClick);
      render();
    } catch (error) {
      showMessage(describeError(error));
    }
  });
  reset.addEventListener('click', () => update({}));

  record();
  render();
  return () => {
    playing = false;
    cancelAnimationFrame(frame);
    chart.destroy();
    net.dispose();
    data = { train: [], test: [] };
  };
}
