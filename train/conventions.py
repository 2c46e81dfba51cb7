"""Writing conventions that our pen writers rarely use, made by editing their own pen trajectories.

Many people slash or bar their zeros, cross their sevens, give a 1 a flag and a base (or a curved
foot), lift a 5's top bar off its body, draw a 4 open and a 9 with a straight stem. The
UCI training writers seldom do; so each convention is drawn into a writer's own digit: the
writer's strokes stay theirs, the convention's strokes are placed by the digit's own geometry.
Strokes are (K, 2) float arrays, x right and y down, in any unit.
"""

from typing import Callable

import numpy as np


def _box(strokes) -> tuple[float, float, float, float]:
    points = np.concatenate(strokes)
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    return float(x0), float(y0), float(max(x1 - x0, 1e-6)), float(max(y1 - y0, 1e-6))


def _line(start, end, rng: np.random.Generator, points: int = 12) -> np.ndarray:
    """A pen line from start to end, slightly bowed as a hand draws it."""
    start, end = np.asarray(start, np.float32), np.asarray(end, np.float32)
    t = np.linspace(0, 1, points, dtype=np.float32)[:, None]
    normal = np.array([-(end - start)[1], (end - start)[0]], np.float32)
    bow = rng.uniform(-0.06, 0.06) * np.sin(np.pi * t)
    return start + t * (end - start) + bow * normal


def _top_down(stroke: np.ndarray) -> np.ndarray:
    """The stroke oriented to start at its upper end."""
    return stroke if stroke[0, 1] <= stroke[-1, 1] else stroke[::-1]


def slashed_zero(strokes, rng):
    """A narrowed 0 with a steep slash through its top and bottom, within or beyond the loop (either way)."""
    x0, y0, w, h = _box(strokes)
    centre = x0 + w / 2
    narrow = rng.uniform(0.45, 1.0) if w > 0.5 * h else 1.0  # writers who slash draw narrow zeros
    zero = [np.column_stack([centre + (s[:, 0] - centre) * narrow, s[:, 1]]) for s in strokes]
    # Steeper than 45 degrees; most lean forwards (/), some backwards.
    half_lean = rng.uniform(0.1, 0.45) * min(w * narrow, h) * (1 if rng.random() < 0.7 else -1)
    # Each end within the loop or beyond it, at least one beyond: inside at both ends it reads as a b or a 6.
    over_top, over_bottom = np.maximum(rng.uniform(-0.05, 0.3, size=2), [0, 0.05][::rng.choice([-1, 1])]) * h
    top = (centre + half_lean, y0 - over_top)
    bottom = (centre - half_lean, y0 + h + over_bottom)
    slash = _line(top, bottom, rng) if rng.random() < 0.7 else _line(bottom, top, rng)
    return zero + [slash]


def barred_zero(strokes, rng):
    """A narrowed 0 with a bar across its middle (a theta), within or beyond the loop."""
    x0, y0, w, h = _box(strokes)
    narrow = rng.uniform(0.5, 1.0) if w > 0.5 * h else 1.0
    strokes = [np.column_stack([x0 + w / 2 + (s[:, 0] - x0 - w / 2) * narrow, s[:, 1]]) for s in strokes]
    x0, w = x0 + w * (1 - narrow) / 2, w * narrow
    y = y0 + rng.uniform(0.4, 0.6) * h
    reach = rng.uniform(-0.05, 0.4, size=2) * w
    tilt = rng.uniform(-0.25, 0.25) * w
    return list(strokes) + [_line((x0 - reach[0], y + tilt), (x0 + w + reach[1], y - tilt), rng)]


def _crossings(strokes, y: float) -> list[float]:
    """x of every place the strokes cross the horizontal line at height y."""
    xs = []
    for s in strokes:
        a, b = s[:-1], s[1:]
        hit = (a[:, 1] - y) * (b[:, 1] - y) <= 0
        for (xa, ya), (xb, yb) in zip(a[hit], b[hit]):
            xs.append(xa if ya == yb else xa + (y - ya) * (xb - xa) / (yb - ya))
    return xs


def _main_stroke(strokes) -> int:
    return int(np.argmax([np.ptp(s[:, 1]) for s in strokes]))


def crossed_seven(strokes, rng):
    """A 7 with a short bar across its stem at about mid height."""
    x0, y0, w, h = _box(strokes)
    y = y0 + rng.uniform(0.45, 0.65) * h
    xs = _crossings([strokes[_main_stroke(strokes)]], y)  # the stem's, not a bar the writer drew already
    if not xs:
        return None
    stem = float(np.median(xs))
    half = rng.uniform(0.18, 0.35) * max(w, 0.6 * h)
    shift, tilt = rng.uniform(-0.3, 0.3) * half, rng.uniform(-0.15, 0.15) * half
    return list(strokes) + [_line((stem - half + shift, y + tilt), (stem + half + shift, y - tilt), rng)]


def flagged_one(strokes, rng):
    """A 1 with a flag down-left from its top (drawn in the same stroke) and, mostly, a base across its foot."""
    x0, y0, w, h = _box(strokes)
    i = _main_stroke(strokes)
    stem = _top_down(strokes[i])
    top = stem[0]
    # The flag leaves the top at an acute angle to the stem: near a right angle it would be a 7's bar.
    length, drop = rng.uniform(0.2, 0.45) * h, rng.uniform(0.5, 1.0)
    flag = _line(top + np.array([-length, length * drop], np.float32), top, rng, 6)[:-1]
    out = [s for j, s in enumerate(strokes) if j != i] + [np.concatenate([flag, stem])]
    if rng.random() < 0.75:
        foot = stem[-1]
        half = rng.uniform(0.2, 0.4) * h
        left, right = foot + np.array([-half, 0], np.float32), foot + np.array([half, 0], np.float32)
        out.append(_line(left, right, rng, 8) + np.array([0, rng.uniform(-0.03, 0.03) * h], np.float32))
    return out


def footed_one(strokes, rng):
    """A 1 whose stem ends in a foot curving up to the right (an l)."""
    x0, y0, w, h = _box(strokes)
    i = _main_stroke(strokes)
    stem = _top_down(strokes[i])
    radius = rng.uniform(0.1, 0.22) * h
    angles = np.linspace(np.pi, np.pi * rng.uniform(1.5, 1.8), 8)[1:]
    centre = stem[-1] + np.array([radius, 0], np.float32)
    # y down: the curve goes below the end, then right and up
    foot = centre + radius * np.column_stack([np.cos(angles), -np.sin(angles)]).astype(np.float32)
    return [s for j, s in enumerate(strokes) if j != i] + [np.concatenate([stem, foot])]


def _five_bar(strokes):
    """(index of the stroke holding the bar, bar's start index, end index) of a 5, or None."""
    x0, y0, w, h = _box(strokes)
    if len(strokes) > 1:  # the bar drawn on its own: the stroke highest on the page
        i = int(np.argmin([s[:, 1].mean() for s in strokes]))
        return (i, 0, len(strokes[i])) if np.ptp(strokes[i][:, 0]) > 1.5 * np.ptp(strokes[i][:, 1]) else None
    s = strokes[0]
    if s[0, 1] > y0 + 0.25 * h:  # one stroke that does not start at the top: no bar to lift
        return None
    down = np.flatnonzero(s[:, 1] > s[0, 1] + 0.25 * h)
    if not len(down):
        return None
    corner = int(np.argmin(s[: down[0] + 1, 0]))  # the bar runs right to left into the stem
    return (0, 0, corner + 1) if s[0, 0] - s[corner, 0] > 0.25 * w else None


def lifted_five(strokes, rng):
    """A 5 whose top bar is a stroke of its own, lifted off the body with a gap."""
    found = _five_bar(strokes)
    if found is None:
        return None
    x0, y0, w, h = _box(strokes)
    i, start, end = found
    s = strokes[i]
    bar, body = s[start:end], s[end - 1:] if end < len(s) else None
    if body is not None and len(body) < 3:
        return None
    gap = np.array([rng.uniform(0.0, 0.25) * w, -rng.uniform(0.08, 0.25) * h], np.float32)
    out = [t for j, t in enumerate(strokes) if j != i] + ([body[1:]] if body is not None else [])
    return out + [bar + gap]


def _four_leg(strokes):
    """(first stroke, index of its lower-left corner) of a 4 whose first stroke goes down a leg and then right; or None."""
    first = strokes[0]
    x, y = first[:, 0], first[:, 1]
    x0, y0, w, h = _box(strokes)
    corner = int(np.argmax((y - y0) / h - (x - x0) / w))
    if corner < 2 or y[corner] < y0 + 0.4 * h or y[0] > y[corner] - 0.25 * h or x[corner:].max() - x[corner] < 0.3 * w:
        return None  # no leg down into a corner, or no arm to its right: a stem drawn first
    return first, corner


def open_four(strokes, rng):
    """A 4 whose first leg goes straight down, apart from the stem: open at the top."""
    found = _four_leg(strokes)
    if found is None:
        return None
    first, corner = found
    leg = first[: corner + 1].copy()
    lean = rng.uniform(-0.25, 0.05)
    leg[:, 0] = first[corner, 0] + (first[corner, 1] - leg[:, 1]) * lean
    return [np.concatenate([leg, first[corner + 1:]])] + list(strokes[1:])


def straight_nine(strokes, rng):
    """A 9 whose stem runs straight down from its loop, without a hook."""
    x0, y0, w, h = _box(strokes)
    i = int(np.argmax([s[:, 1].max() for s in strokes]))
    s = strokes[i] if strokes[i][-1, 1] >= strokes[i][0, 1] else strokes[i][::-1]
    above = np.flatnonzero(s[:, 1] < y0 + 0.5 * h)
    if not len(above) or above[-1] >= len(s) - 2:
        return None
    j = int(above[-1])
    end = (s[j, 0] + rng.uniform(-0.12, 0.08) * h, y0 + h)
    stem = _line(s[j], end, rng, len(s) - j)
    return [t for k, t in enumerate(strokes) if k != i] + [np.concatenate([s[:j], stem])]


# The conventions of each digit, with their names (as the benchmark reports them) and weights.
CONVENTIONS: dict[int, list[tuple[str, Callable, float]]] = {
    0: [("slashed 0", slashed_zero, 0.75), ("barred 0", barred_zero, 0.25)],
    1: [("flagged 1", flagged_one, 0.7), ("footed 1", footed_one, 0.3)],
    4: [("open 4", open_four, 1.0)],  # closed 4s: the training writers draw plenty
    5: [("lifted-bar 5", lifted_five, 1.0)],
    7: [("crossed 7", crossed_seven, 1.0)],
    9: [("straight-stem 9", straight_nine, 1.0)],
}
NAMES = [name for options in CONVENTIONS.values() for name, _, _ in options]


def draw_convention(strokes, label: int, rng: np.random.Generator, name: str | None = None):
    """(strokes in one of the label's conventions, its name), or None where the digit has none or it does not fit.

    name picks the convention; else one is drawn by weight.
    """
    options = CONVENTIONS.get(label, [])
    if name is not None:
        options = [o for o in options if o[0] == name]
    if not options:
        return None
    weights = np.array([o[2] for o in options])
    chosen, make, _ = options[rng.choice(len(options), p=weights / weights.sum())]
    strokes = [np.asarray(s, np.float32) for s in strokes]
    made = make(strokes, rng)
    return None if made is None else ([np.asarray(s, np.float32) for s in made], chosen)


def with_conventions(digits, share: float, seed: int) -> list:
    """Each (strokes, label) pair, a seeded share of those with a convention redrawn in one: strokes only."""
    rng = np.random.default_rng(seed)
    out = []
    for strokes, label in digits:
        made = draw_convention(strokes, int(label), rng) if rng.random() < share else None
        out.append(strokes if made is None else made[0])
    return out
