import { spawnSync } from 'node:child_process';
import { cpSync, createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { ensureSynthDataset, loadBuiltinDataset, SynthOptionsSchema } from '@optik/data';
import { type Browser, chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import { build, type PreviewServer, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumLaunchOptions, chromiumPath } from '../../../tooling/scripts/chromium.mjs';

const root = join(import.meta.dirname, '..');
const repo = join(root, '..', '..');
const shots = join(root, 'docs', 'screenshots');
const executable: string | undefined = chromiumPath();

/** `optik <args> --json` from the repository's source, in `cwd`; its last stdout line parsed. */
function optik(cwd: string, args: string[]): Record<string, unknown> {
  const out = spawnSync(process.execPath, [join(repo, 'tooling', 'cli-dev', 'optik.mjs'), ...args, '--json'], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, OPTIK_BACKEND: 'wasm' },
  });
  if (out.status !== 0) throw new Error(`optik ${args.join(' ')} failed (${out.status}):\n${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

/** A static file server with CORS, standing in for `optik ui`'s /files/ (the page is on another origin). */
function serve(dir: string): Promise<Server> {
  const types: Record<string, string> = {
    '.json': 'application/json',
    '.yaml': 'text/yaml',
    '.bin': 'application/octet-stream',
  };
  const server = createServer((req, res) => {
    const path = join(dir, normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (!path.startsWith(dir) || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': types[extname(path)] ?? 'application/octet-stream' });
    if (req.method === 'HEAD') res.end();
    else createReadStream(path).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

interface Detected {
  label: string;
  classId: number;
  score: number;
  box: number[];
}
/** The confidence both `optik predict --conf` and the page's slider use: low, as a 1-epoch detector scores low. */
const DET_CONF = 0.05;

describe.skipIf(executable === undefined)('try in Chromium', () => {
  let work: string;
  let runDir: string;
  let images: string[];
  let expected: string[];
  let locRunDir: string;
  let locImage: string;
  let locExpected: { label: string; box: number[] };
  let detRunDir: string;
  let detImages: string[];
  let detExpected: Detected[][];
  let segRunDir: string;
  let segExpected: { classes: Record<string, number>; top: { label: string }[] };
  let files: Server;
  let filesUrl: string;
  let server: PreviewServer;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'optik-try-e2e-'));
    // A tiny real run, written by `optik train`.
    writeFileSync(
      join(work, 'tiny.yaml'),
      [
        'task: classification',
        'name: tiny',
        'seed: 3',
        `output: { root: ${JSON.stringify(join(work, 'runs'))} }`,
        'data: { dataset: mnist, limit: { train: 1500, test: 100 }, batchSize: 32 }',
        'model: { layers: [{ type: conv, filters: 4, kernelSize: 3 }, { type: pool }, { type: flatten }] }',
        'train: { epochs: 2, optimizer: { type: adam, learningRate: 0.003 } }',
      ].join('\n'),
    );
    const trained = optik(work, ['train', 'tiny.yaml']);
    runDir = String(trained.runDir);
    // Real digits as PNG files, and what `optik predict` says about them.
    const mnist = await loadBuiltinDataset('mnist', { seed: 11 });
    // One digit of each class (the first of each in the test split), so the predictions differ.
    const firstOf = Array.from({ length: 10 }, (_, digit) => mnist.test.labels.indexOf(digit));
    images = firstOf.map((i) => join(work, `digit-${i}.png`));
    for (const [k, file] of images.entries()) {
      const i = firstOf[k] as number;
      const pixels = Buffer.from(mnist.test.images.subarray(i * 784, (i + 1) * 784));
      await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } })
        .png()
        .toFile(file);
    }
    // A tiny localization run too, and a 64×64 image with a digit off-centre.
    writeFileSync(
      join(work, 'loc.yaml'),
      [
        'task: localization',
        'name: tinyloc',
        'seed: 2',
        `output: { root: ${JSON.stringify(join(work, 'runs'))} }`,
        'data: { dataset: mnist-localization, limit: { train: 400, validation: 50, test: 50 }, batchSize: 32 }',
        'model: { layers: [{ type: conv, filters: 8, kernelSize: 3, padding: same }, { type: pool }, { type: conv, filters: 8, kernelSize: 3, padding: same }, { type: pool }] }',
        'train: { epochs: 1 }',
      ].join('\n'),
    );
    locRunDir = String(optik(work, ['train', 'loc.yaml']).runDir);
    locImage = join(work, 'placed.png');
    const digit = await sharp(Buffer.from(mnist.test.images.subarray(0, 784)), {
      raw: { width: 28, height: 28, channels: 1 },
    })
      .png()
      .toBuffer();
    await sharp({ create: { width: 64, height: 64, channels: 3, background: '#000' } })
      .composite([{ input: digit, left: 24, top: 10 }])
      .png()
      .toFile(locImage);
    locExpected = (optik(work, ['predict', locRunDir, locImage]) as { predictions: { label: string; box: number[] }[] })
      .predictions[0] as { label: string; box: number[] };
    const predicted = optik(work, ['predict', runDir, ...images]) as { predictions: { top: { label: string }[] }[] };
    expected = predicted.predictions.map((p) => p.top[0]?.label ?? '');
    // A tiny detection run on the generated synth set, and test images of it as PNG files: one at the model's
    // input size (64×64) and one at another size (boxes come back in the image's own pixels).
    writeFileSync(
      join(work, 'det.yaml'),
      [
        'task: detection',
        'name: tinydet',
        'seed: 4',
        `output: { root: ${JSON.stringify(join(work, 'runs'))} }`,
        'data: { synth: { count: [16, 4, 4], imageSize: [64, 96], objectsPerImage: [1, 3] }, imageSize: [64, 64], batchSize: 8 }',
        'model: { preset: det-tiny, strides: [8, 16, 32] }',
        'train: { epochs: 1 }',
      ].join('\n'),
    );
    detRunDir = String(optik(work, ['train', 'det.yaml']).runDir);
    const synth = await ensureSynthDataset(
      SynthOptionsSchema.parse({ count: [16, 4, 4], imageSize: [64, 96], objectsPerImage: [1, 3] }),
    );
    const scene = join(synth.splits.test.images, '000002.jpg');
    detImages = [join(work, 'scene-64.png'), join(work, 'scene.png')];
    await sharp(scene)
      .resize(64, 64, { fit: 'fill' })
      .png()
      .toFile(detImages[0] as string);
    await sharp(scene)
      .png()
      .toFile(detImages[1] as string);
    detExpected = (
      optik(work, ['predict', detRunDir, ...detImages, '--conf', String(DET_CONF)]) as {
        predictions: { detections: Detected[] }[];
      }
    ).predictions.map((p) => p.detections);
    // A tiny semantic-segmentation run (U-Net) on the same generated scenes, and what optik predict says of one.
    writeFileSync(
      join(work, 'seg.yaml'),
      [
        'task: semantic-segmentation',
        'name: tinyseg',
        'seed: 5',
        `output: { root: ${JSON.stringify(join(work, 'runs'))} }`,
        'data: { dataset: synth, synth: { count: [16, 4, 4], imageSize: [64, 96], objectsPerImage: [1, 3] }, imageSize: [64, 64], batchSize: 8 }',
        'model: { preset: unet-tiny }',
        'train: { epochs: 1 }',
      ].join('\n'),
    );
    segRunDir = String(optik(work, ['train', 'seg.yaml']).runDir);
    segExpected = (
      optik(work, ['predict', segRunDir, detImages[0] as string, '--top-k', '3']) as {
        predictions: (typeof segExpected)[];
      }
    ).predictions[0] as typeof segExpected;
    // Bad run folders: one without weights, one whose weights.bin belongs to another shape of model.
    mkdirSync(join(work, 'runs', 'no-weights'));
    cpSync(join(runDir, 'config.yaml'), join(work, 'runs', 'no-weights', 'config.yaml'));
    cpSync(runDir, join(work, 'runs', 'other-shape'), { recursive: true });
    writeFileSync(join(work, 'runs', 'other-shape', 'weights', 'best', 'weights.bin'), new Uint8Array(4 * 100));
    writeFileSync(join(work, 'not-an-image.png'), 'this is text, not a PNG');
    files = await serve(work);
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;

    if (!existsSync(join(root, 'dist', 'index.html'))) await build({ root, logLevel: 'warn' });
    server = await preview({ root, preview: { port: 0, strictPort: false }, logLevel: 'warn' });
    base = server.resolvedUrls?.local[0] ?? '';
    browser = await chromium.launch(chromiumLaunchOptions(executable));
    mkdirSync(shots, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    files?.close();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  async function open(query = ''): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (e) => {
      throw new Error(`page error: ${e.message}`);
    });
    await page.goto(`${base}${query}`);
    await page.waitForSelector('#backend[data-backend]');
    return page;
  }
  const runUrl = (dir: string) => `${filesUrl}/${dir.slice(work.length + 1)}/`;

  it('loads the weights optik train wrote (over http) and gives the same top-1 class as optik predict', async () => {
    const page = await open(`?run=${encodeURIComponent(runUrl(runDir))}`);
    await page.waitForSelector('#run-info[data-task="classification"]');
    const info = (await page.locator('#run-info').textContent()) ?? '';
    expect(info).toMatch(/28×28 \(fill\), grayscale/);
    expect(info).toMatch(/÷ 255/);
    const got: string[] = [];
    for (const file of images) {
      await page.setInputFiles('#image-file', file);
      await page.waitForFunction(
        (name) => document.querySelector('#top-k')?.getAttribute('data-file') === name,
        file.split('/').at(-1),
      );
      got.push((await page.locator('#top-k').getAttribute('data-top1')) ?? '');
    }
    console.log(`e2e try: top-1 in the page ${got.join(',')} · optik predict ${expected.join(',')}`);
    expect(got).toEqual(expected);
    // A model that answers one class for everything would make the comparison empty.
    expect(new Set(got).size).toBeGreaterThanOrEqual(3);
    expect(await page.locator('#top-k li').count()).toBe(5);
    const tensors = await page.evaluate(() => (window as unknown as { optikTensors(): number }).optikTensors());
    await page.setInputFiles('#image-file', images[0] as string);
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as unknown as { optikTensors(): number }).optikTensors())).toBe(tensors);
    await page.screenshot({ path: join(shots, 'try-classify.png'), fullPage: true });
    // A webcam frame (Chromium's fake camera) goes through the same path.
    await page.click('#webcam');
    await page.waitForSelector('#capture:not([hidden])');
    await page.waitForFunction(() => (document.querySelector('#video') as HTMLVideoElement | null)?.readyState === 4);
    await page.click('#capture');
    await page.waitForSelector('#top-k[data-file="webcam frame"]');
    expect(await page.locator('#top-k li').count()).toBe(5);
    await page.close();
  });

  it('localizes: the class and the box of optik predict, drawn on the image', async () => {
    const page = await open(`?run=${encodeURIComponent(runUrl(locRunDir))}`);
    await page.waitForSelector('#run-info[data-task="localization"]');
    await page.setInputFiles('#image-file', locImage);
    await page.waitForSelector('#top-k[data-box]');
    const box = JSON.parse((await page.locator('#top-k').getAttribute('data-box')) ?? '[]') as number[];
    console.log(
      `e2e try: localization box in the page [${box.map((v) => v.toFixed(1))}] · optik predict [${locExpected.box.map((v) => v.toFixed(1))}]`,
    );
    expect(await page.locator('#top-k').getAttribute('data-top1')).toBe(locExpected.label);
    expect(box).toHaveLength(4);
    for (const [i, v] of box.entries()) expect(Math.abs(v - (locExpected.box[i] as number))).toBeLessThan(0.5);
    await page.screenshot({ path: join(shots, 'try-localize.png'), fullPage: true });
    await page.close();
  });

  it('detects: the boxes, classes and scores of optik predict --conf, drawn on the image, with a slider', async () => {
    const page = await open(`?backend=wasm&conf=${DET_CONF}&run=${encodeURIComponent(runUrl(detRunDir))}`);
    await page.waitForSelector('#run-info[data-task="detection"]');
    expect(await page.locator('#conf-row').isVisible()).toBe(true);
    for (const [k, file] of detImages.entries()) {
      await page.setInputFiles('#image-file', file);
      await page.waitForFunction(
        (name) => document.querySelector('#detections')?.getAttribute('data-file') === name,
        file.split('/').at(-1),
      );
      const got = JSON.parse((await page.locator('#detections').getAttribute('data-detections')) ?? '[]') as Detected[];
      const want = detExpected[k] as Detected[];
      console.log(
        `e2e try: detection ${file.split('/').at(-1)}: ${got.length} in the page · ${want.length} from optik predict; best ${got[0]?.label} ${got[0]?.score.toFixed(4)} [${got[0]?.box.map((v) => v.toFixed(1))}] · ${want[0]?.label} ${want[0]?.score.toFixed(4)} [${want[0]?.box.map((v) => v.toFixed(1))}]`,
      );
      // Something to compare: the tiny detector's best candidates pass the low threshold.
      expect(want.length).toBeGreaterThan(0);
      const same = (d: Detected, w: Detected) =>
        d.label === w.label &&
        d.classId === w.classId &&
        Math.abs(d.score - w.score) < 1e-3 &&
        d.box.every((v, j) => Math.abs(v - (w.box[j] as number)) < 0.5);
      if (k === 0) {
        // At the model's input size both see the same pixels: the same detections, in the same order.
        expect(got).toHaveLength(want.length);
        for (const [i, d] of got.entries())
          expect(same(d, want[i] as Detected), JSON.stringify([d, want[i]])).toBe(true);
      } else {
        // Resized, the page (canvas) and optik predict (libvips) resample a little differently, and a barely
        // trained detector's scores lie within 1e-4 of each other, so near-ties may swap: the detections match
        // one to one in any order (boxes in the image's own pixels, not the model's 64×64).
        const left = [...want];
        const matched = got.filter((d) => {
          const i = left.findIndex((w) => same(d, w));
          if (i >= 0) left.splice(i, 1);
          return i >= 0;
        }).length;
        console.log(`e2e try: ${matched} of ${got.length} detections in the page match optik predict's`);
        expect(got).toHaveLength(want.length);
        expect(matched / want.length).toBeGreaterThanOrEqual(0.9);
      }
      expect(await page.locator('#detections li').count()).toBe(want.length);
    }
    // The slider re-decodes: above the best score nothing is left, and the list says so.
    const best = Math.max(...(detExpected[1] as Detected[]).map((d) => d.score));
    await page.locator('#conf').fill(String(Math.min(1, Math.ceil(best * 100) / 100)));
    await page.waitForFunction(() => document.querySelector('#detections')?.getAttribute('data-detections') === '[]');
    expect(await page.locator('#detections').textContent()).toMatch(/lower the confidence/);
    await page.locator('#conf').fill(String(DET_CONF));
    await page.waitForFunction(() => document.querySelector('#detections')?.getAttribute('data-detections') !== '[]');
    await page.screenshot({ path: join(shots, 'try-detect.png') });
    await page.close();
  });

  it('segments: the class of each pixel as optik predict gives it, as a colour overlay with a legend', async () => {
    const page = await open(`?backend=wasm&run=${encodeURIComponent(runUrl(segRunDir))}`);
    await page.waitForSelector('#run-info[data-task="semantic-segmentation"]');
    expect(await page.locator('#conf-row').isVisible()).toBe(false);
    await page.setInputFiles('#image-file', detImages[0] as string);
    await page.waitForSelector('#segments[data-file="scene-64.png"]');
    const legend = JSON.parse((await page.locator('#segments').getAttribute('data-legend')) ?? '[]') as {
      label: string;
      fraction: number;
    }[];
    const counts = JSON.parse((await page.locator('#segments').getAttribute('data-counts')) ?? '[]') as number[];
    const total = counts.reduce((a, b) => a + b, 0);
    console.log(
      `e2e try: segmentation legend in the page ${legend.map((e) => `${e.label} ${(e.fraction * 100).toFixed(1)}%`).join(', ')} · optik predict ${Object.entries(
        segExpected.classes,
      )
        .map(([k, v]) => `${k} ${(v * 100).toFixed(1)}%`)
        .join(', ')}`,
    );
    expect(total).toBe(64 * 64);
    // Every class's share of the pixels, as optik predict counts them (the same pixels in, the same argmax out).
    const labels = Object.keys(segExpected.classes);
    expect(counts).toHaveLength(labels.length);
    for (const [c, label] of labels.entries()) {
      expect(Math.abs((counts[c] as number) / total - (segExpected.classes[label] as number))).toBeLessThan(2 / total);
    }
    expect(legend[0]?.label).toBe(segExpected.top[0]?.label);
    expect(await page.locator('#segments li').count()).toBe(legend.length);
    await page.screenshot({ path: join(shots, 'try-segment.png'), fullPage: true });
    await page.close();
  });

  it('loads a run folder the user picks', async () => {
    const page = await open();
    await page.setInputFiles('#run-folder', runDir);
    await page.waitForSelector('#run-info[data-task="classification"]');
    await page.setInputFiles('#image-file', images[1] as string);
    await page.waitForSelector('#top-k[data-top1]');
    expect(await page.locator('#top-k').getAttribute('data-top1')).toBe(expected[1]);
    await page.close();
  });

  it('bad input gets a clear message in the page', async () => {
    const page = await open(`?run=${encodeURIComponent(runUrl(runDir))}`);
    await page.waitForSelector('#run-info[data-task]');
    await page.setInputFiles('#image-file', join(work, 'not-an-image.png'));
    await page.waitForSelector('#message.error');
    expect(await page.locator('#message').textContent()).toMatch(/not-an-image\.png is not an image/);
    await page.screenshot({ path: join(shots, 'try-not-an-image.png') });

    await page.fill('#run-url', runUrl(join(work, 'runs', 'no-weights')));
    await page.click('#load-url');
    await page.waitForFunction(() =>
      /has no weights\/best/.test(document.querySelector('#message')?.textContent ?? ''),
    );

    await page.fill('#run-url', runUrl(join(work, 'runs', 'other-shape')));
    await page.click('#load-url');
    await page.waitForFunction(() => /do not load/.test(document.querySelector('#message')?.textContent ?? ''));
    expect(await page.locator('#message').textContent()).toMatch(/same run/);
    expect(await page.locator('#run-info').textContent()).toBe('No run loaded.');
    await page.screenshot({ path: join(shots, 'try-bad-weights.png') });

    // The page still works: the good run loads and classifies.
    await page.fill('#run-url', runUrl(runDir));
    await page.click('#load-url');
    await page.waitForSelector('#message.info');
    await page.setInputFiles('#image-file', images[2] as string);
    await page.waitForSelector('#top-k[data-top1]');
    expect(await page.locator('#top-k').getAttribute('data-top1')).toBe(expected[2]);
    await page.close();
  });
});
