"""Augmentation that makes MNIST look like what people draw on a sketchpad.

Sketchpad strokes have one uniform width, round ends and smooth edges, in any
thickness; MNIST pen strokes do not. So a share of the digits is re-inked from the
digit's skeleton at a random width, every digit gets a random stroke-width change
and a small affine jitter, half also an elastic distortion. (The strokes many writers add, a
slash through 0, a bar across 7, a flag on 1, come from train.conventions, drawn into real pen
trajectories.) Training augments all its digits in one call before each epoch, in compiled loops
that make one pass per digit, on all cores.
"""

import threading

import cv2
import numba
import numpy as np

from recognizer.contract import IMAGE_SIZE
from train.skeleton import thin


def training_skeletons(x: np.ndarray) -> np.ndarray:
    """The skeletons of uint8 digits (N, 28, 28), from which augmentation re-inks them."""
    return thin(x > 127)


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
