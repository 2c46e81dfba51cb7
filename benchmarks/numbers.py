"""Proxy for numbers visitors draw: 2-4 real digits side by side, split into digits and read left to right.

Two sources, neither seen in training: pen digits of the 14 unseen writers (pendigits-orig.tes, each
number by one writer) and MNIST test digits (re-drawn along their skeletons). A number places its
digits left to right in one stroke frame, each scaled to a common height times 0.85-1.15 and shifted
up or down by up to 7.5% of it (an uneven baseline). Each digit slides left towards the ones before,
row by row, until its ink is 5-40% of the height away from theirs or, for a third of the neighbours,
until the inks overlap by less than half the brush width (touching lightly); their boxes never
overlap by more than 10% of the height, so digits stand side by side (one may tuck under a bar).
The number is drawn as one sketchpad drawing in a random visitor style on a square (aspect 1) or
wide (aspect 2) canvas, with the brush as wide next to a digit as single-digit visitors draw it.

Each drawing is read as the app reads it (Predictor.read: ink_map -> split_digits -> each digit's ink
through ink_to_model_input -> one batched call of the digit model, with its test-time rotations, and
of the not-a-digit gate). "parts" is the share split into the right number of digits, "exact" the
share whose top label is exactly the number, "refused" the share read as "not a digit", "oracle" the share read exactly when each
digit is drawn alone on the same canvas: perfect splitting, what the model allows. "touching" rows
are numbers where some neighbours' inks touch. Lone digits: the share kept whole, and read right.
`--split train` draws training writers and digits instead, to tune the splitter on.

    python -m benchmarks.numbers --n 500
"""

import argparse
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from train.skeleton import skeleton_segments
from recognizer.contract import NOT_A_DIGIT, NUM_CLASSES, check_gate_io
from recognizer.predictor import Predictor, load_model_file
from recognizer.preprocess import INK_LEVEL, ink_map, ink_to_model_input
from recognizer.segment import split_digits
from recognizer.strokes import brush_px, draw_alpha, fit_strokes, random_style, render_strokes
from train.data import load_idx_dir
from train.pen_data import PENDIGITS_TEST, PENDIGITS_TRAIN, read_unipen

ASPECTS = {"square": 1.0, "wide": 2.0}
DIGITS = (2, 3, 4)
SCALE = (0.85, 1.15)  # of each digit's height
SHIFT = 0.075  # up or down, as a share of the height
GAP = (0.05, 0.4)  # white space between neighbours' inks, as a share of the height
# A third of the neighbours touch lightly: their centre lines come 0.5-1 brush widths close.
TOUCH_SHARE, TOUCH = 1 / 3, (0.5, 1.0)
MAX_INTRUSION = 0.1  # neighbours' boxes overlap by no more than this share of the height: side by side
MAX_BRUSH = 0.2  # brush width over digit height: the thickest single-digit visitors draw (7% on 35%)
ROWS, ROWS_SPAN = 64, 1.0  # bands per height, in which neighbours are slid together; y from -1 to 1
INK = round(255 * INK_LEVEL)


@dataclass(frozen=True)
class Source:
    """Digits of one source: their strokes (by index), labels and writers (all 0 for MNIST)."""

    name: str
    strokes: Callable[[int], list]
    labels: np.ndarray
    writers: np.ndarray

    def pick(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """Indices of count digits by one writer."""
        writer = rng.choice(self.writers)
        return rng.choice(np.flatnonzero(self.writers == writer), count)


def pen_source(path: Path) -> Source:
    """Pen digits of a UNIPEN file, as their writers wrote them."""
    digits = read_unipen(path)
    return Source("pen", lambda i: digits[i].strokes, np.array([d.label for d in digits]),
                  np.array([d.writer for d in digits]))


def mnist_source(images: np.ndarray, labels: np.ndarray) -> Source:
    """MNIST digits as strokes along their skeletons."""
    return Source("mnist", lambda i: list(skeleton_segments(images[i])), labels, np.zeros(len(labels), int))


def normalised(strokes) -> list[np.ndarray]:
    """Strokes with height 1, left edge at 0, vertical middle at 0 (a flat digit: width 2)."""
    points = np.concatenate(strokes).astype(np.float64)
    lo, hi = points.min(axis=0), points.max(axis=0)
    height = max(hi[1] - lo[1], (hi[0] - lo[0]) / 2, 1e-6)
    return [(np.asarray(s, np.float64) - [lo[0], (lo[1] + hi[1]) / 2]) / height for s in strokes]


def _row_extents(strokes, rows: int) -> tuple[np.ndarray, np.ndarray]:
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


def compose(digits, brush: float, rng: np.random.Generator) -> tuple[list, list[int]]:
    """Digits' strokes side by side in one frame, and the digit each stroke belongs to.

    brush is the brush width in digit heights: neighbours' inks are GAP apart or overlap by less
    than half a brush (touching lightly), measured row by row, so a digit may tuck under a bar.
    """
    rows = int(2 * ROWS_SPAN * ROWS)
    strokes, owners = [], []
    reach = np.full(rows, -np.inf)  # rightmost centre line so far, row by row
    for k, digit in enumerate(digits):
        scale, shift = rng.uniform(*SCALE), rng.uniform(-SHIFT, SHIFT)
        placed = [s * scale + [0, shift] for s in normalised(digit)]
        if k:
            apart = brush * rng.uniform(*TOUCH) if rng.random() < TOUCH_SHARE else brush + rng.uniform(*GAP)
            start, _ = _row_extents(placed, rows)
            closest = np.min(start - reach)
            x = max(apart - closest if np.isfinite(closest) else -np.inf, max(reach) - MAX_INTRUSION)
            placed = [s + [x, 0] for s in placed]
        strokes += placed
        owners += [k] * len(placed)
        reach = np.maximum(reach, _row_extents(placed, rows)[1])
    return strokes, owners


def brush_ratio(rng: np.random.Generator) -> float:
    """A visitor's brush width over their digit's height, as single-digit visitors draw it."""
    style = random_style(rng)
    return min(style.stroke / style.size, MAX_BRUSH)


def visitor_style(strokes, aspect: float, brush: float, rng: np.random.Generator):
    """A random visitor style for the drawing, its brush `brush` digit heights wide."""
    points = np.concatenate(strokes)
    width, height = np.ptp(points, axis=0)
    style = random_style(rng, aspect, (width, height))
    digit_height = style.size / max(height, width / aspect)  # a digit is 1 high: share of the canvas
    return replace(style, stroke=brush * digit_height)


def draw(strokes, owners, style) -> tuple[np.ndarray, list[np.ndarray]]:
    """The RGBA drawing, and each digit's ink drawn alone on the same canvas."""
    fitted = fit_strokes(strokes, style)
    owners = np.array(owners)
    alone = [draw_alpha([fitted[i] for i in np.flatnonzero(owners == k)], (style.canvas, style.width),
                        brush_px(style)) for k in range(owners.max() + 1)]
    return render_strokes(strokes, style), alone


def touching(alone: list[np.ndarray]) -> bool:
    """Whether any neighbours' ink touches."""
    return any(((a >= INK) & (b >= INK)).any() for a, b in zip(alone, alone[1:]))


def digit_probabilities(predictor: Predictor, inks) -> np.ndarray:
    """(N, 10) probabilities of each ink map read as one digit, all in one batched model call; zeros if blank."""
    inputs = [ink_to_model_input(ink) for ink in inks]
    present = [i for i, x in enumerate(inputs) if x is not None]
    out = np.zeros((len(inputs), NUM_CLASSES))
    if present:
        out[present] = predictor.read_inputs([inputs[i] for i in present])[0]
    return out


def read(predictor: Predictor, inks) -> str:
    """The digits the model reads, each ink map through the shared preprocessing; "?" if none or one is blank."""
    probabilities = digit_probabilities(predictor, inks)
    if len(probabilities) == 0 or (probabilities.max(axis=1) == 0).any():
        return "?"
    return "".join(str(d) for d in probabilities.argmax(axis=1))


def measure(predictor: Predictor, source: Source, count: int, aspect: float, rng) -> dict:
    """Draw one number of count digits, split and read it: what went right, and the split's time."""
    picks = source.pick(rng, count)
    brush = brush_ratio(rng)
    strokes, owners = compose([source.strokes(i) for i in picks], brush, rng)
    drawing, alone = draw(strokes, owners, visitor_style(strokes, aspect, brush, rng))
    ink = ink_map(drawing)
    start = time.perf_counter()
    digits = split_digits(ink)
    seconds = time.perf_counter() - start
    label = "".join(str(source.labels[i]) for i in picks)
    reading = predictor.read(drawing).label  # what the app says: split, read, and the not-a-digit gate
    return {"parts": len(digits) == count, "exact": reading == label, "refused": reading == NOT_A_DIGIT,
            "oracle": read(predictor, alone) == label, "touching": touching(alone), "ms": 1e3 * seconds}


def run_numbers(predictor: Predictor, sources, n: int, rng) -> list[dict]:
    """n numbers of 2-4 digits per source and canvas, measured."""
    records = []
    for source in sources:
        for canvas, aspect in ASPECTS.items():
            for count in rng.choice(DIGITS, n):
                record = measure(predictor, source, int(count), aspect, rng)
                records.append(dict(record, source=source.name, canvas=canvas, count=int(count)))
    return records


def run_lone(predictor: Predictor, sources, n: int, rng) -> list[dict]:
    """n lone digits per source, on square or wide canvases, measured."""
    records = []
    for source in sources:
        for canvas in rng.choice(list(ASPECTS), n):
            record = measure(predictor, source, 1, ASPECTS[canvas], rng)
            records.append(dict(record, source=source.name, canvas=str(canvas), count=1))
    return records


KEYS = ("parts", "exact", "refused", "oracle")


def row(name: str, records: list[dict], keys=KEYS) -> str:
    """A table row: the records' count and each key's share of true."""
    shares = "".join(f" {np.mean([r[k] for r in records]):>8.2%}" for k in keys)
    return f"{name:18s} {len(records):6d}{shares}"


def header(name: str, keys=KEYS) -> str:
    """The table's header, for row."""
    return f"{name:18s} {'n':>6s}" + "".join(f" {k:>8s}" for k in keys)


def report(numbers: list[dict], lone: list[dict]) -> None:
    """Print the shares per source and canvas, digit count, touching or not, and for lone digits."""
    print("\n" + header("numbers"))
    print(row("all", numbers))
    sources = sorted({r["source"] for r in numbers})
    for source in sources:
        for canvas in ASPECTS:
            print(row(f"{source} {canvas}", [r for r in numbers if r["source"] == source and r["canvas"] == canvas]))
    for count in DIGITS:
        print(row(f"{count} digits", [r for r in numbers if r["count"] == count]))
    for source in sources:
        for flag, name in ((True, "touching"), (False, "apart")):
            print(row(f"{source} {name}", [r for r in numbers if r["source"] == source and r["touching"] == flag]))
    print("\n" + header("lone digits"))
    for source in sorted({r["source"] for r in lone}):
        print(row(source, [r for r in lone if r["source"] == source]))
    ms = [r["ms"] for r in numbers + lone]
    print(f"\nsplit_digits: median {np.median(ms):.2f} ms, 95th percentile {np.percentile(ms, 95):.2f} ms "
          f"per drawing ({len(ms)} drawings, {os.cpu_count()} cores)")


def main(argv=None) -> None:
    """Compose, split and read the numbers; print the figures."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=Path("final_model.keras"), help="model file that reads the digits")
    p.add_argument("--gate", type=Path, default=Path("not_digit_gate.keras"), help="not-a-digit gate ('' for none)")
    p.add_argument("--data-dir", type=Path, default=Path("../shared/data"),
                   help="folder holding mnist/ (IDX files) and pendigits/ (UNIPEN files)")
    p.add_argument("--n", type=int, default=500, help="numbers per source and canvas, and lone digits per source")
    p.add_argument("--seed", type=int, default=1, help="seed for the digits, their placement and the styles")
    p.add_argument("--split", choices=("test", "train"), default="test",
                   help="test: unseen writers and MNIST test digits; train: training ones, to tune on")
    args = p.parse_args(argv)

    mnist = load_idx_dir(args.data_dir / "mnist")
    images, labels = (mnist.x_test, mnist.y_test) if args.split == "test" else (mnist.x_train, mnist.y_train)
    pen_file = PENDIGITS_TEST if args.split == "test" else PENDIGITS_TRAIN
    sources = [pen_source(args.data_dir / "pendigits" / pen_file), mnist_source(images, labels)]
    gate = load_model_file(args.gate, check=check_gate_io) if str(args.gate) else None
    predictor = Predictor(load_model_file(args.model), str(args.model), gate=gate)
    rng = np.random.default_rng(args.seed)
    numbers = run_numbers(predictor, sources, args.n, rng)
    lone = run_lone(predictor, sources, args.n, rng)
    print(f"model {args.model}, {args.split} split, seed {args.seed}: {len(numbers)} numbers of {DIGITS[0]}-"
          f"{DIGITS[-1]} digits ({args.n} per source and canvas) and {len(lone)} lone digits")
    report(numbers, lone)


if __name__ == "__main__":
    main()
