import { OptikError } from '@optik/core';

/** The image mode's digits: 28×28 bytes each, with labels, split into train and test. */
export interface DigitSet {
  readonly train: { images: Uint8Array; labels: Uint8Array };
  readonly test: { images: Uint8Array; labels: Uint8Array };
  readonly classNames: readonly string[];
  readonly origin: string;
}

const PIXELS = 784;

/** Fetches the subset scripts/mnist-subset.mjs wrote next to the page, checking its size against its description. */
export async function loadDigits(base: string): Promise<DigitSet> {
  const hint = 'Start the page with `pnpm --filter @optik/playground dev` (or build it): that writes public/data/.';
  const metaResponse = await fetch(`${base}data/mnist-subset.json`);
  if (!metaResponse.ok) {
    throw new OptikError('DATA_NOT_FOUND', `The digit subset is missing (HTTP ${metaResponse.status}).`, { hint });
  }
  const meta = (await metaResponse.json()) as { train: number; test: number; classNames: string[]; origin: string };
  const bytes = new Uint8Array(await (await fetch(`${base}data/mnist-subset.bin`)).arrayBuffer());
  const total = meta.train + meta.test;
  if (bytes.length !== total * (PIXELS + 1)) {
    throw new OptikError('DATA_CORRUPT', `The digit subset has ${bytes.length} bytes, expected ${total * 785}.`, {
      hint,
    });
  }
  const labels = bytes.subarray(total * PIXELS);
  return {
    train: { images: bytes.subarray(0, meta.train * PIXELS), labels: labels.subarray(0, meta.train) },
    test: { images: bytes.subarray(meta.train * PIXELS, total * PIXELS), labels: labels.subarray(meta.train) },
    classNames: meta.classNames,
    origin: meta.origin,
  };
}
