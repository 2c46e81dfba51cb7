"""Skeletons of binary digit images, their strokes, and bitmaps re-drawn along them as sketchpad drawings."""

import cv2
import numpy as np


def thin(binary: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a batch of binary images (N, H, W) to one-pixel skeletons."""
    img = np.pad(binary.astype(np.uint8), ((0, 0), (1, 1), (1, 1)))
    while True:
        changed = False
        for step in (0, 1):
            p2, p3, p4 = img[:, :-2, 1:-1], img[:, :-2, 2:], img[:, 1:-1, 2:]
            p5, p6, p7 = img[:, 2:, 2:], img[:, 2:, 1:-1], img[:, 2:, :-2]
            p8, p9 = img[:, 1:-1, :-2], img[:, :-2, :-2]
            ring = [p2, p3, p4, p5, p6, p7, p8, p9, p2]
            neighbours = sum(ring[:8])
            transitions = sum((ring[i] == 0) & (ring[i + 1] == 1) for i in range(8))
            if step == 0:
                keep = (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
            else:
                keep = (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
            remove = (img[:, 1:-1, 1:-1] == 1) & (neighbours >= 2) & (neighbours <= 6) & (transitions == 1) & keep
            if remove.any():
                img[:, 1:-1, 1:-1][remove] = 0
                changed = True
        if not changed:
            return img[:, 1:-1, 1:-1].astype(bool)


UPSAMPLE = 4  # skeletonise at 4x so strokes follow the pen, not the 28x28 pixel grid
_FORWARD = ((0, 1), (1, -1), (1, 0), (1, 1))  # each 8-neighbour pair once


def skeleton_strokes(images: np.ndarray, upsample: int = UPSAMPLE) -> list[list[np.ndarray]]:
    """White-on-black bitmaps (N, H, W) uint8 -> per image, its skeleton as 2-point strokes (x, y, y down)."""
    big = np.stack([cv2.resize(image, None, fx=upsample, fy=upsample, interpolation=cv2.INTER_CUBIC)
                    for image in images]) if len(images) else np.zeros((0, 1, 1), np.uint8)
    out = []
    for skeleton in thin(big > 127):
        height, width = skeleton.shape
        segments = []
        for dy, dx in _FORWARD:
            src = skeleton[: height - dy, max(0, -dx): width - max(0, dx)]
            dst = skeleton[dy:, max(0, dx): width - max(0, -dx) if dx < 0 else width]
            ys, xs = np.nonzero(src & dst)
            xs = xs + max(0, -dx)
            segments.append(np.stack([np.stack([xs, ys], -1), np.stack([xs + dx, ys + dy], -1)], 1))
        pairs = np.concatenate(segments).astype(np.float32)
        if not len(pairs):  # a lone dot, or nothing
            ys, xs = np.nonzero(skeleton)
            pairs = np.stack([np.stack([xs, ys], -1)] * 2, 1).astype(np.float32)
        out.append(list(pairs))
    return out


def skeleton_segments(digit: np.ndarray) -> np.ndarray:
    """Line segments (K, 2, 2) in pixel coordinates (x, y) along the skeleton of a 28x28 digit, at 4x."""
    return np.asarray(skeleton_strokes(digit[None])[0], np.float32)


def redraw_digit(digit: np.ndarray, style) -> np.ndarray:
    """A 28x28 uint8 bitmap (an MNIST digit) re-drawn along its skeleton as an RGBA sketchpad drawing."""
    from recognizer.strokes import render_strokes

    return render_strokes(skeleton_strokes(digit[None])[0], style)


def redraw_set(digits: np.ndarray, seed: int) -> list:
    """Each bitmap re-drawn in a random visitor style, seeded: [(RGBA drawing, Style), ...]."""
    from train.styles import random_style

    rng = np.random.default_rng(seed)
    out = []
    for digit in digits:
        style = random_style(rng)
        out.append((redraw_digit(digit, style), style))
    return out


def _tour(skeleton: np.ndarray, start: tuple[int, int], seen: np.ndarray) -> np.ndarray:
    """A walk over one connected skeleton from start, out along each branch and back (a depth-first tour of
    a spanning tree): consecutive points are neighbours, so drawn as one stroke it inks just the skeleton."""
    height, width = skeleton.shape
    walk, stack = [start], [start]
    seen[start] = True
    while stack:
        y, x = stack[-1]
        step = next(((y + dy, x + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                     if 0 <= y + dy < height and 0 <= x + dx < width and skeleton[y + dy, x + dx] and not seen[y + dy, x + dx]), None)
        if step is None:
            stack.pop()
            if stack:
                walk.append(stack[-1])
        else:
            seen[step] = True
            stack.append(step)
            walk.append(step)
    return np.array([(x, y) for y, x in walk], np.float32)


def pen_strokes(images: np.ndarray, upsample: int = 2) -> list[list[np.ndarray]]:
    """White-on-black bitmaps (N, H, W) uint8 -> per image, one pen stroke per connected part of its skeleton,
    left to right: a doodle as a visitor's pen might send it, stroke by stroke (x, y, y down)."""
    big = np.stack([cv2.resize(image, None, fx=upsample, fy=upsample, interpolation=cv2.INTER_CUBIC)
                    for image in images]) if len(images) else np.zeros((0, 1, 1), np.uint8)
    out = []
    for skeleton in thin(big > 127):
        seen = np.zeros_like(skeleton, bool)
        strokes = []
        for y, x in zip(*np.nonzero(skeleton.T)[::-1]):  # column by column: parts left to right
            if not seen[y, x]:
                strokes.append(_tour(skeleton, (int(y), int(x)), seen))
        out.append(strokes)
    return out
