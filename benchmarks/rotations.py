"""Test-time rotations, chosen by measurement: the digit model's accuracy when it averages its reading of
each input over a set of small rotations (recognizer.predictor.TTA_ANGLES), for several sets.

Chosen on validation data only: the recipe's held-out MNIST training digits and its held-out pen writers
(pendigits .tra, drawn as visitors draw). Reported beside, never chosen on: the MNIST test split, all of
UJIpenchars2 and the unseen UCI writers. Every input is read once per angle; a set's reading is the mean
of its angles' probabilities, as the app computes it. The digit model alone: the gate reads the unrotated
drawing, whatever the angles.

    python -m benchmarks.rotations [--data ../shared/data] [--n 1000]
"""

import argparse
from pathlib import Path

import numpy as np

from recognizer.predictor import load_model_file, rotations
from train.config import TrainConfig
from train.data import load_idx_dir, split_validation
from train.pen_data import PENDIGITS_TEST, UJIPEN_FILE, drawn_inputs, pen_writers_split, read_ujipen, read_unipen

ANGLES = (0.0, 3.0, -3.0, 5.0, -5.0, 8.0, -8.0, 12.0, -12.0)
SETS = {"none": (0.0,), "±3": (0.0, -3.0, 3.0), "±5": (0.0, -5.0, 5.0), "±8 (shipped)": (0.0, -8.0, 8.0),
        "±12": (0.0, -12.0, 12.0), "±5, ±12": (0.0, -5.0, 5.0, -12.0, 12.0), "±3, ±8": (0.0, -3.0, 3.0, -8.0, 8.0)}


def per_angle(model, inputs: np.ndarray) -> dict[float, np.ndarray]:
    """{angle: (N, 10) probabilities of inputs (N, 28, 28) float32 rotated by it}."""
    out = {}
    for angle in ANGLES:
        batch = np.concatenate([rotations(x, (angle,)) for x in inputs])
        out[angle] = model.predict(batch, batch_size=2000, verbose=0)
    return out


def accuracy(probabilities: dict, angles, labels: np.ndarray) -> float:
    """Accuracy of the mean over angles."""
    return float((np.mean([probabilities[a] for a in angles], axis=0).argmax(1) == labels).mean())


def main(argv=None) -> None:
    """Read every set at every angle; print each angle set's accuracy, the validation sets first."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=Path("final_model.keras"), help="digit model file")
    p.add_argument("--data", type=Path, default=Path("../shared/data"), help="folder with mnist/, pendigits/, ujipen/")
    p.add_argument("--n", type=int, default=1000, help="unseen UCI test digits drawn (a seeded sample)")
    p.add_argument("--seed", type=int, default=1, help="seed for the sample and the drawing styles")
    args = p.parse_args(argv)
    recipe, model = TrainConfig(), load_model_file(args.model)
    mnist = load_idx_dir(args.data / "mnist")
    _, (val_x, val_y) = split_validation(mnist.x_train, mnist.y_train, recipe.val_size, recipe.seed)
    _, held_out = pen_writers_split(args.data / "pendigits" / "pendigits-orig.tra", recipe.pen_val_writers)
    uci = read_unipen(args.data / "pendigits" / PENDIGITS_TEST)
    uci = [uci[i] for i in np.sort(np.random.default_rng(args.seed).choice(len(uci), args.n, replace=False))]
    uji = read_ujipen(args.data / "ujipen" / UJIPEN_FILE)

    def drawn(digits):
        return drawn_inputs([d.strokes for d in digits], "strokes", args.seed).astype(np.float32) / 255, np.array([d.label for d in digits])

    sets = {"MNIST validation (5,000)": (val_x.astype(np.float32) / 255, val_y),
            f"held-out pen writers ({len(held_out)})": drawn(held_out),
            "MNIST test (10,000)": (mnist.x_test.astype(np.float32) / 255, mnist.y_test),
            f"UJIpenchars2 ({len(uji)})": drawn(uji), f"unseen UCI writers ({len(uci)})": drawn(uci)}
    read = {name: (per_angle(model, x), y) for name, (x, y) in sets.items()}
    print(f"{'rotations':14s}" + "".join(f" {name[:26]:>27s}" for name in sets) + "\n" + " " * 14 + " ".join(
        f"{'(validation)' if k < 2 else '(test)':>27s}" for k in range(len(sets))))
    for label, angles in SETS.items():
        print(f"{label:14s}" + "".join(f" {accuracy(p, angles, y):27.2%}" for p, y in read.values()))


if __name__ == "__main__":
    main()
