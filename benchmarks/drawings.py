"""Re-draw real MNIST digits as sketchpad drawings: skeletonise, then re-ink as strokes.

A visitor's drawing has one uniform stroke width, round ends, any size and any place on
a large canvas. This renders a real handwritten digit that way, at a chosen canvas size,
stroke width, digit size and position, as a transparent-RGBA or a white-background image.
"""

import numpy as np

from recognizer.strokes import Style, random_style, render_strokes
from train.skeleton import skeleton_strokes

__all__ = ["Style", "random_style", "render", "redraw_set", "skeleton_segments"]


def skeleton_segments(digit: np.ndarray) -> np.ndarray:
    """Line segments (K, 2, 2) in pixel coordinates (x, y) along the skeleton of a 28x28 digit, at 4x."""
    return np.asarray(skeleton_strokes(digit[None])[0], np.float32)


def render(digit: np.ndarray, style: Style) -> np.ndarray:
    """Render a 28x28 uint8 MNIST digit as an RGBA uint8 drawing in the given style."""
    return render_strokes(skeleton_strokes(digit[None])[0], style)


def redraw_set(digits: np.ndarray, seed: int) -> list[tuple[np.ndarray, Style]]:
    """Render each digit in a random visitor style, seeded."""
    rng = np.random.default_rng(seed)
    out = []
    for digit in digits:
        style = random_style(rng)
        out.append((render(digit, style), style))
    return out
