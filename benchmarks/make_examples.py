"""Write the app's example gallery: digits of pen writers the model never saw, a number, and a doodle.

    python -m benchmarks.make_examples --data ../shared/data

Each file's name starts with what the app should read: digit_<d>_..., number_<n>_..., notdigit_...
"""

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from recognizer.strokes import Style, render_strokes
from train.pen_data import PENDIGITS_TEST, QUICKDRAW_FILE, read_quickdraw, read_unipen
from train.skeleton import redraw_digit as render

CANVAS, ASPECT = 360, 2.0  # the app's sketchpad: 720 x 360
WRITER = 1  # of the pen digits' test file: 14 writers nobody trained on
NUMBER = "2026"
DOODLE = ("octopus", 0)  # a kind the gate never trained on, and which of its drawings


def side_by_side(digits, gap: float = 0.3) -> list[np.ndarray]:
    """The strokes of several digits placed left to right at one height, as a person writes a number."""
    out, left = [], 0.0
    for strokes in digits:
        points = np.concatenate(strokes)
        lo, hi = points.min(axis=0), points.max(axis=0)
        scale = 1.0 / max(hi[1] - lo[1], 1e-6)
        out += [(s - lo) * scale + [left, 0.0] for s in strokes]
        left += (hi[0] - lo[0]) * scale + gap
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=Path("../shared/data"), help="folder with pendigits/ and quickdraw/")
    p.add_argument("--out", type=Path, default=Path("examples"), help="folder for the PNG files")
    args = p.parse_args(argv)
    pen = [d for d in read_unipen(args.data / "pendigits" / PENDIGITS_TEST) if d.writer == WRITER]
    first = {d: next(x for x in pen if x.label == d) for d in range(10)}
    rng = np.random.default_rng(0)
    args.out.mkdir(parents=True, exist_ok=True)

    def style(size: float) -> Style:
        return Style(canvas=CANVAS, aspect=ASPECT, stroke=rng.uniform(0.045, 0.06), size=size, transparent=False)

    def save(name: str, rgba: np.ndarray) -> None:
        Image.fromarray(rgba[..., :3]).save(args.out / f"{name}.png")

    for digit, sample in first.items():
        save(f"digit_{digit}_pen_writer{WRITER}", render_strokes(sample.strokes, style(rng.uniform(0.6, 0.75))))
    save(f"number_{NUMBER}_pen_writer{WRITER}",
         render_strokes(side_by_side([first[int(d)].strokes for d in NUMBER]), style(0.55)))
    doodles = read_quickdraw(args.data / "quickdraw" / QUICKDRAW_FILE)
    kind, index = DOODLE
    doodle = np.flatnonzero(doodles.labels == doodles.categories.index(kind))[index]
    save(f"notdigit_{kind}_quickdraw", render(doodles.images[doodle], style(0.7)))
    print(f"wrote 12 examples to {args.out}/")


if __name__ == "__main__":
    main()
