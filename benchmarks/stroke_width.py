"""Measure MNIST's stroke width the way the preprocessing does: the target it normalises to.

    python -m benchmarks.stroke_width [--n 5000]
"""

import argparse
from pathlib import Path

import cv2
import numpy as np

from recognizer.preprocess import TARGET_STROKE, WORK_SIDE, _bounding_box, _stroke_width
from train.data import load_idx_dir


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, default=Path("../shared/data/mnist"), help="MNIST IDX folder")
    p.add_argument("--n", type=int, default=5000, help="training digits to measure")
    args = p.parse_args(argv)
    widths = []
    for digit in load_idx_dir(args.data_dir).x_train[: args.n]:
        x, y, w, h = _bounding_box(digit, 64)
        scale = WORK_SIDE / max(w, h)
        work = cv2.resize(digit[y : y + h, x : x + w], (max(1, round(w * scale)), max(1, round(h * scale))),
                          interpolation=cv2.INTER_LINEAR)
        widths.append(_stroke_width((work >= 128).astype(np.uint8)))
    q = np.percentile(widths, [10, 25, 50, 75, 90])
    print(f"MNIST stroke width at {WORK_SIDE} px (digit's longest side), {args.n} training digits: "
          f"p10 {q[0]:.1f}, p25 {q[1]:.1f}, median {q[2]:.1f}, p75 {q[3]:.1f}, p90 {q[4]:.1f}; "
          f"the preprocessing targets {TARGET_STROKE}")


if __name__ == "__main__":
    main()
