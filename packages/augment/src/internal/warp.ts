import { OptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';

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

/**
 * Warps a batch of images, each with its own affine map, as tensor ops only (a sampling grid built from the
 * matrices, then `tf.gather` on flattened indices), so it runs on every backend. `inverse[i]` maps output
 * coordinates of image `i` to its input coordinates. Pixels that fall outside the input take `fill`.
 */
export function warpAffine(
  xs: tf.Tensor4D,
  inverse: readonly Affine[],
  outHeight: number,
  outWidth: number,
  interpolation: 'nearest' | 'bilinear',
  fill: number,
): tf.Tensor4D {
  const [batch, height, width, channels] = xs.shape;
  if (inverse.length !== batch) {
    throw new OptikError('INTERNAL', `warpAffine needs one matrix per image (${batch}).`, {
      received: inverse.length,
    });
  }
  return tf.tidy(() => {
    const count = outHeight * outWidth;
    const gridX = new Float32Array(count);
    const gridY = new Float32Array(count);
    for (let v = 0; v < outHeight; v++) {
      for (let u = 0; u < outWidth; u++) {
        gridX[v * outWidth + u] = u + 0.5;
        gridY[v * outWidth + u] = v + 0.5;
      }
    }
    const matrices = tf.tensor2d(
      inverse.flatMap((m) => [...m]),
      [batch, 6],
    );
    const column = (k: number) => matrices.slice([0, k], [batch, 1]);
    const gx = tf.tensor2d(gridX, [1, count]);
    const gy = tf.tensor2d(gridY, [1, count]);
    // Continuous input coordinates of every output pixel centre, [batch, count].
    const px = column(0).mul(gx).add(column(1).mul(gy)).add(column(2));
    const py = column(3).mul(gx).add(column(4).mul(gy)).add(column(5));

    const total = batch * height * width;
    // One extra row at index `total` holds the fill value for every out-of-bounds lookup.
    const table = tf.concat([xs.reshape([total, channels]).toFloat(), tf.fill([1, channels], fill)], 0);
    const offsets = tf
      .range(0, batch, 1, 'int32')
      .mul(tf.scalar(height * width, 'int32'))
      .reshape([batch, 1]);
    const outside = tf.fill([batch, count], total, 'int32');
    const lookup = (xi: tf.Tensor2D, yi: tf.Tensor2D): tf.Tensor2D => {
      const valid = xi
        .greaterEqual(0)
        .logicalAnd(xi.less(width))
        .logicalAnd(yi.greaterEqual(0))
        .logicalAnd(yi.less(height));
      const flat = offsets.add(yi.mul(tf.scalar(width, 'int32'))).add(xi);
      const index = tf.where(valid, flat, outside);
      return tf.gather(table, index.reshape([-1])) as tf.Tensor2D;
    };

    let out: tf.Tensor2D;
    if (interpolation === 'nearest') {
      out = lookup(px.floor().toInt() as tf.Tensor2D, py.floor().toInt() as tf.Tensor2D);
    } else {
      const sx = px.sub(0.5);
      const sy = py.sub(0.5);
      const x0 = sx.floor();
      const y0 = sy.floor();
      const wx = sx.sub(x0).reshape([-1, 1]);
      const wy = sy.sub(y0).reshape([-1, 1]);
      const xi0 = x0.toInt() as tf.Tensor2D;
      const yi0 = y0.toInt() as tf.Tensor2D;
      const xi1 = xi0.add(tf.scalar(1, 'int32')) as tf.Tensor2D;
      const yi1 = yi0.add(tf.scalar(1, 'int32')) as tf.Tensor2D;
      const one = tf.scalar(1);
      const top = lookup(xi0, yi0).mul(one.sub(wx)).add(lookup(xi1, yi0).mul(wx));
      const bottom = lookup(xi0, yi1).mul(one.sub(wx)).add(lookup(xi1, yi1).mul(wx));
      out = top.mul(one.sub(wy)).add(bottom.mul(wy)) as tf.Tensor2D;
    }
    return out.reshape([batch, outHeight, outWidth, channels]);
  });
}
