"""Proxy for what visitors draw: MNIST *test* digits re-drawn as sketchpad strokes.

Each digit is skeletonised and re-inked at a random canvas size (400-800 px), stroke
width (2-7%), digit size (35-80%) and position, as transparent RGBA or on white, sent
as the sketchpad's composite or as its background. Never built from training digits.

Five sets: the test digits as written; "other hands": the same digits slanted and
elastically distorted, for writers unlike MNIST's; "narrow hands": the same digits
squeezed to 50-80% of their width; "writer strokes": test 0s, 1s and 7s with a slash, a
flag or base, a crossbar; "stray mark": the digits as written plus one click of the brush
elsewhere on the canvas. The middle three mimic what the training augmentation does
(the first two use its own generators), so they flatter a model trained with it: read
them as "does it cope at all", and the first set as the fair figure.

    python -m benchmarks.drawn_digits --model final_model.keras --n 3000
"""

import argparse
import os
from pathlib import Path

import cv2
import numpy as np

from benchmarks.drawings import redraw_set
from recognizer.contract import IMAGE_SIZE
from recognizer.predictor import Predictor, load_model_file
from recognizer.preprocess import ink_map, to_model_input
from train.augment import add_writer_strokes, elastic
from train.data import load_idx_dir

SETS = ("as written", "other hands", "narrow hands", "writer strokes", "stray mark")
# (name, preprocessing, test-time rotations?): each row adds one step; the last is the app.
PIPELINES = [
    ("plain resize to 28x28", lambda image: cv2.resize(ink_map(image), (IMAGE_SIZE, IMAGE_SIZE),
                                                       interpolation=cv2.INTER_AREA).astype(np.float32) / 255, False),
    ("MNIST recipe", lambda image: to_model_input(image, normalise_stroke=False), False),
    ("+ stroke normalisation", to_model_input, False),
    ("+ test-time rotations (the app)", to_model_input, True),
]


def sketchpad_values(drawings):
    """Alternate the two ways a sketchpad value carries the drawing."""
    for i, (image, _) in enumerate(drawings):
        yield {"background": None, "layers": [], "composite": image} if i % 2 == 0 else \
              {"background": image, "layers": [], "composite": None}


def evaluate(predictor: Predictor, drawings, labels, pipeline) -> tuple[float, np.ndarray]:
    """Top-1 accuracy and per-digit accuracy of one preprocessing pipeline, as the app predicts."""
    predicted = []
    for value in sketchpad_values(drawings):
        x = pipeline(value)
        probabilities = predictor.predict_input(np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32) if x is None else x)
        predicted.append(int(max(probabilities, key=probabilities.get)))
    predicted = np.array(predicted)
    per_digit = np.array([(predicted[labels == d] == d).mean() if (labels == d).any() else np.nan
                          for d in range(10)])
    return float((predicted == labels).mean()), per_digit


def _warp_each(digits: np.ndarray, maps) -> np.ndarray:
    """Each 28x28 digit through its own 2x3 affine map, bilinearly."""
    return np.stack([cv2.warpAffine(digit, np.float32(m), (IMAGE_SIZE, IMAGE_SIZE), flags=cv2.INTER_LINEAR)
                     for digit, m in zip(digits, maps)])


def other_hands(digits: np.ndarray, seed: int) -> np.ndarray:
    """Test digits slanted and elastically distorted: writers unlike MNIST's."""
    rng = np.random.default_rng(seed)
    shears = rng.uniform(-0.35, 0.35, len(digits))
    slanted = _warp_each(digits, [[[1, shear, -shear * 14], [0, 1, 0]] for shear in shears])
    distorted = elastic(slanted.astype(np.float32) / 255, rng, displacement_px=1.5)
    return (np.clip(distorted, 0, 1) * 255).astype(np.uint8)


def narrow_hands(digits: np.ndarray, seed: int) -> np.ndarray:
    """Test digits squeezed to 50-80% of their width: writers with a narrow hand."""
    centre = (IMAGE_SIZE - 1) / 2
    squeezes = np.random.default_rng(seed).uniform(0.5, 0.8, len(digits))
    return _warp_each(digits, [[[squeeze, 0, centre * (1 - squeeze)], [0, 1, 0]] for squeeze in squeezes])


def writer_strokes(digits: np.ndarray, labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Test 0s, 1s and 7s with a slash, a flag or base, or a crossbar."""
    rng = np.random.default_rng(seed)
    keep = np.isin(labels, (0, 1, 7))
    return np.stack([add_writer_strokes(d, int(y), rng) for d, y in zip(digits[keep], labels[keep])]), labels[keep]


def with_stray_mark(drawings, seed: int):
    """Each drawing with one click of the brush somewhere on the canvas away from the digit."""
    rng = np.random.default_rng(seed)
    out = []
    for image, style in drawings:
        image, canvas = image.copy(), style.canvas
        radius = max(1, round(style.stroke * canvas / 2))
        ink = image[..., 3] > 0 if style.transparent else image[..., 0] < 255
        rows, cols = np.nonzero(ink)
        points = rng.integers(radius, canvas - radius, (100, 2))
        # Clear of the digit's box by 1.5 stroke widths; a digit that fills the canvas gets a corner.
        clear = ((points[:, 0] < cols.min() - 3 * radius) | (points[:, 0] > cols.max() + 3 * radius)
                 | (points[:, 1] < rows.min() - 3 * radius) | (points[:, 1] > rows.max() + 3 * radius))
        px, py = (int(v) for v in (points[clear.argmax()] if clear.any() else (radius, radius)))
        cv2.circle(image, (px, py), radius, (20, 20, 20, 255) if style.transparent else (0, 0, 0, 255), -1, cv2.LINE_AA)
        out.append((image, style))
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=Path("final_model.keras"), help="model file to measure")
    p.add_argument("--data-dir", type=Path, default=Path("../shared/data/mnist"), help="MNIST IDX folder")
    p.add_argument("--n", type=int, default=2000, help="number of test digits to re-draw per set")
    p.add_argument("--seed", type=int, default=1, help="seed for the digit sample and the styles")
    p.add_argument("--sets", default=",".join(SETS), help="comma-separated sets to run")
    args = p.parse_args(argv)
    if unknown := set(args.sets.split(",")) - set(SETS):
        p.error(f"unknown sets {sorted(unknown)}; choose from {', '.join(SETS)}")

    data = load_idx_dir(args.data_dir)
    model = load_model_file(args.model)
    predictor, single = Predictor(model, str(args.model)), Predictor(model, str(args.model), tta_angles=(0.0,))
    mnist = (predictor.probabilities(data.x_test[..., None].astype(np.float32) / 255).argmax(1) == data.y_test).mean()
    pick = np.random.default_rng(args.seed).choice(len(data.x_test), args.n, replace=False)
    digits, labels = data.x_test[pick], data.y_test[pick]

    def drawn(set_digits, set_labels):
        return redraw_set(set_digits, args.seed), set_labels

    sets = {
        "as written": lambda: drawn(digits, labels),
        "other hands": lambda: drawn(other_hands(digits, args.seed), labels),
        "narrow hands": lambda: drawn(narrow_hands(digits, args.seed), labels),
        "writer strokes": lambda: drawn(*writer_strokes(digits, labels, args.seed)),
        "stray mark": lambda: (with_stray_mark(redraw_set(digits, args.seed), args.seed), labels),
    }
    print(f"model {args.model}: MNIST test accuracy {mnist:.4f}; test digits re-drawn as sketchpad drawings "
          f"({os.cpu_count()} cores)")
    for set_name in args.sets.split(","):
        drawings, set_labels = sets[set_name]()
        print(f"\n[{set_name}] {len(set_labels)} drawings")
        print(f"{'pipeline':38s} {'top-1':>6s}  " + " ".join(f"{d:>5d}" for d in range(10)))
        for name, pipeline, rotate in PIPELINES:
            accuracy, per_digit = evaluate(predictor if rotate else single, drawings, set_labels, pipeline)
            print(f"{name:38s} {accuracy:6.2%}  " + " ".join(f"{a:5.1%}" for a in per_digit))


if __name__ == "__main__":
    main()
