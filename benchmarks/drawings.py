"""Re-draw real MNIST digits as sketchpad drawings: skeletonise, then re-ink as strokes.

A visitor's drawing has one uniform stroke width, round ends, any size and any place on
a large canvas. This renders a real handwritten digit that way, at a chosen canvas size,
stroke width, digit size and position, as a transparent-RGBA or a white-background image.
"""

import cv2
import numpy as np

from recognizer.strokes import Style, random_style, render_strokes
from train.skeleton import thin

__all__ = ["Style", "random_style", "render", "redraw_set", "skeleton_segments"]
UPSAMPLE = 4  # skeletonise at 112x112 so strokes follow the pen, not the 28x28 pixel grid
_NEIGHBOURS = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


def skeleton_segments(digit: np.ndarray) -> np.ndarray:
    """Line segments (K, 2, 2) in [0, 1] coordinates along the skeleton of a 28x28 digit."""
    big = cv2.resize(digit, None, fx=UPSAMPLE, fy=UPSAMPLE, interpolation=cv2.INTER_CUBIC)
    skeleton = thin(big[None] > 127)[0]
    ys, xs = np.nonzero(skeleton)
    on = set(zip(ys.tolist(), xs.tolist()))
    segments = [((x, y), (x + dx, y + dy)) for y, x in on for dy, dx in _NEIGHBOURS
                if (y + dy, x + dx) in on and (dy, dx) > (0, 0)]
    if not segments:  # a single dot
        segments = [((x, y), (x, y)) for y, x in on]
    pts = np.asarray(segments, np.float32)
    lo, hi = pts.reshape(-1, 2).min(axis=0), pts.reshape(-1, 2).max(axis=0)
    return (pts - (lo + hi) / 2) / max(float((hi - lo).max()), 1.0)  # centred, longest side 1


def render(digit: np.ndarray, style: Style) -> np.ndarray:
    """Render a 28x28 uint8 MNIST digit as an RGBA uint8 drawing in the given style."""
    return render_strokes(list(skeleton_segments(digit)), style)


def redraw_set(digits: np.ndarray, seed: int) -> list[tuple[np.ndarray, Style]]:
    """Render each digit in a random visitor style, seeded."""
    rng = np.random.default_rng(seed)
    out = []
    for digit in digits:
        style = random_style(rng)
        out.append((render(digit, style), style))
    return out
