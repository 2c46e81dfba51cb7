"""Calibrate the "not a digit" threshold: top confidence on held-out drawn digits vs scribbles.

    python -m benchmarks.calibrate_threshold [--n 1000]

Drawn digits are MNIST *test* digits re-drawn as sketchpad strokes (never training digits);
scribbles are random multi-stroke squiggles on the same canvases. For each threshold it
prints the share of real digits wrongly called "not a digit" and of scribbles let through.
"""

import argparse
from pathlib import Path

import cv2
import numpy as np

from benchmarks.drawings import random_style, redraw_set
from recognizer.predictor import UNSURE_BELOW, Predictor, load_model_file
from recognizer.preprocess import to_model_input
from train.data import load_idx_dir


def scribble(rng: np.random.Generator) -> np.ndarray:
    """A random squiggle of 2-4 strokes, drawn like a visitor would draw (RGBA, ink in alpha)."""
    style = random_style(rng)
    canvas = style.canvas
    alpha = np.zeros((canvas, canvas), np.uint8)
    for _ in range(rng.integers(2, 5)):
        points = rng.uniform(0.15, 0.85, (rng.integers(3, 9), 2)) * canvas
        cv2.polylines(alpha, [points.astype(np.int32)], False, 255, max(1, int(style.stroke * canvas)), cv2.LINE_AA)
    image = np.zeros((canvas, canvas, 4), np.uint8)
    image[..., 3] = alpha
    return image


def top_confidences(predictor: Predictor, images) -> np.ndarray:
    """The app's top confidence (test-time rotations included) for each non-blank image."""
    inputs = [to_model_input(image) for image in images]
    return np.array([max(predictor.predict_input(x).values()) for x in inputs if x is not None])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=Path("final_model.keras"), help="model file")
    p.add_argument("--data-dir", type=Path, default=Path("../shared/data/mnist"), help="MNIST IDX folder")
    p.add_argument("--n", type=int, default=1000, help="drawn digits and scribbles, each")
    p.add_argument("--seed", type=int, default=7, help="seed")
    args = p.parse_args(argv)
    predictor = Predictor(load_model_file(args.model))
    data = load_idx_dir(args.data_dir)
    pick = np.random.default_rng(args.seed).choice(len(data.x_test), args.n, replace=False)
    digits = top_confidences(predictor, [image for image, _ in redraw_set(data.x_test[pick], args.seed)])
    rng = np.random.default_rng(args.seed)
    scribbles = top_confidences(predictor, [scribble(rng) for _ in range(args.n)])
    print(f"{args.n} drawn test digits, {args.n} scribbles; the app uses {UNSURE_BELOW}")
    print("threshold  digits called 'not a digit'  scribbles let through")
    for threshold in (0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        print(f"{threshold:9.2f}  {(digits < threshold).mean():27.1%}  {(scribbles >= threshold).mean():21.1%}")


if __name__ == "__main__":
    main()
