// The TensorFlow Playground's palette: orange for class 0 / negative, blue for class 1 / positive.
const NEGATIVE = [245, 147, 34];
const MIDDLE = [232, 234, 235];
const POSITIVE = [8, 119, 189];

/** The colour of t in [0, 1] on orange → grey → blue, as r, g, b. */
export function diverging(t: number): [number, number, number] {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0.5));
  const [a, b, s] = u < 0.5 ? [NEGATIVE, MIDDLE, u * 2] : [MIDDLE, POSITIVE, (u - 0.5) * 2];
  return [0, 1, 2].map((i) => Math.round((a[i] as number) + ((b[i] as number) - (a[i] as number)) * s)) as [
    number,
    number,
    number,
  ];
}

/** Draws a row-major `size`×`size` map onto a canvas, scaled to [lo, hi]. */
export function drawMap(canvas: HTMLCanvasElement, map: Float32Array, size: number, lo: number, hi: number): void {
  const small = new OffscreenCanvas(size, size);
  const ctx = small.getContext('2d');
  if (ctx === null) return;
  const image = ctx.createImageData(size, size);
  const span = hi - lo || 1;
  for (let i = 0; i < size * size; i++) {
    const [r, g, b] = diverging(((map[i] ?? 0) - lo) / span);
    image.data.set([r, g, b, 255], i * 4);
  }
  ctx.putImageData(image, 0, 0);
  const out = canvas.getContext('2d');
  if (out === null) return;
  out.imageSmoothingEnabled = true;
  out.drawImage(small, 0, 0, canvas.width, canvas.height);
}

/** A map's range for display: symmetric around 0 for signed activations, [0, max] otherwise. */
export function mapRange(map: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of map) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo < 0) {
    const m = Math.max(-lo, hi, 1e-6);
    return [-m, m];
  }
  return [0, Math.max(hi, 1e-6)];
}
