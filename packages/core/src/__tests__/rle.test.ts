import { describe, expect, it } from 'vitest';
import {
  createRng,
  type Rle,
  rleArea,
  rleDecode,
  rleEncode,
  rleFromString,
  rleIou,
  rleMerge,
  rleToBbox,
  rleToString,
} from '../index.js';

/** Row-major mask from rows of 0/1. */
function mask(rows: number[][]): { data: Uint8Array; height: number; width: number } {
  return { data: Uint8Array.from(rows.flat()), height: rows.length, width: rows[0]?.length ?? 0 };
}

function encode(rows: number[][]): Rle {
  const m = mask(rows);
  return rleEncode(m.data, m.height, m.width);
}

/** Asserts that `fn` throws an OptikError with `errorCode`. */
function expectCode(fn: () => unknown, errorCode: string): void {
  expect(fn).toThrow(expect.objectContaining({ name: 'OptikError', code: errorCode }));
}

describe('RLE encode/decode', () => {
  it('runs down the columns, starting with a 0-run', () => {
    // Column 0 is 0,1,0 and column 1 is 1,1,0: runs 0×1, 1×1, 0×1, 1×2, 0×1.
    const rle = encode([
      [0, 1],
      [1, 1],
      [0, 0],
    ]);
    expect(rle).toEqual({ size: [3, 2], counts: [1, 1, 1, 2, 1] });
    expect([...rleDecode(rle)]).toEqual([0, 1, 1, 1, 0, 0]);
    // A mask that starts with foreground has an empty leading 0-run; any non-zero value is foreground.
    // Rows [255, 0] and [7, 7]: column 0 is 1,1 and column 1 is 0,1.
    expect(rleEncode(Uint8Array.from([255, 0, 7, 7]), 2, 2)).toEqual({ size: [2, 2], counts: [0, 2, 1, 1] });
    expect(rleEncode(new Uint8Array(6), 2, 3)).toEqual({ size: [2, 3], counts: [6] });
    expect(rleEncode(new Uint8Array(0), 0, 4)).toEqual({ size: [0, 4], counts: [0] });
  });

  it('round-trips random masks and agrees with pixel counts', () => {
    const rng = createRng(7);
    for (let trial = 0; trial < 40; trial++) {
      const height = rng.int(1, 9);
      const width = rng.int(1, 9);
      const density = rng.uniform(0, 1);
      const data = Uint8Array.from({ length: height * width }, () => (rng.next() < density ? 1 : 0));
      const rle = rleEncode(data, height, width);
      expect(rleDecode(rle)).toEqual(data);
      expect(rleArea(rle)).toBe(data.reduce((s, v) => s + v, 0));
      expect(rleFromString(rleToString(rle), height, width)).toEqual(rle);
      let box = [0, 0, 0, 0];
      const xs: number[] = [];
      const ys: number[] = [];
      data.forEach((v, i) => {
        if (v) {
          xs.push(i % width);
          ys.push(Math.floor(i / width));
        }
      });
      if (xs.length > 0) {
        const [x0, y0] = [Math.min(...xs), Math.min(...ys)];
        box = [x0, y0, Math.max(...xs) - x0 + 1, Math.max(...ys) - y0 + 1];
      }
      expect(rleToBbox(rle)).toEqual(box);
    }
  });
});

describe('RLE compressed strings', () => {
  it('encodes as pycocotools rleToString (worked by hand)', () => {
    // 1,1,1 → '1' each (48 + 1); runs from the 4th on are deltas: 2 − 1 = 1 → '1', 1 − 1 = 0 → '0'.
    expect(rleToString({ size: [3, 2], counts: [1, 1, 1, 2, 1] })).toBe('11110');
    // 5 → '5'; 3 → '3'; 10 → ':' (58); 2 − 3 = −1 → low bits 31 with the sign bit set, done → 'O' (79);
    // 4 − 10 = −6 → low bits 26 (sign bit set), rest −1 → 'J' (74).
    expect(rleToString({ size: [24, 1], counts: [5, 3, 10, 2, 4] })).toBe('53:OJ');
    // 16 has bit 4 set, so it needs a second group: 16|32 → '`' (96), then 0 → '0'.
    // 100 = 4 + 3·32 → 4|32 → 'T' (84), then 3 → '3'.
    expect(rleToString({ size: [118, 1], counts: [16, 100, 2] })).toBe('`0T32');
    expect(rleFromString('53:OJ', 24, 1).counts).toEqual([5, 3, 10, 2, 4]);
    expect(rleFromString('`0T32', 118, 1).counts).toEqual([16, 100, 2]);
  });

  it('keeps runs above 2^31 (no 32-bit truncation)', () => {
    const rle: Rle = { size: [2 ** 20, 2 ** 12], counts: [2 ** 31 + 5, 2 ** 31 - 7, 2] };
    expect(rleFromString(rleToString(rle), 2 ** 20, 2 ** 12)).toEqual(rle);
  });

  it('rejects bad characters, truncation and runs that do not cover the mask', () => {
    expectCode(() => rleFromString('1 1', 2, 1), 'DATA_FORMAT');
    expectCode(() => rleFromString('T', 100, 1), 'DATA_FORMAT'); // continuation bit, then nothing
    expectCode(() => rleFromString('11', 3, 1), 'DATA_FORMAT'); // 2 of 3 pixels
    expectCode(() => rleDecode({ size: [2, 2], counts: [1, -1, 4] }), 'DATA_FORMAT');
    expectCode(() => rleArea({ size: [2, 2], counts: [1.5, 2.5] }), 'DATA_FORMAT');
    expectCode(() => rleEncode(new Uint8Array(5), 2, 2), 'ARGUMENT_INVALID');
    expectCode(() => rleEncode(new Uint8Array(4), -2, -2), 'ARGUMENT_INVALID');
  });
});

describe('RLE boxes, merges and IoU', () => {
  it('gives whole-pixel boxes, also for runs that wrap into the next column', () => {
    // Pixels (x=0, y=2) and (x=1, y=0) form one column-major run; the box spans every row: [0, 0, 2, 3].
    const rle = encode([
      [0, 1, 0],
      [0, 0, 0],
      [1, 0, 0],
    ]);
    expect(rle.counts).toEqual([2, 2, 5]);
    expect(rleToBbox(rle)).toEqual([0, 0, 2, 3]);
    expect(rleToBbox(encode([[0, 0, 0]]))).toEqual([0, 0, 0, 0]);
    expect(rleToBbox({ size: [4, 4], counts: [9, 1, 6] })).toEqual([2, 1, 1, 1]);
  });

  it('merges by union and intersection into canonical runs', () => {
    const a = encode([
      [1, 0],
      [0, 0],
    ]);
    const b = encode([
      [1, 1],
      [0, 0],
    ]);
    const c = encode([
      [0, 1],
      [0, 1],
    ]);
    expect(rleMerge([a, b])).toEqual({ size: [2, 2], counts: [0, 1, 1, 1, 1] });
    expect(rleMerge([a, b], true)).toEqual({ size: [2, 2], counts: [0, 1, 3] });
    expect(rleMerge([a, b, c])).toEqual({ size: [2, 2], counts: [0, 1, 1, 2] });
    expect(rleMerge([a, c], true)).toEqual({ size: [2, 2], counts: [4] });
    // A non-canonical input (empty inner runs) comes out canonical.
    expect(rleMerge([{ size: [2, 2], counts: [1, 0, 0, 2, 1] }])).toEqual({ size: [2, 2], counts: [1, 2, 1] });
    expectCode(() => rleMerge([a, encode([[1, 0, 0]])]), 'DATA_MISMATCH');
    expectCode(() => rleMerge([]), 'ARGUMENT_INVALID');
  });

  it('computes IoU, and intersection over detection area for crowds (worked by hand)', () => {
    const det = encode([
      [1, 1, 0],
      [1, 1, 0],
    ]); // area 4
    const gt1 = encode([
      [0, 1, 1],
      [0, 1, 1],
    ]); // area 4, overlap 2: 2 / (4 + 4 − 2) = 1/3
    const gt2 = encode([
      [1, 1, 1],
      [1, 1, 1],
    ]); // area 6, overlap 4: 4 / 6; as a crowd 4 / 4 = 1
    const empty = encode([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    const out = rleIou([det, empty], [gt1, gt2, gt2], [false, false, true]);
    expect(out.length).toBe(6);
    expect(out[0]).toBeCloseTo(1 / 3, 12);
    expect(out[1]).toBeCloseTo(4 / 6, 12);
    expect(out[2]).toBe(1);
    expect([...out.slice(3)]).toEqual([0, 0, 0]);
    expect(rleIou([], [gt1], [false]).length).toBe(0);
    expectCode(() => rleIou([det], [gt1], []), 'ARGUMENT_INVALID');
    expectCode(() => rleIou([det], [encode([[1]])], [false]), 'DATA_MISMATCH');
  });

  it('agrees with pixel-wise IoU on random masks', () => {
    const rng = createRng(11);
    for (let trial = 0; trial < 30; trial++) {
      const height = rng.int(1, 8);
      const width = rng.int(1, 8);
      const draw = () => Uint8Array.from({ length: height * width }, () => (rng.next() < 0.4 ? 1 : 0));
      const a = draw();
      const b = draw();
      let inter = 0;
      let areaA = 0;
      let areaB = 0;
      a.forEach((v, i) => {
        inter += v & (b[i] as number);
        areaA += v;
        areaB += b[i] as number;
      });
      const ra = rleEncode(a, height, width);
      const rb = rleEncode(b, height, width);
      const [plain, crowd] = rleIou([ra], [rb, rb], [false, true]);
      const union = areaA + areaB - inter;
      expect(plain).toBeCloseTo(union > 0 ? inter / union : 0, 12);
      expect(crowd).toBeCloseTo(areaA > 0 ? inter / areaA : 0, 12);
      expect(rleArea(rleMerge([ra, rb], true))).toBe(inter);
      expect(rleArea(rleMerge([ra, rb]))).toBe(union);
    }
  });
});
