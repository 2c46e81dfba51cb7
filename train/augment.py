"""Augmentation that makes MNIST look like what people draw on a sketchpad.

Sketchpad strokes have one uniform width, round ends and smooth edges, in any
thickness; MNIST pen strokes do not. So a share of the digits is re-inked from the
digit's skeleton at a random width, every digit gets a random stroke-width change
and a small affine jitter, half also an elastic distortion, and some 0s, 1s and 7s get
the strokes many writers add (a slash through 0, a flag or base on 1, a bar across 7)
that MNIST rarely shows. Training augments all its digits in one call before each epoch,
in compiled loops that make one pass per digit, on all cores.
"""

import math
import threading

import cv2
import numba
import numpy as np

from recognizer.contract import IMAGE_SIZE
from train.skeleton import thin


def _stroke_width(digit: np.ndarray) -> float:
    ink = digit > 127
    skeleton = thin(ink[None])[0]
    return float(np.clip(ink.sum() / max(1, skeleton.sum()), 1.0, 4.0))


def _hole_area(digit: np.ndarray) -> int:
    """Background pixels that ink encloses (not 4-connected to the border)."""
    background = np.pad((digit <= 127).astype(np.uint8), 1, constant_values=1)
    _, labels = cv2.connectedComponents(background, connectivity=4)
    return int((labels > 1).sum())  # label 1 is the padded border's component


MIN_SLASHED_HOLE = 0.15  # a slashed 0 must keep this share of its hole (below it: a blob), or it stays as written


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
        # A slash through a narrow or bold 0 can fill its hole: that is a bar, not a 0, and its
        # skeleton is a line. Teaching "line = 0" would blur 0 and 1, so such a 0 stays as written.
        hole = _hole_area(digit)
        if hole == 0 or _hole_area(out) < MIN_SLASHED_HOLE * hole:
            return digit
    elif label == 1:
        top = (xs[ys <= y0 + 1].mean(), y0)
        bottom = (xs[ys >= y1 - 1].mean(), y1)
        style = rng.integers(3)  # flag, base, both
        if style in (0, 2):
            # The flag leaves the top down and to the left, at an acute angle to the stem. Near a
            # right angle to the stem it would be a 7's bar; steeper flags keep 1 and 7 apart.
            angle = math.radians(rng.uniform(25, 60))
            length = rng.uniform(0.25, 0.45) * height
            vx, vy = (bottom[0] - top[0]) / height, (bottom[1] - top[1]) / height
            dx, dy = vx * math.cos(angle) - vy * math.sin(angle), vx * math.sin(angle) + vy * math.cos(angle)
            line(top, (top[0] + length * dx, top[1] + length * dy))
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


# Each digit is worked on as a 32x32 tile: the 28x28 frame with a zero border wide enough for the
# filters, and every sample outside the frame is clamped into that border. The per-pixel work runs in
# numba-compiled loops, one pass per digit, spread over the cores; the randomness is drawn up front
# with NumPy, so the result does not depend on how the digits are shared out.
_PAD = 2
_TILE = IMAGE_SIZE + 2 * _PAD
_GAUSS = cv2.getGaussianKernel(5, 0.8).astype(np.float32)[:, 0]
# Bicubic upsampling from 4 to 28 samples is linear: a (28, 4) matrix U, so a grid G -> U @ G @ U.T.
_UPSAMPLE = cv2.resize(np.eye(4, dtype=np.float32), (4, IMAGE_SIZE), interpolation=cv2.INTER_CUBIC)
AS_WRITTEN, BOLDER, THINNER = range(3)
_jit = numba.njit(cache=True, nogil=True, fastmath=True)
# Numba's own thread pool rather than OpenMP: inside the tf.data pipeline it augmented an epoch in
# about a third less time (measured, three runs each). It must not be entered from two threads at
# once, hence the lock.
numba.config.THREADING_LAYER = "workqueue"
_RENDER_LOCK = threading.Lock()


def to_atlas(images: np.ndarray, dtype=np.float32) -> np.ndarray:
    """Digits (B, 28, 28) -> tiles (B, 32, 32) with a zero border."""
    atlas = np.zeros((len(images), _TILE, _TILE), dtype)
    atlas[:, _PAD:-_PAD, _PAD:-_PAD] = images
    return atlas


def stroke_variants(images: np.ndarray) -> np.ndarray:
    """uint8 digits (N, 28, 28) -> uint8 tiles (N, 3, 32, 32): as written, one pixel bolder, one thinner.

    Computed once per training run, so a digit's stroke-width change is a blend, not a filtering.
    """
    atlas = to_atlas(images, np.uint8)
    flat = atlas.reshape(-1, _TILE)  # tiles stacked: the zero border keeps a 3x3 filter inside each
    bolder = cv2.dilate(flat, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    thinner = cv2.erode(flat, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return np.stack([atlas, bolder.reshape(atlas.shape), thinner.reshape(atlas.shape)], axis=1)


@_jit
def _reink_tile(skeleton, gain, kernel, tile):
    """tile (32, 32) <- the 28x28 skeleton blurred by the separable kernel, times gain, capped at 1."""
    rows = np.zeros((_TILE, _TILE), np.float32)
    for i in range(IMAGE_SIZE):
        for j in range(IMAGE_SIZE):
            if skeleton[i, j]:
                for t in range(5):
                    rows[i + _PAD, j + t] += kernel[t]
    for i in range(_TILE):
        for j in range(_TILE):
            total = np.float32(0)
            for t in range(5):
                if 0 <= i + t - 2 < _TILE:
                    total += kernel[t] * rows[i + t - 2, j]
            tile[i, j] = min(total * gain, np.float32(1))


@_jit
def _change_width_tile(tile, amount, out):
    """out <- tile blended by |amount| towards its 3x3 dilation (amount > 0) or erosion (< 0)."""
    weight = abs(amount)
    for i in range(_TILE):
        for j in range(_TILE):
            extreme = tile[i, j]
            for di in range(-1, 2):
                for dj in range(-1, 2):
                    y, x = i + di, j + dj
                    value = tile[y, x] if 0 <= y < _TILE and 0 <= x < _TILE else np.float32(0)
                    extreme = max(extreme, value) if amount > 0 else min(extreme, value)
            out[i, j] = tile[i, j] + weight * (extreme - tile[i, j])


@_jit
def _blend_variants(variants, amount, out):
    """The same as _change_width_tile on the digit as written, from its precomputed variants."""
    toward = BOLDER if amount > 0 else THINNER
    weight = abs(amount) / np.float32(255)
    for i in range(_TILE):
        for j in range(_TILE):
            ink = np.float32(variants[AS_WRITTEN, i, j])
            out[i, j] = ink / np.float32(255) + weight * (np.float32(variants[toward, i, j]) - ink)


@_jit
def _upsample_grid(grid, upsample, field):
    """field (2, 28, 28) <- U @ grid[c] @ U.T for each of the grid's two channels (4x4 each)."""
    half = np.empty((4, IMAGE_SIZE), np.float32)
    for c in range(2):
        for a in range(4):
            for j in range(IMAGE_SIZE):
                half[a, j] = (grid[c, a, 0] * upsample[j, 0] + grid[c, a, 1] * upsample[j, 1]
                              + grid[c, a, 2] * upsample[j, 2] + grid[c, a, 3] * upsample[j, 3])
        for i in range(IMAGE_SIZE):
            for j in range(IMAGE_SIZE):
                field[c, i, j] = (upsample[i, 0] * half[0, j] + upsample[i, 1] * half[1, j]
                                  + upsample[i, 2] * half[2, j] + upsample[i, 3] * half[3, j])


@_jit
def _ink_box(tile):
    """(top, bottom, left, right) of the tile's nonzero pixels; top > bottom for an empty tile."""
    top, bottom, left, right = _TILE, -1, _TILE, -1
    for i in range(_TILE):
        for j in range(_TILE):
            if tile[i, j] != 0:
                top, bottom = min(top, i), max(bottom, i)
                left, right = min(left, j), max(right, j)
    return top, bottom, left, right


@_jit
def _warp_tile(tile, affine, field, out):
    """out (28, 28) <- tile sampled bilinearly where the output->input affine map plus the field point."""
    top, bottom, left, right = _ink_box(tile)
    (a00, a01, a02), (a10, a11, a12) = affine[0], affine[1]
    for i in range(IMAGE_SIZE):
        row_x = a01 * np.float32(i) + a02 + np.float32(_PAD)
        row_y = a11 * np.float32(i) + a12 + np.float32(_PAD)
        for j in range(IMAGE_SIZE):
            # Clamped into the tile, so every sample outside the frame reads the zero border.
            x = min(max(row_x + a00 * np.float32(j) + field[0, i, j], np.float32(0)), np.float32(_TILE - 1))
            y = min(max(row_y + a10 * np.float32(j) + field[1, i, j], np.float32(0)), np.float32(_TILE - 1))
            x0, y0 = int(x), int(y)  # floor: both are >= 0
            if x0 + 1 < left or x0 > right or y0 + 1 < top or y0 > bottom:
                out[i, j] = 0  # all four neighbours lie outside the ink's box: background
                continue
            fx, fy = x - np.float32(x0), y - np.float32(y0)
            x1, y1 = min(x0 + 1, _TILE - 1), min(y0 + 1, _TILE - 1)
            upper = tile[y0, x0] + fx * (tile[y0, x1] - tile[y0, x0])
            lower = tile[y1, x0] + fx * (tile[y1, x1] - tile[y1, x0])
            out[i, j] = min(max(upper + fy * (lower - upper), np.float32(0)), np.float32(1))


@numba.njit(cache=True, nogil=True, fastmath=True, parallel=True)
def _render(variants, skeletons, use_reink, gain, amount, affine, grids, kernel, upsample, out):
    """Each digit: its ink, or its re-inked skeleton, made bolder or thinner, then warped into out."""
    for b in numba.prange(len(out)):
        tile = np.empty((_TILE, _TILE), np.float32)
        changed = np.empty((_TILE, _TILE), np.float32)
        field = np.empty((2, IMAGE_SIZE, IMAGE_SIZE), np.float32)
        if use_reink[b]:
            _reink_tile(skeletons[b], gain[b], kernel, tile)
            _change_width_tile(tile, amount[b], changed)
        else:
            _blend_variants(variants[b], amount[b], changed)
        _upsample_grid(grids[b], upsample, field)
        _warp_tile(changed, affine[b], field, out[b])


@numba.njit(cache=True, nogil=True, fastmath=True, parallel=True)
def _change_width_batch(atlas, amount, out):
    for b in numba.prange(len(atlas)):
        _change_width_tile(atlas[b], amount[b], out[b])


@numba.njit(cache=True, nogil=True, fastmath=True, parallel=True)
def _warp_batch(atlas, affine, grids, upsample, out):
    for b in numba.prange(len(atlas)):
        field = np.empty((2, IMAGE_SIZE, IMAGE_SIZE), np.float32)
        _upsample_grid(grids[b], upsample, field)
        _warp_tile(atlas[b], affine[b], field, out[b])


def change_stroke_width(atlas: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Thicken (amount > 0) or thin (< 0) float32 tiles (B, 32, 32) by that fraction of a 3x3 dilation or erosion."""
    out = np.empty_like(atlas, np.float32)
    with _RENDER_LOCK:
        _change_width_batch(atlas.astype(np.float32, copy=False), amount.astype(np.float32), out)
    return out


def random_affine(rng: np.random.Generator, n: int, ranges: "Augmentation", strength: float = 1.0) -> np.ndarray:  # noqa: F821
    """(n, 2, 3) output->input maps: rotation, shear, scale and shift within the ranges times strength, and an
    aspect jitter at any strength."""
    angle = np.radians(rng.uniform(-ranges.rotation, ranges.rotation, n) * strength)
    shear = rng.uniform(-ranges.shear, ranges.shear, n) * strength
    scale = rng.uniform(1 - ranges.shrink * strength, 1 + ranges.grow * strength, n)
    aspect = rng.uniform(1 - ranges.aspect, 1 + ranges.aspect, n)
    shift = rng.uniform(-ranges.shift, ranges.shift, (n, 2)) * strength
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


def random_grids(rng: np.random.Generator, n: int, displacement_px) -> np.ndarray:
    """Random 4x4 grids (n, 2, 4, 4) of (x, y) displacements, Gaussian with this standard deviation in pixels
    (one for all or one per digit; 0: none). Bicubically upsampled, a grid is a smooth elastic field, as smooth
    as Simard et al.'s (2003) Gaussian-filtered one at a fraction of the cost."""
    sigma = np.broadcast_to(np.asarray(displacement_px, np.float32), (n,))
    return rng.standard_normal((n, 2, 4, 4), np.float32) * sigma[:, None, None, None]


def warp(atlas: np.ndarray, affine: np.ndarray, grids: np.ndarray | None = None) -> np.ndarray:
    """Sample each float32 tile (B, 32, 32) through its output->input affine map (B, 2, 3) plus the elastic
    field of its grid (B, 2, 4, 4), bilinearly, in one pass; returns the digits (B, 28, 28) in [0, 1]."""
    n = len(atlas)
    grids = np.zeros((n, 2, 4, 4), np.float32) if grids is None else grids.astype(np.float32, copy=False)
    atlas, affine = atlas.astype(np.float32, copy=False), np.ascontiguousarray(affine, np.float32)
    out = np.empty((n, IMAGE_SIZE, IMAGE_SIZE), np.float32)
    with _RENDER_LOCK:
        _warp_batch(atlas, affine, grids, _UPSAMPLE, out)
    return out


def augment_batch(variants: np.ndarray, skeletons: np.ndarray, rng: np.random.Generator,
                  ranges: "Augmentation", strength: float = 1.0) -> np.ndarray:  # noqa: F821
    """Augment digits, given as their stroke_variants (B, 3, 32, 32) and skeletons, with randomness from rng.

    Returns float32 (B, 28, 28) in [0, 1]. ranges (train.config.Augmentation) bound every change at
    strength 1; strength in [0, 1] scales every probability and magnitude but the aspect jitter (0:
    that jitter only). Training calls it once per epoch, on every training digit.
    """
    n = len(variants)
    use_reink = rng.random(n) < ranges.reink * strength  # the uniform strokes of a sketchpad, from thin to bold
    gain = rng.uniform(*ranges.reink_gain, n).astype(np.float32)
    amount = rng.uniform(-ranges.width_change * strength, ranges.width_change * strength, n).astype(np.float32)
    use_elastic = rng.random(n) < ranges.elastic * strength
    grids = random_grids(rng, n, ranges.elastic_px * use_elastic)
    affine = random_affine(rng, n, ranges, strength)
    out = np.empty((n, IMAGE_SIZE, IMAGE_SIZE), np.float32)
    with _RENDER_LOCK:
        _render(variants, skeletons, use_reink, gain, amount, affine, grids, _GAUSS, _UPSAMPLE, out)
    return out
