import { OptikError } from '@optik/core';

/**
 * A 2-D affine map `[a, b, c, d, e, f]`: `x' = a·x + b·y + c`, `y' = d·x + e·y + f`, in continuous pixel
 * coordinates (pixel `i` covers `[i, i + 1)`, its centre is `i + 0.5`; a box `[0, 0, w, h]` is the whole image).
 */
export type Affine = readonly [number, number, number, number, number, number];

export const IDENTITY: Affine = [1, 0, 0, 0, 1, 0];

export function invertAffine(m: Affine): Affine {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  if (Math.abs(det) < 1e-12) {
    throw new OptikError('INTERNAL', 'An augmentation produced a singular affine matrix.', { received: m });
  }
  return [e / det, -b / det, (b * f - c * e) / det, -d / det, a / det, (c * d - a * f) / det];
}

/** `outer ∘ inner`: first `inner`, then `outer`. */
export function composeAffine(outer: Affine, inner: Affine): Affine {
  const [a2, b2, c2, d2, e2, f2] = outer;
  const [a1, b1, c1, d1, e1, f1] = inner;
  return [
    a2 * a1 + b2 * d1,
    a2 * b1 + b2 * e1,
    a2 * c1 + b2 * f1 + c2,
    d2 * a1 + e2 * d1,
    d2 * b1 + e2 * e1,
    d2 * c1 + e2 * f1 + f2,
  ];
}

export function applyAffine(m: Affine, x: number, y: number): [number, number] {
  return [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]];
}

/** Rotation by `degrees` (counter-clockwise on screen) about `(cx, cy)`. */
export function rotationAbout(degrees: number, cx: number, cy: number): Affine {
  const t = (degrees * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  // y points down on screen, so a counter-clockwise turn is x' = cos·x + sin·y, y' = −sin·x + cos·y about the centre.
  return [cos, sin, cx - cos * cx - sin * cy, -sin, cos, cy + sin * cx - cos * cy];
}

export function scaleAbout(sx: number, sy: number, cx: number, cy: number): Affine {
  return [sx, 0, cx - sx * cx, 0, sy, cy - sy * cy];
}
