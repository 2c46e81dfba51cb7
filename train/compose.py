"""Numbers and pieces of numbers made from pen digits' strokes: digits set side by side on a line, slid
together row by row to a chosen gap (apart, close, touching, overlapping), and the fragments a wrong cut
leaves (half a digit, two touching digits as one, a digit with a bit of its neighbour).

All strokes are (K, 2) x, y arrays with y down, in units of a digit's height: `drawn_inputs` and the
sketchpad renderer fit them onto a canvas. The gate's negatives and the numbers benchmark share this.
"""

import numpy as np

SCALE = (0.85, 1.15)  # each digit's height, as a share of the line's: people's digits vary this much
SHIFT = 0.075  # each digit moved up or down by up to this share of the height: an uneven baseline
ROWS, ROWS_SPAN = 64, 1.0  # bands per height in which neighbours are slid together; y from -1 to 1
# The gate's negatives: touching pairs overlap by 0 to this share of the narrower digit's width beyond
# the contact (Hochuli et al. 2018 slide pairs together until they touch); a cut keeps 30-70% of a digit;
# a neighbour's bit is a band of its ink this wide, in digit heights, next to the digit.
PAIR_OVERLAP = 0.3
HALF_CUT = (0.3, 0.7)
NEIGHBOUR_BAND = (0.15, 0.5)


def normalised(strokes) -> list[np.ndarray]:
    """Strokes with height 1, left edge at 0, vertical middle at 0 (a flat digit: width 2)."""
    points = np.concatenate(strokes).astype(np.float64)
    lo, hi = points.min(axis=0), points.max(axis=0)
    height = max(hi[1] - lo[1], (hi[0] - lo[0]) / 2, 1e-6)
    return [(np.asarray(s, np.float64) - [lo[0], (lo[1] + hi[1]) / 2]) / height for s in strokes]


def row_extents(strokes, rows: int = int(2 * ROWS_SPAN * ROWS)) -> tuple[np.ndarray, np.ndarray]:
    """Leftmost and rightmost x of the strokes' centre lines in each of `rows` bands of height 1/ROWS,
    from y = -ROWS_SPAN: the ink a neighbour could touch, row by row (inf / -inf where none)."""
    left, right = np.full(rows, np.inf), np.full(rows, -np.inf)
    for stroke in strokes:
        ends = np.asarray(stroke, np.float64)
        lengths = np.hypot(*np.diff(ends, axis=0).T) if len(ends) > 1 else np.zeros(0)
        points = [ends[:1]] + [np.linspace(a, b, max(2, int(n * ROWS) + 2)) for a, b, n in zip(ends, ends[1:], lengths)]
        points = np.concatenate(points)
        index = np.clip(((points[:, 1] + ROWS_SPAN) * ROWS).astype(int), 0, rows - 1)
        np.minimum.at(left, index, points[:, 0])
        np.maximum.at(right, index, points[:, 0])
    return left, right


def width_of(strokes) -> float:
    """Width of strokes' centre lines."""
    return float(np.ptp(np.concatenate(strokes)[:, 0]))


def place(digits, gaps, rng: np.random.Generator, max_intrusion: float | None = None) -> tuple[list, list[int]]:
    """Digits' strokes left to right on one uneven line, and the digit each stroke belongs to.

    gaps[k] is the closest distance, row by row, between the centre lines of digit k+1 and the digits
    before it, in digit heights: negative overlaps. max_intrusion, if given, caps how far a digit's box
    reaches into the boxes before it (so that a digit may tuck under a bar but stands beside it).
    """
    strokes, owners = [], []
    reach = np.full(int(2 * ROWS_SPAN * ROWS), -np.inf)  # rightmost centre line so far, row by row
    for k, digit in enumerate(digits):
        scale, shift = rng.uniform(*SCALE), rng.uniform(-SHIFT, SHIFT)
        placed = [s * scale + [0, shift] for s in normalised(digit)]
        if k:
            start, _ = row_extents(placed)
            closest = np.min(start - reach)
            x = gaps[k - 1] - closest if np.isfinite(closest) else reach.max() + gaps[k - 1]
            if max_intrusion is not None:
                x = max(x, reach.max() - max_intrusion)
            placed = [s + [x, 0] for s in placed]
        strokes += placed
        owners += [k] * len(placed)
        reach = np.maximum(reach, row_extents(placed)[1])
    return strokes, owners


def clip_strokes(strokes, axis: int, low: float, high: float) -> list[np.ndarray]:
    """The pieces of strokes whose coordinate `axis` lies in [low, high], cut where they cross the bounds."""
    pieces = []
    for stroke in strokes:
        stroke = np.asarray(stroke, np.float64)
        if len(stroke) == 1:
            if low <= stroke[0, axis] <= high:
                pieces.append(stroke)
            continue
        run = []
        for a, b in zip(stroke, stroke[1:]):
            t = np.array([0.0, 1.0])
            d = b[axis] - a[axis]
            if d == 0:
                inside = low <= a[axis] <= high
            else:  # the part of the segment a-b inside the band, as t in [0, 1]
                t0, t1 = sorted(((low - a[axis]) / d, (high - a[axis]) / d))
                t = np.array([max(0.0, t0), min(1.0, t1)])
                inside = t[0] < t[1]
            if not inside:
                if len(run) > 1:
                    pieces.append(np.array(run))
                run = []
                continue
            p, q = a + t[0] * (b - a), a + t[1] * (b - a)
            if not run or not np.allclose(run[-1], p):
                if len(run) > 1:
                    pieces.append(np.array(run))
                run = [p]
            run.append(q)
        if len(run) > 1:
            pieces.append(np.array(run))
    return pieces


def ink_length(strokes) -> float:
    """Total length of strokes' centre lines."""
    return float(sum(np.hypot(*np.diff(np.asarray(s), axis=0).T).sum() for s in strokes if len(s) > 1))


def half(strokes, rng: np.random.Generator) -> list[np.ndarray]:
    """One side of a digit cut across at 30-70% of its width (mostly) or height: what a wrong cut leaves."""
    strokes = normalised(strokes)
    axis = 0 if rng.random() < 0.75 else 1  # a number's cuts run top to bottom; some digits stack
    points = np.concatenate(strokes)[:, axis]
    lo, hi = points.min(), points.max()
    at = lo + rng.uniform(*HALF_CUT) * (hi - lo)
    return clip_strokes(strokes, axis, lo, at) if rng.random() < 0.5 else clip_strokes(strokes, axis, at, hi)


def touching_pair(first, second, rng: np.random.Generator) -> list[np.ndarray]:
    """Two digits slid together until they touch, then overlapped by 0-PAIR_OVERLAP of the narrower's width."""
    narrower = min(width_of(normalised(first)), width_of(normalised(second)))
    strokes, _ = place([first, second], [-rng.uniform(0, PAIR_OVERLAP) * narrower], rng)
    return strokes


def with_neighbour_bit(digit, neighbour, rng: np.random.Generator) -> list[np.ndarray]:
    """A digit and the band of a touching neighbour's ink nearest to it (on its left or right)."""
    left = rng.random() < 0.5  # whether the neighbour stands on the left
    pair = [neighbour, digit] if left else [digit, neighbour]
    narrower = min(width_of(normalised(digit)), width_of(normalised(neighbour)))
    strokes, owners = place(pair, [-rng.uniform(0, PAIR_OVERLAP) * narrower], rng)
    owners = np.array(owners)
    own = [s for s, o in zip(strokes, owners) if o == int(left)]
    theirs = [s for s, o in zip(strokes, owners) if o != int(left)]
    points = np.concatenate(theirs)[:, 0]
    band = rng.uniform(*NEIGHBOUR_BAND)
    bit = clip_strokes(theirs, 0, points.max() - band, np.inf) if left else clip_strokes(theirs, 0, -np.inf, points.min() + band)
    return own + bit


FRAGMENT_KINDS = ("halves", "pairs", "neighbour_bits")


def fragments(digits, writers, kind: str, count: int, seed: int) -> list[list[np.ndarray]]:
    """count fragments of one kind (FRAGMENT_KINDS) made from these digits' strokes, pairs by one writer.

    digits: list of strokes; writers: each digit's writer. Fragments with too little ink (a cut that
    keeps a speck) are drawn again.
    """
    if kind not in FRAGMENT_KINDS:
        raise ValueError(f"kind must be one of {FRAGMENT_KINDS}, not {kind!r}")
    rng = np.random.default_rng(seed)
    writers = np.asarray(writers)
    out = []
    while len(out) < count:
        i = int(rng.integers(len(digits)))
        j = int(rng.choice(np.flatnonzero(writers == writers[i])))
        if kind == "halves":
            strokes = half(digits[i], rng)
        elif kind == "pairs":
            strokes = touching_pair(digits[i], digits[j], rng)
        else:
            strokes = with_neighbour_bit(digits[i], digits[j], rng)
        if strokes and ink_length(strokes) > 0.3:  # a digit's centre line is about 2-4 heights long
            out.append(strokes)
    return out


# Numbers as people space their digits: the closest distance between neighbours' centre lines, in digit
# heights, given the brush width b (so that inks are apart, close, touch lightly or overlap a little).
SPACINGS = {
    "apart": lambda b, rng: b + rng.uniform(0.15, 0.4),
    "close": lambda b, rng: b + rng.uniform(0.02, 0.1),
    "touching": lambda b, rng: b * rng.uniform(0.3, 0.9),  # inks overlap by less than a brush width
    "overlapping": lambda b, rng: -rng.uniform(0.0, 0.1),  # centre lines cross a little
}
MAX_INTRUSION = 0.1  # a digit's box reaches at most this far into the one before, but for overlapping ones
MAX_BRUSH = 0.2  # brush width over digit height: the thickest single-digit visitors draw (7% on 35%)


def compose_number(digits, spacing: str, brush: float, rng: np.random.Generator) -> tuple[list, list[int]]:
    """Digits' strokes as a number spaced one way (SPACINGS), on an uneven baseline; and each stroke's digit."""
    gaps = [SPACINGS[spacing](brush, rng) for _ in digits[1:]]
    return place(digits, gaps, rng, None if spacing == "overlapping" else MAX_INTRUSION)


def brush_ratio(rng: np.random.Generator) -> float:
    """A visitor's brush width over their digit's height, as single-digit visitors draw it."""
    from train.styles import random_style

    style = random_style(rng)
    return min(style.stroke / style.size, MAX_BRUSH)


def visitor_style(strokes, aspect: float, brush: float, rng: np.random.Generator):
    """A random visitor style for the drawing of digits 1 high, its brush `brush` digit heights wide."""
    from dataclasses import replace

    from train.styles import random_style

    points = np.concatenate(strokes)
    width, height = np.ptp(points, axis=0)
    style = random_style(rng, aspect, (width, height))
    digit_height = style.size / max(height, width / aspect)  # a digit is 1 high: share of the canvas
    return replace(style, stroke=brush * digit_height)


def draw_number(strokes, owners, style) -> tuple[np.ndarray, list[np.ndarray]]:
    """The RGBA drawing, and each digit's ink drawn alone on the same canvas."""
    from recognizer.strokes import brush_px, draw_alpha, fit_strokes, render_strokes

    fitted = fit_strokes(strokes, style)
    owners = np.array(owners)
    alone = [draw_alpha([fitted[i] for i in np.flatnonzero(owners == k)], (style.canvas, style.width),
                        brush_px(style)) for k in range(owners.max() + 1)]
    return render_strokes(strokes, style), alone


def touching(alone: list[np.ndarray]) -> bool:
    """Whether any neighbours' ink touches (inks drawn alone on one canvas)."""
    from recognizer.preprocess import INK_LEVEL

    ink = round(255 * INK_LEVEL)
    return any(((a >= ink) & (b >= ink)).any() for a, b in zip(alone, alone[1:]))


def write_late(strokes: list, owners: list, rng: np.random.Generator) -> tuple[list, list, bool]:
    """The strokes in writing order, one digit's last stroke moved after the next digit's (when a digit
    before the last has two strokes or more); and whether one was."""
    owners = list(owners)
    late = [k for k in range(max(owners)) if owners.count(k) >= 2]
    if not late:
        return strokes, owners, False
    digit = int(rng.choice(late))
    moved = max(i for i, o in enumerate(owners) if o == digit)
    after = max(i for i, o in enumerate(owners) if o == digit + 1)
    order = [i for i in range(len(strokes)) if i != moved]
    order.insert(order.index(after) + 1, moved)
    return [strokes[i] for i in order], [owners[i] for i in order], True


def page_drawing(strokes, style):
    """Strokes (in writing order, any unit) as the page sends them: on the style's canvas, in px, with its brush."""
    from recognizer.stroke_input import Drawing
    from recognizer.strokes import brush_px, fit_strokes

    return Drawing(style.width, style.canvas, float(brush_px(style)), fit_strokes(strokes, style))
