import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { OptikError } from '@optik/core';
import sharp from 'sharp';
import { sha256Hex } from '../paths.js';
import type { SynthSource } from './options.js';

/** A trimmed RGBA cut-out; its mask is `alpha ≥ 128`. */
export interface Cutout {
  /** Path relative to the source's root (provenance in the annotations). */
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8Array;
}

/** One class of a source: its name and the folders (or emoji subcategories) its cut-outs come from. */
interface CatalogueEntry {
  readonly name: string;
  readonly parts: readonly string[];
}

export const OPENCLIPART_DIR = '/usr/share/openclipart/svg';
export const TUXPAINT_DIR = '/usr/share/tuxpaint/stamps';
export const EMOJI_PACKAGE = 'emoji-datasource-google';

/**
 * openclipart categories with object-like drawings (checked: 85–100 % of each renders to a usable cut-out), in
 * default order: the first eight are visually distinct object kinds.
 */
const OPENCLIPART_CATALOGUE: readonly CatalogueEntry[] = [
  { name: 'mammal', parts: ['animals/mammals'] },
  { name: 'bird', parts: ['animals/birds'] },
  { name: 'bug', parts: ['animals/bugs'] },
  { name: 'fruit', parts: ['food/fruit'] },
  { name: 'vehicle', parts: ['transportation/vehicles'] },
  { name: 'boat', parts: ['transportation/boating'] },
  { name: 'music', parts: ['recreation/music'] },
  { name: 'plant', parts: ['plants/flowers', 'plants/trees'] },
  { name: 'fish', parts: ['animals/fish'] },
  { name: 'dessert', parts: ['food/desserts'] },
  { name: 'drink', parts: ['food/beverages'] },
  { name: 'clothing', parts: ['people/clothing'] },
];

/** Emoji subcategories (emoji.json `subcategory`) with the same kinds of objects. */
const EMOJI_CATALOGUE: readonly CatalogueEntry[] = [
  { name: 'mammal', parts: ['animal-mammal'] },
  { name: 'bird', parts: ['animal-bird'] },
  { name: 'bug', parts: ['animal-bug'] },
  { name: 'fruit', parts: ['food-fruit'] },
  { name: 'vehicle', parts: ['transport-ground'] },
  { name: 'marine', parts: ['animal-marine'] },
  { name: 'vegetable', parts: ['food-vegetable'] },
  { name: 'plant', parts: ['plant-flower', 'plant-other'] },
  { name: 'sport', parts: ['sport'] },
  { name: 'reptile', parts: ['animal-reptile'] },
];

/** Usable cut-outs cover 5–97 % of their trimmed box: below is a thin line drawing, above a filled rectangle. */
const MIN_FILL = 0.05;
const MAX_FILL = 0.97;
const MIN_SIDE = 8;
/** SVGs are rendered so that their longer side is this many pixels (before trimming). */
const RENDER_SIDE = 288;
/** Larger PNG cut-outs (Tux Paint stamps) are not kept above this side; pastes are smaller anyway. */
const MAX_SIDE = 512;

/** A source's root folder and how it lists a class's files. */
export interface ResolvedSource {
  readonly source: SynthSource;
  readonly root: string;
  /** The class names of the default set, in order. */
  readonly catalogue: readonly string[];
  /** The files of a class (sorted, relative to `root`), or a coded error naming what exists. */
  files(className: string): string[];
  /** A version stamp of the source's files, for cache keys. */
  readonly identity: string;
}

function listFiles(dir: string, extensions: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && extensions.some((e) => entry.name.toLowerCase().endsWith(e))) out.push(path);
    }
  };
  walk(dir);
  return out.sort();
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Folders (relative to `root`) holding at least `min` image files directly, most files first. */
function imageFolders(root: string, extensions: readonly string[], min: number): string[] {
  const counts = new Map<string, number>();
  for (const file of listFiles(root, extensions)) {
    const dir = relative(root, dirname(file));
    counts.set(dir, (counts.get(dir) ?? 0) + 1);
  }
  return [...counts]
    .filter(([dir, n]) => dir !== '' && n >= min)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([dir]) => dir);
}

function unknownClass(source: SynthSource, name: string, known: readonly string[]): OptikError {
  return new OptikError('DATA_UNKNOWN_CLASS', `The ${source} source has no class "${name}".`, {
    received: name,
    hint: `Use one of: ${known.join(', ')}${source === 'emoji' ? '' : ' (or a folder of the source, e.g. food/vegetables)'}.`,
  });
}

function folderSource(
  source: 'openclipart' | 'tuxpaint',
  root: string,
  catalogue: readonly CatalogueEntry[],
  extensions: readonly string[],
): ResolvedSource {
  const entries = new Map(catalogue.map((e) => [e.name, e.parts]));
  const names = catalogue.length > 0 ? catalogue.map((e) => e.name) : imageFolders(root, extensions, 3);
  return {
    source,
    root,
    catalogue: names,
    identity: `${source}:${root}:${statSync(root).mtimeMs}`,
    files(className) {
      const parts = entries.get(className) ?? [className];
      const dirs = parts.map((p) => join(root, p));
      if (!dirs.every(isDir) || className.split(/[\\/]/).includes('..')) throw unknownClass(source, className, names);
      return dirs.flatMap((d) => listFiles(d, extensions)).map((f) => relative(root, f));
    },
  };
}

interface EmojiEntry {
  readonly image?: unknown;
  readonly subcategory?: unknown;
  readonly has_img_google?: unknown;
}

function emojiSource(root: string): ResolvedSource {
  const manifest = join(root, 'emoji.json');
  let entries: EmojiEntry[];
  try {
    entries = JSON.parse(readFileSync(manifest, 'utf8')) as EmojiEntry[];
    if (!Array.isArray(entries)) throw new Error('not an array');
  } catch (cause) {
    throw new OptikError(
      'DATA_CORRUPT',
      `Cannot read the emoji list of ${EMOJI_PACKAGE}.`,
      { file: manifest, hint: `Reinstall it: npm install ${EMOJI_PACKAGE}.` },
      { cause },
    );
  }
  const bySubcategory = new Map<string, string[]>();
  for (const e of entries) {
    if (typeof e.image !== 'string' || typeof e.subcategory !== 'string' || e.has_img_google === false) continue;
    const list = bySubcategory.get(e.subcategory) ?? [];
    list.push(`img/google/64/${e.image}`);
    bySubcategory.set(e.subcategory, list);
  }
  const catalogue = new Map(EMOJI_CATALOGUE.map((e) => [e.name, e.parts]));
  return {
    source: 'emoji',
    root,
    catalogue: EMOJI_CATALOGUE.map((e) => e.name),
    identity: `emoji:${root}:${statSync(manifest).size}`,
    files(className) {
      const parts = catalogue.get(className) ?? [className];
      if (!parts.every((p) => bySubcategory.has(p))) {
        throw unknownClass('emoji', className, [...catalogue.keys(), ...[...bySubcategory.keys()].sort()]);
      }
      return parts
        .flatMap((p) => bySubcategory.get(p) ?? [])
        .filter((f) => existsSync(join(root, f)))
        .sort();
    },
  };
}

/** Finds `emoji-datasource-google` from the working directory (the user's project), then from Optik itself. */
function findEmojiPackage(): string | undefined {
  for (const base of [join(process.cwd(), 'index.js'), import.meta.url]) {
    try {
      return dirname(createRequire(base).resolve(`${EMOJI_PACKAGE}/package.json`));
    } catch {
      // not resolvable from here
    }
  }
  return undefined;
}

/** Locates a cut-out source, or a coded error saying how to install it. */
export function resolveSource(source: SynthSource, sourceDir: string | undefined): ResolvedSource {
  if (source === 'emoji') {
    const root = sourceDir ?? findEmojiPackage();
    if (root === undefined || !existsSync(join(root, 'emoji.json'))) {
      throw new OptikError(
        'DATA_NOT_FOUND',
        `The emoji cut-outs come from the npm package ${EMOJI_PACKAGE} (Noto images, Apache-2.0), which was not found${root === undefined ? '' : ` in ${root}`}.`,
        {
          hint: `Install it next to your project (\`npm install ${EMOJI_PACKAGE}\`, about 74 MB), or pass sourceDir (--source-dir) pointing at an unpacked copy; Optik does not depend on it because of its size.`,
        },
      );
    }
    return emojiSource(root);
  }
  const root = sourceDir ?? (source === 'openclipart' ? OPENCLIPART_DIR : TUXPAINT_DIR);
  if (!isDir(root)) {
    const pkg = source === 'openclipart' ? 'openclipart-svg' : 'tuxpaint-stamps-default';
    const licence =
      source === 'openclipart'
        ? 'public-domain clip art, about 25 MB'
        : 'GPL photos: read at run time, never copy them into a published dataset';
    throw new OptikError(
      'DATA_NOT_FOUND',
      `The ${source} cut-outs come from the Debian package ${pkg}, which was not found in ${root}.`,
      {
        file: root,
        hint: `Install it with \`apt-get install ${pkg}\` (${licence}), or pass sourceDir (--source-dir).`,
      },
    );
  }
  return source === 'openclipart'
    ? folderSource('openclipart', root, OPENCLIPART_CATALOGUE, ['.svg'])
    : folderSource('tuxpaint', root, [], ['.png', '.svg']);
}

/** Crops RGBA pixels to the box of `alpha ≥ 128` plus a one-pixel margin (kept for the antialiased edge). */
function trim(rgba: Uint8Array, width: number, height: number): { rgba: Uint8Array; width: number; height: number } {
  let [x0, y0, x1, y1] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if ((rgba[(y * width + x) * 4 + 3] as number) < 128) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (x1 < 0) return { rgba: new Uint8Array(0), width: 0, height: 0 };
  x0 = Math.max(0, x0 - 1);
  y0 = Math.max(0, y0 - 1);
  x1 = Math.min(width - 1, x1 + 1);
  y1 = Math.min(height - 1, y1 + 1);
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const out = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    out.set(rgba.subarray(((y0 + y) * width + x0) * 4, ((y0 + y) * width + x1 + 1) * 4), y * w * 4);
  return { rgba: out, width: w, height: h };
}

/** True when the cut-out is big enough and covers 5–97 % of its box. */
export function usable(c: { rgba: Uint8Array; width: number; height: number }): boolean {
  if (c.width < MIN_SIDE || c.height < MIN_SIDE) return false;
  let inside = 0;
  for (let p = 3; p < c.rgba.length; p += 4) if ((c.rgba[p] as number) >= 128) inside++;
  const fill = inside / (c.width * c.height);
  return fill >= MIN_FILL && fill <= MAX_FILL;
}

async function rasterize(file: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  let image = sharp(file, { failOn: 'none', limitInputPixels: 1e8 });
  if (file.toLowerCase().endsWith('.svg')) {
    const meta = await image.metadata();
    const side = Math.max(meta.width ?? 0, meta.height ?? 0);
    if (side <= 0) throw new Error('no size');
    image = sharp(file, { density: Math.min(2400, Math.max(1, (72 * RENDER_SIDE) / side)), failOn: 'none' });
  } else {
    image = image.resize(MAX_SIDE, MAX_SIDE, { fit: 'inside', withoutEnlargement: true });
  }
  const { data, info } = await image.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/**
 * Loads one cut-out: from the PNG cache when rendered before, else rasterised (SVG through sharp's librsvg),
 * trimmed and cached. Undefined when the file cannot be rendered or is not {@link usable}.
 */
export async function loadCutout(source: ResolvedSource, name: string, cacheDir: string): Promise<Cutout | undefined> {
  const file = join(source.root, name);
  let stat: { size: number; mtimeMs: number };
  try {
    stat = statSync(file);
  } catch {
    return undefined;
  }
  const key = sha256Hex(
    JSON.stringify([file, stat.size, stat.mtimeMs, RENDER_SIDE, MAX_SIDE, sharp.versions.vips, sharp.versions.rsvg]),
  ).slice(0, 32);
  const cached = join(cacheDir, 'synth', 'cutouts', source.source, `${key}.png`);
  let cut: { rgba: Uint8Array; width: number; height: number } | undefined;
  if (existsSync(cached)) {
    try {
      const { data, info } = await sharp(cached).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      cut = { rgba: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
    } catch {
      cut = undefined; // a damaged cache file is rendered again
    }
  }
  if (cut === undefined) {
    try {
      const raw = await rasterize(file);
      cut = trim(raw.data, raw.width, raw.height);
    } catch {
      return undefined;
    }
    if (cut.width > 0) {
      try {
        mkdirSync(dirname(cached), { recursive: true });
        const tmp = `${cached}.${process.pid}.tmp`;
        await sharp(cut.rgba, { raw: { width: cut.width, height: cut.height, channels: 4 } })
          .png()
          .toFile(tmp);
        renameSync(tmp, cached);
      } catch {
        // an unwritable cache only costs a render next time
      }
    }
  }
  return usable(cut) ? { name, ...cut } : undefined;
}
