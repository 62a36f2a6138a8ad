import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  boxArea,
  clipBox,
  closestMatch,
  cocoToXyxy,
  createRng,
  fromZodError,
  iou,
  isOptikError,
  OptikError,
  parseOrThrow,
  xyxyToCoco,
  xyxyToYolo,
  yoloToXyxy,
} from '../index.js';

describe('OptikError', () => {
  it('carries a code, the received value, a hint and the cause', () => {
    const cause = new Error('inner');
    const error = new OptikError(
      'CONFIG_INVALID',
      'kernelSize must be ≥ 1.',
      { path: 'model.layers[0].kernelSize', received: 0, hint: 'Use 3.' },
      { cause },
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe('model.layers[0].kernelSize: kernelSize must be ≥ 1. Received: 0. Use 3.');
    expect(error.cause).toBe(cause);
    expect(isOptikError(error, 'CONFIG_INVALID')).toBe(true);
    expect(isOptikError(error, 'DATA_CORRUPT')).toBe(false);
    expect(JSON.parse(JSON.stringify(error)).code).toBe('CONFIG_INVALID');
  });

  it('turns zod issues into one message with key paths and received values', () => {
    const Layer = z.strictObject({ filters: z.number().int().min(1), kernelSize: z.number().int().min(1) });
    const Schema = z.strictObject({ layers: z.array(Layer) });
    const input = {
      layers: [
        { filters: 8, kernelSize: 3 },
        { filters: 8, kernelSize: 0 },
      ],
    };
    const error = fromZodError(Schema.safeParse(input).error!, { input, what: 'model config', prefix: 'model' });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('model.layers[1].kernelSize');
    expect(error.message).toContain('Received: kernelSize=0');
    expect(error.message).not.toContain('"code"');
  });

  it('reports unknown keys with their own code', () => {
    const Schema = z.strictObject({ epochs: z.number() });
    expect(() => parseOrThrow(Schema, { epochs: 1, epoch: 2 }, { prefix: 'train' })).toThrowError(
      expect.objectContaining({ code: 'CONFIG_UNKNOWN_KEY', message: expect.stringContaining('train.epoch') }),
    );
  });

  it('suggests the nearest allowed key for a typo, through defaults, arrays and unions', () => {
    const Layer = z.discriminatedUnion('type', [
      z.strictObject({ type: z.literal('conv'), filters: z.number(), kernelSize: z.number() }),
      z.strictObject({ type: z.literal('dropout'), rate: z.number() }),
    ]);
    const Schema = z.strictObject({
      train: z.strictObject({ epochs: z.number().default(10), batchSize: z.number().optional() }).prefault({}),
      layers: z.array(Layer).optional(),
    });
    const typo = (input: unknown) => {
      try {
        parseOrThrow(Schema, input);
      } catch (error) {
        if (isOptikError(error, 'CONFIG_UNKNOWN_KEY')) return error.message;
      }
      throw new Error('expected CONFIG_UNKNOWN_KEY');
    };
    expect(typo({ train: { epoch: 3 } })).toContain('train.epoch (did you mean train.epochs?)');
    expect(typo({ train: { batch_size: 3 } })).toContain('did you mean train.batchSize?');
    expect(typo({ layers: [{ type: 'conv', filters: 8, kernelSize: 3, filter: 4 }] })).toContain(
      'layers[0].filter (did you mean layers[0].filters?)',
    );
    // The layer's own `type` picks the keys: `rate` is a dropout key, not a conv one.
    expect(typo({ layers: [{ type: 'dropout', rat: 0.5 }] })).toContain('did you mean layers[0].rate?');
    const conv = typo({ layers: [{ type: 'conv', filters: 8, kernelSize: 3, rat: 0.5 }] });
    expect(conv).not.toContain('did you mean');
    expect(conv).toContain('allowed here: type, filters, kernelSize');
    const far = typo({ train: { colour: 'red' } });
    expect(far).not.toContain('did you mean');
    expect(far).toContain('allowed here: epochs, batchSize');
    // Without the schema (a bare ZodError) there is nothing to suggest from.
    const bare = fromZodError(Schema.safeParse({ train: { epoch: 3 } }).error!);
    expect(bare.message).toContain('train.epoch');
    expect(bare.message).not.toContain('did you mean');
    expect(fromZodError(Schema.safeParse({ train: { epoch: 3 } }).error!, { schema: Schema }).message).toContain(
      'did you mean train.epochs?',
    );
  });
});

describe('closestMatch', () => {
  it('finds a near miss, ignores case and separators, and stays silent when far or ambiguous', () => {
    expect(closestMatch('epoch', ['epochs', 'optimizer'])).toBe('epochs');
    expect(closestMatch('optimzier', ['epochs', 'optimizer'])).toBe('optimizer'); // a swap is one edit
    expect(closestMatch('learning_rate', ['learningRate', 'momentum'])).toBe('learningRate');
    expect(closestMatch('reduce_lr_on_plateau', ['reduceLrOnPlateau', 'schedule'])).toBe('reduceLrOnPlateau');
    expect(closestMatch('trian', ['train', 'tune', 'eval'])).toBe('train');
    expect(closestMatch('colour', ['epochs', 'optimizer'])).toBeUndefined();
    expect(closestMatch('lr', ['rho', 'epochs'])).toBeUndefined(); // short words: one edit at most
    expect(closestMatch('bat', ['cat', 'hat'])).toBeUndefined(); // two equally close: no guess
    expect(closestMatch('epochs', ['epochs'])).toBeUndefined(); // nothing to correct
  });
});

describe('createRng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const seqA = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(seqA);
    for (const v of seqA) expect(v >= 0 && v < 1).toBe(true);
  });

  it('restores a saved state exactly', () => {
    const rng = createRng(1);
    rng.next();
    const saved = rng.state();
    const expected = [rng.next(), rng.next()];
    const restored = createRng(saved);
    expect([restored.next(), restored.next()]).toEqual(expected);
  });

  it('forks labelled streams independent of consumption order', () => {
    const x = createRng(5).fork('augment').next();
    const parent = createRng(5);
    parent.next();
    expect(parent.fork('augment').next()).toBe(x);
  });

  it('draws ints in range, roughly uniformly, and normals with the right moments', () => {
    const rng = createRng(9);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 8000; i++) counts[rng.int(0, 3)]! += 1;
    for (const count of counts) expect(Math.abs(count - 2000)).toBeLessThan(200);
    const xs = Array.from({ length: 20000 }, () => rng.normal(1, 2));
    const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / xs.length);
    expect(mean).toBeCloseTo(1, 1);
    expect(std).toBeCloseTo(2, 1);
    expect(rng.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(() => rng.int(3, 1)).toThrowError(OptikError);
  });
});

describe('boxes', () => {
  it('round-trips COCO and YOLO within 1e-9', () => {
    const rng = createRng(3);
    for (let i = 0; i < 100; i++) {
      const w = rng.int(10, 500);
      const h = rng.int(10, 500);
      const x0 = rng.uniform(0, w / 2);
      const y0 = rng.uniform(0, h / 2);
      const box = [x0, y0, rng.uniform(x0, w), rng.uniform(y0, h)] as const;
      const back = yoloToXyxy(xyxyToYolo(cocoToXyxy(xyxyToCoco(box)), w, h), w, h);
      for (const [k, v] of back.entries()) expect(v).toBeCloseTo(box[k]!, 9);
    }
  });

  it('computes area, clipping and IoU', () => {
    expect(boxArea([0, 0, 10, 5])).toBe(50);
    expect(boxArea([5, 5, 0, 0])).toBe(0);
    expect(clipBox([-5, 0, 20, 10], 16, 16)).toEqual({ box: [0, 0, 16, 10], clipped: true });
    expect(clipBox([1, 1, 2, 2], 16, 16).clipped).toBe(false);
    expect(iou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(1 / 3, 10);
    expect(() => xyxyToYolo([0, 0, 1, 1], 0, 10)).toThrowError(expect.objectContaining({ code: 'ARGUMENT_INVALID' }));
  });
});
