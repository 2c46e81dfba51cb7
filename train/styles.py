"""How visitors draw: a random canvas, brush, size and place for each drawing, within the recipe's ranges.

Training draws its pen digits, Omniglot characters, doodles and pieces of numbers in these
styles; the benchmarks and tests draw the writers they measure the same way.
"""

import numpy as np

from recognizer.strokes import Style
from train.config import Styles

# Margins a drawing keeps from the canvas's edges, as shares of its width and height.
MARGIN_X, MARGIN_Y = 0.03, 0.04


def random_style(rng: np.random.Generator, aspect: float = 1.0, extent=(1.0, 1.0), styles: Styles | None = None) -> Style:
    """A style within the ranges (the recipe's by default), placed anywhere the drawing fits.

    extent is the drawing's (width, height) in any unit: only its ratio matters, for the placement.
    """
    styles = styles or Styles()
    size = rng.uniform(*styles.size)
    w, h = extent
    binding = max(h, w / aspect)  # the drawing's extent in canvas heights, before scaling
    half_w, half_h = size * w / binding / aspect / 2, size * h / binding / 2
    x = rng.uniform(half_w + MARGIN_X, max(half_w + MARGIN_X, 1 - half_w - MARGIN_X))
    y = rng.uniform(half_h + MARGIN_Y, max(half_h + MARGIN_Y, 1 - half_h - MARGIN_Y))
    return Style(canvas=int(rng.integers(styles.canvas[0], styles.canvas[1] + 1)), aspect=aspect,
                 stroke=rng.uniform(*styles.brush), size=size, x=x, y=y, transparent=bool(rng.integers(2)))
