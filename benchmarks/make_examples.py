"""Write the app's example gallery: real MNIST test digits drawn as sketchpad strokes.

    python -m benchmarks.make_examples --data-dir ../shared/data/mnist
"""

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.drawings import Style, render
from train.data import load_idx_dir

PER_DIGIT = {d: 1 for d in range(10)} | {1: 2, 7: 2}  # two of the digits most often confused
CANVAS = 400


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, default=Path("../shared/data/mnist"), help="MNIST IDX folder")
    p.add_argument("--out", type=Path, default=Path("examples"), help="folder for the PNG files")
    args = p.parse_args(argv)
    data = load_idx_dir(args.data_dir)
    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for digit, count in PER_DIGIT.items():
        for k, index in enumerate(np.flatnonzero(data.y_test == digit)[:count]):
            style = Style(canvas=CANVAS, stroke=rng.uniform(0.035, 0.06), size=rng.uniform(0.55, 0.75),
                          x=0.5, y=0.5, transparent=False)
            rgba = render(data.x_test[index], style)
            Image.fromarray(rgba[..., :3]).save(args.out / f"digit_{digit}_{k + 1}_mnist_test_{index}.png")
    print(f"wrote {sum(PER_DIGIT.values())} examples to {args.out}/")


if __name__ == "__main__":
    main()
