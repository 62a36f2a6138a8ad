import { z } from 'zod';
import { BACKGROUND_SYSTEM_DIR } from '../backgrounds.js';

/**
 * Bumped whenever the same options would give different files (a change to sampling, compositing, encoding or the
 * class catalogue), so that cached sets are regenerated and `synth.json` says which generator made a folder.
 */
export const SYNTH_VERSION = 2;

/** Where the cut-outs come from. */
export const SYNTH_SOURCES = ['openclipart', 'emoji', 'tuxpaint'] as const;
export type SynthSource = (typeof SYNTH_SOURCES)[number];

const range = (min: number, max: number, integer: boolean) => {
  const n = integer ? z.number().int().min(min).max(max) : z.number().min(min).max(max);
  return z.tuple([n, n]).refine(([lo, hi]) => lo <= hi, 'expected [min, max] with min ≤ max');
};

/** The options of {@link writeSynthDataset}: one flat object, ranges as `[min, max]`. */
export const SynthOptionsSchema = z
  .object({
    /** Number of classes: the first `classes` of the source's catalogue (ignored when `classNames` is given). */
    classes: z.number().int().min(1).max(64).default(8),
    /**
     * Explicit classes, by catalogue name (`mammal`, `fruit`, …) or by a folder of the source (an openclipart
     * category such as `food/vegetables`, an emoji subcategory such as `animal-reptile`, a Tux Paint stamp folder).
     */
    classNames: z.array(z.string().min(1)).min(1).max(64).optional(),
    /** `[min, max]` objects drawn per image (objects that cannot be placed within the occlusion limit are dropped). */
    objectsPerImage: range(0, 64, true).default([1, 8]),
    /** `[min, max]` of an object's longer side as a fraction of the image's shorter side. */
    scale: range(0.02, 1, false).default([0.15, 0.5]),
    /** The largest fraction of an object that later objects may cover; boxes and masks are of the visible part. */
    maxOcclusion: z.number().min(0).max(0.95).default(0.5),
    /** Objects whose mask (or visible part) would be smaller than this many pixels are not placed. */
    minArea: z.number().int().min(1).max(4096).default(16),
    /**
     * `[min, max]` image side in pixels. Width and height are drawn independently, so images are generally not
     * square (as in COCO); models resize them to their input size.
     */
    imageSize: range(16, 2048, true).default([128, 256]),
    /**
     * Which drawings each split may use. `shared` (the default, the usual copy-paste setting): every split draws
     * from all of a class's cut-outs, so validation and test are new scenes (held-out background photos, positions,
     * sizes, flips, occlusions) of known objects. `disjoint`: each class's cut-outs are split 70/15/15, so
     * validation and test objects are drawings never seen in training — a much harder test of naming an unseen
     * drawing's class (it needs at least 3 cut-outs per class).
     */
    cutouts: z.enum(['shared', 'disjoint']).default('shared'),
    /** Images in `[train, val, test]`. */
    count: z
      .tuple([
        z.number().int().min(1).max(1_000_000),
        z.number().int().min(1).max(1_000_000),
        z.number().int().min(1).max(1_000_000),
      ])
      .default([2000, 300, 300]),
    seed: z.number().int().default(0),
    /** `coco` writes COCO JSON, masks and images; `yolo` also writes YOLO `labels/` and `data.yaml`. */
    format: z.enum(['coco', 'yolo']).default('coco'),
    /** Image file type (masks are always PNG). JPEG (quality 90) is about a tenth of the size. */
    imageFormat: z.enum(['jpg', 'png']).default('jpg'),
    /** Cut-out source: Debian `openclipart-svg`, npm `emoji-datasource-google`, or Debian `tuxpaint-stamps-default`. */
    source: z.enum(SYNTH_SOURCES).default('openclipart'),
    /** Where the source lives, instead of its standard place (a folder of SVG/PNG folders, or the emoji package). */
    sourceDir: z.string().min(1).optional(),
    /** Folders searched (after the cache) for the background photos; default the installed `opencv-doc`. */
    backgroundDirs: z.array(z.string().min(1)).min(1).default([BACKGROUND_SYSTEM_DIR]),
    /** Fetch the background photos with `apt-get download opencv-doc` when they are not installed. */
    apt: z.boolean().default(true),
  })
  .strict();

export type SynthOptions = z.input<typeof SynthOptionsSchema>;
export type ResolvedSynthOptions = z.output<typeof SynthOptionsSchema>;

/**
 * The default benchmark set: 8 openclipart classes on 128–256 px photo crops, 1–8 objects per image, 2000 / 300 /
 * 300 images, cut-outs shared by the splits (backgrounds held out), seed 0.
 */
export const SYNTH_DEFAULTS: Readonly<ResolvedSynthOptions> = Object.freeze(SynthOptionsSchema.parse({}));
