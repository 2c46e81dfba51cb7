"""Re-draw real MNIST digits as sketchpad drawings: skeletonise, then re-ink as strokes.

A visitor's drawing has one uniform stroke width, round ends, any size and any place on
a large canvas. This renders a real handwritten digit that way, at a chosen canvas size,
stroke width, digit size and position, as a transparent-RGBA or a white-background image.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from train.skeleton import thin

UPSAMPLE = 4  # skeletonise at 112x112 so strokes follow the pen, not the 28x28 pixel grid
_NEIGHBOURS = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


@dataclass(frozen=True)
class Style:
    canvas: int = 600  # canvas side, px
    stroke: float = 0.04  # stroke width as a fraction of the canvas
    size: float = 0.6  # digit height (longest side) as a fraction of the canvas
    x: float = 0.5  # centre of the digit, as fractions of the canvas
    y: float = 0.5
    transparent: bool = True  # ink in alpha over a transparent background; else black on white


def random_style(rng: np.random.Generator) -> Style:
    """A style drawn from the ranges visitors use (canvas 400-800, stroke 2-7%, size 35-80%)."""
    size = rng.uniform(0.35, 0.8)
    margin = size / 2 + 0.04
    return Style(canvas=int(rng.integers(400, 801)), stroke=rng.uniform(0.02, 0.07), size=size,
                 x=rng.uniform(margin, 1 - margin), y=rng.uniform(margin, 1 - margin),
                 transparent=bool(rng.integers(2)))


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
    canvas = style.canvas
    width = max(1, round(style.stroke * canvas))
    inner = max(1.0, style.size * canvas - width)  # the stroke's round ends add to the size
    centre = np.array([style.x, style.y]) * canvas
    alpha = np.zeros((canvas, canvas), np.uint8)
    shift = 4  # cv2 sub-pixel bits
    for (p, q) in skeleton_segments(digit) * inner + centre:
        cv2.line(alpha, tuple((p * 2**shift).astype(int)), tuple((q * 2**shift).astype(int)),
                 255, width, cv2.LINE_AA, shift)
    image = np.zeros((canvas, canvas, 4), np.uint8)
    if style.transparent:
        # What lies under transparent pixels is arbitrary: fill it with noise so nobody relies on it.
        image[..., :3] = np.random.default_rng(canvas).integers(0, 256, (canvas, canvas, 3), np.uint8)
        image[alpha > 0, :3] = 20
        image[..., 3] = alpha
    else:
        image[..., :3] = (255 - alpha)[..., None]
        image[..., 3] = 255
    return image


def redraw_set(digits: np.ndarray, seed: int) -> list[tuple[np.ndarray, Style]]:
    """Render each digit in a random visitor style, seeded."""
    rng = np.random.default_rng(seed)
    out = []
    for digit in digits:
        style = random_style(rng)
        out.append((render(digit, style), style))
    return out
