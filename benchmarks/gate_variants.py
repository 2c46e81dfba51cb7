"""The experiment behind the gate's recipe: width, Omniglot screening and amount of negatives, compared.

Every variant trains a gate beside the same digit model on the same drawn sets (drawn once and
cached), sets its threshold on held-out digits (4 training-file pen writers and MNIST validation
digits) for the same refusal rate, and is measured on held-out non-digits: Omniglot's validation
split, the trained kinds' held-out doodles and the five never-trained kinds' doodles.

    python -m benchmarks.gate_variants --model final_model.keras --cache /tmp/gate_sets.npz
"""

import argparse
import os
from pathlib import Path

import numpy as np

from train.data import load_idx_dir, split_validation
from train.gate import GATE_SIZES, HELD_OUT_CATEGORIES, draw_gate_sets, train_gate
from train.pen_data import QUICKDRAW_FILE, drawn_inputs, pen_sets, read_quickdraw

# (name, gate width, Omniglot screening level, share of the drawn negatives used)
VARIANTS = [
    ("width 1, half the negatives (first gate)", 1, 0.99, 0.5),
    ("all negatives", 1, 0.99, 1.0),
    ("screen only at 0.9999", 1, 0.9999, 0.5),
    ("width 2", 2, 0.99, 0.5),
    ("width 2, all negatives, screen 0.9999", 2, 0.9999, 1.0),
    ("width 2, all negatives (shipped)", 2, 0.99, 1.0),
]


def drawn_sets(data: Path, seed: int, cache: Path) -> dict:
    """The training run's drawn sets, plus never-trained kinds of doodles; cached."""
    if cache.is_file():
        with np.load(cache) as saved:
            return dict(saved)
    mnist = load_idx_dir(data / "mnist")
    (train_x, _), (val_x, _) = split_validation(mnist.x_train, mnist.y_train, 5000, seed)
    sizes = GATE_SIZES  # "half the negatives" was the first gate's 15,000 Omniglot characters and 24,000 doodles
    sets = draw_gate_sets(train_x, val_x, data / "omniglot" / "omniglot.npz", data / "quickdraw" / QUICKDRAW_FILE,
                          sizes, seed)
    pen = pen_sets(data / "pendigits", 3, 4, seed)
    doodles = read_quickdraw(data / "quickdraw" / QUICKDRAW_FILE)
    unseen = np.flatnonzero(np.isin(np.asarray(doodles.categories)[doodles.labels], HELD_OUT_CATEGORIES))
    sets.update(pen_train=pen.x_train, pen_val=pen.x_val, unseen=drawn_inputs(doodles.images[unseen], "bitmap", 99))
    np.savez(cache, **sets)
    return sets


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=Path("final_model.keras"), help="digit model (screens Omniglot)")
    p.add_argument("--data", type=Path, default=Path("../shared/data"), help="folder with the data sets")
    p.add_argument("--cache", type=Path, default=Path("gate_sets.npz"), help="drawn sets, written on the first run")
    p.add_argument("--epochs", type=int, default=10, help="gate epochs")
    p.add_argument("--refusal", type=float, default=0.002, help="share of held-out digits refused")
    p.add_argument("--seed", type=int, default=42, help="seed (the training run's)")
    args = p.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from recognizer.predictor import load_model_file
    from train.fit import to_float

    sets = drawn_sets(args.data, args.seed, args.cache)
    model = load_model_file(args.model)
    rows = []
    for name, width, screen, share in VARIANTS:
        view = {k: v[: int(len(v) * share)] if k in ("omniglot", "doodles") else v for k, v in sets.items()}
        gate, metrics = train_gate(model, view, sets["pen_train"], sets["pen_val"], args.epochs, args.refusal,
                                   args.seed, width=width, screen=screen)
        unseen = float((gate.predict(to_float(sets["unseen"]), batch_size=1000, verbose=0)[:, 0] <= 0.5).mean())
        rows.append((name, metrics, unseen))
        print(f"done: {name}", flush=True)
    print(f"\n{'variant':40s} {'refused pen/mnist':>18s} {'omniglot':>9s} {'doodles':>8s} {'unseen kinds':>13s}"
          "   (share answered as a digit)")
    for name, m, unseen in rows:
        refused, answered = m["val_refused"], m["val_answered"]
        print(f"{name:40s} {refused['pen_val']:8.2%}/{refused['mnist_val']:.2%} {answered['omniglot_val']:9.1%} "
              f"{answered['doodles_val']:8.1%} {unseen:13.1%}")


if __name__ == "__main__":
    main()
