import './style.css';
import * as tf from '@tensorflow/tfjs';
import { startBackend } from './backend.js';
import {
  type Detection,
  decodeImage,
  decodeRaw,
  detectRaw,
  type Prediction,
  predict,
  preprocess,
  type RawDetections,
} from './predict.js';
import { type LoadedRun, loadRunFromFiles, loadRunFromUrl } from './run.js';
import { legend, overlay, segment } from './segment.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(window.location.search);
const topK = Math.max(1, Math.min(10, Number(params.get('topK') ?? 5) || 5));
let run: LoadedRun | undefined;
let busy = Promise.resolve();
/** The last image a detector saw and its raw output: the confidence slider re-decodes it without the model. */
let shown: { image: ImageBitmap; raw: RawDetections; name: string } | undefined;
const conf = $<HTMLInputElement>('conf');
// `optik predict`'s `--conf` default; `?conf=0.1` sets another.
conf.value = String(Math.min(1, Math.max(0, Number(params.get('conf') ?? 0.25) || 0)));
$('conf-value').textContent = Number(conf.value).toFixed(2);

function message(text: string, kind: 'error' | 'info' = 'error'): void {
  const bar = $('message');
  bar.textContent = text;
  bar.className = text === '' ? '' : kind;
}
const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Runs one user action at a time; whatever it throws becomes the page's message, never a broken page. */
function act(work: () => Promise<void>): void {
  busy = busy.then(async () => {
    try {
      await work();
    } catch (error) {
      message(describe(error));
    }
  });
}

/** Loads a run; a failure unloads the previous one too, so the page never shows one run and uses another. */
async function loadRun(loading: Promise<LoadedRun>): Promise<void> {
  try {
    showRun(await loading);
  } catch (error) {
    run?.model.dispose();
    run = undefined;
    forget();
    const info = $('run-info');
    info.textContent = 'No run loaded.';
    delete info.dataset.task;
    throw error;
  }
}

function showRun(loaded: LoadedRun): void {
  run?.model.dispose();
  run = loaded;
  const p = loaded.preprocessing;
  const rows: [string, string][] = [
    ['run', `${loaded.name} (${loaded.source})`],
    ['task', loaded.task],
    ['trained on', loaded.dataset],
    ['classes', loaded.classNames.join(', ')],
    ['resize', `${p.width}×${p.height} (fill), ${p.channels === 1 ? 'grayscale' : p.channels === 3 ? 'RGB' : 'RGBA'}`],
    ['normalisation', 'pixels ÷ 255 (0–1), as in training'],
    ...(p.tta.length > 0
      ? [['test-time augmentation', `${p.tta.join(', ')} (not applied here)`] as [string, string]]
      : []),
  ];
  const dl = document.createElement('dl');
  for (const [k, v] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    dl.append(dt, dd);
  }
  const info = $('run-info');
  info.replaceChildren(dl);
  info.dataset.task = loaded.task;
  $('conf-row').hidden = loaded.detection === undefined;
  forget();
  message(`Loaded ${loaded.name}: drop an image.`, 'info');
}

/** Drops what the page shows of the previous image (a new run or another kind of result replaces it). */
function forget(): void {
  shown?.image.close();
  shown = undefined;
  for (const id of ['top-k', 'detections', 'segments']) {
    const list = $(id);
    list.replaceChildren();
    for (const key of Object.keys(list.dataset)) delete list.dataset[key];
  }
  $('box').textContent = '';
}

/** Draws the image scaled into the view canvas; returns the scale from image pixels to canvas pixels. */
function drawImage(image: CanvasImageSource & { width: number; height: number }): number {
  const view = $<HTMLCanvasElement>('view');
  const ctx = view.getContext('2d');
  const s = Math.min(view.width / image.width, view.height / image.height);
  if (ctx === null) return s;
  ctx.clearRect(0, 0, view.width, view.height);
  ctx.imageSmoothingEnabled = image.width > 64;
  ctx.drawImage(image, 0, 0, image.width * s, image.height * s);
  return s;
}

/** Draws what the model sees: the image as {@link preprocess} gives it to the model. */
function showSeen(image: CanvasImageSource, loaded: LoadedRun): void {
  const { input, pixels } = preprocess(image, loaded);
  input.dispose();
  const seen = $<HTMLCanvasElement>('seen');
  const small = new OffscreenCanvas(loaded.preprocessing.width, loaded.preprocessing.height);
  small.getContext('2d')?.putImageData(pixels, 0, 0);
  const seenCtx = seen.getContext('2d');
  if (seenCtx !== null) {
    seenCtx.imageSmoothingEnabled = false;
    seenCtx.drawImage(small, 0, 0, seen.width, seen.height);
  }
}

/** A colour per class id (hue steps of the golden angle, so neighbouring ids differ). */
const classColor = (classId: number) => `hsl(${Math.round((classId * 137.508 + 30) % 360)} 85% 50%)`;

/** Draws the detections above the confidence slider's value on the image, and lists them. */
function showDetections(loaded: LoadedRun): void {
  if (shown === undefined) return;
  const threshold = Number(conf.value);
  const found: Detection[] = decodeRaw(loaded, shown.raw, threshold);
  const s = drawImage(shown.image);
  const ctx = $<HTMLCanvasElement>('view').getContext('2d');
  if (ctx !== null) {
    ctx.font = '13px system-ui';
    ctx.lineWidth = 2;
    // Lowest score first, so the best boxes and their captions end on top.
    for (const d of [...found].reverse()) {
      const [x1, y1, x2, y2] = d.box.map((v) => v * s) as [number, number, number, number];
      ctx.strokeStyle = classColor(d.classId);
      ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
      const caption = `${d.label} ${d.score.toFixed(2)}`;
      const tw = ctx.measureText(caption).width + 6;
      const ty = y1 >= 16 ? y1 - 16 : y1;
      ctx.fillStyle = classColor(d.classId);
      ctx.fillRect(x1, ty, tw, 16);
      ctx.fillStyle = '#fff';
      ctx.fillText(caption, x1 + 3, ty + 12);
    }
  }
  const list = $('detections');
  list.replaceChildren(
    ...found.map((d) => {
      const li = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = classColor(d.classId);
      li.append(
        swatch,
        `${d.label} ${(d.score * 100).toFixed(1)}% at [${d.box.map((v) => v.toFixed(1)).join(', ')}] px`,
      );
      li.dataset.classId = String(d.classId);
      return li;
    }),
  );
  if (found.length === 0) {
    const li = document.createElement('li');
    li.className = 'none';
    li.textContent = `No detection scores ${threshold.toFixed(2)} or more: lower the confidence.`;
    list.append(li);
  }
  list.dataset.detections = JSON.stringify(found);
  list.dataset.conf = String(threshold);
  list.dataset.file = shown.name;
  $('conf-value').textContent = threshold.toFixed(2);
}

/** Colours each pixel by its class over the image (background clear) and lists the classes covering the most. */
function showSegmentation(
  image: CanvasImageSource & { width: number; height: number },
  loaded: LoadedRun,
  name: string,
): void {
  const seg = segment(loaded, image);
  const s = drawImage(image);
  const ctx = $<HTMLCanvasElement>('view').getContext('2d');
  if (ctx !== null) {
    // The model saw the image stretched to its input: stretch the class map back over the image.
    const small = new OffscreenCanvas(seg.width, seg.height);
    small.getContext('2d')?.putImageData(overlay(seg, 0.55), 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(small, 0, 0, image.width * s, image.height * s);
  }
  const entries = legend(loaded, seg, 8);
  const list = $('segments');
  list.replaceChildren(
    ...entries.map((e) => {
      const li = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = `rgb(${e.color.join(', ')})`;
      li.append(swatch, `${e.label}: ${(e.fraction * 100).toFixed(1)}% of the pixels`);
      li.dataset.classId = String(e.classId);
      return li;
    }),
  );
  list.dataset.legend = JSON.stringify(entries.map(({ classId, label, fraction }) => ({ classId, label, fraction })));
  list.dataset.counts = JSON.stringify(seg.counts);
  list.dataset.file = name;
  showSeen(image, loaded);
}

function showPrediction(
  image: CanvasImageSource & { width: number; height: number },
  loaded: LoadedRun,
  result: Prediction,
  name: string,
): void {
  const s = drawImage(image);
  const ctx = $<HTMLCanvasElement>('view').getContext('2d');
  if (ctx === null) return;
  const [w, h] = [image.width * s, image.height * s];
  const best = result.top[0];
  const list = $('top-k');
  if (result.box !== undefined) {
    // The box in the image's own pixels, as `optik predict` reports it (clipped to the image).
    const { cx, cy, w: bw, h: bh } = result.box;
    const clip = (v: number) => Math.min(Math.max(v, 0), 1);
    const [x1, y1, x2, y2] = [
      clip(cx - Math.max(0, bw) / 2),
      clip(cy - Math.max(0, bh) / 2),
      clip(cx + Math.max(0, bw) / 2),
      clip(cy + Math.max(0, bh) / 2),
    ];
    ctx.strokeStyle = '#f59322';
    ctx.lineWidth = 3;
    ctx.strokeRect(x1 * w, y1 * h, (x2 - x1) * w, (y2 - y1) * h);
    const box = [x1 * image.width, y1 * image.height, x2 * image.width, y2 * image.height];
    list.dataset.box = JSON.stringify(box);
    list.title = `box [${box.map((v) => v.toFixed(1)).join(', ')}] px`;
  } else {
    delete list.dataset.box;
  }
  if (best !== undefined) {
    ctx.fillStyle = 'rgba(0,0,0,0.6)';
    ctx.fillRect(0, 0, w, 24);
    ctx.fillStyle = '#fff';
    ctx.font = '16px system-ui';
    ctx.fillText(`${best.label} ${(best.probability * 100).toFixed(1)}%`, 6, 17);
  }
  showSeen(image, loaded);
  list.replaceChildren(
    ...result.top.map((r) => {
      const li = document.createElement('li');
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = `${Math.round(r.probability * 200)}px`;
      li.append(`${r.label}: ${(r.probability * 100).toFixed(1)}%`, bar);
      li.dataset.classId = String(r.classId);
      return li;
    }),
  );
  const box = JSON.parse(list.dataset.box ?? 'null') as number[] | null;
  $('box').textContent = box === null ? '' : `box [${box.map((v) => v.toFixed(1)).join(', ')}] px (x₁, y₁, x₂, y₂)`;
  list.dataset.top1 = best?.label ?? '';
  list.dataset.file = name;
  list.dataset.top1ClassId = String(best?.classId ?? '');
}

async function classify(file: Blob, name: string): Promise<void> {
  if (run === undefined) {
    message('Load a run first (its URL, or pick its folder), then drop the image.');
    return;
  }
  const image = await decodeImage(file, name);
  look(run, image, name);
  message('');
}

/** Classifies, localizes or detects one image (the page keeps a detector's image for the slider). */
function look(loaded: LoadedRun, image: ImageBitmap, name: string): void {
  if (loaded.detection !== undefined) {
    const raw = detectRaw(loaded, image);
    forget();
    shown = { image, raw, name };
    showDetections(loaded);
    showSeen(image, loaded);
    return;
  }
  try {
    forget();
    if (loaded.task === 'semantic-segmentation') showSegmentation(image, loaded, name);
    else showPrediction(image, loaded, predict(loaded, image, topK), name);
  } finally {
    image.close();
  }
}
conf.addEventListener('input', () => {
  if (run !== undefined) showDetections(run);
  else $('conf-value').textContent = Number(conf.value).toFixed(2);
});

act(async () => {
  const backend = await startBackend((params.get('backend') as 'webgl' | 'wasm' | 'cpu' | null) ?? 'auto');
  $('backend').textContent = `backend: ${backend.name}`;
  $('backend').dataset.backend = backend.name;
  const url = params.get('run');
  if (url !== null) {
    $<HTMLInputElement>('run-url').value = url;
    await loadRun(loadRunFromUrl(url));
  }
});

$('load-url').addEventListener('click', () =>
  act(async () => {
    const url = $<HTMLInputElement>('run-url').value.trim();
    if (url === '') throw new Error('Type the run’s URL first, e.g. http://localhost:3000/files/classification/exp/.');
    await loadRun(loadRunFromUrl(url));
    params.set('run', url);
    window.history.replaceState(null, '', `?${params.toString()}`);
  }),
);
$<HTMLInputElement>('run-folder').addEventListener('change', (event) =>
  act(() => loadRun(loadRunFromFiles([...((event.target as HTMLInputElement).files ?? [])]))),
);
$<HTMLInputElement>('image-file').addEventListener('change', (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (file !== undefined) act(() => classify(file, file.name));
});
const drop = $('drop');
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  const file = event.dataTransfer?.files[0];
  if (file === undefined) message('Nothing to classify was dropped: drop an image file.');
  else act(() => classify(file, file.name));
});

const video = $<HTMLVideoElement>('video');
$('webcam').addEventListener('click', () =>
  act(async () => {
    if (navigator.mediaDevices?.getUserMedia === undefined) throw new Error('This browser gives pages no webcam.');
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({ video: true });
    } catch (error) {
      throw new Error(`The webcam could not be opened: ${describe(error)}. Allow camera access, or drop an image.`);
    }
    video.hidden = false;
    $('capture').hidden = false;
    await video.play();
  }),
);
$('capture').addEventListener('click', () =>
  act(async () => {
    if (run === undefined) throw new Error('Load a run first, then classify a frame.');
    look(run, await createImageBitmap(video), 'webcam frame');
  }),
);

window.addEventListener('error', (event) => message(describe(event.error ?? event.message)));
window.addEventListener('unhandledrejection', (event) => message(describe(event.reason)));
// For the end-to-end test: the number of live tensors, to check nothing leaks between predictions.
Object.assign(window, { optikTensors: () => tf.memory().numTensors });
