"""Augmentation that makes MNIST look like what people draw on a sketchpad.

Sketchpad strokes have one uniform width, round ends and smooth edges, in any
thickness; MNIST pen strokes do not. So part of each batch is re-inked from the
digit's skeleton at a random width, every digit gets a random stroke-width change
and a small affine jitter, and some 0s, 1s and 7s get the strokes many writers add
(a slash through 0, a flag or base on 1, a bar across 7) that MNIST rarely shows.
"""

import math

import cv2
import numpy as np
import tensorflow as tf

from recognizer.contract import IMAGE_SIZE
from train.skeleton import thin


def _stroke_width(digit: np.ndarray) -> float:
    ink = digit > 127
    skeleton = thin(ink[None])[0]
    return float(np.clip(ink.sum() / max(1, skeleton.sum()), 1.0, 4.0))


def add_writer_strokes(digit: np.ndarray, label: int, rng: np.random.Generator) -> np.ndarray:
    """Add a stroke that some writers use (slashed 0, flagged or based 1, crossed 7)."""
    ys, xs = np.nonzero(digit > 127)
    if len(ys) < 5 or label not in (0, 1, 7):
        return digit
    out = digit.copy()
    width = max(1, round(_stroke_width(digit)))
    y0, y1, x0, x1 = ys.min(), ys.max(), xs.min(), xs.max()
    height = y1 - y0 + 1

    def line(p, q):
        start, end = (round(p[0]), round(p[1])), (round(q[0]), round(q[1]))
        cv2.line(out, start, end, 255, width, cv2.LINE_AA)

    if label == 0:  # slash from upper right to lower left, often past the oval
        over = rng.uniform(-0.1, 0.2) * height
        line((x1 + over * 0.6, y0 - over), (x0 - over * 0.6, y1 + over))
    elif label == 1:
        top = (xs[ys <= y0 + 1].mean(), y0)
        bottom = (xs[ys >= y1 - 1].mean(), y1)
        style = rng.integers(3)  # flag, base, both
        if style in (0, 2):
            angle = math.radians(rng.uniform(15, 60))
            length = rng.uniform(0.25, 0.45) * height
            line(top, (top[0] - length * math.cos(angle), top[1] + length * math.sin(angle)))
        if style in (1, 2):
            half = rng.uniform(0.2, 0.35) * height
            line((bottom[0] - half, bottom[1]), (bottom[0] + half, bottom[1]))
    else:  # 7: a short bar across the stem at mid height
        mid = int(y0 + rng.uniform(0.45, 0.6) * height)
        row = xs[ys == mid] if (ys == mid).any() else xs
        centre, half = row.mean(), rng.uniform(0.18, 0.3) * height
        line((centre - half, mid), (centre + half, mid))
    return out


def prepare_training_images(x: np.ndarray, y: np.ndarray, seed: int, styled_fraction: float):
    """Return (digits with writer strokes added to a seeded subset of 0/1/7, their skeletons)."""
    rng = np.random.default_rng(seed)
    x = x.copy()
    candidates = np.flatnonzero(np.isin(y, (0, 1, 7)))
    for i in candidates[rng.random(len(candidates)) < styled_fraction]:
        x[i] = add_writer_strokes(x[i], int(y[i]), rng)
    return x, thin(x > 127)


_GAUSS = np.exp(-0.5 * (np.arange(-2, 3) ** 2) / 0.8**2)
_GAUSS_KERNEL = tf.constant((np.outer(_GAUSS, _GAUSS) / np.outer(_GAUSS, _GAUSS).sum())[:, :, None, None], tf.float32)


def _dilate(x):
    return tf.nn.max_pool2d(x, 3, 1, "SAME")


def _erode(x):
    return -tf.nn.max_pool2d(-x, 3, 1, "SAME")


def reink(skeleton: tf.Tensor, gain: tf.Tensor) -> tf.Tensor:
    """Draw a skeleton (B, 28, 28, 1) back as smooth uniform strokes; higher gain = thicker."""
    soft = tf.nn.conv2d(skeleton, _GAUSS_KERNEL, 1, "SAME")
    return tf.clip_by_value(soft * gain[:, None, None, None], 0.0, 1.0)


def _affine_transforms(batch, seed, max_rotate_deg, max_shear, scale_range, max_shift):
    seeds = tf.random.experimental.stateless_split(seed, 6)
    u = lambda i, lo, hi: tf.random.stateless_uniform([batch], seeds[i], lo, hi)  # noqa: E731
    angle = u(0, -1.0, 1.0) * (max_rotate_deg * math.pi / 180)
    shear = u(1, -max_shear, max_shear)
    scale = u(2, *scale_range)
    aspect = u(3, 0.9, 1.1)
    sx, sy = scale * aspect, scale / aspect
    tx, ty = u(4, -max_shift, max_shift), u(5, -max_shift, max_shift)
    # Forward map A = R(angle) @ Shear @ diag(sx, sy); the op wants output -> input, so invert.
    c, s = tf.cos(angle), tf.sin(angle)
    a00, a01 = c * sx, (c * shear - s) * sy
    a10, a11 = s * sx, (s * shear + c) * sy
    det = a00 * a11 - a01 * a10
    i00, i01, i10, i11 = a11 / det, -a01 / det, -a10 / det, a00 / det
    centre = (IMAGE_SIZE - 1) / 2
    ox, oy = centre + tx, centre + ty  # output centre
    b0 = centre - (i00 * ox + i01 * oy)
    b1 = centre - (i10 * ox + i11 * oy)
    zeros = tf.zeros_like(angle)
    return tf.stack([i00, i01, b0, i10, i11, b1, zeros, zeros], axis=1)


def elastic(images: tf.Tensor, seed, displacement_px: float = 1.3) -> tf.Tensor:
    """Elastic distortion (after Simard et al. 2003): a smooth random displacement field, bilinear sampling.

    The field is random on a coarse 4x4 grid, upsampled bicubically: as smooth as a Gaussian-filtered
    one, at a tenth of the cost, so the input pipeline keeps up with the model.
    """
    batch = tf.shape(images)[0]
    coarse = tf.random.stateless_normal([batch, 4, 4, 2], seed, stddev=displacement_px)
    field = tf.image.resize(coarse, [IMAGE_SIZE, IMAGE_SIZE], method="bicubic")
    rows, cols = tf.meshgrid(tf.range(IMAGE_SIZE, dtype=tf.float32), tf.range(IMAGE_SIZE, dtype=tf.float32),
                             indexing="ij")
    y = tf.clip_by_value(rows + field[..., 0], 0, IMAGE_SIZE - 1.001)
    x = tf.clip_by_value(cols + field[..., 1], 0, IMAGE_SIZE - 1.001)
    y0, x0 = tf.floor(y), tf.floor(x)
    wy, wx = tf.reshape(y - y0, [batch, -1]), tf.reshape(x - x0, [batch, -1])
    flat = tf.reshape(images, [batch, IMAGE_SIZE * IMAGE_SIZE])

    def at(yy, xx):
        index = tf.cast(yy, tf.int32) * IMAGE_SIZE + tf.cast(xx, tf.int32)
        return tf.gather(flat, tf.reshape(index, [batch, -1]), batch_dims=1)

    top = at(y0, x0) * (1 - wx) + at(y0, x0 + 1) * wx
    bottom = at(y0 + 1, x0) * (1 - wx) + at(y0 + 1, x0 + 1) * wx
    return tf.reshape(top * (1 - wy) + bottom * wy, [batch, IMAGE_SIZE, IMAGE_SIZE, 1])


def augment_batch(images, skeletons, seed, strength: float = 1.0):
    """Augment a batch (B, 28, 28, 1) float32 in [0, 1] with stateless randomness from `seed`.

    strength in [0, 1] scales every probability and magnitude (0: no change).
    """
    batch = tf.shape(images)[0]
    seeds = tf.random.experimental.stateless_split(seed, 5)
    # Re-inked skeletons: the uniform strokes of a sketchpad, from thin to bold.
    gain = tf.random.stateless_uniform([batch], seeds[0], 2.2, 6.0)
    use_reink = tf.random.stateless_uniform([batch, 1, 1, 1], seeds[1]) < 0.35 * strength
    x = tf.where(use_reink, reink(skeletons, gain), images)
    # Stroke width: a fraction of a one-pixel dilation or erosion.
    width = tf.random.stateless_uniform([batch, 1, 1, 1], seeds[2], -0.5 * strength, 1.0 * strength)
    x = tf.where(width > 0, x + width * (_dilate(x) - x), x + width * (x - _erode(x)))
    use_elastic = tf.random.stateless_uniform([batch, 1, 1, 1], seeds[4]) < 0.5 * strength
    x = tf.where(use_elastic, elastic(x, tf.random.experimental.stateless_fold_in(seeds[4], 1)), x)
    transforms = _affine_transforms(batch, seeds[3], 12.0 * strength, 0.25 * strength,
                                    (1 - 0.15 * strength, 1 + 0.12 * strength), 2.0 * strength)
    x = tf.raw_ops.ImageProjectiveTransformV3(
        images=x, transforms=transforms, output_shape=[IMAGE_SIZE, IMAGE_SIZE],
        fill_value=0.0, interpolation="BILINEAR", fill_mode="CONSTANT",
    )
    return tf.clip_by_value(x, 0.0, 1.0)
