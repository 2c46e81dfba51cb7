"""Augmentation that makes MNIST look like what people draw on a sketchpad.

Sketchpad strokes have one uniform width, round ends and smooth edges, in any
thickness; MNIST pen strokes do not. So part of each batch is re-inked from the
digit's skeleton at a random width, every digit gets a random stroke-width change
and a small affine jitter, half also an elastic distortion, and some 0s, 1s and 7s get
the strokes many writers add (a slash through 0, a flag or base on 1, a bar across 7)
that MNIST rarely shows. NumPy and OpenCV work on a whole batch per call, so the
augmentation costs a fraction of the training step it runs beside.
"""

import math

import cv2
import numpy as np

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


# The batch lives as one "atlas": digits padded with a zero border and stacked vertically, so OpenCV
# filters and resamples the whole batch in one call each. The border is wide enough that no filter
# reaches the next digit, and every sample outside a digit's frame is clamped into its own border.
_PAD = 2
_TILE = IMAGE_SIZE + 2 * _PAD
_MAX_TILES = (2**15 - 1) // _TILE
_GAUSS = cv2.getGaussianKernel(5, 0.8).astype(np.float32)
_SQUARE = np.ones((3, 3), np.uint8)
# Bicubic upsampling of a 4x4 grid to 28x28 is linear: one (784, 16) matrix.
_UPSAMPLE = cv2.resize(np.eye(4, dtype=np.float32), (4, IMAGE_SIZE), interpolation=cv2.INTER_CUBIC)
_UPSAMPLE_GRID = np.kron(_UPSAMPLE, _UPSAMPLE).T.copy()
# Homogeneous (x, y, 1) of every output pixel, as columns.
_PIXELS = np.stack([*np.mgrid[0:IMAGE_SIZE, 0:IMAGE_SIZE][::-1], np.ones((IMAGE_SIZE, IMAGE_SIZE))]
                   ).reshape(3, -1).astype(np.float32)


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b, without BLAS."""
    # OpenBLAS's threads spin for milliseconds after each call, on the cores the training step
    # needs (measured: 15 ms of CPU per 0.3 ms product); these products are too small to gain from them.
    return np.einsum("ik,kj->ij", a, b)


def to_atlas(images: np.ndarray) -> np.ndarray:
    """Digits (B, 28, 28) -> float32 atlas (B, 32, 32) with a zero border (reshape to (B*32, 32) for OpenCV)."""
    atlas = np.zeros((len(images), _TILE, _TILE), np.float32)
    atlas[:, _PAD:-_PAD, _PAD:-_PAD] = images
    return atlas


def reink(skeletons: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """Draw skeleton atlas tiles (B, 32, 32) back as smooth uniform strokes; higher gain = thicker."""
    soft = cv2.sepFilter2D(skeletons.reshape(-1, _TILE), -1, _GAUSS, _GAUSS, borderType=cv2.BORDER_CONSTANT)
    return np.minimum(soft.reshape(skeletons.shape) * gain[:, None, None], 1.0)


def change_stroke_width(atlas: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Thicken (amount > 0) or thin (< 0) each tile by that fraction of a one-pixel dilation or erosion."""
    flat = atlas.reshape(-1, _TILE)
    grown = cv2.dilate(flat, _SQUARE, borderType=cv2.BORDER_CONSTANT, borderValue=0).reshape(atlas.shape)
    shrunk = cv2.erode(flat, _SQUARE, borderType=cv2.BORDER_CONSTANT, borderValue=0).reshape(atlas.shape)
    change = np.where(amount[:, None, None] > 0, grown, shrunk)
    change -= atlas
    change *= np.abs(amount)[:, None, None]
    return atlas + change


def random_affine(rng: np.random.Generator, n: int, strength: float = 1.0) -> np.ndarray:
    """(n, 2, 3) output->input maps: at strength 1, rotation ±12°, shear ±0.25, scale 0.85-1.12 and shift ±2 px;
    at any strength, an aspect jitter of 0.9-1.1."""
    angle = np.radians(rng.uniform(-12.0, 12.0, n) * strength)
    shear = rng.uniform(-0.25, 0.25, n) * strength
    scale = rng.uniform(1 - 0.15 * strength, 1 + 0.12 * strength, n)
    aspect = rng.uniform(0.9, 1.1, n)
    shift = rng.uniform(-2.0, 2.0, (n, 2)) * strength
    c, s = np.cos(angle), np.sin(angle)
    sx, sy = scale * aspect, scale / aspect
    # Forward map A = R(angle) @ Shear @ diag(sx, sy) about the centre; sampling needs its inverse.
    a00, a01, a10, a11 = c * sx, (c * shear - s) * sy, s * sx, (s * shear + c) * sy
    det = a00 * a11 - a01 * a10
    inverse = np.stack([np.stack([a11, -a01], -1), np.stack([-a10, a00], -1)], -2) / det[:, None, None]
    centre = (IMAGE_SIZE - 1) / 2
    target = centre + shift  # where the digit's centre lands
    offset = centre - (inverse * target[:, None, :]).sum(-1, keepdims=True)
    return np.concatenate([inverse, offset], axis=2).astype(np.float32)


def random_displacement(rng: np.random.Generator, n: int, displacement_px) -> np.ndarray:
    """Smooth random displacement fields (n, 2, 28, 28) in (x, y): Gaussian on a 4x4 grid, bicubically upsampled.

    As smooth as Simard et al.'s (2003) Gaussian-filtered field, at a fraction of the cost.
    displacement_px: the grid's standard deviation, one for all or one per digit (0: no displacement).
    """
    sigma = np.broadcast_to(np.asarray(displacement_px, np.float32), (n,))
    coarse = rng.standard_normal((n, 2 * 16), np.float32) * sigma[:, None]
    return _matmul(coarse.reshape(2 * n, 16), _UPSAMPLE_GRID).reshape(n, 2, IMAGE_SIZE, IMAGE_SIZE)


def warp(atlas: np.ndarray, affine: np.ndarray, displacement: np.ndarray | None = None) -> np.ndarray:
    """Resample each atlas tile through its output->input affine map (B, 2, 3) plus a displacement field.

    One bilinear resampling for the whole distortion; returns the digits (B, 28, 28).
    """
    n = len(atlas)
    if n > _MAX_TILES:  # cv2.remap takes at most 32767 rows
        parts = [warp(atlas[i:i + _MAX_TILES], affine[i:i + _MAX_TILES],
                      None if displacement is None else displacement[i:i + _MAX_TILES])
                 for i in range(0, n, _MAX_TILES)]
        return np.concatenate(parts)
    source = _matmul(affine.reshape(2 * n, 3), _PIXELS).reshape(n, 2, IMAGE_SIZE, IMAGE_SIZE)  # where pixels read
    if displacement is not None:
        source = source + displacement
    # Clamp into the digit's own border, then shift to its tile in the atlas.
    np.clip(source, -_PAD, IMAGE_SIZE - 1 + _PAD, out=source)
    map_x = source[:, 0] + _PAD
    map_y = source[:, 1] + (_PAD + _TILE * np.arange(n, dtype=np.float32))[:, None, None]
    out = cv2.remap(atlas.reshape(-1, _TILE), map_x.reshape(-1, IMAGE_SIZE), map_y.reshape(-1, IMAGE_SIZE),
                    cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return out.reshape(n, IMAGE_SIZE, IMAGE_SIZE)


def elastic(images: np.ndarray, rng: np.random.Generator, displacement_px: float = 1.3) -> np.ndarray:
    """Elastic distortion alone (after Simard et al. 2003) of float digits (B, 28, 28)."""
    identity = np.broadcast_to(np.eye(2, 3, dtype=np.float32), (len(images), 2, 3))
    return warp(to_atlas(images), identity, random_displacement(rng, len(images), displacement_px))


def augment_batch(images: np.ndarray, skeletons: np.ndarray, rng: np.random.Generator,
                  strength: float = 1.0) -> np.ndarray:
    """Augment float32 digits (B, 28, 28) in [0, 1], given their skeletons, with randomness from rng.

    strength in [0, 1] scales every probability and magnitude but the aspect jitter (0: that jitter only).
    """
    n = len(images)
    atlas = to_atlas(images)
    # Re-inked skeletons: the uniform strokes of a sketchpad, from thin to bold.
    use_reink = rng.random(n) < 0.35 * strength
    gain = rng.uniform(2.2, 6.0, n).astype(np.float32)
    if use_reink.any():
        atlas[use_reink] = reink(to_atlas(skeletons[use_reink]), gain[use_reink])
    atlas = change_stroke_width(atlas, rng.uniform(-0.5 * strength, 1.0 * strength, n).astype(np.float32))
    use_elastic = rng.random(n) < 0.5 * strength
    displacement = random_displacement(rng, n, 1.3 * use_elastic)
    return np.clip(warp(atlas, random_affine(rng, n, strength), displacement), 0.0, 1.0)
