import { isOptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as browser from '../browser.js';

// The browser entry's backend choice, run here in Node (no canvas, so no webgl): the fallbacks and the errors.
describe('the browser entry', () => {
  it('passes over webgl where there is no canvas and prepares wasm, with the reason', async () => {
    const choice = await browser.initBackend();
    expect(choice.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.candidates.map((c) => [c.name, c.available])).toEqual([
      ['webgl', false],
      ['wasm', true],
    ]);
    expect(choice.reason).toMatch(/webgl: no canvas/);
    expect(await browser.ensureBackend()).toBe(choice);
  });

  it('takes the backend it is asked for, and fails clearly for one it cannot have', async () => {
    expect((await browser.initBackend({ prefer: 'cpu' })).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    await expect(browser.initBackend({ prefer: 'webgl' })).rejects.toSatisfy(
      (e: unknown) => isOptikError(e, 'BACKEND_UNAVAILABLE') && /webgl: no canvas/.test(String(e)),
    );
    await expect(browser.initBackend({ prefer: 'tensorflow' as never })).rejects.toSatisfy((e: unknown) =>
      isOptikError(e, 'BACKEND_UNKNOWN'),
    );
    expect(browser.BACKEND_NAMES).toEqual(['webgl', 'wasm', 'cpu']);
  });
});
