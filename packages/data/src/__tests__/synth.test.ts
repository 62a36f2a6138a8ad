import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Mask } from '@optik/core';
import { tempDir } from '@optik/testing';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ensureSynthDataset,
  readCoco,
  readMaskFolder,
  readSample,
  readYolo,
  SYNTH_DEFAULTS,
  SynthOptionsSchema,
  type SynthRunOptions,
  writeSynthDataset,
} from '../index.js';
import { caught } from './fixtures.js';

const CLIPART = '/usr/share/openclipart/svg';
const PHOTOS = '/usr/share/doc/opencv-doc/examples/data';
const hasPhotos = ['aero1.jpg', 'squirrel_cls.jpg', 'stuff.jpg'].every((f) => existsSync(join(PHOTOS, f)));
const hasClipart = existsSync(join(CLIPART, 'animals', 'fish'));
const noPhotos = hasPhotos ? undefined : `the background photos are not in ${PHOTOS} (apt-get install opencv-doc)`;
const noClipart =
  noPhotos ?? (hasClipart ? undefined : `openclipart is not in ${CLIPART} (apt-get install openclipart-svg)`);
if (noClipart !== undefined) console.warn(`synth tests skipped: ${noClipart}.`);
/** Needs the openclipart drawings and the opencv-doc photos. */
const clipart = it.skipIf(noClipart !== undefined);
/** Needs only the photos (the cut-outs are made here). */
const photos = it.skipIf(noPhotos !== undefined);

interface CocoFile {
  images: { id: number; file_name: string; width: number; height: number }[];
  annotations: {
    id: number;
    image_id: number;
    category_id: number;
    bbox: [number, number, number, number];
    area: number;
    segmentation: { size: [number, number]; counts: number[] };
    iscrowd: number;
    occluded: number;
  }[];
  categories: { id: number; name: string }[];
}

let tmp: string;
let cacheDir: string;
beforeAll(() => {
  tmp = tempDir('optik-synth-');
  cacheDir = join(tmp, 'cache');
});

/** Small sets from three openclipart classes with few files (fast to render): a catalogue name and two folders. */
const tiny = (extra: SynthRunOptions = {}): SynthRunOptions => ({
  classNames: ['fish', 'animals/dinosaurs', 'food/vegetables'],
  count: [4, 2, 2],
  imageSize: [48, 80],
  objectsPerImage: [2, 5],
  scale: [0.3, 0.7],
  seed: 3,
  apt: false,
  cacheDir,
  ...extra,
});

function filesOf(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else out.push(relative(root, join(dir, e.name)));
    }
  };
  walk(root);
  return out.sort();
}

const readJson = (file: string): CocoFile => JSON.parse(readFileSync(file, 'utf8')) as CocoFile;

function tightBox(mask: Mask): [number, number, number, number] | undefined {
  let [x0, y0, x1, y1] = [mask.width, mask.height, -1, -1];
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      if (mask.data[y * mask.width + x] === 0) continue;
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
  }
  return x1 < 0 ? undefined : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

describe('writeSynthDataset', () => {
  clipart(
    'is deterministic: the same seed gives byte-identical files, another seed other scenes',
    async () => {
      const a = await writeSynthDataset(join(tmp, 'det-a'), tiny());
      const b = await writeSynthDataset(join(tmp, 'det-b'), tiny());
      const files = filesOf(a.root);
      expect(files).toEqual(filesOf(b.root));
      expect(files).toContain('synth.json');
      expect(files).toContain('images/train/000001.jpg');
      expect(files).toContain('masks/test/000002.png');
      for (const f of files) expect(readFileSync(join(b.root, f)), f).toEqual(readFileSync(join(a.root, f)));
      const c = await writeSynthDataset(join(tmp, 'det-c'), tiny({ seed: 4 }));
      expect(readFileSync(c.splits.train.annotations, 'utf8')).not.toEqual(
        readFileSync(a.splits.train.annotations, 'utf8'),
      );
      expect(a.classNames).toEqual(['fish', 'animals/dinosaurs', 'food/vegetables']);
      expect(readFileSync(a.classesFile, 'utf8')).toBe('fish\nanimals/dinosaurs\nfood/vegetables\n');
      const record = JSON.parse(readFileSync(a.synthFile, 'utf8'));
      expect(record.version).toBeGreaterThanOrEqual(1);
      expect(record.options.seed).toBe(3);
      expect(record.counts.train.images).toBe(4);
    },
    120_000,
  );

  clipart(
    'writes exact masks: each RLE mask is the visible object, its tight box is the bbox and its pixel count the area',
    async () => {
      const set = await writeSynthDataset(join(tmp, 'exact'), tiny({ count: [6, 2, 2], objectsPerImage: [3, 6] }));
      for (const split of ['train', 'val', 'test'] as const) {
        const paths = set.splits[split];
        const coco = readJson(paths.annotations);
        expect(coco.categories.map((c) => c.id)).toEqual([1, 2, 3]);
        const instances = readCoco(paths.annotations, { imageRoot: paths.images });
        expect(instances.task).toBe('instance-segmentation');
        expect(instances.classNames).toEqual(set.classNames);
        const semantic = readMaskFolder({
          imagesDir: paths.images,
          masksDir: paths.masks,
          classNames: ['background', ...set.classNames],
        });
        expect(semantic.records.length).toBe(coco.images.length);
        // Class-index PNGs are one grey channel (PNG colour type 0), 8 bits.
        const png = readFileSync(join(paths.masks, '000001.png'));
        expect([png[24], png[25]]).toEqual([8, 0]);
        for (const [i, image] of coco.images.entries()) {
          const anns = coco.annotations.filter((a) => a.image_id === image.id);
          const sample = await readSample(instances, i);
          const classMap = await readSample(semantic, i);
          if (sample.target.kind !== 'instance-segmentation') throw new Error('expected instance masks');
          if (classMap.target.kind !== 'semantic-segmentation') throw new Error('expected a class mask');
          expect(sample.image.width).toBe(image.width);
          expect(sample.target.masks.length).toBe(anns.length);
          const union = new Uint8Array(image.width * image.height);
          sample.target.masks.forEach((mask, k) => {
            const ann = anns[k] as CocoFile['annotations'][number];
            expect(ann.iscrowd).toBe(0);
            expect(ann.segmentation.size).toEqual([image.height, image.width]);
            expect(tightBox(mask)).toEqual(ann.bbox);
            const [x, y, w, h] = ann.bbox;
            expect(sample.target.kind === 'instance-segmentation' && sample.target.boxes[k]).toEqual([
              x,
              y,
              x + w,
              y + h,
            ]);
            expect(sample.target.kind === 'instance-segmentation' && sample.target.labels[k]).toBe(ann.category_id - 1);
            let area = 0;
            mask.data.forEach((v, p) => {
              if (v === 0) return;
              area++;
              expect(union[p], 'instance masks overlap').toBe(0);
              union[p] = ann.category_id;
            });
            expect(area).toBe(ann.area);
            expect(area).toBeGreaterThanOrEqual(16);
          });
          // The class-index PNG is exactly the union of the instance masks, each pixel its category id.
          expect(Array.from(classMap.target.mask.data)).toEqual(Array.from(union));
        }
      }
    },
    120_000,
  );

  clipart(
    'respects maxOcclusion: no object loses more than that share of its mask to later ones',
    async () => {
      const crowded = { count: [6, 1, 1] as [number, number, number], objectsPerImage: [8, 10] as [number, number] };
      const free = await writeSynthDataset(join(tmp, 'occ-0'), tiny({ ...crowded, maxOcclusion: 0 }));
      const loose = await writeSynthDataset(join(tmp, 'occ-9'), tiny({ ...crowded, maxOcclusion: 0.9 }));
      const some = await writeSynthDataset(join(tmp, 'occ-3'), tiny({ ...crowded, maxOcclusion: 0.3 }));
      const occlusions = (root: string) =>
        readJson(join(root, 'annotations', 'train.json')).annotations.map((a) => a.occluded);
      expect(occlusions(free.root).every((o) => o === 0)).toBe(true);
      expect(Math.max(...occlusions(some.root))).toBeLessThanOrEqual(0.3);
      expect(Math.max(...occlusions(loose.root))).toBeGreaterThan(0.3);
      expect(Math.max(...occlusions(loose.root))).toBeLessThanOrEqual(0.9);
      // Forbidding occlusion places fewer of the drawn objects than allowing it.
      expect(free.counts.train.objects).toBeLessThan(loose.counts.train.objects);
    },
    120_000,
  );

  clipart(
    'writes YOLO labels and data.yaml on request, read back by readYolo with the same boxes',
    async () => {
      const set = await writeSynthDataset(join(tmp, 'yolo'), tiny({ format: 'yolo', imageFormat: 'png' }));
      expect(set.dataYaml).toBeDefined();
      expect(filesOf(set.root)).toContain('labels/train/000001.txt');
      expect(filesOf(set.root)).toContain('images/train/000001.png');
      const yolo = await readYolo(set.dataYaml as string);
      expect(yolo.classNames).toEqual(set.classNames);
      const coco = readJson(set.splits.val.annotations);
      const record = yolo.records.find((r) => r.split === 'val' && r.file.endsWith('000001.png'));
      const anns = coco.annotations.filter((a) => a.image_id === 1);
      if (record === undefined) throw new Error('val/000001.png is not in the YOLO dataset');
      expect(record.labels).toEqual(anns.map((a) => a.category_id - 1));
      expect(record.boxes?.length).toBe(anns.length);
      for (const [k, box] of (record.boxes ?? []).entries()) {
        const [x, y, w, h] = (anns[k] as CocoFile['annotations'][number]).bbox;
        for (const [j, v] of [x, y, x + w, y + h].entries()) expect(box[j]).toBeCloseTo(v, 2);
      }
    },
    120_000,
  );

  clipart('replaces its own earlier output but refuses a folder it did not make', async () => {
    const dir = join(tmp, 'again');
    await writeSynthDataset(dir, tiny());
    const again = await writeSynthDataset(dir, tiny({ count: [2, 1, 1] }));
    expect(readdirSync(again.splits.train.images)).toEqual(['000001.jpg', '000002.jpg']);
    expect(readdirSync(dir).sort()).toEqual(['annotations', 'classes.txt', 'images', 'masks', 'synth.json']);
    // A killed run leaves its marker and no synth.json: it is not complete, and the next run may replace it.
    const killed = join(tmp, 'killed');
    mkdirSync(join(killed, 'images', 'train'), { recursive: true });
    writeFileSync(join(killed, '.synth-partial'), '');
    writeFileSync(join(killed, 'images', 'train', '000009.jpg'), 'half');
    await writeSynthDataset(killed, tiny({ count: [1, 1, 1] }));
    expect(readdirSync(join(killed, 'images', 'train'))).toEqual(['000001.jpg']);
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'x');
    expect((await caught(() => writeSynthDataset(file, tiny()))).code).toBe('ARGUMENT_INVALID');
    const foreign = join(tmp, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    const error = await caught(() => writeSynthDataset(foreign, tiny()));
    expect(error.code).toBe('ARGUMENT_INVALID');
    expect(error.message).toMatch(/not empty/);
    expect(readFileSync(join(foreign, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('refuses bad options with coded, actionable errors', async () => {
    const out = join(tmp, 'never');
    const bad = async (options: SynthRunOptions) => caught(() => writeSynthDataset(out, options));
    const reversed = await bad({ objectsPerImage: [5, 2] });
    expect(reversed.code).toBe('CONFIG_INVALID');
    expect(reversed.message).toMatch(/objectsPerImage/);
    expect((await bad({ scale: [0, 0.5] })).code).toBe('CONFIG_INVALID');
    expect((await bad({ maxOcclusion: 1 })).code).toBe('CONFIG_INVALID');
    expect((await bad({ count: [0, 1, 1] })).code).toBe('CONFIG_INVALID');
    expect((await bad({ imageSize: [300, 200] })).code).toBe('CONFIG_INVALID');
    expect((await bad({ source: 'flickr' as 'emoji' })).code).toBe('CONFIG_INVALID');
    expect((await bad({ colour: 'red' } as SynthRunOptions)).code).toBe('CONFIG_UNKNOWN_KEY');
    const disagree = await bad({ classes: 3, classNames: ['fish', 'bird'] });
    expect(disagree.code).toBe('ARGUMENT_INVALID');
    const noTux = await bad({ source: 'tuxpaint', sourceDir: join(tmp, 'no-stamps') });
    expect(noTux.code).toBe('DATA_NOT_FOUND');
    expect(noTux.details.hint).toMatch(/apt-get install tuxpaint-stamps-default/);
    const noEmoji = await bad({ source: 'emoji', sourceDir: join(tmp, 'no-emoji') });
    expect(noEmoji.code).toBe('DATA_NOT_FOUND');
    expect(noEmoji.details.hint).toMatch(/npm install emoji-datasource-google/);
    expect(existsSync(out)).toBe(false);
  });

  clipart('names the classes there are when asked for an unknown one or too many', async () => {
    const unknown = await caught(() => writeSynthDataset(join(tmp, 'x'), tiny({ classNames: ['unicorn'] })));
    expect(unknown.code).toBe('DATA_UNKNOWN_CLASS');
    expect(unknown.details.hint).toMatch(/mammal, bird/);
    const many = await caught(() => writeSynthDataset(join(tmp, 'x'), { classes: 40, cacheDir }));
    expect(many.code).toBe('ARGUMENT_INVALID');
    expect(many.details.hint).toMatch(/classes ≤ 12/);
  });
});

/** A folder of RGBA PNG cut-outs: discs and triangles of a few colours (as a Tux Paint stamps tree would hold). */
async function writeCutouts(dir: string, shape: 'disc' | 'triangle', count: number): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const side = 40 + i * 3;
    const body =
      shape === 'disc'
        ? `<circle cx="${side / 2}" cy="${side / 2}" r="${side / 2 - 2}" fill="rgb(${40 * i},200,80)"/>`
        : `<polygon points="${side / 2},2 ${side - 2},${side - 2} 2,${side - 2}" fill="rgb(220,${30 * i},60)"/>`;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}">${body}</svg>`;
    const name = `${shape}-${i}.png`;
    await sharp(Buffer.from(svg)).png().toFile(join(dir, name));
    names.push(name);
  }
  return names;
}

/** Tiny sets from made-up sources. */
const made = (extra: SynthRunOptions): SynthRunOptions => ({
  classes: 2,
  count: [3, 1, 1],
  imageSize: [40, 60],
  apt: false,
  cacheDir,
  ...extra,
});

describe('other cut-out sources', () => {
  photos('reads Tux Paint-style stamp folders: each folder with enough images is a class', async () => {
    const stamps = join(tmp, 'stamps');
    await writeCutouts(join(stamps, 'shapes', 'discs'), 'disc', 6);
    await writeCutouts(join(stamps, 'shapes', 'triangles'), 'triangle', 5);
    await writeCutouts(join(stamps, 'few'), 'disc', 2);
    const set = await writeSynthDataset(join(tmp, 'tux'), made({ source: 'tuxpaint', sourceDir: stamps }));
    expect(set.classNames).toEqual(['shapes/discs', 'shapes/triangles']);
    const coco = readJson(set.splits.train.annotations);
    expect(coco.annotations.length).toBeGreaterThan(0);
    const record = JSON.parse(readFileSync(set.synthFile, 'utf8'));
    expect(record.licences.join(' ')).toMatch(/GPL-2/);
    const tooMany = await caught(() =>
      writeSynthDataset(join(tmp, 'tux-3'), { source: 'tuxpaint', sourceDir: stamps, classes: 3, cacheDir }),
    );
    expect(tooMany.code).toBe('ARGUMENT_INVALID');
  });

  photos('cutouts: shared lets every split draw every drawing; disjoint splits them 70/15/15', async () => {
    const stamps = join(tmp, 'stamps-split');
    await writeCutouts(join(stamps, 'discs'), 'disc', 7);
    await writeCutouts(join(stamps, 'triangles'), 'triangle', 3);
    const perClass = (cutouts: 'shared' | 'disjoint') =>
      writeSynthDataset(join(tmp, `split-${cutouts}`), made({ source: 'tuxpaint', sourceDir: stamps, cutouts })).then(
        (set) => JSON.parse(readFileSync(set.synthFile, 'utf8')).cutoutsPerClass,
      );
    expect(await perClass('shared')).toEqual({
      train: { discs: 7, triangles: 3 },
      val: { discs: 7, triangles: 3 },
      test: { discs: 7, triangles: 3 },
    });
    expect(await perClass('disjoint')).toEqual({
      train: { discs: 5, triangles: 1 },
      val: { discs: 1, triangles: 1 },
      test: { discs: 1, triangles: 1 },
    });
    // One drawing is enough to share, not to split.
    for (const name of ['triangle-1.png', 'triangle-2.png']) unlinkSync(join(stamps, 'triangles', name));
    const few = await caught(() =>
      writeSynthDataset(
        join(tmp, 'split-few'),
        made({ source: 'tuxpaint', sourceDir: stamps, cutouts: 'disjoint', classNames: ['discs', 'triangles'] }),
      ),
    );
    expect(few.code).toBe('DATA_NOT_FOUND');
    expect(few.details.hint).toMatch(/cutouts: shared/);
    const one = await writeSynthDataset(
      join(tmp, 'split-one'),
      made({ source: 'tuxpaint', sourceDir: stamps, classNames: ['discs', 'triangles'] }),
    );
    expect(one.classNames).toEqual(['discs', 'triangles']);
  });

  photos('reads an emoji-datasource-google layout: emoji.json subcategories and img/google/64 images', async () => {
    const pkg = join(tmp, 'emoji');
    const discs = await writeCutouts(join(pkg, 'img', 'google', '64'), 'disc', 4);
    const triangles = await writeCutouts(join(pkg, 'img', 'google', '64'), 'triangle', 4);
    const entries = [
      ...discs.map((image) => ({ image, subcategory: 'animal-mammal', has_img_google: true })),
      ...triangles.map((image) => ({ image, subcategory: 'animal-bird', has_img_google: true })),
      { image: 'missing.png', subcategory: 'food-fruit', has_img_google: false },
    ];
    writeFileSync(join(pkg, 'emoji.json'), JSON.stringify(entries));
    const set = await writeSynthDataset(join(tmp, 'emoji-out'), made({ source: 'emoji', sourceDir: pkg }));
    expect(set.classNames).toEqual(['mammal', 'bird']);
    const cutouts = new Set(readJson(set.splits.train.annotations).annotations.map((a) => a.category_id));
    expect([...cutouts].every((id) => id === 1 || id === 2)).toBe(true);
    const fruit = await caught(() =>
      writeSynthDataset(join(tmp, 'emoji-fruit'), { source: 'emoji', sourceDir: pkg, classNames: ['fruit'], cacheDir }),
    );
    expect(fruit.code).toBe('DATA_UNKNOWN_CLASS');
  });
});

describe('ensureSynthDataset', () => {
  clipart('generates once into the cache, reuses a complete set and regenerates an incomplete one', async () => {
    const first = await ensureSynthDataset(tiny());
    expect(first.root.startsWith(join(cacheDir, 'datasets', 'synth'))).toBe(true);
    const stamp = statSync(first.synthFile).mtimeMs;
    const again = await ensureSynthDataset(tiny());
    expect(again.root).toBe(first.root);
    expect(statSync(again.synthFile).mtimeMs).toBe(stamp);
    expect(again.splits.val.annotations).toBe(join(first.root, 'annotations', 'val.json'));
    expect(readdirSync(join(cacheDir, 'datasets', 'synth')).filter((n) => n.includes('.partial-'))).toEqual([]);
    unlinkSync(first.synthFile);
    const redone = await ensureSynthDataset(tiny());
    expect(redone.root).toBe(first.root);
    expect(existsSync(redone.synthFile)).toBe(true);
    const other = await ensureSynthDataset(tiny({ seed: 9 }));
    expect(other.root).not.toBe(first.root);
  });

  it('SYNTH_DEFAULTS is the default benchmark set', () => {
    expect(SYNTH_DEFAULTS.classes).toBe(8);
    expect(SYNTH_DEFAULTS.imageSize).toEqual([128, 256]);
    expect(SYNTH_DEFAULTS.objectsPerImage).toEqual([1, 8]);
    expect(SYNTH_DEFAULTS.source).toBe('openclipart');
    // The resolved defaults are valid options themselves (ensureSynthDataset(SYNTH_DEFAULTS) is the benchmark set).
    const asOptions: SynthRunOptions = SYNTH_DEFAULTS;
    expect(SynthOptionsSchema.parse(asOptions)).toEqual(SYNTH_DEFAULTS);
  });
});
