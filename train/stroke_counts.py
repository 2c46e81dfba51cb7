"""How many strokes writers take for each digit: the table recognizer.stroke_segment.STROKE_COUNTS ships.

Counted on the training writers' pen digits (pendigits .tra) with the recipe's share of writing
conventions drawn in (train.conventions), as the digit reader learns them; a stroke inside another's
loop (a 0's slash or bar) is part of it, as the reader counts it; add-one smoothed, so that no count is
ruled out.

    python -m train.stroke_counts [--pen-data ../shared/data/pendigits]   # prints the table
"""

import argparse
from pathlib import Path

import numpy as np

from recognizer.contract import NUM_CLASSES
from recognizer.stroke_segment import MAX_RUN, inner_strokes, own_strokes
from recognizer.strokes import Style, brush_px, fit_strokes
from train.config import TrainConfig
from train.conventions import with_conventions
from train.pen_data import PENDIGITS_TRAIN, read_unipen


COUNTING_STYLE = Style(canvas=280, stroke=0.05, size=0.8)  # the digit drawn as a visitor draws it, to find its loops


def strokes_of_its_own(strokes) -> int:
    """How many strokes a digit takes, a stroke inside another's loop (a 0's slash) not counted."""
    fitted = fit_strokes([np.asarray(s, np.float64) for s in strokes], COUNTING_STYLE)
    return own_strokes(range(len(fitted)), inner_strokes(fitted, brush_px(COUNTING_STYLE)))


def stroke_counts(digits, share: float, seed: int) -> np.ndarray:
    """(10, MAX_RUN) P(a digit takes n strokes of its own | the digit), n = 1..MAX_RUN, of (strokes, label) pairs."""
    counts = np.ones((NUM_CLASSES, MAX_RUN))
    labels = [label for _, label in digits]
    for strokes, label in zip(with_conventions(digits, share, seed), labels):
        counts[int(label), min(strokes_of_its_own(strokes), MAX_RUN) - 1] += 1
    return counts / counts.sum(axis=1, keepdims=True)


def training_counts(pen_folder: Path, config: TrainConfig = TrainConfig()) -> np.ndarray:
    """The table of the recipe's training writers."""
    digits = read_unipen(Path(pen_folder) / PENDIGITS_TRAIN)
    return stroke_counts([(d.strokes, d.label) for d in digits], config.pen_conventions, config.seed)


def main(argv=None) -> None:
    """Print the table as recognizer.stroke_segment holds it."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pen-data", type=Path, default=Path("../shared/data/pendigits"), help="folder of pendigits-orig.tra")
    table = training_counts(p.parse_args(argv).pen_data)
    print("STROKE_COUNTS = np.array([")
    for row in table:
        print("    [" + ", ".join(f"{v:.4f}" for v in row) + "],")
    print("])")


if __name__ == "__main__":
    main()
