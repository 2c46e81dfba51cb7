"""Pen strokes sent by the page or an API client -> the ink map the readers read, or a clear refusal.

A payload is `{"width", "height", "brush", "strokes": [[[x, y], ...], ...]}` in canvas pixels (y down),
as JSON text or already decoded. The ink is drawn by the shared stroke renderer (`recognizer/strokes.py`,
round brush), the same one that draws the strokes the models learned from.
"""

import json
import math
from dataclasses import dataclass
from numbers import Real

import numpy as np

from recognizer.strokes import draw_alpha

MAX_SIDE = 2000  # px: wider than any screen's canvas; bounds the ink map's memory and reading time
MAX_BRUSH = 200  # px
MAX_STROKES = 300
MAX_POINTS = 10_000  # all strokes together: the page keeps a point every 1.5 px, a digit takes a few hundred
MAX_TEXT = 1_000_000  # characters of JSON: the largest legal payload fits in about half of this
REACH = 2 * MAX_SIDE  # a point may lie off the canvas (a stroke that runs over its edge), not without bound


class InvalidStrokes(ValueError):
    """A stroke payload that cannot be drawn; the message says what is wrong with it."""


@dataclass(frozen=True)
class Drawing:
    """A validated payload: the canvas size and brush in px, each stroke a (K, 2) float array of x, y."""

    width: int
    height: int
    brush: float
    strokes: list

    @property
    def blank(self) -> bool:
        return not self.strokes


def _number(value, what: str, low: float, high: float) -> float:
    # bool is an int to Python, but `true` is no width
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InvalidStrokes(f"{what} must be a number, not {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise InvalidStrokes(f"{what} must be a finite number, not {value}")
    if not low <= value <= high:
        raise InvalidStrokes(f"{what} must be between {low:g} and {high:g}, not {value:g}")
    return value


def _stroke(points, index: int) -> np.ndarray:
    if not isinstance(points, (list, tuple)) or not points:
        raise InvalidStrokes(f"stroke {index} must be a non-empty list of [x, y] points")
    for point in points:
        if not isinstance(point, (list, tuple)) or len(point) != 2:
            raise InvalidStrokes(f"stroke {index}: each point must be [x, y], not {str(point)[:40]}")
        for value in point:
            _number(value, f"stroke {index}: a coordinate", -REACH, REACH)
    return np.asarray(points, np.float64)


def parse_strokes(payload) -> Drawing:
    """A payload (dict or JSON text) -> a Drawing; InvalidStrokes, with the reason, for anything else."""
    if isinstance(payload, (str, bytes)):
        if len(payload) > MAX_TEXT:
            raise InvalidStrokes(f"the payload is over {MAX_TEXT:,} characters")
        try:
            payload = json.loads(payload)
        except (ValueError, RecursionError) as e:  # bad JSON, bad UTF-8, absurd nesting
            raise InvalidStrokes(f"the payload is not JSON ({type(e).__name__})") from None
    if not isinstance(payload, dict) or not payload:
        raise InvalidStrokes('expected {"width", "height", "brush", "strokes": [[[x, y], ...], ...]}, '
                             f"not {str(payload)[:60]!r}")
    missing = [key for key in ("width", "height", "brush", "strokes") if key not in payload]
    if missing:
        raise InvalidStrokes(f"missing {', '.join(missing)}")
    width = round(_number(payload["width"], "width", 1, MAX_SIDE))
    height = round(_number(payload["height"], "height", 1, MAX_SIDE))
    brush = _number(payload["brush"], "brush", 1, MAX_BRUSH)
    strokes = payload["strokes"]
    if not isinstance(strokes, (list, tuple)):
        raise InvalidStrokes(f"strokes must be a list of strokes, not {type(strokes).__name__}")
    if len(strokes) > MAX_STROKES:
        raise InvalidStrokes(f"at most {MAX_STROKES} strokes, not {len(strokes)}")
    # Count before looking at each point: a huge payload is refused without walking it.
    points = sum(len(s) if isinstance(s, (list, tuple)) else 0 for s in strokes)
    if points > MAX_POINTS:
        raise InvalidStrokes(f"at most {MAX_POINTS:,} points in all, not {points:,}")
    return Drawing(width, height, brush, [_stroke(s, i) for i, s in enumerate(strokes)])


def draw_ink(drawing: Drawing) -> np.ndarray:
    """The drawing's ink map: uint8 (height, width), 255 where the round brush inked."""
    return draw_alpha(drawing.strokes, (drawing.height, drawing.width), max(1, round(drawing.brush)))


def strokes_ink(payload) -> np.ndarray:
    """A payload -> its ink map, or InvalidStrokes."""
    return draw_ink(parse_strokes(payload))
