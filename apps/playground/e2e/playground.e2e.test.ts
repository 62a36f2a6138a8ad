import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build, type PreviewServer, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumLaunchOptions, chromiumPath } from '../../../tooling/scripts/chromium.mjs';

const root = join(import.meta.dirname, '..');
const shots = join(root, 'docs', 'screenshots');
const executable: string | undefined = chromiumPath();

describe.skipIf(executable === undefined)('playground in Chromium', () => {
  let server: PreviewServer;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    if (!existsSync(join(root, 'dist', 'index.html'))) await build({ root, logLevel: 'warn' });
    server = await preview({ root, preview: { port: 0, strictPort: false }, logLevel: 'warn' });
    base = server.resolvedUrls?.local[0] ?? '';
    browser = await chromium.launch(chromiumLaunchOptions(executable));
    mkdirSync(shots, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(query: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}?${query}`);
    await page.waitForSelector('#backend');
    expect(errors).toEqual([]);
    return page;
  }
  const stat = async (page: Page, selector: string, key: string) =>
    Number(await page.locator(selector).getAttribute(`data-${key}`));

  it('2-D: trains the spiral for 200 steps and the test loss falls below a tenth of its start', async () => {
    const page = await open('dataset=spiral&features=x1,x2,sinx1,sinx2&hidden=8,8&batchSize=250&stepsPerClick=200');
    const start = await stat(page, '#stats', 'start-test-loss');
    expect(start).toBeGreaterThan(0.5);
    await page.click('#step');
    await page.waitForFunction(() => document.querySelector('#stats')?.getAttribute('data-step') === '200');
    const end = await stat(page, '#stats', 'test-loss');
    console.log(`e2e playground: spiral test loss ${start.toFixed(3)} → ${end.toFixed(3)} after 200 steps`);
    expect(end).toBeLessThan(0.1 * start);
    await page.screenshot({ path: join(shots, '2d-spiral.png'), fullPage: true });
    await page.close();
  });

  // Speed is reported, not asserted (a timed test fails on a busy machine): the log line is the measurement.
  it('2-D: a 2×8 network trains 300 steps and reports its steps per second', async () => {
    const page = await open('dataset=xor&hidden=8,8&stepsPerClick=300');
    await page.click('#step');
    await page.waitForFunction(() => document.querySelector('#stats')?.getAttribute('data-step') === '300');
    const rate = await stat(page, '#stats', 'steps-per-second');
    const backend = await page.locator('#backend').getAttribute('data-backend');
    console.log(`e2e playground: 2-D 2×8 network, batch 10: ${rate.toFixed(1)} steps/s on ${backend}`);
    expect(rate).toBeGreaterThan(0);
    await page.close();
  });

  it('2-D: the state lives in the URL, and a single neuron shows the perceptron', async () => {
    const page = await open('dataset=gauss&hidden=');
    await page.selectOption('#activation', 'sigmoid');
    await page.waitForURL(/activation=sigmoid/);
    await page.reload();
    await page.waitForSelector('#activation');
    expect(await page.inputValue('#activation')).toBe('sigmoid');
    expect(page.url()).toMatch(/dataset=gauss/);
    // Continuous training: play, let it run, pause; the step count stops moving.
    await page.click('#play');
    await page.waitForFunction(() => Number(document.querySelector('#stats')?.getAttribute('data-step')) >= 20);
    await page.click('#play');
    const paused = await stat(page, '#stats', 'step');
    await page.waitForTimeout(300);
    expect(await stat(page, '#stats', 'step')).toBe(paused);
    expect(await page.locator('#perceptron').textContent()).toMatch(/ŷ = sigmoid\(.*x₁ \+ .*x₂ \+ .*\)/);
    await page.screenshot({ path: join(shots, '2d-perceptron.png'), fullPage: true });
    await page.close();
  });

  it('image mode: shows every output shape, trains one epoch on 1,000 digits past 70% accuracy', async () => {
    const page = await open('mode=image&epochs=1&trainImages=1000');
    const shapes = (await page.locator('#shapes').textContent()) ?? '';
    expect(shapes).toMatch(/28×28×8/);
    expect(shapes).toMatch(/14×14×16/);
    expect(shapes).toMatch(/7×7×16/);
    await page.click('#train-image');
    await page.waitForSelector('#image-stats[data-test-accuracy]', { timeout: 240_000 });
    const accuracy = await stat(page, '#image-stats', 'test-accuracy');
    const rate = await stat(page, '#image-stats', 'samples-per-second');
    const backend = await page.locator('#backend').getAttribute('data-backend');
    console.log(
      `e2e playground: image mode, 1 epoch on 1,000 digits: test accuracy ${(accuracy * 100).toFixed(1)}%, ${rate.toFixed(0)} samples/s on ${backend}`,
    );
    expect(accuracy).toBeGreaterThan(0.7);
    expect(await page.locator('#filters canvas').count()).toBe(8);
    expect(await page.locator('#feature-maps canvas').count()).toBe(8);
    expect(await page.locator('#confusion tr').count()).toBe(11);
    expect(await page.locator('#diagnosis h2').textContent()).toMatch(/Diagnosis: (underfitting|overfitting|good-fit)/);
    expect(await page.locator('#augment-preview tr').count()).toBe(6);
    await page.screenshot({ path: join(shots, 'image-mode.png'), fullPage: true });
    await page.close();
  });

  it('bad input gets a clear message in the page, and the page keeps working', async () => {
    const tooDeep = 'mode=image&blocks=conv:8:9:1:valid,conv:8:9:1:valid,conv:8:9:1:valid,conv:8:9:1:valid,flatten';
    const page = await open(tooDeep);
    await page.waitForSelector('#message.error');
    expect(await page.locator('#message').textContent()).toMatch(/l3|kernel|smaller|too small|map/i);
    await page.screenshot({ path: join(shots, 'image-bad-blocks.png') });
    await page.goto(`${base}?`);
    await page.fill('#hidden', '99,x');
    await page.press('#hidden', 'Tab');
    await page.waitForSelector('#message.error');
    expect(await page.locator('#message').textContent()).toMatch(/Hidden layers "99,x": give up to 6 layer sizes/);
    await page.goto(`${base}?hidden=abc&dataset=moon`);
    await page.waitForSelector('#message.info');
    expect(await page.locator('#message').textContent()).toMatch(/hidden=abc.*default used.*dataset=moon/);
    await page.click('#step');
    expect(await stat(page, '#stats', 'step')).toBe(1);
    await page.close();
  });
});
